"""Ratio metrics by the delta method: clicks per pageview, revenue per session, ...

The unit of randomisation (a user) is not the unit of the metric's
denominator (sessions, pageviews), so the events of one user are correlated
and a binomial or t-test over sessions is too optimistic. Per user ``i`` with
numerator ``y_i`` and denominator ``x_i`` the metric of an arm is
``R = sum y / sum x = ybar / xbar``, and its variance over users follows from
the delta method (Deng, Knoblich & Lu 2018, "Applying the delta method in
metric analytics", KDD, section 3; gbstats ``variance_of_ratios``)::

    Var(R) = (var_y / xbar^2 - 2 ybar cov_xy / xbar^3 + ybar^2 var_x / xbar^4) / n

with sample (co)variances over the ``n`` users of the arm, i.e. the variance
of the mean of the linearised values ``(y_i - R x_i) / xbar``. The arms are
independent, so the difference ``R_b - R_a`` has variance ``Var(R_a) +
Var(R_b)`` and is tested with a z statistic; the lift ``R_b / R_a - 1`` has
delta-method variance ``Var(R_b) / R_a^2 + R_b^2 Var(R_a) / R_a^4``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

from abtest.stats import _check
from abtest.stats.proportions import _interval, _quantile, relative_lift
from abtest.stats.results import TwoSampleResult, warn_degenerate


@dataclass(frozen=True)
class RatioResult(TwoSampleResult):
    """A comparison of ratio metrics (``test == "delta"``): ``mean_a`` and ``mean_b``
    are the ratios ``sum_num / sum_den`` of each arm, ``se_a`` and ``se_b`` their
    delta-method standard errors, ``se`` that of the difference."""

    se_a: Any = None
    se_b: Any = None
    se: Any = None


def ratio_variance(
    n: ArrayLike,
    sum_num: ArrayLike,
    sum_num_sq: ArrayLike,
    sum_den: ArrayLike,
    sum_den_sq: ArrayLike,
    sum_num_den: ArrayLike,
    name: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Ratio ``sum_num / sum_den`` of one arm and the delta-method variance of it.

    ``(var_y / xbar^2 - 2 ybar cov_xy / xbar^3 + ybar^2 var_x / xbar^4) / n``
    (Deng et al. 2018). Where ``sum_den == 0`` the ratio is undefined: NaN with
    a DegenerateWarning.

    >>> r, v = ratio_variance(4, 6.0, 12.0, 8.0, 18.0, 14.0)
    >>> float(r), round(float(v), 6)
    (0.75, 0.023438)
    """
    n = _check.at_least(f"n{name}", n, 2, "a variance needs at least 2 units (n < 2)")
    sy = _check.as_float(f"sum_num{name}", sum_num)
    syy = _check.non_negative(f"sum_num_sq{name}", sum_num_sq)
    sx = _check.as_float(f"sum_den{name}", sum_den)
    sxx = _check.non_negative(f"sum_den_sq{name}", sum_den_sq)
    sxy = _check.as_float(f"sum_num_den{name}", sum_num_den)
    ybar, xbar = sy / n, sx / n
    var_y = np.maximum((syy - sy * ybar) / (n - 1), 0.0)
    var_x = np.maximum((sxx - sx * xbar) / (n - 1), 0.0)
    cov = (sxy - sx * ybar) / (n - 1)
    zero = xbar == 0
    warn_degenerate(zero, f"the ratio is undefined: the denominator sums to 0 (sum_den{name})")
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(zero, np.nan, xbar)
        ratio = ybar / x
        var = (var_y / x**2 - 2 * ybar * cov / x**3 + ybar**2 * var_x / x**4) / n
    return ratio, np.maximum(var, 0.0)


