"""Capping (winsorization) of value goals, inside the aggregation query.

A capped goal's per-unit in-window value ``y`` becomes ``min(y, cap)`` before it
enters ``sum``, ``sum_sq`` (and the CUPED ``sum_xy``); ``capped`` counts the units
with ``y > cap``. The cap is fixed (``{"value": 1000}``) or a percentile
(``{"percentile": 0.99}``) of the per-unit values over the experiment's analysed
units: the single-variant units of every configured variant, all segments, the
whole analysis period (with ``daily=True`` too: one cap for every day, so the last
day equals the totals and a unit's capped value only grows with the days).

The percentile is the linear interpolation of R's ``quantile(type = 7)``, numpy's
default ``np.quantile`` and DuckDB's ``quantile_cont`` (Hyndman & Fan 1996,
"Sample quantiles in statistical packages", definition 7): on the N sorted values
x[0] <= ... <= x[N-1] (0-based), with h = (N - 1) p,

    cap = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).

It is written with counts and ``row_number`` only, so that it runs on engines
without a quantile function (SQLite) as on DuckDB and Spark. The units without a
positive value (no in-window event, or a value of 0) are not rows of the per-unit
table: with N analysed units of which m have a positive value, the sorted values
are N - m zeros then the m positive values in order, so rank k is 0 below N - m
and the positive value of rank k - (N - m) from there. Only the positive values are
ranked (a window sort over the m rows), and only two ranks are read.
``ignore_zeros`` takes N = m (the percentile of the positive values).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abtest.data import slots

if TYPE_CHECKING:
    from abtest.data.query import QueryPlan


def thresholds(per_unit: Any, units: Any, plan: QueryPlan) -> Any:
    """``exp, metric, cap``: one row per (experiment with analysed units, capped goal).

    ``per_unit``: one row per (exp, vi, ev, unit) with each slot's in-window value
    ``v{i}`` (units without an event have no row: they count as zeros);
    ``units``: the analysed units per (exp, vi, ...) in ``n``. Units of variants that
    are not configured (``plan.unknown_arms``) are left out of both. Written with few
    nested selects: SQLite's parser has a small stack.
    """
    import ibis
    import pandas as pd

    loc = slots.locate(plan, plan.caps)
    codes = sorted(plan.caps)
    per_unit, units = _known(per_unit, plan), _known(units, plan)
    total = units.group_by("exp").aggregate(nn=units.n.sum())
    total = total.select(exp=total.exp.cast("int64"), nn=total.nn)
    spec = ibis.memtable(
        pd.DataFrame(
            {
                "metric": pd.array(codes, "int64"),
                "p": [plan.caps[m].percentile for m in codes],
                "fixed": [plan.caps[m].value for m in codes],
                "iz": pd.array([int(plan.caps[m].ignore_zeros) for m in codes], "int64"),
            }
        ).astype({"p": "float64", "fixed": "float64"})
    )
    base = total.cross_join(spec)
    pct = [m for m in codes if plan.caps[m].percentile is not None]
    if not pct:
        return base.select("exp", "metric", cap=base.fixed)
    # the positive per-unit values of each percentile-capped goal, ranked within
    # (exp, goal), with their number m
    pos = ibis.union(
        *(
            per_unit.filter(per_unit.ev == loc[m][0], per_unit[f"v{loc[m][1]}"] > 0).select(
                exp=per_unit.exp.cast("int64"),
                metric=ibis.literal(m, "int64"),
                y=per_unit[f"v{loc[m][1]}"],
            )
            for m in pct
        )
    )
    by = ibis.window(group_by=["exp", "metric"])
    ranked = pos.select(
        "exp",
        "metric",
        "y",
        r=ibis.row_number().over(ibis.window(group_by=["exp", "metric"], order_by="y")),
        m=pos.y.count().over(by),
    )
    t = base.left_join(ranked, ["exp", "metric"])
    m = t.m.fill_null(0)
    size = ibis.cases((t.iz == 1, m), else_=t.nn)  # N: the values the quantile is of
    h = (size - 1).cast("float64") * t.p
    lo = h.floor().cast("int64")
    k = t.r + (size - m)  # the rank among all N values (the zeros first)
    nothing = ibis.null("float64")
    g = t.group_by(["exp", "metric"]).aggregate(
        fixed=t.fixed.max(),
        size=size.max(),
        h=h.max(),
        lo=lo.max(),
        x_lo=ibis.cases((k == lo, t.y), else_=nothing).max(),
        x_hi=ibis.cases((k == lo + 1, t.y), else_=nothing).max(),
    )
    # no row at rank lo: a zero (lo < N - m); none at lo + 1: a zero too, or past the end
    # (lo = N - 1, where h - lo = 0)
    x_lo = g.x_lo.fill_null(0.0)
    x_hi = g.x_hi.coalesce(x_lo)
    interpolated = x_lo + (g.h - g.lo) * (x_hi - x_lo)
    cap = ibis.cases(
        (g.fixed.notnull(), g.fixed), (g.size > 0, interpolated), else_=ibis.null("float64")
    )
    return g.select("exp", "metric", cap=cap)


def attach(t: Any, caps: Any, plan: QueryPlan) -> Any:
    """``t`` (rows with ``exp`` and ``ev``) joined to the caps of its experiment: a column
    ``cap_m{code}`` per capped goal (the small cap tables are the hashed side)."""
    for m in sorted(plan.caps):
        one = caps.filter(caps.metric == m)
        one = one.select(**{f"exp_m{m}": one.exp, f"cap_m{m}": one.cap})
        t = t.left_join(one, t.exp.cast("int64") == one[f"exp_m{m}"])
    return t


def slot_cap(t: Any, i: int, plan: QueryPlan) -> Any:
    """The cap of slot ``i``'s goal on each row of ``t`` (after :func:`attach`): that of
    the capped goal of the row's event in this slot, else NULL; None when no goal of
    slot ``i`` is capped."""
    import ibis

    here = slots.locate(plan, plan.caps).items()
    cases = [(t.ev == ev, t[f"cap_m{m}"]) for m, (ev, slot) in here if slot == i]
    if not cases:
        return None
    return ibis.cases(*cases, else_=ibis.null("float64"))


def least(y: Any, cap: Any) -> Any:
    """``min(y, cap)``, ``y`` where the cap is NULL (a CASE: portable to SQLite)."""
    import ibis

    return ibis.cases((cap.notnull() & (y > cap), cap), else_=y)


def cut(y: Any, cap: Any) -> Any:
    """1 where ``y > cap`` (the unit's value was cut), else 0 (NULL cap: 0)."""
    import ibis

    return ibis.cases((cap.notnull() & (y > cap), ibis.literal(1, "int64")), else_=0)


def _known(t: Any, plan: QueryPlan) -> Any:
    """The rows of configured variants only (``plan.unknown_arms`` left out)."""
    if not plan.unknown_arms:
        return t
    import ibis

    out = ibis.and_(*(~((t.exp == e) & (t.vi == v)) for e, v in plan.unknown_arms))
    return t.filter(out)
