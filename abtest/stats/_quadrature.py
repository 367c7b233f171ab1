"""Chebyshev quadrature tools for the Bayesian engine (numpy only).

* :func:`chebyshev_rule`: first-kind Chebyshev points, Fejér's first-rule
  weights and the spectral integration matrix that turns a density sampled at
  the points into its cumulative integral at the same points (L. N. Trefethen,
  *Approximation Theory and Approximation Practice*, SIAM 2013, ch. 19 and 21;
  J. Waldvogel, BIT 46, 2006).
* :class:`PieceMap`: maps from [-1, 1] onto the pieces of a grid, including
  power maps that make a ``x^(a-1)`` density smooth in the new coordinate.
* :func:`barycentric`: the interpolating polynomial through values at the
  points, anywhere (Berrut and Trefethen, SIAM Review 46, 2004).
* :func:`newton`: vectorized, bracketed Newton / Halley root finding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


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
def _bary_weights(n: int) -> np.ndarray:
    """Barycentric weights of the first-kind Chebyshev points (ascending)."""
    theta = (2 * np.arange(n) + 1) * np.pi / (2 * n)
    return (-1.0) ** np.arange(n) * np.sin(theta)


def matmul_rows(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out = a @ b`` for a tall ``a (m, n)`` and small ``b (n, n)``, in row
    blocks small enough that OpenBLAS stays on one thread: its threads spin
    while they wait, and on a busy machine that made the call 3x slower than
    the arithmetic."""
    rows = max(1, 200_000 // (b.shape[0] * b.shape[1]))
    for start in range(0, a.shape[0], rows):
        np.matmul(a[start : start + rows], b, out=out[start : start + rows])
    return out


def rough_power(a: np.ndarray, rough: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Exponent p of the map x = s^p that makes ``x^(a-1) dx = p s^(p a - 1) ds``
    a whole power of s for the ``rough`` densities (``a`` not whole) along
    ``axis``: 2 when every such ``a`` is a half-integer (Jeffreys, or no rough
    density), else ``ceil(a)/a`` for the smallest ``a``. Also returns whether
    any density is rough."""
    a_min = np.where(rough, a, np.inf).min(axis=axis)
    half = np.all(~rough | ((2 * a) % 1 == 0), axis=axis)
    any_rough = np.isfinite(a_min)
    safe = np.where(any_rough, a_min, 1.0)
    return np.where(half, 2.0, np.ceil(safe) / safe), any_rough


@dataclass(frozen=True)
class PieceMap:
    """Maps t in [-1, 1] (tau = (t + 1) / 2) onto pieces ``[u, v]`` (flat arrays).

    ``kind`` 0: plain, ``x = u + (v - u) tau``. 1: power from the pole 0,
    ``x = (u^(1/p) + (v^(1/p) - u^(1/p)) tau)^p``. 2: power from the pole
    ``pole >= v``, the mirror image with exponent ``q``. 3: between poles at u
    and v, ``u + (v - u) tau^m / (tau^m + (1 - tau)^m)``, ``m = max(p, q)``. A density
    ``x^(a-1)`` with ``a`` not whole is smooth in the coordinate of a power map
    (``p`` from :func:`rough_power`), even when the piece starts far above 0; the plain
    map would see a singularity just outside the piece.
    """

    u: np.ndarray
    v: np.ndarray
    kind: np.ndarray
    p: np.ndarray
    q: np.ndarray
    pole: np.ndarray

    def take(self, ix: Any) -> PieceMap:
        return PieceMap(*(getattr(self, f)[ix] for f in ("u", "v", "kind", "p", "q", "pole")))

    def nodes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``(x - u, dx/dt)`` at the n first-kind Chebyshev points: (..., n)."""
        tau = (chebyshev_rule(n)[0] + 1) / 2
        w = (self.v - self.u)[..., None]
        rel = w * tau
        jac = np.broadcast_to(w / 2, rel.shape).copy()
        for kind in (1, 2, 3):
            sel = self.kind == kind
            if sel.any():
                rel[sel], jac[sel] = self._offsets(kind, sel, tau)
        return rel, jac

    def _offsets(self, kind: int, sel: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, ...]:
        u, v = self.u[sel][:, None], self.v[sel][:, None]
        if kind == 3:
            m = np.maximum(self.p, self.q)[sel][:, None]
            A, B = tau**m, (1 - tau) ** m
            D = A + B
            return (v - u) * A / D, (v - u) * m * (tau * (1 - tau)) ** (m - 1) / D**2 / 2
        if kind == 1:
            p = self.p[sel][:, None]
            s0, s1 = u ** (1 / p), v ** (1 / p)
            S = s0 + (s1 - s0) * tau
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(u > 0, u * np.expm1(p * np.log1p((s1 - s0) * tau / s0)), S**p)
            return rel, p * S ** (p - 1) * (s1 - s0) / 2
        q, pole = self.q[sel][:, None], self.pole[sel][:, None]
        r0, r1 = (pole - u) ** (1 / q), (pole - v) ** (1 / q)
        T = r1 + (r0 - r1) * (1 - tau)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = -(pole - u) * np.expm1(q * np.log1p(-(r0 - r1) * tau / r0))
        return rel, q * T ** (q - 1) * (r0 - r1) / 2

    def gap_to_one(self, rel: np.ndarray) -> np.ndarray:
        """``1 - x`` at the nodes with offsets ``rel``, precise next to 1."""
        gap = (1 - self.u)[..., None] - rel
        tau = (chebyshev_rule(rel.shape[-1])[0] + 1) / 2
        for kind in (2, 3):
            sel = (self.kind == kind) & (self.pole == 1) & (self.v == 1)
            if not sel.any():
                continue
            u = self.u[sel][:, None]
            if kind == 2:
                q = self.q[sel][:, None]
                gap[sel] = ((1 - u) ** (1 / q) * (1 - tau)) ** q
            else:
                m = np.maximum(self.p, self.q)[sel][:, None]
                gap[sel] = (1 - u) * (1 - tau) ** m / (tau**m + (1 - tau) ** m)
        return gap

    def t_of_x(self, x: np.ndarray) -> np.ndarray:
        """Inverse map, x -> t (clipped to [-1, 1])."""
        u, v, p, q, pole = self.u, self.v, self.p, self.q, self.pole
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (x - u) / (v - u)
            if self.kind.any():
                s0, s1 = u ** (1 / p), v ** (1 / p)
                r0, r1 = (pole - u) ** (1 / q), (pole - v) ** (1 / q)
                c = np.clip(s, 0.0, 1.0) ** (1 / np.maximum(p, q))
                s = np.choose(
                    self.kind,
                    [
                        s,
                        (x ** (1 / p) - s0) / (s1 - s0),
                        1 - ((pole - x) ** (1 / q) - r1) / (r0 - r1),
                        c / (c + (1 - np.clip(s, 0.0, 1.0)) ** (1 / np.maximum(p, q))),
                    ],
                )
        return 2 * np.clip(np.nan_to_num(s), 0.0, 1.0) - 1

    def x_of_t(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``x(t)``, ``dx/dt`` and ``d2x/dt2``."""
        tau = (t + 1) / 2
        u, v, p, q, pole = self.u, self.v, self.p, self.q, self.pole
        w = v - u
        x, d1, d2 = u + w * tau, w / 2, np.zeros_like(tau)
        if self.kind.any():
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                s0, s1 = u ** (1 / p), v ** (1 / p)
                S = s0 + (s1 - s0) * tau
                r0, r1 = (pole - u) ** (1 / q), (pole - v) ** (1 / q)
                T = r1 + (r0 - r1) * (1 - tau)
                m = np.maximum(p, q)
                A, B = tau**m, (1 - tau) ** m
                D = A + B
                g = m * (tau * (1 - tau)) ** (m - 1)  # D^2 dx/dtau / w
                dg = m * (m - 1) * (tau * (1 - tau)) ** (m - 2) * (1 - 2 * tau)
                dD = m * (tau ** (m - 1) - (1 - tau) ** (m - 1))
                x = np.choose(self.kind, [x, S**p, pole - T**q, u + w * A / D])
                d1 = np.choose(
                    self.kind,
                    [
                        np.broadcast_to(d1, tau.shape),
                        p * S ** (p - 1) * (s1 - s0) / 2,
                        q * T ** (q - 1) * (r0 - r1) / 2,
                        w * g / D**2 / 2,
                    ],
                )
                d2 = np.choose(
                    self.kind,
                    [
                        d2,
                        p * (p - 1) * S ** (p - 2) * (s1 - s0) ** 2 / 4,
                        -q * (q - 1) * T ** (q - 2) * (r0 - r1) ** 2 / 4,
                        w * (dg / D**2 - 2 * g * dD / D**3) / 4,
                    ],
                )
        return x, d1, d2


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
    array, or ``slice(None)`` while all are active), or ``(G, G', G''/G')`` for
    Halley's cubically convergent step instead. Steps stay inside
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
        g, dg, *curv = evaluate(xa, ix)
        below = g < ta
        la = np.where(below, np.maximum(la, xa), la)
        ha = np.where(below, ha, np.minimum(ha, xa))
        lo[ix], hi[ix] = la, ha
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = (g - ta) / dg
            if curv:  # Halley's correction, G''/G' given
                delta /= 1 - delta * curv[0] / 2
            new = xa - delta
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


def barycentric(t: np.ndarray, vals: np.ndarray, *more: np.ndarray) -> Any:
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
