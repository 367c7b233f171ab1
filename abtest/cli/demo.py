"""``abtest demo``: the whole flow on the example registry and seeded synthetic traffic.

For every running experiment of the registry the demo simulates exposure and
conversion logs with *known* true rates (a scenario per bundled experiment:
clear winners, a test still short of its sample, a funnel whose guardrail
blocks the winner, a sequential test that stops early, a Bayesian test, and a
logging bug that trips the SRM alarm; other registries get a generic scenario),
writes them as Parquet, aggregates them with DuckDB (``abtest.summarize``),
analyses each with its configured method, prints one line per experiment next
to the simulated truth, and writes the weekly HTML report.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from abtest.cli._common import fail_usage


@dataclass(frozen=True)
class Scenario:
    """True behaviour of one simulated experiment.

    ``lift`` is the true relative lift of each treatment on every goal unless
    ``goal_lift`` overrides it per goal; ``rates`` gives true control rates per
    goal id (default from the registry's baseline for the primary goal, 20% for
    micro and 4% for macro goals); ``lost_exposures`` drops that share of one
    variant's units from the exposure log (a logging bug, for the SRM alarm).
    """

    story: str
    lift: dict[str, float] = field(default_factory=dict)
    goal_lift: dict[str, dict[str, float]] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)
    lost_exposures: tuple[str, float] | None = None
    delay: dict[str, dict[str, float]] = field(default_factory=dict)  # goal id -> variant


SCENARIOS: dict[str, Scenario] = {
    "homepage-headline": Scenario(
        "outcome headline +15% signups, bounce unchanged",
        lift={"outcome": 0.15},
        goal_lift={"bounce": {"outcome": 0.0}},
        rates={"hero_cta_click": 0.18, "scroll_features": 0.35, "bounce": 0.42},
    ),
    "cta-button-three-way": Scenario(
        "start-free +15% trials, see-demo no change; one week in",
        lift={"start-free": 0.15, "see-demo": 0.0},
        rates={"cta_click": 0.12, "demo_request": 0.004},
    ),
    "checkout-express-pay": Scenario(
        "express-first +6% purchases, same order value",
        lift={"express-first": 0.06},
        rates={"payment_info": 0.55},
        values={"revenue": 64.0},
    ),
    "demo-request-form": Scenario(
        "short form +30% leads, but customers do not follow, and come later",
        lift={"short-form": 0.30},
        goal_lift={
            "form_start": {"short-form": 0.45},
            "mql": {"short-form": 0.05},
            "sql": {"short-form": 0.0},
            "customer": {"short-form": 0.0},
        },
        rates={"form_start": 0.20, "mql": 0.035, "sql": 0.016, "customer": 0.006},
        delay={"customer": {"short-form": 3.0}},
    ),
    "onboarding-checklist": Scenario(
        "checklist +15% activation and 10% fewer support tickets",
        lift={"checklist": 0.15},
        goal_lift={"support_ticket": {"checklist": -0.10}},
        rates={"step_completed": 0.5, "support_ticket": 0.25},
    ),
    "pricing-annual-default": Scenario(
        "annual default +15% paid plans, higher MRR per plan",
        lift={"annual": 0.15},
        rates={"toggle_click": 0.09},
        values={"mrr": 49.0},
    ),
    "pricing-cta-wording": Scenario(
        "free-trial +12% trials, but 4% of its exposures are lost by a logging bug",
        lift={"free-trial": 0.12},
        goal_lift={"bounce": {"free-trial": 0.0}},
        rates={"cta_click": 0.15, "bounce": 0.38},
        values={"revenue": 120.0},
        lost_exposures=("free-trial", 0.04),
    ),
}


def generic_scenario(experiment: Any) -> Scenario:
    """Any other registry: the last treatment has the planned MDE, the others none."""
    treatments = [v.id for v in experiment.treatments]
    mde = experiment.analysis.signed_mde or 0.10
    lift = {t: 0.0 for t in treatments}
    lift[treatments[-1]] = mde
    return Scenario(f"{treatments[-1]} has the planned lift ({mde:+.0%}), others none", lift)


def traffic_spec(experiment: Any, scenario: Scenario) -> dict[str, Any]:
    """The generator's spec: variant weights and, per event, true rates (and mean values)."""
    control = experiment.control.id
    primary = experiment.primary_goal.id
    by_event: dict[str, dict[str, Any]] = {}
    for g in experiment.goals:
        if g.id == primary:
            base = experiment.analysis.baseline or 0.04
        else:
            base = scenario.rates.get(g.id, 0.20 if g.kind == "micro" else 0.04)
        lifts = scenario.goal_lift.get(g.id, scenario.lift)
        entry = by_event.setdefault(
            g.event,
            {"event": g.event, "rates": None, "values": None, "value_columns": [], "delay": None},
        )
        if entry["rates"] is None:  # a value goal shares its event with the binary goal
            entry["rates"] = {
                v: min(base * (1 + lifts.get(v, 0.0)), 0.95) if v != control else base
                for v in experiment.variant_ids
            }
        if g.id in scenario.delay:
            entry["delay"] = scenario.delay[g.id]
        if g.value:  # goals on one value column share its values (the first one's mean)
            if entry["values"] is None or g.id in scenario.values:
                mean = scenario.values.get(g.id, 50.0)
                entry["values"] = {v: mean for v in experiment.variant_ids}
            if g.value not in entry["value_columns"]:
                entry["value_columns"].append(g.value)
    # a funnel's steps nest: each goal step's units are among the previous goal step's
    # (drawn independently, 0 of 121 SQLs had become customers beside "sql -> customer
    # 38.8%" in the lead-quality table)
    event_of = {g.id: g.event for g in experiment.goals}
    steps = [event_of[s] for s in experiment.funnel if s in event_of]
    for earlier, later in itertools.pairwise(steps):
        by_event[later]["after"] = earlier
    keys = ("event", "rates", "values", "delay", "after")
    goals = [{k: e[k] for k in keys if e.get(k) is not None} for e in by_event.values()]
    order = {e: i for i, e in enumerate(steps)}  # an earlier step before a later one
    goals.sort(key=lambda g: order.get(g["event"], -1))
    return {
        "id": experiment.id,
        "variants": dict(zip(experiment.variant_ids, experiment.weights, strict=True)),
        "goals": goals,
        "_value_columns": {e["event"]: e["value_columns"] for e in by_event.values()},
    }


