"""Two-proportion tests for conversion rates, vectorized over comparisons.

Formulas follow R's ``prop.test`` (``stats`` package, R 4.x) line for line:

* pooled z statistic ``z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b))`` with
  ``p`` the pooled rate; ``z**2`` is R's ``X-squared`` without correction;
* Yates' continuity correction ``|O - E| - min(0.5, |O - E|)`` exactly as R's
  ``correct=TRUE`` (the correction never exceeds the observed deviation);
* the Wald interval of the difference, unpooled, widened by the same
  correction and clipped to [-1, 1] as R does.

The relative lift ``p_b / p_a - 1`` gets its own delta-method interval with
variance ``v_b / (p_a^2 n_b) + v_a p_b^2 / (p_a^4 n_a)``, ``v = p (1 - p)``:
the control's uncertainty is included (GrowthBook's gbstats
``frequentist_variance``, Eppo's convention), unlike the absolute interval
divided by the control rate.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check
from abtest.stats.results import Lift, OmnibusResult, TwoSampleResult, warn_degenerate

TESTS = ("z", "chi2", "fisher")


def _quantile(alpha: float, alternative: str) -> float:
    return float(-special.ndtri(alpha / 2 if alternative == "two-sided" else alpha))


def _interval(
    est: np.ndarray, half: np.ndarray, alternative: str, lo: float, hi: float
) -> tuple[np.ndarray, np.ndarray]:
    low = np.maximum(est - half, lo) if np.isfinite(lo) else est - half
    high = np.minimum(est + half, hi) if np.isfinite(hi) else est + half
    if alternative == "larger":
        high = np.full_like(est, hi)
    elif alternative == "smaller":
        low = np.full_like(est, lo)
    return low, high


def _unbounded_interval(
    est: np.ndarray, half: np.ndarray, alternative: str
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_interval` on the whole real line, with NaN on both ends where the
    estimate or its half-width is NaN (an open end of an undefined interval is not
    ``inf``): the sequential tests' intervals."""
    low, high = _interval(est, half, alternative, -np.inf, np.inf)
    undefined = np.isnan(est - half)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def relative_lift(
    mean_a: np.ndarray,
    var_a: np.ndarray,
    n_a: np.ndarray,
    mean_b: np.ndarray,
    var_b: np.ndarray,
    n_b: np.ndarray,
) -> Lift:
    """Relative lift ``mean_b / mean_a - 1`` and its delta-method standard error.

    ``var`` are unit-level variances. Formula of gbstats
    ``frequentist_variance(relative=True)``:
    ``var_b / (mean_a^2 n_b) + var_a mean_b^2 / (mean_a^4 n_a)``.
    Where ``mean_a <= 0`` the lift is undefined: NaN with a DegenerateWarning. At 0 it
    has no value; below 0 it reads backwards (a profit from -5 to -3 is a lift of -40%
    for a gain), and every reading of its sign would be wrong; the difference
    ``mean_b - mean_a`` still answers.
    """
    mean_a = np.asarray(mean_a, dtype=float)
    warn_degenerate(mean_a == 0, "relative lift is undefined because the control mean is 0")
    warn_degenerate(mean_a < 0, "relative lift is undefined because the control mean is negative")
    zero = mean_a <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(zero, np.nan, mean_b / np.where(zero, 1.0, mean_a) - 1)
        ma = np.where(zero, np.nan, mean_a)
        se = np.sqrt(var_b / (ma**2 * n_b) + var_a * mean_b**2 / (ma**4 * n_a))
    return Lift(lift, se)


