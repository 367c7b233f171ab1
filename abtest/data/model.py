"""The canonical event model, column mapping, goals and windows.

abtest reads two event logs (and two optional tables):

exposures
    one row per time a unit saw an experiment: ``unit_id, experiment,
    variant, timestamp``, plus any dimension columns (``device``, ``source``,
    ``country``, ...) to segment by.
conversions
    one row per goal event: ``unit_id, event, timestamp`` and, for value
    goals, a numeric column (``value`` by default, e.g. revenue).
covariate (optional, for CUPED)
    one row per unit: ``unit_id, value`` (e.g. revenue in the weeks before the
    experiment), optionally per ``experiment``.
spend (optional, for cost per lead / CAC / ROI)
    ``experiment, variant, spend``; not read by :func:`abtest.summarize`, the
    analysis joins it to the summary by (experiment, variant).

Users' tables rarely use these names: a :class:`ColumnMapping` maps each
canonical name to the user's column.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from abtest import vocabulary

EXPOSURE_COLUMNS = ("unit_id", "experiment", "variant", "timestamp")
CONVERSION_COLUMNS = vocabulary.CONVERSION_COLUMNS
TABLES = ("exposures", "conversions", "covariate")
DEFAULT_WINDOW = "7d"

Window = str | timedelta | int | float | None


class _Inherit:
    """Marker: a goal's window not given, so the ``window`` of ``summarize`` applies."""

    def __repr__(self) -> str:
        return "INHERIT"


