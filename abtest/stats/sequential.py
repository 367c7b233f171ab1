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
Clinical Trials*, 2000, ch. 19). The boundaries match R's gsDesign/rpact to
the 4 decimals they print.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import interpolate, optimize, special

from abtest.stats import _check
from abtest.stats.means import mean_var_from_sums
from abtest.stats.proportions import relative_lift
from abtest.stats.results import _Result, warn_degenerate

SPENDING = ("obrien-fleming", "pocock")

# Grid: Simpson step at most `h` on the z scale and at most 1/`per_sd` of the
# narrowest transition kernel; the continuation region is cut at _SPAN standard
# deviations from the mean of Z_k (the sub-density there is below 1e-31).
# _FINE gives boundaries to ~1e-8; _COARSE (for p-value tables) to ~1e-5.
_FINE = (0.02, 10)
_COARSE = (0.05, 4)
_SPAN = 12.0
_SQRT_2PI = math.sqrt(2 * math.pi)


def _sf(x: Any) -> Any:
    """Standard normal upper tail (scipy.special.ndtr, without scipy.stats overhead)."""
    return special.ndtr(-np.asarray(x))


def spending_function(t: ArrayLike, alpha: float, spending: str) -> np.ndarray:
    """Cumulative two-sided alpha spent by information fraction ``t`` (both sides).

    ``2 f(t)`` with ``f`` the one-sided Lan-DeMets function at level ``alpha / 2``
    (see the module docstring); ``f(1) = alpha / 2``.

    >>> [round(float(x), 6) for x in spending_function([0.5, 1.0], 0.05, "obrien-fleming")]
    [0.003051, 0.05]
    """
    _check.choice("spending", spending, SPENDING)
    t = np.asarray(t, dtype=np.float64)
    a = alpha / 2
    if spending == "obrien-fleming":
        with np.errstate(divide="ignore"):
            per_side = 2 * _sf(-special.ndtri(a / 2) / np.sqrt(t))
    else:
        per_side = a * np.log1p((math.e - 1) * t)
    return 2 * per_side


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


