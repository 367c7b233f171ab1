"""One test per comparison, and the two intervals that invert it.

An analysis shows, per treatment, a p-value, a significance flag, the interval of
the difference and the interval of the relative lift. They answer one question, so
they must never disagree: the interval of the difference excludes 0, the interval
of the lift excludes 0, and the p-value is below the level, all at once or not at
all. :func:`wald_test` guarantees it by deriving all three from one statistic,
``t = (mean_b - mean_a) / se`` with the unpooled ``se = sqrt(var_a / n_a + var_b /
n_b)``:

* the p-value from the normal distribution (``reference="normal"``: the unpooled
  z-test of two rates, GrowthBook's frequentist test of proportions) or from
  Student's t with Welch-Satterthwaite degrees of freedom (``reference="welch"``:
  R ``t.test(var.equal = FALSE)``);
* the Wald interval of the difference ``diff +- q se``, with ``q`` the same
  reference's critical value, which excludes 0 exactly when ``|t| > q``;
* Fieller's interval of the lift at the same ``q``
  (:func:`abtest.stats.proportions.fieller_lift_interval`), which excludes a zero
  lift exactly when ``|t| > q`` (Fieller 1954), where a delta-method interval need
  not; for non-negative means it never reaches below -100%.

``alpha`` may differ per comparison (an array broadcast against the arms): a
multiple-testing procedure that decides each row at its own level (Holm's
step-down) gets each row's interval at the level that decided it.

:func:`abtest.stats.proportion_test` keeps R's pooled z-test p-value (R parity);
this is the test the analysis decides with.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check
from abtest.stats.proportions import _unbounded_interval, fieller_lift_interval, relative_lift
from abtest.stats.results import TwoSampleResult, warn_degenerate

REFERENCES = ("normal", "welch")


def wald_test(
    n_a: ArrayLike,
    mean_a: ArrayLike,
    var_a: ArrayLike,
    n_b: ArrayLike,
    mean_b: ArrayLike,
    var_b: ArrayLike,
    *,
    reference: str = "welch",
    alternative: str = "two-sided",
    alpha: ArrayLike = 0.05,
) -> TwoSampleResult:
    """Test ``mean_b - mean_a`` with the unpooled standard error; the difference's Wald
    interval and the lift's Fieller interval invert the same test.

    Parameters
    ----------
    n_a, mean_a, var_a, n_b, mean_b, var_b
        Units, mean and unit-level variance per arm (for a conversion rate ``p``,
        ``var = p (1 - p)``). Broadcastable arrays.
    reference
        ``"normal"`` (z; conversion rates) or ``"welch"`` (t with Welch-Satterthwaite
        degrees of freedom; values). Welch's statistic and interval equal R
        ``t.test(b, a, var.equal = FALSE)``.
    alternative
        ``"two-sided"``, ``"larger"`` (b > a) or ``"smaller"``; one-sided intervals
        have an open end (``inf``; the lift's lower end is at most -100%).
    alpha
        Level of each comparison's intervals, scalar or broadcast per comparison.

    Returns
    -------
    TwoSampleResult
        ``statistic`` (z or t), ``p_value``, ``diff``, ``diff_ci``, ``lift``
        (``mean_b / mean_a - 1``), ``lift_ci`` (Fieller), ``df`` (``inf`` for the
        normal reference), ``test`` (``"wald"`` or ``"welch"``).

    Examples
    --------
    Welch's test of two small samples, as R ``t.test(b, a)`` on n = 10 and 12 units
    with means 10 and 12 and variances 4 and 3 (t = 2.4807, df = 18.01):

    >>> r = wald_test(10, 10.0, 4.0, 12, 12.0, 3.0)
    >>> round(float(r.statistic), 4), round(float(r.df), 2), round(float(r.p_value), 4)
    (2.4807, 18.01, 0.0232)

    The three answers agree at any level, here at 1% where the test does not reject:

    >>> r = wald_test(10, 10.0, 4.0, 12, 12.0, 3.0, alpha=0.01)
    >>> bool(r.p_value < 0.01), bool(r.diff_ci[0] > 0), bool(r.lift_ci[0] > 0)
    (False, False, False)
    """
    _check.choice("reference", reference, REFERENCES)
    alternative = _check.alternative(alternative)
    a = _check.as_float("alpha", alpha)
    _check.fail_where("alpha", a, (a <= 0) | (a >= 1), "must be strictly between 0 and 1")
    na = _check.at_least("n_a", n_a, 1, "an arm needs at least one unit")
    nb = _check.at_least("n_b", n_b, 1, "an arm needs at least one unit")
    ma, mb = _check.as_float("mean_a", mean_a), _check.as_float("mean_b", mean_b)
    va, vb = _check.non_negative("var_a", var_a), _check.non_negative("var_b", var_b)
    na, ma, va, nb, mb, vb, a = np.broadcast_arrays(na, ma, va, nb, mb, vb, a)

    sa, sb = va / na, vb / nb
    se = np.sqrt(sa + sb)
    degenerate = se == 0
    warn_degenerate(degenerate, "no test is possible: both arms have zero variance")
    se = np.where(degenerate, np.nan, se)
    diff = mb - ma
    with np.errstate(divide="ignore", invalid="ignore"):
        t = diff / se
        if reference == "welch":
            df = (sa + sb) ** 2 / (sa**2 / (na - 1) + sb**2 / (nb - 1))
        else:
            df = np.full(t.shape, np.inf)
    sides = 2.0 if alternative == "two-sided" else 1.0
    # upper tail and its inverse (scipy.special's, which scipy.stats' norm and t call)
    if reference == "normal":
        upper, inverse = (lambda x: special.ndtr(-x)), (lambda u: -special.ndtri(u))
    else:
        nu = np.where(np.isnan(df), 1.0, df)
        upper, inverse = (lambda x: special.stdtr(nu, -x)), (lambda u: -special.stdtrit(nu, u))
    if alternative == "two-sided":
        p_value = 2 * upper(np.abs(t))
    elif alternative == "larger":
        p_value = upper(t)
    else:
        p_value = upper(-t)
    q = inverse(a / sides)
    p_value, q = np.where(np.isnan(t), np.nan, p_value), np.where(np.isnan(se), np.nan, q)
    diff_ci = _unbounded_interval(diff, q * se, alternative)
    lift, _ = relative_lift(ma, va, na, mb, vb, nb)
    lift_ci = fieller_lift_interval(ma, va, na, mb, vb, nb, q, alternative)
    lift_ci = tuple(np.where(np.isnan(lift), np.nan, end) for end in lift_ci)
    if alternative == "smaller":  # the open lower end of a lift is its floor, -100%
        floor = np.where((ma > 0) & (mb >= 0), -1.0, -np.inf)
        lift_ci = (np.where(np.isnan(lift_ci[0]), np.nan, floor), lift_ci[1])

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
        alpha=float(a.flat[0]) if a.size and np.all(a == a.flat[0]) else a,
        test="welch" if reference == "welch" else "wald",
        df=s(df),
    )
