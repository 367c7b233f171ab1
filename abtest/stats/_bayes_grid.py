"""Quadrature for Beta posteriors: densities and CDFs of k arms on one shared grid.

Everything the Beta-Binomial engine reports is a one-dimensional integral of
posterior densities ``f_j`` and CDFs ``F_j``, for example
``P(best_i) = ∫ f_i(x) Π_{j≠i} F_j(x) dx``. This module builds, for a batch of
experiments at once, a grid on which all of them are accurate to ~1e-12:

* Each arm's mass lies in ``[lo_j, hi_j]``: mean ± 8 sd when a log-concave
  tail bound certifies that less than ``TAIL`` lies beyond, else the exact
  ``TAIL`` quantile, or the end 0 / 1 itself for skewed arms (``a`` or ``b``
  below ``SMOOTH``). Mass outside is dropped (at most ``2 * TAIL``).
* The 2k ends, sorted, cut ``[min lo, max hi]`` into 2k - 1 pieces, so every
  piece lies inside or outside each arm's range and no CDF has a step inside a
  piece wider than its own scale. This is what keeps the result exact from 10
  to 1e9 visitors per arm, and arms of very different sizes in one experiment.
* Each piece carries ``N_NODES`` Chebyshev points of the first kind. A piece
  that ends at 0 (or 1) is mapped by ``x = v tau^2`` (or its mirror), which
  turns the ``x^(a-1)`` singularity of a 0-conversion Jeffreys posterior into a
  polynomial.
* Densities are evaluated from offsets to each arm's mean,
  ``(a-1) log1p(d/c) + (b-1) log1p(-d/(1-c))``, and normalized numerically on
  the grid, so nothing cancels for a, b ~ 1e9 (``betaln`` would lose 8 digits).
  The CDF at any other point is a barycentric interpolation on its piece.
* CDFs come from the densities by spectral (Clenshaw-Curtis type) cumulative
  integration: one small matrix product per piece and no ``betainc`` per node.

References: L. N. Trefethen, *Approximation Theory and Approximation Practice*
(SIAM 2013), ch. 19 (Clenshaw-Curtis quadrature) and ch. 21 (spectral
integration); J. Waldvogel, "Fast construction of the Fejér and Clenshaw-Curtis
quadrature rules", BIT 46 (2006).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special as sc

N_NODES = 56  # Chebyshev points per piece; ~1e-13 on a normal bump of +-8 sd
# Candidate ends of an arm's range, in posterior sd from the mean.
Z_STEPS = np.array([6.5, 7.0, 7.25, 7.5, 7.75, 8.0, 8.5, 9.0, 10.0, 11.0, 12.5, 14.0, 16.0])
TAIL = 1e-13  # largest posterior mass dropped on each side of an arm's range
SMOOTH = 8.0  # below this a (or b) the range runs to 0 (or 1) with a tau^2 map


@functools.cache
def chebyshev_rule(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-kind Chebyshev points ``t`` (ascending) on [-1, 1], the spectral
    integration matrix ``S`` with ``(S g)_k = ∫_{-1}^{t_k} p(t) dt`` for the
    polynomial ``p`` interpolating ``g`` at the points, and Fejér's first-rule
    weights ``w`` (``∫_{-1}^{1}``)."""
    k = np.arange(n)
    theta = (2 * k + 1) * np.pi / (2 * n)
    t = -np.cos(theta)  # ascending
    m = np.arange(n)
    # Values -> Chebyshev coefficients (discrete orthogonality of T_m at the points).
    T = np.cos(np.outer(m, np.pi - theta))  # T_m(t_k) = cos(m * arccos t_k)
    to_coef = (2.0 / n) * T
    to_coef[0] /= 2
    # Antiderivative of each T_m vanishing at -1, evaluated at the points.
    ext = np.arange(n + 2)
    Text = np.cos(np.outer(ext, np.pi - theta))  # T_j(t_k), j = 0..n+1
    sign = (-1.0) ** ext  # T_j(-1)
    V = Text - sign[:, None]  # T_j(t_k) - T_j(-1)
    anti = np.empty((n, n))
    anti[:, 0] = V[1]
    if n > 1:
        anti[:, 1] = V[2] / 4
    j = np.arange(2, n)[:, None]
    anti[:, 2:] = ((V[3 : n + 1] / (j + 1) - V[1 : n - 1] / (j - 1)) / 2).T
    S = anti @ to_coef
    # ∫_{-1}^{1} T_m = 2 / (1 - m^2) for even m, 0 for odd m.
    even = m % 2 == 0
    integ = np.zeros(n)
    integ[even] = 2.0 / (1.0 - m[even].astype(float) ** 2)
    w = integ @ to_coef
    return t, S, w


