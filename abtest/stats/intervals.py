"""Intervals of one arm, and the one shape every interval takes.

:class:`Interval` is a named ``(low, high)`` pair (as scipy's ``ConfidenceInterval``): it
unpacks and indexes like the tuples it replaces, and says which end is which.
:func:`rate_interval` is the Wilson interval of a conversion rate (statsmodels
``proportion_confint(method="wilson")``), :func:`mean_interval` Student's t interval of a
mean; the costs table (cost per lead from the rate's interval, ROI from the revenue's)
reads them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check


class Interval(NamedTuple):
    """An interval's ends (scalars or arrays): ``low``, ``high``."""

    low: Any
    high: Any


def rate_interval(conversions: ArrayLike, n: ArrayLike, alpha: float = 0.05) -> Interval:
    """The Wilson score interval of ``conversions / n`` at level ``1 - alpha``.

    Equals statsmodels ``proportion_confint(conversions, n, alpha, method="wilson")``
    (Wilson 1927), which is imported here only when called.

    >>> r = rate_interval(50, 1000)
    >>> round(float(r.low), 5), round(float(r.high), 5)
    (0.03813, 0.06531)
    """
    from statsmodels.stats.proportion import proportion_confint  # ~0.5 s to import

    alpha = _check.alpha_level(alpha)
    x, total = _check.counts("conversions", conversions), _check.counts("n", n)
    _check.at_least("n", total, 1, "an arm needs at least one unit")
    _check.not_above("conversions", x, "n", total, "conversions cannot exceed units")
    low, high = proportion_confint(x, total, alpha=alpha, method="wilson")
    s = _check.scalar_or_array
    return Interval(s(np.asarray(low, dtype=float)), s(np.asarray(high, dtype=float)))


def mean_interval(n: ArrayLike, mean: ArrayLike, var: ArrayLike, alpha: float = 0.05) -> Interval:
    """Student's t interval of a mean: ``mean +- t_{n-1, 1-alpha/2} sqrt(var / n)``.

    >>> r = mean_interval(25, 10.0, 4.0)
    >>> round(float(r.low), 4), round(float(r.high), 4)
    (9.1744, 10.8256)
    """
    alpha = _check.alpha_level(alpha)
    nn = _check.at_least("n", n, 2, "an interval of a mean needs at least 2 units")
    m, v = _check.as_float("mean", mean), _check.non_negative("var", var)
    half = -special.stdtrit(nn - 1, alpha / 2) * np.sqrt(v / nn)  # scipy.stats.t.isf
    s = _check.scalar_or_array
    return Interval(s(m - half), s(m + half))


def beta_curves(alpha: ArrayLike, beta: ArrayLike, points: int = 600) -> tuple[Any, Any]:
    """Densities of Beta(alpha_i, beta_i) on one shared grid covering their central
    99.9%: ``(x, densities)`` with densities of shape (arms, points); for drawing
    posteriors of conversion rates.

    >>> x, y = beta_curves([11, 21], [91, 81], points=5)
    >>> x.shape, y.shape
    ((5,), (2, 5))
    """
    a = _check.positive("alpha", alpha)
    b = _check.positive("beta", beta)
    lo = float(np.min(special.betaincinv(a, b, 0.0005)))
    hi = float(np.max(special.betaincinv(a, b, 0.9995)))
    x = np.linspace(lo, hi, points)
    with np.errstate(divide="ignore"):
        logpdf = (
            (a[:, None] - 1) * np.log(x)
            + (b[:, None] - 1) * np.log1p(-x)
            - special.betaln(a, b)[:, None]
        )
    return x, np.exp(logpdf)
