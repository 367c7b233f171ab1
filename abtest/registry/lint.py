"""Checks beyond the schema, run by ``abtest validate`` and ``Registry.validate()``.

Per experiment: the planned sample size must be reachable before ``end``
(error), plus warnings for settings that will not do what the author thinks.
Across the registry: experiment ids are unique, and running experiments on
the same page at the same time do not ask for more than 100% of its traffic.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from abtest.registry import planning
from abtest.registry.exclusion import interactions, namespace_overlaps
from abtest.registry.findings import Finding, dotted
from abtest.registry.problems import Problem, where
from abtest.registry.schema import Experiment

_BAYESIAN = ("prob_best", "loss_threshold", "prior")
_SEQUENTIAL = ("looks", "spending")


def to_problem(exp: Experiment, finding: Finding) -> Problem:
    """Place a finding on its line in the experiment's file."""
    line, column = exp._mark(finding.loc)
    return Problem(where(exp), line, located(finding), finding.severity, column, finding.code)


def located(finding: Finding) -> str:
    """The finding's message, prefixed with its dotted location.

    >>> located(Finding(("goals", 1, "kind"), "expected micro or macro", "enum"))
    'goals[1].kind: expected micro or macro'
    """
    prefix = dotted(finding.loc)
    return f"{prefix}: {finding.message}" if prefix else finding.message


def feasibility(exp: Experiment) -> list[Finding]:
    """Is the planned sample reachable between ``start`` and ``end``?

    Only for draft and running experiments with ``baseline``, ``mde`` and
    ``expected_daily_units``; the plan is :func:`abtest.stats.plan_proportions`'
    (see :mod:`abtest.registry.planning`), with the share of the page the experiment
    gets (``traffic``, or its namespace slice) as the allocation.
    """
    a = exp.analysis
    if exp.status not in ("draft", "running"):
        return []
    missing = [k for k in ("baseline", "mde", "expected_daily_units") if getattr(a, k) is None]
    if missing:
        return [
            Finding(
                ("analysis",),
                f"cannot check the sample size: add {', '.join('analysis.' + k for k in missing)}",
                "plan-inputs",
                "warning",
            )
        ]
    assert a.baseline is not None and a.mde is not None and a.expected_daily_units is not None
    goal = exp.primary_goal
    if goal.value is not None:
        return [
            Finding(
                ("analysis", "baseline"),
                f"the sample-size check plans a conversion rate, but the primary goal '{goal.id}' "
                f"is a continuous metric (value: {goal.value}); the check was skipped",
                "plan-inputs",
                "warning",
            )
        ]
    mde = a.signed_mde
    assert mde is not None
    if not 0 < a.baseline * (1 + mde) < 1:
        return []  # reported by the schema rules
    p = planning.plan(
        a.baseline,
        mde,
        exp.weights,
        alpha=a.alpha,
        power=a.power,
        alternative=a.alternative,
        daily_units=a.expected_daily_units,
        allocation=exp.share,
    )
    available = exp.scheduled_days
    if available is None or p.days is None or p.days <= available:
        return []
    assert exp.start is not None and exp.end is not None
    daily = a.expected_daily_units * exp.share
    per = p.n_per_variant[0] if len(set(p.n_per_variant)) == 1 else max(p.n_per_variant)
    each = "per variant" if len(set(p.n_per_variant)) == 1 else "in the largest variant"
    needed_end = exp.start + dt.timedelta(days=p.days - 1)
    return [
        Finding(
            ("analysis", "mde"),
            f"not enough traffic: detecting {mde:+.1%} on a {a.baseline:.2%} baseline "
            f"(alpha {a.alpha:g}, power {a.power * 100:g}%) needs {per:,} units {each} "
            f"({p.total_units:,} in all), {p.days} days at {daily:,.0f} units/day, but "
            f"{exp.start} to {exp.end} is {available} days; raise mde, move end to "
            f"{needed_end} or send more traffic",
            "infeasible",
        )
    ]


