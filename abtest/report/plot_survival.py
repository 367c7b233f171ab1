"""The time-to-conversion figure: per goal, the share of units converted by each time
since first exposure (1 - the Kaplan-Meier survival curve), one step curve per variant
with its 95% band shaded, read from the analysis (:mod:`abtest.analysis.time_to`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from abtest import formatting as fmt
from abtest.report.figure_style import ReportFigure, _style, variant_colors

if TYPE_CHECKING:
    from abtest.analysis import Analysis


def has_time_to(analysis: Analysis) -> bool:
    t = analysis.time_to_conversion
    return t is not None and not t.empty and bool(t.attrs.get("curves"))


def time_plot(analysis: Analysis, *, figsize: tuple[float, float] | None = None) -> Figure:
    """Cumulative conversion by time since first exposure, per goal and variant."""
    if not has_time_to(analysis):
        raise ValueError(
            "no time-to-conversion data: set time_to_conversion: true on a goal (or "
            "summarize(..., time_to=[goal])) to plot one"
        )
    table = analysis.time_to_conversion
    curves: dict[tuple[str, str], Any] = table.attrs["curves"]
    metrics = list(dict.fromkeys(table["metric"]))
    d = analysis.design
    colors = variant_colors(d.variants)
    fig = ReportFigure(figsize=figsize or (7.5, 3.2 * len(metrics)), layout="constrained")
    for i, metric in enumerate(metrics):
        ax = fig.add_subplot(len(metrics), 1, i + 1)
        drawn = {v: km for v in d.variants if (km := curves.get((metric, v))) is not None}
        drawn = {v: km for v, km in drawn.items() if len(km.time)}
        # one unit for every curve of the axis: days once any curve passes 72 hours
        days = any(float(np.max(km.time)) > 72 for km in drawn.values())
        scale = 24.0 if days else 1.0
        for v, km in drawn.items():
            t = np.concatenate([[0.0], np.asarray(km.time, dtype=float)])
            share = 1 - np.concatenate([[1.0], np.asarray(km.survival, dtype=float)])
            low = 1 - np.concatenate([[1.0], np.asarray(km.upper, dtype=float)])
            high = 1 - np.concatenate([[1.0], np.asarray(km.lower, dtype=float)])
            color = colors[v]
            ax.step(t / scale, share, where="post", color=color, lw=1.8, label=v)
            ax.fill_between(t / scale, low, high, step="post", color=color, alpha=0.15, lw=0)
        row = table[table["metric"] == metric]
        p = row["logrank_p_value"].iloc[0]
        ax.set_title(f"{metric}: converted by time since first exposure "
                     f"(log-rank {fmt.p_equals(p)})", loc="left", fontsize=11)  # fmt: skip
        ax.set_xlabel("days" if days else "hours")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
        ax.legend(frameon=False, fontsize=9, loc="lower right")
        _style(ax, grid="y")
    return fig