INHERIT: Any = _Inherit()


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical column name → the user's column name, per table.

    Build it with :meth:`parse` from a flat dict (applies to every table that
    has that canonical column) or a dict per table.

    Examples
    --------
    >>> m = ColumnMapping.parse({"unit_id": "user_id", "timestamp": "ts",
    ...                          "conversions": {"event": "event_name"}})
    >>> m.name("exposures", "unit_id"), m.name("conversions", "event")
    ('user_id', 'event_name')
    >>> m.name("exposures", "variant")
    'variant'
    """

    exposures: Mapping[str, str] = field(default_factory=dict)
    conversions: Mapping[str, str] = field(default_factory=dict)
    covariate: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, columns: ColumnMapping | Mapping[str, Any] | None) -> ColumnMapping:
        """From None, a ColumnMapping, or ``{canonical: user}`` / ``{table: {canonical: user}}``."""
        if columns is None:
            return cls()
        if isinstance(columns, ColumnMapping):
            return columns
        if not isinstance(columns, Mapping):
            raise TypeError(
                f"columns must be a dict of canonical name -> your column name, not {columns!r}"
            )
        flat = {k: v for k, v in columns.items() if k not in TABLES}
        per: dict[str, dict[str, str]] = {t: {} for t in TABLES}
        for key, user in flat.items():
            if not isinstance(user, str):
                raise TypeError(f"columns[{key!r}] = {user!r}: expected a column name (str)")
            for t in TABLES:
                per[t][key] = user
        for t in TABLES:
            given = columns.get(t)
            if given is None:
                continue
            if not isinstance(given, Mapping):
                raise TypeError(f"columns[{t!r}] must be a dict, not {given!r}")
            per[t].update({str(k): str(v) for k, v in given.items()})
        return cls(per["exposures"], per["conversions"], per["covariate"])

    @staticmethod
    def check_keys(
        columns: Mapping[str, Any] | None, values: Sequence[str], segments: Sequence[str]
    ) -> None:
        """Every key of ``columns`` (and of a log's mapping in it) names a column abtest
        reads (:func:`abtest.vocabulary.column_key_problem`, the rule of a registry's
        ``data.columns`` too)."""
        if not isinstance(columns, Mapping):
            return
        keys = [k for k in columns if k not in TABLES]
        keys += [k for t in TABLES if isinstance(columns.get(t), Mapping) for k in columns[t]]
        for key in keys:
            problem = vocabulary.column_key_problem(str(key), values, segments)
            if problem:
                raise ValueError(f"columns: {problem}")

    def name(self, table: str, canonical: str) -> str:
        """The user's name for ``canonical`` in ``table`` (the canonical name if unmapped)."""
        return dict(getattr(self, table)).get(canonical, canonical)


@dataclass(frozen=True)
class EventMetric:
    """One metric computed from conversion events.

    Parameters
    ----------
    event : str
        The event name in the conversions log.
    metric : str, optional
        The metric id in the Summary (default: the event name).
    value : str, optional
        The conversions column summed per unit (e.g. ``"revenue"``); None
        makes a binary goal (a unit converts or not).
    window : str, timedelta or None
        Attribution window after the unit's first exposure (``"7d"``,
        ``"36h"``, ``"30m"``); None counts events until the analysis end; left
        out, the ``window`` given to :func:`abtest.summarize` applies.
    capping : dict or Capping, optional
        Caps (winsorizes) each unit's in-window value of a value goal:
        ``{"percentile": 0.99}`` (optionally ``"ignore_zeros": True``) or
        ``{"value": 1000}``; see :class:`Capping`.
    statistic : dict or Quantile, optional
        What a value goal compares: the mean per unit (default) or a quantile of the
        per-unit values, ``{"quantile": 0.5}`` (optionally ``"among": "units"``);
        see :class:`Quantile`.
    """

    event: str
    metric: str | None = None
    value: str | None = None
    window: Any = INHERIT
    capping: Any = None
    statistic: Any = None

    @property
    def id(self) -> str:
        return self.metric if self.metric is not None else self.event

    @property
    def kind(self) -> str:
        if self.statistic is not None:
            return "quantile"
        return "binary" if self.value is None else "value"


@dataclass(frozen=True)
class Capping:
    """The cap of a value goal: each unit's in-window value becomes ``min(value, cap)``
    before it is summed (winsorization of the upper tail).

    ``percentile``: the cap is that quantile of the per-unit values over the
    experiment's analysed units of all variants (units without an event count as 0
    unless ``ignore_zeros``), by linear interpolation (R type 7, numpy's default
    ``np.quantile``, DuckDB's ``quantile_cont``); ``value``: a fixed cap. The
    threshold is computed in the engine (:mod:`abtest.data.capping`).
    """

    percentile: float | None = None
    value: float | None = None
    ignore_zeros: bool = False

    def describe(self) -> str:
        """How the cap is set, in words.

        >>> Capping(0.99).describe(), Capping(0.95, ignore_zeros=True).describe()
        ('p99 of all units', 'p95 of the units with a value')
        >>> Capping(value=1000).describe()
        'a fixed cap'
        """
        if self.value is not None:
            return "a fixed cap"
        pct = f"p{100 * self.percentile:.10g}"
        return f"{pct} of the units with a value" if self.ignore_zeros else f"{pct} of all units"


AMONG = ("converters", "units")


@dataclass(frozen=True)
class Quantile:
    """A quantile goal: the ``q``-quantile of the per-unit in-window values (each unit's
    values summed over its in-window events, as a value goal sums them).

    ``among="converters"`` (default): of the units with an in-window event of the goal
    (median order value: what a buyer spends); ``among="units"``: of every analysed
    unit, those without an event counting 0 (median revenue per visitor, mostly 0 at
    low conversion rates). The order statistics are computed in the engine
    (:mod:`abtest.data.order_stats`) and tested by
    :func:`abtest.stats.quantile_test_from_order_stats`.
    """

    q: float
    among: str = "converters"

    @property
    def label(self) -> str:
        """``p50``, ``p99.5``: the quantile as a percentile."""
        return f"p{100 * self.q:.10g}"

    def describe(self) -> str:
        """The statistic in words.

        >>> Quantile(0.5).describe(), Quantile(0.9, "units").describe()
        ('p50 among converters', 'p90 among all units')
        """
        who = "converters" if self.among == "converters" else "all units"
        return f"{self.label} among {who}"


def parse_statistic(goal: str, spec: Any, value: str | None, capping: Any) -> Quantile | None:
    """The goal's ``statistic`` option as a :class:`Quantile` (None or ``"mean"``: the
    mean per unit); a ValueError naming ``goal`` for a goal without a value column,
    unknown keys, ``q`` outside (0, 1), an unknown ``among`` or capping beside it.

    >>> parse_statistic("aov", {"quantile": 0.5}, "value", None)
    Quantile(q=0.5, among='converters')
    """
    if spec is None or spec == "mean":
        return None
    where = f"goal {goal!r}: statistic"
    if isinstance(spec, Quantile):
        spec = {"quantile": spec.q, "among": spec.among}
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where} = {spec!r}: give 'mean' or {{'quantile': 0.5}}")
    unknown = sorted(map(str, set(spec) - {"quantile", "among"}))
    if unknown or "quantile" not in spec:
        raise ValueError(
            f"{where}: expected {{'quantile': q}} with optionally 'among' "
            f"(converters | units){'; unknown key(s) ' + ', '.join(unknown) if unknown else ''}"
        )
    if value is None:
        raise ValueError(
            f"{where}: a quantile goal needs a value column (e.g. value: order_value); "
            "this goal names none"
        )
    q, among = spec["quantile"], spec.get("among", "converters")
    if isinstance(q, bool) or not isinstance(q, numbers.Real) or not 0 < q < 1:
        raise ValueError(f"{where}.quantile = {q!r}: must lie in (0, 1), e.g. 0.5 or 0.9")
    if among not in AMONG:
        raise ValueError(f"{where}.among = {among!r}: expected 'converters' or 'units'")
    if capping is not None:
        raise ValueError(
            f"{where}: a quantile is not moved by a few large values, so it takes no "
            "capping; remove capping from this goal"
        )
    return Quantile(float(q), str(among))


