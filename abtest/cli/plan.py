"""``abtest plan``: sample size, MDE and duration for a conversion-rate test.

The text comes from :mod:`abtest.cli.plan_text` (``format_plan`` is re-exported
here); the registry form lives in :mod:`abtest.cli._registry_plan`.
"""

from __future__ import annotations

import click

from abtest.cli._common import UsageProblem, fail_usage
from abtest.cli.plan_text import format_plan

__all__ = ["format_plan", "plan"]


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
@click.option(
    "--data",
    "source",
    metavar="SOURCE",
    help="With EXPERIMENT_ID: check the plan's baseline against the experiment's data "
    "(a unit-level file or a folder of logs) and recompute the sample if the data "
    "contradicts it.",
)
@click.option("--as-of", "as_of", metavar="DATE", help="With --data: cut the logs at this day.")
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
    source: str | None,
    as_of: str | None,
) -> None:
    """Sample size per variant, MDE and days needed.

    \b
    From flags:
      abtest plan --baseline 0.05 --mde 0.1 --daily-visitors 4000
    From the registry, and against the data collected so far:
      abtest plan pricing-cta-wording --registry experiments/
      abtest plan checkout-express-pay --registry experiments/ --data events/ --as-of 2026-11-22

    Sample sizes match R's power.prop.test; with more than two variants each
    comparison with the control uses a Bonferroni-adjusted alpha.
    """
    from abtest.stats import plan_proportions

    try:
        _check_traffic(daily, allocation)
        if experiment_id is not None:
            from abtest.cli._registry_plan import plan_from_registry

            text = plan_from_registry(experiment_id, registry or "experiments")
            if source is not None:
                from abtest.cli._registry_plan import plan_against_data

                text += "\n" + plan_against_data(
                    experiment_id, registry or "experiments", source, as_of
                )
            click.echo(text)
            return
        if source is not None or as_of is not None:
            raise UsageProblem("--data checks a registry plan: give EXPERIMENT_ID and --registry")
        if baseline is None or mde is None:
            raise UsageProblem("give --baseline and --mde (or an EXPERIMENT_ID and --registry)")
        p = plan_proportions(
            baseline,
            mde,
            relative=not absolute,
            variants=variants,
            alpha=alpha,
            power=power,
            # one-sided: the way the MDE points (a negative MDE plans a decrease)
            alternative=("smaller" if mde < 0 else "larger") if one_sided else "two-sided",
            daily_units=daily,
            allocation=allocation,
        )
    except (UsageProblem, ValueError) as exc:
        fail_usage(str(exc))
    click.echo(format_plan(p))


def _check_traffic(daily: float | None, allocation: float) -> None:
    """``--daily-visitors`` above 0 and ``--allocation`` in (0, 1], named as the
    user typed them (also when no duration is asked for: a wrong share is wrong)."""
    if daily is not None and not daily > 0:  # NaN fails too
        raise UsageProblem(
            f"--daily-visitors {daily:g}: give the eligible units per day, a number above 0"
        )
    if not 0 < allocation <= 1:
        raise UsageProblem(
            f"--allocation {allocation:g}: give the share of eligible traffic that enters "
            "the experiment, in (0, 1] (e.g. 0.5 for half)"
        )
