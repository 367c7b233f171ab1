"""Seeded simulators of experiments as sufficient statistics, for calibration checks.

Each simulator draws many independent experiments at once (vectorized over the
leading axis) and returns the per-arm sums the stats functions take (a
:class:`abtest.stats.sums.TwoArms` of ``Sums`` or ``CovariateSums``), so a
calibration study costs the same code path as an analysis. Draws come from the
``rng: numpy.random.Generator`` passed in; nothing global is touched.

Normal metrics are drawn exactly through their sufficient statistics instead
of unit by unit: for ``m`` i.i.d. ``N(mu, sigma^2)`` units the mean is
``N(mu, sigma^2 / m)`` and the centred sum of squares is an independent
``sigma^2 chi^2_{m-1}``; for a bivariate normal the centred scatter matrix is
Wishart, drawn by Bartlett's decomposition. Conversions are binomial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats.always_valid import always_valid_test
from abtest.stats.cuped import cuped_test
from abtest.stats.means import mean_var_from_sums
from abtest.stats.ratio import ratio_cuped_test, ratio_test
from abtest.stats.sequential import group_sequential_test
from abtest.stats.sums import CovariateSums, Sums, TwoArms


@dataclass(frozen=True)
class MomentSums:
    """Per-arm units, sums (experiments, 4) and sums of products (experiments, 4, 4) of
    four per-unit values (num, den, pre_num, pre_den), as :func:`ratio_cuped_test`
    takes them."""

    n_a: np.ndarray
    sums_a: np.ndarray
    cross_a: np.ndarray
    n_b: np.ndarray
    sums_b: np.ndarray
    cross_b: np.ndarray

    @property
    def args(self) -> tuple[np.ndarray, ...]:
        return (self.n_a, self.sums_a, self.cross_a, self.n_b, self.sums_b, self.cross_b)


def _per_look(n_per_look: ArrayLike, looks: int) -> np.ndarray:
    m = np.broadcast_to(np.asarray(n_per_look, dtype=np.int64), (looks,))
    if np.any(m < 2):
        raise ValueError(f"n_per_look = {n_per_look!r}: need at least 2 units per arm per look")
    return m


def normal_looks(
    rng: np.random.Generator,
    experiments: int,
    looks: int,
    n_per_look: ArrayLike,
    *,
    mean: float = 10.0,
    sd: float = 3.0,
    effect: float = 0.0,
) -> TwoArms:
    """Normal metric, ``n_per_look`` new units per arm at each look (an int or one
    per look); arm b's mean is ``mean + effect``. Exact sufficient-statistic draws.

    >>> s = normal_looks(np.random.default_rng(1), 3, 4, 100)
    >>> s.a.n.shape, s.a.n[0].tolist()
    ((3, 4), [100, 200, 300, 400])
    """
    m = _per_look(n_per_look, looks)

    def arm(mu: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xbar = rng.normal(mu, sd / np.sqrt(m), size=(experiments, looks))
        ss = sd**2 * rng.chisquare(m - 1, size=(experiments, looks))
        total = m * xbar
        n = np.broadcast_to(np.cumsum(m), (experiments, looks))
        return n, np.cumsum(total, axis=1), np.cumsum(ss + total * xbar, axis=1)

    return TwoArms(Sums(*arm(mean)), Sums(*arm(mean + effect)))


def binary_looks(
    rng: np.random.Generator,
    experiments: int,
    looks: int,
    n_per_look: ArrayLike,
    *,
    rate: float = 0.05,
    effect: float = 0.0,
) -> TwoArms:
    """Conversions at ``rate`` (arm b: ``rate + effect``), ``n_per_look`` new units per
    arm at each look; ``sum == sum_sq == conversions``.

    >>> s = binary_looks(np.random.default_rng(1), 2, 3, 1000)
    >>> bool(np.all(s.a.sum == s.a.sum_sq))
    True
    """
    m = _per_look(n_per_look, looks)

    def arm(p: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        conv = np.cumsum(rng.binomial(m, p, size=(experiments, looks)), axis=1).astype(float)
        n = np.broadcast_to(np.cumsum(m), (experiments, looks))
        return n, conv, conv

    return TwoArms(Sums(*arm(rate)), Sums(*arm(rate + effect)))


def cuped_pairs(
    rng: np.random.Generator,
    experiments: int,
    n_per_arm: int,
    *,
    rho: float = 0.7,
    mean_y: float = 10.0,
    sd_y: float = 3.0,
    mean_x: float = 10.0,
    sd_x: float = 3.0,
    effect: float = 0.0,
) -> TwoArms:
    """Metric ``y`` and pre-period covariate ``x``, bivariate normal with correlation
    ``rho`` in both arms; arm b's ``y`` mean is ``mean_y + effect`` (``x`` is
    pre-treatment, so it has the same law in both arms). Exact draws: the means
    are normal and the centred scatter matrix is Wishart(``n - 1``), by Bartlett's
    decomposition.

    >>> s = cuped_pairs(np.random.default_rng(1), 5, 200)
    >>> s.a.n.tolist()
    [200, 200, 200, 200, 200]
    """
    if n_per_arm < 3:
        raise ValueError(f"n_per_arm = {n_per_arm}: need at least 3 units per arm")
    if not -1 < rho < 1:
        raise ValueError(f"rho = {rho!r}: a correlation must be strictly between -1 and 1")
    n = n_per_arm
    # Cholesky factor of [[var_y, cov], [cov, var_x]].
    l11, l21, l22 = sd_y, rho * sd_x, sd_x * np.sqrt(1 - rho**2)

    def arm(mu_y: float) -> tuple[np.ndarray, ...]:
        e1, e2 = rng.standard_normal((2, experiments)) / np.sqrt(n)
        ybar = mu_y + l11 * e1
        xbar = mean_x + l21 * e1 + l22 * e2
        a11 = np.sqrt(rng.chisquare(n - 1, experiments))
        a22 = np.sqrt(rng.chisquare(n - 2, experiments))
        a21 = rng.standard_normal(experiments)
        # S = L A A' L' with A = [[a11, 0], [a21, a22]].
        b11, b21, b22 = l11 * a11, l21 * a11 + l22 * a21, l22 * a22
        syy, sxy, sxx = b11**2, b11 * b21, b21**2 + b22**2
        counts = np.full(experiments, n)
        return (
            counts,
            n * ybar,
            syy + n * ybar**2,
            n * xbar,
            sxx + n * xbar**2,
            sxy + n * xbar * ybar,
        )

    return TwoArms(CovariateSums(*arm(mean_y)), CovariateSums(*arm(mean_y + effect)))


def cuped_looks(
    rng: np.random.Generator,
    experiments: int,
    looks: int,
    n_per_look: int,
    **kwargs: float,
) -> TwoArms:
    """:func:`cuped_pairs` at ``looks`` looks: ``n_per_look`` new units per arm at each,
    the six sums cumulative along the last axis (arrays of shape (experiments,
    looks)). ``kwargs`` as in :func:`cuped_pairs`.

    >>> s = cuped_looks(np.random.default_rng(1), 2, 3, 50)
    >>> s.a.n.tolist()
    [[50, 100, 150], [50, 100, 150]]
    """
    flat = cuped_pairs(rng, experiments * looks, n_per_look, **kwargs)
    a, b = (CovariateSums(*(x.reshape(experiments, looks) for x in arm.arrays)) for arm in flat)
    return TwoArms(a.cumsum(), b.cumsum())


def ratio_pairs(
    rng: np.random.Generator,
    experiments: int,
    n_per_arm: int,
    *,
    sessions: float = 3.0,
    rate: float = 0.1,
    concentration: float = 2.0,
    effect: float = 0.0,
) -> TwoArms:
    """Clicks per session: each user has ``1 + Poisson(sessions - 1)`` sessions and a
    personal click rate drawn from a Beta with mean ``rate`` (``rate + effect``
    in arm b) and ``alpha + beta = concentration``, so sessions of one user are
    correlated. ``y`` = clicks (numerator), ``x`` = sessions (denominator).
    Drawn unit by unit, vectorized over (experiments, users).

    >>> s = ratio_pairs(np.random.default_rng(1), 4, 500)
    >>> bool(np.all(s.a.sum <= s.a.sum_x))
    True
    """
    shape = (experiments, n_per_arm)

    def arm(p: float) -> tuple[np.ndarray, ...]:
        d = 1 + rng.poisson(sessions - 1, size=shape)
        q = rng.beta(p * concentration, (1 - p) * concentration, size=shape)
        y = rng.binomial(d, q).astype(float)
        d = d.astype(float)
        counts = np.full(experiments, n_per_arm)
        return (
            counts,
            y.sum(1),
            (y * y).sum(1),
            d.sum(1),
            (d * d).sum(1),
            (y * d).sum(1),
        )

    return TwoArms(CovariateSums(*arm(rate)), CovariateSums(*arm(rate + effect)))


def _covers(low: np.ndarray, high: np.ndarray, truth: float) -> np.ndarray:
    return (low <= truth) & (truth <= high)


def sequential_error_rates(
    sums: TwoArms,
    *,
    alpha: float = 0.05,
    truth: float = 0.0,
    n_opt: float | None = None,
    group_sequential: bool = True,
) -> dict[str, float]:
    """How often each way of monitoring the looks in ``sums`` rejects, and covers ``truth``.

    Rejection rates (the false-positive rate when ``truth == 0``, the power
    otherwise) of: ``fixed_final`` (one fixed-horizon z-test at the last look),
    ``naive_any_look`` (a fixed-horizon z-test at every look, stopping at the
    first p < alpha), ``obrien_fleming`` and ``pocock`` (group sequential, the
    looks as planned, fractions from the units), ``always_valid`` (mixture
    SPRT, ``n_opt`` defaulting to the final total of units). Coverage rates
    ``*_coverage``: the share of experiments whose interval contains ``truth``
    at every look at once (naive intervals, repeated confidence intervals,
    confidence sequences). ``*_stop`` is the mean information fraction at
    stopping (1 when the test never stops). ``group_sequential=False`` skips
    the two group sequential designs (for hundreds of looks).

    >>> s = normal_looks(np.random.default_rng(3), 200, 5, 100)
    >>> rates = sequential_error_rates(s)
    >>> sorted(rates)[:3]
    ['always_valid', 'always_valid_coverage', 'always_valid_stop']
    """

    z_crit = float(-special.ndtri(alpha / 2))
    total = sums.a.n[0, -1] + sums.b.n[0, -1]
    t = (sums.a.n[0] + sums.b.n[0]) / total
    na, ma, va = mean_var_from_sums(*sums.a.arrays)
    nb, mb, vb = mean_var_from_sums(*sums.b.arrays)
    diff, se = mb - ma, np.sqrt(va / na + vb / nb)
    naive = np.abs(diff) >= z_crit * se
    out: dict[str, float] = {}
    out["fixed_final"] = float(naive[:, -1].mean())
    out["fixed_final_coverage"] = float(
        _covers(diff[:, -1] - z_crit * se[:, -1], diff[:, -1] + z_crit * se[:, -1], truth).mean()
    )
    out["naive_any_look"] = float(naive.any(1).mean())
    out["naive_any_look_coverage"] = float(
        _covers(diff - z_crit * se, diff + z_crit * se, truth).all(1).mean()
    )
    out["naive_any_look_stop"] = _mean_stop(naive, t)
    for name in ("obrien-fleming", "pocock") if group_sequential else ():
        r = group_sequential_test(*sums, alpha=alpha, spending=name, repeated_p=False)
        key = name.replace("-", "_")
        out[key] = float(r.rejected[:, -1].mean())
        out[f"{key}_coverage"] = float(_covers(*r.diff_ci, truth).all(1).mean())
        out[f"{key}_stop"] = _mean_stop(r.crossed, t)
    av = always_valid_test(*sums, alpha=alpha, n_opt=n_opt or float(total))
    out["always_valid"] = float(av.significant[:, -1].mean())
    out["always_valid_coverage"] = float(_covers(*av.diff_ci, truth).all(1).mean())
    out["always_valid_stop"] = _mean_stop(av.significant, t)
    return out


def _mean_stop(crossed: np.ndarray, t: np.ndarray) -> float:
    """Mean information fraction at the first crossing (1 where none)."""
    hit = crossed.any(1)
    return float(np.where(hit, t[np.argmax(crossed, axis=1)], 1.0).mean())


def cuped_rates(pairs: TwoArms, *, truth: float = 0.0, alpha: float = 0.05) -> dict[str, float]:
    """CUPED on simulated experiments: the variance reduction it reports (mean over
    experiments), the one achieved (``1 - var(adjusted diff) / var(raw diff)``
    across experiments) and the coverage of ``truth`` by the adjusted and the
    unadjusted intervals.

    >>> rates = cuped_rates(cuped_pairs(np.random.default_rng(2), 2000, 400, rho=0.7))
    >>> round(rates["variance_reduction_reported"], 2)
    0.49
    """

    r = cuped_test(*pairs, alpha=alpha)
    q = float(-special.ndtri(alpha / 2))
    raw = r.diff_unadjusted
    return {
        "variance_reduction_reported": float(np.mean(r.variance_reduction)),
        "variance_reduction_achieved": float(1 - np.var(r.diff) / np.var(raw)),
        "cuped_coverage": float(_covers(*r.diff_ci, truth).mean()),
        "unadjusted_coverage": float(
            _covers(raw - q * r.se_unadjusted, raw + q * r.se_unadjusted, truth).mean()
        ),
        "cuped_bias": float(np.mean(r.diff) - truth),
    }


def ratio_rates(pairs: TwoArms, *, truth: float = 0.0, alpha: float = 0.05) -> dict[str, float]:
    """Coverage of ``truth`` (the difference of ratios) by the delta-method interval,
    and by the naive interval that treats every denominator event (session) as
    an independent unit (a two-proportion Wald interval on clicks / sessions).

    >>> rates = ratio_rates(ratio_pairs(np.random.default_rng(2), 500, 300))
    >>> rates["delta_coverage"] > rates["naive_per_event_coverage"]
    True
    """

    r = ratio_test(*pairs, alpha=alpha)
    q = float(-special.ndtri(alpha / 2))
    a, b = pairs
    pa, pb = a.sum / a.sum_x, b.sum / b.sum_x
    se = np.sqrt(pa * (1 - pa) / a.sum_x + pb * (1 - pb) / b.sum_x)
    return {
        "delta_coverage": float(_covers(*r.diff_ci, truth).mean()),
        "naive_per_event_coverage": float(
            _covers(pb - pa - q * se, pb - pa + q * se, truth).mean()
        ),
    }


def ratio_pre_period(
    rng: np.random.Generator,
    experiments: int,
    n_per_arm: int,
    *,
    sessions: float = 8.0,
    rate: float = 0.2,
    concentration: float = 1.0,
    lift: float = 0.0,
) -> MomentSums:
    """Clicks per session in the experiment and in a pre-period, for ratio CUPED.

    Each user has a base click rate ``q = 2 rate B``, ``B ~ Beta(c/2, c/2)``
    (mean ``rate``, ``c = concentration``), the same in both periods, and
    ``1 + Poisson(sessions - 1)`` sessions in each period, drawn independently.
    In arm b the experiment-period rate is ``q (1 + lift)`` (the pre-period is
    untouched), so the true difference of the ratios is ``rate * lift``
    exactly. Needs ``rate (1 + lift) <= 0.5``.

    >>> s = ratio_pre_period(np.random.default_rng(1), 3, 200)
    >>> s.sums_a.shape, s.cross_a.shape
    ((3, 4), (3, 4, 4))
    """
    if rate * (1 + lift) > 0.5:
        raise ValueError(f"rate * (1 + lift) = {rate * (1 + lift)!r}: must be at most 0.5")
    shape = (experiments, n_per_arm)

    def arm(factor: float) -> tuple[np.ndarray, ...]:
        q = 2 * rate * rng.beta(concentration / 2, concentration / 2, size=shape)
        d = 1 + rng.poisson(sessions - 1, size=shape)
        v = 1 + rng.poisson(sessions - 1, size=shape)
        units = np.stack([rng.binomial(d, q * factor), d, rng.binomial(v, q), v], axis=-1)
        units = units.astype(float)
        cross = np.einsum("eni,enj->eij", units, units)
        return np.full(experiments, n_per_arm), units.sum(axis=1), cross

    return MomentSums(*arm(1.0), *arm(1.0 + lift))


def ratio_cuped_rates(
    sums: MomentSums, *, truth: float = 0.0, alpha: float = 0.05
) -> dict[str, float]:
    """Ratio CUPED on simulated experiments: reported and achieved variance reduction
    and the coverage of ``truth`` by the adjusted and the plain delta-method intervals.

    >>> rates = ratio_cuped_rates(ratio_pre_period(np.random.default_rng(2), 300, 300))
    >>> rates["variance_reduction_reported"] > 0.2
    True
    """
    r = ratio_cuped_test(*sums.args, alpha=alpha)
    q = float(-special.ndtri(alpha / 2))
    raw = r.diff_unadjusted
    return {
        "variance_reduction_reported": float(np.mean(r.variance_reduction)),
        "variance_reduction_achieved": float(1 - np.var(r.diff) / np.var(raw)),
        "cuped_coverage": float(_covers(*r.diff_ci, truth).mean()),
        "unadjusted_coverage": float(
            _covers(raw - q * r.se_unadjusted, raw + q * r.se_unadjusted, truth).mean()
        ),
    }
