"""abtest.stats: pure, vectorized statistics on arrays of sufficient statistics.

No I/O and no config objects: every function takes scalars or broadcastable
numpy arrays and returns a frozen result object with named fields. Each
function's docstring names its formula and the outside reference it matches.
"""

from abtest.stats.always_valid import AlwaysValidResult, always_valid_test
from abtest.stats.bayes import (
    BayesDecision,
    BayesMeansResult,
    BetaBinomialResult,
    bayes_decision,
    bayes_means,
    bayes_means_from_sums,
    beta_binomial,
    prior_from_baseline,
)
from abtest.stats.cuped import CupedResult, CupedSums, cuped_adjust, cuped_sums, cuped_test
from abtest.stats.means import mean_var_from_sums, welch_test, welch_test_from_sums
from abtest.stats.multiple import (
    adjust_p_values,
    compare_means,
    compare_proportions,
    welch_anova,
)
from abtest.stats.power import (
    Plan,
    duration_days,
    mde_proportions,
    plan_proportions,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    sample_size_proportions_sequential,
)
from abtest.stats.proportions import chi2_omnibus, proportion_test, relative_lift
from abtest.stats.ratio import RatioResult, ratio_cuped_test, ratio_test
from abtest.stats.results import (
    DegenerateWarning,
    MultiArmResult,
    SRMResult,
    TwoSampleResult,
)
from abtest.stats.sequential import (
    GroupSequentialBounds,
    SequentialResult,
    group_sequential_bounds,
    group_sequential_test,
)
from abtest.stats.srm import SRM_THRESHOLD, srm_test

__all__ = [
    "SRM_THRESHOLD",
    "AlwaysValidResult",
    "BayesDecision",
    "BayesMeansResult",
    "BetaBinomialResult",
    "CupedResult",
    "CupedSums",
    "DegenerateWarning",
    "GroupSequentialBounds",
    "MultiArmResult",
    "Plan",
    "RatioResult",
    "SRMResult",
    "SequentialResult",
    "TwoSampleResult",
    "adjust_p_values",
    "always_valid_test",
    "bayes_decision",
    "bayes_means",
    "bayes_means_from_sums",
    "beta_binomial",
    "chi2_omnibus",
    "compare_means",
    "compare_proportions",
    "cuped_adjust",
    "cuped_sums",
    "cuped_test",
    "duration_days",
    "group_sequential_bounds",
    "group_sequential_test",
    "mde_proportions",
    "mean_var_from_sums",
    "plan_proportions",
    "power_means",
    "power_proportions",
    "prior_from_baseline",
    "proportion_test",
    "ratio_cuped_test",
    "ratio_test",
    "relative_lift",
    "sample_size_means",
    "sample_size_proportions",
    "sample_size_proportions_sequential",
    "srm_test",
    "welch_anova",
    "welch_test",
    "welch_test_from_sums",
]
