"""The weekly report: every running experiment on one page.

For each experiment: status, days running, sample collected against the plan,
SRM alarms, the current results and decision, and its plots. HTML is one
self-contained file (plots inline as ``data:`` URIs); Markdown links image
files written beside it in ``<name>_files/``.

The report only presents: the caller analyses each experiment (``abtest
report`` and ``abtest demo`` do) and passes ``(experiment, analysis)`` pairs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abtest import formatting as fmt
from abtest.report.interactions import interaction_view
from abtest.report.markdown import escape, markdown_from_view, table_markdown
from abtest.report.view import ReportView, Table, build_view

if TYPE_CHECKING:
    from abtest.analysis import Analysis

FORMATS = ("html", "markdown")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")

Entry = tuple[Any, "Analysis | str | None"]
"""``(experiment or Design, Analysis)``; the second item may instead be a message
saying why the experiment could not be analysed (or ``None``: no data yet)."""


@dataclass(frozen=True)
class Week:
    """An ISO week: ``label`` like ``2026-W47``, Monday ``start`` to Sunday ``end``."""

    label: str
    start: dt.date
    end: dt.date

    @property
    def span(self) -> str:
        return f"{self.start:%b %d} – {self.end:%b %d, %Y}"


def parse_week(week: str | dt.date | None = None) -> Week:
    """The ISO week ``"2026-W47"`` (or the week of a date; default this week).

    >>> w = parse_week("2026-W47")
    >>> w.label, w.start.isoformat(), w.end.isoformat()
    ('2026-W47', '2026-11-16', '2026-11-22')
    """
    if week is None:
        week = dt.date.today()
    if isinstance(week, dt.date):
        year, number, _ = week.isocalendar()
    else:
        m = _WEEK.match(str(week).strip())
        if not m:
            raise ValueError(f"week {week!r} is not an ISO week; write it like 2026-W47")
        year, number = int(m.group(1)), int(m.group(2))
    try:
        start = dt.date.fromisocalendar(year, number, 1)
    except ValueError:
        raise ValueError(f"week {week!r}: {year} has no week {number}") from None
    return Week(f"{year}-W{number:02d}", start, start + dt.timedelta(days=6))


@dataclass(frozen=True)
class OverviewLine:
    """One line of the overview table, and the experiment's section."""

    id: str
    name: str
    status: str
    owner: str
    days: str
    sample: str
    srm: str
    decision: str
    mark: str  # "alarm" | "better" (winner) | "warn" | ""
    view: ReportView | None
    problem: str | None
    anchor: str = ""