def fieller_lift_interval(
    mean_a: np.ndarray,
    var_a: np.ndarray,
    n_a: np.ndarray,
    mean_b: np.ndarray,
    var_b: np.ndarray,
    n_b: np.ndarray,
    q: ArrayLike,
    alternative: str = "two-sided",
) -> tuple[np.ndarray, np.ndarray]:
    """Fieller's interval for the lift ``mean_b / mean_a - 1`` at critical value ``q``.

    The ratios ``r`` with ``|mean_b - r mean_a| <= q sqrt(s_b^2 + r^2 s_a^2)``
    (``s^2 = var / n``, the variances of the means; Fieller 1954), bounded by the
    roots of ``(m_a^2 - q^2 s_a^2) r^2 - 2 m_a m_b r + (m_b^2 - q^2 s_b^2)``. At
    ``r = 1`` the condition is ``|z| <= q`` for ``z = (m_b - m_a) / sqrt(s_a^2 +
    s_b^2)``, so the interval excludes a zero lift exactly when that z-test rejects
    at ``q``, which the delta-method interval of :func:`relative_lift` does not
    guarantee. Written out (no library has it vectorised). One-sided (``"larger"`` /
    ``"smaller"``): the lower / upper end, the other open (``inf``).

    For non-negative means (conversions, revenue: ``mean_b >= 0``) a ratio is at least
    0, so the interval never reaches below a lift of -100%: the part of the set below
    it is cut (the parameter space; this moves no end that decides whether 0 is in).

    When the control mean is within ``q`` of its own standard errors
    (``m_a^2 <= q^2 s_a^2``: few control conversions) the set is unbounded: two
    rays outside the roots, of which the one holding the estimate is returned (for
    non-negative means a ratio is at least 0, so a lift at least -1), or the whole
    line when there are no real roots. Where the control mean is not positive, or
    neither arm varies, the interval is ``(-inf, inf)`` / NaN.

    >>> lo, hi = fieller_lift_interval(0.10, 0.09, 5000, 0.11, 0.0979, 5000, 1.96)
    >>> round(float(lo), 4), round(float(hi), 4)
    (-0.0191, 0.2344)
    """
    a, b = np.asarray(mean_a, dtype=float), np.asarray(mean_b, dtype=float)
    sa2 = np.asarray(var_a, dtype=float) / np.asarray(n_a, dtype=float)
    sb2 = np.asarray(var_b, dtype=float) / np.asarray(n_b, dtype=float)
    q2 = np.asarray(q, dtype=float) ** 2
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lead = a * a - q2 * sa2
        disc = q2 * (a * a * sb2 + b * b * sa2 - q2 * sa2 * sb2)
        root = np.sqrt(np.maximum(disc, 0.0))
        safe = np.where(lead != 0, lead, 1.0)
        r1, r2 = (a * b - root) / safe, (a * b + root) / safe
        small, big = np.minimum(r1, r2), np.maximum(r1, r2)
        bounded = (lead > 0) & (a > 0)
        # unbounded: the ray outside the roots that holds the estimate b / a
        rays = (lead <= 0) & (a > 0) & (disc > 0)
        upper_ray = rays & (b / np.where(a > 0, a, 1.0) >= big)
        floor = np.where(b >= 0, 0.0, -np.inf)  # a ratio of non-negative means
        lo = np.where(bounded, small, np.where(upper_ray, big, np.where(rays, floor, -np.inf)))
        # a bounded set can reach below a zero ratio when b is within q of its own error:
        # for non-negative means that part is outside the parameter space (a lift below
        # -100%), and cutting it changes neither the coverage nor whether 1 is inside
        lo = np.where(a > 0, np.maximum(lo, floor), lo)
        hi = np.where(bounded, big, np.where(rays & ~upper_ray, small, np.inf))
    lo, hi = lo - 1, hi - 1
    if alternative == "larger":
        hi = np.full(np.shape(hi), np.inf)
    elif alternative == "smaller":
        lo = np.full(np.shape(lo), -np.inf)
    missing = np.isnan(a + b + sa2 + sb2 + q2) | ((sa2 == 0) & (sb2 == 0))
    return np.where(missing, np.nan, lo), np.where(missing, np.nan, hi)


def proportion_test(
    conv_a: ArrayLike,
    n_a: ArrayLike,
    conv_b: ArrayLike,
    n_b: ArrayLike,
    *,
    test: str = "z",
    alternative: str = "two-sided",
    alpha: float = 0.05,
    continuity: bool = False,
) -> TwoSampleResult:
    """Compare the conversion rate of arm b with arm a (control).

    Parameters
    ----------
    conv_a, n_a, conv_b, n_b
        Conversions and units per arm; scalars or broadcastable arrays.
    test
        ``"z"``: pooled two-proportion z-test, ``statistic`` is the signed z
        (equals R ``prop.test(c(conv_a, conv_b), c(n_a, n_b), correct=continuity)``,
        whose X-squared is ``z**2``). ``"chi2"``: the same test reported as
        Pearson's X-squared (R ``chisq.test`` on the 2x2 table). ``"fisher"``:
        Fisher's exact test (R ``fisher.test``; one-sided p-values from the
        hypergeometric tail, vectorized; two-sided by scipy's
        ``fisher_exact`` per table, which has no vectorized form);
        ``statistic`` is the sample odds ratio of b against a.
    alternative
        ``"two-sided"``, ``"larger"`` (rate_b > rate_a) or ``"smaller"``.
    alpha
        1 - confidence level of the intervals.
    continuity
        Yates' continuity correction, as R's ``correct=TRUE`` (z and chi2).

    Returns
    -------
    TwoSampleResult
        ``statistic, p_value, diff, diff_ci, lift, lift_ci, mean_a, mean_b``.

    Examples
    --------
    The Udacity landing-page test (control 17,489/145,274, treatment 17,264/145,310):

    >>> r = proportion_test(17489, 145274, 17264, 145310)
    >>> round(float(r.p_value), 5)
    0.18988
    >>> bool(r.diff_ci[0] < 0 < r.diff_ci[1])
    True
    """
    _check.choice("test", test, TESTS)
    alternative = _check.alternative(alternative)
    alpha = _check.alpha_level(alpha)
    xa, na = _check.counts("conv_a", conv_a), _check.counts("n_a", n_a)
    xb, nb = _check.counts("conv_b", conv_b), _check.counts("n_b", n_b)
    _check.at_least("n_a", na, 1, "an arm needs at least one unit")
    _check.at_least("n_b", nb, 1, "an arm needs at least one unit")
    _check.not_above("conv_a", xa, "n_a", na, "conversions cannot exceed units")
    _check.not_above("conv_b", xb, "n_b", nb, "conversions cannot exceed units")
    xa, na, xb, nb = np.broadcast_arrays(xa, na, xb, nb)

    pa, pb = xa / na, xb / nb
    diff = pb - pa
    inv = 1 / na + 1 / nb
    pooled = (xa + xb) / (na + nb)
    se0 = np.sqrt(pooled * (1 - pooled) * inv)
    degenerate = se0 == 0
    # Yates: R's YATES <- min(0.5, abs(DELTA) / sum(1/n)), in units of |O - E|.
    yates = np.minimum(0.5, np.abs(diff) / inv) if continuity else np.zeros_like(diff)

    if test == "fisher":
        statistic, p_value = _fisher(xa, na, xb, nb, alternative)
    else:
        warn_degenerate(degenerate, "no test is possible: both arms convert at 0% or at 100%")
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.sign(diff) * (np.abs(diff) - yates * inv) / np.where(degenerate, np.nan, se0)
        statistic = z**2 if test == "chi2" else z
        if alternative == "two-sided":
            p_value = 2 * special.ndtr(-np.abs(z))  # scipy.stats.norm.sf, without its import
        elif alternative == "larger":
            p_value = special.ndtr(-z)
        else:
            p_value = special.ndtr(z)

    q = _quantile(alpha, alternative)
    var_a, var_b = pa * (1 - pa), pb * (1 - pb)
    half = yates * inv + q * np.sqrt(var_a / na + var_b / nb)
    diff_ci = _interval(diff, half, alternative, -1.0, 1.0)
    lift, lift_se = relative_lift(pa, var_a, na, pb, var_b, nb)
    lift_ci = _interval(lift, q * lift_se, alternative, -1.0, np.inf)

    s = _check.scalar_or_array
    return TwoSampleResult(
        statistic=s(statistic),
        p_value=s(p_value),
        diff=s(diff),
        diff_ci=(s(diff_ci[0]), s(diff_ci[1])),
        lift=s(lift),
        lift_ci=(s(lift_ci[0]), s(lift_ci[1])),
        mean_a=s(pa),
        mean_b=s(pb),
        alternative=alternative,
        alpha=alpha,
        test=test,
    )


