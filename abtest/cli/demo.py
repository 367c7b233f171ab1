"""``abtest demo``: plan a test and analyse the bundled example."""

from __future__ import annotations

import csv
from importlib import resources

import click


def _example_counts() -> dict[str, tuple[int, int]]:
    path = resources.files("abtest.examples").joinpath("udacity_landing_page.csv")
    with path.open(encoding="utf-8") as fh:
        return {
            r["variant"]: (int(r["conversions"]), int(r["visitors"])) for r in csv.DictReader(fh)
        }


@click.command()
def demo() -> None:
    """Plan a landing-page test, then analyse the bundled Udacity example."""
    from abtest.cli.plan import format_plan
    from abtest.stats import plan_proportions, proportion_test, srm_test

    click.echo("== 1. Plan: detect +10% on a 12% conversion rate at 4,000 visitors/day ==")
    click.echo(format_plan(plan_proportions(0.12, 0.10, daily_units=4000)))

    counts = _example_counts()
    (a, (xa, na)), (b, (xb, nb)) = counts.items()
    click.echo("\n== 2. Analyse: Udacity landing-page test (bundled counts) ==")
    for name, (x, n) in counts.items():
        click.echo(f"  {name:<10} {x:>7,} / {n:>8,} converted = {x / n:.3%}")
    srm = srm_test([na, nb], [0.5, 0.5])
    r = proportion_test(xa, na, xb, nb)
    click.echo(
        f"  {b} vs {a}: diff {r.diff:+.3%} [{r.diff_ci[0]:+.3%}, {r.diff_ci[1]:+.3%}], "
        f"lift {r.lift:+.2%} [{r.lift_ci[0]:+.2%}, {r.lift_ci[1]:+.2%}], p = {r.p_value:.5f}"
    )
    click.echo(f"  SRM check: p = {srm.p_value:.3f} ({'MISMATCH' if srm.mismatch else 'ok'})")
    verdict = "significant" if r.p_value < 0.05 else "not significant: no winner"
    click.echo(f"  Decision at alpha 0.05: {verdict}")
