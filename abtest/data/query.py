"""The aggregation, written once as an Ibis expression.

The same expression compiles to DuckDB (the in-process default), SQLite,
Postgres, BigQuery, Snowflake, Trino, Spark, ...: it uses only grouping,
joins, ``min``/``max``/``argmin``, ``CASE``, and (for daily statistics) a
cumulative window. It returns one small table (a few rows per experiment,
variant and metric) that :mod:`abtest.data.aggregate` turns into a Summary.

Plan (one pass over each log):

1. exposures ⋈ arms (the small table of analysed (experiment, variant) pairs:
   ``exp`` numbers the experiment, ``vi`` the variant within it) → per
   (experiment, unit): first exposure time, variant of the first exposure,
   whether the unit saw more than one variant, and the segment values at the
   first exposure (:func:`abtest.data.first_exposure.assign`).
2. goal events ⋈ goal events (event → code and the metric codes of its goals,
   side by side as "slots"); the single-variant units of step 1 ⋈ those events
   on unit_id; the joined rows after every window of their event's goals count for
   nothing and are dropped (:func:`abtest.data.slots.drop_idle_rows`) → per (exp, vi,
   event, unit): per goal, converted in window (0/1), in-window value and the flags.
   A capped value goal's cap is computed from those per-unit values and each value
   cut at it before the sums (:mod:`abtest.data.capping`).
3. Sum per (exp, vi, event[, segment][, day]), then one row per goal (metric);
   count units per (exp, vi) from step 1. Both parts are stacked (``part`` =
   "units" | "multi" | "metric") into one result. Which variants are configured
   (known) is applied to that small result, not here.

On DuckDB step 1 packs the first exposure into one integer
(:class:`abtest.data.clock.Clock`, :func:`abtest.data.first_exposure.assign`): times
are microseconds since 1970 and ``min(time · 2^bits + vi)`` gives the first time and
its variant in one aggregate, where other engines take ``min(time)``, ``min(vi)``,
``max(vi)`` and look back at the exposures of the multi-variant units for their first
variant.

Costs (DuckDB on 4 threads, 10M units, ~30M exposure rows, ~4M goal events; see
docs/data.md "Performance"): the grouping of step 1 (exposure rows into ~20M
(experiment, unit) groups) is about half of the query, the join and per-unit
grouping of step 2 most of the rest. The join hashes the smaller side, usually the
events (a fifth as many rows as the units of step 1 there; see ``QueryPlan.hash_events``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from abtest.data import capping, first_exposure, order_stats
from abtest.data import clock as times
from abtest.data import slots as slots_mod

STATS_COLUMNS = [
    "n", "multi", "sum_x", "sum_x_sq",
    "conv", "vsum", "vsq", "before", "negative", "null_value", "sum_xy", "capped", "cap",
    "qv", "qlo", "qhi",
]  # fmt: skip
_FLOATS = {"sum_x", "sum_x_sq", "vsum", "vsq", "sum_xy", "cap", "qv", "qlo", "qhi"}

#: The most variant bits :func:`abtest.data.first_exposure.assign` packs beside a
#: DuckDB time (256 variants per experiment; more, or times too far from 1970 for the
#: bits, take the portable path).
MAX_PACKED_BITS = 8


@dataclass(frozen=True)
class QueryPlan:
    """What the query needs besides the tables (all plain values)."""

    segments: tuple[str, ...]
    daily: bool
    bits: int  # every variant index vi < 2**bits
    events: tuple[tuple[str, tuple[int, ...]], ...]  # goal event -> its goals' metric codes
    value_columns: dict[int, str]  # metric code -> value column (value goals)
    windows: dict[int, timedelta | None]  # metric code -> attribution window
    start: datetime | None
    end: datetime | None  # exposures before this
    conversions_end: datetime | None  # events before this (as_of)
    analysis_end: datetime | None  # bound of the goals whose window is None
    covariate: bool
    packed: bool = False  # DuckDB: first exposure packed with its variant
    engine: str = "duckdb"  # the connection's backend (DataFrames become memtables that
    # name Ibis' default backend, not the connection the query runs on)
    hash_events: bool = True  # the events are the hash-table side of their join (fewer)
    caps: dict[int, Any] = field(default_factory=dict)  # metric code -> model.Capping
    quantiles: dict[int, Any] = field(default_factory=dict)  # metric code -> model.Quantile
    unknown_arms: tuple[tuple[int, int], ...] = ()  # (exp, vi) of variants not configured

    @property
    def packs_flags(self) -> bool:
        """Whether the per-unit 0/1 flags are one ``bit_or`` (DuckDB; :mod:`slots`)."""
        return self.engine == "duckdb"

    @property
    def n_slots(self) -> int:
        """The most goals on one event (goal slots per conversion row)."""
        return max((len(ms) for _, ms in self.events), default=0)


def build(exposures: Any, conversions: Any, arms: Any, covariate: Any, plan: QueryPlan) -> Any:
    """The Ibis expression of the whole aggregation (see the module docstring)."""
    import ibis

    backend = plan.engine
    clock = times.Clock(plan.packed, backend)

    # 1. assignment per (experiment, unit) -----------------------------------------------
    e = exposures.filter(exposures.unit_id.notnull(), exposures.timestamp.notnull())
    if plan.start is not None:
        e = e.filter(times.since(e.timestamp, plan.start, backend))
    if plan.end is not None:
        e = e.filter(times.before(e.timestamp, plan.end, backend))
    arms = first_exposure.packed_arms(arms, plan) if plan.packed else arms
    e = e.join(arms, ["experiment", "variant"])
    a, multi = first_exposure.assign(e, plan, clock, backend)
    if plan.daily:
        a = a.mutate(day=clock.date(a.first))
    if plan.covariate:
        # one projection over the join (a shallow query: SQLite's parser has a small stack)
        cols = a.columns
        a = a.left_join(covariate, _covariate_keys(covariate))
        a = a.select(*cols, x=a.x.fill_null(0.0))
    keys = [*plan.segments, *(["day"] if plan.daily else [])]

    one = ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")
    single = ibis.cases((a.multi, zero), else_=one)
    units = a.group_by(["exp", "vi", *keys]).aggregate(
        n=single.sum(),
        **({"multi": (one - single).sum()} if multi is None else {}),
        **(
            {
                "sum_x": ibis.cases((a.multi, 0.0), else_=a.x).sum(),
                "sum_x_sq": ibis.cases((a.multi, 0.0), else_=a.x * a.x).sum(),
            }
            if plan.covariate
            else {}
        ),
    )

    # 2. goal events of single-variant units ------------------------------------------------
    kept = a.filter(~a.multi).select(
        "exp", "vi", "unit_id", "first", *keys, *(["x"] if plan.covariate else [])
    )
    c = conversions.filter(conversions.unit_id.notnull(), conversions.timestamp.notnull())
    if plan.conversions_end is not None:
        c = c.filter(times.before(c.timestamp, plan.conversions_end, backend))
    goals = slots_mod.goals_table(plan)
    c = c.join(goals, "event")
    slots = [slots_mod.Slot(i, plan) for i in range(plan.n_slots)]
    c = c.select(
        "unit_id",
        "ev",
        t=clock.of(c.timestamp),
        **{sl.m: c[sl.m] for sl in slots},
        **{sl.val: slots_mod.value(c, c[sl.m], plan) for sl in slots if sl.values},
    )
    # the smaller side on the right: summarize runs the query with DuckDB building hash
    # tables from the right side (sources.joins_as_written)
    j = kept.join(c, "unit_id") if plan.hash_events else c.join(kept, "unit_id")
    j, windows = slots_mod.drop_idle_rows(j, slots, plan, clock)
    after = j.t >= j.first
    unit_keys = ["exp", "vi", "ev", "unit_id", *plan.segments]
    if not plan.daily:
        u = j.group_by(unit_keys).aggregate(
            **slots_mod.unit_aggs(j, after, windows, slots, packed=plan.packs_flags),
            **({"x": j.x.max()} if plan.covariate else {}),
        )
        u = slots_mod.unpack(u, slots, packed=plan.packs_flags)
        if plan.caps:  # the caps from the per-unit values, then each value capped
            u = capping.attach(u, capping.thresholds(u, units, plan), plan)
        sums = {"before": u.before.sum()}
        for sl in slots:
            sums[sl.conv] = u[sl.conv].sum()
            v = None
            if sl.values:
                v = u[sl.v]
                cap = capping.slot_cap(u, sl.i, plan)
                if cap is not None:
                    sums |= {sl.capped: capping.cut(v, cap).sum(), sl.cap: cap.max()}
                    v = capping.least(v, cap)
                sums |= {
                    sl.vsum: v.sum(),
                    sl.vsq: (v * v).sum(),
                    sl.negative: u[sl.negative].sum(),
                    sl.null_value: u[sl.null_value].sum(),
                }
            if plan.covariate:
                sums[sl.sum_xy] = (u.x * sl.y(u.ev, u[sl.conv], v)).sum()
        per_event = u.group_by(["exp", "vi", "ev", *keys]).aggregate(**sums)
    else:
        per_event, u = _daily_per_event(j, after, windows, slots, unit_keys, plan, clock, units)
    metric = _unpivot(per_event, slots, plan, keys)
    parts = [("units", units), ("multi", multi), ("metric", metric)]
    if plan.quantiles:  # over the whole period (daily: the last day's), overall, by segment
        parts.append(("quantile", order_stats.per_arm(u, units, plan, [])))
        for s in plan.segments:  # each segment column on its own (others NULL)
            parts.append(("quantile_segment", order_stats.per_arm(u, units, plan, [s])))

    # 3. stack the parts into one result ---------------------------------------------------
    return _stack(parts, keys)


def _unpivot(per_event: Any, slots: list, plan: QueryPlan, keys: list) -> Any:
    """One row per (exp, vi, metric[, segment][, day]) from the per-event slot columns.

    A join with the small (ev, slot, metric) list, not a union per slot: the per-event
    table is then read once (a union would compute it once per slot).
    """
    import ibis
    import pandas as pd

    long = [(ev, i, m) for ev, (_, ms) in enumerate(plan.events) for i, m in enumerate(ms)]
    code = per_event.ev.type()
    slot_of = ibis.memtable(
        pd.DataFrame(
            {
                "ev": pd.array([r[0] for r in long], str(code)),
                "slot": pd.array([r[1] for r in long], str(code)),
                "metric": pd.array([r[2] for r in long], str(code)),
            }
        )
    )
    t = per_event.join(slot_of, "ev")

    def pick(name: str, typ: str) -> Any:
        """Column ``name`` of the row's slot (0 where the slot has none: a binary slot's
        value columns, an uncapped slot's ``capped``)."""
        have = [sl for sl in slots if getattr(sl, name) in t.columns]
        cases = [(t.slot == sl.i, t[getattr(sl, name)]) for sl in have]
        zero = ibis.literal(0, typ)
        return ibis.cases(*cases, else_=zero) if cases else zero

    cols = {"exp": t.exp, "vi": t.vi, "metric": t.metric, **{k: t[k] for k in keys}}
    capped = ("capped", "cap") if plan.caps else ()
    for name in ("conv", "vsum", "vsq", "negative", "null_value", *capped):
        cols[name] = pick(name, "float64" if name in _FLOATS else "int64")
    cols["before"] = t.before
    if plan.covariate:
        cols["sum_xy"] = pick("sum_xy", "float64")
    return t.select(**cols)