def weekly_report(
    entries: Iterable[Entry],
    *,
    week: str | dt.date | None = None,
    fmt: str = "html",
    out_path: str | Path | None = None,
    plots: bool = True,
    image_format: str = "png",
    title: str = "Weekly experiment report",
    on_progress: Callable[[str], None] | None = None,
    interactions: Any = None,
) -> str:
    """Render the weekly report over ``(experiment, analysis)`` pairs.

    Parameters
    ----------
    entries
        ``(experiment, analysis)`` pairs: the experiment is a registry
        ``Experiment`` or an analysis ``Design`` (only read for its id, name,
        status, owner and dates); the analysis is an
        :class:`~abtest.analysis.Analysis`, or a string saying why there is
        none (e.g. "no exposures yet"), or ``None``.
    week
        ISO week (``"2026-W47"``) or a date in it; default the current week.
        Days running are counted up to the week's Sunday.
    fmt
        ``"html"`` (one self-contained file) or ``"markdown"``.
    out_path
        Where to write the report (atomically). For Markdown the plots are
        written as PNG files in ``<stem>_files/`` beside it; without
        ``out_path`` Markdown has no images.
    plots
        Include plots (lift, and timeline / posterior / funnel when the
        analysis has the data).
    image_format
        ``"png"`` or ``"svg"`` for HTML's inline images (Markdown uses PNG).
    title
        The report's heading.
    on_progress
        Called with each experiment id as its section is rendered (the CLI
        drives a progress bar with it).
    interactions
        The table of :func:`abtest.analysis.interactions.interactions` over the
        experiments (shared units in one log), shown in its own section; None or
        empty: no section.

    Returns
    -------
    str
        The report text (also written to ``out_path`` when given).
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt={fmt!r}: use one of {', '.join(FORMATS)}")
    w = parse_week(week)
    items = list(entries)
    summaries = _unique_anchors([overview_line(item, analysis, w) for item, analysis in items])
    inter = interaction_view(interactions)
    if fmt == "html":
        text = _html(items, summaries, w, title, plots, image_format, on_progress, inter)
    else:
        text = _markdown(items, summaries, w, title, plots, out_path, on_progress, inter)
    if out_path is not None:
        from abtest._io import write_atomic

        write_atomic(out_path, text)
    return text


# -- one experiment's overview line ----------------------------------------------------------
def overview_line(item: Any, analysis: Analysis | str | None, week: Week) -> OverviewLine:
    """The overview line of one experiment (read from the experiment and its analysis)."""
    design = getattr(analysis, "design", None)
    exp_id = str(_first(item, design, "id", "experiment") or "?")
    name = str(_first(item, design, "name") or exp_id)
    status = str(_first(item, design, "status") or "")
    owner = str(_first(item, None, "owner") or "")
    start = _first(item, design, "start")
    end = _first(item, design, "end")
    days = days_running(start, end, week)
    if status in ("stopped", "concluded") and days.startswith("day "):
        days = f"{status} (planned to {end.isoformat()})" if end else status  # not running
    if (analysis is None or isinstance(analysis, str)) and days.startswith("starts"):
        # not started in the report's week: nothing is missing yet
        return OverviewLine(exp_id, name, status, owner, days, fmt.DASH, fmt.DASH,
                            "not started yet", "", None, None)  # fmt: skip
    if analysis is None or isinstance(analysis, str):
        problem = analysis or "no data yet"
        return OverviewLine(
            exp_id,
            name,
            status,
            owner,
            days,
            fmt.DASH,
            fmt.DASH,
            f"not analysed: {_shorten(problem)}",
            "warn",
            None,
            problem,
        )
    view = build_view(analysis)
    extra = [("Running", days)] + ([("Owner", owner)] if owner else [])
    view = dataclasses.replace(view, meta=(*view.meta[:1], *extra, *view.meta[1:]))
    p = analysis.progress
    if p is None:
        sample = f"{fmt.count(sum(_units(analysis)))} units, no plan"
    else:
        sample = f"{p.fraction:.0%} of plan"
        if p.replanned:  # the data contradicts the plan's baseline: the observed rate's need
            sample = (
                f"{p.fraction:.0%} of the sample needed at the observed "
                f"{fmt.pct(p.observed_baseline)} (plan assumed {fmt.pct(p.assumed_baseline)})"
            )
        if p.fraction < 1 and p.days_left is not None:
            sample += f", ~{fmt.plural(p.days_left, 'day')} left"
    mismatch = bool(analysis.srm.mismatch)
    srm = f"ALARM ({fmt.p_equals(analysis.srm.p_value)})" if mismatch else "ok"
    decision = view.verdict
    recorded = _first(item, None, "decision")
    if recorded is not None and getattr(recorded, "variant", None):
        # a concluded experiment's own decision comes first; the data's reading follows
        note = f" — {recorded.note}" if getattr(recorded, "note", None) else ""
        decision = f"decided: {recorded.variant}{note}; the data now: {decision}"
    harms = analysis.decision.harms
    if harms:  # a significant harm is never left out of the overview
        decision += "; worse: " + ", ".join(f"{h.variant} on {h.metric}" for h in harms)
    mark = "alarm" if mismatch else "better" if analysis.winner is not None else ""
    if harms and not mismatch:
        mark = "alarm"
    if not mark and any(c.status == "alarm" for c in view.checks):
        mark = "alarm"
    return OverviewLine(exp_id, name, status, owner, days, sample, srm, decision, mark, view, None)


def _unique_anchors(summaries: list[OverviewLine]) -> list[OverviewLine]:
    """Give repeated experiment ids a suffix in ``anchor`` (HTML ids, image names)."""
    seen: dict[str, int] = {}
    out = []
    for s in summaries:
        n = seen.get(s.id, 0)
        seen[s.id] = n + 1
        out.append(dataclasses.replace(s, anchor=_safe(s.id) + (f"-{n + 1}" if n else "")))
    return out


def days_running(start: dt.date | None, end: dt.date | None, week: Week) -> str:
    """``"day 14 of 28"``, ``"starts 2026-12-01"``, ``"ended 2026-11-10 (28 days)"``.

    >>> w = parse_week("2026-W47")
    >>> days_running(dt.date(2026, 11, 9), dt.date(2026, 12, 6), w)
    'day 14 of 28'
    """
    if start is None:
        return fmt.DASH
    if start > week.end:
        return f"starts {start.isoformat()}"
    if end is not None and end < week.end:
        return f"ended {end.isoformat()} ({fmt.plural((end - start).days + 1, 'day')})"
    n = (week.end - start).days + 1
    return f"day {n} of {(end - start).days + 1}" if end is not None else f"day {n}"


def _first(item: Any, design: Any, *names: str) -> Any:
    for obj in (item, design):
        for name in names:
            value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
            if value is not None and not callable(value):
                return value
    return None


def _units(analysis: Analysis) -> list[int]:
    res = analysis.results
    rows = res[res["metric"] == analysis.primary]
    return [int(x) for x in rows["n"]]


def overview_table(summaries: Sequence[OverviewLine]) -> Table:
    """The overview: one row per experiment."""
    header = ("experiment", "status", "running", "sample", "SRM", "decision")
    rows = tuple((s.id, s.status, s.days, s.sample, s.srm, s.decision) for s in summaries)
    return Table(header, rows, ("l",) * 6, tuple(s.mark for s in summaries))


# -- HTML --------------------------------------------------------------------------------------
def _html(
    items: list[Entry],
    summaries: list[OverviewLine],
    week: Week,
    title: str,
    plots: bool,
    image_format: str,
    on_progress: Callable[[str], None] | None,
    interactions: dict[str, Any] | None = None,
) -> str:
    from abtest.report.html import render_template

    wanted = [plots and s.view is not None for s in summaries]
    rendered = _all_images([a for (_, a), w in zip(items, wanted, strict=True) if w], image_format)
    sections = []
    for want, s in zip(wanted, summaries, strict=True):
        sections.append({"summary": s, "images": next(rendered) if want else []})
        if on_progress is not None:
            on_progress(s.id)
    return render_template(
        "weekly.html.j2",
        title=title,
        week=week,
        overview=overview_table(summaries),
        anchors=[s.anchor for s in summaries],
        sections=sections,
        counts=_counts(summaries),
        generated=dt.date.today().isoformat(),
        interactions=interactions,
    )


def _images_of(analysis: Analysis, image_format: str) -> list[Any]:
    from abtest.report.html import figure_images
    from abtest.report.plots import available_plots

    return figure_images(analysis, available_plots(analysis), image_format)


def _all_images(analyses: list[Analysis], image_format: str) -> Iterator[list[Any]]:
    """Each analysis' inline plots, in order. Drawing is most of a report's time and
    matplotlib holds the GIL, so with several experiments and cores the figures are
    drawn in forked worker processes (the analyses are sent by pickle); anywhere that
    cannot fork or pickle, one after the other here."""
    import multiprocessing
    import os

    workers = min(len(analyses), os.cpu_count() or 1)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        from pickle import PicklingError

        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                done = list(pool.map(_images_of, analyses, [image_format] * len(analyses)))
            return iter(done)
        except (BrokenProcessPool, PicklingError, OSError, TypeError, AttributeError):
            pass
    return (_images_of(a, image_format) for a in analyses)


def _counts(summaries: Sequence[OverviewLine]) -> str:
    n = len(summaries)
    alarms = sum(s.srm.startswith("ALARM") for s in summaries)
    winners = sum(s.view is not None and s.view.winner is not None for s in summaries)
    parts = [fmt.plural(n, "experiment"), fmt.plural(winners, "winner")]
    parts.append(fmt.plural(alarms, "SRM alarm"))
    return ", ".join(parts)


# -- Markdown ---------------------------------------------------------------------------------
def _markdown(
    items: list[Entry],
    summaries: list[OverviewLine],
    week: Week,
    title: str,
    plots: bool,
    out_path: str | Path | None,
    on_progress: Callable[[str], None] | None,
    interactions: dict[str, Any] | None = None,
) -> str:
    out = [f"# {escape(title)}: {week.label}", "", f"*{week.span}* · {_counts(summaries)}", ""]
    out += [*table_markdown(overview_table(summaries)), ""]
    if interactions:
        out += [
            "## Interactions between concurrent experiments",
            "",
            escape(interactions["note"]),
            "",
        ]
        out += [
            *table_markdown(interactions["table"]),
            "",
            f"*{escape(interactions['method'])}*",
            "",
        ]
    for (_, analysis), s in zip(items, summaries, strict=True):
        if s.view is None:
            out += [
                f"## {escape(s.name)}",
                "",
                f"*{escape(s.id)}* — "
                + (f"not analysed: {escape(s.problem)}" if s.problem else escape(s.decision)),
                "",
            ]
        else:
            images = (
                _write_images(analysis, s.anchor, Path(out_path))
                if plots and out_path is not None
                else {}
            )
            out.append(markdown_from_view(s.view, images=images, level=2))
        if on_progress is not None:
            on_progress(s.id)
    return "\n".join(out).rstrip() + "\n"


def _write_images(analysis: Analysis, stem: str, out_path: Path) -> dict[str, str]:
    """Save the plots as PNG in ``<stem>_files/``; ``{caption: relative path}``."""
    from abtest._io import write_atomic
    from abtest.report.figure_style import to_png
    from abtest.report.html import PLOT_CAPTIONS
    from abtest.report.plots import available_plots, plot

    folder = out_path.parent / f"{out_path.stem}_files"
    images = {}
    for kind in available_plots(analysis):
        name = f"{stem}-{kind}.png"
        write_atomic(folder / name, to_png(plot(analysis, kind)))
        images[PLOT_CAPTIONS.get(kind, kind)] = f"{folder.name}/{name}"
    return images


def _shorten(text: str, width: int = 90) -> str:
    """One line of at most ``width`` characters (the full text is in the section)."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "experiment"
