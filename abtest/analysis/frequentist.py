"""The fixed-horizon table: every goal, every treatment against the control.

Each comparison is decided by one test, and shows the two intervals that invert it
(:func:`abtest.stats.wald.wald_test`): the unpooled z-test for a conversion rate,
Welch's t for a value, both on CUPED-adjusted means where the Summary has the
covariate sums; a quantile goal's z-test on the order statistics with Fieller's
interval of the lift (:func:`abtest.stats.quantile_test_from_order_stats`). Within a
family (:func:`abtest.analysis.table.families`) the correction decides, and each row's
intervals are at the level that decided it
(:func:`abtest.stats.compatible.compatible_levels`: ``alpha / m`` under Bonferroni,
the step-down level of the row under Holm), so a row's significance flag, its
corrected p-value and both intervals always agree.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import pandas as pd

from abtest.analysis.metrics import (
    COVARIATE,
    Arms,
    MetricSums,
    comparison_arms,
    cuped_enough,
    only_looks,
    sums_of,
)
from abtest.analysis.table import families, finish, look_frames, metric_rows
from abtest.data.summary import Summary
from abtest.design import Design
from abtest.stats.compatible import compatible_levels
from abtest.stats.quantiles import QuantileResult, quantile_test_from_order_stats
from abtest.stats.results import TwoSampleResult
from abtest.stats.wald import wald_test


def compare(arms: Arms, alpha: float | np.ndarray, alternative: str) -> TwoSampleResult:
    """Every treatment of ``arms`` against the control at ``alpha`` (per treatment)."""
    return wald_test(*arms.args, reference=arms.reference, alternative=alternative, alpha=alpha)


def compare_goal(
    m: MetricSums, arms: Arms | None, alpha: float | np.ndarray, alternative: str
) -> TwoSampleResult | QuantileResult:
    """Every treatment against the control on goal ``m``: its quantile's order-statistic
    test for a quantile goal, else :func:`compare` on ``arms``."""
    if m.order is None:
        return compare(arms, alpha, alternative)
    o = m.order
    n, q, lo, hi = o.arrays
    # an arm with fewer values than the quantile's test takes (stats.min_values) has no
    # test yet: NaN comparisons (the analysis notes say so), tested on placeholders so
    # the other arms keep theirs
    thin = o.short[1:] | o.short[0]
    n, q, lo, hi = np.maximum(n, o.need), *(np.nan_to_num(x) for x in (q, lo, hi))
    r = quantile_test_from_order_stats(
        n[0], q[0], lo[0], hi[0], n[1:], q[1:], lo[1:], hi[1:],
        q=o.q, alpha=alpha, alternative=alternative,
    )  # fmt: skip
    if not thin.any():
        return r

    def blank(x: Any) -> Any:
        return np.where(thin, np.nan, x)

    return dataclasses.replace(
        r,
        statistic=blank(r.statistic),
        p_value=blank(r.p_value),
        diff=blank(r.diff),
        diff_ci=(blank(r.diff_ci[0]), blank(r.diff_ci[1])),
        lift=blank(r.lift),
        lift_ci=(blank(r.lift_ci[0]), blank(r.lift_ci[1])),
    )


def frequentist_table(design: Design, data: dict[str, MetricSums]) -> pd.DataFrame:
    """Rows per (metric, variant): estimates, intervals, raw and corrected p-values,
    the significance flag and each row's interval level (``ci_level``)."""
    arms = {metric: comparison_arms(m) for metric, m in data.items() if m.order is None}
    rows: dict[str, dict[str, np.ndarray]] = {}
    for family, metrics in families(design, data).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said once, by the pass that is kept below
            p = [
                np.atleast_1d(
                    compare_goal(data[m], arms.get(m), design.alpha, design.alternative).p_value
                )
                for m in metrics
            ]
        levels = compatible_levels(np.concatenate(p), design.correction, design.alpha)
        start = 0
        for metric, p_metric in zip(metrics, p, strict=True):
            at = slice(start, start + p_metric.size)
            start += p_metric.size
            r = compare_goal(data[metric], arms.get(metric), levels.level[at], design.alternative)
            columns = {
                "diff": r.diff,
                "diff_low": r.diff_ci[0],
                "diff_high": r.diff_ci[1],
                "lift": r.lift,
                "lift_low": r.lift_ci[0],
                "lift_high": r.lift_ci[1],
                "p_value": r.p_value,
                "significant": levels.significant[at],
                "p_adjusted": levels.p_adjusted[at],
                "ci_level": 1 - levels.level[at],
            }
            if metric in arms and arms[metric].variance_reduction is not None:
                columns["variance_reduction"] = arms[metric].variance_reduction
            rows[metric] = metric_rows(design, data[metric], family, columns)
    return finish([rows[m] for m in data])


def timeline_table(design: Design, summary: Summary, table: pd.DataFrame) -> pd.DataFrame | None:
    """Per day of a daily Summary, each treatment's lift on the cumulative data so far
    and its interval, at the level of the treatment's row in ``table`` (so the last
    day's interval is the one the table shows); for the timeline figure. A fixed-horizon
    interval read every day is not a sequential test: only the last day decides."""
    if not summary.has_daily:
        return None
    frames = []
    variants = list(design.variants)
    quantiles = set(table.loc[table["kind"] == "quantile", "metric"])
    for metric in dict.fromkeys(table["metric"]):
        if metric in quantiles:  # order statistics of the whole period only
            continue
        days, arr = summary.cumulative(metric, variants, design.experiment)
        n = arr["n"]
        days, arr = only_looks(days, arr, (n[0] >= 2) & np.all(n[1:] >= 2, axis=0))
        if not days:
            continue
        kind = summary.kind(metric, design.experiment)
        rows = table[(table["metric"] == metric) & ~table["is_control"]]
        level = 1 - rows["ci_level"].to_numpy(dtype=float)[:, None]
        # CUPED where each day's data make it well-posed (cuped_enough), as the table
        # decides on the totals, so that the last day is the table's row (the early
        # days of a conversion, with under 10 converters, left the whole line plain)
        plain = {c: a for c, a in arr.items() if c not in COVARIATE}
        adjusted = np.all(cuped_enough(kind, arr["n"], arr["sum"]), axis=0)
        lift, low, high = (np.full((len(variants) - 1, len(days)), np.nan) for _ in range(3))
        for keep, sums in ((adjusted, arr), (~adjusted, plain)):
            if not keep.any():
                continue
            _, part = only_looks(days, sums, keep)
            m = MetricSums(metric, kind, sums_of(part))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # early days without information: NaN
                r = compare(comparison_arms(m), level, design.alternative)
            shape = (len(variants) - 1, int(keep.sum()))
            lift[:, keep] = np.broadcast_to(r.lift, shape)
            low[:, keep] = np.broadcast_to(r.lift_ci[0], shape)
            high[:, keep] = np.broadcast_to(r.lift_ci[1], shape)
        frames += look_frames(
            metric, variants, days, arr["n"], arr["sum"], lift, (low, high), ci_level=1 - level
        )
    return pd.concat(frames, ignore_index=True) if frames else None