def ratio_test(
    n_a: ArrayLike,
    sum_num_a: ArrayLike,
    sum_num_sq_a: ArrayLike,
    sum_den_a: ArrayLike,
    sum_den_sq_a: ArrayLike,
    sum_num_den_a: ArrayLike,
    n_b: ArrayLike,
    sum_num_b: ArrayLike,
    sum_num_sq_b: ArrayLike,
    sum_den_b: ArrayLike,
    sum_den_sq_b: ArrayLike,
    sum_num_den_b: ArrayLike,
    *,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> RatioResult:
    """Compare a ratio metric (numerator / denominator per unit) between arm b and arm a.

    Parameters
    ----------
    n_a, sum_num_a, sum_num_sq_a, sum_den_a, sum_den_sq_a, sum_num_den_a
        Arm a (control): units (users), the sum and sum of squares of the
        per-unit numerator (e.g. clicks) and denominator (e.g. sessions), and
        the sum of their per-unit products.
    n_b, sum_num_b, sum_num_sq_b, sum_den_b, sum_den_sq_b, sum_num_den_b
        The same for arm b.
    alternative, alpha
        ``"two-sided"``, ``"larger"`` (ratio_b > ratio_a) or ``"smaller"``;
        intervals at confidence ``1 - alpha``.

    Returns
    -------
    RatioResult
        ``statistic`` (z), ``p_value``, ``diff``, ``diff_ci``, ``lift``,
        ``lift_ci``, ``mean_a``/``mean_b`` (the ratios), ``se_a``, ``se_b``, ``se``.

    Notes
    -----
    Delta method of Deng, Knoblich & Lu (2018), formulas in the module
    docstring; the same variance as GrowthBook's gbstats ``RatioStatistic``.
    With every denominator equal to 1 it reduces to a z-test of means.

    Examples
    --------
    >>> r = ratio_test(1000, 320.0, 560.0, 3000.0, 12000.0, 2400.0,
    ...                1000, 360.0, 640.0, 3000.0, 12000.0, 2700.0)
    >>> round(float(r.mean_a), 4), round(float(r.diff), 4), round(float(r.p_value), 4)
    (0.1067, 0.0133, 0.0324)
    """
    _check.alternative(alternative)
    alpha = _check.alpha_level(alpha)
    ra, var_a = ratio_variance(
        n_a, sum_num_a, sum_num_sq_a, sum_den_a, sum_den_sq_a, sum_num_den_a, "_a"
    )
    rb, var_b = ratio_variance(
        n_b, sum_num_b, sum_num_sq_b, sum_den_b, sum_den_sq_b, sum_num_den_b, "_b"
    )
    ra, var_a, rb, var_b = np.broadcast_arrays(ra, var_a, rb, var_b)
    se = np.sqrt(var_a + var_b)
    degenerate = se == 0
    warn_degenerate(degenerate, "no test is possible: both ratios have zero variance")
    se = np.where(degenerate, np.nan, se)
    diff = rb - ra
    z = diff / se
    if alternative == "two-sided":
        p_value = 2 * sps.norm.sf(np.abs(z))
    else:
        p_value = sps.norm.sf(z) if alternative == "larger" else sps.norm.cdf(z)
    q = _quantile(alpha, alternative)
    diff_ci = _interval(diff, q * se, alternative, -np.inf, np.inf)
    # relative_lift takes unit-level variances and n; var * 1 with n = 1 is the same.
    one = np.ones_like(ra)
    lift, lift_se = relative_lift(ra, var_a, one, rb, var_b, one)
    lift_ci = _interval(lift, q * lift_se, alternative, -np.inf, np.inf)

    s = _check.scalar_or_array
    return RatioResult(
        statistic=s(z),
        p_value=s(p_value),
        diff=s(diff),
        diff_ci=(s(diff_ci[0]), s(diff_ci[1])),
        lift=s(lift),
        lift_ci=(s(lift_ci[0]), s(lift_ci[1])),
        mean_a=s(ra),
        mean_b=s(rb),
        alternative=alternative,
        alpha=alpha,
        test="delta",
        se_a=s(np.sqrt(var_a)),
        se_b=s(np.sqrt(var_b)),
        se=s(se),
    )
