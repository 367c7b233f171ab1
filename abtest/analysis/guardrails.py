"""Guardrails: metrics a treatment must not make worse by more than a margin."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from abtest.analysis.frequentist import compare
from abtest.analysis.metrics import MetricSums, comparison_arms
from abtest.design import Design


@dataclass(frozen=True)
class GuardrailCheck:
    """Non-inferiority of one guardrail metric for one variant."""

    metric: str
    variant: str
    direction: str
    margin: float
    lift: float
    bound: float  # the one-sided (1 - alpha) bound on the harmful side
    status: str  # "holds" | "broken" | "inconclusive" | "undefined"
    far: float = float("nan")  # the one-sided (1 - alpha) bound on the other side
    level: float = 0.95  # 1 - alpha: the level of both one-sided bounds

    @property
    def sentence(self) -> str:
        """What the guardrail's own one-sided test shows, with its bounds (they are not
        the two-sided, corrected interval of the metric's row, and say so)."""
        side = "increase" if self.direction == "decrease" else "drop"
        signed = self.margin if self.direction == "decrease" else -self.margin
        limit = f"{signed + 0.0:+.1%}"  # + 0.0: a margin of 0 reads +0.0%, not -0.0%
        test = f"one-sided {self.level:.0%} bound"
        if self.status == "holds":
            return f"{self.metric} holds ({test} {self.bound:+.1%} within {limit})"
        if self.status == "undefined":
            return (
                f"{self.metric} cannot be checked: the control's mean is 0 (no "
                f"{self.metric} events) or below 0, so a relative margin is undefined "
                "(give it more traffic, or drop it)"
            )
        article = "an" if side == "increase" else "a"
        if self.status == "broken":
            least = "at least" if side == "increase" else "at most"
            return (
                f"{self.metric} broken: {article} {side} beyond {limit} is shown "
                f"({self.lift:+.1%}, {least} {self.far:+.1%} by its {test})"
            )
        return (
            f"{self.metric} not shown safe: {article} {side} up to {self.bound:+.1%} "
            f"cannot be ruled out (its {test}; limit {limit})"
        )


def check_guardrails(
    design: Design, data: dict[str, MetricSums], variant_index: int
) -> list[GuardrailCheck]:
    """One-sided non-inferiority test of each guardrail at ``alpha`` (no correction:
    each guardrail must hold on its own).

    For a guardrail whose good direction is ``decrease`` (bounce rate), the
    variant passes when the upper one-sided ``1 - alpha`` bound of the relative
    lift is below ``+margin``; it is broken when the lower bound is above
    ``+margin``. Mirrored for ``increase``. The bounds are the lift's Fieller
    bounds of the comparison's own test (:func:`abtest.stats.wald.wald_test`).
    """
    checks = []
    for g in design.guardrails:
        if g.metric not in data:
            raise ValueError(
                f"guardrail metric {g.metric!r} has no data; the data has {', '.join(data)}"
            )
        arms = comparison_arms(data[g.metric].take([0, variant_index]))
        up = compare(arms, design.alpha, "larger")  # lower bound on lift
        down = compare(arms, design.alpha, "smaller")  # upper bound on lift
        lift = float(np.atleast_1d(up.lift)[0])
        low = float(np.atleast_1d(up.lift_ci[0])[0])
        high = float(np.atleast_1d(down.lift_ci[1])[0])
        if not np.isfinite(lift):
            # a control without any event (or a mean below 0): a relative margin has
            # nothing to scale
            bound = far = float("nan")
            status = "undefined"
        elif g.direction == "decrease":
            bound, far = high, low
            status = "holds" if high < g.margin else "broken" if low > g.margin else "inconclusive"
        else:
            bound, far = low, high
            status = (
                "holds" if low > -g.margin else "broken" if high < -g.margin else "inconclusive"
            )
        variant = design.variants[variant_index]
        checks.append(
            GuardrailCheck(
                g.metric, variant, g.direction, g.margin, lift, bound, status, far, 1 - design.alpha
            )
        )
    return checks


def check_all_guardrails(design: Design, data: dict[str, MetricSums]) -> list[GuardrailCheck]:
    """:func:`check_guardrails` for every treatment, in variant order."""
    return [g for j in range(1, len(design.variants)) for g in check_guardrails(design, data, j)]
