"""CUPED: variance reduction with a pre-period covariate (Deng, Xu, Kohavi & Walker 2013).

Each unit has the metric ``y`` in the experiment and a covariate ``x`` measured
before it (usually the same metric in the pre-period), summarised per arm as
``n, sum_y, sum_y^2, sum_x, sum_x^2, sum_xy``. Because ``x`` is unaffected by
treatment, ``y - theta (x - mean(x))`` has the same expected difference between
arms as ``y`` for any ``theta``, and the smallest variance at
``theta = cov(x, y) / var(x)``.

``theta`` is pooled across arms from the within-arm (co)variances::

    theta = (S_xy,a + S_xy,b) / (S_xx,a + S_xx,b),   S_xy = sum_xy - sum_x sum_y / n

which is the covariate slope of the ANCOVA regression ``y ~ arm + x``, so the
adjusted difference ``(ybar_b - ybar_a) - theta (xbar_b - xbar_a)`` equals that
regression's treatment coefficient (statsmodels/R ``lm``) exactly. The adjusted
mean of an arm is ``ybar - theta (xbar - xbar_pooled)`` and its unit-level
variance ``var_y - 2 theta cov_xy + theta^2 var_x``, per arm; the comparison is
then Welch's test on the adjusted means and variances, and the lift uses the
delta method of :func:`abtest.stats.proportions.relative_lift` on them
(GrowthBook's gbstats ``RegressionAdjustedStatistic``, which pools ``theta``
over the arms' combined sample instead; the two differ by O(1/n)).

The variance of the difference falls by the share ``variance_reduction =
1 - V_adjusted / V_unadjusted``, about ``rho^2`` for a covariate with
correlation ``rho``. Without a covariate (``None``), or where it is constant,
``theta = 0`` and the result equals :func:`abtest.stats.means.welch_test_from_sums`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from abtest.stats import _check
from abtest.stats.means import mean_var_from_sums, welch_test
from abtest.stats.results import CupedAdjusted, TwoSampleResult
from abtest.stats.sums import CovariateSums, Sums, TwoArms, arms_of


@dataclass(frozen=True)
class CupedResult(TwoSampleResult):
    """A Welch comparison of CUPED-adjusted means (``test == "cuped"``).

    ``diff``, ``diff_ci``, ``lift``, ``lift_ci``, ``mean_a``, ``mean_b`` are
    adjusted; ``diff_unadjusted`` and ``se_unadjusted`` are the plain ones.
    ``theta`` is the pooled regression slope, ``correlation`` the pooled
    within-arm correlation of ``x`` and ``y``, ``variance_reduction`` the share
    of the variance of the difference removed (0 where nothing was adjusted),
    ``adjusted`` False where the covariate was missing or constant.
    """

    theta: Any = None
    correlation: Any = None
    variance_reduction: Any = None
    adjusted: Any = None
    se: Any = None
    se_unadjusted: Any = None
    diff_unadjusted: Any = None


def _covariate(
    suffix: str,
    n: np.ndarray,
    sum_y: np.ndarray,
    sum_x: ArrayLike,
    sum_x_sq: ArrayLike,
    sum_xy: ArrayLike,
) -> CupedAdjusted:
    """``(sum_x, xbar, centred S_xx, centred S_xy)`` of one arm."""
    sx = _check.as_float(f"sum_x{suffix}", sum_x)
    sxx = _check.non_negative(f"sum_x_sq{suffix}", sum_x_sq)
    sxy = _check.as_float(f"sum_xy{suffix}", sum_xy)
    xbar = sx / n
    return sx, xbar, np.maximum(sxx - sx * xbar, 0.0), sxy - sx * sum_y / n


def _adjusted(
    n: np.ndarray,
    ybar: np.ndarray,
    var_y: np.ndarray,
    xbar: np.ndarray,
    x_pooled: np.ndarray,
    sxx: np.ndarray,
    sxy: np.ndarray,
    theta: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """An arm's adjusted mean ``ybar - theta (xbar - x_pooled)`` and unit variance
    ``var_y - 2 theta cov_xy + theta^2 var_x`` (from its centred sums)."""
    mean = ybar - theta * (xbar - x_pooled)
    var = np.maximum(var_y - 2 * theta * sxy / (n - 1) + theta**2 * sxx / (n - 1), 0.0)
    return mean, var


def cuped_adjust(
    n: ArrayLike,
    total: ArrayLike,
    total_sq: ArrayLike,
    sum_x: ArrayLike,
    sum_x_sq: ArrayLike,
    sum_xy: ArrayLike,
) -> CupedAdjusted:
    """CUPED-adjusted means and unit variances of k arms (last axis), one pooled theta.

    ``theta = sum_i S_xy,i / sum_i S_xx,i`` over all arms (the covariate slope of
    the ANCOVA ``y ~ arm + x``), adjusted mean ``ybar_i - theta (xbar_i -
    xbar_pooled)`` and variance ``var_y - 2 theta cov_xy + theta^2 var_x`` per arm,
    as in :func:`cuped_test` (which is this with two arms). The differences of the
    adjusted means equal the arm coefficients of that regression (statsmodels /
    R ``lm``). For models that take per-arm means and variances, such as
    :func:`abtest.stats.bayes_means` (GrowthBook's regression adjustment).

    Returns
    -------
    n, mean, var, theta
        ``theta`` has the shape of one arm's slice (0 where the covariate is
        constant in every arm: nothing is adjusted).

    >>> n, m, v, theta = cuped_adjust([100, 100], [1050.0, 1100.0], [12000.0, 13000.0],
    ...                               [1000.0, 1010.0], [10900.0, 11000.0],
    ...                               [11000.0, 11600.0])
    >>> round(float(theta), 4), round(float(m[1] - m[0]), 4)
    (0.5827, 0.4417)
    """
    nn, my, vy = mean_var_from_sums(n, total, total_sq)
    sx, xbar, sxx, sxy = _covariate("", nn, my * nn, sum_x, sum_x_sq, sum_xy)
    pooled_sxx = sxx.sum(axis=-1, keepdims=True)
    adjusted = pooled_sxx > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(
            adjusted, sxy.sum(axis=-1, keepdims=True) / np.where(adjusted, pooled_sxx, 1.0), 0.0
        )
    x_pooled = sx.sum(axis=-1, keepdims=True) / nn.sum(axis=-1, keepdims=True)
    mean, var = _adjusted(nn, my, vy, xbar, x_pooled, sxx, sxy, theta)
    return CupedAdjusted(nn, mean, var, theta[..., 0])


def cuped_test(
    *arms: Any,
    alternative: str = "two-sided",
    alpha: float = 0.05,
) -> CupedResult:
    """Compare arm b with arm a on a metric adjusted by a pre-period covariate (CUPED).

    Parameters
    ----------
    arms
        Arm a (control) and arm b as two :class:`abtest.stats.sums.CovariateSums`
        (units, sum and sum of squares of the metric ``y``, sum and sum of squares
        of the covariate ``x``, and the sum of ``x y``), or two plain ``Sums`` for
        no covariate. Array form: the twelve arrays ``n_a, sum_a, sum_sq_a,
        sum_x_a, sum_x_sq_a, sum_xy_a`` then the same six of arm b.
    alternative, alpha
        As in :func:`abtest.stats.welch_test`.

    Returns
    -------
    CupedResult
        A :class:`TwoSampleResult` on the adjusted metric plus ``theta``,
        ``correlation``, ``variance_reduction``, ``adjusted``, ``se``,
        ``se_unadjusted`` and ``diff_unadjusted``.

    Notes
    -----
    Formulas in the module docstring (Deng et al. 2013, "Improving the
    sensitivity of online controlled experiments by utilizing pre-experiment
    data", WSDM, eq. 3-5). The adjusted difference equals the treatment
    coefficient of the OLS fit ``y ~ arm + x``. Pass plain ``Sums`` (or ``None``
    for all six covariate arrays) when there is no covariate: the result is then
    the unadjusted Welch test with ``adjusted = False``.

    Examples
    --------
    >>> r = cuped_test(100, 1050.0, 12000.0, 1000.0, 10900.0, 11000.0,
    ...                100, 1100.0, 13000.0, 1010.0, 11000.0, 11600.0)
    >>> round(float(r.theta), 4), round(float(r.variance_reduction), 4)
    (0.5827, 0.3077)
    >>> round(float(r.diff_unadjusted), 4), round(float(r.diff), 4)
    (0.5, 0.4417)
    >>> from abtest.stats.sums import CovariateSums
    >>> a = CovariateSums(100, 1050.0, 12000.0, 1000.0, 10900.0, 11000.0)
    >>> b = CovariateSums(100, 1100.0, 13000.0, 1010.0, 11000.0, 11600.0)
    >>> round(float(cuped_test(a, b).diff), 4)
    0.4417
    """
    p = _pair(*_cuped_arms(arms, "cuped_test"))
    base = welch_test(
        p.n_a, p.mean_a, p.var_a, p.n_b, p.mean_b, p.var_b, alternative=alternative, alpha=alpha
    )
    s = _check.scalar_or_array
    values = {f.name: getattr(base, f.name) for f in fields(TwoSampleResult)}
    values["test"] = "cuped"
    return CupedResult(
        **values,
        theta=s(p.theta),
        correlation=s(p.correlation),
        variance_reduction=s(p.variance_reduction),
        adjusted=s(p.adjusted),
        se=s(p.se),
        se_unadjusted=s(p.se_unadjusted),
        diff_unadjusted=s(p.diff_unadjusted),
    )


@dataclass(frozen=True)
class CupedSums(TwoArms):
    """Sums of the CUPED-adjusted metric per arm (see :func:`cuped_sums`).

    ``a`` and ``b`` are :class:`abtest.stats.sums.Sums` that reproduce the adjusted
    mean and unit variance of each arm (``c.b.mean``, ``c.b.var``); unpacked
    (``test(*c)``) or as ``c.args`` they go to any test taking per-arm sums.
    ``theta``, ``variance_reduction``, ``adjusted`` and ``se`` (of the adjusted
    difference) are those of :class:`CupedResult`.
    """

    theta: np.ndarray
    variance_reduction: np.ndarray
    adjusted: np.ndarray
    se: np.ndarray


def cuped_sums(*arms: Any) -> CupedSums:
    """The CUPED adjustment of :func:`cuped_test` as sums of the adjusted metric.

    Each arm's ``(n, n * mean_adj, (n - 1) * var_adj + n * mean_adj**2)``, so that any
    test taking per-arm sums runs on the adjusted metric: Welch's test on them is
    :func:`cuped_test`, and the sequential tests
    (:func:`abtest.stats.group_sequential_test`, :func:`abtest.stats.always_valid_test`)
    take them look by look, with ``theta`` re-estimated from the cumulative sums at
    each look. The adjusted difference is a fixed linear function of the cumulative
    sums once ``theta`` is fixed and ``theta`` converges to its population value, so
    the looks keep the independent-increment structure the boundaries assume
    (asymptotically, as for the unadjusted means; checked by simulation in
    ``tests/stats/test_calibration.py``).

    ``arms``: arm a and arm b as two :class:`abtest.stats.sums.CovariateSums`, or the
    twelve arrays of :func:`cuped_test`'s array form.

    >>> r = cuped_sums(100, 1050.0, 12000.0, 1000.0, 10900.0, 11000.0,
    ...                100, 1100.0, 13000.0, 1010.0, 11000.0, 11600.0)
    >>> round(float(r.b.mean - r.a.mean), 4)  # cuped_test's diff
    0.4417
    """
    a, b = _cuped_arms(arms, "cuped_sums")
    if not (isinstance(a, CovariateSums) and isinstance(b, CovariateSums)):
        raise TypeError("cuped_sums() needs the covariate sums of both arms (CovariateSums)")
    p = _pair(a, b)

    def sums(n: np.ndarray, mean: np.ndarray, var: np.ndarray) -> Sums:
        return Sums(n, n * mean, (n - 1) * var + n * mean * mean)

    return CupedSums(
        sums(p.n_a, p.mean_a, p.var_a),
        sums(p.n_b, p.mean_b, p.var_b),
        theta=p.theta,
        variance_reduction=p.variance_reduction,
        adjusted=p.adjusted,
        se=p.se,
    )


@dataclass(frozen=True)
class _Pair:
    n_a: np.ndarray
    mean_a: np.ndarray
    var_a: np.ndarray
    n_b: np.ndarray
    mean_b: np.ndarray
    var_b: np.ndarray
    theta: np.ndarray
    correlation: np.ndarray
    variance_reduction: np.ndarray
    adjusted: np.ndarray
    se: np.ndarray
    se_unadjusted: np.ndarray
    diff_unadjusted: np.ndarray


_COVARIATE_ARGS = ("sum_x_a", "sum_x_sq_a", "sum_xy_a", "sum_x_b", "sum_x_sq_b", "sum_xy_b")


def _cuped_arms(args: tuple[Any, ...], function: str) -> tuple[Sums, Sums]:
    """Arm a and arm b of :func:`cuped_test`: two ``CovariateSums``, two plain ``Sums``
    (no covariate), or the twelve arrays with ``None`` for all six covariate sums."""
    if len(args) == 2 and all(isinstance(x, Sums) for x in args):
        if isinstance(args[0], CovariateSums) != isinstance(args[1], CovariateSums):
            raise TypeError(
                f"{function}() needs the covariate sums of both arms or of neither "
                "(two CovariateSums, or two Sums)"
            )
        return args[0], args[1]
    if len(args) == 12:
        covariate = (*args[3:6], *args[9:12])
        missing = [n for n, v in zip(_COVARIATE_ARGS, covariate, strict=True) if v is None]
        if missing and len(missing) < len(_COVARIATE_ARGS):
            raise ValueError(
                f"{', '.join(missing)} missing: give all six covariate sums, or None for "
                "all of them (no covariate)"
            )
        if missing:
            return Sums(*args[0:3]), Sums(*args[6:9])
    return arms_of(args, CovariateSums, function)


def _pair(a: Sums, b: Sums) -> _Pair:
    """Both arms' adjusted means and variances with ``theta`` pooled over the pair
    (unadjusted, ``theta = 0``, when the arms are plain ``Sums``)."""
    na, ma, va = mean_var_from_sums(*a.outcome.arrays, "_a")
    nb, mb, vb = mean_var_from_sums(*b.outcome.arrays, "_b")
    if not isinstance(a, CovariateSums):
        zero = np.zeros(np.broadcast_shapes(na.shape, nb.shape))
        sxa = sxb = xa = xb = zero
        sxx_a = sxx_b = sxy_a = sxy_b = zero
    else:
        sxa, xa, sxx_a, sxy_a = _covariate("_a", na, ma * na, a.sum_x, a.sum_x_sq, a.sum_xy)
        sxb, xb, sxx_b, sxy_b = _covariate("_b", nb, mb * nb, b.sum_x, b.sum_x_sq, b.sum_xy)

    sxx = sxx_a + sxx_b
    syy = va * (na - 1) + vb * (nb - 1)
    adjusted = sxx > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(adjusted, (sxy_a + sxy_b) / np.where(adjusted, sxx, 1.0), 0.0)
        corr = np.where(adjusted & (syy > 0), (sxy_a + sxy_b) / np.sqrt(sxx * syy), 0.0)
    xbar = (sxa + sxb) / (na + nb)
    ma_adj, va_adj = _adjusted(na, ma, va, xa, xbar, sxx_a, sxy_a, theta)
    mb_adj, vb_adj = _adjusted(nb, mb, vb, xb, xbar, sxx_b, sxy_b, theta)
    se_adj = np.sqrt(va_adj / na + vb_adj / nb)
    se_raw = np.sqrt(va / na + vb / nb)
    with np.errstate(divide="ignore", invalid="ignore"):
        reduction = np.where(se_raw > 0, 1 - se_adj**2 / np.where(se_raw > 0, se_raw, 1.0) ** 2, 0)
    return _Pair(
        *np.broadcast_arrays(na, ma_adj, va_adj, nb, mb_adj, vb_adj),
        theta=theta,
        correlation=corr,
        variance_reduction=reduction,
        adjusted=adjusted,
        se=se_adj,
        se_unadjusted=se_raw,
        diff_unadjusted=mb - ma,
    )
