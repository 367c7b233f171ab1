"""The text of a plan, shared by ``abtest plan`` from flags (:mod:`abtest.cli.plan`)
and from the registry (:mod:`abtest.cli._registry_plan`).

Both import from here and neither from the other at module level, so the imports
point one way: ``plan -> _registry_plan -> plan_text`` and ``plan -> plan_text``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from abtest.stats import Plan


def percent(x: float) -> str:
    """A rate as a percentage with two decimals: 0.05 -> ``5.00%``."""
    return f"{100 * x:.2f}%"


def format_plan(plan: Plan, title: str | None = None) -> str:
    """Human-readable lines for a :class:`abtest.stats.Plan`.

    >>> from abtest.stats import plan_proportions
    >>> print(format_plan(plan_proportions(0.05, 0.10, daily_units=4000)))
    Detect 5.00% -> 5.50% (+10.0% relative), alpha 0.05 (two-sided), power 80%
      control          31,234 units   (weight 50%)
      variant 1        31,234 units   (weight 50%)
      total            62,468 units
    Duration: 16 days at 4,000 units/day in the experiment
    """
    lines = []
    if title:
        lines += [title, ""]
    k = len(plan.n_per_variant)
    lines.append(
        f"Detect {percent(plan.baseline)} -> {percent(plan.target_rate)} "
        f"({plan.mde_relative:+.1%} relative), alpha {plan.alpha:g} "
        f"({plan.alternative}), power {plan.power * 100:g}%"
    )
    if k > 2:
        lines.append(
            f"{k - 1} comparisons against control: alpha per comparison "
            f"{plan.alpha_per_comparison:.4g} (Bonferroni)"
        )
    for i, (n, w) in enumerate(zip(plan.n_per_variant, plan.weights, strict=True)):
        label = "control" if i == 0 else f"variant {i}"
        lines.append(f"  {label:<10} {n:>12,} units   (weight {w:.0%})")
    lines.append(f"  {'total':<10} {plan.total_units:>12,} units")
    if plan.days is not None and plan.daily_units is not None:
        daily = plan.daily_units * plan.allocation
        lines.append(
            f"Duration: {plan.days} days at {daily:,.0f} units/day in the experiment"
            + (
                f" ({plan.allocation:.0%} of {plan.daily_units:,.0f})"
                if plan.allocation < 1
                else ""
            )
        )
    return "\n".join(lines)
