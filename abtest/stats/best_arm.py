"""Which of k normally distributed arms is best, and what choosing each one loses.

* :func:`normal_best`: independent arms ``X_j ~ N(mean_j, sd_j^2)`` (the arms' means
  under flat priors, :func:`abtest.stats.bayes_means` on the absolute scale).
* :func:`lift_best`: the arms' relative lifts against one control,
  ``L_j = X_j / X_c - 1`` to first order (GrowthBook's delta method, the relative
  scale): jointly normal, dependent through the control they share.

Both are one- (two-) dimensional integrals no library offers in this form, done by
Fejér quadrature (:func:`abtest.stats._quadrature.chebyshev_rule`) on pieces cut where
the integrands turn.
"""

from __future__ import annotations

import numpy as np
from scipy import special as sc

from abtest.stats._quadrature import chebyshev_rule

_NODES = 64
_Z = 8.0
_ZNODES = 24
#: Where the z-integral is cut whatever the arms (the normal density's own scale).
_BASE = np.array([-_Z, -4.0, -2.0, 0.0, 2.0, 4.0, _Z])
#: Where the z-integral of :func:`lift_best` is cut around each point two arms cross,
#: in units of the width over which they cross (beyond 8 widths Φ is below 1e-15).
_CROSSING = np.array([-8.0, -4.0, -1.0, 0.0, 1.0, 4.0, 8.0])
#: The most nodes (rows x arms x x-nodes) one :func:`normal_best` call of
#: :func:`lift_best` holds: about 30 MB per array it makes.
_CHUNK = 4_000_000


