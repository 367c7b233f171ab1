"""Always-valid inference: p-values and confidence intervals safe under continuous monitoring.

For teams that look every day without planning how often, abtest uses the
normal-mixture sequential probability ratio test (mSPRT; Robbins 1970;
Johari, Koomen, Pekelis & Walsh 2017, "Peeking at A/B tests", KDD, as in
Optimizely's Stats Engine) in its asymptotic form, which is also the
asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Wang & Ramdas
(2023, "Time-uniform central limit theory and asymptotic confidence
sequences", arXiv:2103.06476v7, as in GrowthBook and Eppo). The two coincide
when the mixing variance is ``tau^2 = rho^2 s^2`` on the scale of the
per-unit noise ``s^2 = N V``.

At a look with ``N = n_a + n_b`` units, estimate ``d`` (difference or lift)
and its variance ``V`` (the usual unpooled ``var_a / n_a + var_b / n_b``, or
the delta-method variance of the lift), the mixture likelihood ratio against
``d = 0`` is::

    Lambda = (1 + N rho^2)^(-1/2) exp(z^2 N rho^2 / (2 (1 + N rho^2))),   z = d / sqrt(V)

(Johari et al. 2017 eq. 11 with ``tau^2 = N V rho^2``; Waudby-Smith et al. eq.
155). By Ville's inequality ``P(sup_N Lambda >= 1/alpha) <= alpha`` under H0,
so the always-valid p-value is ``p_N = min(1, min_{M <= N} 1 / Lambda_M)``.
Inverting it gives the confidence sequence ``d +- w`` with::

    w = sqrt(V) sqrt((1 + N rho^2) / (N rho^2) (log(1 + N rho^2) - 2 log(alpha)))

(Waudby-Smith et al. Theorem 2.2, two-sided). The tuning ``rho`` is chosen so
that the interval is narrowest when ``N = n_opt`` units (eq. 161, Howard et
al. 2021 eq. 3.12)::

    rho^2 = (-2 log(alpha) + log(1 - 2 log(alpha))) / n_opt

The default ``n_opt = 5000`` is GrowthBook's default ("sequential tuning
parameter"). Any fixed choice keeps the guarantee; a choice near the total
sample you expect gives the tightest intervals when you are likely to decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from abtest.stats import _check
from abtest.stats.means import mean_var_from_sums
from abtest.stats.proportions import (
    _unbounded_interval,
    fieller_lift_interval,
    relative_lift,
)
from abtest.stats.results import _Result, warn_degenerate
from abtest.stats.sums import Sums, arms_of

DEFAULT_N_OPT = 5000.0


def mixture_rho(alpha: float = 0.05, n_opt: float = DEFAULT_N_OPT) -> float:
    """Mixing parameter ``rho`` that makes the confidence sequence tightest at ``n_opt``.

    ``rho^2 = (-2 log(alpha) + log(1 - 2 log(alpha))) / n_opt`` (Waudby-Smith et
    al. 2023, eq. 161; GrowthBook's ``sequential_rho``).

    >>> round(mixture_rho(0.05, 5000), 5)
    0.03984
    """
    alpha = _check.alpha_level(alpha)
    n_opt = float(n_opt)
    if not n_opt > 0 or not math.isfinite(n_opt):
        raise ValueError(f"n_opt = {n_opt!r}: must be a positive number of units")
    la = -2 * math.log(alpha)
    return math.sqrt((la + math.log(1 + la)) / n_opt)


def mixture_halfwidth(se: ArrayLike, n: ArrayLike, alpha: float, rho: float) -> np.ndarray:
    """Half-width of the two-sided asymptotic confidence sequence at ``n`` units.

    ``sqrt(V) sqrt((1 + n rho^2) / (n rho^2) (log(1 + n rho^2) - 2 log(alpha)))`` with
    ``V = se^2``; it is always wider than the fixed-horizon ``1.96 se``.

    >>> round(float(mixture_halfwidth(1.0, 5000, 0.05, mixture_rho())), 4)
    3.0352
    """
    nr2 = np.asarray(n, dtype=np.float64) * rho**2
    return np.asarray(se) * np.sqrt((1 + nr2) / nr2 * (np.log1p(nr2) - 2 * math.log(alpha)))


def mixture_log_lr(z: ArrayLike, n: ArrayLike, rho: float) -> np.ndarray:
    """Log mixture likelihood ratio ``log Lambda`` of ``d = 0`` at z statistic ``z``.

    ``-log(1 + n rho^2) / 2 + z^2 n rho^2 / (2 (1 + n rho^2))`` (Johari et al.
    2017 eq. 11).

    >>> round(float(mixture_log_lr(3.0, 5000, mixture_rho())), 4)
    2.9014
    """
    nr2 = np.asarray(n, dtype=np.float64) * rho**2
    return -0.5 * np.log1p(nr2) + 0.5 * np.square(z) * nr2 / (1 + nr2)


@dataclass(frozen=True)
class AlwaysValidResult(_Result):
    """Always-valid comparison of arm b against arm a at every look.

    Arrays run over looks along the last axis. ``p_value`` is the always-valid
    p-value (non-increasing over looks) and ``significant`` is
    ``p_value <= alpha``: once True it stays True, and the chance that it ever
    becomes True under H0 is at most ``alpha`` however often one looks.
    ``diff_ci`` and ``lift_ci`` are confidence sequences: with probability
    ``1 - alpha`` they contain the true effect at every look simultaneously.
    With ``intersect=True`` (the default) each interval is the intersection of
    the intervals so far, so they only shrink. ``statistic`` is the fixed-horizon
    z of each look, ``log_lr`` the log mixture likelihood ratio (a log e-value).
    """

    statistic: Any
    log_lr: Any
    p_value: Any
    significant: Any
    diff: Any
    diff_ci: tuple[Any, Any]
    lift: Any
    lift_ci: tuple[Any, Any]
    mean_a: Any
    mean_b: Any
    n_a: Any
    n_b: Any
    alpha: float
    n_opt: float
    rho: float


def always_valid_test(
    *arms: Any,
    alpha: float = 0.05,
    n_opt: float = DEFAULT_N_OPT,
    intersect: bool = True,
    alternative: str = "two-sided",
) -> AlwaysValidResult:
    """Always-valid p-values and confidence sequences from cumulative per-look sums.

    Parameters
    ----------
    arms
        Arm a and arm b as two :class:`abtest.stats.sums.Sums` (or the array form
        ``n_a, sum_a, sum_sq_a, n_b, sum_b, sum_sq_b``): cumulative units, sum and
        sum of squares per arm at each look, along
        the last axis (a scalar is one look). For conversions
        ``sum == sum_sq``. Leading axes are independent comparisons.
    alpha
        Two-sided error rate, valid uniformly over all looks.
    n_opt
        Total units (both arms) at which the intervals are tightest; sets the
        mixing parameter ``rho`` (:func:`mixture_rho`). Default 5000.
    intersect
        Report the running intersection of the intervals (and the running
        minimum of the p-value, which that intersection matches at 0).
    alternative
        ``"two-sided"``, or ``"larger"`` / ``"smaller"`` (b above / below a): the
        two-sided mixture's p-value at looks whose estimate lies on the tested
        side, 1 at the others, and the sequence's bound on that side only (the
        other end ``inf``). Valid (the chance of ever rejecting under H0 is at
        most the two-sided one's, ``alpha``) and conservative: about ``alpha / 2``.

    Returns
    -------
    AlwaysValidResult
        Per look: ``p_value``, ``significant``, ``diff``/``diff_ci`` and
        ``lift``/``lift_ci`` (Fieller's interval at the sequence's multiplier,
        :func:`abtest.stats.proportions.fieller_lift_interval`: it excludes 0
        exactly when ``diff_ci`` does).

    Notes
    -----
    Formulas in the module docstring: the normal-mixture SPRT of Johari et al.
    (2017) and the asymptotic confidence sequence of Waudby-Smith et al. (2023,
    Theorem 2.2 and eq. 155), which GrowthBook's ``SequentialTwoSidedTTest``
    implements with the same ``rho`` (their ``sequential_tuning_parameter``).

    Examples
    --------
    >>> n = [2000, 4000, 6000]
    >>> conv_a, conv_b = [100, 200, 300], [120, 250, 380]
    >>> r = always_valid_test(n, conv_a, conv_a, n, conv_b, conv_b)
    >>> [round(float(p), 4) for p in r.p_value]
    [1.0, 0.2414, 0.039]
    >>> r.significant.tolist()
    [False, False, True]
    >>> [round(float(x), 4) for x in (r.diff_ci[0][-1], r.diff_ci[1][-1])]
    [0.0004, 0.0263]
    """
    alpha = _check.alpha_level(alpha)
    alternative = _check.alternative(alternative)
    rho = mixture_rho(alpha, n_opt)
    a, b = arms_of(arms, Sums, "always_valid_test")
    na, ma, va = mean_var_from_sums(*a.arrays, "_a")
    nb, mb, vb = mean_var_from_sums(*b.arrays, "_b")
    na, ma, va, nb, mb, vb = (np.atleast_1d(x) for x in np.broadcast_arrays(na, ma, va, nb, mb, vb))
    n = na + nb

    se = np.sqrt(va / na + vb / nb)
    degenerate = se == 0
    warn_degenerate(degenerate, "no test is possible at this look: both arms have zero variance")
    se = np.where(degenerate, np.nan, se)
    diff = mb - ma
    z = diff / se
    log_lr = mixture_log_lr(z, n, rho)
    with np.errstate(over="ignore"):
        p = np.minimum(1.0, np.exp(-log_lr))
    half = mixture_halfwidth(se, n, alpha, rho)
    diff_ci = _unbounded_interval(diff, half, alternative)
    if alternative != "two-sided":  # evidence on the tested side only
        sign = 1.0 if alternative == "larger" else -1.0
        p = np.where(sign * z > 0, p, np.where(np.isnan(z), np.nan, 1.0))
    lift, _ = relative_lift(ma, va, na, mb, vb, nb)
    # Fieller's interval at the sequence's multiplier (half-width over se): it excludes
    # a zero lift exactly when the difference's sequence excludes 0
    q = mixture_halfwidth(1.0, n, alpha, rho)
    lift_ci = fieller_lift_interval(ma, va, na, mb, vb, nb, q, alternative)
    lift_ci = tuple(np.where(np.isnan(lift), np.nan, end) for end in lift_ci)
    if intersect:
        p = _running(np.fmin, p)
        diff_ci = (_running(np.fmax, diff_ci[0]), _running(np.fmin, diff_ci[1]))
        lift_ci = (_running(np.fmax, lift_ci[0]), _running(np.fmin, lift_ci[1]))

    return AlwaysValidResult(
        statistic=z,
        log_lr=log_lr,
        p_value=p,
        significant=p <= alpha,
        diff=diff,
        diff_ci=diff_ci,
        lift=lift,
        lift_ci=lift_ci,
        mean_a=ma,
        mean_b=mb,
        n_a=na,
        n_b=nb,
        alpha=alpha,
        n_opt=float(n_opt),
        rho=rho,
    )


def _running(op: np.ufunc, x: np.ndarray) -> np.ndarray:
    """Running ``op`` (fmin/fmax: NaN looks are skipped) along the looks axis."""
    return op.accumulate(x, axis=-1)
