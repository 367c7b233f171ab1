"""Rules every experiment obeys (its invariants): one control, weights that sum
to 1, one primary goal, unique ids, ordered dates, guardrails on known goals...

Each rule returns :class:`~abtest.registry.findings.Finding` objects (location, message,
code) instead of
raising, so a file reports all of them at once. The models in
:mod:`abtest.registry.schema` call these from their validators: when loading
files the findings are collected with their line numbers; when an experiment
is built in Python they raise. Nothing here imports the models (no cycle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from abtest.registry.data_rules import data_findings
from abtest.registry.findings import (
    Finding,
    did_you_mean,
    exactly_one_findings,
    unique_id_findings,
)
from abtest.registry.spend_rules import spend_findings

if TYPE_CHECKING:  # pragma: no cover
    from abtest.registry.schema import Experiment, Variant

WEIGHT_TOLERANCE = 1e-9


def variant_findings(variants: Sequence[Variant]) -> list[Finding]:
    """Unique ids, exactly one control, weights summing to 1 (within 1e-9)."""
    return [f for rule in VARIANT_RULES for f in rule(variants)]


def variant_id_findings(variants: Sequence[Variant]) -> list[Finding]:
    """Variant ids unique within the experiment."""
    return unique_id_findings(variants, "variants", "variant")


def control_findings(variants: Sequence[Variant]) -> list[Finding]:
    """Exactly one variant is the control."""
    return exactly_one_findings(
        variants, "variants", "control", "control",
        "no variant is the control; add 'control: true' to the baseline variant "
        "(exactly one variant is the control)",
        "a second control: variants[{first}] '{id}' is already the control; exactly one "
        "variant has 'control: true'",
    )  # fmt: skip


def variant_weight_findings(variants: Sequence[Variant]) -> list[Finding]:
    """The variants' weights sum to 1 (:func:`weight_findings`)."""
    return weight_findings([v.weight for v in variants])


def weight_findings(weights: Sequence[float]) -> list[Finding]:
    """Weights summing to 1 (within :data:`WEIGHT_TOLERANCE`): when they do not, the
    problem is said at every weight's own line (any of them may be the one to fix).

    >>> [f.loc for f in weight_findings([0.6, 0.5])]
    [('variants', 0, 'weight'), ('variants', 1, 'weight')]
    >>> weight_findings([0.6, 0.5])[1].message[:31]
    'weights sum to 1.1 (0.6 + 0.5),'
    """
    total = sum(weights)
    if abs(total - 1) <= WEIGHT_TOLERANCE:
        return []
    terms = " + ".join(f"{w:g}" for w in weights)
    message = (
        f"weights sum to {total:.10g} ({terms}), not 1; make the variants' weights "
        f"add up to 1 (e.g. {even_split(len(weights))})"
    )
    return [Finding(("variants", i, "weight"), message, "weights-sum") for i in range(len(weights))]


def even_split(n: int) -> str:
    """An equal split of traffic over ``n`` variants in hundredths that sums to exactly 1,
    the remainder on the first ones (the suggestion of the weights-sum message).

    >>> even_split(2), even_split(3), even_split(4)
    ('0.5 and 0.5', '0.34, 0.33 and 0.33', '0.25, 0.25, 0.25 and 0.25')
    >>> even_split(12)
    '1/12 each'
    """
    if not 2 <= n <= 10:
        return f"1/{n} each"
    base, extra = divmod(100, n)
    shares = [f"{(base + (i < extra)) / 100:g}" for i in range(n)]
    return f"{', '.join(shares[:-1])} and {shares[-1]}"


def funnel_findings(funnel: Sequence[str]) -> list[Finding]:
    """At least two steps, none repeated."""
    if len(funnel) == 1:
        return [
            Finding(
                ("funnel",),
                "a funnel needs at least two steps "
                "(e.g. [visitor, lead, customer]); add steps or remove 'funnel'",
                "funnel",
            )
        ]
    out = []
    for i, step in enumerate(funnel):
        if step in funnel[:i]:
            out.append(
                Finding(
                    ("funnel", i),
                    f"step '{step}' appears twice in the funnel; "
                    "each step is listed once, in order",
                    "funnel",
                )
            )
    return out


def experiment_findings(exp: Experiment) -> list[Finding]:
    """Rules across fields: dates, status, guardrails, decision, spend, analysis."""
    return [f for rule in RULES for f in rule(exp)]


def _dates(exp: Any) -> list[Finding]:
    if exp.start is not None and exp.end is not None and exp.end < exp.start:
        return [
            Finding(
                ("end",),
                f"{exp.end} is before start {exp.start}; the end date "
                "must be on or after the start date",
                "dates",
            )
        ]
    return []


def _started(exp: Any) -> list[Finding]:
    if exp.status != "draft" and exp.start is None:
        return [
            Finding(
                ("status",),
                f"'{exp.status}' needs a start date: add "
                "'start: YYYY-MM-DD' (or set status: draft)",
                "dates",
            )
        ]
    return []


def _concluded(exp: Any) -> list[Finding]:
    if exp.status == "concluded" and exp.decision is None:
        return [
            Finding(
                ("status",),
                "a concluded experiment names its decision: add "
                "'decision: {variant: <winning variant id, or none>, note: ...}'",
                "decision",
            )
        ]
    return []


