"""The timeline figure: cumulative conversion rate per variant and lift over time,
from the analysis' looks (sequential) or the daily Summary."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from abtest import formatting as fmt
from abtest import vocabulary
from abtest.report.figure_style import (
    _ZERO,
    PercentTicks,
    ReportFigure,
    _binary,
    _style,
    variant_colors,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from abtest.analysis import Analysis


def _has_timeline(analysis: Analysis) -> bool:
    looks = analysis.looks
    if looks is not None and not looks.empty and int(looks["look"].max()) > 1:
        return True
    return bool(analysis.summary.has_daily)


def timeline_plot(
    analysis: Analysis,
    *,
    metric: str | None = None,
    figsize: tuple[float, float] = (8.0, 6.0),
) -> Figure:
    """Cumulative conversion rate per variant (top) and lift over time (bottom).

    With a sequential analysis the lift panel shows each look's interval from
    ``analysis.looks`` (the confidence sequence, or the repeated confidence
    interval of a group sequential design) and marks the first look where the
    comparison became significant. A fixed-horizon analysis of daily data shows
    each day's interval from ``analysis.timeline`` (at the level of the table's
    row, so that day-1 noise does not set the scale; no day is marked significant:
    only the last decides). Otherwise the point lift only.
    """
    d = analysis.design
    metric = metric or analysis.primary
    binary = _binary(analysis, metric)
    looks = analysis.looks
    days = analysis.timeline
    if looks is not None and not looks.empty and int(looks["look"].max()) > 1:
        frame = looks[looks["metric"] == metric]
        if frame.empty:
            raise ValueError(f"no sequential looks for metric {metric!r}")
        series = _series_from_looks(frame, d.variants)
    elif days is not None and not days[days["metric"] == metric].empty:
        frame = days[days["metric"] == metric]
        series = _series_from_looks(frame, d.variants)
    elif analysis.summary.has_daily:
        frame = None
        series = _series_from_summary(analysis, metric)
    else:
        raise ValueError(
            "the timeline needs data over time: a Summary with daily cumulative rows "
            "(abtest.summarize(..., daily=True)) or a sequential analysis with several looks"
        )
    x, rates, lifts = series
    colors = variant_colors(d.variants)
    fig = ReportFigure(figsize=figsize, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1.2))
    for v in d.variants:
        if v in rates:
            top.plot(x, rates[v], color=colors[v], lw=2, marker="o", ms=3, label=v)
    top.set_ylabel("cumulative conversion rate" if binary else f"cumulative mean {metric}")
    if binary:
        top.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=1))
    top.set_title(f"{d.name or d.experiment}: {metric} over time", loc="left", fontsize=11)
    top.legend(frameon=False, fontsize=8.5, ncol=min(len(d.variants), 4))
    _style(top, grid="y")

    bottom.axhline(0, color=_ZERO, lw=1, ls="--")
    band_label = _band_label(d, frame)
    for v in d.variants[1:]:
        if v not in lifts:
            continue
        lift, low, high, sig = lifts[v]
        c = colors[v]
        if low is not None:
            # a one-sided interval is open (inf) on one side: fill up to far beyond the
            # axis (set from the finite values only) so the band reaches its edge
            band = (np.where(np.isneginf(low), -1e9, low), np.where(np.isposinf(high), 1e9, high))
            bottom.fill_between(x, *band, color=c, alpha=0.18, lw=0, step=None)
            bottom.plot(x, low, color=c, lw=0.8, alpha=0.6)
            bottom.plot(x, high, color=c, lw=0.8, alpha=0.6)
        bottom.plot(x, lift, color=c, lw=2, marker="o", ms=3, label=f"{v} lift")
        if sig is not None and np.any(sig):
            i = int(np.argmax(sig))
            bottom.axvline(x[i], color=c, lw=1, ls=":")
            bottom.plot([x[i]], [lift[i]], marker="*", ms=14, color=c, mec="black", zorder=5)
            bottom.annotate(
                f"{v} significant",
                xy=(x[i], lift[i]),
                xytext=(6, 8),
                textcoords="offset points",
                fontsize=8.5,
                color=c,
            )
    _clip_lift_axis(bottom, lifts)
    bottom.yaxis.set_major_formatter(PercentTicks())
    bottom.set_ylabel(f"relative lift vs {d.variants[0]}")
    bottom.set_xlabel("day" if _dated(x) else "look")
    handles, labels = bottom.get_legend_handles_labels()
    if band_label:
        handles.append(Line2D([], [], color="#999999", lw=8, alpha=0.35, solid_capstyle="butt"))
        labels.append(band_label)
    bottom.legend(handles, labels, frameon=False, fontsize=8.5, loc="upper right")
    _style(bottom, grid="y")
    if _dated(x):
        fig.autofmt_xdate(rotation=30, ha="right")
        for ax in (top, bottom):
            ax.xaxis.set_major_formatter(FuncFormatter(_short_date(ax)))
    return fig


def _clip_lift_axis(ax: Axes, lifts: dict[str, tuple]) -> None:
    """Keep the lift axis on the later looks: the first looks' intervals are so wide
    they would squash the rest; every point estimate and 0 stay in view."""
    values = [0.0]
    for lift, low, high, _sig in lifts.values():
        values += [float(v) for v in lift if math.isfinite(v)]
        if low is not None:
            start = len(low) // 4
            values += [float(v) for v in (*low[start:], *high[start:]) if math.isfinite(v)]
    lo, hi = min(values), max(values)
    pad = 0.1 * (hi - lo or 0.1)
    ax.set_ylim(lo - pad, hi + pad)


def _band_label(d: Any, looks: pd.DataFrame | None) -> str | None:
    if looks is None:
        return None
    # the level the looks were computed at (Bonferroni-split across arms and goals)
    level_value = float(looks["ci_level"].iloc[0]) if "ci_level" in looks.columns else 1 - d.alpha
    level = f"{level_value:.1%}".replace(".0%", "%")
    if "significant" not in looks.columns:  # a fixed-horizon design's daily intervals
        return f"{level} CI of each day's data (fixed horizon: decide on the last day)"
    if "boundary" in looks.columns:
        spending = vocabulary.SPENDING_LABELS[d.spending]
        sided = "" if getattr(d, "alternative", "two-sided") == "two-sided" else "one-sided "
        return f"{level} {sided}repeated CI ({spending} boundary)"
    return f"{level} confidence sequence"


def _series_from_looks(
    looks: pd.DataFrame, variants: Sequence[str]
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, tuple]]:
    rates: dict[str, np.ndarray] = {}
    lifts: dict[str, tuple] = {}
    x = None
    for v in variants[1:]:
        part = looks[looks["variant"] == v].sort_values("look")
        if part.empty:
            continue
        days = part["day"].tolist()
        if x is None:
            x = _x_values(days, part["look"].to_numpy())
            rates[variants[0]] = part["mean_control"].to_numpy(float)
        rates[v] = part["mean_variant"].to_numpy(float)
        lifts[v] = (
            part["lift"].to_numpy(float),
            part["lift_low"].to_numpy(float),
            part["lift_high"].to_numpy(float),
            part["significant"].to_numpy(bool) if "significant" in part.columns else None,
        )
    if x is None:
        raise ValueError("no looks to plot")
    return x, rates, lifts


def _series_from_summary(
    analysis: Analysis, metric: str
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, tuple]]:
    """Each day's cumulative rate per variant (:meth:`Summary.cumulative`) and the point
    lift: a Bayesian analysis of daily data, which has no per-day intervals to draw."""
    d = analysis.design
    days, arr = analysis.summary.cumulative(metric, list(d.variants), d.experiment)
    x = _x_values(days, np.arange(1, len(days) + 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = arr["sum"] / arr["n"]
        lift = mean[1:] / mean[0] - 1
    rates = dict(zip(d.variants, mean, strict=True))
    lifts = {v: (lift[j], None, None, None) for j, v in enumerate(d.variants[1:])}
    return x, rates, lifts


def _x_values(days: list, looks: np.ndarray) -> np.ndarray:
    if days and all(dd is not None and not fmt.missing(dd) for dd in days):
        try:
            return np.array(days, dtype="datetime64[D]")
        except (TypeError, ValueError):
            pass
    return np.asarray(looks)


def _dated(x: np.ndarray) -> bool:
    return np.issubdtype(np.asarray(x).dtype, np.datetime64)


def _short_date(ax: Axes):
    from matplotlib.dates import num2date

    def f(value: float, _pos: int) -> str:
        return num2date(value).strftime("%b %d")

    return f


# -- funnel ----------------------------------------------------------------------------------
