"""Matplotlib figures of one analysis: lift forest plot, posteriors, timeline, funnel.

Every function returns a :class:`matplotlib.figure.Figure` built without
``pyplot`` (no global figure registry, nothing to close, safe on a headless
server with any backend); save it with ``fig.savefig("lift.png")`` or
``.svg``. In Jupyter a returned Figure displays inline (:class:`ReportFigure`).

Colours are keyed by variant order (control first) so a variant has the same
colour in every plot of a report: :func:`variant_colors`.

Reports never compute statistics (DESIGN.md): the intervals, p-values and
looks drawn here come from the analysis. The one exception in kind, the
posterior plot, draws the Beta(1 + conversions, 1 + units - conversions)
density from the counts; that is drawing a distribution, not deciding on it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from abtest import formatting as fmt
from abtest.report.figure_style import (
    _ZERO,
    PALETTE,
    PercentTicks,
    ReportFigure,
    _binary,
    _control_mask,
    _metric_order,
    _style,
    variant_colors,
)
from abtest.report.plot_segments import has_segments, segments_plot
from abtest.report.plot_survival import has_time_to, time_plot
from abtest.report.plot_timeline import _has_timeline, timeline_plot

if TYPE_CHECKING:
    import pandas as pd

    from abtest.analysis import Analysis

KINDS = ("lift", "posterior", "timeline", "funnel", "time", "segments")


def plot(analysis: Analysis, kind: str = "lift", **kwargs: Any) -> Figure:
    """The figure ``kind`` (``"lift"``, ``"posterior"``, ``"timeline"``, ``"funnel"``,
    ``"time"``: time to conversion, ``"segments"``: lift by segment) of ``analysis``;
    keyword arguments go to that plot's function."""
    funcs = {
        "lift": lift_plot,
        "posterior": posterior_plot,
        "timeline": timeline_plot,
        "funnel": funnel_plot,
        "time": time_plot,
        "segments": segments_plot,
    }
    if kind not in funcs:
        raise ValueError(f"unknown plot kind {kind!r}; choose one of {', '.join(KINDS)}")
    return funcs[kind](analysis, **kwargs)


def available_plots(analysis: Analysis) -> list[str]:
    """The plot kinds this analysis has the data for, in report order."""
    kinds = ["lift"]
    if analysis.design.method == "bayesian" and _binary(analysis, analysis.primary):
        kinds.append("posterior")
    if _has_timeline(analysis):
        kinds.append("timeline")
    if analysis.funnel is not None and not analysis.funnel.empty:
        kinds.append("funnel")
    if has_time_to(analysis):
        kinds.append("time")
    if has_segments(analysis):
        kinds.append("segments")
    return kinds


