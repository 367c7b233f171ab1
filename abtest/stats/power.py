"""Planning: sample size, power, minimum detectable effect and duration.

Conversion rates follow R's ``power.prop.test`` (the normal approximation with
``strict = FALSE``: only the rejection tail in the direction of the effect
counts)::

    power = Phi((sqrt(n) |p_b - p_a| - z_alpha sqrt(2 pbar (1 - pbar)))
                / sqrt(p_a (1 - p_a) + p_b (1 - p_b)))

with ``pbar = (p_a + p_b) / 2`` and ``z_alpha = z_{1 - alpha/2}`` two-sided,
``z_{1 - alpha}`` one-sided. A one-sided test looks one way: ``|p_b - p_a|`` is then
``p_b - p_a`` for ``"larger"`` and ``p_a - p_b`` for ``"smaller"`` (R's "one.sided"
names no direction and takes ``|p_b - p_a|``; its ``power.t.test`` keeps the sign of a
one-sided ``delta``, as abtest does for both), so an effect the other way has power near
0 and no sample size. For unequal allocation (``ratio = n_b / n_a``) the
same formula with ``n_a`` and ``n_b = ratio n_a`` (Fleiss, Levin & Paik,
*Statistical Methods for Rates and Proportions*, 3rd ed., eq. 4.19 without
the continuity term)::

    sqrt(n_a) = (z_alpha sqrt(pbar qbar (1 + 1/r)) + z_beta sqrt(p_a q_a + p_b q_b / r))
                / |p_b - p_a|,     pbar = (p_a + r p_b) / (1 + r)

Means follow R's ``power.t.test`` (two-sample, noncentral t with
``2 (n - 1)`` degrees of freedom). Roots are found by scipy's vectorized
``scipy.optimize.elementwise.find_root`` (Chandrupatla), so arrays of designs
are solved at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check
from abtest.stats.results import _Result

_TIGHT = {"xatol": 1e-12, "xrtol": 1e-14, "fatol": 0.0, "frtol": 0.0}


def _z_alpha(alpha: float, alternative: str) -> float:
    alternative = _check.alternative(alternative)
    return float(-special.ndtri(alpha / 2 if alternative == "two-sided" else alpha))


def _toward(d: np.ndarray, alternative: str) -> np.ndarray:
    """The effect ``d`` (b minus a) as the test sees it: its size two-sided, itself for
    ``"larger"``, its negative for ``"smaller"`` (below 0: the other way)."""
    return {"two-sided": np.abs(d), "larger": d, "smaller": -d}[_check.alternative(alternative)]


def _one_way(
    name: str, value: np.ndarray, d: np.ndarray, alternative: str, words: tuple[str, str]
) -> None:
    """Refuse an effect ``d`` (b minus a) a one-sided test cannot see: it has no sample
    size. ``words``: how ``value`` reads when it goes down and when it goes up."""
    alternative = _check.alternative(alternative)
    if alternative == "two-sided":
        return
    down, up = words
    is_, tests, other = (
        (down, "an increase", "smaller")
        if alternative == "larger"
        else (up, "a decrease", "larger")
    )
    _check.fail_where(
        name, np.broadcast_to(value, np.shape(d)), _toward(d, alternative) <= 0,
        f"is {is_}, but alternative {alternative!r} tests {tests}: use {other!r} or "
        "'two-sided'",
    )  # fmt: skip


def _prop_terms(
    pa: np.ndarray, pb: np.ndarray, ratio: np.ndarray, alternative: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The effect the test sees (:func:`_toward`), the null sd factor and the
    alternative sd factor (per sqrt(n_a))."""
    pbar = (pa + ratio * pb) / (1 + ratio)
    null_sd = np.sqrt(pbar * (1 - pbar) * (1 + 1 / ratio))
    alt_sd = np.sqrt(pa * (1 - pa) + pb * (1 - pb) / ratio)
    return _toward(pb - pa, alternative), null_sd, alt_sd


def sample_size_proportions(
    p_a: ArrayLike,
    p_b: ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    ratio: ArrayLike = 1.0,
) -> Any:
    """Units per arm to detect ``p_a -> p_b`` (control arm ``n_a`` when ``ratio != 1``).

    Rounded up. Matches R ``power.prop.test(p1=p_a, p2=p_b, power=, sig.level=)``
    for ``ratio == 1`` (``alternative`` "larger"/"smaller" = R "one.sided").

    >>> int(sample_size_proportions(0.05, 0.055))
    31234
    """
    return np.ceil(
        _sample_size_proportions_exact(p_a, p_b, alpha, power, alternative, ratio)
    ).astype(np.int64)[()]


