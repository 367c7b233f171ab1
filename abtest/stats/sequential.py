"""Group sequential tests: a two-arm comparison analysed at every look.

The design (Lan-DeMets spending, the boundaries and the recursion behind
them) lives in :mod:`abtest.stats.sequential_bounds`; this module applies it
to data: the z statistic per look, the boundary it is compared with,
repeated p-values and repeated confidence intervals (Jennison & Turnbull
2000, ch. 9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import interpolate, special

from abtest import vocabulary
from abtest.stats import _check
from abtest.stats.means import mean_var_from_sums
from abtest.stats.proportions import (
    _unbounded_interval,
    fieller_lift_interval,
    relative_lift,
)
from abtest.stats.results import _Result, warn_degenerate
from abtest.stats.sequential_bounds import (
    _COARSE,
    SPENDING,
    GroupSequentialBounds,
    _design,
    _sf,
    group_sequential_bounds,
    spending_function,
)
from abtest.stats.sums import Sums, arms_of

__all__ = [
    "SPENDING",
    "GroupSequentialBounds",
    "SequentialResult",
    "group_sequential_bounds",
    "group_sequential_test",
    "spending_function",
]


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
    9.4). ``look_p_value`` is each look's repeated p-value on its own (not minimised
    over the earlier looks): ``look_p_value <= alpha`` exactly when that look crosses,
    so it agrees with that look's repeated confidence interval. ``fixed_p_value`` is
    the naive fixed-horizon p-value of the look, which must NOT be compared with
    alpha; ``nominal_p`` is the boundary as a fixed-horizon p-value
    (``fixed_p_value <= nominal_p`` iff crossed).
    ``diff_ci`` and ``lift_ci`` are repeated confidence intervals, which cover the
    true effect at every look at once with probability ``1 - alpha`` (Jennison &
    Turnbull 2000, ch. 9): the difference +- boundary x standard error, and for the
    lift Fieller's interval at the boundary
    (:func:`abtest.stats.proportions.fieller_lift_interval`), which excludes 0
    exactly when the look crosses.
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
    look_p_value: Any
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
    alternative: str = "two-sided"


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
    one_sided: bool = False,
) -> np.ndarray:
    """Repeated p-values (Jennison & Turnbull 2000, sec. 9.4) of ``|z|`` (m, looks);
    for a one-sided design ``zabs`` is the signed statistic on the tested side.

    ``t`` and ``c`` are the informative looks' fractions and boundaries; look j
    of ``zabs`` is judged at informative look ``owner[j]``.

    The repeated p-value of look k is the smallest level ``a`` whose design
    (same spending function and fractions ``t``) has ``|z_k| >= c_k(a)``. The
    boundaries are tabulated over ``_P_LEVELS`` plus ``alpha`` (whose row is the
    exact ``c``, so ``p <= alpha`` exactly when ``|z| >= c``), and the level's
    fixed-horizon z, ``z_{1 - a/2}``, which is nearly linear in ``c`` (equal for
    one look), is interpolated monotonically (PCHIP): within 1e-3 (relative) of
    the exact inverse for p < 0.5, and exact at ``alpha``. Below 1e-6 the p-value
    is reported as 1e-6. One-sided: the same with one-sided designs and levels
    (``z_{1 - a}``) up to 0.5; a statistic below every tabulated boundary (z < 0 at
    a single look) has p = 1.
    """
    sides = 1 if one_sided else 2
    levels = np.unique(np.append(_P_LEVELS, alpha))
    if one_sided:
        # up to 0.5, where a single look's boundary is 0 (so z = 0 has p = 0.5); z < 0
        # is reported as p = 1
        levels = np.union1d(levels[levels < 0.5], np.linspace(0.3, 0.5, 5))
    table = np.empty((levels.size, t.size))
    for i, level in enumerate(levels):
        table[i] = c if level == alpha else _design(t, level, spending, one_sided, _COARSE)[1]
    p = np.empty(zabs.shape)
    for j, k in enumerate(owner):
        col = table[:, k]
        finite = np.isfinite(col)
        # c falls as the level grows; keep the smallest level of each value of c.
        x, first = np.unique(col[finite], return_index=True)
        y = -special.ndtri(levels[finite][first] / sides)
        zk = zabs[:, j]
        if x.size >= 2:
            zlevel = interpolate.PchipInterpolator(x, y)(np.clip(zk, x[0], x[-1]))
        else:
            zlevel = np.full(zk.shape, y[0] if y.size else 0.0)
        p[:, j] = np.where(zk < x[0] if x.size else True, 1.0, sides * _sf(zlevel))
    p[np.isnan(zabs)] = np.nan
    return p


def _design_per_look(
    t: np.ndarray,
    zabs: np.ndarray,
    alpha: float,
    spending: str,
    with_p: bool = True,
    one_sided: bool = False,
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
        spent, c = _design(tk, alpha, spending, one_sided)
        owner = np.cumsum(new) - 1  # the informative look each look repeats
        mine = inverse == i
        c_out[mine], spent_out[mine] = c[owner], spent[owner]
        if p_out is not None:
            p_out[mine] = _repeated_p(tk, c, zflat[mine], owner, alpha, spending, one_sided)
    p_shaped = None if p_out is None else p_out.reshape(shape)
    return c_out.reshape(shape), spent_out.reshape(shape), p_shaped


def group_sequential_test(
    *arms: Any,
    alpha: float = 0.05,
    spending: str = "obrien-fleming",
    max_n: float | None = None,
    looks: int | None = None,
    repeated_p: bool = True,
    alternative: str = "two-sided",
) -> SequentialResult:
    """Analyse cumulative per-look sufficient statistics with a group sequential design.

    Parameters
    ----------
    arms
        Arm a and arm b as two :class:`abtest.stats.sums.Sums` (or the array form
        ``n_a, sum_a, sum_sq_a, n_b, sum_b, sum_sq_b``): cumulative units, sum and
        sum of squares of the metric per arm at each
        look, along the last axis (e.g. one entry per day). For a conversion
        rate ``sum == sum_sq == conversions``. Leading axes, if any, are
        independent comparisons (arm a broadcasts against several arms b).
    alpha
        False-positive rate of the whole design (two-sided unless ``alternative``).
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
    alternative
        ``"two-sided"``, or ``"larger"`` / ``"smaller"`` (b above / below a) for a
        one-sided design (:func:`group_sequential_bounds`): rejection on that side
        only, one-sided repeated p-values, and repeated confidence bounds open on
        the other side (``inf``).

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
    spending = vocabulary.spending(spending)
    alternative = _check.alternative(alternative)
    one_sided = alternative != "two-sided"
    sign = -1.0 if alternative == "smaller" else 1.0
    a, b = arms_of(arms, Sums, "group_sequential_test")
    na, ma, va = mean_var_from_sums(*a.arrays, "_a")
    nb, mb, vb = mean_var_from_sums(*b.arrays, "_b")
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
    # the statistic on the tested side: |z| (two-sided), z ("larger") or -z ("smaller")
    zside = sign * z if one_sided else np.abs(z)
    c, spent, p_look = _design_per_look(t, zside, alpha, spending, repeated_p, one_sided)
    crossed = zside >= c  # NaN compares False
    rejected = np.logical_or.accumulate(crossed, axis=-1)
    stop = np.where(rejected[..., -1], np.argmax(crossed, axis=-1), -1)
    lift, _ = relative_lift(ma, va, na, mb, vb, nb)
    with np.errstate(invalid="ignore"):
        diff_ci = _unbounded_interval(diff, c * se, alternative)
    # Fieller's interval at the look's boundary: it excludes a zero lift exactly when
    # the look crosses (the delta-method interval need not)
    lift_ci = fieller_lift_interval(ma, va, na, mb, vb, nb, c, alternative)
    lift_ci = tuple(np.where(np.isnan(lift), np.nan, end) for end in lift_ci)

    return SequentialResult(
        statistic=z,
        boundary=c,
        p_value=None if p_look is None else np.fmin.accumulate(p_look, axis=-1),
        crossed=crossed,
        rejected=rejected,
        stop_look=_check.scalar_or_array(stop),
        fixed_p_value=_sf(zside) if one_sided else 2 * _sf(zside),
        nominal_p=(1 if one_sided else 2) * _sf(c),
        information_fraction=t,
        look_p_value=p_look,
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
        alternative=alternative,
    )