# -- lift forest plot -------------------------------------------------------------------------
def lift_plot(
    analysis: Analysis,
    *,
    metrics: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Forest plot of each treatment's relative lift over the control, per goal.

    One row per (goal, treatment) with its interval from the analysis table
    (confidence, credible or confidence-sequence, as the method gives), a
    vertical line at 0, percent axis; significant comparisons are drawn
    filled and bold, the others hollow. One ``errorbar`` container per row.
    """
    d = analysis.design
    res = analysis.results
    order = _metric_order(analysis, metrics)
    colors = variant_colors(d.variants)
    rows: list[tuple[str, Any]] = []  # ("header", metric) or ("row", series)
    single = len(d.variants) == 2
    for metric in order:
        part = res[(res["metric"] == metric) & ~_control_mask(res, d)]
        if part.empty:
            continue
        if single:  # one treatment: the goal names label the rows directly
            rows += [("row", r) for _, r in part.iterrows()]
        else:
            rows.append(("header", metric))
            rows += [("row", r) for _, r in part.iterrows()]
    n_rows = len(rows)
    levels = res["ci_level"].dropna().unique() if "ci_level" in res.columns else []
    mixed_levels = len(levels) > 1
    fig = ReportFigure(figsize=figsize or (8.0, 1.6 + 0.42 * n_rows), layout="constrained")
    ax = fig.add_subplot()
    ys = np.arange(n_rows)[::-1].astype(float)

    def goal_label(metric: str) -> str:
        tag = " (primary)" if metric == analysis.primary else ""
        lv = _level_of(res, metric) if mixed_levels else ""
        how = _method_tag(analysis, metric)
        return f"{d.metric(metric).name or metric}{tag}{how}{' · ' + lv if lv else ''}"

    labels, bold = [], []
    lows, highs = [], []
    for y, (what, item) in zip(ys, rows, strict=True):
        if what == "header":
            labels.append(goal_label(item))
            bold.append(True)
            continue
        r = item
        if single:
            labels.append(goal_label(str(r["metric"])))
            bold.append(r["metric"] == analysis.primary)
        else:
            labels.append(f"  {r['variant']}")
            bold.append(False)
        lift, low, high = float(r["lift"]), float(r["lift_low"]), float(r["lift_high"])
        sig = bool(r.get("significant", False))
        color = colors.get(str(r["variant"]), PALETTE[1])
        finite_low = low if math.isfinite(low) else np.nan
        finite_high = high if math.isfinite(high) else np.nan
        xerr = np.array([[lift - finite_low], [finite_high - lift]])
        ax.errorbar(
            [lift],
            [y],
            xerr=xerr,
            fmt="o",
            color=color,
            ecolor=color,
            elinewidth=2.6 if sig else 1.4,
            capsize=4,
            markersize=8 if sig else 7,
            markerfacecolor=color if sig else "white",
            markeredgewidth=1.6,
            alpha=1.0 if sig else 0.85,
            zorder=3,
        )
        for v in (lift, finite_low, finite_high):
            if math.isfinite(v):
                (lows if v <= lift else highs).append(v)
        text = (
            "lift undefined"
            if fmt.missing(lift)
            else f"{fmt.pct(lift, signed=True)} {fmt.interval(low, high)}"
        )
        ax.annotate(
            text,
            xy=(1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            color="black" if sig else "#555555",
            fontweight="bold" if sig else "normal",
        )
    ax.axvline(0, color=_ZERO, lw=1, ls="--", zorder=1)
    ax.set_yticks(ys, labels)
    for tick, b in zip(ax.get_yticklabels(), bold, strict=True):
        if b:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, n_rows - 0.3)
    span = [0.0, *lows, *highs]
    lo, hi = min(span), max(span)
    pad = 0.08 * (hi - lo or 0.1)
    ax.set_xlim(lo - pad, hi + pad)
    ax.xaxis.set_major_formatter(PercentTicks())
    control = d.variants[0]
    ax.set_xlabel(f"relative lift vs {control} ({_interval_phrase(analysis)})")
    ax.set_title(f"{d.name or d.experiment}: lift per goal", loc="left", fontsize=11)
    _style(ax, grid="x")
    ax.tick_params(axis="y", length=0)
    handles = [
        Line2D([], [], color=colors[v], marker="o", lw=2, label=v) for v in d.variants[1:]
    ] + [
        Line2D([], [], color="#333333", marker="o", lw=2.6, label="significant"),
        Line2D(
            [],
            [],
            color="#333333",
            marker="o",
            lw=1.4,
            markerfacecolor="white",
            label="not significant",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=min(len(handles), 5),
        frameon=False,
        fontsize=8.5,
    )
    return fig


def _method_tag(analysis: Analysis, metric: str) -> str:
    """How a goal's row is measured when it is not a plain rate or mean: the quantile it
    compares (" · p50 among converters") or its cap (" · capped, p99 of all units")."""
    res = analysis.results
    if "statistic" in res.columns:
        stat = res.loc[res["metric"] == metric, "statistic"].dropna()
        if len(stat):
            return f" · {stat.iloc[0]}"
    capping = getattr(analysis.summary, "capping", None) or {}
    return f" · capped, {capping[metric]}" if metric in capping else ""


def _level_of(res: pd.DataFrame, metric: str) -> str:
    levels = res.loc[res["metric"] == metric, "ci_level"].dropna()
    return fmt.level(levels.iloc[0]) if len(levels) else ""


def _interval_phrase(analysis: Analysis) -> str:
    d = analysis.design
    res = analysis.results
    levels = res["ci_level"].dropna().unique() if "ci_level" in res.columns else []
    lv = fmt.level(levels[0]) if len(levels) == 1 else "level per goal"
    kind = "confidence intervals"
    if d.method == "bayesian":
        kind = "credible intervals"
    elif d.method == "sequential" and not d.looks:
        kind = "confidence sequences"
    return f"{kind}, {lv}" if len(levels) > 1 else f"{lv} {kind}"


# -- posterior densities ----------------------------------------------------------------------
def posterior_plot(
    analysis: Analysis,
    *,
    metric: str | None = None,
    prior: tuple[float, float] | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Posterior density of each variant's conversion rate for one binary goal.

    The posterior is Beta(prior_a + conversions, prior_b + units -
    conversions) from the counts in the analysis's Summary: the Beta-Binomial
    model the Bayesian method uses, with the design's prior (default the flat
    Beta(1, 1)). Drawing this density is presentation, not a new statistic:
    P(best) and the decision come from the analysis table. One line per
    variant; the legend carries P(best) when the table has it.
    """
    from abtest.stats.intervals import beta_curves

    d = analysis.design
    if prior is None:
        prior = tuple(getattr(d, "prior", None) or (1.0, 1.0))
    metric = metric or analysis.primary
    if not _binary(analysis, metric):
        raise ValueError(
            f"the posterior plot needs a binary (conversion) goal; {metric!r} is a value metric"
        )
    counts = analysis.summary.arrays(metric, list(d.variants), d.experiment)
    n, conv = counts["n"], counts["sum"]
    a = prior[0] + conv
    b = prior[1] + n - conv
    x, densities = beta_curves(a, b)
    lo, hi = float(x[0]), float(x[-1])
    res = analysis.results
    rows = res[res["metric"] == metric].set_index("variant")
    colors = variant_colors(d.variants)
    fig = ReportFigure(figsize=figsize or (8.0, 3.8 + 0.2 * len(d.variants)), layout="constrained")
    ax = fig.add_subplot()
    for i, v in enumerate(d.variants):
        y = densities[i]
        label = f"{v}: {fmt.pct(conv[i] / n[i])} of {fmt.count(n[i])}"
        if "prob_best" in rows.columns and v in rows.index:
            label += f", P(best) {fmt.probability(rows.loc[v, 'prob_best'])}"
        ax.plot(x, y, color=colors[v], lw=2, label=label)
        ax.fill_between(x, y, color=colors[v], alpha=0.18, lw=0)
    ax.set_xlim(lo, hi)
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1))
    ax.set_xlabel(f"conversion rate ({metric})")
    ax.set_ylabel("posterior density")
    ax.set_yticks([])
    ax.set_title(
        f"{d.name or d.experiment}: posterior of the {metric} rate "
        f"(Beta({prior[0]:g}, {prior[1]:g}) prior)",
        loc="left",
        fontsize=11,
    )
    _style(ax, grid="x")
    fig.legend(loc="outside lower center", ncol=1, frameon=False, fontsize=8.5)
    return fig