def _decision_variant(exp: Any) -> list[Finding]:
    variant_ids = [v.id for v in exp.variants]
    if exp.decision is not None and exp.decision.variant not in [*variant_ids, "none"]:
        return [
            Finding(
                ("decision", "variant"),
                f"'{exp.decision.variant}' is not a variant of this experiment; "
                f"use one of {', '.join(variant_ids)} or 'none'"
                + did_you_mean(exp.decision.variant, variant_ids),
                "decision",
            )
        ]
    return []


def _guardrail_goals(exp: Any) -> list[Finding]:
    goal_ids = [g.id for g in exp.goals]
    return [
        Finding(
            ("guardrails", i, "goal"),
            f"'{guard.goal}' is not one of this experiment's goals "
            f"({', '.join(goal_ids)}); add a goal with id '{guard.goal}' under goals "
            "or fix the name" + did_you_mean(guard.goal, goal_ids),
            "guardrail-goal",
        )
        for i, guard in enumerate(exp.guardrails)
        if guard.goal not in goal_ids
    ]


def _quantile_goals(exp: Any) -> list[Finding]:
    """Quantile goals are tested fixed-horizon only, and a guardrail's margin is a mean's."""
    quantiles = {g.id: i for i, g in enumerate(exp.goals) if g.statistic is not None}
    out = []
    if quantiles and exp.analysis.method != "frequentist":
        out += [
            Finding(("goals", i, "statistic"), f"goal '{goal}' compares a quantile, which "
                    f"abtest tests fixed-horizon only; use method: frequentist or drop the "
                    f"goal from this {exp.analysis.method} experiment", "quantile-method")
            for goal, i in quantiles.items()
        ]  # fmt: skip
    out += [
        Finding(("guardrails", i, "goal"), f"'{guard.goal}' is a quantile goal; a guardrail "
                "compares means: guard a value goal on the same column", "quantile-guardrail")
        for i, guard in enumerate(exp.guardrails)
        if guard.goal in quantiles
    ]  # fmt: skip
    return out


def _funnel_goals(exp: Any) -> list[Finding]:
    """Every funnel step after the first (which may be the exposure, e.g. ``visitor``)
    is a conversion goal: the funnel counts the units that reach it. A step that is no
    goal was left out of the table in silence, and a value goal's step showed its sum
    of values as units ("revenue: 3,562 units, 2423% from the previous step")."""
    goals = {g.id: g for g in exp.goals}
    out = []
    for i, step in enumerate(exp.funnel):
        g = goals.get(step)
        if g is None and i > 0:
            out.append(Finding(("funnel", i), f"step '{step}' is not a goal of this experiment "
                               f"({', '.join(goals)}); a step after the first names a goal id",
                               "funnel"))  # fmt: skip
        elif g is not None and (g.value is not None or g.statistic is not None):
            out.append(Finding(("funnel", i), f"step '{step}' is a value goal; a funnel step "
                               "counts the units that reach it: use a conversion goal",
                               "funnel"))  # fmt: skip
    return out


def _analysis(exp: Any) -> list[Finding]:
    out = []
    a = exp.analysis
    if a.method == "sequential" and a.looks is None:
        out.append(
            Finding(
                ("analysis", "method"),
                "'sequential' needs the number of interim "
                "analyses: add 'looks: 5' (for example) under analysis",
                "sequential",
            )
        )
    signed = a.signed_mde
    if a.baseline is not None and signed is not None and not 0 < a.baseline * (1 + signed) < 1:
        target = a.baseline * (1 + signed)
        if signed > 0:
            why = "not below 100%; mde is a relative lift (0.10 = +10%)"
        else:
            why = "not above 0%; with alternative: smaller, mde is a relative decrease below 1"
        out.append(
            Finding(
                ("analysis", "mde"),
                f"{a.mde:g} on baseline {a.baseline:g} targets a conversion rate of "
                f"{target:.4g}, {why}",
                "mde",
            )
        )
    return out


# the rules, each independent of the others: on a file with schema errors, each runs on
# the parts that parsed (abtest.registry.partial) unless it reads a part that did not
VARIANT_RULES = (variant_id_findings, control_findings, variant_weight_findings)


def _namespace_room(exp: Any) -> list[Finding]:
    """Without an explicit coverage, ``traffic`` is served from the namespace slice: it
    cannot be more than the slice is wide."""
    a = exp.assignment
    if a.namespace is None or a.coverage is not None or "traffic" not in exp.model_fields_set:
        return []
    (lo, hi), width = a.namespace.range, a.namespace.width
    if exp.traffic <= width + 1e-12:
        return []
    return [
        Finding(
            ("traffic",),
            f"{exp.traffic:.0%} of the page's units cannot come from the namespace slice "
            f"[{lo:g}, {hi:g}) of '{a.namespace.name}', which holds {width:.0%} of them; "
            "widen assignment.namespace.range or lower traffic",
            "namespace-room",
        )
    ]


RULES = (
    _dates,
    _started,
    _concluded,
    _decision_variant,
    _guardrail_goals,
    _quantile_goals,
    _funnel_goals,
    spend_findings,
    data_findings,
    _analysis,
    _namespace_room,
)
