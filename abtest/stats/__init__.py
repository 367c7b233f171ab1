"""abtest.stats: pure, vectorized statistics on arrays of sufficient statistics.

No I/O and no config objects: every function takes scalars or broadcastable
numpy arrays and returns a frozen result object with named fields. Each
function's docstring names its formula and the outside reference it matches.

The package imports lazily: ``from abtest.stats import proportion_test`` loads only the
modules that function needs (scipy.stats and statsmodels take about a second to import,
and most commands never need them).
"""

from __future__ import annotations

import importlib
from typing import Any

# a function named like its own module: imported now, so that importing the module later
# (which sets the package attribute to the module) cannot shadow the function
from abtest.stats.bayes_decision import bayes_decision as bayes_decision

_LAZY = {
    "BetaPrior": "abtest.stats.results",
    "CupedAdjusted": "abtest.stats.results",
    "Lift": "abtest.stats.results",
    "MeanVar": "abtest.stats.results",
    "OmnibusResult": "abtest.stats.results",
    "Interval": "abtest.stats.intervals",
    "InteractionResult": "abtest.stats.interaction",
    "TrendResult": "abtest.stats.trend",
    "trend_test": "abtest.stats.trend",
    "interaction_test": "abtest.stats.interaction",
    "Sums": "abtest.stats.sums",
    "CovariateSums": "abtest.stats.sums",
    "TwoArms": "abtest.stats.sums",
    "rate_interval": "abtest.stats.intervals",
    "mean_interval": "abtest.stats.intervals",
    "beta_curves": "abtest.stats.intervals",
    "AlwaysValidResult": "abtest.stats.always_valid",
    "BayesDecision": "abtest.stats.bayes_decision",
    "BayesMeansResult": "abtest.stats.bayes_normal",
    "BetaBinomialResult": "abtest.stats.bayes_binary",
    "CupedResult": "abtest.stats.cuped",
    "CupedSums": "abtest.stats.cuped",
    "DegenerateWarning": "abtest.stats.results",
    "GroupSequentialBounds": "abtest.stats.sequential",
    "MultiArmResult": "abtest.stats.results",
    "Plan": "abtest.stats.power",
    "RatioResult": "abtest.stats.ratio",
    "SRMResult": "abtest.stats.results",
    "SRM_THRESHOLD": "abtest.stats.srm",
    "SequentialResult": "abtest.stats.sequential",
    "TwoSampleResult": "abtest.stats.results",
    "adjust_p_values": "abtest.stats.multiple",
    "always_valid_test": "abtest.stats.always_valid",
    "bayes_means": "abtest.stats.bayes_normal",
    "bayes_means_from_sums": "abtest.stats.bayes_normal",
    "beta_binomial": "abtest.stats.bayes_binary",
    "chi2_omnibus": "abtest.stats.proportions",
    "compare_means": "abtest.stats.multiple",
    "compare_proportions": "abtest.stats.multiple",
    "cuped_adjust": "abtest.stats.cuped",
    "cuped_sums": "abtest.stats.cuped",
    "cuped_test": "abtest.stats.cuped",
    "duration_days": "abtest.stats.power",
    "group_sequential_bounds": "abtest.stats.sequential",
    "group_sequential_test": "abtest.stats.sequential",
    "mde_proportions": "abtest.stats.power",
    "mean_var_from_sums": "abtest.stats.means",
    "plan_proportions": "abtest.stats.power",
    "power_means": "abtest.stats.power",
    "power_proportions": "abtest.stats.power",
    "prior_from_baseline": "abtest.stats.bayes_binary",
    "proportion_test": "abtest.stats.proportions",
    "ratio_cuped_test": "abtest.stats.ratio",
    "ratio_test": "abtest.stats.ratio",
    "relative_lift": "abtest.stats.proportions",
    "sample_size_means": "abtest.stats.power",
    "sample_size_proportions": "abtest.stats.power",
    "sample_size_proportions_sequential": "abtest.stats.power",
    "srm_test": "abtest.stats.srm",
    "welch_anova": "abtest.stats.multiple",
    "welch_test": "abtest.stats.means",
    "welch_test_from_sums": "abtest.stats.means",
    "wald_test": "abtest.stats.wald",
    "QuantileResult": "abtest.stats.quantiles",
    "order_stat_ranks": "abtest.stats.quantiles",
    "order_stats": "abtest.stats.quantiles",
    "quantile_test": "abtest.stats.quantiles",
    "quantile_test_from_order_stats": "abtest.stats.quantiles",
    "compatible_levels": "abtest.stats.compatible",
    "KaplanMeierResult": "abtest.stats.survival",
    "LogrankResult": "abtest.stats.logrank",
    "kaplan_meier": "abtest.stats.survival",
    "logrank_test": "abtest.stats.logrank",
}

__all__ = sorted({*_LAZY, "bayes_decision"})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'abtest.stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
