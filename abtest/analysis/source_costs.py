"""Cost per conversion by traffic source: what a lead and a customer cost from each source,
per variant, when spend is configured per source (``spend.per_source``).

Ad platforms bill a source (or campaign), not a variant; a split test sends each of the
source's visitors to a variant, so each variant used the share of the source's spend
that its units are of the source's units. For source ``s`` with amount ``S_s`` and
``n[s, v]`` exposed units (kept, of the primary goal) in variant ``v``::

    spend[s, v] = S_s * n[s, v] / sum_v' n[s, v']
    spend[v]    = sum_s spend[s, v]                  (the per-variant Costs table's spend)
    cost[g, s, v] = spend[s, v] / conversions[g, s, v] = (S_s / n[s]) / rate[g, s, v]

so within a source the variants' costs differ only by their conversion rates (cost per
lead, CPL, for a lead goal; cost per customer, CAC, for the customer goal). Every
conversion goal is costed, except guardrails whose good direction is down (bounce):
:func:`abtest.analysis.business.costed_goals`, as for the Costs table. The interval is
the Wilson interval of the rate (:func:`abtest.stats.intervals.rate_interval`) carried
to the cost, ``[spend / (n p_high), spend / (n p_low)]``, the spend taken as known. A cell without
conversions has no cost (NaN, "no conversions" in the reports) and no interval. Sources
in the data without an amount get NaN spend and cost; amounts for sources the data does
not have are left out; both are said in :attr:`SourceCosts.notes`.

The per-variant Costs table (:func:`abtest.analysis.business.cost_table`) then divides
``spend[v]`` by the conversions (and, for ROI, the value) of the sources with an amount
only (:attr:`SourceCosts.paid`): the units of a source without one were not paid for by
that spend, and counting their conversions would make every conversion look cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from abtest import formatting as fmt
from abtest.analysis.business import cost_per_conversion, costed_goals
from abtest.analysis.metrics import MetricSums
from abtest.data.summary import Summary
from abtest.design import Design, source_column
from abtest.stats.sums import Sums

COLUMNS = ("segment", "source", "metric", "variant", "units", "spend", "conversions",
           "cost", "cost_low", "cost_high")  # fmt: skip


@dataclass(frozen=True)
class SourceCosts:
    """``table`` (:data:`COLUMNS`, one row per goal, source and variant; None when the
    data has no source column), ``spend_per_variant`` (in the design's variant order,
    None without a table), ``notes`` (what was left out, and the sharing) and ``paid``:
    the binary and value goals' sums per variant over the units of the sources with an
    amount, what that spend bought (None when every source in the data has one)."""

    table: pd.DataFrame | None
    spend_per_variant: dict[str, float] | None
    notes: tuple[str, ...] = ()
    paid: dict[str, MetricSums] | None = None


def source_costs(design: Design, summary: Summary) -> SourceCosts:
    """Cost per conversion per (goal, source, variant) from ``design.spend_per_source``
    and the Summary's source column (see the module docstring for the formulas).

    Examples
    --------
    Google: 1,200 spent on 600 + 400 units; 30 and 10 leads. The control got
    600/1000 of the units, so 720 of the spend: 720 / 30 = 24.00 per lead.

    >>> from abtest.design import MetricSpec
    >>> frame = pd.DataFrame({"experiment": "e", "variant": ["a", "b"], "metric": "lead",
    ...     "kind": "binary", "source": "google", "n": [600, 400], "sum": [30.0, 10.0],
    ...     "sum_sq": [30.0, 10.0]})
    >>> d = Design(experiment="e", variants=("a", "b"), metrics=(MetricSpec("lead"),),
    ...            spend_per_source={"google": 1200.0})
    >>> c = source_costs(d, Summary(frame, segments=["source"]))
    >>> c.table[["variant", "spend", "cost"]].values.tolist()
    [['a', 720.0, 24.0], ['b', 480.0, 48.0]]
    """
    amounts = design.spend_per_source or {}
    column = source_column(summary.segments, design.source_column)
    if column is None:
        return SourceCosts(None, None, (_no_column(design, summary.segments),))
    f = summary.latest(design.experiment)
    variants = list(design.variants or ())
    binary = set(f.loc[f["kind"] == "binary", "metric"])
    goals = [g for g in costed_goals(design) if g in binary]
    f = f.assign(**{column: f[column].astype(str)})
    stats = ["n", "sum", "sum_sq"]
    cells = f.groupby(["metric", column, "variant"], observed=True)[stats].sum()
    in_data = sorted(set(f[column]), key=str)
    sources = [s for s in amounts if s in in_data] + [s for s in in_data if s not in amounts]
    notes = _notes(amounts, in_data, column)

    # (goal, source, variant) cubes of units and conversions, the primary goal first
    wanted = list(dict.fromkeys([str(design.primary), *goals]))
    index = pd.MultiIndex.from_product([wanted, sources, variants])
    shape = (len(wanted), len(sources), len(variants))
    cube = cells.reindex(index, fill_value=0)
    n, conversions = (cube[c].to_numpy(float).reshape(shape) for c in ("n", "sum"))
    units = n[0]
    total = units.sum(axis=1, keepdims=True)
    budget = np.array([amounts.get(s, np.nan) for s in sources], dtype=float)[:, None]
    spend = budget * np.divide(units, total, out=np.zeros_like(units), where=total > 0)
    at = {g: k for k, g in enumerate(wanted)}
    parts = [_goal_rows(n[at[g]], conversions[at[g]], spend, design.alpha) for g in goals]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS[4:])
    cells_per_goal = len(sources) * len(variants)
    table.insert(0, "variant", np.tile(variants, len(sources) * len(goals)))
    table.insert(0, "metric", np.repeat(goals, cells_per_goal))
    table.insert(0, "source", np.tile(np.repeat(sources, len(variants)), len(goals)))
    table.insert(0, "segment", column)
    per_variant = dict(zip(variants, np.nansum(spend, axis=0).tolist(), strict=True))
    notes.append(_sharing_note(per_variant, design.currency, column))
    paid = _paid_sums(f, cells, amounts, variants) if set(in_data) - set(amounts) else None
    return SourceCosts(table[list(COLUMNS)], per_variant, tuple(notes), paid)


def _paid_sums(
    f: pd.DataFrame, cells: pd.DataFrame, amounts: dict[str, float], variants: list[str]
) -> dict[str, MetricSums]:
    """Each binary and value goal's ``n, sum, sum_sq`` per variant (0 where a variant has
    no unit from a paid source) over the ``cells`` (metric, source, variant) of the
    sources with an amount."""
    kinds = f[f["kind"].isin(["binary", "value"])].groupby("metric", sort=False)["kind"].first()
    paid = cells[cells.index.get_level_values(1).isin(list(amounts))]
    sums = paid.groupby(level=["metric", "variant"], observed=True).sum()
    sums = sums.reindex(pd.MultiIndex.from_product([kinds.index, variants]), fill_value=0)
    shape = (len(kinds), len(variants))
    n, total, total_sq = (sums[c].to_numpy(float).reshape(shape) for c in ("n", "sum", "sum_sq"))
    return {
        str(m): MetricSums(str(m), str(kind), Sums(n[k], total[k], total_sq[k]))
        for k, (m, kind) in enumerate(kinds.items())
    }


def _goal_rows(
    n: np.ndarray, conversions: np.ndarray, spend: np.ndarray, alpha: float
) -> pd.DataFrame:
    """One goal's numbers, (sources, variants) flattened in that order."""
    n, c, spend = n.ravel(), conversions.ravel(), spend.ravel()
    cost, cost_low, cost_high = cost_per_conversion(spend, n, c, alpha)
    return pd.DataFrame(
        {"units": n.astype(np.int64), "spend": spend,
         "conversions": c.astype(np.int64), "cost": cost, "cost_low": cost_low,
         "cost_high": cost_high}
    )  # fmt: skip


