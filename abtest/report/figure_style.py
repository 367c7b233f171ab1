"""What every abtest figure shares: the Jupyter-aware Figure class, the
variant colours, export to PNG / data URI, and the axis style helpers."""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure
from matplotlib.ticker import Formatter

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from abtest.analysis import Analysis


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


class PercentTicks(Formatter):
    """Fractions as percentages with as many decimals as the tick spacing needs:
    ticks every 2.5% read ``2.5%, 5.0%, 7.5%``, never rounded to ``2%, 5%, 8%``.

    >>> f = PercentTicks()
    >>> f.format_ticks([0.0, 0.025, 0.05, 0.075])
    ['0.0%', '2.5%', '5.0%', '7.5%']
    >>> f.format_ticks([-0.1, 0.0, 0.1])
    ['-10%', '0%', '10%']
    """

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        self._decimals = _decimals_for(values)
        return [self(v) for v in values]

    def __call__(self, x: float, pos: int | None = None) -> str:
        decimals = getattr(self, "_decimals", None)
        if decimals is None:
            axis = getattr(self, "axis", None)
            decimals = _decimals_for(axis.get_majorticklocs() if axis is not None else [x])
        return f"{x * 100:.{decimals}f}%"


def _decimals_for(values: Sequence[float]) -> int:
    """The fewest decimals (of a percentage) that tell the ticks' spacing exactly."""
    ticks = sorted(float(v) * 100 for v in values)
    steps = [b - a for a, b in itertools.pairwise(ticks) if b > a]
    if not steps:
        return 0
    step = min(steps)
    for decimals in range(4):
        if abs(round(step, decimals) - step) < 1e-6 * max(abs(step), 1):
            return decimals
    return 4


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
