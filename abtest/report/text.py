"""Terminal summary of one analysis: the decision first, then the evidence."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from abtest.report.view import ReportView, Table, build_view, sections

if TYPE_CHECKING:
    from abtest.analysis import Analysis

WIDTH = 88
_NBSP = "\u00a0"


def _wrap(text: str, **kwargs: object) -> list[str]:
    """``textwrap.wrap`` that never breaks ``p = 0.12`` or ``χ² = 1.2`` apart."""
    protected = text.replace(" = ", f"{_NBSP}={_NBSP}")
    return [line.replace(_NBSP, " ") for line in textwrap.wrap(protected, WIDTH, **kwargs)]


_STATUS = {"ok": "ok", "warn": "!", "alarm": "ALARM", "info": "·"}


def render_text(analysis: Analysis) -> str:
    """A plain-text report: experiment, decision and reason, per-goal tables grouped
    by goal kind (micro, macro, value), then SRM, sample progress, guardrails,
    sequential looks, funnel and costs when the analysis has them.

    Examples
    --------
    >>> import abtest
    >>> a = abtest.analyze(abtest.Summary.from_counts({"control": (17489, 145274),
    ...                                                 "new": (17264, 145310)}))
    >>> print(render_text(a).splitlines()[7])
    Decision: No winner
    """
    return text_from_view(build_view(analysis))


def text_from_view(view: ReportView) -> str:
    """Render a :class:`~abtest.report.view.ReportView` as text."""
    out: list[str] = []
    out.append(view.title)
    out.append("=" * min(len(view.title), WIDTH))
    if view.hypothesis:
        out += _wrap(f"Hypothesis: {view.hypothesis}", subsequent_indent="  ")
    out.append("")
    width = max(len(k) for k, _ in view.meta)
    for k, v in view.meta:
        out += _wrap(v, initial_indent=f"{k:<{width}}  ", subsequent_indent=" " * (width + 2))
    out.append("")
    out.append(f"Decision: {view.verdict}")
    out += _wrap(view.reason, initial_indent="  ", subsequent_indent="    ")
    for group in view.groups:
        out.append("")
        out.append(group.title)
        for m in group.metrics:
            note = f" — {m.note}" if m.note else ""
            out.append(f"  {m.label}{note}")
            out += ["    " + line for line in table_lines(m.table)]
    out.append("")
    out.append("Checks")
    label_w = max((len(c.label) for c in view.checks), default=0)
    for c in view.checks:
        prefix = f"  {c.label:<{label_w}}  [{_STATUS.get(c.status, c.status)}] "
        out += _wrap(c.text, initial_indent=prefix, subsequent_indent=" " * len(prefix))
    for section in sections(view):
        title = f"{section.title} — {section.note}" if section.note else section.title
        out.append("")
        out += _wrap(title, subsequent_indent="  ")
        out += ["  " + line for line in table_lines(section.table)]
    return "\n".join(out).rstrip() + "\n"


def table_lines(table: Table) -> list[str]:
    """A fixed-width table: header, a rule, rows; columns aligned per ``table.align``."""
    cols = len(table.header)
    widths = [max([len(table.header[i])] + [len(r[i]) for r in table.rows]) for i in range(cols)]

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(cells, widths, table.align, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return [line(table.header), "  ".join("-" * w for w in widths)] + [line(r) for r in table.rows]
