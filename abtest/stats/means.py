"""Welch's two-sample t-test for continuous metrics (revenue per visitor, order value).

Inputs are sufficient statistics per arm: ``(n, mean, var)`` with ``var`` the
sample variance (denominator ``n - 1``), or ``(n, sum, sum of squares)``, which
is what aggregation produces, through :func:`welch_test_from_sums`.

Statistic ``t = (m_b - m_a) / sqrt(v_a/n_a + v_b/n_b)`` with Welch-Satterthwaite
degrees of freedom; equals R ``t.test(b, a, var.equal=FALSE)`` and
``scipy.stats.ttest_ind(b, a, equal_var=False)``. The relative lift uses the
delta-method variance of :func:`abtest.stats.proportions.relative_lift` with the
same t quantile (gbstats' convention).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check
from abtest.stats.proportions import _interval, relative_lift
from abtest.stats.results import MeanVar, TwoSampleResult, warn_degenerate
from abtest.stats.sums import Sums, arms_of


def mean_var_from_sums(
    n: ArrayLike, total: ArrayLike, total_sq: ArrayLike, name: str = ""
) -> MeanVar:
    """``(n, mean, sample variance)`` from ``(n, sum, sum of squares)``.

    ``var = (sum_sq - sum^2 / n) / (n - 1)``, clipped at 0 against rounding.
    Sums with ``sum_sq < sum^2 / n`` are impossible (Cauchy-Schwarz: the sum of
    squares of n numbers is at least their sum squared over n) and raise, unless
    the shortfall is within ``1e-9 * sum_sq``: the rounding of sums accumulated
    in floating point (a relative error of about n * 2**-53 at worst, 1e-9 at
    ten million rows), which a zero-variance arm shows as a tiny negative.

    >>> n, mean, var = mean_var_from_sums(4, 10.0, 30.0)
    >>> float(mean), round(float(var), 6)
    (2.5, 1.666667)
    """
    n = _check.at_least(f"n{name}", n, 2, "a variance needs at least 2 units (n < 2)")
    s = _check.as_float(f"sum{name}", total)
    ss = _check.non_negative(f"sum_sq{name}", total_sq)
    mean = s / n
    excess = ss - s * mean
    bad = excess < -_SUM_SQ_RTOL * ss
    if np.any(bad):
        ss_b, least = np.broadcast_arrays(ss, s * mean)
        label, value = _check.where(ss_b, bad)
        _, floor = _check.where(least, bad)
        raise ValueError(
            f"sum_sq{name}{label} = {value!r} is below sum{name}{label}**2 / n{name}{label} = "
            f"{floor!r}: impossible sums (a sum of squares is at least the sum squared over "
            f"n); check that sum_sq{name} holds the sum of the squared values"
        )
    var = np.maximum(excess / (n - 1), 0.0)
    return MeanVar(n, mean, var)


# Relative tolerance of the sum-of-squares check (see mean_var_from_sums).
_SUM_SQ_RTOL = 1e-9


def welch_test(
    n_a: ArrayLike,
    mean_a: ArrayLike,
    var_a: ArrayLike,
    n_b: ArrayLike,
    mean_b: ArrayLike,
    var_b: ArrayLike,
    *,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> TwoSampleResult:
    """Welch's t-test of arm b against arm a from per-arm (n, mean, sample variance).

    Matches R ``t.test(b, a, var.equal=FALSE, alternative=...)``: statistic,
    df, p-value and the interval of ``mean_b - mean_a``.

    Examples
    --------
    >>> r = welch_test(10, 10.0, 4.0, 12, 12.0, 3.0)
    >>> round(float(r.statistic), 4), round(float(r.df), 2)
    (2.4807, 18.01)
    """
    alternative = _check.alternative(alternative)
    alpha = _check.alpha_level(alpha)
    na = _check.at_least("n_a", n_a, 2, "a variance needs at least 2 units (n < 2)")
    nb = _check.at_least("n_b", n_b, 2, "a variance needs at least 2 units (n < 2)")
    ma, mb = _check.as_float("mean_a", mean_a), _check.as_float("mean_b", mean_b)
    va, vb = _check.non_negative("var_a", var_a), _check.non_negative("var_b", var_b)
    na, ma, va, nb, mb, vb = np.broadcast_arrays(na, ma, va, nb, mb, vb)

    sa, sb = va / na, vb / nb
    se = np.sqrt(sa + sb)
    degenerate = se == 0
    warn_degenerate(degenerate, "no test is possible: both arms have zero variance")
    se = np.where(degenerate, np.nan, se)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (sa + sb) ** 2 / (sa**2 / (na - 1) + sb**2 / (nb - 1))
    diff = mb - ma
    t = diff / se
    if alternative == "two-sided":
        # scipy.stats.t.sf / isf are these scipy.special functions
        p_value = 2 * special.stdtr(df, -np.abs(t))
        q = -special.stdtrit(df, alpha / 2)
    else:
        p_value = special.stdtr(df, -t) if alternative == "larger" else special.stdtr(df, t)
        q = -special.stdtrit(df, alpha)
    diff_ci = _interval(diff, q * se, alternative, -np.inf, np.inf)
    lift, lift_se = relative_lift(ma, va, na, mb, vb, nb)
    lift_ci = _interval(lift, q * lift_se, alternative, -np.inf, np.inf)

    s = _check.scalar_or_array
    return TwoSampleResult(
        statistic=s(t),
        p_value=s(p_value),
        diff=s(diff),
        diff_ci=(s(diff_ci[0]), s(diff_ci[1])),
        lift=s(lift),
        lift_ci=(s(lift_ci[0]), s(lift_ci[1])),
        mean_a=s(ma),
        mean_b=s(mb),
        alternative=alternative,
        alpha=alpha,
        test="welch",
        df=s(df),
    )


def welch_test_from_sums(*arms: Any, **kwargs: Any) -> TwoSampleResult:
    """:func:`welch_test` from (n, sum, sum of squares) per arm, as aggregation yields them.

    ``arms``: arm a and arm b as two :class:`abtest.stats.sums.Sums`, or the array form
    ``n_a, sum_a, sum_sq_a, n_b, sum_b, sum_sq_b``.

    >>> r = welch_test_from_sums(10, 100.0, 1002.25, 10, 105.0, 1111.5)
    >>> round(float(r.diff), 2)
    0.5
    >>> from abtest.stats.sums import Sums
    >>> r = welch_test_from_sums(Sums(10, 100.0, 1002.25), Sums(10, 105.0, 1111.5))
    >>> round(float(r.diff), 2)
    0.5
    """
    a, b = arms_of(arms, Sums, "welch_test_from_sums")
    na, ma, va = mean_var_from_sums(*a.arrays, "_a")
    nb, mb, vb = mean_var_from_sums(*b.arrays, "_b")
    return welch_test(na, ma, va, nb, mb, vb, **kwargs)
