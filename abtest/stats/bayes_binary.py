"""Bayesian analysis of conversion rates: conjugate Beta-Binomial, computed exactly.

Each arm's conversion rate has the posterior Beta(alpha0 + conversions,
beta0 + visitors - conversions). The quantities growth teams read are
one-dimensional integrals of these posteriors, computed here by quadrature on a
grid placed where the posterior mass is (:mod:`abtest.stats._bayes_grid`),
accurate to about 1e-12 from 10 to 1e9 visitors per arm, instead of by Monte
Carlo (error ~1e-3 at 20,000 draws) or a normal approximation:

* ``P(best_i) = ∫ f_i(x) Π_{j≠i} F_j(x) dx``;
* ``P(rate_i > rate_control) = ∫ f_i(x) F_control(x) dx``;
* expected loss ``E[max_j rate_j - rate_i] = ∫ F_i(x) (1 - Π_{j≠i} F_j(x)) dx``
  (from ``E[X] = ∫ (1 - F)``; for two arms it is ``E[(rate_B - rate_A)+]``);
* credible intervals of each rate (Beta quantiles) and of the relative uplift
  ``rate_i / rate_control - 1``, whose CDF
  ``P(rate_i <= r rate_c) = ∫ f_c(x) F_i(r x) dx`` is inverted by safeguarded
  Newton iterations (quantiles exact to ~1e-10, no sampling).

References: E. Miller, "Formulas for Bayesian A/B testing" (2015), for the
closed form of P(B > A) with two arms that the tests check against;
C. Stucchio, "Bayesian A/B Testing at VWO" (2015), for the expected loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special as sc

from abtest.stats import _check
from abtest.stats._bayes_grid import (
    N_NODES,
    POWER_SPAN,
    BetaGrid,
    Workspace,
    beta_grid,
    beta_moments,
)
from abtest.stats._quadrature import (
    PieceMap,
    chebyshev_rule,
    matmul_rows,
    newton,
    rough_power,
)
from abtest.stats.results import BetaPrior, _Result

PRIORS = {"uniform": (1.0, 1.0), "jeffreys": (0.5, 0.5)}
N_RATIO = 48  # Chebyshev points for the uplift CDF (error ~1e-10 in probability)
_CHUNK = 1 << 19  # grid elements per chunk of experiments (keeps arrays in cache)


@dataclass(frozen=True)
class BetaBinomialResult(_Result):
    """Posterior summaries of k arms; arrays run over arms along the last axis
    (after a leading experiments axis for batch input).

    ``prob_best``: P(arm has the highest rate); sums to 1 over arms.
    ``prob_beat_control``: P(rate_i > rate_control); the control's own entry is
    0.5 by convention (a coin flip against itself; no decision rule acts on it).
    ``expected_loss``: E[max_j rate_j - rate_i], in rate units; ``relative_loss``
    divides it by the control's posterior mean rate. With ``inverse`` (lower is
    better) these three are of the lowest rate: P(lowest), P(rate_i < rate_control),
    E[rate_i - min_j rate_j].
    ``lift_ci``: equal-tailed credible interval (level ``1 - alpha``) of
    ``rate_i / rate_control - 1``, shape (..., k, 2); ``lift_mean`` is its
    posterior mean (infinite when the control's posterior alpha is <= 1; 0 and
    [0, 0] for the control itself). ``rate_mean``, ``rate_ci``: each rate's
    posterior mean and equal-tailed credible interval. ``posterior_alpha``,
    ``posterior_beta``: the Beta posterior of each arm.
    """

    prob_best: Any
    prob_beat_control: Any
    expected_loss: Any
    relative_loss: Any
    lift_ci: Any
    lift_mean: Any
    rate_mean: Any
    rate_ci: Any
    posterior_alpha: Any
    posterior_beta: Any
    control: int
    alpha: float


def prior_from_baseline(rate: float, n_eff: float) -> BetaPrior:
    """Informative Beta prior worth ``n_eff`` visitors at a historical ``rate``.

    Parameters
    ----------
    rate
        The baseline conversion rate, strictly between 0 and 1 (e.g. last
        quarter's rate of the page under test).
    n_eff
        How many visitors the prior is worth (its effective sample size): the
        posterior weighs it like ``n_eff`` extra visitors at ``rate``.

    Returns
    -------
    tuple
        ``(alpha, beta) = (rate * n_eff, (1 - rate) * n_eff)``: mean ``rate``,
        ``alpha + beta = n_eff``; pass it as ``prior=`` to :func:`beta_binomial`.

    References
    ----------
    S. Morita, P. F. Thall and P. Müller, "Determining the effective sample
    size of a parametric prior", Biometrics 64 (2008): the ESS of Beta(a, b)
    is a + b.

    Examples
    --------
    >>> prior_from_baseline(0.04, 500)
    BetaPrior(alpha=20.0, beta=480.0)
    """
    r = float(_check.open_unit("rate", rate))
    n = float(_check.positive("n_eff", n_eff))
    return BetaPrior(r * n, (1 - r) * n)


def _prior(prior: Any, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(prior, str):
        if prior not in PRIORS:
            raise ValueError(
                f"prior={prior!r} is not one of {', '.join(map(repr, PRIORS))}"
                " or an (alpha, beta) pair"
            )
        prior = PRIORS[prior]
    try:
        pa, pb = prior
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"prior must be 'uniform', 'jeffreys' or an (alpha, beta) pair, got {prior!r}"
        ) from exc
    pa = _check.positive("prior alpha", pa)
    pb = _check.positive("prior beta", pb)
    try:
        return np.broadcast_to(pa, shape), np.broadcast_to(pb, shape)
    except ValueError as exc:
        raise ValueError(
            f"prior shapes {np.shape(pa)} and {np.shape(pb)} do not broadcast to the"
            f" data shape {shape}"
        ) from exc


def beta_binomial(
    conversions: ArrayLike,
    visitors: ArrayLike,
    *,
    prior: Any = (1.0, 1.0),
    control: int = 0,
    alpha: float = 0.05,
    inverse: bool = False,
) -> BetaBinomialResult:
    """Exact Bayesian comparison of k conversion rates (conjugate Beta-Binomial).

    Parameters
    ----------
    conversions, visitors
        Per arm, along the last axis: 1-D arrays of length k >= 2 for one
        experiment, or 2-D arrays (experiments, k) for a batch; every result
        field then gains the leading experiments axis.
    prior
        ``(alpha, beta)`` of the Beta prior, the same for every arm (scalars)
        or per arm / experiment (arrays broadcastable to the data);
        ``"uniform"`` = (1, 1) (default), ``"jeffreys"`` = (0.5, 0.5), or an
        informative prior from :func:`prior_from_baseline`.
    control
        Index of the control arm (lift and P(beat control) are against it).
    alpha
        Credible intervals are equal-tailed at level ``1 - alpha``.
    inverse
        Lower is better (GrowthBook's "inverse" metric: bounce, refunds): ``prob_best``
        is P(lowest rate), ``prob_beat_control`` P(rate_i < rate_control) and the
        expected loss ``E[rate_i - min_j rate_j]``, the integrals above with each
        ``F_j`` replaced by ``1 - F_j`` (the rates of not converting, Beta(b, a), are
        then compared as above). The rates, lifts and intervals do not change.

    Returns
    -------
    BetaBinomialResult
        ``prob_best, prob_beat_control, expected_loss, relative_loss, lift_ci,
        lift_mean, rate_mean, rate_ci, posterior_alpha, posterior_beta``.

    Notes
    -----
    Posterior ``Beta(alpha0 + x_i, beta0 + n_i - x_i)``. ``P(best_i) =
    ∫ f_i Π_{j≠i} F_j``, ``P(beat control) = ∫ f_i F_c``, expected loss
    ``∫ F_i (1 - Π_{j≠i} F_j)``, all by Clenshaw-Curtis quadrature with
    spectrally integrated CDFs on a grid split at every arm's ±8 sd range
    (absolute error ~1e-12; tested against Evan Miller's closed form for two
    arms and 1e6-draw Monte Carlo). The uplift interval inverts
    ``P(rate_i / rate_c <= r) = ∫ f_c(x) F_i(r x) dx`` by Newton's method.

    References
    ----------
    E. Miller, "Formulas for Bayesian A/B testing" (2015),
    https://www.evanmiller.org/bayesian-ab-testing.html; C. Stucchio,
    "Bayesian A/B Testing at VWO" (2015).

    Examples
    --------
    >>> r = beta_binomial([1000, 1100], [10000, 10000])
    >>> round(float(r.prob_beat_control[1]), 12)  # Evan Miller's closed form
    0.989457354432
    >>> r.prob_best.round(6).tolist(), r.expected_loss.round(6).tolist()
    ([0.010543, 0.989457], [0.010014, 1.6e-05])
    >>> r.lift_ci[1].round(4).tolist()  # 95% credible interval of rate_B / rate_A - 1
    [0.0144, 0.1928]
    """
    x = _check.counts("conversions", conversions)
    n = _check.counts("visitors", visitors)
    _check.not_above("conversions", x, "visitors", n, "conversions cannot exceed visitors")
    x, n = np.broadcast_arrays(x, n)
    if x.ndim not in (1, 2):
        raise ValueError(
            "conversions and visitors must be 1-D (k arms) or 2-D (experiments, k), "
            f"got shape {x.shape}"
        )
    k = x.shape[-1]
    if k < 2:
        raise ValueError(f"beta_binomial needs at least 2 arms along the last axis, got {k}")
    control = _control_index(control, k)
    alpha = _check.alpha_level(alpha)
    pa, pb = _prior(prior, x.shape)

    a2 = np.atleast_2d(x + pa)
    b2 = np.atleast_2d(n - x + pb)
    parts = []
    step = max(1, _CHUNK // (k * (2 * k - 1) * N_NODES))
    work = Workspace()
    for start in range(0, a2.shape[0], step):
        sl = slice(start, start + step)
        parts.append(_analyze(a2[sl], b2[sl], control, alpha, work, inverse=bool(inverse)))
    out = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    if x.ndim == 1:
        out = {key: v[0] for key, v in out.items()}
    return BetaBinomialResult(
        **out,
        posterior_alpha=a2[0] if x.ndim == 1 else a2,
        posterior_beta=b2[0] if x.ndim == 1 else b2,
        control=control,
        alpha=alpha,
    )


def _control_index(control: int, k: int) -> int:
    if isinstance(control, bool) or not isinstance(control, int | np.integer):
        raise ValueError(f"control must be an arm index (int), got {control!r}")
    if not -k <= control < k:
        raise ValueError(f"control = {control} is out of range for {k} arms")
    return int(control) % k


def _analyze(
    a: np.ndarray,
    b: np.ndarray,
    control: int,
    alpha: float,
    work: Workspace,
    inverse: bool = False,
) -> dict[str, np.ndarray]:
    """All fields for a chunk of experiments, a, b of shape (E, k); ``inverse``: the
    best arm is the lowest (each CDF below replaced by the survival function)."""
    _, _, w = chebyshev_rule(N_NODES)
    grid = beta_grid(a, b, work=work)
    E, k = a.shape
    F = grid.F.reshape(E, k, -1)
    if inverse:  # P(X_j > x): the same integrals then rank the arms from the lowest
        F = 1.0 - F
    wx = (w * grid.jac).reshape(E, -1)  # x-weights
    # density x weight, so that ∫ g f_i dx = Σ hw_i g; and weight x CDF
    hw = work.get("hw", F.shape)
    np.multiply(grid.h.reshape(F.shape), np.tile(w, F.shape[-1] // w.size), out=hw)
    wF = work.get("wF", F.shape)
    np.multiply(wx[:, None], F, out=wF)
    prob_best = np.empty((E, k))
    loss = np.empty((E, k))
    beat = np.empty((E, k))
    for i in range(k):
        others = F[:, 1 - i] if k == 2 else np.prod(np.delete(F, i, axis=1), axis=1)
        # P(best_i) = ∫ f_i Π_{j≠i} F_j ;  E[max] - E[X_i] = ∫ F_i (1 - Π_{j≠i} F_j)
        prob_best[:, i] = np.einsum("en,en->e", hw[:, i], others)
        loss[:, i] = wF[:, i].sum(axis=1) - np.einsum("en,en->e", wF[:, i], others)
        beat[:, i] = np.einsum("en,en->e", hw[:, i], F[:, control])
    beat[:, control] = 0.5

    mean, _ = beta_moments(a, b)
    q = np.array([alpha / 2, 1 - alpha / 2])
    rate_ci = grid.quantile(q)
    lift_ci = np.zeros((E, k, 2))
    arms = np.array([i for i in range(k) if i != control])
    lift_ci[:, arms] = np.expm1(_log_ratio_quantiles(grid, arms, control, q, work))
    ac, bc = a[:, control : control + 1], b[:, control : control + 1]
    # E[X_i / X_c] = E[X_i] E[1 / X_c], E[1 / X_c] = (a + b - 1) / (a - 1) for a > 1.
    inv_mean = np.full_like(ac, np.inf)
    np.divide(ac + bc - 1, ac - 1, out=inv_mean, where=ac > 1)
    lift_mean = mean * inv_mean - 1
    lift_mean[:, control] = 0.0
    loss = np.maximum(loss, 0.0)  # a loss is not negative; quadrature left -6.9e-18 beside 0
    return {
        "prob_best": prob_best,
        "prob_beat_control": beat,
        "expected_loss": loss,
        "relative_loss": loss / mean[:, control : control + 1],
        "lift_ci": lift_ci,
        "lift_mean": lift_mean,
        "rate_mean": mean,
        "rate_ci": rate_ci,
    }


def _log_ratio_quantiles(
    grid: BetaGrid, arms: np.ndarray, control: int, q: np.ndarray, work: Workspace
) -> np.ndarray:
    """Quantiles ``q`` of log(rate_i / rate_control) for ``arms``, (E, len(arms), len(q)).

    ``G(r) = P(X_i <= r X_c) = ∫ F_i(y) f_c(y/r) / r dy + 1 - F_c(hi_i / r)``,
    the integral over ``[lo_i, hi_i] ∩ [r lo_c, r hi_c]``, where both factors
    have their mass, so a fresh Chebyshev piece there resolves them whatever the
    sizes of the arms; ``F_i`` on it is ``F_i(y1)`` plus the spectral integral of
    ``f_i``. Newton's method in ``u = log r`` uses
    ``dG/du = ∫ y f_i(y) f_c(y/r) / r dy``, from a Cornish-Fisher start on the
    exact cumulants of ``log X_i - log X_c`` (polygamma functions).
    """
    n = N_RATIO
    _, S, w = chebyshev_rule(n)
    E = grid.a.shape[0]
    shape = (E, arms.size, q.size)
    e = np.broadcast_to(np.arange(E)[:, None, None], shape).ravel()
    i = np.broadcast_to(arms[None, :, None], shape).ravel()
    c = np.full_like(i, control)
    lo_i, hi_i = grid.lo[e, i], grid.hi[e, i]
    lo_c, hi_c = grid.lo[e, c], grid.hi[e, c]

    dens_i = grid.density.take((e, i))
    dens_c = grid.density.take((e, c))
    # Power map for the densities of the two arms that are rough at 0.
    a_ic = np.stack([grid.a[e, i], grid.a[e, c]])
    rough = np.stack([lo_i == 0, lo_c == 0]) & (a_ic % 1 != 0)
    p_left, any_rough = rough_power(a_ic, rough, axis=0)
    S_T = np.ascontiguousarray(S.T)

    def evaluate(u: np.ndarray, ix: Any) -> tuple[np.ndarray, np.ndarray]:
        r = np.exp(u)
        li, hi_, lc, hc = lo_i[ix], hi_i[ix], lo_c[ix], hi_c[ix]
        y1 = np.maximum(li, r * lc)
        y2 = np.maximum(np.minimum(hi_, r * hc), y1)  # empty: G is the tail term
        # A power map at 0 (or far from 0 over a wide span) when a density is
        # rough there, and at the top when it is the end of a support.
        right = ((y2 == hi_) & (hi_ == 1)) | ((y2 == r * hc) & (hc == 1))
        left = (y1 == 0) | (any_rough[ix] & (y2 > POWER_SPAN * y1))
        kind = left.astype(np.intp) + 2 * right.astype(np.intp)
        kind[(y1 > 0) & (kind == 3)] = 2
        maps = PieceMap(y1, y2, kind, p_left[ix], np.full(u.size, 2.0), y2)
        m = u.size
        y, h_i, f_c, F_i, tmp = (work.get(f"ratio{j}", (m, n)) for j in range(5))
        rel, jac = maps.nodes(n)
        np.add(y1[:, None], rel, out=y)
        dens_i.take(ix)(y, out=h_i, scratch=tmp)
        h_i *= jac
        np.divide(y, r[:, None], out=F_i)
        dens_c.take(ix)(F_i, 1.0 / r, out=f_c, scratch=tmp)
        matmul_rows(h_i, S_T, F_i)
        anchor = y1 > li  # F_i(y1) = 0 at the bottom of arm i's range
        if anchor.any():
            ea, ia = e[ix][anchor], i[ix][anchor]
            F_i[anchor] += grid.cdf(ea, ia, y1[anchor])[:, None]
        np.multiply(jac, w, out=tmp)
        tmp *= f_c
        G = np.einsum("ij,ij->i", tmp, F_i)
        z = hi_ / r
        tail = z < hc  # P(r X_c > hi_i) = 0 above the top of the control's range
        if tail.any():
            G[tail] += 1.0 - grid.cdf(e[ix][tail], c[ix][tail], z[tail])
        h_i *= w
        h_i *= f_c
        return G, np.einsum("ij,ij->i", h_i, y)

    ai, bi = grid.a[e, i], grid.b[e, i]
    ac, bc = grid.a[e, c], grid.b[e, c]
    k1 = sc.digamma(ai) - sc.digamma(ai + bi) - sc.digamma(ac) + sc.digamma(ac + bc)
    t1, t2, t3 = _polygamma123(np.stack([ai, ai + bi, ac, ac + bc]))
    k2 = t1[0] - t1[1] + t1[2] - t1[3]
    k3 = t2[0] - t2[1] - t2[2] + t2[3]
    k4 = t3[0] - t3[1] + t3[2] - t3[3]
    sd = np.sqrt(k2)
    g1, g2 = k3 / sd**3, k4 / k2**2
    z = np.broadcast_to(sc.ndtri(q), shape).ravel()
    # Cornish-Fisher expansion to the fourth cumulant
    cf = z + (z**2 - 1) * g1 / 6 + (z**3 - 3 * z) * g2 / 24 - (2 * z**3 - 5 * z) * g1**2 / 36
    u0 = k1 + sd * cf
    with np.errstate(divide="ignore"):
        ulo = np.log(lo_i) - np.log(hi_c)
        uhi = np.log(hi_i) - np.log(lo_c)
    # Where a range reaches 0 the support is unbounded: keep 50 sd (and exp()) finite.
    ulo = np.maximum(ulo, np.maximum(u0 - 50 * sd, -700.0))
    uhi = np.minimum(uhi, np.minimum(u0 + 50 * sd, 700.0))
    target = np.broadcast_to(q, shape).ravel()
    return newton(evaluate, u0, target, ulo, uhi, sd, 1e-5 * sd).reshape(shape)


def _polygamma123(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """psi_1, psi_2, psi_3 (tri-, tetra-, pentagamma) by recurrence to x >= 10 and
    their asymptotic series (error < 1e-12; used only for a starting point)."""
    p1, p2, p3 = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
    y = x.copy()
    for _ in range(10):
        small = y < 10
        if not small.any():
            break
        inv = np.where(small, 1.0 / y, 0.0)
        p1 += inv**2
        p2 -= 2 * inv**3
        p3 += 6 * inv**4
        y = np.where(small, y + 1, y)
    iy = 1.0 / y
    i2 = iy * iy
    p1 += iy + i2 / 2 + iy * i2 * (1 / 6 - i2 * (1 / 30 - i2 * (1 / 42 - i2 / 30)))
    p2 -= i2 + iy * i2 + i2 * i2 * (1 / 2 - i2 * (1 / 6 - i2 * (1 / 6 - i2 * 3 / 10)))
    p3 += iy * i2 * (2 + 3 * iy + 2 * i2 - i2 * i2 * (1 - i2 * (4 / 3 - 3 * i2)))
    return p1, p2, p3
