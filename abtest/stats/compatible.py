"""Interval levels that agree with a multiple-testing decision, row by row.

A family of m comparisons is decided by a correction; each row then shows an
interval. :func:`compatible_levels` gives, per row, the level ``a_i`` at which the
row's own test rejects exactly when the correction declares it significant, so an
interval at ``1 - a_i`` (from the same test) excludes the null exactly when the row
is significant:

* ``"none"``: ``a_i = alpha``.
* ``"bonferroni"``: ``a_i = alpha / m``; the intervals are simultaneous (they cover
  every effect at once with probability ``1 - alpha``).
* ``"holm"`` (Holm 1979, step-down): with the p-values in ascending order and R
  rows rejected, the row of rank ``j <= R`` was decided by the step at
  ``alpha / (m - j + 1)`` and gets that level; the rows not rejected were decided by
  the step that stopped, at ``alpha / (m - R)``. Each interval is at least as wide as
  an unadjusted ``1 - alpha`` interval, so it covers its own effect with probability
  at least ``1 - alpha``; the family is not simultaneous. (Strassburger & Bretz 2008
  give simultaneous intervals compatible with Holm, but a rejected row's bound is
  then the null value itself, which tells a reader nothing about the size of the
  effect; for simultaneous intervals choose ``"bonferroni"``.)
* ``"bh"`` (Benjamini & Hochberg 1995): with R rejections, a row is rejected exactly
  when ``p <= R alpha / m``, so every row gets ``a_i = max(R, 1) alpha / m``: the
  false-coverage-rate intervals of Benjamini & Yekutieli (2005), which cover the
  selected effects with a false-coverage rate of at most ``alpha``.

NaN p-values (comparisons without information) are left out of the family, as in
:func:`abtest.stats.adjust_p_values`; their level is ``alpha / m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from abtest import vocabulary
from abtest.stats import _check
from abtest.stats.multiple import CORRECTIONS, _holm


@dataclass(frozen=True)
class CompatibleLevels:
    """Per row: the corrected p-value, the decision and the level of its interval."""

    p_adjusted: Any
    significant: Any
    level: Any  # the alpha of the row's interval: the interval is at 1 - level


def compatible_levels(
    p_values: ArrayLike, correction: str = "holm", alpha: float = 0.05
) -> CompatibleLevels:
    """Corrected p-values, decisions (``p_adjusted < alpha``) and, per row, the level
    at which the row's own test agrees with its decision (module docstring).

    Examples
    --------
    Three arms against a control: Holm rejects the two smallest p-values, the first at
    0.05 / 3 and the second at 0.05 / 2; the third row's interval is at 0.05 / 1:

    >>> r = compatible_levels([0.012, 0.02, 0.2], "holm")
    >>> r.significant.tolist(), r.level.round(4).tolist()
    ([True, True, False], [0.0167, 0.025, 0.05])
    >>> bool(np.all((np.array([0.012, 0.02, 0.2]) < r.level) == r.significant))
    True
    """
    correction = vocabulary.correction(correction)
    alpha = _check.alpha_level(alpha)
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("compatible_levels takes a 1-D array of p-values (one family)")
    bad = (p < 0) | (p > 1)
    _check.fail_where("p_values", p, bad, "a p-value must lie between 0 and 1")
    finite = np.isfinite(p)
    m = int(finite.sum())
    method = CORRECTIONS[correction]
    adjusted = p.copy()
    level = np.full(p.shape, alpha / max(m, 1) if method else alpha)
    if method is None or m == 0:
        return CompatibleLevels(adjusted, np.where(finite, p < alpha, False), level)
    q = p[finite]
    order = np.argsort(q, kind="stable")
    if method == "bonferroni":
        adj = np.minimum(1.0, q * m)
        lev = np.full(m, alpha / m)
    elif method == "holm":
        adj = _holm(q)
        rejected = int(np.count_nonzero(adj < alpha))
        step = np.full(m, alpha / max(m - rejected, 1))
        rank = np.arange(1, m + 1)
        step[order[:rejected]] = alpha / (m - rank[:rejected] + 1)
        lev = step
    else:  # Benjamini-Hochberg: min over j >= i of m p_(j) / j, in ascending order
        ranked = q[order] * m / np.arange(1, m + 1)
        stepped = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
        adj = np.empty(m)
        adj[order] = stepped
        rejected = int(np.count_nonzero(adj < alpha))
        lev = np.full(m, alpha * max(rejected, 1) / m)
    adjusted[finite] = adj
    level[finite] = lev
    return CompatibleLevels(adjusted, np.where(finite, adjusted < alpha, False), level)