def _daily_per_event(
    j: Any,
    after: Any,
    windows: dict,
    slots: list,
    unit_keys: list,
    plan: QueryPlan,
    clock: times.Clock,
    units: Any,
) -> tuple[Any, Any]:
    """Per (exp, vi, event[, segment], conversion day) increments of the cumulative sums,
    and (None unless goals are capped or quantiles) per unit over the whole period each
    slot's conversion and value, what the caps and quantiles are of.

    A unit's value as of day d is the sum of its in-window values on days <= d;
    its contribution to ``sum_sq`` grows on day d by cum_d**2 - cum_{d-1}**2,
    and it counts as converted from the day of its first in-window event. Flags
    (events before exposure, negative or missing values) count once per unit, on
    its first row. A capped goal's cap is computed on the units' values over the
    whole period (:mod:`abtest.data.capping`); its value as of day d is
    min(cum_d, cap), and the unit counts as cut from the day cum_d first exceeds it.
    """
    import ibis

    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    # a unit's in-window events (windows: drop_idle_rows' tests its rows still need)
    tests = [w for w in windows.values() if w is not None]
    any_inw = after & ibis.or_(*tests) if len(tests) == len(windows) else after
    cday = ibis.cases((any_inw, clock.date(j.t)), else_=ibis.null("date"))
    j = j.mutate(cday=cday)
    ud = j.group_by([*unit_keys, "cday"]).aggregate(
        **slots_mod.unit_aggs(j, after, windows, slots, packed=plan.packs_flags),
        **({"x": j.x.max()} if plan.covariate else {}),
    )
    ud = slots_mod.unpack(ud, slots, packed=plan.packs_flags)
    # per unit over the whole period: the values the caps and quantiles are of
    per_unit = None
    if plan.caps or plan.quantiles:
        per_unit = ud.group_by(unit_keys).aggregate(
            **{sl.conv: ud[sl.conv].max() for sl in slots},
            **{sl.v: ud[sl.v].sum() for sl in slots if sl.values},
        )
    if plan.caps:
        ud = capping.attach(ud, capping.thresholds(per_unit, units, plan), plan)
    w = ibis.cumulative_window(group_by=unit_keys, order_by="cday")
    whole = ibis.window(group_by=unit_keys)
    first_row = ibis.row_number().over(ibis.window(group_by=unit_keys, order_by="cday")) == 0
    flags = ["before"]
    for sl in slots:
        if sl.values:
            flags += [sl.negative, sl.null_value]
    new = {k: ibis.cases((first_row, ud[k].max().over(whole)), else_=zero) for k in flags}
    for sl in slots:
        seen = ud[sl.conv].sum().over(w)
        new[f"d{sl.conv}"] = ibis.cases(((ud[sl.conv] == 1) & (seen == 1), one), else_=zero)
        if sl.values:
            cum = ud[sl.v].sum().over(w)
            prev = cum - ud[sl.v]
            cap = capping.slot_cap(ud, sl.i, plan)
            if cap is not None:
                new[sl.cap] = cap
                new[f"d{sl.capped}"] = capping.cut(cum, cap) - capping.cut(prev, cap)
                cum, prev = capping.least(cum, cap), capping.least(prev, cap)
                new[f"d{sl.vsum}"] = cum - prev
            else:
                new[f"d{sl.vsum}"] = ud[sl.v]
            new[f"d{sl.vsq}"] = cum * cum - prev * prev
    ud = ud.mutate(**new)
    sums = {"before": ud.before.sum()}
    for sl in slots:
        sums[sl.conv] = ud[f"d{sl.conv}"].sum()
        if sl.values:
            sums |= {
                sl.vsum: ud[f"d{sl.vsum}"].sum(),
                sl.vsq: ud[f"d{sl.vsq}"].sum(),
                sl.negative: ud[sl.negative].sum(),
                sl.null_value: ud[sl.null_value].sum(),
            }
            if sl.cap in ud.columns:
                sums |= {sl.capped: ud[f"d{sl.capped}"].sum(), sl.cap: ud[sl.cap].max()}
        if plan.covariate:
            y = sl.y(ud.ev, ud[f"d{sl.conv}"], ud[f"d{sl.vsum}"] if sl.values else None)
            sums[sl.sum_xy] = (ud.x * y).sum()
    per_day = ud.group_by(["exp", "vi", "ev", *plan.segments, "cday"]).aggregate(**sums)
    return per_day.rename(day="cday"), per_unit


def _stack(parts: list[tuple[str, Any]], keys: list) -> Any:
    """The named parts (None: left out) as one table: ``part, exp, vi, metric`` (-1 for
    the unit counts), the keys and :data:`STATS_COLUMNS` (0 where a part has none)."""
    import ibis

    def pad(t: Any, part: str) -> Any:
        cols = {
            "part": ibis.literal(part),
            "exp": t.exp.cast("int64"),
            "vi": t.vi.cast("int64"),
            "metric": t.metric.cast("int64")
            if "metric" in t.columns
            else ibis.literal(-1, "int64"),
        }
        for k in keys:
            typ = "date" if k == "day" else "string"
            cols[k] = t[k].cast(typ) if k in t.columns else ibis.null(typ)
        for s in STATS_COLUMNS:
            typ = "float64" if s in _FLOATS else "int64"
            cols[s] = t[s].cast(typ) if s in t.columns else ibis.literal(0, typ)
        return t.select(**cols)

    padded = [pad(t, part) for part, t in parts if t is not None]
    return ibis.union(*padded)


def _covariate_keys(covariate: Any) -> list[str]:
    return ["exp", "unit_id"] if "exp" in covariate.columns else ["unit_id"]