def registry_assignment(experiment: Any) -> Any:
    """The unit ids -> variant index (in ``variant_ids`` order, the generator's) function
    of :func:`abtest.assignment.variant_index`, -1 for units not in the experiment."""
    import numpy as np

    from abtest.assignment import variant_index

    order = np.array([experiment.variant_ids.index(v.id) for v in experiment.variants])

    def assign(unit_ids: Any) -> Any:
        index = variant_index(unit_ids, experiment)
        return np.where(index >= 0, order[index], -1)

    return assign


def simulate(experiment: Any, scenario: Scenario, folder: Path, as_of: dt.date) -> int:
    """Write ``exposures.parquet`` and ``conversions.parquet`` for one experiment;
    returns the number of units exposed (those the registry's assignment let in)."""
    import numpy as np

    from abtest.data.synthetic import generate_traffic

    start = experiment.start or as_of - dt.timedelta(days=13)
    end = min(experiment.end or as_of, as_of)
    days = max((end - start).days + 1, 1)
    # the page's eligible visitors: the registry's assignment decides who enters (its
    # coverage and namespace) and which variant each sees, as a site serving it would
    units = int((experiment.analysis.expected_daily_units or 2000) * days)
    spec = traffic_spec(experiment, scenario)
    value_columns = spec.pop("_value_columns")
    seed = zlib.crc32(experiment.id.encode())
    exposures, conversions, _ = generate_traffic(
        [spec],
        units=units,
        days=days,
        seed=seed,
        start=str(start),
        assign={experiment.id: registry_assignment(experiment)},
    )
    if scenario.lost_exposures is not None:
        variant, share = scenario.lost_exposures
        rng = np.random.default_rng(seed + 1)
        units_v = exposures.loc[exposures["variant"] == variant, "unit_id"].unique()
        lost = rng.choice(units_v, int(share * len(units_v)), replace=False)
        exposures = exposures[~exposures["unit_id"].isin(lost)]
    for event, columns in value_columns.items():
        for column in columns:
            conversions[column] = conversions["value"].where(conversions["event"] == event)
    conversions = conversions.drop(columns="value")
    folder.mkdir(parents=True, exist_ok=True)
    exposures.to_parquet(folder / "exposures.parquet", index=False)
    conversions.to_parquet(folder / "conversions.parquet", index=False)
    return int(exposures["unit_id"].nunique())