def _grid(lo: float, hi: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and composite-Simpson weights on [lo, hi] with step at most ``h``."""
    m = max(2, math.ceil((hi - lo) / h))
    m += m % 2
    z = np.linspace(lo, hi, m + 1)
    w = np.ones(m + 1)
    w[1:-1:2] = 4.0
    w[2:-1:2] = 2.0
    return z, w * (hi - lo) / (3 * m)


class _Recursion:
    """Armitage-McPherson-Rowe recursion for Z_1..Z_K at information ``t``, drift ``drift``.

    ``E[Z_k] = drift sqrt(t_k)``. After ``advance(k, c)`` the object holds the
    sub-density of Z_k on (-c, c) (paths that have not stopped) as Simpson
    nodes ``z`` and mass ``mass = weight * density``.
    """

    def __init__(self, t: np.ndarray, drift: float = 0.0, grid: tuple[float, int] = _FINE) -> None:
        self.t = t
        self.drift = drift
        h, per_sd = grid
        steps = np.diff(t, prepend=0.0)
        # Narrowest kernel in the u variable of the next integration.
        self.h = [
            min(h, math.sqrt(steps[k + 1] / t[k]) / per_sd) if k + 1 < t.size else h
            for k in range(t.size)
        ]
        self.z = np.empty(0)
        self.mass = np.empty(0)

    def _kernel(self, k: int) -> tuple[np.ndarray, float]:
        """Conditional mean of Z_k at the previous nodes and its sd."""
        t0, t1 = self.t[k - 1], self.t[k]
        mean = (self.z * math.sqrt(t0) + self.drift * (t1 - t0)) / math.sqrt(t1)
        return mean, math.sqrt((t1 - t0) / t1)

    def cross(self, k: int, upper: float, lower: float) -> tuple[float, float]:
        """P(continue to k-1, Z_k >= upper) and P(continue to k-1, Z_k <= lower)."""
        if k == 0:
            mu = self.drift * math.sqrt(self.t[0])
            return float(_sf(upper - mu)), float(special.ndtr(lower - mu))
        mean, sd = self._kernel(k)
        up = float(np.dot(self.mass, _sf((upper - mean) / sd)))
        low = float(np.dot(self.mass, special.ndtr((lower - mean) / sd)))
        return up, low

    def advance(self, k: int, upper: float, lower: float) -> None:
        """Carry the continuation sub-density to look k, region (lower, upper)."""
        mu = self.drift * math.sqrt(self.t[k])
        lo, hi = max(lower, mu - _SPAN), min(upper, mu + _SPAN)
        if hi <= lo:  # every path has stopped (numerically)
            z, w = np.array([mu]), np.zeros(1)
            dens = np.zeros(1)
        else:
            z, w = _grid(lo, hi, self.h[k])
            if k == 0:
                dens = np.exp(-0.5 * (z - mu) ** 2) / _SQRT_2PI
            else:
                mean, sd = self._kernel(k)
                x = (z[:, None] - mean[None, :]) / sd
                dens = np.exp(-0.5 * x * x) @ self.mass / (sd * _SQRT_2PI)
        self.z, self.mass = z, w * dens


def _solve_bounds(
    t: np.ndarray, increments: np.ndarray, grid: tuple[float, int] = _FINE
) -> np.ndarray:
    """Symmetric boundaries c_k whose upper crossing probability under H0 equals
    ``increments[k]`` (alpha spent per side at look k); 0 when even c = 0 spends
    less (only for huge alphas), inf when nothing is spent."""
    rec = _Recursion(t, grid=grid)
    c = np.empty(t.size)
    for k in range(t.size):
        target = increments[k]
        if target <= 1e-300:
            c[k] = np.inf
        elif k == 0:
            c[k] = max(-special.ndtri(target), 0.0)
        else:

            def excess(x: float, k: int = k, target: float = target) -> float:
                return math.log(max(rec.cross(k, x, -x)[0], 1e-320)) - math.log(target)

            # Crossing only gets harder than the unconditional tail, so c_k is at
            # most the marginal quantile (plus rounding) and at least 0.
            hi = max(float(-special.ndtri(target)), 0.0) + 1e-9
            while excess(hi) > 0:
                hi += 0.01
            if excess(0.0) <= 0:
                c[k] = 0.0
            else:
                c[k] = optimize.brentq(excess, 0.0, hi, xtol=1e-12, rtol=1e-14)
        rec.advance(k, c[k], -c[k])
    return c


def _crossing(
    t: np.ndarray, upper: np.ndarray, lower: np.ndarray, drift: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-look probabilities of first crossing the upper and the lower boundary."""
    rec = _Recursion(t, drift)
    up = np.empty(t.size)
    low = np.empty(t.size)
    for k in range(t.size):
        up[k], low[k] = rec.cross(k, upper[k], lower[k])
        rec.advance(k, upper[k], lower[k])
    return up, low


def _inflation(t: np.ndarray, c: np.ndarray, alpha: float, power: float) -> tuple[float, float]:
    """Inflation factor ``(drift / (z_{1-alpha/2} + z_power))**2`` with ``drift`` such
    that the upper boundary is crossed with probability ``power``, and the expected
    information at stopping under that drift as a fraction of the fixed design."""
    fixed = -special.ndtri(alpha / 2) - special.ndtri(1 - power)

    def excess(drift: float) -> float:
        return float(_crossing(t, c, -c, drift)[0].sum()) - power

    lo, hi = fixed, 2 * fixed  # a sequential design needs at least the fixed drift
    while excess(lo) > 0:
        lo, hi = lo / 2, lo
    while excess(hi) < 0:
        lo, hi = hi, 2 * hi
    drift = optimize.brentq(excess, lo, hi, xtol=1e-10, rtol=1e-12)
    up, low = _crossing(t, c, -c, drift)
    stop = up + low
    p_continue = 1 - stop.sum()
    expected_t = float(np.dot(stop, t) + p_continue * t[-1])
    factor = (drift / fixed) ** 2
    return factor, expected_t * factor


@dataclass(frozen=True)
class GroupSequentialBounds(_Result):
    """A two-sided group sequential design (symmetric efficacy boundaries).

    Reject H0 at look k when ``|Z_k| >= z[k]``, equivalently when the nominal
    fixed-horizon two-sided p-value is ``<= nominal_p[k]``. ``alpha_spent`` is
    cumulative (both sides). ``inflation_factor`` is the maximum sample size of
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


def group_sequential_bounds(
    looks: int | ArrayLike,
    *,
    alpha: float = 0.05,
    spending: str = "obrien-fleming",
    power: float = 0.8,
) -> GroupSequentialBounds:
    """Two-sided efficacy boundaries of a Lan-DeMets alpha-spending design.

    Parameters
    ----------
    looks
        Number of equally spaced looks, or the information fractions of the
        looks (strictly increasing in (0, 1]; the final analysis is 1).
    alpha
        Two-sided false-positive rate; ``alpha / 2`` is spent on each side.
    spending
        ``"obrien-fleming"`` (Lan-DeMets O'Brien-Fleming type, strict early,
        close to 1.96 at the end) or ``"pocock"`` (Lan-DeMets Pocock type,
        nearly constant boundaries).
    power
        Power at which ``inflation_factor`` is computed.

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
    """
    t = _fractions(looks)
    alpha = _check.alpha_level(alpha)
    power = _check.power_level(power)
    _check.choice("spending", spending, SPENDING)
    spent = spending_function(t, alpha, spending)
    c = _solve_bounds(t, np.diff(spent, prepend=0.0) / 2)
    factor, expected = _inflation(t, c, alpha, power)
    return GroupSequentialBounds(
        z=c,
        alpha_spent=spent,
        information_fractions=t,
        nominal_p=2 * _sf(c),
        alpha=alpha,
        spending=spending,
        power=power,
        inflation_factor=factor,
        expected_sample_fraction=expected,
    )


@dataclass(frozen=True)
class SequentialResult(_Result):
    """A two-arm comparison analysed at every look of a group sequential design.

    Arrays run over looks along the last axis (leading axes: one per batch of
    comparisons). ``statistic`` is the z statistic of look k, ``boundary`` its
    efficacy boundary and ``crossed`` is ``|statistic| >= boundary``;
    ``rejected`` stays True from the first crossing on (the test stops there),
    and ``stop_look`` is the index of that first crossing (-1: none yet).

    ``p_value`` is the repeated p-value minimised over the looks so far: the
    smallest alpha at which the same design would have stopped by this look,
    so ``rejected == (p_value <= alpha)`` and it can go through Holm or
    Bonferroni like a fixed-horizon p-value (Jennison & Turnbull 2000, sec.
    9.4). ``fixed_p_value`` is the naive fixed-horizon p-value of the look,
    which must NOT be compared with alpha; ``nominal_p`` is the boundary as a
    fixed-horizon p-value (``fixed_p_value <= nominal_p`` iff crossed).
    ``diff_ci`` and ``lift_ci`` are repeated confidence intervals: estimate +-
    boundary x standard error, which cover the true effect at every look at
    once with probability ``1 - alpha`` (Jennison & Turnbull 2000, ch. 9).
    """

    statistic: Any
    boundary: Any
    p_value: Any
    crossed: Any
    rejected: Any
    stop_look: Any
    fixed_p_value: Any
    nominal_p: Any
    information_fraction: Any
    alpha_spent: Any
    diff: Any
    diff_ci: tuple[Any, Any]
    lift: Any
    lift_ci: tuple[Any, Any]
    mean_a: Any
    mean_b: Any
    n_a: Any
    n_b: Any
    alpha: float
    spending: str
    max_n: float | None
    looks: int | None


def _cumulative(name: str, x: np.ndarray) -> None:
    """Cumulative counts must not decrease from look to look."""
    if x.ndim and x.shape[-1] > 1:
        bad = np.zeros(x.shape, dtype=bool)
        bad[..., 1:] = np.diff(x, axis=-1) < 0
        _check.fail_where(
            name, x, bad, "cumulative counts cannot decrease from one look to the next"
        )


# Levels at which the boundaries are tabulated to turn |z| into a repeated p-value.
# Denser above 0.001, where the boundaries bend most as a function of the level;
# p-values below 1e-6 are reported as 1e-6.
_P_FLOOR = 1e-6
_P_LEVELS = np.union1d(np.geomspace(_P_FLOOR, 1e-3, 7), np.geomspace(1e-3, 1.0, 19))


def _repeated_p(
    t: np.ndarray,
    c: np.ndarray,
    zabs: np.ndarray,
    owner: np.ndarray,
    alpha: float,
    spending: str,
) -> np.ndarray:
    """Repeated p-values (Jennison & Turnbull 2000, sec. 9.4) of ``|z|`` (m, looks).

    ``t`` and ``c`` are the informative looks' fractions and boundaries; look j
    of ``zabs`` is judged at informative look ``owner[j]``.

    The repeated p-value of look k is the smallest level ``a`` whose design
    (same spending function and fractions ``t``) has ``|z_k| >= c_k(a)``. The
    boundaries are tabulated over ``_P_LEVELS`` plus ``alpha`` (whose row is the
    exact ``c``, so ``p <= alpha`` exactly when ``|z| >= c``), and the level's
    fixed-horizon z, ``z_{1 - a/2}``, which is nearly linear in ``c`` (equal for
    one look), is interpolated monotonically (PCHIP): within 1e-3 (relative) of
    the exact inverse for p < 0.5, and exact at ``alpha``. Below 1e-6 the p-value
    is reported as 1e-6.
    """
    levels = np.unique(np.append(_P_LEVELS, alpha))
    table = np.empty((levels.size, t.size))
    for i, level in enumerate(levels):
        if level == alpha:
            table[i] = c
        else:
            spent = spending_function(t, level, spending)
            table[i] = _solve_bounds(t, np.diff(spent, prepend=0.0) / 2, _COARSE)
    p = np.empty(zabs.shape)
    for j, k in enumerate(owner):
        col = table[:, k]
        finite = np.isfinite(col)
        # c falls as the level grows; keep the smallest level of each value of c.
        x, first = np.unique(col[finite], return_index=True)
        y = -special.ndtri(levels[finite][first] / 2)
        zk = zabs[:, j]
        if x.size >= 2:
            zlevel = interpolate.PchipInterpolator(x, y)(np.clip(zk, x[0], x[-1]))
        else:
            zlevel = np.full(zk.shape, y[0] if y.size else 0.0)
        p[:, j] = np.where(zk < x[0] if x.size else True, 1.0, 2 * _sf(zlevel))
    p[np.isnan(zabs)] = np.nan
    return p


def _design_per_look(
    t: np.ndarray, zabs: np.ndarray, alpha: float, spending: str, with_p: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Boundaries, cumulative alpha and repeated p-values at fractions ``t`` (..., looks).

    Looks that bring no new information (``t`` not above the largest earlier
    fraction: no new units, or past the planned maximum) spend no alpha and
    keep the previous boundary. One design per distinct row of fractions.
    """
    shape = t.shape
    flat = t.reshape(-1, shape[-1])
    zflat = np.broadcast_to(zabs, shape).reshape(-1, shape[-1])
    rows, inverse = np.unique(np.round(flat, 12), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    c_out = np.empty(flat.shape)
    spent_out = np.empty(flat.shape)
    p_out = np.empty(flat.shape) if with_p else None
    for i, row in enumerate(rows):
        new = row > np.maximum.accumulate(np.concatenate(([0.0], row[:-1])))
        tk = row[new]
        spent = spending_function(tk, alpha, spending)
        c = _solve_bounds(tk, np.diff(spent, prepend=0.0) / 2)
        owner = np.cumsum(new) - 1  # the informative look each look repeats
        mine = inverse == i
        c_out[mine], spent_out[mine] = c[owner], spent[owner]
        if p_out is not None:
            p_out[mine] = _repeated_p(tk, c, zflat[mine], owner, alpha, spending)
    p_shaped = None if p_out is None else p_out.reshape(shape)
    return c_out.reshape(shape), spent_out.reshape(shape), p_shaped


def group_sequential_test(
    n_a: ArrayLike,
    sum_a: ArrayLike,
    sum_sq_a: ArrayLike,
    n_b: ArrayLike,
    sum_b: ArrayLike,
    sum_sq_b: ArrayLike,
    *,
    alpha: float = 0.05,
    spending: str = "obrien-fleming",
    max_n: float | None = None,
    looks: int | None = None,
    repeated_p: bool = True,
) -> SequentialResult:
    """Analyse cumulative per-look sufficient statistics with a group sequential design.

    Parameters
    ----------
    n_a, sum_a, sum_sq_a, n_b, sum_b, sum_sq_b
        Cumulative units, sum and sum of squares of the metric per arm at each
        look, along the last axis (e.g. one entry per day). For a conversion
        rate ``sum == sum_sq == conversions``. Leading axes, if any, are
        independent comparisons (arm a broadcasts against several arms b).
    alpha
        Two-sided false-positive rate of the whole design.
    spending
        ``"obrien-fleming"`` or ``"pocock"`` (see :func:`group_sequential_bounds`).
    max_n
        Planned maximum number of units over both arms: the information
        fraction of a look is ``(n_a + n_b) / max_n``, capped at 1 (preferred:
        it follows the traffic actually received).
    looks
        Planned number of equally spaced looks, when ``max_n`` is not known:
        look k (1-based) has fraction ``k / looks``, capped at 1.
        Without ``max_n`` or ``looks`` the last look given is taken as the final
        analysis (fraction ``(n_a + n_b) / (n_a + n_b)[-1]``) and spends the
        remaining alpha, which is right only once the test has ended.
    repeated_p
        Compute the repeated p-values (about 25 extra boundary computations
        per distinct design); with False ``p_value`` is None, for large
        simulation studies that need only the decisions.

    Returns
    -------
    SequentialResult
        Per look: ``statistic`` (z), ``boundary``, ``p_value`` (repeated),
        ``crossed``, ``rejected``, repeated confidence intervals of the
        difference and the lift; ``stop_look`` per comparison.

    Notes
    -----
    ``z_k = (mean_b - mean_a) / sqrt(var_a / n_a + var_b / n_b)`` with sample
    variances; the boundaries are those of :func:`group_sequential_bounds` at
    the observed information fractions (Lan & DeMets 1983). Looks past the
    planned maximum reuse the final boundary; every look after the first
    crossing is reported, but the decision is taken at the first.

    Examples
    --------
    The first three weekly looks of a conversion test planned for 40,000 units
    (5,000 more per arm each week):

    >>> n = [5000, 10000, 15000]
    >>> conv_a, conv_b = [250, 500, 750], [300, 610, 905]
    >>> r = group_sequential_test(n, conv_a, conv_a, n, conv_b, conv_b, max_n=40000)
    >>> r.information_fraction.tolist()
    [0.25, 0.5, 0.75]
    >>> [round(float(x), 3) for x in r.statistic], [round(float(x), 3) for x in r.boundary]
    ([2.193, 3.398, 3.921], [4.333, 2.963, 2.359])
    >>> r.rejected.tolist(), int(r.stop_look)
    ([False, True, True], 1)
    >>> [round(float(p), 4) for p in r.p_value]
    [0.4397, 0.0226, 0.0008]
    """
    alpha = _check.alpha_level(alpha)
    _check.choice("spending", spending, SPENDING)
    na, ma, va = mean_var_from_sums(n_a, sum_a, sum_sq_a, "_a")
    nb, mb, vb = mean_var_from_sums(n_b, sum_b, sum_sq_b, "_b")
    arrays = np.broadcast_arrays(na, ma, va, nb, mb, vb)
    na, ma, va, nb, mb, vb = (np.atleast_1d(x) for x in arrays)
    _cumulative("n_a", na)
    _cumulative("n_b", nb)
    total = na + nb
    if max_n is not None and looks is not None:
        raise ValueError("give max_n or looks, not both (max_n follows the traffic received)")
    if max_n is not None:
        t = np.minimum(total / float(_check.positive("max_n", max_n)), 1.0)
    elif looks is not None:
        if isinstance(looks, bool) or not isinstance(looks, (int, np.integer)) or looks < 1:
            raise ValueError(f"looks = {looks!r}: the planned number of looks must be an int >= 1")
        k = np.arange(1, total.shape[-1] + 1)
        t = np.broadcast_to(np.minimum(k / looks, 1.0), total.shape)
    else:
        t = total / total[..., -1:]

    se = np.sqrt(va / na + vb / nb)
    degenerate = se == 0
    warn_degenerate(degenerate, "no test is possible at this look: both arms have zero variance")
    se = np.where(degenerate, np.nan, se)
    diff = mb - ma
    z = diff / se
    c, spent, p_look = _design_per_look(t, np.abs(z), alpha, spending, repeated_p)
    crossed = np.abs(z) >= c  # NaN compares False
    rejected = np.logical_or.accumulate(crossed, axis=-1)
    stop = np.where(rejected[..., -1], np.argmax(crossed, axis=-1), -1)
    lift, lift_se = relative_lift(ma, va, na, mb, vb, nb)
    with np.errstate(invalid="ignore"):
        diff_ci = (diff - c * se, diff + c * se)
        lift_ci = (lift - c * lift_se, lift + c * lift_se)

    return SequentialResult(
        statistic=z,
        boundary=c,
        p_value=None if p_look is None else np.fmin.accumulate(p_look, axis=-1),
        crossed=crossed,
        rejected=rejected,
        stop_look=_check.scalar_or_array(stop),
        fixed_p_value=2 * _sf(np.abs(z)),
        nominal_p=2 * _sf(c),
        information_fraction=t,
        alpha_spent=spent,
        diff=diff,
        diff_ci=diff_ci,
        lift=lift,
        lift_ci=lift_ci,
        mean_a=ma,
        mean_b=mb,
        n_a=na,
        n_b=nb,
        alpha=alpha,
        spending=spending,
        max_n=None if max_n is None else float(max_n),
        looks=looks,
    )
