"""Quantiles of the difference of two independent Beta variables (posterior rates).

``P(X_b - X_a <= d) = ∫ f_a(x) F_b(x + d) dx`` has no closed form. It is computed by
256-point Gauss-Legendre quadrature over the central ``1 - 2e-15`` of the narrower
of the two (the outer variable; the other CDF then varies no faster than the nodes
are spaced, and the integrand is smooth: within 1e-8 of the exact ``P(B > A)`` of
:func:`abtest.stats.beta_binomial`, 1e-12 for moderate counts, and within 2e-6 when
one arm has no conversion under a prior parameter below 1), then
inverted by bisection on ``d`` within 10 sd of the mean. A density that is infinite at 0 or 1
(a Beta parameter below 1: a Jeffreys prior and no conversions) is never the outer
one when the other is finite: a CDF is bounded, a singular density is not. Written out
because neither scipy nor statsmodels has the distribution of a difference of Betas;
checked against
a 2e6-draw Monte Carlo and against :func:`abtest.stats.beta_binomial`'s exact
``P(B > A)`` in ``tests/stats/test_beta_difference.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(256)
_U = (_NODES + 1) / 2  # nodes on (0, 1)
_W = _WEIGHTS / 2
_TAIL = 1e-15  # probability left out at each end of the outer variable
_BISECTIONS = 42  # 20 sd halved 42 times: below 1e-11 sd
_BRACKET = 10.0  # the quantiles searched within +-10 sd of the mean (a tail below 1e-23)


def beta_difference_cdf(
    alpha_a: ArrayLike, beta_a: ArrayLike, alpha_b: ArrayLike, beta_b: ArrayLike, d: ArrayLike
) -> np.ndarray:
    """``P(X_b - X_a <= d)`` for ``X ~ Beta(alpha, beta)`` independent, elementwise.

    >>> round(float(beta_difference_cdf(1001, 9001, 1101, 8901, 0.0)), 9)  # 1 - P(B > A)
    0.010542646
    """
    aa, ba, ab, bb, d = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in
                                               (alpha_a, beta_a, alpha_b, beta_b, d)))  # fmt: skip
    outer_a, nodes, inner = _outer(aa, ba, ab, bb)
    return _cdf(outer_a, nodes, inner, d)


def beta_difference_quantiles(
    alpha_a: ArrayLike, beta_a: ArrayLike, alpha_b: ArrayLike, beta_b: ArrayLike, q: ArrayLike
) -> np.ndarray:
    """The ``q``-quantiles of ``X_b - X_a`` (``q`` along a new last axis).

    >>> lo, hi = beta_difference_quantiles(1001, 9001, 1101, 8901, [0.025, 0.975])
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.0015, 0.0185)
    """
    aa, ba, ab, bb = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in
                                           (alpha_a, beta_a, alpha_b, beta_b)))  # fmt: skip
    q = np.asarray(q, dtype=float)
    outer_a, nodes, inner = _outer(aa, ba, ab, bb)
    shape = aa.shape + q.shape
    expand = (..., *(None,) * q.ndim)  # the quantiles' axes before the nodes' axis
    mean = ab / (ab + bb) - aa / (aa + ba)
    sd = np.sqrt(_var(aa, ba) + _var(ab, bb))
    low = np.broadcast_to(np.maximum(mean - _BRACKET * sd, -1.0)[expand], shape)
    high = np.broadcast_to(np.minimum(mean + _BRACKET * sd, 1.0)[expand], shape)
    nodes = tuple(v[(..., *(None,) * q.ndim, slice(None))] for v in nodes)
    outer_e = outer_a[expand]
    inner_e = tuple(p[expand] for p in inner)
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        below = _cdf(outer_e, nodes, inner_e, mid) < q
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    return (low + high) / 2


def _outer(
    aa: np.ndarray, ba: np.ndarray, ab: np.ndarray, bb: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Which Beta is the outer one, its quadrature nodes ``x`` and weights x density
    (last axis), and the inner one's parameters."""
    singular_a, singular_b = (aa < 1) | (ba < 1), (ab < 1) | (bb < 1)
    outer_a = np.where(singular_a != singular_b, singular_b, _var(aa, ba) <= _var(ab, bb))
    oa, ob = (np.where(outer_a, aa, ab)[..., None], np.where(outer_a, ba, bb)[..., None])
    lo, hi = special.betaincinv(oa, ob, _TAIL), special.betaincinv(oa, ob, 1 - _TAIL)
    x = lo + (hi - lo) * _U
    weights = (
        _W
        * (hi - lo)
        * np.exp((oa - 1) * np.log(x) + (ob - 1) * np.log1p(-x) - special.betaln(oa, ob))
    )
    inner = (np.where(outer_a, ab, aa), np.where(outer_a, bb, ba))
    return outer_a, (x, weights), inner


def _var(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The variance of Beta(a, b)."""
    return a * b / ((a + b) ** 2 * (a + b + 1))


def _cdf(
    outer_a: np.ndarray,
    nodes: tuple[np.ndarray, np.ndarray],
    inner: tuple[np.ndarray, np.ndarray],
    d: np.ndarray,
) -> np.ndarray:
    """``P(X_b - X_a <= d)`` with the outer variable at ``nodes`` (last axis)."""
    x, w = nodes
    ia, ib = inner[0][..., None], inner[1][..., None]
    dd = d[..., None]
    # outer a: ∫ F_b(x + d) dF_a ; outer b: ∫ (1 - F_a(y - d)) dF_b
    b_given_a = special.betainc(ia, ib, np.clip(x + dd, 0.0, 1.0))
    a_given_b = 1.0 - special.betainc(ia, ib, np.clip(x - dd, 0.0, 1.0))
    values = np.where(outer_a[..., None], b_given_a, a_given_b)
    return np.sum(values * w, axis=-1)
