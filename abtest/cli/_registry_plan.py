"""``abtest plan EXPERIMENT_ID --registry DIR``: the plan of one registry entry.

Per-variant sample size and days needed (:func:`abtest.stats.plan_proportions`,
printed by :func:`abtest.cli.plan_text.format_plan`), the schedule against the
experiment's ``start`` and ``end``, and the MDE reachable with the traffic
expected by ``end`` (:func:`abtest.stats.mde_proportions`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from abtest.cli._common import UsageProblem
from abtest.cli.plan_text import format_plan, percent
from abtest.registry.findings import did_you_mean
from abtest.registry.problems import RegistryError
from abtest.registry.registry import FileResult, find_experiment_files, load_file
from abtest.registry.schema import Experiment

if TYPE_CHECKING:  # pragma: no cover
    from abtest.stats import Plan


def _find(experiment_id: str, registry_dir: str | os.PathLike[str]) -> Experiment:
    """The experiment ``experiment_id`` if its file is valid.

    Lint findings (an infeasible plan, an overlap) do not block: showing the
    plan is how one fixes them. Errors in other files do not matter either.
    """
    try:
        files = find_experiment_files(registry_dir)
    except FileNotFoundError as exc:
        raise UsageProblem(str(exc)) from None
    results = [load_file(f) for f in files]

    def id_of(r: FileResult) -> str | None:
        return r.experiment.id if r.experiment is not None else r.raw_id

    mine = [r for r in results if id_of(r) == experiment_id]
    if not mine:
        ids = sorted({i for i in map(id_of, results) if i})
        hint = did_you_mean(experiment_id, ids)
        raise UsageProblem(
            f"no experiment '{experiment_id}' in {os.fspath(registry_dir)}{hint}"
            + (f" (experiments: {', '.join(ids)})" if ids and not hint else "")
        )
    entry = mine[0]
    if not entry.ok or entry.experiment is None:
        raise RegistryError(p for p in entry.problems if p.is_error)
    return entry.experiment


def plan_from_registry(experiment_id: str, registry_dir: str | os.PathLike[str]) -> str:
    """The plan of registry entry ``experiment_id`` as printable text.

    Parameters
    ----------
    experiment_id : str
        The experiment's ``id``.
    registry_dir : str or PathLike
        The registry folder (or one experiment file).

    Returns
    -------
    str
        Per-variant sample size, days needed, the schedule and the MDE at the
        planned end.

    Raises
    ------
    UsageProblem
        Unknown id, or the entry lacks ``baseline``/``mde``.
    RegistryError
        The entry's file has errors (listed as ``FILE:LINE: message``).

    Examples
    --------
    >>> from pathlib import Path
    >>> import abtest
    >>> text = plan_from_registry("pricing-cta-wording",
    ...                           Path(abtest.__file__).parents[1] / "experiments")
    >>> print(text.splitlines()[0])
    pricing-cta-wording: Pricing page CTA wording
    """
    return plan_text(_find(experiment_id, registry_dir))


def plan_against_data(
    experiment_id: str,
    registry_dir: str | os.PathLike[str],
    source: str | os.PathLike[str],
    as_of: str | None = None,
) -> str:
    """The plan checked against the data collected so far: the control's observed rate
    and its 99% interval beside the plan's baseline and, when the data contradicts the
    baseline, the sample the same MDE needs at the observed rate and the days left
    (the rule of :attr:`abtest.analysis.decision_model.Progress.replanned`)."""
    import datetime as dt_

    from abtest.cli.analyze import InputError, analyze_registry_experiment

    exp = _find(experiment_id, registry_dir)
    try:
        cut = dt_.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise UsageProblem(f"--as-of {as_of!r}: not a date; write it as YYYY-MM-DD") from None
    try:
        analysis = analyze_registry_experiment(exp, source, as_of=cut)
    except InputError as exc:
        raise UsageProblem(str(exc)) from None
    p = analysis.progress
    if p is None or p.observed_baseline is None:
        return "Against the data: the primary goal has no conversion rate to check."
    low, high = p.observed_interval or (float("nan"), float("nan"))
    lines = [
        f"Against the data ({sum(p.observed_per_variant):,} units so far): the control "
        f"converts at {percent(p.observed_baseline)} (99% interval {percent(low)} to "
        f"{percent(high)}); the plan assumed {percent(p.assumed_baseline)}."
    ]
    if p.replanned:
        lines.append(
            f"  The data contradicts the plan: at the observed rate the same MDE needs "
            f"{max(p.planned_per_variant):,} units per variant, not "
            f"{max(p.configured_per_variant or ()):,}; {p.fraction:.0%} of it is collected"
            + (f", about {p.days_left} more days at current traffic." if p.days_left else ".")
        )
    else:
        outside = not low <= (p.assumed_baseline or 0.0) <= high
        lines.append(
            (
                "  The rate differs, but the sample it needs is within a factor of 1.25 of the "
                "plan's. "
                if outside
                else "  "
            )
            + f"The plan stands: {p.fraction:.0%} of its sample is collected"
            + (f", about {p.days_left} more days." if p.days_left and p.fraction < 1 else ".")
        )
    return "\n".join(lines)


def plan_text(exp: Experiment) -> str:
    """The plan of a loaded experiment as printable text (see :func:`plan_from_registry`)."""
    from abtest.stats import mde_proportions, plan_proportions

    a = exp.analysis
    goal = exp.primary_goal
    if goal.value is not None:
        raise UsageProblem(
            f"{exp.path}: the primary goal '{goal.id}' is a continuous metric "
            f"(value: {goal.value}); abtest plan plans conversion rates"
        )
    missing = [k for k in ("baseline", "mde") if getattr(a, k) is None]
    if missing:
        raise UsageProblem(
            f"{exp.path}: add {' and '.join('analysis.' + k for k in missing)} "
            f"to plan '{exp.id}' from the registry"
        )
    assert a.baseline is not None and a.mde is not None
    plan = plan_proportions(
        a.baseline, a.signed_mde, variants=len(exp.variants), weights=exp.weights, alpha=a.alpha,
        power=a.power, alternative=a.alternative, daily_units=a.expected_daily_units,
        allocation=exp.share,
    )  # fmt: skip
    title = f"{exp.id}: {exp.name}\n({exp.path}; {exp.status}; {a.method}; primary goal {goal.id})"
    lines = [format_plan(plan, title=title), ""]
    labels = ["control"] + [f"variant {i}" for i in range(1, len(exp.variants))]
    variants = [exp.variant(v) for v in exp.variant_ids]
    width = max(len(v.id) for v in variants)
    lines.append("Variants:")
    lines += [
        f"  {lab:<10} {v.id:<{width}}  {v.name}" for lab, v in zip(labels, variants, strict=True)
    ]
    if a.method == "sequential" and a.looks:
        lines.append(_sequential_line(plan, a.looks, a.spending, a.alternative))
    elif a.method == "bayesian":
        lines.append(
            f"Bayesian rule: a variant wins at P(best) >= {a.prob_best:g}"
            + (f" and expected loss <= {a.loss_threshold:g}" if a.loss_threshold else "")
            + "; the frequentist sample above is the yardstick for how long to run."
        )
    lines += _schedule_lines(exp, plan.days, mde_proportions)
    return "\n".join(lines)


def _sequential_line(plan: Plan, looks: int, spending: str, alternative: str) -> str:
    from abtest.stats import group_sequential_bounds

    design = group_sequential_bounds(
        looks,
        alpha=plan.alpha_per_comparison,
        spending=spending,
        power=plan.power,
        alternative=alternative,
    )
    factor = float(design.inflation_factor)
    most = [math.ceil(n * factor) for n in plan.n_per_variant]
    return (
        f"Sequential: {looks} looks, {spending} spending: at most {max(most):,} units per "
        f"variant (x{factor:.3f} the fixed sample); it may stop at an earlier look."
    )


def _schedule_lines(
    exp: Experiment, days_needed: int | None, mde_proportions: Callable[..., Any]
) -> list[str]:
    a = exp.analysis
    if days_needed is None:
        return ["Schedule: add analysis.expected_daily_units to see the days needed."]
    if exp.start is None:
        return [f"Schedule: not scheduled yet; it needs {days_needed} days from its start."]
    ready = exp.start + dt.timedelta(days=days_needed - 1)
    if exp.end is None:
        return [f"Schedule: from {exp.start}, no end date; the sample is reached on {ready}."]
    available = exp.scheduled_days or 0
    span = f"{exp.start} to {exp.end} ({available} days)"
    if days_needed <= available:
        out = [f"Schedule: {span}; the sample is reached on {ready}."]
    else:
        out = [
            f"Schedule: {span}; the plan needs {days_needed} days, {days_needed - available} "
            f"more than scheduled: move end to {ready}, raise mde or send more traffic."
        ]
    assert a.baseline is not None and a.expected_daily_units is not None
    total = a.expected_daily_units * exp.share * available
    w = exp.weights
    k = len(w)
    alpha = a.alpha / (k - 1)
    n_control = total * w[0] / sum(w)
    try:
        # the least powered comparison's MDE: the largest in size (a decrease is negative)
        mdes = [
            float(
                mde_proportions(
                    a.baseline, n_control, alpha=alpha, power=a.power,
                    alternative=a.alternative, ratio=wi / w[0],
                )
            )
            for wi in w[1:]
        ]  # fmt: skip
        mde = max(mdes, key=abs)
    except ValueError:
        out.append(
            f"MDE at the planned end: none; {total:,.0f} units by {exp.end} are too few "
            "for any lift to reach the requested power."
        )
        return out
    out.append(
        f"MDE at the planned end ({exp.end}): {mde:+.1%} relative "
        f"({percent(a.baseline)} -> {percent(a.baseline * (1 + mde))}) with {total:,.0f} units "
        f"in the experiment."
    )
    return out
