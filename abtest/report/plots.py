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

import base64
import io
import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from abtest.report import format as fmt

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from abtest.analysis import Analysis

KINDS = ("lift", "posterior", "timeline", "funnel")


class ReportFigure(Figure):
    """A matplotlib Figure that also displays itself in Jupyter (``_repr_png_``)
    without ``pyplot`` or ``%matplotlib inline``."""

    def _repr_png_(self) -> bytes:
        return to_png(self)


PALETTE = (
    "#4D4D4D",  # control: dark grey
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # green
    "#CC79A7",  # purple
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#B8A000",  # olive
)
"""Okabe-Ito colours (readable with colour-vision deficiencies), control in grey."""

_GRID = "#E6E6E6"
_ZERO = "#888888"


def variant_colors(variants: Sequence[str]) -> dict[str, str]:
    """A colour per variant by position (control first), the same in every plot.

    >>> variant_colors(["control", "b"])
    {'control': '#4D4D4D', 'b': '#0072B2'}
    """
    out = {}
    for i, v in enumerate(variants):
        out[v] = PALETTE[i] if i < len(PALETTE) else PALETTE[1 + (i - 1) % (len(PALETTE) - 1)]
    return out


def plot(analysis: Analysis, kind: str = "lift", **kwargs: Any) -> Figure:
    """The figure ``kind`` (``"lift"``, ``"posterior"``, ``"timeline"``, ``"funnel"``)
    of ``analysis``; keyword arguments go to that plot's function."""
    funcs = {
        "lift": lift_plot,
        "posterior": posterior_plot,
        "timeline": timeline_plot,
        "funnel": funnel_plot,
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
    return kinds


def to_data_uri(fig: Figure, image_format: str = "png", *, dpi: int = 110) -> str:
    """The figure as a ``data:`` URI for an ``<img src=...>`` (``png`` or ``svg``)."""
    if image_format not in ("png", "svg"):
        raise ValueError(f"image_format={image_format!r}: use 'png' or 'svg'")
    buf = io.BytesIO()
    fig.savefig(buf, format=image_format, dpi=dpi, metadata=_no_date(image_format))
    mime = "image/png" if image_format == "png" else "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def to_png(fig: Figure, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (reproducible: no software stamp)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata=_no_date("png"))
    return buf.getvalue()


def _no_date(image_format: str) -> dict[str, Any]:
    # reproducible output: no creation date / software stamp in the file
    return {"Date": None} if image_format == "svg" else {"Software": None}


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
        return f"{d.metric(metric).name or metric}{tag}{' · ' + lv if lv else ''}"

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
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=_decimals(hi - lo)))
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


def _decimals(span: float) -> int:
    return 0 if span >= 0.2 else 1 if span >= 0.02 else 2


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
    from scipy.stats import beta

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
    lo = float(np.min(beta.ppf(0.0005, a, b)))
    hi = float(np.max(beta.ppf(0.9995, a, b)))
    x = np.linspace(lo, hi, 600)
    res = analysis.results
    rows = res[res["metric"] == metric].set_index("variant")
    colors = variant_colors(d.variants)
    fig = ReportFigure(figsize=figsize or (8.0, 3.8 + 0.2 * len(d.variants)), layout="constrained")
    ax = fig.add_subplot()
    for i, v in enumerate(d.variants):
        y = beta.pdf(x, a[i], b[i])
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


