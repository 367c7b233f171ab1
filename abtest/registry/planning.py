"""The sample-size plan ``abtest validate`` checks, without numpy or scipy.

``abtest validate`` must start fast, so this module reproduces
:func:`abtest.stats.plan_proportions` (R's ``power.prop.test`` normal
approximation, Fleiss-Levin-Paik eq. 4.19 for unequal allocation, Bonferroni
across treatments, the same rounding) with the standard library's
``statistics.NormalDist``. ``tests/registry/test_planning.py`` checks it
agrees with :mod:`abtest.stats` exactly over a grid of designs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

_N = NormalDist()


@dataclass(frozen=True)
class LightPlan:
    """Units per variant (``weights`` order, control first), their total and days."""

    n_per_variant: tuple[int, ...]
    total_units: int
    days: int | None


def plan(
    baseline: float,
    mde: float,
    weights: Sequence[float],
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
    daily_units: float | None = None,
    allocation: float = 1.0,
) -> LightPlan:
    """What ``plan_proportions(baseline, mde, variants=len(weights), weights=weights, ...)``
    returns for ``n_per_variant``, ``total_units`` and ``days`` (relative ``mde``).

    Per treatment ``i`` with ``r = w_i / w_0``, ``pbar = (p_a + r p_b) / (1 + r)``::

        n_a = ((z_alpha sqrt(pbar (1 - pbar) (1 + 1/r)) + z_beta sqrt(p_a q_a + p_b q_b / r))
               / |p_b - p_a|) ** 2

    at ``alpha / (k - 1)``; the total is ``max_i n_a / w_0`` split by the weights.

    >>> plan(0.05, 0.10, [0.5, 0.5], daily_units=4000)
    LightPlan(n_per_variant=(31234, 31234), total_units=62468, days=16)
    """
    total_w = sum(weights)
    w = [x / total_w for x in weights]
    p_a = baseline
    p_b = baseline * (1 + mde)
    a = alpha / (len(w) - 1)
    z_alpha = -_N.inv_cdf(a / 2 if alternative == "two-sided" else a)  # upper quantile
    z_beta = -_N.inv_cdf(1 - power)
    d = abs(p_b - p_a)
    n_control = 0.0
    for wi in w[1:]:
        r = wi / w[0]
        pbar = (p_a + r * p_b) / (1 + r)
        null_sd = math.sqrt(pbar * (1 - pbar) * (1 + 1 / r))
        alt_sd = math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b) / r)
        n_control = max(n_control, ((z_alpha * null_sd + z_beta * alt_sd) / d) ** 2)
    total_exact = n_control / w[0]
    per = tuple(math.ceil(total_exact * wi - 1e-9) for wi in w)
    total = sum(per)
    # to 9 digits first, as abtest.stats.duration_days: 3850 / (5500 · 0.7) is 1 day, not 2
    days = math.ceil(round(total / (daily_units * allocation), 9)) if daily_units else None
    return LightPlan(per, total, days)
