"""Quantile metrics: the difference and relative lift of the q-quantile (median, p90).

A quantile is not a mean of unit values, so its variance does not follow from sums;
it follows from the order statistics around it (Deng, Knoblich & Lu 2018, "Applying
the Delta Method in Metric Analytics: A Practical Guide with Novel Ideas", KDD, the
quantile-metric section). The number of the ``n`` values below the true q-quantile is
Binomial(n, q), so the order statistics at the ranks::

    L, U = n q -+ z sqrt(n q (1 - q)),   z = the normal (1 - rank_alpha / 2) quantile

bracket the quantile with probability about ``1 - rank_alpha``, and the half-width of
that interval in units of ``z`` is the standard error of the sample quantile::

    se = (X_(U) - X_(L)) / (2 z)

(asymptotically ``sqrt(q (1 - q) / n) / f(xi_q)``, the density ``f`` estimated by the
spacing of the order statistics; no density estimate, no bootstrap). The ranks are
rounded to the nearest integer and clipped to ``[1, n]``. Large data never has to
leave the engine: it returns ``n``, the quantile and the two values at the ranks that
:func:`order_stat_ranks` names, and :func:`quantile_test_from_order_stats` does the
rest; :func:`quantile_test` is that same path on arrays of values.

The arms are independent, so ``diff = q_b - q_a`` has ``se = sqrt(se_a^2 + se_b^2)``
and is tested with ``z = diff / se`` against the normal distribution; the interval of
the difference is ``diff +- z_crit se``. The lift ``q_b / q_a - 1`` gets Fieller's
interval at the same critical value (as :func:`abtest.stats.wald_test`), which
excludes 0 exactly when the z-test rejects, so p-value, significance and both
intervals never disagree; its delta-method standard error
``sqrt(se_b^2 / q_a^2 + q_b^2 se_a^2 / q_a^4)`` is reported as ``lift_se``.

The ranks are always those of the 95% order-statistic interval (``rank_alpha =
0.05``), whatever the test's ``alpha``: the engine fetches two values once and any
level can be tested with them. This is the convention of GrowthBook's gbstats
(``QuantileStatistic``: bounds at ``q -+ 1.96 sqrt(q (1 - q) / n)``, variance from
their spacing over ``2 * 1.96``), whose numbers the tests reproduce; gbstats
multiplies the variance by ``(n - 1) / n`` and reads the statistic against Student's
t with Welch's degrees of freedom (thousands of units: the normal to 4 digits), this
module does neither.

The approximation needs enough data around the quantile: when ``n`` is below
``z^2 max(q / (1 - q), (1 - q) / q)`` (:func:`min_values`: 35 units for the 90th
percentile) the rank interval is clipped at the sample's end and ``se`` is too small;
the test is NaN there, with a :class:`DegenerateWarning` (gbstats refuses such arms).
Ties at the quantile (a point mass, e.g. zero revenue at a low q) make
``X_(U) == X_(L)``: ``se = 0``, and where both arms have it no test is possible (NaN
with a :class:`DegenerateWarning`).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check
from abtest.stats.proportions import relative_lift
from abtest.stats.results import DegenerateWarning, _Result, warn_degenerate
from abtest.stats.wald import wald_test

RANK_ALPHA = 0.05
"""Level of the order-statistic interval whose width gives the standard error."""


@dataclass(frozen=True)
class QuantileResult(_Result):
    """Arm b (treatment) against arm a (control) on the ``q``-quantile.

    ``diff = quantile_b - quantile_a``, ``lift = quantile_b / quantile_a - 1``;
    ``statistic`` is the z statistic of ``diff``, ``se_a`` / ``se_b`` the standard
    errors of the arms' quantiles, ``lift_se`` the delta-method standard error of the
    lift. Intervals are at confidence ``1 - alpha`` (one-sided alternatives give an
    open end).
    """

    quantile_a: Any
    quantile_b: Any
    statistic: Any
    p_value: Any
    diff: Any
    diff_ci: tuple[Any, Any]
    lift: Any
    lift_ci: tuple[Any, Any]
    se_a: Any
    se_b: Any
    lift_se: Any
    q: float
    alternative: str
    alpha: Any


def _rank_z(rank_alpha: float) -> float:
    return float(-special.ndtri(rank_alpha / 2))


@functools.lru_cache(maxsize=64)  # a pure function of (q, rank_alpha), asked per arm and row
def min_values(q: float, rank_alpha: float = RANK_ALPHA) -> int:
    """The fewest values per arm the test of the ``q``-quantile takes: the larger of
    ``ceil(z^2 max(q / (1 - q), (1 - q) / q))`` and the smallest ``n`` from which neither
    rank of :func:`order_stat_ranks` is clipped at the sample's end (as rounded there:
    ``L = floor(n q - h + 0.5) >= 1`` and ``U = floor(n q + h + 0.5) <= n``, ``h = z sqrt(n q
    (1 - q))``), at least 2. Below it the standard error is too small: in seeded A/A
    simulations (lognormal values) the 5% test rejected 43% at 5 values per arm for the
    90th percentile, 22% at 20 for the 95th, 11% at 13 for the 25th. At the bound it
    rejects 1-3% for q >= 0.75 and 6-9% for q <= 0.5 on skewed values (the spacing below a
    low quantile of right-skewed data is narrow), 4-7% at about twice the bound
    (tests/stats/test_quantiles.py).

    >>> min_values(0.5), min_values(0.9), min_values(0.95), min_values(0.1), min_values(0.25)
    (6, 35, 73, 45, 16)
    """
    q = _check.unit_level("q", q, "e.g. 0.5 for the median, 0.9 for the 90th percentile")
    z = _rank_z(rank_alpha)
    formula = math.ceil(round(z * z * max(q / (1 - q), (1 - q) / q), 9))
    n = np.arange(2.0, 4 * formula + 64)  # the unclipped bound is below 2x the formula
    lower, upper = _rounded_ranks(n, q, z)
    clipped = np.flatnonzero((lower < 1) | (upper > n))
    unclipped = int(n[clipped[-1] + 1]) if len(clipped) else 2
    return max(2, formula, unclipped)


def _rounded_ranks(n: np.ndarray, q: float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """``floor(n q -+ z sqrt(n q (1 - q)) + 0.5)``, before clipping to ``[1, n]``."""
    center, half = n * q, z * np.sqrt(n * q * (1 - q))
    return np.floor(center - half + 0.5), np.floor(center + half + 0.5)


def order_stat_ranks(
    n: ArrayLike, q: float = 0.5, alpha: float = RANK_ALPHA
) -> tuple[np.ndarray, np.ndarray]:
    """The 1-based ranks ``(L, U)`` of the order statistics whose values give the
    standard error of the ``q``-quantile of ``n`` values.

    ``L, U = round(n q -+ z sqrt(n q (1 - q)))`` with ``z`` the normal
    ``1 - alpha / 2`` quantile (1.96), clipped to ``[1, n]``: the binomial interval of
    the quantile (Deng, Knoblich & Lu 2018). ``alpha`` is the level of that interval,
    not of the test (keep the default). Integer arrays of the shape of ``n``.

    >>> lo, hi = order_stat_ranks(200, 0.5)
    >>> int(lo), int(hi)
    (86, 114)
    """
    q = _check.unit_level("q", q, "e.g. 0.5 for the median, 0.9 for the 90th percentile")
    z = _rank_z(_check.alpha_level(alpha))
    n = _check.counts("n", n)
    _check.fail_where("n", n, n < 2, "a quantile's standard error needs at least 2 values")
    lower, upper = (np.clip(r, 1, n) for r in _rounded_ranks(n, q, z))
    return lower.astype(np.int64), upper.astype(np.int64)


def quantile_test_from_order_stats(
    n_a: ArrayLike,
    quantile_a: ArrayLike,
    lower_a: ArrayLike,
    upper_a: ArrayLike,
    n_b: ArrayLike,
    quantile_b: ArrayLike,
    lower_b: ArrayLike,
    upper_b: ArrayLike,
    *,
    q: float = 0.5,
    alpha: ArrayLike = 0.05,
    alternative: str = "two-sided",
    rank_alpha: float = RANK_ALPHA,
) -> QuantileResult:
    """Quantile test from per-arm order statistics, as an engine returns them.

    Per arm: ``n`` values, the sample ``q``-quantile and ``lower`` / ``upper``, the
    values of rank ``L`` / ``U`` of :func:`order_stat_ranks` ``(n, q, rank_alpha)``
    (e.g. ``ORDER BY value`` and the rows at those 1-based positions). Then
    ``se = (upper - lower) / (2 z)`` per arm, ``z = diff / sqrt(se_a^2 + se_b^2)`` on
    the normal, the Wald interval of ``diff`` and Fieller's of the lift (module
    docstring; Deng, Knoblich & Lu 2018; gbstats ``QuantileStatistic``). Arrays
    broadcast: one call tests many experiments; ``alpha`` may differ per comparison
    (the intervals' levels, e.g. Holm's step-down levels).

    >>> r = quantile_test_from_order_stats(200, 10.0, 9.0, 11.0, 200, 12.0, 11.0, 13.0)
    >>> round(float(r.se_a), 4), round(float(r.statistic), 3), round(float(r.p_value), 4)
    (0.5102, 2.772, 0.0056)
    """
    q = _check.unit_level("q", q, "e.g. 0.5 for the median, 0.9 for the 90th percentile")
    a = _check.as_float("alpha", alpha)
    _check.fail_where("alpha", a, (a <= 0) | (a >= 1), "must be strictly between 0 and 1")
    alternative = _check.alternative(alternative)
    z_rank = _rank_z(_check.unit_level("rank_alpha", rank_alpha, "keep 0.05"))
    arms = []
    for arm, (n, qv, lo, hi) in (
        ("a", (n_a, quantile_a, lower_a, upper_a)),
        ("b", (n_b, quantile_b, lower_b, upper_b)),
    ):
        n = _check.counts(f"n_{arm}", n)
        _check.fail_where(
            f"n_{arm}", n, n < 2, "a quantile's standard error needs at least 2 values"
        )
        lo, hi = _check.as_float(f"lower_{arm}", lo), _check.as_float(f"upper_{arm}", hi)
        _check.not_above(
            f"lower_{arm}", lo, f"upper_{arm}", hi, "the value at rank L cannot exceed rank U's"
        )
        arms.append((n, _check.as_float(f"quantile_{arm}", qv), (hi - lo) / (2 * z_rank)))
    (na, qa, sa), (nb, qb, sb) = arms
    qa, sa, qb, sb, a, _, _ = np.broadcast_arrays(qa, sa, qb, sb, a, na, nb)

    # the normal-reference Wald test (abtest.stats.wald_test) of two means with known
    # variances: the quantiles are the means, se^2 the variance of one "unit" each
    # (n = 1); its degenerate cases are warned of here, in this test's words
    warn_degenerate(
        (sa == 0) & (sb == 0),
        "no test is possible: neither arm's order statistics around the quantile differ",
    )
    warn_degenerate(qa == 0, "relative lift is undefined because the control quantile is 0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateWarning)
        r = wald_test(1, qa, sa**2, 1, qb, sb**2, reference="normal", alternative=alternative,
                      alpha=a)  # fmt: skip
        lift_se = relative_lift(qa, sa**2, 1, qb, sb**2, 1).se

    need = min_values(q, rank_alpha)
    short = np.broadcast_to((na < need) | (nb < need), qa.shape)
    warn_degenerate(
        short,
        f"too few values for the test of the {q:g}-quantile: it needs {need} per arm "
        "(below that its order-statistic interval is clipped and its standard error too "
        "small)",
    )

    def tested(x: Any) -> Any:
        return _check.scalar_or_array(np.where(short, np.nan, x)) if short.any() else x

    s = _check.scalar_or_array
    return QuantileResult(
        quantile_a=s(qa),
        quantile_b=s(qb),
        statistic=tested(r.statistic),
        p_value=tested(r.p_value),
        diff=r.diff,
        diff_ci=(tested(r.diff_ci[0]), tested(r.diff_ci[1])),
        lift=r.lift,
        lift_ci=(tested(r.lift_ci[0]), tested(r.lift_ci[1])),
        se_a=s(sa),
        se_b=s(sb),
        lift_se=s(lift_se),
        q=q,
        alternative=alternative,
        alpha=r.alpha,
    )


def _values(name: str, values: ArrayLike) -> np.ndarray:
    arr = _check.as_float(name, values)
    if arr.ndim == 0 or arr.shape[-1] < 2:
        raise ValueError(
            f"{name} has {1 if arr.ndim == 0 else arr.shape[-1]} value(s) per experiment: "
            "a quantile's standard error needs at least 2"
        )
    return arr


def order_stats(values: ArrayLike, q: float = 0.5, *, name: str = "values") -> tuple[Any, ...]:
    """``(n, quantile, lower, upper)`` of values along the last axis: what an engine
    returns for :func:`quantile_test_from_order_stats`. ``quantile`` is numpy's default
    (linear interpolation, R's type 7); ``lower`` / ``upper`` are the sorted values at
    the ranks of :func:`order_stat_ranks`.

    >>> n, qv, lo, hi = order_stats([5.0, 1.0, 4.0, 2.0, 3.0], 0.5)
    >>> int(n), float(qv), float(lo), float(hi)
    (5, 3.0, 1.0, 5.0)
    """
    q = _check.unit_level("q", q, "e.g. 0.5 for the median, 0.9 for the 90th percentile")
    arr = np.sort(_values(name, values), axis=-1)
    n = arr.shape[-1]
    lower, upper = order_stat_ranks(n, q)
    quantile = np.quantile(arr, q, axis=-1)
    s = _check.scalar_or_array
    return n, s(quantile), s(arr[..., int(lower) - 1]), s(arr[..., int(upper) - 1])


def quantile_test(
    values_a: ArrayLike,
    values_b: ArrayLike,
    *,
    q: float = 0.5,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> QuantileResult:
    """Test the ``q``-quantile of arm b (treatment) against arm a (control).

    ``values_a`` / ``values_b``: the unit values of each arm (1-D), or 2-D arrays
    ``(experiments, units)`` whose leading axes broadcast (quantiles along the last
    axis). Point estimates are numpy's default quantile (linear, R type 7); standard
    errors from the order statistics at the ranks of :func:`order_stat_ranks`
    (Deng, Knoblich & Lu 2018). Computed as :func:`order_stats` per arm followed by
    :func:`quantile_test_from_order_stats`, so the two entries agree exactly.

    ``alternative``: ``"two-sided"``, ``"larger"`` (b above a) or ``"smaller"``
    (``"greater"`` / ``"less"`` are aliases). Returns a :class:`QuantileResult`:
    ``.quantile_a .quantile_b .statistic .p_value .diff .diff_ci .lift .lift_ci``.

    >>> r = quantile_test([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 4.0, 5.0, 6.0])
    >>> float(r.quantile_a), float(r.quantile_b), float(r.diff), round(float(r.lift), 4)
    (3.0, 4.0, 1.0, 0.3333)
    """
    _check.alpha_level(alpha)
    _check.alternative(alternative)
    stats_a = order_stats(values_a, q, name="values_a")
    stats_b = order_stats(values_b, q, name="values_b")
    return quantile_test_from_order_stats(
        *stats_a, *stats_b, q=q, alpha=alpha, alternative=alternative
    )
