"""``Summary``: per-(experiment, variant, metric[, segment][, day]) sufficient statistics.

The spine of abtest (DESIGN.md): every analysis needs only ``n``, ``sum`` and
``sum_sq`` of the unit-level metric per group, plus, where a metric needs
them, the CUPED covariate sums ``sum_x``, ``sum_x_sq``, ``sum_xy``. A binary
conversion is the case ``sum == sum_sq == conversions``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from abtest.data import frame_exclusions

KEYS = ["experiment", "variant", "metric"]
STATS = ["n", "sum", "sum_sq"]
COVARIATE = ["sum_x", "sum_x_sq", "sum_xy"]
KINDS = ("binary", "value", "quantile")
EXCLUSION_COLUMNS = ["experiment", "variant", "metric", "reason", "units"]


class Summary:
    """Sufficient statistics per (experiment, variant, metric[, segments][, day]).

    ``frame`` holds one row per group with the columns ``experiment, variant,
    metric, kind, n, sum, sum_sq`` (``kind`` is ``"binary"`` or ``"value"``),
    optional ``day`` (cumulative statistics up to and including that day),
    optional segment columns named in ``segments``, optional CUPED sums, and for
    capped value goals ``cap`` (the threshold) and ``capped`` (units cut; NaN on the
    rows of other goals).
    ``exclusions`` lists units or events left out and why (``experiment,
    variant, metric, reason, units``; ``metric`` is empty for unit-level
    exclusions such as units seen in several variants).

    Examples
    --------
    >>> s = Summary.from_counts({"control": (17489, 145274), "treatment": (17264, 145310)})
    >>> s.to_frame()[["variant", "metric", "n", "sum"]].values.tolist()
    [['control', 'conversion', 145274, 17489.0], ['treatment', 'conversion', 145310, 17264.0]]
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        exclusions: pd.DataFrame | None = None,
        segments: Iterable[str] = (),
        goals: Iterable[str] | None = None,
    ) -> None:
        self.segments: tuple[str, ...] = tuple(segments)
        # the goals in the order they were declared (summarize(goals=...), a counts file,
        # from_counts): the first decides; None when the metrics came from the events
        self.goals: tuple[str, ...] | None = None if goals is None else tuple(goals)
        # capped goals: metric id -> how its cap was set ("p99 of all units", ...)
        self.capping: dict[str, str] = {}
        if exclusions is None:  # a frame from to_frame(): its excluded_<reason> columns
            frame, exclusions = frame_exclusions.narrow(frame, EXCLUSION_COLUMNS)
        self.frame = _validated(frame, self.segments)
        missing = set(EXCLUSION_COLUMNS) - set(exclusions.columns)
        if missing:
            raise ValueError(f"exclusions is missing the columns {sorted(missing)}")
        self.exclusions = exclusions[EXCLUSION_COLUMNS].reset_index(drop=True)
        # summarize(time_to=...): units per (experiment, variant, metric, time in hours,
        # event 1 converted / 0 censored), the rows abtest.stats.kaplan_meier takes
        self.time_to: pd.DataFrame | None = None
        # quantile goals (summarize's statistic option): per (experiment, variant[,
        # segment]) the population size n, the quantile and the values at the ranks
        # of abtest.stats.order_stat_ranks (lower, upper); overall rows have no segment,
        # a segment row one segment column set (each column on its own)
        self.quantiles: pd.DataFrame | None = None
        # summarize(cohorts=goal): units and in-window conversions per (experiment, variant,
        # day of first exposure), and whether that day's windows have closed
        self.cohorts: pd.DataFrame | None = None

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, tuple[int, int]],
        metric: str = "conversion",
        *,
        experiment: str = "experiment",
    ) -> Summary:
        """From ``{variant: (conversions, units)}`` for one binary metric.

        The first variant is taken as the control unless the analysis says otherwise.
        """
        if not counts:
            raise ValueError("counts is empty: give {variant: (conversions, units)}")
        rows = []
        for variant, pair in counts.items():
            if isinstance(pair, str | bytes) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise ValueError(
                    f"counts[{variant!r}] = {pair!r}: expected (conversions, units) as integers"
                )
            conv, units = (
                _whole_count(value, f"counts[{variant!r}] {name}")
                for value, name in zip(pair, ("conversions", "units"), strict=True)
            )
            if units < 0 or conv < 0:
                raise ValueError(f"counts[{variant!r}] = {pair!r}: counts cannot be negative")
            if conv > units:
                raise ValueError(f"counts[{variant!r}]: conversions {conv} exceed units {units}")
            rows.append(
                {
                    "experiment": experiment,
                    "variant": str(variant),
                    "metric": metric,
                    "kind": "binary",
                    "n": units,
                    "sum": float(conv),
                    "sum_sq": float(conv),
                }
            )
        return cls(pd.DataFrame(rows), goals=(metric,))

    # -- access ---------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """A copy of the statistics, with one ``excluded_<reason>`` column per
        exclusion reason (units excluded for that experiment and variant); ``Summary``
        reads those columns back (:mod:`abtest.data.frame_exclusions`)."""
        return frame_exclusions.widen(self.frame, self.exclusions)

    @property
    def experiments(self) -> list[str]:
        return list(dict.fromkeys(self.frame["experiment"]))

    def variants(self, experiment: str | None = None) -> list[str]:
        return list(dict.fromkeys(self._rows(experiment)["variant"]))

    def metrics(self, experiment: str | None = None) -> list[str]:
        return list(dict.fromkeys(self._rows(experiment)["metric"]))

    def kind(self, metric: str, experiment: str | None = None) -> str:
        rows = self._rows(experiment)
        kinds = rows.loc[rows["metric"] == metric, "kind"].unique()
        if len(kinds) == 0:
            raise KeyError(f"no metric {metric!r}; known: {', '.join(self.metrics(experiment))}")
        return str(kinds[0])

    @property
    def has_daily(self) -> bool:
        return "day" in self.frame.columns

    def latest(self, experiment: str | None = None) -> pd.DataFrame:
        """The rows as of the end: without days, the rows; with daily (cumulative) rows,
        each (variant, metric[, segment]) row of its last day. A day without a row carries
        the previous day's sums forward, as in :meth:`cumulative`, so these are its last
        look (summarize writes every day; a frame built by hand may skip some)."""
        rows = self._rows(experiment)
        if not self.has_daily:
            return rows
        keys = ["experiment", "variant", "metric", *self.segments]
        rows = rows.sort_values("day", kind="stable")
        return rows.groupby(keys, sort=False, observed=True, dropna=False).tail(1)

    def totals(self, experiment: str | None = None) -> pd.DataFrame:
        """Overall rows (as of the end, :meth:`latest`; all segments merged)."""
        rows = self.latest(experiment)
        if self.segments:
            cols = [c for c in (*STATS, *COVARIATE) if c in rows.columns]
            how = {c: "sum" for c in cols}
            if "cap" in rows.columns:  # capped goals: one cap per experiment and goal
                how |= {"cap": "max", "capped": "sum"}
            rows = rows.groupby([*KEYS, "kind"], sort=False, as_index=False).agg(how)
            if "cap" in rows.columns:
                rows.loc[rows["cap"].isna(), "capped"] = np.nan
        return rows.reset_index(drop=True)

    def arrays(
        self, metric: str, variants: list[str], experiment: str | None = None
    ) -> dict[str, np.ndarray]:
        """``n``, ``sum``, ``sum_sq`` (and CUPED sums if present) as arrays in ``variants``
        order, from the overall rows."""
        rows = self.totals(experiment)
        rows = rows[rows["metric"] == metric].set_index("variant")
        missing = [v for v in variants if v not in rows.index]
        if missing:
            raise KeyError(
                f"metric {metric!r} has no data for variant(s) {', '.join(missing)}; "
                f"the data has {', '.join(map(str, rows.index)) or 'no variants'}"
            )
        rows = rows.loc[variants]
        cols = [c for c in (*STATS, *COVARIATE) if c in rows.columns]
        return {c: rows[c].to_numpy(dtype=float) for c in cols}

    def cumulative(
        self, metric: str, variants: list[str], experiment: str | None = None
    ) -> tuple[list[Any], dict[str, np.ndarray]]:
        """Per day, the cumulative sums of ``metric``: the days, and ``n, sum, sum_sq``
        (and the CUPED sums when present) as (variants, days) arrays in ``variants``
        order. Segments are summed; a day without a row for a variant carries its
        previous day forward. Without daily rows: one look, ``[None]``, of the totals.

        >>> import pandas as pd
        >>> f = pd.DataFrame({"experiment": "e", "variant": ["a", "b", "a"], "metric": "m",
        ...                   "kind": "binary", "n": [10, 12, 20], "sum": [1.0, 2.0, 3.0],
        ...                   "sum_sq": [1.0, 2.0, 3.0],
        ...                   "day": pd.to_datetime(["2026-11-01", "2026-11-01", "2026-11-02"])})
        >>> days, arr = Summary(f).cumulative("m", ["a", "b"])
        >>> len(days), arr["n"].tolist()  # b has no row on day 2: its day 1 carries on
        (2, [[10.0, 20.0], [12.0, 12.0]])
        """
        f = self.frame
        cols = ["n", "sum", "sum_sq", *(c for c in COVARIATE if c in f.columns)]
        if experiment is None:
            experiment = self.experiments[0] if len(self.experiments) == 1 else None
            self._rows(experiment)  # one experiment, or say which
        if "day" not in f.columns:
            arr = self.arrays(metric, variants, experiment)
            return [None], {k: v[:, None] for k, v in arr.items() if k in cols}
        mine = (f["experiment"] == experiment).to_numpy() & (f["metric"] == metric).to_numpy()
        rows = f.loc[mine]
        days, look = np.unique(rows["day"].to_numpy(), return_inverse=True)
        arm = {v: i for i, v in enumerate(variants)}
        who = np.array([arm.get(v, -1) for v in rows["variant"].astype(object)], dtype=np.int64)
        keep = who >= 0
        shape = (len(variants), len(days))
        seen = np.zeros(shape, dtype=bool)
        seen[who[keep], look[keep]] = True
        out = {}
        for col in cols:
            wide = np.zeros(shape)
            np.add.at(wide, (who[keep], look[keep]), rows[col].to_numpy(dtype=float)[keep])
            # carry a variant's cumulative sums over days it has no row (forward fill)
            last = np.maximum.accumulate(np.where(seen, np.arange(shape[1]), -1), axis=1)
            out[col] = np.where(last >= 0, np.take_along_axis(wide, np.maximum(last, 0), 1), 0.0)
        stamps = [
            pd.Timestamp(d).to_pydatetime() if isinstance(d, np.datetime64) else d for d in days
        ]
        return stamps, out

    def _rows(self, experiment: str | None) -> pd.DataFrame:
        if experiment is None:
            exps = self.experiments
            if len(exps) > 1:
                raise ValueError(
                    f"this Summary holds {len(exps)} experiments ({', '.join(exps[:5])}); "
                    "say which with experiment=..."
                )
            return self.frame
        rows = self.frame[self.frame["experiment"] == experiment]
        if rows.empty:
            raise KeyError(
                f"no experiment {experiment!r} in the data; it has {', '.join(self.experiments)}"
            )
        return rows

    def order_stats(
        self, metric: str, experiment: str, segment: str | None = None
    ) -> pd.DataFrame | None:
        """A quantile goal's rows of :attr:`quantiles`: the overall ones (every segment
        column empty), or those of segment column ``segment``; None without any."""
        q = self.quantiles
        if q is None:
            return None
        rows = q[(q["experiment"] == experiment) & (q["metric"] == metric)]
        if segment is not None:
            return rows[rows[segment].notna()]
        return rows[rows[list(self.segments)].isna().all(axis=1)] if self.segments else rows

    def cap_note(self, metric: str, variants: list[str], experiment: str | None = None) -> str:
        """The cap of a capped goal in words ("" when it is not capped), e.g.
        ``"revenue capped at 412.50 (p99 of all units): 31 control / 29 b units"``.

        >>> import pandas as pd
        >>> f = pd.DataFrame({"experiment": "e", "variant": ["a", "b"], "metric": "rev",
        ...                   "kind": "value", "n": 100, "sum": [900.0, 950.0],
        ...                   "sum_sq": [9e4, 9e4], "cap": 412.5, "capped": [31.0, 29.0]})
        >>> Summary(f).cap_note("rev", ["a", "b"])
        'rev capped at 412.50 (cap): 31 a / 29 b units'
        """
        if "cap" not in self.frame.columns:
            return ""
        rows = self.totals(experiment)
        rows = rows[rows["metric"] == metric].set_index("variant")
        if rows.empty or rows["cap"].isna().all():
            return ""
        cap = float(rows["cap"].max())
        cut = " / ".join(f"{int(rows.loc[v, 'capped'])} {v}" for v in variants if v in rows.index)
        how = self.capping.get(metric, "cap")
        return f"{metric} capped at {cap:,.2f} ({how}): {cut} units"

    def warnings(self) -> list[str]:
        """The exclusions in words, one line per (experiment, reason), largest first.

        Examples
        --------
        >>> import pandas as pd
        >>> ex = pd.DataFrame({"experiment": ["x", "x"], "variant": ["a", "b"],
        ...                    "metric": ["", ""], "reason": "multiple_variants",
        ...                    "units": [12, 9]})
        >>> s = Summary.from_counts({"a": (1, 10), "b": (2, 10)}, experiment="x")
        >>> Summary(s.frame, exclusions=ex).warnings()
        ['x: 21 units seen in more than one variant were excluded (a 12, b 9)']
        """
        out = []
        ex = self.exclusions
        for (exp, reason), part in ex.groupby(["experiment", "reason"], sort=False):
            total = int(part["units"].sum())
            what = _REASON_TEXT.get(str(reason), f"units excluded ({reason})")
            by = part.groupby(["variant", "metric"], sort=False)["units"].sum()
            detail = ", ".join(
                " ".join(x for x in (str(v), str(m), str(int(u))) if x) for (v, m), u in by.items()
            )
            where = f"{exp}: " if exp else ""
            out.append((total, f"{where}{total} {what} ({detail})"))
        return [text for _, text in sorted(out, key=lambda t: -t[0])]

    def __repr__(self) -> str:
        return (
            f"Summary({len(self.experiments)} experiment(s), "
            f"{self.frame['metric'].nunique()} metric(s), {len(self.frame)} rows"
            f"{', daily' if self.has_daily else ''}"
            f"{', segments ' + ','.join(self.segments) if self.segments else ''})"
        )


_REASON_TEXT = {
    "multiple_variants": "units seen in more than one variant were excluded",
    "unknown_variant": "units in a variant that is not configured were excluded",
    "null_exposure": "exposure rows without a unit_id, timestamp, experiment or variant were "
    "ignored",
    "null_conversion": "goal events without a unit_id or timestamp were ignored",
    "before_exposure": "units had goal events before their first exposure (ignored)",
}


# counts above 2**53 are not whole numbers in float64, where the statistics run
_LARGEST_COUNT = 2**53


def _whole_count(value: Any, name: str) -> int:
    """A count given as an integer (or a float with no fraction): not text, not a
    boolean, not 10.5, and small enough to stay exact (the int64 cast of 1e20 once
    showed up as a negative count)."""
    if isinstance(value, bool | np.bool_) or isinstance(value, str | bytes):
        raise ValueError(
            f"{name} = {value!r}: expected a whole number of units, not text or a flag"
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r}: expected a whole number") from None
    if not np.isfinite(number) or number != int(number):
        raise ValueError(f"{name} = {value!r}: expected a whole number")
    if abs(number) > _LARGEST_COUNT:
        raise ValueError(f"{name} = {value!r}: more than 2**53 cannot be counted exactly")
    return int(value) if isinstance(value, int | np.integer) else int(number)


def _validated(frame: pd.DataFrame, segments: tuple[str, ...]) -> pd.DataFrame:
    missing = [c for c in [*KEYS, *STATS, "kind"] if c not in frame.columns]
    missing += [c for c in segments if c not in frame.columns]
    if missing:
        raise ValueError(
            f"summary frame is missing the column(s) {', '.join(missing)}; it needs "
            f"{', '.join([*KEYS, 'kind', *STATS])}"
        )
    df = frame.reset_index(drop=True).copy()
    for col in KEYS:
        df[col] = df[col].astype(str)
    bad_kind = ~df["kind"].isin(KINDS)
    if bad_kind.any():
        i = int(np.flatnonzero(bad_kind)[0])
        raise ValueError(
            f"row {i}: kind = {df['kind'].iloc[i]!r}, expected 'binary', 'value' or 'quantile'"
        )
    for col in [c for c in (*STATS, *COVARIATE) if c in df.columns]:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"row {i} ({_label(df, i)}): {col} = {df[col].iloc[i]!r} is not a finite number"
            )
        df[col] = values
    negative = df["n"] < 0
    binary_over = (df["kind"] == "binary") & ((df["sum"] > df["n"]) | (df["sum"] < 0))
    for mask, why in (
        (negative, "n cannot be negative"),
        (binary_over, "conversions (sum) must lie between 0 and n"),
    ):
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise ValueError(f"row {i} ({_label(df, i)}): {why}")
    if "day" in df.columns and df["day"].isna().any():
        i = int(np.flatnonzero(df["day"].isna())[0])
        raise ValueError(
            f"row {i} ({_label(df, i)}): day is empty; a daily row holds the sums as of the "
            "end of its day (drop the column for totals)"
        )
    df["n"] = df["n"].astype("int64")
    return df


def _label(df: pd.DataFrame, i: int) -> str:
    r: Any = df.iloc[i]
    return f"experiment {r['experiment']!r}, variant {r['variant']!r}, metric {r['metric']!r}"
