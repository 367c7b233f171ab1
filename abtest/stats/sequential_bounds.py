"""Group sequential designs: Lan-DeMets alpha spending with a planned number of looks.

A test that is analysed ``K`` times and stops at the first significant look
needs wider boundaries than 1.96 to keep its false-positive rate at
``alpha``. With the Lan & DeMets (1983) spending approach, the share of
``alpha`` a look may use depends only on its *information fraction*
``t_k = n_k / n_max`` (units so far over the planned maximum), so looks need
not be equally spaced or fixed in advance. Per side (``alpha / 2`` each, the
boundaries are symmetric) the cumulative error spent by information ``t`` is

* O'Brien-Fleming type: ``f(t) = 2 - 2 Phi(z_{1 - a/2} / sqrt(t))``, ``a = alpha / 2``
  (gsDesign ``sfLDOF``, rpact ``typeOfDesign = "asOF"``);
* Pocock type: ``f(t) = a log(1 + (e - 1) t)`` (gsDesign ``sfLDPocock``,
  rpact ``"asP"``).

The boundary ``c_k`` solves ``P(|Z_j| < c_j for j < k, Z_k >= c_k) = f(t_k) -
f(t_{k-1})`` under H0, where ``Z_k`` is the cumulative z statistic, Brownian
motion in information time: ``Z_k sqrt(t_k) = Z_{k-1} sqrt(t_{k-1}) +
N(drift (t_k - t_{k-1}), t_k - t_{k-1})``. The probabilities come from the
Armitage, McPherson & Rowe (1969) recursion: the sub-density of ``Z_k`` on
the continuation region is carried from look to look by numerical integration
(composite Simpson rule on a grid fine enough for the narrowest transition
kernel; Jennison & Turnbull, *Group Sequential Methods with Applications to
Clinical Trials*, 2000, ch. 19). It is carried on the score scale ``Z_k
sqrt(t_k)``, where the step between looks does not depend on where a path is,
so on grids of one step the integration is a discrete convolution: 1000 looks
take seconds (the dense matrix took minutes). The boundaries match R's
gsDesign/rpact to the 4 decimals they print, and with many looks Siegmund's
corrected diffusion approximation (*Sequential Analysis*, 1985, sec. 10.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from abtest import vocabulary
from abtest.stats import _check
from abtest.stats._sequential_recursion import _COARSE as _COARSE  # sequential.py's tables
from abtest.stats._sequential_recursion import _FINE, _Recursion, _sf
from abtest.stats.results import _Result

SPENDING = vocabulary.SPENDING


def spending_function(
    t: ArrayLike, alpha: float, spending: str, alternative: str = "two-sided"
) -> np.ndarray:
    """Cumulative alpha spent by information fraction ``t``.

    Two-sided: ``2 f(t)`` (both sides) with ``f`` the one-sided Lan-DeMets
    function at level ``alpha / 2`` (see the module docstring), ``f(1) = alpha / 2``;
    one-sided (``"larger"`` / ``"smaller"``): ``f(t)`` at level ``alpha``.

    >>> [round(float(x), 6) for x in spending_function([0.5, 1.0], 0.05, "obrien-fleming")]
    [0.003051, 0.05]
    >>> [round(float(x), 6) for x in spending_function([0.5, 1.0], 0.025, "obrien-fleming",
    ...                                                "larger")]
    [0.001525, 0.025]
    """
    spending = vocabulary.spending(spending)
    alternative = _check.alternative(alternative)
    if alternative != "two-sided":
        return _per_side(np.asarray(t, dtype=np.float64), alpha, spending)
    return 2 * _per_side(np.asarray(t, dtype=np.float64), alpha / 2, spending)


def _per_side(t: np.ndarray, a: float, spending: str) -> np.ndarray:
    """The one-sided Lan-DeMets spending function ``f(t)`` at level ``a``."""
    if spending == "obrien-fleming":
        with np.errstate(divide="ignore"):
            return 2 * _sf(-special.ndtri(a / 2) / np.sqrt(t))
    return a * np.log1p((math.e - 1) * t)


def _fractions(looks: int | ArrayLike) -> np.ndarray:
    """Information fractions from an int (equal spacing) or a strictly increasing sequence."""
    if isinstance(looks, (int, np.integer)) and not isinstance(looks, bool):
        if looks < 1:
            raise ValueError(f"looks = {looks}: a design needs at least one look")
        return np.arange(1, looks + 1) / looks
    t = _check.as_float("looks", looks)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(
            f"looks must be an int or a 1-D sequence of information fractions, got {looks!r}"
        )
    _check.fail_where("looks", t, (t <= 0) | (t > 1), "an information fraction must be in (0, 1]")
    step = np.diff(t, prepend=0.0)
    _check.fail_where(
        "looks", t, step <= 0, "information fractions must increase strictly from look to look"
    )
    return t


def _solve_bounds(
    t: np.ndarray,
    increments: np.ndarray,
    grid: tuple[float, int] = _FINE,
    one_sided: bool = False,
) -> np.ndarray:
    """Boundaries c_k whose upper crossing probability under H0 equals
    ``increments[k]`` (alpha spent per side at look k); 0 when even c = 0 spends
    less (only for huge alphas), inf when nothing is spent. Two-sided designs are
    symmetric (paths stop at -c_k too); a one-sided design has no lower boundary
    (continuation region (-inf, c_k))."""
    rec = _Recursion(t, grid=grid)
    floor = (lambda x: -np.inf) if one_sided else (lambda x: -x)
    c = np.empty(t.size)
    for k in range(t.size):
        target = increments[k]
        if target <= 1e-300:
            c[k] = np.inf
        elif k == 0:
            c[k] = max(-special.ndtri(target), 0.0)
        else:

            def excess(x: float, k: int = k, target: float = target) -> float:
                return math.log(max(rec.cross_upper(k, x), 1e-320)) - math.log(target)

            # Crossing only gets harder than the unconditional tail, so c_k is at
            # most the marginal quantile (plus rounding) and at least 0.
            hi = max(float(-special.ndtri(target)), 0.0) + 1e-9
            while excess(hi) > 0:
                hi += 0.01
            if excess(0.0) <= 0:
                c[k] = 0.0
            else:
                c[k] = optimize.brentq(excess, 0.0, hi, xtol=1e-12, rtol=1e-14)
        if k + 1 < t.size:
            rec.advance(k, c[k], floor(c[k]))
    return c


def _design(
    t: np.ndarray,
    alpha: float,
    spending: str,
    one_sided: bool = False,
    grid: tuple[float, int] = _FINE,
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative alpha spent and boundaries at fractions ``t``: the spending
    function's increments, per side (halved for a symmetric two-sided design),
    solved by :func:`_solve_bounds`."""
    spent = spending_function(t, alpha, spending, "larger" if one_sided else "two-sided")
    per_side = np.diff(spent, prepend=0.0) / (1 if one_sided else 2)
    return spent, _solve_bounds(t, per_side, grid, one_sided)


