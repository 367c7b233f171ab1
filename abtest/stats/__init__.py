"""abtest.stats: pure, vectorized statistics on arrays of sufficient statistics.

No I/O and no config objects: every function takes scalars or broadcastable
numpy arrays and returns a frozen result object with named fields. Each
function's docstring names its formula and the outside reference it matches.
"""

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
)
from abtest.stats.proportions import chi2_omnibus, proportion_test, relative_lift
from abtest.stats.results import (
    DegenerateWarning,
    MultiArmResult,
    SRMResult,
    TwoSampleResult,
)
from abtest.stats.srm import SRM_THRESHOLD, srm_test

__all__ = [
    "SRM_THRESHOLD",
    "DegenerateWarning",
    "MultiArmResult",
    "Plan",
    "SRMResult",
    "TwoSampleResult",
    "adjust_p_values",
    "chi2_omnibus",
    "compare_means",
    "compare_proportions",
    "duration_days",
    "mde_proportions",
    "mean_var_from_sums",
    "plan_proportions",
    "power_means",
    "power_proportions",
    "proportion_test",
    "relative_lift",
    "sample_size_means",
    "sample_size_proportions",
    "srm_test",
    "welch_anova",
    "welch_test",
    "welch_test_from_sums",
]
