"""GitHub-flavoured Markdown report of one analysis (tables, headings, checks)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from abtest.report.view import ReportView, Table, build_view, sections

if TYPE_CHECKING:
    from abtest.analysis import Analysis

_ICONS = {"ok": "✅", "warn": "⚠️", "alarm": "🚨", "info": "ℹ️"}
_SPECIAL = re.compile(r"([\\`*_|])")


_TAG = re.compile(r"<(?=[A-Za-z/!?])")  # a "<" that could open an HTML tag or comment


def escape(text: str) -> str:
    r"""Escape Markdown and inline HTML so user text shows as typed, and nothing else:
    a ``<`` that could open a tag becomes ``&lt;``, but ``p < 0.001`` stays as written
    (an entity there shows as ``&lt;`` wherever the Markdown is read as text).

    >>> escape("<script>|x* [a](b)")
    '&lt;script>\\|x\\* [a]\\(b)'
    >>> escape("SRM p = 3.2e-08 < 0.001")
    'SRM p = 3.2e-08 < 0.001'
    """
    text = _TAG.sub("&lt;", _SPECIAL.sub(r"\\\1", text))
    return text.replace("](", "]\\(").replace("\n", " ")


def render_markdown(
    analysis: Analysis, *, images: Mapping[str, str] | None = None, level: int = 2
) -> str:
    r"""A Markdown report: title, decision and reason, per-goal tables grouped by goal
    kind, checks, funnel and costs.

    Parameters
    ----------
    analysis
        The analysis to show.
    images
        Optional ``{caption: relative path}`` of plot files to link below the
        decision (the weekly report writes them beside the Markdown file).
    level
        Heading level of the title (sections use the next levels).

    Examples
    --------
    >>> import abtest
    >>> a = abtest.analyze(abtest.Summary.from_counts({"control": (17489, 145274),
    ...                                                 "new": (17264, 145310)}))
    >>> [line for line in render_markdown(a).splitlines() if line.startswith("| new")]
    ['| new | 145,310 | 17,264 | 11.88% | -1.3% | [-3.2%, +0.7%] | 0.1899 |  |']
    """
    return markdown_from_view(build_view(analysis), images=images, level=level)


def markdown_from_view(
    view: ReportView, *, images: Mapping[str, str] | None = None, level: int = 2
) -> str:
    """Render a :class:`~abtest.report.view.ReportView` as Markdown."""
    h = "#" * level
    out = [f"{h} {escape(view.title)}", ""]
    if view.hypothesis:
        out += [f"*Hypothesis:* {escape(view.hypothesis)}", ""]
    out += [f"- **{escape(k)}:** {escape(v)}" for k, v in view.meta]
    out += ["", f"**Decision: {escape(view.verdict)}** — {escape(view.reason)}", ""]
    for caption, path in (images or {}).items():
        out += [f"![{escape(caption)}]({path})", ""]
    for group in view.groups:
        out += [f"{h}# {escape(group.title)}", ""]
        for m in group.metrics:
            note = f" — {escape(m.note)}" if m.note else ""
            out += [f"**{escape(m.label)}**{note}", ""]
            out += table_markdown(m.table)
            out.append("")
    out += [f"{h}# Checks", ""]
    out += [
        f"- {_ICONS.get(c.status, '')} **{escape(c.label)}:** {escape(c.text)}" for c in view.checks
    ]
    out.append("")
    for section in sections(view):
        note = [f"*{escape(section.note)}*", ""] if section.note else []
        out += [f"{h}# {escape(section.title)}", "", *note, *table_markdown(section.table), ""]
    return "\n".join(out).rstrip() + "\n"


def table_markdown(table: Table) -> list[str]:
    """A GitHub-flavoured pipe table; every cell escaped."""
    rule = ["---:" if a == "r" else ":---" for a in table.align]
    lines = [_row(table.header), "| " + " | ".join(rule) + " |"]
    lines += [_row(r) for r in table.rows]
    return lines


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(escape(c) for c in cells) + " |"