@functools.cache
def piece_maps(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``phi`` and ``phi'`` on tau = (t + 1) / 2 for the four kinds of piece:
    0 plain, 1 starts at 0 (tau^2), 2 ends at 1 (mirror), 3 both (smoothstep)."""
    t, _, _ = chebyshev_rule(n)
    tau = (t + 1) / 2
    phi = np.stack([tau, tau**2, 1 - (1 - tau) ** 2, tau**2 * (3 - 2 * tau)])
    dphi = np.stack([np.ones_like(tau), 2 * tau, 2 * (1 - tau), 6 * tau * (1 - tau)])
    return phi, dphi


def beta_moments(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of Beta(a, b)."""
    m = a / (a + b)
    return m, np.sqrt(a * b / (a + b + 1)) / (a + b)


def beta_ranges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[lo, hi]`` holding all but at most ``TAIL`` of Beta(a, b) on each side.

    Each end is the nearest of mean ∓ z sd, z in ``Z_STEPS``, where the
    log-concave tail bound ``F(x) <= f(x) / (log f)'(x)`` certifies it (cheap,
    no ``betainc``; about 7.5 sd for a near-normal posterior, more on the long
    side of a skewed one); otherwise the exact ``TAIL`` quantile, or 0 (1)
    itself when ``a`` (``b``) is below ``SMOOTH``.
    """
    m, s = beta_moments(a, b)
    logc = sc.betaln(a, b)[..., None]
    concave = (a >= 1) & (b >= 1)
    A, B = a[..., None], b[..., None]
    ends = []
    for side in (1.0, -1.0):
        x = m[..., None] - side * s[..., None] * Z_STEPS
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = (x > 0) & (x < 1) & _tail_bound_ok(A, B, x, logc, side)
        first = np.argmax(ok, axis=-1)
        found = concave & ok.any(axis=-1)
        end = np.take_along_axis(x, first[..., None], axis=-1)[..., 0]
        ends.append(np.where(found, end, 0.0 if side > 0 else 1.0))
        fix = ~found & ((a if side > 0 else b) >= SMOOTH)
        if fix.any():
            inv = sc.betaincinv if side > 0 else sc.betainccinv
            ends[-1][fix] = inv(a[fix], b[fix], TAIL)
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

    def log_offset(self, d: np.ndarray) -> np.ndarray:
        """Unnormalized log density at ``c + d`` (inside (0, 1))."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log1p(d * self.ic)
            out *= self.am1
            t = np.log1p(d * self.ic1)
        t *= self.bm1
        out += t
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
            out = np.multiply(d, self.ic[col], out=out)
            np.log1p(out, out=out)
            out *= self.am1[col]
            d *= self.ic1[col]
            np.log1p(d, out=d)
            d *= self.bm1[col]
            out += d
            if np.ndim(self.log_norm):
                out -= self.log_norm[col]
            np.exp(out, out=out)
        out[(x <= 0) | (x >= 1)] = 0.0
        if scale is not None:
            out *= scale[col]
        return out


@functools.cache
def _bary_weights(n: int) -> np.ndarray:
    """Barycentric weights of the first-kind Chebyshev points (ascending)."""
    theta = (2 * np.arange(n) + 1) * np.pi / (2 * n)
    return (-1.0) ** np.arange(n) * np.sin(theta)


