"""Guardrails: metrics a treatment must not make worse by more than a margin.

A guardrail is a non-inferiority test of the relative lift against its margin, with
one-sided ``1 - alpha`` bounds: the fixed-horizon test's (:func:`check_guardrails`),
or, for a sequential design, which is read at every look and may stop at any,
the always-valid confidence sequence's at the look its row is read at
(:func:`sequential_guardrails`).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abtest.analysis.frequentist import compare
from abtest.analysis.metrics import MetricSums, comparison_arms
from abtest.data.summary import Summary
from abtest.design import Design, GuardrailSpec


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
    test: str = "one-sided"  # or "always-valid": the bounds' test

    @property
    def sentence(self) -> str:
        """What the guardrail's own one-sided test shows, with its bounds (they are not
        the two-sided, corrected interval of the metric's row, and say so)."""
        side = "increase" if self.direction == "decrease" else "drop"
        signed = self.margin if self.direction == "decrease" else -self.margin
        limit = f"{signed + 0.0:+.1%}"  # + 0.0: a margin of 0 reads +0.0%, not -0.0%
        test = f"{self.test} {self.level:.0%} bound"
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
        _require(g.metric, data)
        arms = comparison_arms(data[g.metric].take([0, variant_index]))
        up = compare(arms, design.alpha, "larger")  # lower bound on lift
        down = compare(arms, design.alpha, "smaller")  # upper bound on lift
        lift = float(np.atleast_1d(up.lift)[0])
        low = float(np.atleast_1d(up.lift_ci[0])[0])
        high = float(np.atleast_1d(down.lift_ci[1])[0])
        variant = design.variants[variant_index]
        checks.append(_check(g, variant, lift, low, high, 1 - design.alpha, "one-sided"))
    return checks


def sequential_guardrails(
    design: Design, data: dict[str, MetricSums], summary: Summary, table: pd.DataFrame
) -> list[GuardrailCheck]:
    """:func:`check_guardrails` for a sequential design, every treatment in variant
    order, read at the look ``table`` (:func:`abtest.analysis.sequential.sequential_table`)
    reads the guardrail metric's row at (where its test stopped, else the latest), so the
    sentence and the row beside it are of the same data. The bounds are that look's
    always-valid ``1 - alpha`` confidence sequence for the lift
    (:func:`abtest.stats.always_valid_test`, on the looks and CUPED adjustment of
    :func:`abtest.analysis.sequential.look_arms`): it covers the lift at every look at
    once, so a guardrail read at a look chosen by the data (where a test stopped) is
    still wrong at most ``alpha`` of the time, where a fixed-horizon bound read at every
    look is not (each side alone holds at least ``1 - alpha``). Not the running
    intersection over the looks: when the lift changes over time it is empty, and
    "holds" and "broken" would both be true. The mixture is tuned to the planned sample
    at ``alpha`` (:func:`abtest.analysis.sequential.planned_max_n`), else
    :data:`abtest.stats.always_valid.DEFAULT_N_OPT`."""
    from abtest.analysis.sequential import look_arms, planned_max_n
    from abtest.stats.always_valid import DEFAULT_N_OPT, always_valid_test

    checks = []
    n_opt = planned_max_n(design, design.alpha) or DEFAULT_N_OPT
    for g in design.guardrails:
        _require(g.metric, data)
        days, _, arms, _ = look_arms(design, summary, g.metric, data[g.metric].kind)
        if not days:  # no look with 2 units per arm: the totals' test
            one = dataclasses.replace(design, guardrails=(g,))
            checks += [c for j in range(1, len(design.variants))
                       for c in check_guardrails(one, data, j)]  # fmt: skip
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a look it cannot test is NaN, said below
            r = always_valid_test(*arms, alpha=design.alpha, n_opt=n_opt, intersect=False)
        rows = table[table["metric"] == g.metric].set_index("variant")["look_day"]
        for j, variant in enumerate(design.variants[1:]):
            day = rows.get(variant)
            k = days.index(day) if day in days else len(days) - 1
            lift, low, high = (float(x[j, k]) for x in (r.lift, *r.lift_ci))
            checks.append(_check(g, variant, lift, low, high, 1 - design.alpha, "always-valid"))
    order = {v: i for i, v in enumerate(design.variants)}
    return sorted(checks, key=lambda c: order[c.variant])


def _require(metric: str, data: dict[str, MetricSums]) -> None:
    if metric not in data:
        raise ValueError(f"guardrail metric {metric!r} has no data; the data has {', '.join(data)}")


def _check(
    g: GuardrailSpec, variant: str, lift: float, low: float, high: float, level: float, test: str
) -> GuardrailCheck:
    """The guardrail's status from the lift and its one-sided bounds ``low``, ``high``."""
    if not np.isfinite(lift):
        # a control without any event (or a mean below 0): a relative margin has
        # nothing to scale
        return GuardrailCheck(g.metric, variant, g.direction, g.margin, lift, float("nan"),
                              "undefined", float("nan"), level, test)  # fmt: skip
    if g.direction == "decrease":
        bound, far = high, low
        status = "holds" if high < g.margin else "broken" if low > g.margin else "inconclusive"
    else:
        bound, far = low, high
        status = "holds" if low > -g.margin else "broken" if high < -g.margin else "inconclusive"
    return GuardrailCheck(
        g.metric, variant, g.direction, g.margin, lift, bound, status, far, level, test
    )


def guardrail_checks(
    design: Design, data: dict[str, MetricSums], summary: Summary, table: pd.DataFrame
) -> list[GuardrailCheck]:
    """Every treatment's guardrail checks, in variant order: a sequential design's
    always-valid ones (:func:`sequential_guardrails`), else the fixed-horizon ones."""
    if not design.guardrails:
        return []
    if design.method == "sequential":
        return sequential_guardrails(design, data, summary, table)
    return check_all_guardrails(design, data)


def check_all_guardrails(design: Design, data: dict[str, MetricSums]) -> list[GuardrailCheck]:
    """:func:`check_guardrails` for every treatment, in variant order."""
    return [g for j in range(1, len(design.variants)) for g in check_guardrails(design, data, j)]