def default_registry() -> Path | None:
    """``./experiments`` if present, else the example registry of a source checkout."""
    for candidate in (Path("experiments"), Path(__file__).resolve().parents[2] / "experiments"):
        if candidate.is_dir() and any(candidate.glob("*.y*ml")):
            return candidate
    return None


@click.command()
@click.option(
    "--registry",
    type=click.Path(file_okay=False),
    default=None,
    help="Registry folder (default: ./experiments or the bundled examples).",
)
@click.option(
    "--out",
    "out_dir",
    default="abtest-demo",
    show_default=True,
    help="Folder for the simulated logs and the weekly report.",
)
@click.option(
    "--week",
    default="2026-W47",
    show_default=True,
    help="ISO week to report (data is simulated up to its Sunday).",
)
def demo(registry: str | None, out_dir: str, week: str) -> None:
    """Simulate a week of traffic for the example registry, analyse every running
    experiment, and write the weekly report.

    \b
    Writes OUT/data/<experiment>/{exposures,conversions}.parquet and
    OUT/report.html; the same report can be rebuilt with
      abtest report experiments/ --data OUT/data --week 2026-W47 --out report.html
    """
    from abtest.cli._common import one_line_warnings
    from abtest.cli._registry_plan import plan_text
    from abtest.registry import RegistryError, load_registry
    from abtest.report.weekly import parse_week, weekly_report

    t0 = time.perf_counter()
    one_line_warnings()
    folder = Path(registry) if registry else default_registry()
    if folder is None:
        fail_usage("no registry found: run from the repository root or pass --registry DIR")
    try:
        reg = load_registry(folder)
    except (RegistryError, FileNotFoundError) as exc:
        fail_usage(f"cannot load the registry {folder}: {exc}")
    try:
        as_of = parse_week(week).end
    except ValueError as exc:
        fail_usage(str(exc))
    out = Path(out_dir)

    running = [e for e in reg.values() if e.status == "running"]
    click.echo(
        f"abtest demo: {len(running)} running experiments in {folder}, "
        f"simulated up to {as_of:%a %d %b %Y}\n"
    )
    headline = running[0] if running else None
    if headline is not None and headline.analysis.baseline and headline.analysis.mde:
        click.echo(f"== Plan of {headline.id} ==")
        click.echo(plan_text(headline))
        click.echo("")

    entries = []
    click.echo("== Results (simulated truth -> abtest's decision) ==")

    def run(experiment: Any) -> tuple[Any, Scenario, int]:
        scenario = SCENARIOS.get(experiment.id) or generic_scenario(experiment)
        data = out / "data" / experiment.id
        units = simulate(experiment, scenario, data, as_of)
        return experiment.analyze(data, as_of=as_of), scenario, units

    # two experiments at a time: DuckDB and numpy release the GIL for most of the work,
    # so the second core is busy while the first compiles a query (results in order)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(run, running))
    for experiment, (analysis, scenario, units) in zip(running, done, strict=True):
        entries.append((experiment, analysis))
        verdict = analysis.winner or "no winner"
        click.echo(f"* {experiment.id} [{analysis.design.method}, {units:,} units]")
        click.echo(f"    truth:    {scenario.story}")
        click.echo(f"    decision: {verdict} — {analysis.reason}")
    report = out / "report.html"
    weekly_report(entries, week=week, fmt="html", out_path=report)
    first = running[0].id if running else "EXPERIMENT"
    click.echo(
        f"\nWeekly report: {report} ({time.perf_counter() - t0:.1f} s). Open it in a "
        "browser; to see one experiment in the terminal, with the same numbers:\n"
        f"  abtest analyze {first} --registry {folder} --data {out / 'data' / first} "
        f"--as-of {as_of.isoformat()}"
    )
    sys.stdout.flush()
