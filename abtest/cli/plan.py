"""``abtest plan``: sample size, MDE and duration for a conversion-rate test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from abtest.cli._common import UsageProblem, fail_usage

if TYPE_CHECKING:
    from abtest.stats import Plan


def _percent(x: float) -> str:
    return f"{100 * x:.2f}%"


def format_plan(plan: Plan, title: str | None = None) -> str:
    """Human-readable lines for a :class:`abtest.stats.Plan`."""
    lines = []
    if title:
        lines += [title, ""]
    k = len(plan.n_per_variant)
    lines.append(
        f"Detect {_percent(plan.baseline)} -> {_percent(plan.target_rate)} "
        f"({plan.mde_relative:+.1%} relative), alpha {plan.alpha:g} "
        f"({plan.alternative}), power {plan.power:.0%}"
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
    if plan.days is not None:
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


@click.command()
@click.argument("experiment_id", required=False)
@click.option(
    "--registry",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Folder of experiment YAML files (with EXPERIMENT_ID).",
)
@click.option("--baseline", type=float, help="Control conversion rate, e.g. 0.05 for 5%.")
@click.option(
    "--mde", type=float, help="Minimum detectable effect, relative by default (0.1 = +10%)."
)
@click.option("--absolute", is_flag=True, help="Read --mde as an absolute difference in rate.")
@click.option("--daily-visitors", "daily", type=float, help="Eligible units per day.")
@click.option(
    "--allocation",
    type=float,
    default=1.0,
    show_default=True,
    help="Share of eligible traffic that enters the experiment.",
)
@click.option(
    "--variants", type=int, default=2, show_default=True, help="Number of arms, control included."
)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Significance level.")
@click.option("--power", type=float, default=0.8, show_default=True, help="Desired power.")
@click.option("--one-sided", is_flag=True, help="Plan a one-sided test.")
def plan(
    experiment_id: str | None,
    registry: str | None,
    baseline: float | None,
    mde: float | None,
    absolute: bool,
    daily: float | None,
    allocation: float,
    variants: int,
    alpha: float,
    power: float,
    one_sided: bool,
) -> None:
    """Sample size per variant, MDE and days needed.

    \b
    From flags:
      abtest plan --baseline 0.05 --mde 0.1 --daily-visitors 4000
    From the registry:
      abtest plan pricing-cta-wording --registry experiments/

    Sample sizes match R's power.prop.test; with more than two variants each
    comparison with the control uses a Bonferroni-adjusted alpha.
    """
    from abtest.stats import plan_proportions

    try:
        if experiment_id is not None:
            from abtest.cli._registry_plan import plan_from_registry

            click.echo(plan_from_registry(experiment_id, registry or "experiments"))
            return
        if baseline is None or mde is None:
            raise UsageProblem("give --baseline and --mde (or an EXPERIMENT_ID and --registry)")
        p = plan_proportions(
            baseline,
            mde,
            relative=not absolute,
            variants=variants,
            alpha=alpha,
            power=power,
            alternative="larger" if one_sided else "two-sided",
            daily_units=daily,
            allocation=allocation,
        )
    except (UsageProblem, ValueError) as exc:
        fail_usage(str(exc))
    click.echo(format_plan(p))