def parse_capping(goal: str, spec: Any, value: str | None) -> Capping | None:
    """The goal's capping option as a :class:`Capping` (None: no cap); a ValueError
    naming ``goal`` for a binary goal, unknown keys, both or neither of percentile and
    value, a percentile outside (0, 1) or a negative cap.

    >>> parse_capping("revenue", {"percentile": 0.99}, "value")
    Capping(percentile=0.99, value=None, ignore_zeros=False)
    """
    if spec is None:
        return None
    where = f"goal {goal!r}: capping"
    if value is None:
        raise ValueError(
            f"{where} applies to value goals; this goal is binary (it names no value column)"
        )
    if isinstance(spec, Capping):
        spec = dataclasses.asdict(spec)
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where} = {spec!r}: give {{'percentile': 0.99}} or {{'value': 1000}}")
    unknown = sorted(map(str, set(spec) - {"percentile", "value", "ignore_zeros"}))
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: percentile, value, "
            "ignore_zeros"
        )
    pct, cap = spec.get("percentile"), spec.get("value")
    zeros = spec.get("ignore_zeros", False)
    if (pct is None) == (cap is None):
        raise ValueError(
            f"{where}: give exactly one of percentile (e.g. 0.99) or value (a fixed cap)"
        )
    for name, x in (("percentile", pct), ("value", cap)):
        if x is not None and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
            raise ValueError(f"{where}.{name} = {x!r}: expected a number")
        if x is not None and not math.isfinite(x):
            raise ValueError(f"{where}.{name} = {x!r}: expected a finite number")
    if not isinstance(zeros, bool):
        raise ValueError(f"{where}.ignore_zeros = {zeros!r}: expected true or false")
    if pct is not None and not 0 < pct < 1:
        raise ValueError(f"{where}.percentile = {pct!r}: must lie in (0, 1), e.g. 0.99")
    if cap is not None and cap < 0:
        raise ValueError(f"{where}.value = {cap!r}: a cap cannot be negative")
    if cap is not None and zeros:
        raise ValueError(f"{where}: ignore_zeros applies to a percentile cap, not a fixed value")
    return Capping(None if pct is None else float(pct), None if cap is None else float(cap), zeros)


def parse_window(window: Window) -> timedelta | None:
    """A window as a timedelta (None stays None: until the analysis end).

    Accepts a duration of :func:`abtest.vocabulary.parse_duration` (``"7d"``, ``"2w"``,
    ``"36h"``, ``"30m"``, ``"90s"``), a ``timedelta``, or a number of days.

    Examples
    --------
    >>> parse_window("7d"), parse_window("36h"), parse_window(None)
    (datetime.timedelta(days=7), datetime.timedelta(days=1, seconds=43200), None)
    """
    if window is None:
        return None
    if isinstance(window, timedelta):
        out = window
    elif isinstance(window, bool):
        raise TypeError(f"window = {window!r}: give e.g. '7d', '36h' or None")
    elif isinstance(window, int | float):
        out = timedelta(days=float(window))
    elif isinstance(window, str):  # abtest's one duration grammar
        out = vocabulary.parse_duration(window, "window")
    else:
        raise TypeError(f"window = {window!r}: give e.g. '7d', '36h', a timedelta or None")
    if out <= timedelta(0):
        raise ValueError(f"window = {window!r}: must be positive")
    return out