def _sample_size_proportions_exact(
    p_a: ArrayLike, p_b: ArrayLike, alpha: float, power: float, alternative: str, ratio: ArrayLike
) -> np.ndarray:
    pa, pb = _check.open_unit("p_a", p_a), _check.open_unit("p_b", p_b)
    r = _check.positive("ratio", ratio)
    pa_b, pb_b = np.broadcast_arrays(pa, pb)
    _check.fail_where("p_b", pb_b, pa_b == pb_b, "equals p_a: there is no effect to detect")
    _one_way("p_b", pb_b, pb_b - pa_b, alternative, ("below p_a", "above p_a"))
    za = _z_alpha(_check.alpha_level(alpha), alternative)
    zb = float(-special.ndtri(1 - _check.power_level(power)))
    d, null_sd, alt_sd = _prop_terms(pa, pb, r, alternative)
    return ((za * null_sd + zb * alt_sd) / d) ** 2


def power_proportions(
    p_a: ArrayLike,
    p_b: ArrayLike,
    n_per_arm: ArrayLike,
    *,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    ratio: ArrayLike = 1.0,
) -> Any:
    """Power of the two-proportion test with ``n_per_arm`` units in the control arm
    (``ratio * n_per_arm`` in the treatment). Matches R ``power.prop.test(n=, p1=, p2=)$power``.

    >>> round(float(power_proportions(0.1, 0.12, 1000)), 4)
    0.2977
    """
    pa, pb = _check.open_unit("p_a", p_a), _check.open_unit("p_b", p_b)
    n = _check.positive("n_per_arm", n_per_arm)
    r = _check.positive("ratio", ratio)
    za = _z_alpha(_check.alpha_level(alpha), alternative)
    d, null_sd, alt_sd = _prop_terms(pa, pb, r, alternative)
    return np.asarray(special.ndtr((np.sqrt(n) * d - za * null_sd) / alt_sd))[()]


def mde_proportions(
    p_a: ArrayLike,
    n_per_arm: ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    relative: bool = True,
    alternative: str = "two-sided",
    ratio: ArrayLike = 1.0,
) -> Any:
    """Smallest effect detectable with ``n_per_arm`` units per arm: upward, or
    downward when ``alternative="smaller"``.

    Solves ``power_proportions(p_a, p_b, n) = power`` for ``p_b`` in ``(p_a, 1)``
    (``(0, p_a)`` for a decrease), as R ``power.prop.test(n=, p1=, power=)$p2``.
    Returns ``p_b / p_a - 1`` when ``relative`` else ``p_b - p_a`` (negative for a
    decrease).

    >>> round(float(mde_proportions(0.05, 31234)), 4)
    0.1
    >>> round(float(mde_proportions(0.05, 31234, alternative="smaller")), 4)
    -0.085

    (R: ``power.prop.test(n=31234, p2=0.05, power=0.8, alternative="one.sided")$p1``
    is 0.045752, the same decrease.)
    """
    pa = _check.open_unit("p_a", p_a)
    n = _check.positive("n_per_arm", n_per_arm)
    r = _check.positive("ratio", ratio)
    target = _check.power_level(power)
    alternative = _check.alternative(alternative)
    za = _z_alpha(_check.alpha_level(alpha), alternative)
    pa, n, r = np.broadcast_arrays(pa, n, r)

    def excess_power(pb: np.ndarray, pa: np.ndarray, n: np.ndarray, r: np.ndarray) -> np.ndarray:
        d, null_sd, alt_sd = _prop_terms(pa, pb, r, alternative)
        return special.ndtr((np.sqrt(n) * d - za * null_sd) / alt_sd) - target

    if alternative == "smaller":
        far, bracket, edge = np.full(pa.shape, 1e-12), lambda f: (f, pa - 1e-15), "above 0%"
    else:
        far, bracket, edge = np.full(pa.shape, 1 - 1e-12), lambda f: (pa + 1e-15, f), "below 100%"
    unreachable = excess_power(far, pa, n, r) < 0
    _check.fail_where(
        "n_per_arm", n, unreachable, f"too few units: no rate {edge} reaches the requested power"
    )
    from scipy.optimize import elementwise

    res = elementwise.find_root(excess_power, bracket(far), args=(pa, n, r), tolerances=_TIGHT)
    pb = res.x
    return (pb / pa - 1 if relative else pb - pa)[()]


