"""Checks across running experiments: who can share a unit with whom.

Two running experiments at the same time either exclude each other (one namespace,
disjoint slices) or can both reach a unit. In one namespace, overlapping slices are an
error: the namespace exists to keep them apart. On one page without a namespace, the
tests can interact (a headline test and a CTA test on the same landing page): a
warning, and :mod:`abtest.analysis` can test the interaction from the logs.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from itertools import combinations

from abtest.registry.problems import Problem, where
from abtest.registry.schema import Experiment


def _running_together(a: Experiment, b: Experiment) -> bool:
    if a.status != "running" or b.status != "running" or a.start is None or b.start is None:
        return False
    return (a.end is None or b.start <= a.end) and (b.end is None or a.start <= b.end)


def _page(exp: Experiment) -> str:
    return exp.page.strip().rstrip("/") or "/"


def exclusive(a: Experiment, b: Experiment) -> bool:
    """True when no unit can be in both: one namespace, disjoint slices."""
    na, nb = a.assignment.namespace, b.assignment.namespace
    if na is None or nb is None or na.name != nb.name:
        return False
    return na.range[1] <= nb.range[0] or nb.range[1] <= na.range[0]


def namespace_overlaps(experiments: Sequence[Experiment]) -> list[Problem]:
    """Running experiments in one namespace whose slices overlap (an error on each)."""
    out = []
    for a, b in combinations(experiments, 2):
        na, nb = a.assignment.namespace, b.assignment.namespace
        if na is None or nb is None or na.name != nb.name or exclusive(a, b):
            continue
        if not _running_together(a, b):
            continue
        for exp, other, mine, theirs in ((a, b, na, nb), (b, a, nb, na)):
            line, column = exp._mark(("assignment", "namespace", "range"))
            out.append(
                Problem(
                    where(exp),
                    line,
                    f"assignment.namespace: slice [{mine.range[0]:g}, {mine.range[1]:g}) of "
                    f"'{mine.name}' overlaps [{theirs.range[0]:g}, {theirs.range[1]:g}) of "
                    f"'{other.id}' ({where(other)}), running at the same time: units in "
                    "both slices would see both tests; make the ranges disjoint",
                    "error",
                    column,
                    "namespace-overlap",
                )
            )
    return out


def interactions(experiments: Sequence[Experiment], skip: Set[str] = frozenset()) -> list[Problem]:
    """Running experiments on one page at the same time that can share units (warning);
    none for the files in ``skip`` (already in error for the page's traffic)."""
    out = []
    for a, b in combinations(experiments, 2):
        if _page(a) != _page(b) or not _running_together(a, b) or exclusive(a, b):
            continue
        if where(a) in skip or where(b) in skip:
            continue
        for exp, other in ((a, b), (b, a)):
            line, column = exp._mark(("page",))
            out.append(
                Problem(
                    where(exp),
                    line,
                    f"page: '{other.id}' ({where(other)}) runs on '{_page(exp)}' at the same "
                    "time and can reach the same units, so one test's effect may depend on "
                    "the other; give both one assignment.namespace with disjoint ranges to "
                    "keep them apart, or keep them and read the interaction check of "
                    "`abtest report`",
                    "warning",
                    column,
                    "interaction",
                )
            )
    return out
