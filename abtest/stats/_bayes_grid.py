"""Quadrature for Beta posteriors: densities and CDFs of k arms on one shared grid.

Everything the Beta-Binomial engine reports is a one-dimensional integral of
posterior densities ``f_j`` and CDFs ``F_j``, for example
``P(best_i) = ∫ f_i(x) Π_{j≠i} F_j(x) dx``. This module builds, for a batch of
experiments at once, a grid on which all of them are accurate to ~1e-12:

* Each arm's mass lies in ``[lo_j, hi_j]``: the nearest of mean ± 6.5 to 16
  sd where a log-concave tail bound certifies that less than ``TAIL`` lies
  beyond (7.5 sd for a near-normal posterior), else the exact ``TAIL``
  quantile, or the end 0 / 1 itself for skewed arms (``a`` or ``b`` below
  ``SMOOTH``). Mass outside is dropped (at most ``2 * TAIL``).
* The 2k ends, sorted, cut ``[min lo, max hi]`` into 2k - 1 pieces, so every
  piece lies inside or outside each arm's range and no CDF has a step inside a
  piece wider than its own scale. This is what keeps the result exact from 10
  to 1e9 visitors per arm, and arms of very different sizes in one experiment.
* Each piece carries ``N_NODES`` Chebyshev points of the first kind. A piece
  that starts at 0 (ends at 1), or spans many scales above 0 inside an arm
  whose density is not analytic there (``a`` not whole: Jeffreys, informative
  priors), is mapped by a power ``x = s^p`` (``p = 2`` for Jeffreys), which
  turns ``x^(a-1) dx`` into a polynomial in s.
* Densities are evaluated from offsets to each arm's mean,
  ``(a-1) log1p(d/c) + (b-1) log1p(-d/(1-c))``, and normalized numerically on
  the grid, so nothing cancels for a, b ~ 1e9 (``betaln`` would lose 8 digits).
  The CDF at any other point is a barycentric interpolation on its piece.
* CDFs come from the densities by spectral (Clenshaw-Curtis type) cumulative
  integration: one small matrix product per piece and no ``betainc`` per node.

The Chebyshev machinery (rules, piece maps, interpolation, Newton) is in
:mod:`abtest.stats._quadrature`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special as sc

from abtest.stats._quadrature import (
    PieceMap,
    barycentric,
    chebyshev_rule,
    matmul_rows,
    newton,
    rough_power,
)

N_NODES = 56  # Chebyshev points per piece; ~1e-13 on a normal bump of +-8 sd
# Candidate ends of an arm's range, in posterior sd from the mean.
Z_START, Z_DOWN = 7.5, (7.25, 7.0, 6.75, 6.5)
Z_UP = (7.75, 8.0, 8.5, 9.0, 10.0, 11.0, 12.5, 14.0, 16.0)
TAIL = 1e-13  # largest posterior mass dropped on each side of an arm's range
SMOOTH = 8.0  # below this a (or b) the range runs to 0 (or 1), with a power map
POWER_SPAN = 8.0  # a wider piece (v/u) inside an arm rough at 0 gets a power map


def beta_moments(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of Beta(a, b)."""
    m = a / (a + b)
    return m, np.sqrt(a * b / (a + b + 1)) / (a + b)


