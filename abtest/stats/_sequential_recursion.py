"""The Armitage-McPherson-Rowe recursion behind :mod:`abtest.stats.sequential_bounds`.

Crossing probabilities of the cumulative z statistic ``Z_1..Z_K`` of a group
sequential test (Armitage, McPherson & Rowe 1969, JRSS A 132:235; Jennison &
Turnbull, *Group Sequential Methods with Applications to Clinical Trials*, 2000,
ch. 19): the sub-density of the paths that have not stopped is carried from look
to look by composite Simpson integration against the Gaussian transition kernel.
It is carried on the score scale ``S_k = Z_k sqrt(t_k)``, a Brownian motion in
information time, whose step between looks does not depend on where a path is:
on grids of one step the integration is a discrete convolution (``numpy.convolve``),
O(n L) per look instead of the O(n^2) of the dense kernel matrix, with the same
sums of non-negative terms.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

# Grid: Simpson step at most `h` standard deviations of Z_k and at most 1/`per_sd`
# of the next transition kernel's sd. _FINE gives boundaries to ~1e-8 (5 looks) to
# ~1e-7 (50 looks); _COARSE (for p-value tables) to ~1e-5.
_FINE = (0.02, 10)
_COARSE = (0.05, 4)
# The continuation region is cut at _SPAN standard deviations from the mean of Z_k,
# where the sub-density is below exp(-35^2 / 2) ~ 1e-266: the early looks of a
# design with many looks spend alpha that small (O'Brien-Fleming, 1000 looks: 1e-275
# at look 4), and their boundaries are solved from the paths that reach them. An
# open side (no boundary there while the other side has one: a one-sided design)
# is cut at _SPAN_OPEN: paths that far below never come back to cross, relative to
# the others, by more than exp(-12^2 / 2) ~ 1e-31.
_SPAN = 35.0
_SPAN_OPEN = 12.0
_SQRT_2PI = math.sqrt(2 * math.pi)
# exp(-x^2 / 2) is 0 in float64 beyond |x| = 38.6: the kernel's reach, in sds
_UNDERFLOW = 38.6


def _sf(x: Any) -> Any:
    """Standard normal upper tail (scipy.special.ndtr, without scipy.stats overhead)."""
    return special.ndtr(-np.asarray(x))


def _grid(lo: float, hi: float, h: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Nodes and composite-Simpson weights on [lo, hi] with step exactly ``h``.

    The first ``n`` nodes are the lattice ``lo + i h`` (``n`` odd) with Simpson's
    weights; the rest of the interval, shorter than ``2 h``, is one more Simpson
    panel whose midpoint and end ``hi`` are two extra nodes. Returns ``(nodes,
    weights, n)``. A fixed step lets consecutive looks share one, which makes the
    transition between them a convolution (see :meth:`_Recursion._carry`)."""
    m = int((hi - lo) // (2 * h))
    n = 2 * m + 1
    z = lo + h * np.arange(n)
    w = np.zeros(n)
    if m:
        w[0:n:2] = 2 * h / 3
        w[1:n:2] = 4 * h / 3
        w[0] = w[-1] = h / 3
    rest = hi - z[-1]
    if rest <= 1e-12 * h:
        return z, w, n
    w[-1] += rest / 6
    return np.append(z, [z[-1] + rest / 2, hi]), np.append(w, [4 * rest / 6, rest / 6]), n


def _gauss(x: np.ndarray, sd: float) -> np.ndarray:
    return np.exp(-0.5 * (x / sd) ** 2) / (sd * _SQRT_2PI)


class _Recursion:
    """Armitage-McPherson-Rowe recursion for Z_1..Z_K at information ``t``, drift ``drift``.

    Carried on the score scale ``S_k = Z_k sqrt(t_k)``, a Brownian motion with
    ``E[S_k] = drift t_k``: its step from look k-1 to k is ``N(drift d_k, d_k)``,
    ``d_k = t_k - t_{k-1}``, whatever ``S_{k-1}``, so on grids of one step ``h``
    the transition is a discrete convolution of the previous masses with the
    Gaussian kernel (``numpy.convolve``, exact sums of non-negative terms as the
    dense matrix gives them, in O(n L) instead of O(n^2) with the kernel's ``L``
    nodes up to where it underflows). After ``advance(k, c)`` the object holds the
    sub-density of S_k on the continuation region (paths that have not stopped)
    as nodes ``s`` and ``mass = weight * density``.

    Grid step at look k: at most ``h sqrt(t_k)`` (``h`` standard deviations of
    S_k) and ``sqrt(d_{k+1}) / per_sd`` (the next kernel's sd over ``per_sd``),
    the bounds of the z-scale grid before. Each step is the previous one, or an
    integer multiple or divisor of it, so that the transition stays a convolution
    on the finer of the two lattices: a look keeps the previous step while that
    is at most twice finer than needed, so equally spaced looks share one step
    after the first few.
    """

    def __init__(self, t: np.ndarray, drift: float = 0.0, grid: tuple[float, int] = _FINE) -> None:
        self.t = t
        self.drift = drift
        h, per_sd = grid
        steps = np.diff(t, prepend=0.0)
        self.root_t = np.sqrt(t)
        self.root_step = np.sqrt(steps)
        need = [
            min(h * self.root_t[k], self.root_step[k + 1] / per_sd)
            if k + 1 < t.size
            else h * self.root_t[k]
            for k in range(t.size)
        ]
        # look k's step is h[k - 1] * up[k] / down[k], one of up, down being 1
        self.h, self.down, self.up = need[:1], [1], [1]
        for k in range(1, t.size):
            prev, ratio = self.h[-1], need[k] / self.h[-1]
            down = math.ceil(1 / ratio) if ratio < 1 else 1
            up = math.floor(ratio) if ratio > 2 else 1
            self.h.append(prev * up / down)
            self.down.append(down)
            self.up.append(up)
        self.s = np.empty(0)
        self.mass = np.empty(0)
        self.n_lattice = 0

    def _step(self, k: int) -> tuple[float, float]:
        """Mean and sd of S_k - S_{k-1}."""
        return self.drift * (self.t[k] - self.t[k - 1]), float(self.root_step[k])

    def cross(self, k: int, upper: float, lower: float) -> tuple[float, float]:
        """P(continue to k-1, Z_k >= upper) and P(continue to k-1, Z_k <= lower)."""
        return self.cross_upper(k, upper), self.cross_lower(k, lower)

    def cross_upper(self, k: int, upper: float) -> float:
        """P(continue to k-1, Z_k >= upper)."""
        if k == 0:
            return float(_sf(upper - self.drift * self.root_t[0]))
        shift, sd = self._step(k)
        return float(np.dot(self.mass, _sf((upper * self.root_t[k] - self.s - shift) / sd)))

    def cross_lower(self, k: int, lower: float) -> float:
        """P(continue to k-1, Z_k <= lower)."""
        if k == 0:
            return float(special.ndtr(lower - self.drift * self.root_t[0]))
        shift, sd = self._step(k)
        x = (lower * self.root_t[k] - self.s - shift) / sd
        return float(np.dot(self.mass, special.ndtr(x)))

    def advance(self, k: int, upper: float, lower: float) -> None:
        """Carry the continuation sub-density to look k, region (lower, upper) of Z_k."""
        root = self.root_t[k]
        mu = self.drift * self.t[k]
        bounded = np.isfinite(lower) or np.isfinite(upper)
        below = _SPAN_OPEN if bounded and np.isinf(lower) else _SPAN
        above = _SPAN_OPEN if bounded and np.isinf(upper) else _SPAN
        lo, hi = max(lower * root, mu - below * root), min(upper * root, mu + above * root)
        if hi <= lo:  # every path has stopped (numerically)
            self.s, self.mass, self.n_lattice = np.array([mu]), np.zeros(1), 0
            return
        s, w, n = _grid(lo, hi, self.h[k])
        if k == 0:
            dens = _gauss(s - mu, root)
        else:
            dens = self._carry(k, s, n)
        self.s, self.mass, self.n_lattice = s, w * dens, n

    def _carry(self, k: int, s: np.ndarray, n: int) -> np.ndarray:
        """Density of S_k at nodes ``s`` (lattice of ``n`` first) from look k-1's masses."""
        shift, sd = self._step(k)
        src, mass, n_src = self.s, self.mass, self.n_lattice
        if not mass.any():
            return np.zeros(s.size)
        # Lattice to lattice, on the finer step f: the source step is a f, the target
        # step b f, and dens[i] = sum_j mass[j] g((b i - a j) f + offset), the
        # convolution of the masses (a zero between each when a > 1) with the kernel g
        # at offsets m f + offset, every b-th output; g is kept where it is not 0.
        a, b = self.down[k], self.up[k]
        f = self.h[k - 1] / a
        lattice = mass[:n_src]
        if a > 1:
            lattice = np.zeros(a * (n_src - 1) + 1)
            lattice[::a] = mass[:n_src]
        offset = s[0] - src[0] - shift
        reach = _UNDERFLOW * sd
        m_lo = max(-(lattice.size - 1), math.floor((-reach - offset) / f))
        m_hi = min(b * (n - 1), math.ceil((reach - offset) / f))
        dens = np.zeros(s.size)
        if m_lo <= m_hi:
            full = np.convolve(lattice, _gauss(np.arange(m_lo, m_hi + 1) * f + offset, sd))
            at = b * np.arange(n) - m_lo
            inside = (at >= 0) & (at < full.size)
            dens[:n][inside] = full[at[inside]]
        # the extra (off-lattice) nodes, as sources and as targets: the dense sums
        if src.size > n_src:
            dens[:n] += _gauss(s[:n, None] - src[None, n_src:] - shift, sd) @ mass[n_src:]
        if s.size > n:
            dens[n:] = _gauss(s[n:, None] - src[None, :] - shift, sd) @ mass
        return dens