def _notes(amounts: dict[str, float], in_data: list[str], column: str) -> list[str]:
    out = []
    unknown = [s for s in amounts if s not in in_data]
    for s in unknown:
        from abtest.registry.findings import did_you_mean  # only on this rare path

        out.append(
            f"spend.per_source names '{s}', which is not a {column} in the data "
            f"({', '.join(in_data)}); its amount is left out" + did_you_mean(s, in_data)
        )
    unpaid = [s for s in in_data if s not in amounts]
    if unpaid:
        out.append(
            f"no spend for {column} {', '.join(unpaid)} in spend.per_source: no cost is shown "
            "for it, it adds nothing to the spend per variant and its conversions are left "
            "out of the Costs table (write 0 for a free source)"
        )
    return out


def _sharing_note(per_variant: dict[str, float], currency: str, column: str) -> str:
    shares = ", ".join(f"{v} {fmt.money(x, currency)}" for v, x in per_variant.items())
    return (
        f"spend per {column} shared across the variants by their units from each {column}: {shares}"
    )


def _no_column(design: Design, segments: tuple[str, ...]) -> str:
    if not segments:
        return (
            "spend.per_source is configured but the data is not broken down by source: "
            "add data.segments: [source] (or summarize(..., by='source')) for cost by source"
        )
    wanted = design.source_column or "source"
    return (
        f"spend.per_source is configured but the data's segments ({', '.join(segments)}) "
        f"have no '{wanted}'; name the source column with spend.source_column"
    )