def piece_nodes(u: np.ndarray, v: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces ``[u, v]`` (any shape) -> node map ``phi (..., n)`` on [0, 1], width
    ``v - u`` and ``dx/dt (..., n)``; the kind of map follows 0 / 1 ends."""
    phi_all, dphi_all = piece_maps(n)
    kind = (u == 0).astype(np.intp) + 2 * (v == 1).astype(np.intp)
    width = v - u
    if kind.any():
        return phi_all[kind], width, (width[..., None] / 2) * dphi_all[kind]
    return phi_all[0], width, np.broadcast_to(width[..., None] / 2, (*width.shape, n))


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
        rows = np.arange(x.size)
        u, v = ends[rows, p], ends[rows, p + 1]
        t = _t_of_x(x, u, v)
        vals = self.F.reshape(-1, n)[(e * k + j) * P + p]
        out = _barycentric(t, vals)
        out[x <= self.lo[e, j]] = 0.0
        out[x >= self.hi[e, j]] = 1.0
        return np.clip(out, 0.0, 1.0, out=out)

    def quantile(self, q: np.ndarray) -> np.ndarray:
        """Quantiles ``q`` of every arm, (E, k, len(q)): the root of the CDF's
        interpolating polynomial on the piece that brackets it, by Newton's
        method in the piece coordinate t (derivative: the density per unit t)."""
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

        def evaluate(t: np.ndarray, ix: Any) -> tuple[np.ndarray, np.ndarray]:
            return _barycentric(t, vals[ix], dens[ix])

        # A Newton step of size s leaves an error ~ s^2 / (sd in t ~ 0.1).
        t = newton(evaluate, start, qq, t0, t1, dt, np.full(qq.size, 2e-5))
        e = ej // k
        u, v = self.ends[e, p], self.ends[e, p + 1]
        tau = (t + 1) / 2
        kind = (u == 0).astype(np.intp) + 2 * (v == 1).astype(np.intp)
        phi = np.choose(kind, [tau, tau**2, 1 - (1 - tau) ** 2, tau**2 * (3 - 2 * tau)])
        return (u + (v - u) * phi).reshape(shape)


Evaluate = Callable[[np.ndarray, Any], tuple[np.ndarray, np.ndarray]]


def newton(
    evaluate: Evaluate,
    x: np.ndarray,
    target: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    step: np.ndarray,
    xtol: np.ndarray,
    max_iter: int = 60,
) -> np.ndarray:
    """Solve ``G(x) = target`` for increasing ``G`` on flat arrays.

    ``evaluate(x, ix)`` returns ``(G, G')`` for the entries ``ix`` (an index
    array, or ``slice(None)`` while all are active). Newton steps stay inside
    the bracket ``[lo, hi]``, which shrinks with every evaluation; a step that
    leaves it is replaced by bisection, or by ``step`` towards the root while an
    end is infinite. An entry stops once its step is below ``xtol``: Newton's
    error after a step of size s is O(s^2).
    """
    x, lo, hi = x.copy(), lo.copy(), hi.copy()
    active = np.arange(x.size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        ix = slice(None) if active.size == x.size else active
        xa, ta, la, ha = x[ix], target[ix], lo[ix], hi[ix]
        g, dg = evaluate(xa, ix)
        below = g < ta
        la = np.where(below, np.maximum(la, xa), la)
        ha = np.where(below, ha, np.minimum(ha, xa))
        lo[ix], hi[ix] = la, ha
        with np.errstate(divide="ignore", invalid="ignore"):
            new = xa - (g - ta) / dg
        bad = ~np.isfinite(new) | (new <= la) | (new >= ha)
        if bad.any():
            fallback = np.where(
                np.isfinite(la) & np.isfinite(ha),
                (la + ha) / 2,
                np.where(below, xa + step[ix], xa - step[ix]),
            )
            new = np.where(bad, fallback, new)
        done = np.abs(new - xa) <= xtol[ix]
        x[ix] = new
        active = active[~done]
    return x


def _t_of_x(x: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inverse of the piece map: x in [u, v] -> t in [-1, 1]."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.clip((x - u) / (v - u), 0.0, 1.0)
    s[~(v > u)] = 0.0
    left, right = u == 0, v == 1
    if left.any() or right.any():
        s = np.where(
            left & right,
            0.5 - np.sin(np.arcsin(1 - 2 * s) / 3),
            np.where(left, np.sqrt(s), np.where(right, 1 - np.sqrt(1 - s), s)),
        )
    return 2 * s - 1


def _barycentric(t: np.ndarray, vals: np.ndarray, *more: np.ndarray) -> Any:
    """Values at ``t (M,)`` of the polynomials through ``vals (M, n)`` (and each
    of ``more``) at the first-kind Chebyshev points."""
    n = vals.shape[-1]
    t_nodes, _, _ = chebyshev_rule(n)
    diff = t[:, None] - t_nodes
    exact = diff == 0
    hit = exact.any(axis=1)
    diff[exact] = 1.0
    lam = _bary_weights(n) / diff
    den = lam.sum(axis=1)
    outs = []
    for vv in (vals, *more):
        o = np.einsum("ij,ij->i", lam, vv) / den
        if hit.any():
            o[hit] = vv[hit][exact[hit]]
        outs.append(o)
    return outs[0] if not more else outs


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
    # A zero-width piece (two equal ends) gets its nodes spread towards the
    # middle of (0, 1) so that every log is finite; its weight is 0 and it is
    # outside every arm's range.
    phi, width, jac = piece_nodes(u, v, n)
    spread = np.where(width > 0, width, np.where(u < 0.5, (1 - u) / 2, -u / 2))

    # Offsets of every node from every arm's center, then the log density.
    E, k = a.shape
    shape = (E, k, u.shape[1], n)
    dens = Density(a, b, center)
    col = (slice(None), slice(None), None, None)
    d = work.get("d", shape)
    np.multiply(spread[..., None], phi, out=d[:, 0])
    d[:, 1:] = d[:, :1]
    d += (u[:, None, :] - center[:, :, None])[..., None]
    h = work.get("h", shape)
    np.multiply(d, dens.ic[col], out=h)
    np.log1p(h, out=h)
    h *= dens.am1[col]
    d *= dens.ic1[col]
    np.log1p(d, out=d)
    d *= dens.bm1[col]
    h += d
    np.exp(h, out=h)
    h *= jac[:, None]
    h[~inside] = 0.0

    cum = work.get("F", shape)
    np.matmul(h.reshape(-1, n), S.T, out=cum.reshape(-1, n))  # one BLAS call
    piece_mass = h @ w  # (E, k, P)
    norm = piece_mass.sum(axis=-1)  # (E, k)
    before = np.cumsum(piece_mass, axis=-1) - piece_mass
    inv = (1.0 / norm)[col]
    cum += before[..., None]
    cum *= inv
    F_ends = np.concatenate([before, norm[..., None]], axis=-1) * inv[..., 0]
    F = np.minimum(cum, 1.0, out=cum)
    h *= inv
    dens.log_norm = np.log(norm)
    return BetaGrid(a, b, lo, hi, ends, jac, h, F, np.minimum(F_ends, 1.0), dens)
