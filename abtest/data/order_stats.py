"""The order statistics of quantile goals, inside the aggregation query.

A quantile goal (``statistic: {quantile: q}``) is tested on four numbers per variant
(:func:`abtest.stats.quantile_test_from_order_stats`): the population size ``N``, the
sample ``q``-quantile and the values at the ranks ``L`` and ``U`` of
:func:`abtest.stats.order_stat_ranks`. They are computed here, per (experiment,
variant[, segments]), from the query's per-unit values (each unit's in-window values of
the goal summed, as for a value goal), so the unit rows never leave the engine.

On the ``N`` sorted values ``x[0] <= ... <= x[N-1]`` (0-based ranks):

* the quantile is R's ``quantile(type = 7)`` / numpy's default / DuckDB's
  ``quantile_cont`` (Hyndman & Fan 1996, definition 7): with ``h = (N - 1) q`` and
  ``j = floor(h)``, ``x[j] + (h - j) (x[j + 1] - x[j])``;
* ``L, U = round(N q -+ 1.96 sqrt(N q (1 - q)))`` clipped to ``[1, N]`` (1-based, as
  :func:`abtest.stats.order_stat_ranks`; ``round`` is ``floor(x + 0.5)``), read at the
  0-based ranks ``L - 1`` and ``U - 1``.

The population is the converters (units with an in-window event of the goal; ``N`` is
their number) or every analysed unit (``among: units``). For the latter the units
without a positive value are not ranked: as in :mod:`abtest.data.capping`, with ``m``
positive values the sorted values are ``N - m`` zeros and then the ranked positive
values, so rank ``k`` is 0 below ``N - m`` and the positive value of rank
``k - (N - m)`` from there. Counts, ``row_number``, ``floor`` and ``sqrt`` only: the
same expression runs on DuckDB, SQLite and Spark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abtest.data import slots

if TYPE_CHECKING:
    from abtest.data.query import QueryPlan

# the normal 1 - RANK_ALPHA / 2 quantile of abtest.stats.quantiles the ranks are spaced
# by (written out: the query does not import scipy); tests/data/test_order_stats.py
# checks that the ranks equal abtest.stats.order_stat_ranks'
RANK_Z = 1.959963984540054

COLUMNS = ("n", "qv", "qlo", "qhi")  # N, the quantile, the values at ranks L and U


def per_arm(per_unit: Any, units: Any, plan: QueryPlan, by: list[str]) -> Any:
    """``exp, vi, metric, *by, n, qv, qlo, qhi``: one row per (experiment, variant,
    quantile goal[, by]) with analysed units (module docstring).

    ``per_unit``: one row per (exp, vi, ev, unit[, segments]) with each slot's
    in-window value ``v{i}`` and conversion ``conv{i}``; ``units``: the analysed units
    per (exp, vi[, segments][, day]) in ``n``.
    """
    import ibis
    import pandas as pd

    loc = slots.locate(plan, plan.quantiles)
    codes = sorted(plan.quantiles)
    keys = ["exp", "vi", *by]
    nn = units.group_by(keys).aggregate(nn=units.n.sum())
    nn = nn.select(*by, exp=nn.exp.cast("int64"), vi=nn.vi.cast("int64"), nn=nn.nn)
    spec = ibis.memtable(
        pd.DataFrame(
            {
                "metric": pd.array(codes, "int64"),
                "p": [plan.quantiles[m].q for m in codes],
                "conv_only": pd.array(
                    [int(plan.quantiles[m].among == "converters") for m in codes], "int64"
                ),
            }
        ).astype({"p": "float64"})
    )
    base = nn.cross_join(spec)

    def population(m: int) -> Any:
        ev, i = loc[m]
        t = per_unit.filter(per_unit.ev == ev)
        if plan.quantiles[m].among == "converters":
            t = t.filter(t[f"conv{i}"] == 1)
        else:  # the zeros are implicit (module docstring)
            t = t.filter(t[f"v{i}"] > 0)
        return t.select(
            *by,
            exp=t.exp.cast("int64"),
            vi=t.vi.cast("int64"),
            metric=ibis.literal(m, "int64"),
            y=t[f"v{i}"].cast("float64"),
        )

    pos = ibis.union(*(population(m) for m in codes))
    group = ibis.window(group_by=[*keys, "metric"])
    ranked = pos.select(
        *keys,
        "metric",
        "y",
        r=ibis.row_number().over(ibis.window(group_by=[*keys, "metric"], order_by="y")),
        m=pos.y.count().over(group),
    )
    t = base.left_join(ranked, [*keys, "metric"])
    m = t.m.fill_null(0)
    size = ibis.cases((t.conv_only == 1, m), else_=t.nn)  # N
    h = (size - 1).cast("float64") * t.p
    j = h.floor().cast("int64")
    center = size.cast("float64") * t.p
    half = RANK_Z * (center * (1.0 - t.p)).sqrt()

    def rank(x: Any) -> Any:  # 1-based round(x) clipped to [1, N], as a 0-based rank
        r = (x + 0.5).floor().cast("int64")
        return ibis.cases((r < 1, 1), (r > size, size), else_=r) - 1

    k = t.r + (size - m)  # the 0-based rank among all N values (the zeros first)
    nothing = ibis.null("float64")

    def at(target: Any) -> Any:
        return ibis.cases((k == target, t.y), else_=nothing).max()

    g = t.group_by([*keys, "metric"]).aggregate(
        n=size.max(),
        h=h.max(),
        j=j.max(),
        x_j=at(j),
        x_j1=at(j + 1),
        x_lo=at(rank(center - half)),
        x_hi=at(rank(center + half)),
    )
    # no row at a rank: a zero (below N - m) or, for rank j + 1 = N, past the end (where
    # h - j = 0); a population without units has no quantile (NULL)
    empty = g.n == 0

    def value(x: Any) -> Any:
        return ibis.cases((empty, nothing), else_=x.fill_null(0.0))

    x_j = value(g.x_j)
    x_j1 = ibis.cases((empty, nothing), else_=g.x_j1.coalesce(x_j))
    return g.select(
        *keys,
        "metric",
        n=g.n,
        qv=x_j + (g.h - g.j) * (x_j1 - x_j),
        qlo=value(g.x_lo),
        qhi=value(g.x_hi),
    )
