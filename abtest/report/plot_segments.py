"""The segments figure: a forest plot of the primary goal's lift per segment value (lead
source, device...), one row per (segment value, treatment), with the interval the
analysis computed at the level of its corrected decision; the heterogeneity test
(Cochran's Q) in the title. Read from :mod:`abtest.analysis.segments`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from abtest import formatting as fmt
from abtest.report.figure_style import ReportFigure, _style, variant_colors

if TYPE_CHECKING:
    from abtest.analysis import Analysis


def has_segments(analysis: Analysis) -> bool:
    s = analysis.segments
    return s is not None and not s.empty


def segments_plot(analysis: Analysis, *, figsize: tuple[float, float] | None = None) -> Figure:
    """Lift per segment value with its interval (filled: significant after correction)."""
    if not has_segments(analysis):
        raise ValueError("no segments: summarize(..., by='source') to plot lifts by segment")
    t = analysis.segments
    d = analysis.design
    colors = variant_colors(d.variants)
    columns = list(dict.fromkeys(t["segment"]))
    heights = [t[t["segment"] == c].shape[0] for c in columns]
    fig = ReportFigure(figsize=figsize or (7.5, 1.2 + 0.4 * sum(heights)), layout="constrained")
    axes = fig.subplots(len(columns), 1, squeeze=False, height_ratios=heights)[:, 0]
    for ax, col in zip(axes, columns, strict=True):
        part = t[t["segment"] == col].reset_index(drop=True)
        y = np.arange(len(part))[::-1]
        for i, r in part.iterrows():
            c = colors[r["variant"]]
            ax.plot([r["lift_low"], r["lift_high"]], [y[i]] * 2, color=c, lw=2)
            ax.plot(r["lift"], y[i], "o", color=c, mfc=c if r["significant"] else "white")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_yticks(y, [f"{r['value']} · {r['variant']}" for _, r in part.iterrows()])
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        p = part["heterogeneity_p"].iloc[0]
        ax.set_title(f"{d.primary} lift by {col} (differs? Cochran's Q {fmt.p_equals(p)})",
                     loc="left", fontsize=11)  # fmt: skip
        _style(ax, grid="x")
    return fig
