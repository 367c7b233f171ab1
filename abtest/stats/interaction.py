"""Does one experiment's effect depend on another's? The 2x2 interaction contrast.

Two experiments ran at once on overlapping units. Among the units in both, cross the two
assignments into four cells: experiment A's control or treatment (``a0``, ``a1``) by
experiment B's control or treatment (``b0``, ``b1``). A's relative lift is estimated
separately where B showed its control and where B showed its treatment,

    lift_b0 = mean(a1, b0) / mean(a0, b0) - 1,    lift_b1 = mean(a1, b1) / mean(a0, b1) - 1,

and the interaction is their difference ``lift_b1 - lift_b0`` (zero when A's effect does
not depend on B). Each lift's variance is the delta method's for a ratio of independent
means, ``(m1/m0)^2 (v1/(n1 m1^2) + v0/(n0 m0^2))`` (v: the per-unit sample variance; for
a conversion p(1-p)·n/(n-1)), the four cells are independent, so the difference has the
sum of the two variances; the test is a two-sided z-test and the interval is Wald's,
``diff ± z_{1-α/2} se`` (Montgomery, *Design and Analysis of Experiments*, the 2x2
factorial interaction contrast; here on the relative scale teams read lifts on).

It is a weak test: each lift uses a quarter of the shared units per cell, so the
contrast's standard error is about twice the standard error of A's overall lift on the
same units, and an interaction as large as A's main effect needs about four times the
sample the main effect needs (docs/serving.md has figures).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from abtest.stats import _check
from abtest.stats.sums import Sums


@dataclass(frozen=True)
class InteractionResult:
    """A's lift where B shows its control and its treatment, their difference and its
    test; arrays of the cells' broadcast shape."""

    lift_b0: np.ndarray
    lift_b1: np.ndarray
    diff: np.ndarray
    se: np.ndarray
    diff_ci: np.ndarray  # (..., 2)
    statistic: np.ndarray
    p_value: np.ndarray


def _lift(control: Sums, treatment: Sums) -> tuple[np.ndarray, np.ndarray]:
    m0, m1 = control.mean, treatment.mean
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = m1 / m0
        rel_var = treatment.var / (treatment.n * m1**2) + control.var / (control.n * m0**2)
    return ratio - 1.0, ratio**2 * rel_var


def interaction_test(
    a0_b0: Sums, a1_b0: Sums, a0_b1: Sums, a1_b1: Sums, *, alpha: float = 0.05
) -> InteractionResult:
    """The 2x2 interaction contrast of relative lifts (module docstring).

    Parameters
    ----------
    a0_b0, a1_b0, a0_b1, a1_b1 : Sums
        Per-cell units and sums of the goal, for the units in both experiments: A's
        control / treatment by B's control / treatment.
    alpha : float
        Two-sided level of the interval.

    Examples
    --------
    >>> r = interaction_test(Sums(1000, 100, 100), Sums(1000, 120, 120),
    ...                      Sums(1000, 100, 100), Sums(1000, 150, 150))
    >>> round(float(r.lift_b0), 3), round(float(r.lift_b1), 3), round(float(r.diff), 3)
    (0.2, 0.5, 0.3)
    """
    alpha = float(_check.as_float("alpha", alpha))
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), not {alpha}")
    cells = {"a0_b0": a0_b0, "a1_b0": a1_b0, "a0_b1": a0_b1, "a1_b1": a1_b1}
    for name, cell in cells.items():
        _check.at_least(f"{name}.n", cell.n, 2, "a cell needs two units for a variance")
    lift_b0, var_b0 = _lift(a0_b0, a1_b0)
    lift_b1, var_b1 = _lift(a0_b1, a1_b1)
    diff = lift_b1 - lift_b0
    se = np.sqrt(var_b0 + var_b1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / se
    p = 2 * stats.norm.sf(np.abs(z))
    half = stats.norm.ppf(1 - alpha / 2) * se
    ci = np.stack([diff - half, diff + half], axis=-1)
    return InteractionResult(lift_b0, lift_b1, diff, se, ci, z, p)
