"""Rules an experiment's goals obey: unique ids, exactly one primary goal, capping and
quantiles only of value goals, and a value column that is not one of the conversions' own.

Like :mod:`abtest.registry.checks`, each rule returns
:class:`~abtest.registry.findings.Finding` objects instead of raising; the models in
:mod:`abtest.registry.schema` call :func:`goal_findings` from their validator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from abtest import vocabulary
from abtest.registry.findings import Finding, exactly_one_findings, unique_id_findings

if TYPE_CHECKING:  # pragma: no cover
    from abtest.registry.goal_schema import Goal


def goal_findings(goals: Sequence[Goal]) -> list[Finding]:
    """Unique ids and exactly one primary goal."""
    return [f for rule in GOAL_RULES for f in rule(goals)]


def goal_id_findings(goals: Sequence[Goal]) -> list[Finding]:
    """Goal ids unique within the experiment."""
    return unique_id_findings(goals, "goals", "goal")


def primary_findings(goals: Sequence[Goal]) -> list[Finding]:
    """Exactly one primary goal."""
    return exactly_one_findings(
        goals, "goals", "primary", "primary-goal",
        "no primary goal: add 'primary: true' to the one goal that decides the test "
        "(usually a macro conversion)",
        "a second primary goal: goals[{first}] '{id}' is already primary; exactly one goal "
        "has 'primary: true' (the others are secondary)",
    )  # fmt: skip


def capping_findings(goals: Sequence[Goal]) -> list[Finding]:
    """Capping only on value goals (a conversion is 0 or 1: nothing to cap)."""
    return [
        Finding(
            ("goals", i, "capping"),
            f"goal '{g.id}' is a conversion (no value column): capping applies to value "
            "goals; add 'value: <column>' or remove capping",
            "capping-binary",
        )
        for i, g in enumerate(goals)
        if g.capping is not None and g.value is None
    ]


def value_findings(goals: Sequence[Goal]) -> list[Finding]:
    """A value goal sums a column other than the conversions' own (``unit_id``, ``event``,
    ``timestamp``; :func:`abtest.vocabulary.value_name_problem`), as ``summarize`` says."""
    out = []
    for i, g in enumerate(goals):
        if g.value is not None and not g.value.strip():
            text = (
                f"goal '{g.id}': value is empty; name the conversions column to sum "
                "(e.g. revenue), or leave value out for a conversion goal"
            )
            out.append(Finding(("goals", i, "value"), text, "goal-value"))
            continue
        problem = g.value and vocabulary.value_name_problem(g.value)
        if problem:
            alias = vocabulary.value_alias(g.value)
            text = (
                f"goal '{g.id}': value '{g.value}' {problem}, so a value goal cannot sum "
                f"it; read the column under another name: value: {alias}, with columns: "
                f"{{conversions: {{{alias}: {g.value}}}}}"
            )
            out.append(Finding(("goals", i, "value"), text, "goal-value"))
    return out


def statistic_findings(goals: Sequence[Goal]) -> list[Finding]:
    """A quantile is of values: a quantile goal names a value column and is not capped
    (a quantile is not moved by a few large values)."""
    out = []
    for i, g in enumerate(goals):
        if g.statistic is None:
            continue
        if g.value is None:
            why = "it names no value column; add 'value: <column>'"
        elif g.capping is not None:
            why = "a quantile is not moved by a few large values; remove capping"
        else:
            continue
        out.append(Finding(("goals", i, "statistic"), f"goal '{g.id}' is a quantile "
                           f"goal, but {why}", "quantile-goal"))  # fmt: skip
    return out


GOAL_RULES = (
    goal_id_findings, primary_findings, capping_findings, value_findings, statistic_findings,
)  # fmt: skip
