"""The aggregation, written once as an Ibis expression.

The same expression compiles to DuckDB (the in-process default), SQLite,
Postgres, BigQuery, Snowflake, Trino, Spark, ...: it uses only grouping,
joins, ``min``/``max``/``argmin``, ``CASE``, and (for daily statistics) a
cumulative window. It returns one small table (a few rows per experiment,
variant and metric) that :mod:`abtest.data.aggregate` turns into a Summary.

Plan (one pass over each log):

1. exposures ⋈ arms (the small table of analysed (experiment, variant) pairs,
   coded as integers) → per (experiment, unit): first exposure time, lowest
   and highest arm code (equal ⇔ one variant) and the segment values at the
   first exposure. Only for the few units with several variants, a second
   look at their exposures finds the variant of the first one.
2. goal events ⋈ goals (event → metric code) ⋈ the kept units of step 1 on
   unit_id → per (arm, metric, unit): converted in window (0/1), in-window
   value, and the exclusion flags.
3. Sum per (arm, metric[, segment][, day]); count units per arm from step 1.
   Both parts are stacked (``part`` = "units" | "metric") into one result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

STATS_COLUMNS = [
    "n", "multi", "unknown", "sum_x", "sum_x_sq",
    "conv", "vsum", "vsq", "before", "negative", "null_value", "sum_xy",
]  # fmt: skip
_FLOATS = {"sum_x", "sum_x_sq", "vsum", "vsq", "sum_xy"}


@dataclass(frozen=True)
class Plan:
    """What the query needs besides the tables (all plain values)."""

    segments: tuple[str, ...]
    daily: bool
    last_known_arm: int
    value_columns: dict[int, str]  # metric code -> value column (value goals)
    windows: dict[int, timedelta | None]  # metric code -> attribution window
    start: datetime | None
    end: datetime | None  # exposures before this
    conversions_end: datetime | None  # events before this (as_of)
    analysis_end: datetime | None  # bound of the goals whose window is None
    covariate: bool


def build(
    exposures: Any, conversions: Any, arms: Any, goals: Any, covariate: Any, plan: Plan
) -> Any:
    """The Ibis expression of the whole aggregation (see the module docstring)."""
    import ibis

    backend = exposures.get_backend().name if _bound(exposures) else "duckdb"

    # 1. assignment per (experiment, unit) -----------------------------------------------
    e = exposures.filter(exposures.unit_id.notnull(), exposures.timestamp.notnull())
    if plan.start is not None:
        e = e.filter(e.timestamp >= ibis.timestamp(plan.start))
    if plan.end is not None:
        e = e.filter(e.timestamp < ibis.timestamp(plan.end))
    e = e.join(arms, ["experiment", "variant"])
    seg_aggs = {s: _argmin(e[s].cast("string"), e.timestamp, backend) for s in plan.segments}
    a = e.group_by(["exp", "unit_id"]).aggregate(
        first_ts=e.timestamp.min(),
        lo=e.arm.min(),
        hi=e.arm.max(),
        **seg_aggs,
    )
    if plan.segments:
        a = a.mutate(**{s: a[s].fill_null("(missing)") for s in plan.segments})
    if plan.daily:
        a = a.mutate(day=a.first_ts.date())
    if plan.covariate:
        a = a.left_join(covariate, _covariate_keys(covariate)).drop(
            *[c for c in ("unit_id_right", "exp_right") if c in _columns(a, covariate)]
        )
        a = a.mutate(x=a.x.fill_null(0.0))
    kept_flag = (a.lo == a.hi) & (a.lo <= plan.last_known_arm)
    keys = [*plan.segments, *(["day"] if plan.daily else [])]

    one = ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")
    single = a.filter(a.lo == a.hi)
    units = (
        single.group_by(["lo", *keys])
        .aggregate(
            n=ibis.cases((single.lo <= plan.last_known_arm, one), else_=zero).sum(),
            unknown=ibis.cases((single.lo > plan.last_known_arm, one), else_=zero).sum(),
            **(
                {
                    "sum_x": single.x.sum(),
                    "sum_x_sq": (single.x * single.x).sum(),
                }
                if plan.covariate
                else {}
            ),
        )
        .rename(arm="lo")
    )
    # units seen in several variants (few): the variant of their first exposure, found by
    # going back to their exposures only (cheaper than an argmin over every unit)
    several = a.filter(a.lo != a.hi).select("exp", "unit_id")
    back = e.semi_join(several.select("unit_id"), "unit_id").join(several, ["exp", "unit_id"])
    first = back.group_by(["exp", "unit_id"]).aggregate(
        arm=_argmin(back.arm, back.timestamp, backend)
    )
    multi = first.group_by("arm").aggregate(multi=first.count())

    # 2. goal events of kept units ----------------------------------------------------------
    kept = a.filter(kept_flag).select(
        "unit_id", "first_ts", *keys, *(["x"] if plan.covariate else []), arm=a.lo
    )
    c = conversions.filter(conversions.unit_id.notnull(), conversions.timestamp.notnull())
    if plan.conversions_end is not None:
        c = c.filter(c.timestamp < ibis.timestamp(plan.conversions_end))
    c = c.join(goals, "event")
    value = _value(c, plan)
    c = c.select("unit_id", "metric", "timestamp", val=value)
    j = c.join(kept, "unit_id")
    after = j.timestamp >= j.first_ts
    inw = after & _in_window(j, plan, backend)
    is_value = (
        j.metric.isin(list(plan.value_columns)) if plan.value_columns else ibis.literal(False)
    )
    good = inw & j.val.notnull() & (j.val >= 0)
    flags = {
        "before": ibis.cases((~after, one), else_=zero).max(),
        "negative": ibis.cases((inw & (j.val < 0), one), else_=zero).max(),
        "null_value": ibis.cases((inw & is_value & j.val.isnull(), one), else_=zero).max(),
    }
    unit_keys = ["arm", "metric", "unit_id", *plan.segments]
    if not plan.daily:
        u = j.group_by(unit_keys).aggregate(
            conv=ibis.cases((inw, one), else_=zero).max(),
            v=ibis.cases((good, j.val), else_=0.0).sum(),
            **flags,
            **({"x": j.x.max()} if plan.covariate else {}),
        )
        y = (
            ibis.cases((u.metric.isin(list(plan.value_columns)), u.v), else_=u.conv.cast("float64"))
            if plan.value_columns
            else u.conv.cast("float64")
        )
        metric = u.group_by(["arm", "metric", *keys]).aggregate(
            conv=u.conv.sum(),
            vsum=u.v.sum(),
            vsq=(u.v * u.v).sum(),
            before=u.before.sum(),
            negative=u.negative.sum(),
            null_value=u.null_value.sum(),
            **({"sum_xy": (u.x * y).sum()} if plan.covariate else {}),
        )
    else:
        metric = _daily_metric(j, inw, good, flags, unit_keys, plan)

    # 3. stack both parts into one result --------------------------------------------------
    return _stack(units, multi, metric, keys)


def _daily_metric(j: Any, inw: Any, good: Any, flags: dict, unit_keys: list, plan: Plan) -> Any:
    """Per (arm, metric[, segment], conversion day) increments of the cumulative sums.

    A unit's value as of day d is the sum of its in-window values on days <= d;
    its contribution to ``sum_sq`` grows on day d by cum_d**2 - cum_{d-1}**2,
    and it counts as converted from the day of its first in-window event.
    """
    import ibis

    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    cday = ibis.cases((inw, j.timestamp.date()), else_=ibis.null("date"))
    ud = (
        j.mutate(cday=cday)
        .group_by([*unit_keys, "cday"])
        .aggregate(
            c=ibis.cases((inw, one), else_=zero).max(),
            v=ibis.cases((good, j.val), else_=0.0).sum(),
            **flags,
            **({"x": j.x.max()} if plan.covariate else {}),
        )
    )
    w = ibis.cumulative_window(group_by=unit_keys, order_by="cday")
    whole = ibis.window(group_by=unit_keys)
    cum = ud.v.sum().over(w)
    seen = ud.c.sum().over(w)
    first_row = ibis.row_number().over(ibis.window(group_by=unit_keys, order_by="cday")) == 0
    ud = ud.mutate(
        dsq=cum * cum - (cum - ud.v) * (cum - ud.v),
        dconv=ibis.cases(((ud.c == 1) & (seen == 1), one), else_=zero),
        **{
            k: ibis.cases((first_row, ud[k].max().over(whole)), else_=zero)
            for k in ("before", "negative", "null_value")
        },
    )
    y = (
        ibis.cases((ud.metric.isin(list(plan.value_columns)), ud.v), else_=ud.dconv.cast("float64"))
        if plan.value_columns
        else ud.dconv.cast("float64")
    )
    return (
        ud.group_by(["arm", "metric", *plan.segments, "cday"])
        .aggregate(
            conv=ud.dconv.sum(),
            vsum=ud.v.sum(),
            vsq=ud.dsq.sum(),
            before=ud.before.sum(),
            negative=ud.negative.sum(),
            null_value=ud.null_value.sum(),
            **({"sum_xy": (ud.x * y).sum()} if plan.covariate else {}),
        )
        .rename(day="cday")
    )


def _stack(units: Any, multi: Any, metric: Any, keys: list) -> Any:
    import ibis

    def pad(t: Any, part: str) -> Any:
        cols = {
            "part": ibis.literal(part),
            "arm": t.arm.cast("int64"),
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

    return pad(units, "units").union(pad(multi, "multi")).union(pad(metric, "metric"))


def _value(c: Any, plan: Plan) -> Any:
    import ibis

    if not plan.value_columns:
        return ibis.null("float64")
    cases = [(c.metric == code, c[col].cast("float64")) for code, col in plan.value_columns.items()]
    return ibis.cases(*cases, else_=ibis.null("float64"))


def _in_window(j: Any, plan: Plan, backend: str) -> Any:
    """``timestamp < first_ts + window`` per metric (None: before the analysis end)."""
    import ibis

    by_window: dict[timedelta | None, list[int]] = {}
    for code, w in plan.windows.items():
        by_window.setdefault(w, []).append(code)
    conds = []
    for w, codes in by_window.items():
        if w is None:
            cond = (
                ibis.literal(True)
                if plan.analysis_end is None
                else j.timestamp < ibis.timestamp(plan.analysis_end)
            )
        elif backend == "sqlite":
            # this SQLite build cannot add intervals: compare julian days (ms precision)
            jd = _julianday(j.timestamp) - _julianday(j.first_ts)
            cond = jd < w.total_seconds() / 86400.0
        else:
            cond = j.timestamp < j.first_ts + ibis.interval(seconds=int(w.total_seconds()))
            if w.total_seconds() != int(w.total_seconds()):
                raise ValueError(f"window {w}: give whole seconds")
        conds.append((j.metric.isin(codes), cond))
    if len(conds) == 1:
        return conds[0][1]
    return ibis.cases(*conds, else_=ibis.literal(False))


def _argmin(col: Any, key: Any, backend: str) -> Any:
    """``col`` at the row of the smallest ``key``: DuckDB's ``arg_min`` (Ibis would
    otherwise compile an ordered ``FIRST``, which sorts every group)."""
    import ibis

    if backend != "duckdb":
        return col.argmin(key)

    def arg_min(arg, key):  # pragma: no cover - compiled to SQL, never called
        ...

    fn = ibis.udf.agg.builtin(
        arg_min, name="arg_min", signature=((col.type(), key.type()), col.type())
    )
    return fn(col, key)


def _julianday(col: Any) -> Any:
    import ibis

    @ibis.udf.scalar.builtin(name="julianday")
    def julianday(x: str) -> float:  # pragma: no cover - compiled to SQL, never called
        ...

    return julianday(col.cast("string"))


def _covariate_keys(covariate: Any) -> list[str]:
    return ["exp", "unit_id"] if "exp" in covariate.columns else ["unit_id"]


def _columns(a: Any, b: Any) -> set[str]:
    return set(a.columns) | set(b.columns) | {f"{c}_right" for c in b.columns}


def _bound(t: Any) -> bool:
    try:
        t.get_backend()
    except Exception:
        return False
    return True