def _fisher(
    xa: np.ndarray, na: np.ndarray, xb: np.ndarray, nb: np.ndarray, alternative: str
) -> tuple[np.ndarray, np.ndarray]:
    """Fisher's exact test of b against a; conditional on the total conversions,
    conv_b is hypergeometric (population n_a + n_b, successes conv_a + conv_b,
    draws n_b)."""
    from scipy import stats as sps  # Fisher only: scipy.stats costs ~0.5 s to import

    total, k = na + nb, xa + xb
    if alternative == "larger":
        p = sps.hypergeom.sf(xb - 1, total, k, nb)
    elif alternative == "smaller":
        p = sps.hypergeom.cdf(xb, total, k, nb)
    else:

        def one(a: float, n1: float, b: float, n2: float) -> float:
            table = [[int(b), int(n2 - b)], [int(a), int(n1 - a)]]
            return float(sps.fisher_exact(table).pvalue)

        p = _check.apply_all(one, xa, na, xb, nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (xb * (na - xa)) / ((nb - xb) * xa)
    return odds, np.minimum(p, 1.0)


def chi2_omnibus(conversions: ArrayLike, visitors: ArrayLike) -> OmnibusResult:
    """Pearson chi-square test that all arms share one conversion rate.

    The k x 2 table (converted, not converted) per arm, along the last axis,
    without continuity correction: equals R ``chisq.test(cbind(x, n - x))``.
    Returns ``(statistic, p_value, df)`` with ``df = k - 1``.

    >>> stat, p, df = chi2_omnibus([100, 120, 140], [1000, 1000, 1000])
    >>> df, round(float(stat), 4)
    (2, 7.5758)
    """
    x = _check.counts("conversions", conversions)
    n = _check.counts("visitors", visitors)
    _check.at_least("visitors", n, 1, "an arm needs at least one unit")
    _check.not_above("conversions", x, "visitors", n, "conversions cannot exceed units")
    x, n = np.broadcast_arrays(x, n)
    k = x.shape[-1]
    if k < 2:
        raise ValueError(f"chi2_omnibus needs at least 2 arms along the last axis, got {k}")
    rate = x.sum(axis=-1, keepdims=True) / n.sum(axis=-1, keepdims=True)
    warn_degenerate(
        np.squeeze((rate == 0) | (rate == 1), -1), "omnibus test impossible: pooled rate 0 or 1"
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        e1, e0 = n * rate, n * (1 - rate)
        stat = (((x - e1) ** 2 / e1) + (((n - x) - e0) ** 2 / e0)).sum(axis=-1)
    p = special.chdtrc(k - 1, stat)  # scipy.stats.chi2.sf
    return OmnibusResult(_check.scalar_or_array(stat), _check.scalar_or_array(p), k - 1)
