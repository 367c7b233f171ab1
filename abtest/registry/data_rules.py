"""The rules of an experiment's ``data``: a column mapping per log goes under the log's
name, and each segment column is named once and not like a column of the summary.

Like every rule of :mod:`abtest.registry.checks` (which runs these), each returns
findings located at the key to fix (the loader turns them into ``FILE:LINE: message``).
"""

from __future__ import annotations

from typing import Any

from abtest.registry.findings import Finding
from abtest.vocabulary import column_key_problem, segment_alias, segment_name_problem

DATA_LOGS = ("exposures", "conversions", "covariate")


def data_findings(exp: Any) -> list[Finding]:
    """All the data rules (:func:`column_findings`, :func:`segment_findings`)."""
    if exp.data is None:
        return []
    return [
        *column_findings(exp.data.columns),
        *column_name_findings(exp),
        *segment_findings(exp.data.segments),
    ]


def column_name_findings(exp: Any) -> list[Finding]:
    """Every key of ``data.columns`` (and of a log's mapping under it) names a column abtest
    reads (:func:`abtest.vocabulary.column_key_problem`, the rule ``summarize`` applies)."""
    values = [g.value for g in exp.goals if g.value]
    out = []
    for key, value in exp.data.columns.items():
        pairs = [((key, k), k) for k in value] if isinstance(value, dict) else [((key,), key)]
        for loc, name in pairs:
            if len(loc) == 1 and name in DATA_LOGS:
                continue
            problem = column_key_problem(name, values, exp.data.segments)
            if problem:
                out.append(Finding(("data", "columns", *loc), problem, "data-columns"))
    return out


def column_findings(columns: dict[str, Any]) -> list[Finding]:
    """A column mapping per log only under a log's name; elsewhere one column name."""
    out = []
    for key, value in columns.items():
        if isinstance(value, dict) and key not in DATA_LOGS:
            message = (
                f"'{key}' takes one column name; a mapping per log goes under "
                f"{', '.join(DATA_LOGS)} (e.g. covariate: {{value: pre_revenue}})"
            )
        elif not isinstance(value, dict) and key in DATA_LOGS:
            message = (
                f"'{key}' names a log: give its columns as a mapping, e.g. "
                f"{key}: {{value: {value}}}; the {key} file itself goes in data.{key}"
            )
        else:
            continue
        out.append(Finding(("data", "columns", key), message, "data-columns"))
    return out


def segment_findings(segments: tuple[str, ...]) -> list[Finding]:
    """Each segment once, and none named like a column of the summary (the same rule
    ``summarize(by=...)`` applies: :func:`abtest.data.query_columns.check_segments`)."""
    problems = ((i, _segment_problem(name, segments[:i])) for i, name in enumerate(segments))
    return [Finding(("data", "segments", i), p, "data-segments") for i, p in problems if p]


def _segment_problem(name: str, earlier: tuple[str, ...]) -> str | None:
    """What is wrong with segment column ``name`` listed after ``earlier`` (None: nothing;
    :func:`abtest.vocabulary.segment_name_problem`)."""
    if name in earlier:
        return f"'{name}' is named twice; list each segment column once"
    problem = segment_name_problem(name)
    if problem is None:
        return None
    alias = segment_alias(name)
    return (
        f"'{name}' {problem}, so a segment cannot take it; read the column under another "
        f"name: {alias} in segments, with columns: {{exposures: {{{alias}: {name}}}}}"
    )