def beta_ranges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[lo, hi]`` holding all but at most ``TAIL`` of Beta(a, b) on each side.

    Each end is the nearest of mean ∓ z sd, z from 6.5 to 16, where the
    log-concave tail bound ``F(x) <= f(x) / (log f)'(x)`` certifies it (cheap,
    no ``betainc``; about 7.5 sd for a near-normal posterior, more on the long
    side of a skewed one); otherwise the exact ``TAIL`` quantile, or 0 (1)
    itself when ``a`` (``b``) is below ``SMOOTH``.
    """
    m, s = beta_moments(a, b)
    logc = sc.betaln(a, b)
    concave = (a >= 1) & (b >= 1)
    ends = []
    for side in (1.0, -1.0):

        def certified(idx: np.ndarray, z: float, side: float = side) -> tuple[np.ndarray, ...]:
            at = np.unravel_index(idx, a.shape)
            x = m[at] - side * z * s[at]
            with np.errstate(divide="ignore", invalid="ignore"):
                ok = (x > 0) & (x < 1) & _tail_bound_ok(a[at], b[at], x, logc[at], side)
            return ok, x

        end = np.full(a.shape, 0.0 if side > 0 else 1.0)
        todo = np.flatnonzero(concave)
        ok, x = certified(todo, Z_START)
        end.flat[todo[ok]] = x[ok]
        tighter, todo = todo[ok], todo[~ok]
        for z in Z_DOWN:  # the short side of a skewed posterior
            ok, x = certified(tighter, z)
            end.flat[tighter[ok]] = x[ok]
            tighter = tighter[ok]
        for z in Z_UP:  # the long side
            if todo.size == 0:
                break
            ok, x = certified(todo, z)
            end.flat[todo[ok]] = x[ok]
            todo = todo[~ok]
        fix = np.zeros(a.shape, dtype=bool)
        fix.flat[todo] = True
        fix |= ~concave
        fix &= (a if side > 0 else b) >= SMOOTH
        if fix.any():
            inv = sc.betaincinv if side > 0 else sc.betainccinv
            end[fix] = inv(a[fix], b[fix], TAIL)
        ends.append(end)
    return ends[0], ends[1]


def _tail_bound_ok(
    a: np.ndarray, b: np.ndarray, x: np.ndarray, logc: np.ndarray, side: float
) -> np.ndarray:
    """A log-concave density puts at most ``f(x) / |(log f)'(x)|`` beyond ``x``
    (below for side = 1, above for side = -1) when the slope points to the
    mode; True where that bound is below ``TAIL``."""
    log_f = (a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - logc
    slope = side * ((a - 1) / x - (b - 1) / (1 - x))
    return (slope > 0) & (log_f - np.log(slope) < np.log(TAIL))


class Density:
    """Beta(a, b) densities anywhere, from a reference point ``c``:
    ``log f(c + d) = (a-1) log1p(d/c) + (b-1) log1p(-d/(1-c)) - log_norm``.

    The two large terms share the one offset ``d``, so nothing cancels for a, b
    up to ~1e12 (``betaln`` would lose 8 digits at 1e9). ``log_norm`` is the
    grid's numeric normalizer (0 while the grid is being built).
    """

    def __init__(
        self, a: np.ndarray, b: np.ndarray, c: np.ndarray, log_norm: np.ndarray | float = 0.0
    ) -> None:
        self.am1, self.bm1, self.c = a - 1, b - 1, c
        self.ic, self.ic1 = 1 / c, -1 / (1 - c)
        self.log_norm = log_norm

    def take(self, ix: np.ndarray | slice) -> Density:
        """The densities of a subset (flat parameter arrays)."""
        out = Density.__new__(Density)
        for name in ("am1", "bm1", "c", "ic", "ic1", "log_norm"):
            v = getattr(self, name)
            setattr(out, name, v[ix] if np.ndim(v) else v)
        return out

    def __call__(
        self,
        x: np.ndarray,
        scale: np.ndarray | None = None,
        out: np.ndarray | None = None,
        scratch: np.ndarray | None = None,
    ) -> np.ndarray:
        """Density at ``x`` (parameters broadcast along x's last axis), times
        ``scale`` if given; 0 outside (0, 1). ``out`` and ``scratch`` (shaped
        like ``x``) avoid fresh arrays."""
        col = (slice(None),) + (None,) * (np.ndim(x) - 1)
        d = np.subtract(x, self.c[col], out=scratch)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = log_density(self.am1[col], self.bm1[col], self.c[col], d, x, 1 - x, out)
            if np.ndim(self.log_norm):
                out -= self.log_norm[col]
            np.exp(out, out=out)
        out[(x <= 0) | (x >= 1)] = 0.0
        if scale is not None:
            out *= scale[col]
        return out


def log_density(
    am1: np.ndarray,
    bm1: np.ndarray,
    c: np.ndarray,
    d: np.ndarray,
    x: np.ndarray | None,
    y: np.ndarray | None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """``(a-1) log1p(d/c) + (b-1) log1p(-d/(1-c))`` at ``x = c + d``; overwrites
    ``d``. Where a < 1 and ``x < c/2`` the first log is taken as ``log(x/c)``
    (and the second as ``log(y/(1-c))``, ``y = 1 - x``, where b < 1): there
    ``1 + d/c`` has lost the digits of a density that grows without bound."""
    out = np.divide(d, c, out=out)
    np.log1p(out, out=out)
    if x is not None and np.any(am1 < 0):
        fix = np.broadcast_to(am1 < 0, out.shape) & (x < c / 2)
        out[fix] = np.log(np.broadcast_to(x / c, out.shape)[fix])
    out *= am1
    np.divide(d, -(1 - c), out=d)
    np.log1p(d, out=d)
    if y is not None and np.any(bm1 < 0):
        fix = np.broadcast_to(bm1 < 0, d.shape) & (y < (1 - c) / 2)
        d[fix] = np.log(np.broadcast_to(y / (1 - c), d.shape)[fix])
    d *= bm1
    out += d
    return out


class Workspace:
    """Reusable scratch arrays for successive chunks of one call.

    Fresh multi-megabyte arrays cost a page fault per 4 kB on first touch, more
    than the arithmetic done in them; chunks of one call reuse these instead.
    ``get`` returns a view of the first rows of a cached buffer.
    """

    def __init__(self) -> None:
        self._buf: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        buf = self._buf.get(name)
        if buf is None or buf.shape[1:] != shape[1:] or buf.shape[0] < shape[0]:
            buf = self._buf[name] = np.empty(shape)
        return buf[: shape[0]]


@dataclass(frozen=True)
class BetaGrid:
    """Posterior densities and CDFs of k arms on a shared grid.

    Shapes: ``E`` experiments, ``k`` arms, ``P = 2k - 1`` pieces, ``n`` points.
    ``jac (E, P, n)`` is ``dx/dt`` at each point (``w * jac`` integrates over
    x); ``h = f * jac`` and ``F (E, k, P, n)`` are each arm's normalized
    density (per unit t) and CDF, 0 below and 1 above the arm's range.
    ``F_ends (E, k, P + 1)`` is each CDF at the piece ends; ``density``
    evaluates the densities anywhere.
    """

    a: np.ndarray
    b: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    ends: np.ndarray
    maps: PieceMap
    jac: np.ndarray
    h: np.ndarray
    F: np.ndarray
    F_ends: np.ndarray
    density: Density

    def cdf(self, e: np.ndarray, j: np.ndarray, x: np.ndarray) -> np.ndarray:
        """CDF of arm ``j`` of experiment ``e`` at ``x`` (flat arrays): barycentric
        interpolation of the grid values on the piece holding ``x`` (spectral
        accuracy, no ``betainc``)."""
        _, k, P, n = self.F.shape
        ends = self.ends[e]
        p = np.minimum((x[:, None] > ends[:, 1:-1]).sum(axis=1), P - 1)
        t = self.maps.take((e, p)).t_of_x(x)
        vals = self.F.reshape(-1, n)[(e * k + j) * P + p]
        out = barycentric(t, vals)
        out[x <= self.lo[e, j]] = 0.0
        out[x >= self.hi[e, j]] = 1.0
        return np.clip(out, 0.0, 1.0, out=out)

    def quantile(self, q: np.ndarray) -> np.ndarray:
        """Quantiles ``q`` of every arm, (E, k, len(q)): the root of the CDF's
        interpolating polynomial on the piece that brackets it, by Newton's
        method (Halley's) in the piece coordinate t, from a cubic Hermite start."""
        E, k, P, n = self.F.shape
        shape = (E, k, q.size)
        qq = np.broadcast_to(q, shape).ravel()
        ej = np.broadcast_to(np.arange(E * k).reshape(E, k, 1), shape).ravel()
        F_ends = self.F_ends.reshape(E * k, P + 1)[ej]
        p = np.minimum((F_ends[:, 1:-1] <= qq[:, None]).sum(axis=1), P - 1)
        rows = np.arange(qq.size)
        row = ej * P + p
        vals, dens = self.F.reshape(-1, n)[row], self.h.reshape(-1, n)[row]
        # Bracket between consecutive points (with the piece ends at t = -1, 1),
        # start from the cubic Hermite interpolant of (F, dF/dt) on the bracket.
        t_nodes, _, _ = chebyshev_rule(n)
        t_aug = np.concatenate([[-1.0], t_nodes, [1.0]])
        F_aug = np.concatenate([F_ends[rows, p, None], vals, F_ends[rows, p + 1, None]], axis=1)
        i = np.clip((F_aug <= qq[:, None]).sum(axis=1) - 1, 0, n)
        t0, t1 = t_aug[i], t_aug[i + 1]
        F0, F1 = F_aug[rows, i], F_aug[rows, i + 1]
        dt, dF = t1 - t0, F1 - F0
        slope = dF / dt  # at the piece ends, where dF/dt is not stored
        D0 = np.where(i > 0, dens[rows, np.maximum(i - 1, 0)], slope) * dt
        D1 = np.where(i < n, dens[rows, np.minimum(i, n - 1)], slope) * dt
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.clip((qq - F0) / dF, 0.0, 1.0)
            for _ in range(4):  # Newton on the cubic, H(0) = F0, H(1) = F1
                s2, s3 = s * s, s * s * s
                H = (2 * s3 - 3 * s2 + 1) * F0 + (s3 - 2 * s2 + s) * D0
                H += (3 * s2 - 2 * s3) * F1 + (s3 - s2) * D1
                dH = (6 * s2 - 6 * s) * (F0 - F1) + (3 * s2 - 4 * s + 1) * D0
                dH += (3 * s2 - 2 * s) * D1
                s = np.clip(s - (H - qq) / dH, 0.0, 1.0)
        start = np.where(np.isfinite(s), t0 + s * dt, (t0 + t1) / 2)

        pieces = self.maps.take((ej // k, p))
        am1, bm1 = self.a.ravel()[ej] - 1, self.b.ravel()[ej] - 1

        def evaluate(t: np.ndarray, ix: Any) -> tuple[np.ndarray, ...]:
            G, dG = barycentric(t, vals[ix], dens[ix])
            # Halley: G''/G' = (log f)'(x) x'(t) + x''(t) / x'(t), exactly.
            x, x1, x2 = pieces.take(ix).x_of_t(t)
            with np.errstate(divide="ignore", invalid="ignore"):
                curv = (am1[ix] / x - bm1[ix] / (1 - x)) * x1 + x2 / x1
            return G, dG, np.where(np.isfinite(curv), curv, 0.0)

        # Halley's error after a step of size s is ~ s^3 / (sd in t ~ 0.1)^2.
        t = newton(evaluate, start, qq, t0, t1, dt, np.full(qq.size, 1e-4))
        return pieces.x_of_t(t)[0].reshape(shape)


def grid_maps(
    a: np.ndarray,
    b: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    inside: np.ndarray,
) -> PieceMap:
    """The map of each piece: a power map at an end 0 (1), with the exponent of
    the roughest arm there (``a`` (``b``) not whole: Jeffreys, or an informative
    prior), also for pieces that start above 0 (end below 1) but span more than
    a factor ``POWER_SPAN`` inside such an arm; smoothstep for a piece [0, 1]."""
    rough_l = ((lo == 0) & (a % 1 != 0))[:, :, None] & inside
    rough_r = ((hi == 1) & (b % 1 != 0))[:, :, None] & inside
    p, any_l = rough_power(a[:, :, None], rough_l, axis=1)
    q, any_r = rough_power(b[:, :, None], rough_r, axis=1)
    at0, at1 = u == 0, v == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        far_l = any_l & (u > 0) & (v > POWER_SPAN * u)
        far_r = any_r & (v < 1) & (1 - u > POWER_SPAN * (1 - v))
    kind = np.zeros(u.shape, dtype=np.intp)
    kind[at0 | (far_l & ~at1)] = 1
    kind[at1 | (far_r & ~at0 & ~far_l)] = 2
    kind[at0 & at1] = 3
    return PieceMap(u, v, kind, p, q, np.ones_like(u))


def beta_grid(
    a: np.ndarray, b: np.ndarray, n: int = N_NODES, work: Workspace | None = None
) -> BetaGrid:
    """Build the shared grid for posteriors Beta(a, b) of shape (E, k).

    With ``work``, the large arrays live in its buffers: the grid is then valid
    until the next call with the same workspace.
    """
    work = work or Workspace()
    _, S, w = chebyshev_rule(n)
    lo, hi = beta_ranges(a, b)
    center, _ = beta_moments(a, b)
    ends = np.sort(np.concatenate([lo, hi], axis=1), axis=1)
    u, v = ends[:, :-1], ends[:, 1:]  # (E, P)
    inside = (lo[:, :, None] <= u[:, None, :]) & (v[:, None, :] <= hi[:, :, None])
    inside &= (v > u)[:, None, :]
    maps = grid_maps(a, b, lo, hi, u, v, inside)
    rel, jac = maps.nodes(n)
    width = v - u
    # A zero-width piece (two equal ends) gets its nodes spread towards the
    # middle of (0, 1) so that every log is finite; its weight is 0 and it is
    # outside every arm's range.
    flat = width == 0
    if flat.any():
        rel[flat] = np.where(u[flat] < 0.5, (1 - u[flat]) / 2, -u[flat] / 2)[:, None] * (
            (chebyshev_rule(n)[0] + 1) / 2
        )

    # Offsets of every node from every arm's center, then the log density.
    E, k = a.shape
    shape = (E, k, u.shape[1], n)
    dens = Density(a, b, center)
    col = (slice(None), slice(None), None, None)
    d = work.get("d", shape)
    d[:] = rel[:, None]
    d += (u[:, None, :] - center[:, :, None])[..., None]
    h = work.get("h", shape)
    x = y = None
    if (a < 1).any():  # densities unbounded at 0: exact logs of tiny x
        x = (u[..., None] + rel)[:, None]
    if (b < 1).any():
        y = maps.gap_to_one(rel)[:, None]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_density(dens.am1[col], dens.bm1[col], center[col], d, x, y, out=h)
        np.exp(h, out=h)
        h *= jac[:, None]
    h[~inside] = 0.0  # (also any overflow outside an arm's range)

    cum = work.get("F", shape)
    matmul_rows(h.reshape(-1, n), np.ascontiguousarray(S.T), cum.reshape(-1, n))
    piece_mass = np.einsum("ekpn,n->ekp", h, w)
    norm = piece_mass.sum(axis=-1)  # (E, k)
    before = np.cumsum(piece_mass, axis=-1) - piece_mass
    inv = (1.0 / norm)[col]
    cum += before[..., None]
    cum *= inv
    F_ends = np.concatenate([before, norm[..., None]], axis=-1) * inv[..., 0]
    F = np.minimum(cum, 1.0, out=cum)
    h *= inv
    dens.log_norm = np.log(norm)
    return BetaGrid(a, b, lo, hi, ends, maps, jac, h, F, np.minimum(F_ends, 1.0), dens)
