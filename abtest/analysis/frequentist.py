"""The fixed-horizon table: every goal, every treatment against the control.

Each comparison is decided by one test, and shows the two intervals that invert it
(:func:`abtest.stats.wald.wald_test`): the unpooled z-test for a conversion rate,
Welch's t for a value, both on CUPED-adjusted means where the Summary has the
covariate sums. Within a family (:func:`abtest.analysis.table.families`) the
correction decides, and each row's intervals are at the level that decided it
(:func:`abtest.stats.compatible.compatible_levels`: ``alpha / m`` under Bonferroni,
the step-down level of the row under Holm), so a row's significance flag, its
corrected p-value and both intervals always agree.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from abtest.analysis.design import Design
from abtest.analysis.metrics import Arms, MetricArrays, comparison_arms
from abtest.analysis.table import families, finish, metric_rows
from abtest.stats.compatible import compatible_levels
from abtest.stats.results import TwoSampleResult
from abtest.stats.wald import wald_test


def compare(arms: Arms, alpha: float | np.ndarray, alternative: str) -> TwoSampleResult:
    """Every treatment of ``arms`` against the control at ``alpha`` (per treatment)."""
    return wald_test(*arms.args, reference=arms.reference, alternative=alternative, alpha=alpha)


def frequentist_table(design: Design, data: dict[str, MetricArrays]) -> pd.DataFrame:
    """Rows per (metric, variant): estimates, intervals, raw and corrected p-values,
    the significance flag and each row's interval level (``ci_level``)."""
    arms = {metric: comparison_arms(m) for metric, m in data.items()}
    rows: dict[str, dict[str, np.ndarray]] = {}
    for family, metrics in families(design, data).items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # said once, by the pass that is kept below
            p = [np.atleast_1d(compare(arms[m], design.alpha, design.alternative).p_value)
                 for m in metrics]  # fmt: skip
        levels = compatible_levels(np.concatenate(p), design.correction, design.alpha)
        start = 0
        for metric, p_metric in zip(metrics, p, strict=True):
            at = slice(start, start + p_metric.size)
            start += p_metric.size
            r = compare(arms[metric], levels.level[at], design.alternative)
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
            if arms[metric].variance_reduction is not None:
                columns["variance_reduction"] = arms[metric].variance_reduction
            rows[metric] = metric_rows(design, data[metric], family, columns)
    return finish([rows[m] for m in data])