def funnel_plot(analysis: Analysis, *, figsize: tuple[float, float] | None = None) -> Figure:
    """Grouped bars per funnel step and variant: share of exposed units reaching the
    step (left) and step-to-step conversion (right). One bar per (step, variant)
    in the left panel."""
    f = analysis.funnel
    if f is None or f.empty:
        raise ValueError("no funnel: configure funnel steps (design.funnel) to plot one")
    d = analysis.design
    steps = list(dict.fromkeys(f["step"]))
    variants = [v for v in d.variants if v in set(f["variant"])]
    colors = variant_colors(d.variants)
    k = len(variants)
    width = 0.8 / k
    fig = ReportFigure(
        figsize=figsize or (max(9.0, 2.6 * len(steps) + 3), 5.2), layout="constrained"
    )
    left, right = fig.subplots(1, 2, width_ratios=(len(steps), max(len(steps) - 1, 1)))
    pos = np.arange(len(steps))
    label_size, tick_size = 9.5, 10
    for j, v in enumerate(variants):
        part = f[f["variant"] == v].set_index("step").reindex(steps)
        rate = part["rate_of_exposed"].to_numpy(float)
        bars = left.bar(
            pos + (j - (k - 1) / 2) * width, rate, width * 0.95, color=colors[v], label=v
        )
        left.bar_label(bars, labels=[_bar_pct(r) for r in rate], fontsize=label_size, padding=2)
        conv = part["step_conversion"].to_numpy(float)[1:]
        if len(steps) > 1:
            bars = right.bar(
                pos[1:] - 1 + (j - (k - 1) / 2) * width,
                conv,
                width * 0.95,
                color=colors[v],
                label=v,
            )
            right.bar_label(
                bars, labels=[_bar_pct(r) for r in conv], fontsize=label_size, padding=2
            )
    left.set_xticks(pos, steps, fontsize=tick_size)
    left.set_ylabel("share of exposed units (log scale)", fontsize=tick_size)
    # a funnel spans 100% of visitors to well under 1% of customers: on a log scale
    # every step's bar (and its label) stays readable
    rates = f["rate_of_exposed"].to_numpy(float)
    positive = rates[np.isfinite(rates) & (rates > 0)]
    left.set_yscale("log")
    left.set_ylim(float(positive.min()) / 2 if positive.size else 1e-3, 2.0)
    left.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _bar_pct(v)))
    left.tick_params(labelsize=tick_size)
    left.set_title(f"{d.name or d.experiment}: funnel", loc="left", fontsize=12)
    left.legend(frameon=False, fontsize=tick_size)
    _style(left, grid="y")
    if len(steps) > 1:
        right.set_xticks(
            pos[1:] - 1,
            [f"{a} → {b}" for a, b in itertools.pairwise(steps)],
            fontsize=tick_size,
            rotation=20 if len(steps) > 3 else 0,
        )
        top = np.nanmax(f["step_conversion"].to_numpy(float)[len(variants) :], initial=0.0)
        right.set_ylim(0, max(top * 1.18, 0.05))
        right.set_title("step-to-step conversion", loc="left", fontsize=12)
        right.yaxis.set_major_formatter(PercentTicks())
        right.tick_params(labelsize=tick_size)
        _style(right, grid="y")
    else:
        right.set_visible(False)
    return fig


def _bar_pct(x: float) -> str:
    if fmt.missing(x):
        return ""
    return f"{x:.0%}" if x >= 0.995 else f"{x:.1%}" if x >= 0.1 else f"{x:.2%}"