def _crossing(
    t: np.ndarray, upper: np.ndarray, lower: np.ndarray, drift: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-look probabilities of first crossing the upper and the lower boundary."""
    rec = _Recursion(t, drift)
    up = np.empty(t.size)
    low = np.empty(t.size)
    for k in range(t.size):
        up[k], low[k] = rec.cross(k, upper[k], lower[k])
        if k + 1 < t.size:
            rec.advance(k, upper[k], lower[k])
    return up, low


def _inflation(
    t: np.ndarray, c: np.ndarray, alpha: float, power: float, one_sided: bool = False
) -> tuple[float, float]:
    """Inflation factor ``(drift / (z_{1-alpha/2} + z_power))**2`` (one-sided:
    ``z_{1-alpha}``) with ``drift`` such that the upper boundary is crossed with
    probability ``power``, and the expected information at stopping under that
    drift as a fraction of the fixed design."""
    fixed = -special.ndtri(alpha if one_sided else alpha / 2) - special.ndtri(1 - power)
    lower = np.full(c.shape, -np.inf) if one_sided else -c

    seen: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def crossing(drift: float) -> tuple[np.ndarray, np.ndarray]:
        # each recursion is the whole cost: brentq asks again for the bracket's ends
        # and the root is one of the points it evaluated
        if drift not in seen:
            seen[drift] = _crossing(t, c, lower, drift)
        return seen[drift]

    def excess(drift: float) -> float:
        return float(crossing(drift)[0].sum()) - power

    lo, hi = fixed, 2 * fixed  # a sequential design needs at least the fixed drift
    while excess(lo) > 0:
        lo, hi = lo / 2, lo
    while excess(hi) < 0:
        lo, hi = hi, 2 * hi
    drift = optimize.brentq(excess, lo, hi, xtol=1e-10, rtol=1e-12)
    up, low = crossing(drift)
    stop = up + low
    p_continue = 1 - stop.sum()
    expected_t = float(np.dot(stop, t) + p_continue * t[-1])
    factor = (drift / fixed) ** 2
    return factor, expected_t * factor


@dataclass(frozen=True)
class GroupSequentialBounds(_Result):
    """A group sequential design with efficacy boundaries.

    Two-sided (symmetric): reject H0 at look k when ``|Z_k| >= z[k]``,
    equivalently when the nominal fixed-horizon two-sided p-value is
    ``<= nominal_p[k]``; ``alpha_spent`` is cumulative over both sides.
    One-sided: reject when ``Z_k >= z[k]`` (``"larger"``) or ``Z_k <= -z[k]``
    (``"smaller"``), the nominal p-value one-sided; there is no boundary on the
    other side (no futility stop). ``inflation_factor`` is the maximum sample size of
    the design over the fixed-horizon sample size at the same alpha and
    ``power``; ``expected_sample_fraction`` is the expected sample size at
    stopping under the planned effect, over the fixed-horizon sample size.
    """

    z: Any
    alpha_spent: Any
    information_fractions: Any
    nominal_p: Any
    alpha: float
    spending: str
    power: float
    inflation_factor: float
    expected_sample_fraction: float
    alternative: str = "two-sided"


def group_sequential_bounds(
    looks: int | ArrayLike,
    *,
    alpha: float = 0.05,
    spending: str = "obrien-fleming",
    power: float = 0.8,
    alternative: str = "two-sided",
) -> GroupSequentialBounds:
    """Efficacy boundaries of a Lan-DeMets alpha-spending design.

    Parameters
    ----------
    looks
        Number of equally spaced looks, or the information fractions of the
        looks (strictly increasing in (0, 1]; the final analysis is 1).
    alpha
        False-positive rate; two-sided designs spend ``alpha / 2`` on each side,
        one-sided designs all of it on theirs.
    spending
        ``"obrien-fleming"`` (Lan-DeMets O'Brien-Fleming type, strict early,
        close to 1.96 at the end) or ``"pocock"`` (Lan-DeMets Pocock type,
        nearly constant boundaries).
    power
        Power at which ``inflation_factor`` is computed.
    alternative
        ``"two-sided"`` (symmetric boundaries), or ``"larger"`` / ``"smaller"``
        for a one-sided design: continuation region ``(-inf, c_k)`` of the signed
        statistic, as gsDesign ``test.type=1``.

    Returns
    -------
    GroupSequentialBounds
        ``z`` (looks,) boundaries on the z scale, ``alpha_spent`` (looks,)
        cumulative, ``information_fractions``, ``nominal_p``,
        ``inflation_factor``, ``expected_sample_fraction``.

    Notes
    -----
    Spending functions and the recursion are described in the module
    docstring (Lan & DeMets 1983, Biometrika 70:659; Armitage, McPherson &
    Rowe 1969, JRSS A 132:235; Jennison & Turnbull 2000, ch. 7 and 19).
    Matches R ``gsDesign(k=5, test.type=2, alpha=0.025, sfu=sfLDOF)$upper$bound``
    and rpact ``getDesignGroupSequential(kMax=5, alpha=0.05, sided=2,
    typeOfDesign="asOF")$criticalValues``.

    Examples
    --------
    >>> b = group_sequential_bounds(5)
    >>> [round(float(z), 4) for z in b.z]
    [4.8769, 3.357, 2.6803, 2.2898, 2.031]
    >>> round(float(b.alpha_spent[-1]), 6)
    0.05
    >>> [round(float(z), 4) for z in group_sequential_bounds(5, spending="pocock").z]
    [2.438, 2.4268, 2.4102, 2.3966, 2.386]

    A one-sided design at level ``a`` is close to the two-sided one at ``2 a``
    (paths that would have stopped at the lower boundary rarely climb to the upper
    one later): within 2e-5 for O'Brien-Fleming, 1e-4 to 3e-4 for Pocock at
    ``a = 0.05``, up to 1.5e-3 at 0.1 with 10 looks. One-sided at 0.05:

    >>> [round(float(z), 4) for z in group_sequential_bounds(5, alternative="larger").z]
    [4.2292, 2.8881, 2.2981, 1.9618, 1.7397]
    """
    t = _fractions(looks)
    alpha = _check.alpha_level(alpha)
    power = _check.power_level(power)
    spending = vocabulary.spending(spending)
    alternative = _check.alternative(alternative)
    one_sided = alternative != "two-sided"
    spent, c = _design(t, alpha, spending, one_sided)
    factor, expected = _inflation(t, c, alpha, power, one_sided)
    return GroupSequentialBounds(
        z=c,
        alpha_spent=spent,
        information_fractions=t,
        nominal_p=(1 if one_sided else 2) * _sf(c),
        alpha=alpha,
        spending=spending,
        power=power,
        inflation_factor=factor,
        expected_sample_fraction=expected,
        alternative=alternative,
    )