def parse_goals(
    goals: Iterable[EventMetric | Mapping[str, Any] | str] | Mapping[str, Any] | None,
) -> list[EventMetric] | None:
    """Goals from the forms ``summarize`` accepts (None: every event is a binary goal).

    ``goals`` may be a list of :class:`EventMetric`, dicts (``event, metric, value,
    window``) or event names, or a dict ``{event: None | value column | EventMetric |
    dict}``.

    Examples
    --------
    >>> [g.id for g in parse_goals(["signup", {"event": "purchase", "metric": "revenue",
    ...                                        "value": "value"}])]
    ['signup', 'revenue']
    >>> parse_goals({"purchase": "revenue"})[0].value
    'revenue'
    """
    if goals is None:
        return None
    items: list[EventMetric] = []
    if isinstance(goals, Mapping):
        for event, spec in goals.items():
            if spec is None:
                items.append(EventMetric(str(event)))
            elif isinstance(spec, str):
                items.append(EventMetric(str(event), value=spec))
            elif isinstance(spec, EventMetric):
                items.append(
                    spec if spec.event == event else dataclasses.replace(spec, event=str(event))
                )
            elif isinstance(spec, Mapping):
                items.append(_goal_from_dict({"event": event, **spec}))
            else:
                raise TypeError(f"goals[{event!r}] = {spec!r}: expected None, a column, or a dict")
    else:
        for spec in goals:
            if isinstance(spec, EventMetric):
                items.append(spec)
            elif isinstance(spec, str):
                items.append(EventMetric(spec))
            elif isinstance(spec, Mapping):
                items.append(_goal_from_dict(spec))
            else:
                raise TypeError(f"goal {spec!r}: expected an event name, a dict or a EventMetric")
    if not items:
        raise ValueError("goals is empty: give at least one goal, or None for every event")
    ids = [g.id for g in items]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValueError(f"goals: metric id(s) {dupes} given twice; give each a distinct metric")
    for g in items:
        if g.window is not INHERIT:
            parse_window(g.window)
    return [_parsed(g) for g in items]


def _parsed(g: EventMetric) -> EventMetric:
    """``g`` with its value column checked and its statistic and capping options parsed
    (errors name the goal)."""
    if g.value is not None:
        if not isinstance(g.value, str) or not g.value.strip():
            raise ValueError(
                f"goal {g.id!r}: value = {g.value!r}: give the name of the conversions "
                "column to sum (e.g. 'revenue'), or leave it out for a conversion goal"
            )
        problem = vocabulary.value_name_problem(g.value)
        if problem:
            alias = vocabulary.value_alias(g.value)
            raise ValueError(
                f"goal {g.id!r}: value = {g.value!r} {problem}, so a value goal cannot sum "
                f"it; read the column under another name: value={alias!r} with "
                f"columns={{'conversions': {{{alias!r}: {g.value!r}}}}}"
            )
    if g.statistic is not None:
        g = dataclasses.replace(g, statistic=parse_statistic(g.id, g.statistic, g.value, g.capping))
    if g.capping is not None:
        g = dataclasses.replace(g, capping=parse_capping(g.id, g.capping, g.value))
    return g


def _goal_from_dict(spec: Mapping[str, Any]) -> EventMetric:
    allowed = {
        "event", "metric", "id", "value", "window", "attribution_window", "capping", "statistic",
    }  # fmt: skip
    if set(spec) - allowed or "event" not in spec:
        raise ValueError(
            f"goal {dict(spec)!r}: expected the keys event (required), metric, value, "
            "window, capping, statistic"
        )
    window = spec.get("window", spec.get("attribution_window", INHERIT))
    return EventMetric(
        str(spec["event"]),
        spec.get("metric", spec.get("id")),
        spec.get("value"),
        window,
        spec.get("capping"),
        spec.get("statistic"),
    )