# -- timeline --------------------------------------------------------------------------------
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
    comparison became significant. Otherwise it needs daily cumulative rows in
    the Summary and shows the point lift only.
    """
    d = analysis.design
    metric = metric or analysis.primary
    binary = _binary(analysis, metric)
    looks = analysis.looks
    if looks is not None and not looks.empty and int(looks["look"].max()) > 1:
        frame = looks[looks["metric"] == metric]
        if frame.empty:
            raise ValueError(f"no sequential looks for metric {metric!r}")
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
            bottom.fill_between(x, low, high, color=c, alpha=0.18, lw=0, step=None)
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
    bottom.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
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
    if "boundary" in looks.columns:
        spending = "O'Brien-Fleming" if d.spending == "obrien-fleming" else "Pocock"
        return f"{level} repeated CI ({spending} boundary)"
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
            part["significant"].to_numpy(bool),
        )
    if x is None:
        raise ValueError("no looks to plot")
    return x, rates, lifts


def _series_from_summary(
    analysis: Analysis, metric: str
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, tuple]]:
    d = analysis.design
    f = analysis.summary.frame
    rows = f[(f["experiment"] == d.experiment) & (f["metric"] == metric)]
    wide_n = rows.pivot_table(index="day", columns="variant", values="n", aggfunc="sum")
    wide_s = rows.pivot_table(index="day", columns="variant", values="sum", aggfunc="sum")
    wide_n, wide_s = wide_n.sort_index().ffill(), wide_s.sort_index().ffill()
    days = list(wide_n.index)
    x = _x_values(days, np.arange(1, len(days) + 1))
    rates = {}
    for v in d.variants:
        if v in wide_n.columns:
            with np.errstate(invalid="ignore", divide="ignore"):
                rates[v] = (wide_s[v] / wide_n[v]).to_numpy(float)
    lifts = {}
    control = d.variants[0]
    for v in d.variants[1:]:
        if v in rates and control in rates:
            with np.errstate(invalid="ignore", divide="ignore"):
                lifts[v] = (rates[v] / rates[control] - 1, None, None, None)
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
        figsize=figsize or (max(8.0, 2.2 * len(steps) + 3), 4.4), layout="constrained"
    )
    left, right = fig.subplots(1, 2, width_ratios=(len(steps), max(len(steps) - 1, 1)))
    pos = np.arange(len(steps))
    for j, v in enumerate(variants):
        part = f[f["variant"] == v].set_index("step").reindex(steps)
        rate = part["rate_of_exposed"].to_numpy(float)
        bars = left.bar(
            pos + (j - (k - 1) / 2) * width, rate, width * 0.95, color=colors[v], label=v
        )
        left.bar_label(bars, labels=[_bar_pct(r) for r in rate], fontsize=7.5, padding=2)
        conv = part["step_conversion"].to_numpy(float)[1:]
        if len(steps) > 1:
            bars = right.bar(
                pos[1:] - 1 + (j - (k - 1) / 2) * width,
                conv,
                width * 0.95,
                color=colors[v],
                label=v,
            )
            right.bar_label(bars, labels=[_bar_pct(r) for r in conv], fontsize=7.5, padding=2)
    left.set_xticks(pos, steps)
    left.set_ylabel("share of exposed units")
    left.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    left.set_title(f"{d.name or d.experiment}: funnel", loc="left", fontsize=11)
    left.set_ylim(0, 1.1)
    left.legend(frameon=False, fontsize=8.5)
    _style(left, grid="y")
    if len(steps) > 1:
        right.set_xticks(pos[1:] - 1, [f"{a} → {b}" for a, b in itertools.pairwise(steps)])
        top = np.nanmax(f["step_conversion"].to_numpy(float)[len(variants) :], initial=0.0)
        right.set_ylim(0, max(top * 1.18, 0.05))
        right.set_title("step-to-step conversion", loc="left", fontsize=11)
        right.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        _style(right, grid="y")
    else:
        right.set_visible(False)
    return fig


def _bar_pct(x: float) -> str:
    if fmt.missing(x):
        return ""
    return f"{x:.0%}" if x >= 0.995 else f"{x:.1%}" if x >= 0.1 else f"{x:.2%}"


# -- helpers ---------------------------------------------------------------------------------
def _style(ax: Axes, *, grid: str) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid, color=_GRID, lw=0.8)
    ax.set_axisbelow(True)


def _control_mask(res: pd.DataFrame, d: Any) -> Any:
    if "is_control" in res.columns:
        return res["is_control"].astype(bool)
    return res["variant"] == d.variants[0]


def _metric_order(analysis: Analysis, metrics: Sequence[str] | None) -> list[str]:
    known = list(dict.fromkeys(analysis.results["metric"]))
    if metrics is not None:
        unknown = [m for m in metrics if m not in known]
        if unknown:
            raise ValueError(f"metric(s) {', '.join(unknown)} not in the analysis ({known})")
        return list(metrics)
    order = [m.id for m in analysis.design.metrics or () if m.id in known]
    order += [m for m in known if m not in order]
    order.sort(key=lambda m: m != analysis.primary)
    return order


def _binary(analysis: Analysis, metric: str) -> bool:
    try:
        return analysis.summary.kind(metric, analysis.design.experiment) == "binary"
    except KeyError:
        return False