def warnings_for(exp: Experiment) -> list[Finding]:
    """Settings that are allowed but probably not what the author meant."""
    out: list[Finding] = []
    if exp.path is not None and exp.path.stem != exp.id:
        out.append(
            Finding(
                ("id",),
                f"the file name '{exp.path.name}' does not match the id "
                f"'{exp.id}'; rename it to {exp.id}{exp.path.suffix} so people can find it",
                "file-name",
                "warning",
            )
        )
    a = exp.analysis
    for method, names in (("bayesian", _BAYESIAN), ("sequential", _SEQUENTIAL)):
        if a.method == method:
            continue
        for name in names:
            if name in a.model_fields_set:
                out.append(
                    Finding(
                        ("analysis", name),
                        f"only used with method: {method} "
                        f"(method is {a.method}); remove it or "
                        "change the method",
                        "method-field",
                        "warning",
                    )
                )
    if exp.decision is not None and exp.status != "concluded":
        out.append(
            Finding(
                ("decision",),
                f"recorded but status is "
                f"'{exp.status}'; set status: concluded or remove the decision",
                "decision",
                "warning",
            )
        )
    if exp.spend is not None and exp.spend.per_variant is not None:
        unpaid = [v.id for v in exp.variants if v.id not in exp.spend.per_variant]
        if unpaid:
            out.append(
                Finding(
                    ("spend", "per_variant"),
                    f"no spend for {', '.join(unpaid)}: "
                    "cost per lead and CAC are computed only for variants with "
                    "spend (write 0 if they cost nothing)",
                    "spend",
                    "warning",
                )
            )
    primary = [g.id for g in exp.goals if g.primary]
    for i, guard in enumerate(exp.guardrails):
        if guard.goal in primary:
            out.append(
                Finding(
                    ("guardrails", i, "goal"),
                    f"'{guard.goal}' is the primary goal; guardrails watch secondary metrics",
                    "guardrail-goal",
                    "warning",
                )
            )
    return out


def _page(exp: Experiment) -> str:
    page = exp.page.strip()
    return page.rstrip("/") or "/"


def overlaps(experiments: Sequence[Experiment]) -> list[Problem]:
    """Running experiments on one page whose traffic shares sum above 100% on some day."""
    by_page: dict[str, list[Experiment]] = defaultdict(list)
    for exp in experiments:
        if exp.status == "running" and exp.start is not None:
            by_page[_page(exp)].append(exp)
    out: list[Problem] = []
    for page, group in by_page.items():
        reported: set[int] = set()
        for day in sorted({e.start for e in group if e.start is not None}):
            active = [
                e
                for e in group
                if e.start is not None and e.start <= day and (e.end is None or day <= e.end)
            ]
            total = sum(e.share for e in active)
            if total <= 1 + 1e-9:
                continue
            ends = [e.end for e in active if e.end is not None]
            until = f"to {min(ends)}" if ends else "onwards"
            shares = " + ".join(f"{e.share:.0%}" for e in active)
            for exp in active:
                if id(exp) in reported:
                    continue
                reported.add(id(exp))
                others = ", ".join(f"'{o.id}' ({where(o)})" for o in active if o is not exp)
                message = (
                    f"page: conflicts with {others}: running on page '{page}' at the same time "
                    f"({day} {until}) with traffic shares summing to {total:.0%} ({shares}); "
                    "lower 'traffic' so concurrent experiments on a page sum to at most 100%, "
                    "or move the dates apart"
                )
                line, column = exp._mark(("page",))
                out.append(Problem(where(exp), line, message, "error", column, "overlap"))
    return out


def duplicate_ids(experiments: Sequence[Experiment]) -> list[Problem]:
    """Every experiment after the first with a given id."""
    first: dict[str, Experiment] = {}
    out = []
    for exp in experiments:
        if exp.id not in first:
            first[exp.id] = exp
            continue
        other = first[exp.id]
        line, column = exp._mark(("id",))
        out.append(
            Problem(
                where(exp),
                line,
                f"id: '{exp.id}' is already used by {where(other)}:{other._mark(('id',))[0]}; "
                "experiment ids must be unique across the registry",
                "error",
                column,
                "duplicate-id",
            )
        )
    return out


def lint(experiments: Iterable[Experiment], *, registry_checks: bool = True) -> list[Problem]:
    """All lint problems for valid experiments (unsorted).

    Parameters
    ----------
    experiments : iterable of Experiment
        Experiments that passed the schema and its rules.
    registry_checks : bool
        Also check across experiments (duplicate ids, traffic overlaps).
    """
    exps = list(experiments)
    out: list[Problem] = []
    for exp in exps:
        out += [to_problem(exp, f) for f in (*feasibility(exp), *warnings_for(exp))]
    if registry_checks:
        crowded = overlaps(exps)
        out += duplicate_ids(exps) + crowded + namespace_overlaps(exps)
        out += interactions(exps, skip={p.file for p in crowded})
    return out
