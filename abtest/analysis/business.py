"""Funnel and cost views: where each variant loses people, and what a lead or a customer costs.

Intervals for cost per conversion come from the Wilson interval of the
conversion rate (:func:`abtest.stats.intervals.rate_interval`):
``CPL = spend / (n p)``, so its interval is ``spend / (n p_high), spend / (n p_low)``.
ROI ``= (revenue - spend) / spend`` takes its interval from the t interval of
revenue per unit (``revenue = n * mean``), its lower end at most to 0 revenue: revenue
is not negative, so an ROI is never below -100% (2 sales of $1,000 among 5,000 units on
$3,000 showed [-125.7%, +59.1%], a revenue of -$772).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abtest.analysis.metrics import MetricSums
from abtest.design import Design
from abtest.stats.intervals import mean_interval, rate_interval
from abtest.stats.means import mean_var_from_sums


def funnel_table(design: Design, data: dict[str, MetricSums]) -> pd.DataFrame | None:
    """Units reaching each funnel step per variant, with step-to-step conversion.

    The first step may be the exposure itself (e.g. ``visitor``): its count is
    the variant's exposed units. Steps without data, and value or quantile goals (a
    sum of values is no count of units), are skipped and named with why in the
    ``missing`` attribute of the frame (the analysis notes show it).
    """
    if not design.funnel:
        return None
    any_metric = next(iter(data.values()))
    rows, missing = [], []
    previous: np.ndarray | None = None
    for i, step in enumerate(design.funnel):
        if step in data and data[step].kind != "binary":  # (a quantile goal's kind too)
            missing.append(f"{step} (a value goal: the funnel counts units)")
            continue
        if step in data:
            count = data[step].sums.sum
        elif i == 0:
            count = any_metric.sums.n  # the exposure step
        else:
            missing.append(f"{step} (no such goal in the data)")
            continue
        for j, v in enumerate(design.variants):
            rows.append(
                {
                    "step": step,
                    "variant": v,
                    "units": int(count[j]),
                    "rate_of_exposed": count[j] / any_metric.sums.n[j],
                    "step_conversion": (count[j] / previous[j])
                    if previous is not None and previous[j] > 0
                    else np.nan
                    if previous is not None
                    else 1.0,
                }
            )
        previous = count
    frame = pd.DataFrame(rows)
    frame.attrs["missing"] = missing
    return frame


def cost_per_conversion(
    spend: np.ndarray, n: np.ndarray, conversions: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``spend / conversions`` with the Wilson interval of the rate carried to the cost,
    ``[spend / (n p_high), spend / (n p_low)]`` (:func:`abtest.stats.rate_interval`; the
    spend taken as known); NaN where there are no conversions (no cost to show)."""
    n, c = np.asarray(n, dtype=float), np.asarray(conversions, dtype=float)
    low, high = rate_interval(c, np.maximum(n, 1), alpha)
    converted = c > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = np.where(converted, spend / c, np.nan)
        cost_low = np.where(converted, spend / (n * high), np.nan)
        cost_high = np.where(converted, spend / (n * low), np.nan)
    return cost, cost_low, cost_high


def costed_goals(design: Design) -> list[str]:
    """The goals a cost is shown for, in the design's order: every goal but the
    guardrails whose good direction is down (bounce, refunds), which are not something
    one pays for."""
    unwanted = {g.metric for g in design.guardrails if g.direction == "decrease"}
    return [m.id for m in design.metrics or () if m.id not in unwanted]


def cost_table(
    design: Design,
    data: dict[str, MetricSums],
    alpha: float,
    spend_per_variant: dict[str, float] | None = None,
) -> pd.DataFrame | None:
    """Cost per conversion for every binary goal (CPL for leads, CAC for customers)
    and ROI for value goals, per variant, when spend is configured. Guardrail
    goals whose good direction is ``decrease`` (bounce, refunds) are left out.
    ``spend_per_variant`` stands in for ``design.spend`` (the spend per source shared
    across the variants, :mod:`abtest.analysis.source_costs`)."""
    amounts = spend_per_variant if spend_per_variant is not None else design.spend
    if not amounts:
        return None
    # a variant without an amount has no cost (abtest validate warns of it): its rows are
    # left out, as is the ROI of a variant that cost nothing (a return on no spend)
    paid = [v in amounts for v in design.variants]
    spend = np.array([amounts.get(v, np.nan) for v in design.variants], dtype=float)
    costed = set(costed_goals(design))
    rows = []
    for metric, m in data.items():
        if metric not in costed:
            continue
        if m.kind == "binary":
            cost, cost_low, cost_high = cost_per_conversion(spend, m.sums.n, m.sums.sum, alpha)
            for j, v in enumerate(design.variants):
                if not paid[j]:
                    continue
                rows.append(
                    {
                        "metric": metric,
                        "measure": "cost per conversion",
                        "variant": v,
                        "spend": spend[j],
                        "conversions": int(m.sums.sum[j]),
                        "value": cost[j],
                        "low": cost_low[j],
                        "high": cost_high[j],
                    }
                )
        elif m.kind == "value" and np.all(m.sums.n >= 2):  # (a quantile goal: no ROI row)
            n, mean, var = mean_var_from_sums(*m.sums.outcome.arrays)
            per_unit = mean_interval(n, mean, var, alpha)
            for j, v in enumerate(design.variants):
                if not paid[j] or spend[j] <= 0:
                    continue
                rev = n[j] * mean[j]
                rows.append(
                    {
                        "metric": metric,
                        "measure": "ROI",
                        "variant": v,
                        "spend": spend[j],
                        "conversions": np.nan,
                        "revenue": rev,
                        "value": (rev - spend[j]) / spend[j],
                        "low": (n[j] * max(per_unit.low[j], 0.0) - spend[j]) / spend[j],
                        "high": (n[j] * per_unit.high[j] - spend[j]) / spend[j],
                    }
                )
    return pd.DataFrame(rows)