def sample_size_means(
    delta: ArrayLike,
    sd: ArrayLike,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> Any:
    """Units per arm for a two-sample t-test to detect a mean difference ``delta``.

    Solves R ``power.t.test``'s equation
    ``power = P(T' > t_{1-alpha/s, nu})``, ``T'`` noncentral t with
    ``nu = 2 (n - 1)`` and ``ncp = sqrt(n / 2) delta / sd`` (``s = 2`` two-sided, 1
    one-sided), then rounds up. Effects so large that 2 units per arm already
    reach the power give 2 (the smallest sample a t-test can use).

    >>> int(sample_size_means(1, 2))
    64
    """
    return np.ceil(_sample_size_means_exact(delta, sd, alpha, power, alternative)).astype(np.int64)[
        ()
    ]


def power_means(
    delta: ArrayLike,
    sd: ArrayLike,
    n_per_arm: ArrayLike,
    *,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> Any:
    """Power of the two-sample t-test; matches R ``power.t.test(n=, delta=, sd=)$power``.

    >>> round(float(power_means(1, 2, 20)), 4)
    0.3377
    """
    d = _toward(_check.as_float("delta", delta), alternative)
    s = _check.positive("sd", sd)
    n = _check.at_least("n_per_arm", n_per_arm, 2, "a t-test needs at least 2 units per arm")
    return _t_power(n, d / s, _check.alpha_level(alpha), alternative)[()]


def _t_power(n: np.ndarray, effect: np.ndarray, alpha: float, alternative: str) -> np.ndarray:
    alternative = _check.alternative(alternative)
    tside = 2 if alternative == "two-sided" else 1
    nu = 2 * (n - 1)
    from scipy import stats as sps  # the noncentral t only: scipy.stats is slow to import

    crit = sps.t.isf(alpha / tside, nu)
    return sps.nct.sf(crit, nu, np.sqrt(n / 2) * effect)


def _sample_size_means_exact(
    delta: ArrayLike, sd: ArrayLike, alpha: float, power: float, alternative: str
) -> np.ndarray:
    d = _check.as_float("delta", delta)
    _check.fail_where("delta", d, d == 0, "a zero difference cannot be detected")
    _one_way("delta", d, d, alternative, ("a decrease", "an increase"))
    effect = _toward(d, alternative) / _check.positive("sd", sd)
    alpha = _check.alpha_level(alpha)
    target = _check.power_level(power)

    def excess(n: np.ndarray, effect: np.ndarray) -> np.ndarray:
        return _t_power(n, effect, alpha, alternative) - target

    # Upper bracket from the normal approximation, doubled for safety.
    z = _z_alpha(alpha, alternative) - special.ndtri(1 - target)
    hi = np.maximum(2 * (2 * (z / effect) ** 2) + 10, 10.0)
    lo = np.full_like(effect, 2.0)
    # An effect so large that 2 units per arm (the least a t-test can use) already
    # reach the power has no root above 2: the answer is 2 (R's uniroot fails there).
    done = excess(lo, effect) >= 0
    from scipy.optimize import elementwise

    res = elementwise.find_root(excess, (lo, hi), args=(effect,), tolerances=_TIGHT)
    n = np.where(done, 2.0, res.x)
    failed = ~done & ~np.asarray(res.success)
    _check.fail_where(
        "delta",
        np.broadcast_to(d, n.shape),
        failed,
        "no sample size found for this effect (solver did not converge)",
    )
    return n


@dataclass(frozen=True)
class Plan(_Result):
    """A planned conversion-rate experiment.

    ``n_per_variant`` follows the variant order of ``weights`` (control first);
    ``days`` is ``None`` when no traffic was given.
    """

    baseline: float
    target_rate: float
    mde_relative: float
    alpha: float
    alpha_per_comparison: float
    power: float
    alternative: str
    weights: tuple[float, ...]
    n_per_variant: tuple[int, ...]
    total_units: int
    daily_units: float | None
    allocation: float
    days: int | None


def duration_days(total_units: ArrayLike, daily_units: ArrayLike, allocation: float = 1.0) -> Any:
    """Days to reach ``total_units`` when ``daily_units`` eligible units arrive per
    day and a share ``allocation`` of them enters the experiment (rounded up).

    >>> int(duration_days(62468, 4000))
    16
    """
    total = _check.non_negative("total_units", total_units)
    daily = _check.positive("daily_units", daily_units)
    share = _allocation(allocation)
    # days a hair above a whole number from rounding alone (3850 / (5500 · 0.7) is
    # 1.0000000000000002) are that whole number: the ceiling of the value to 9 digits
    return np.ceil(np.round(total / (daily * share), 9)).astype(np.int64)[()]


def _allocation(allocation: float) -> float:
    """The share of eligible traffic in the experiment, in (0, 1]."""
    share = _check.as_float("allocation", allocation)
    if share.ndim != 0 or not 0 < share <= 1:
        raise ValueError(f"allocation = {allocation!r}: must be a share in (0, 1]")
    return float(share)


def plan_proportions(
    baseline: float,
    mde: float,
    *,
    relative: bool = True,
    variants: int = 2,
    weights: ArrayLike | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    daily_units: float | None = None,
    allocation: float = 1.0,
) -> Plan:
    """Plan a conversion-rate test with ``variants`` arms (the first is the control).

    Each treatment is compared with the control at the Bonferroni level
    ``alpha / (variants - 1)``. With unequal ``weights`` the control's sample
    size for treatment i uses ``ratio = w_i / w_control``; the total is the
    smallest that gives every comparison its sample, split by the weights.
    ``weights`` are the variants' shares of the experiment's traffic and must sum
    to 1 (within 1e-9, as the registry checks them). ``daily_units`` (eligible
    units per day, > 0) gives the duration in days, of which a share
    ``allocation`` in (0, 1] enters the experiment; ``None`` leaves ``days`` out.

    >>> p = plan_proportions(0.05, 0.10, daily_units=4000)
    >>> p.n_per_variant, p.days
    ((31234, 31234), 16)
    """
    _check.open_unit("baseline", baseline)
    if variants < 2:
        raise ValueError(f"variants = {variants}: need a control and at least one treatment")
    w = np.full(variants, 1 / variants) if weights is None else _check.positive("weights", weights)
    if w.ndim != 1 or w.size != variants:
        raise ValueError(f"weights has {np.size(w)} entries but variants = {variants}")
    _check.weights_sum_to_one("weights", w)
    w = w / w.sum()
    share = _allocation(allocation)
    if daily_units is not None:
        _check.positive("daily_units", daily_units)
    target = baseline * (1 + mde) if relative else baseline + mde
    if not 0 < target < 1:
        raise ValueError(
            f"mde = {mde!r} moves the baseline {baseline!r} to {target!r}, outside (0, 1)"
        )
    alternative = _check.alternative(alternative)
    m = variants - 1
    a = _check.alpha_level(alpha) / m
    ratios = w[1:] / w[0]
    n_control = _sample_size_proportions_exact(baseline, target, a, power, alternative, ratios)
    total_exact = float(np.max(n_control / w[0]))
    per = tuple(math.ceil(total_exact * wi - 1e-9) for wi in w)
    total = int(sum(per))
    days = None if daily_units is None else int(duration_days(total, daily_units, share))
    return Plan(
        baseline=float(baseline),
        target_rate=float(target),
        mde_relative=float(target / baseline - 1),
        alpha=float(alpha),
        alpha_per_comparison=float(a),
        power=float(power),
        alternative=alternative,
        weights=tuple(float(x) for x in w),
        n_per_variant=per,
        total_units=total,
        daily_units=None if daily_units is None else float(daily_units),
        allocation=share,
        days=days,
    )


def sample_size_proportions_sequential(
    p_a: ArrayLike,
    p_b: ArrayLike,
    *,
    looks: int | ArrayLike = 5,
    spending: str = "obrien-fleming",
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: ArrayLike = 1.0,
    alternative: str = "two-sided",
) -> Any:
    """Maximum units per arm (control arm when ``ratio != 1``) of a group
    sequential conversion test, rounded up.

    The fixed-horizon size of :func:`sample_size_proportions` (R
    ``power.prop.test``; one-sided for ``alternative`` "larger" / "smaller")
    times the design's inflation factor
    (:func:`abtest.stats.group_sequential_bounds`, ``.inflation_factor``): the
    ratio of the maximum information a Lan-DeMets design with these ``looks``
    and ``spending`` needs for the same power (Jennison & Turnbull 2000, sec.
    2.6; gsDesign's ``n.I[k] = n.fix * inflation``). The test stops earlier
    on average when there is an effect.

    >>> int(sample_size_proportions(0.05, 0.055))
    31234
    >>> int(sample_size_proportions_sequential(0.05, 0.055, looks=5))
    32006
    """
    from abtest.stats.sequential_bounds import group_sequential_bounds

    n_fixed = _sample_size_proportions_exact(p_a, p_b, alpha, power, alternative, ratio)
    design = group_sequential_bounds(
        looks, alpha=alpha, spending=spending, power=power, alternative=alternative
    )
    return np.ceil(n_fixed * design.inflation_factor).astype(np.int64)[()]