def lift_best(
    lift: np.ndarray, shared: np.ndarray, own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``P(best_i)`` and ``E[max_j L_j - L_i]`` for arms whose lifts are
    ``L_j = lift_j + shared_j Z + own_j e_j`` with ``Z, e_j`` independent standard
    normals; arms along the last axis of 2-D arrays (experiments, arms). The control
    is the arm with all three 0 (its lift is 0).

    This is the joint distribution of GrowthBook's relative effects under flat
    priors: against a control with mean ``m_c`` and variance ``v_c / n_c`` of its
    mean, ``shared_j = -(m_j / m_c^2) sqrt(v_c / n_c)`` and
    ``own_j = sqrt(v_j / n_j) / m_c``, so ``shared_j^2 + own_j^2`` is gbstats'
    delta-method variance and each arm's ``P(L_j > 0)`` is its chance to win. Given
    ``Z`` the arms are independent (:func:`normal_best`); the result is that
    integrated over ``Z`` on [-8, 8] by 24-point Fejér rules on pieces cut at
    0, ±2, ±4 and where two arms' conditional means cross
    (``Z = (lift_j - lift_i) / (shared_i - shared_j)``), at multiples of the width
    ``sqrt(own_i^2 + own_j^2) / |shared_i - shared_j|`` over which they do (to about
    1e-13 against the two-arm closed form, however sharp the crossing). Two arms are
    that closed form, ``P(best_b) = Φ(lift_b / sd_b)``, so a treatment's P(best) is
    never above its chance to win.
    """
    E, k = lift.shape
    if k == 2:
        spread = np.hypot(shared[:, 1] - shared[:, 0], np.hypot(own[:, 0], own[:, 1]))
        return _two_arms(lift[:, 1] - lift[:, 0], spread)
    t, _, w = chebyshev_rule(_ZNODES)
    i, j = np.triu_indices(k, 1)
    gap = shared[:, i] - shared[:, j]
    with np.errstate(divide="ignore", invalid="ignore"):
        at = (lift[:, j] - lift[:, i]) / gap
        width = np.hypot(own[:, i], own[:, j]) / np.abs(gap)
        cuts = at[..., None] + width[..., None] * _CROSSING
    cuts = np.where(np.isfinite(cuts), np.clip(cuts, -_Z, _Z), -_Z).reshape(E, -1)
    fixed = np.broadcast_to(_BASE, (E, _BASE.size))
    ends = np.sort(np.concatenate([fixed, cuts], 1), 1)
    u, v = ends[:, :-1], ends[:, 1:]
    used = (v > u).any(axis=0)  # pieces of length 0 in every row (cuts clipped to ±8) go
    u, v = u[:, used], v[:, used]
    half = (v - u) / 2
    z = ((u + v)[..., None] / 2 + half[..., None] * t).reshape(E, -1)
    wz = (half[..., None] * w).reshape(E, -1) * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    nz = z.shape[1]
    means = (lift[:, None, :] + shared[:, None, :] * z[..., None]).reshape(-1, k)
    sds = np.broadcast_to(own[:, None, :], (E, nz, k)).reshape(-1, k)
    pb, lo = np.empty_like(means), np.empty_like(means)
    # normal_best holds k · (2k - 1) · 64 nodes per row it is given: bounded here
    rows = max(1, _CHUNK // (k * (2 * k - 1) * _NODES))
    for a in range(0, len(means), rows):
        pb[a : a + rows], lo[a : a + rows] = normal_best(means[a : a + rows], sds[a : a + rows])
    prob_best = np.einsum("ez,ezk->ek", wz, pb.reshape(E, nz, k))
    loss = np.einsum("ez,ezk->ek", wz, lo.reshape(E, nz, k))
    return prob_best, loss


def _two_arms(d: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`lift_best` of two arms whose difference (second minus first) is
    ``N(d, s^2)``: ``P(best_2) = Φ(d / s)`` and the losses ``E[(D)+]``, ``E[(-D)+]``
    (``s = 0``: a point mass, a tie shared equally)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = d / s
        win = np.where(s > 0, sc.ndtr(r), (1 + np.sign(d)) / 2)
        keep = np.where(s > 0, d * sc.ndtr(r) + s * np.exp(-0.5 * r**2) / np.sqrt(2 * np.pi),
                        np.maximum(d, 0.0))  # fmt: skip
    return np.stack([1 - win, win], 1), np.stack([keep, keep - d], 1)


def normal_best(mean: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P(best_i)`` and ``E[max_j X_j - X_i]`` for independent ``X_j ~ N(mean_j, sd_j^2)``,
    arms along the last axis of 2-D arrays (experiments, arms).

    ``P(best_i) = ∫ φ_i Π_{j≠i} Φ_j`` and ``E[max] - E[X_i] = ∫ (Φ_i - Π_j Φ_j)``
    by Fejér quadrature on pieces cut at every arm's ``mean ± 8 sd``
    (absolute error ~1e-12). An arm with sd 0 (e.g. no revenue at all) is a
    point mass: its Φ is a step at a cut, and its P(best) is
    ``Π_j P(X_j < mean_i)``, shared equally with arms tied at the same point.
    Two arms reduce to ``P(best_b) = Φ(δ/s)`` and ``E[(X_b - X_a)+] =
    δ Φ(δ/s) + s φ(δ/s)``, ``s = sqrt(sd_a^2 + sd_b^2)`` (the tests' reference).

    Examples
    --------
    >>> pb, loss = normal_best(np.array([[1.0, 1.1]]), np.array([[0.05, 0.05]]))
    >>> pb.round(6).tolist()  # Φ(0.1 / 0.0707)
    [[0.07865, 0.92135]]
    """
    E, k = mean.shape
    t, _, w = chebyshev_rule(_NODES)
    ends = np.sort(np.concatenate([mean - _Z * sd, mean + _Z * sd], axis=1), axis=1)
    u, v = ends[:, :-1], ends[:, 1:]
    half = (v - u) / 2
    x = ((u + v)[..., None] / 2 + half[..., None] * t).reshape(E, 1, -1)
    wx = (half[..., None] * w).reshape(E, -1)
    point = sd == 0
    s = np.where(point, 1.0, sd)[..., None]
    z = (x - mean[..., None]) / s
    cdf = np.where(point[..., None], (z > 0).astype(float), sc.ndtr(z))
    pdf = np.where(point[..., None], 0.0, np.exp(-0.5 * z**2) / (np.sqrt(2 * np.pi) * s))
    prob_best = np.empty((E, k))
    loss = np.empty((E, k))
    for i in range(k):
        others = np.prod(np.delete(cdf, i, axis=1), axis=1)
        prob_best[:, i] = np.einsum("en,en,en->e", wx, pdf[:, i], others)
        loss[:, i] = np.einsum("en,en,en->e", wx, cdf[:, i], 1 - others)
    if point.any():
        # Point mass i: every other arm below mean_i; ties share equally.
        diff = mean[:, :, None] - mean[:, None, :]  # (E, i, j): mean_i - mean_j
        below = np.where(
            point[:, None, :],
            (diff > 0).astype(float),
            sc.ndtr(diff / np.where(point, 1.0, sd)[:, None, :]),
        )
        tied = point[:, None, :] & (diff == 0)
        eye = np.eye(k, dtype=bool)
        below = np.where(tied | eye, 1.0, below)
        share = 1.0 / (tied & ~eye).sum(axis=2).__add__(1)
        prob_best = np.where(point, below.prod(axis=2) * share, prob_best)
    return prob_best, loss
