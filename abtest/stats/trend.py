"""A linear trend in estimates with known variances: the weighted least-squares slope.

For estimates ``y_i`` (e.g. the log lift of each exposure-day cohort) with variances
``v_i`` at positions ``x_i`` (the cohort's day), the fixed-effect meta-regression of y on
x: weights ``w = 1/v``, ``slope = sum w (x - xbar)(y - ybar) / sum w (x - xbar)^2`` with
the weighted means, ``se = 1 / sqrt(sum w (x - xbar)^2)`` (the variances are taken as
known), ``z = slope / se`` against the standard normal (Hedges & Olkin 1985, ch. 8; R
``metafor::rma(yi, vi, mods = ~ x, method = "FE")`` gives the same slope, se and z).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from abtest.stats import _check


@dataclass(frozen=True)
class TrendResult:
    """Slope of y on x, its standard error, z and p (``alternative`` as asked); the
    weighted mean ``intercept`` is y's fitted value at x = 0."""

    slope: float
    se: float
    statistic: float
    p_value: float
    intercept: float
    alternative: str


def trend_test(
    y: ArrayLike, var: ArrayLike, x: ArrayLike, *, alternative: str = "two-sided"
) -> TrendResult:
    """The weighted least-squares slope of ``y`` on ``x`` and its z-test (module docstring).

    ``alternative``: ``"two-sided"``, ``"smaller"`` (a decreasing trend) or ``"larger"``.

    Examples
    --------
    >>> r = trend_test([0.3, 0.2, 0.1], [0.01, 0.01, 0.01], [0, 1, 2])
    >>> round(r.slope, 6), round(r.se, 6), round(r.statistic, 4)
    (-0.1, 0.070711, -1.4142)
    """
    alternative = _check.alternative(alternative)
    y = np.asarray(_check.as_float("y", y), dtype=float)
    v = np.asarray(_check.positive("var", var), dtype=float)
    x = np.asarray(_check.as_float("x", x), dtype=float)
    if not (y.shape == v.shape == x.shape) or y.ndim != 1:
        raise ValueError("y, var and x must be 1-D arrays of the same length")
    if len(y) < 3 or np.ptp(x) == 0:
        raise ValueError("a trend needs at least three estimates at two or more positions")
    w = 1.0 / v
    xbar, ybar = np.sum(w * x) / np.sum(w), np.sum(w * y) / np.sum(w)
    sxx = float(np.sum(w * (x - xbar) ** 2))
    slope = float(np.sum(w * (x - xbar) * (y - ybar)) / sxx)
    se = 1.0 / np.sqrt(sxx)
    z = slope / se
    if alternative == "two-sided":
        p = 2 * stats.norm.sf(abs(z))
    elif alternative == "smaller":
        p = stats.norm.cdf(z)
    else:
        p = stats.norm.sf(z)
    return TrendResult(
        slope, float(se), float(z), float(p), float(ybar - slope * xbar), alternative
    )
