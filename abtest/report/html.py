"""HTML report of one analysis: a self-contained fragment with inline CSS and plots.

Templates live in ``abtest/report/templates`` and are rendered by a jinja2
``Environment`` with ``autoescape=True``: variant names, goal names and
hypotheses are user input and must never become markup. Plots are embedded
as ``data:`` URIs (PNG by default, or SVG), so the output needs no other file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from abtest.report.view import ReportView, build_view, sections

if TYPE_CHECKING:
    from abtest.analysis import Analysis

PLOT_CAPTIONS = {
    "lift": "Relative lift per goal and variant with its interval; filled = significant.",
    "posterior": "Posterior densities of the primary goal's conversion rate.",
    "timeline": "Cumulative conversion rate and lift over time.",
    "funnel": "Share of exposed units reaching each funnel step.",
    "time": "Share of units converted by time since first exposure (Kaplan-Meier, 95% band).",
    "segments": "Primary-goal lift per segment; filled = significant after correction.",
}
_BADGES = {"ok": "ok", "warn": "check", "alarm": "alarm", "info": "info"}


@dataclass(frozen=True)
class Image:
    """An embedded figure: ``uri`` is a ``data:`` URI or a relative file path."""

    kind: str
    uri: str
    caption: str
    alt: str


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment of the report templates (autoescaping on)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("abtest.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.globals["decision_class"] = decision_class
    env.globals["badge"] = lambda status: _BADGES.get(status, status)
    env.globals["sections"] = sections
    return env


def decision_class(view: ReportView) -> str:
    """CSS class of the decision box: ``win``, ``alarm`` (SRM) or ``none``."""
    if view.winner is not None:
        return "win"
    if any(c.label == "SRM" and c.status == "alarm" for c in view.checks):
        return "alarm"
    return "none"


def render_html(
    analysis: Analysis,
    *,
    plots: bool = True,
    kinds: Sequence[str] = ("lift",),
    image_format: str = "png",
    standalone: bool = False,
) -> str:
    """The analysis as HTML: decision, per-goal tables, checks, funnel, costs.

    Parameters
    ----------
    analysis
        The analysis to show.
    plots
        Embed figures (``kinds``, default the lift forest plot) as inline images.
    kinds
        Which plots to embed when ``plots`` is true; kinds the analysis has no
        data for are skipped.
    image_format
        ``"png"`` or ``"svg"`` (both embedded as ``data:`` URIs).
    standalone
        Wrap the fragment in a complete HTML document (``<!doctype html>...``).

    Examples
    --------
    >>> import abtest
    >>> a = abtest.analyze(abtest.Summary.from_counts({"control": (10, 100),
    ...                                                 "<b>new</b>": (12, 100)}))
    >>> html = render_html(a, plots=False)
    >>> "&lt;b&gt;new&lt;/b&gt;" in html, "<b>new</b>" in html
    (True, False)
    """
    view = build_view(analysis)
    images = figure_images(analysis, kinds, image_format) if plots else []
    fragment = environment().get_template("analysis.html.j2").render(view=view, images=images)
    if standalone:
        return page(view.title, fragment)
    return fragment


def page(title: str, body: str) -> str:
    """A complete HTML document around an already rendered (trusted) fragment."""
    return environment().get_template("page.html.j2").render(title=title, body=Markup(body))


def figure_images(
    analysis: Analysis, kinds: Sequence[str], image_format: str = "png"
) -> list[Image]:
    """Render the requested plots the analysis has data for as inline images."""
    from abtest.report.figure_style import to_data_uri
    from abtest.report.plots import available_plots, plot

    have = available_plots(analysis)
    out = []
    for kind in kinds:
        if kind not in have:
            continue
        fig = plot(analysis, kind)
        out.append(
            Image(
                kind=kind,
                uri=to_data_uri(fig, image_format),
                caption=PLOT_CAPTIONS.get(kind, kind),
                alt=f"{kind} plot of {analysis.design.name or analysis.design.experiment}",
            )
        )
    return out


def render_template(name: str, **context: Any) -> str:
    """Render one of the report templates (used by the weekly report)."""
    return environment().get_template(name).render(**context)
