"""Plots: each returns a Figure with the expected artists, and saves as PNG and SVG."""

from __future__ import annotations

import matplotlib.colors as mcolors
import pytest
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from abtest.report.figure_style import PercentTicks
from abtest.report.plots import PALETTE, available_plots, plot, variant_colors


def errorbars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def test_lift_forest_one_errorbar_per_variant_and_goal(multi):
    fig = plot(multi, "lift")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    bars = errorbars(ax)
    treatments = len(multi.design.variants) - 1
    assert len(bars) == treatments * len(multi.design.metrics) == 8
    assert isinstance(ax.xaxis.get_major_formatter(), PercentTicks)
    assert any(list(line.get_xdata()) == [0, 0] for line in ax.lines)  # vertical line at 0
    assert "relative lift vs control" in ax.get_xlabel()
    # significant comparisons are filled, the others hollow
    table = multi.results[~multi.results["is_control"]]
    filled = [mcolors.to_hex(b.lines[0].get_markerfacecolor()) != "#ffffff" for b in bars]
    assert sum(filled) == int(table["significant"].sum()) == 2


def test_lift_colours_follow_variant_order(multi, group_sequential):
    colours = variant_colors(multi.design.variants)
    assert colours == dict(zip(("control", "c", "b"), PALETTE[:3], strict=True))
    ax = plot(multi, "lift").axes[0]
    used = {mcolors.to_hex(b.lines[0].get_color()) for b in errorbars(ax)}
    assert used == {PALETTE[1].lower(), PALETTE[2].lower()}
    # the same position gets the same colour in another plot of another experiment
    top = plot(group_sequential, "timeline").axes[0]
    assert [mcolors.to_hex(line.get_color()) for line in top.lines] == [
        p.lower() for p in PALETTE[:2]
    ]


def test_lift_single_comparison(udacity):
    ax = plot(udacity).axes[0]
    assert len(errorbars(ax)) == 1
    assert "95% confidence intervals" in ax.get_xlabel()


def test_posterior_one_density_per_variant(bayesian_like):
    fig = plot(bayesian_like, "posterior")
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    assert isinstance(ax.xaxis.get_major_formatter(), PercentFormatter)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0].startswith("control: 12.04% of 145,274, P(best) 90.5%")
    lo, hi = ax.get_xlim()
    assert lo < 17264 / 145310 < 17489 / 145274 < hi


def test_posterior_refuses_value_metrics(multi):
    with pytest.raises(ValueError, match="binary"):
        plot(multi, "posterior", metric="revenue")


def test_timeline_from_sequential_looks(group_sequential):
    fig = plot(group_sequential, "timeline")
    top, bottom = fig.axes
    assert len(top.lines) == 2  # a cumulative rate per variant
    assert len(bottom.collections) == 1  # the interval band of the one treatment
    labels = bottom.get_legend_handles_labels()[1]
    assert "b lift" in labels
    assert any("repeated CI" in t.get_text() for t in bottom.get_legend().get_texts())
    assert any("significant" in t.get_text() for t in bottom.texts)
    assert isinstance(bottom.yaxis.get_major_formatter(), PercentTicks)


def test_timeline_always_valid_band(sequential_daily):
    bottom = plot(sequential_daily, "timeline").axes[1]
    assert any("confidence sequence" in t.get_text() for t in bottom.get_legend().get_texts())


def test_timeline_from_daily_summary_without_sequential():
    import abtest

    from .conftest import daily_summary

    a = abtest.analyze(daily_summary())
    top, bottom = plot(a, "timeline").axes
    # each day's fixed-horizon interval as a band, at the table row's level (the last
    # day's is the table's), and no day marked significant: only the last decides
    assert len(top.lines) == 2 and len(bottom.collections) == 1
    last = a.timeline.iloc[-1]
    row = a.table().set_index("variant").iloc[1]
    assert (last["lift_low"], last["lift_high"]) == pytest.approx(
        (row["lift_low"], row["lift_high"]), rel=1e-12
    )
    legend = [t.get_text() for t in bottom.get_legend().get_texts()]
    assert "95% CI of each day's data (fixed horizon: decide on the last day)" in legend
    assert not any("significant" in t.get_text() for t in bottom.texts)


def test_lift_ticks_keep_the_decimals_their_spacing_needs():
    # ticks every 2.5% once read "2%, 5%, 8%"
    assert PercentTicks().format_ticks([0.025, 0.05, 0.075]) == ["2.5%", "5.0%", "7.5%"]


def test_timeline_needs_data_over_time(udacity):
    assert "timeline" not in available_plots(udacity)
    with pytest.raises(ValueError, match="daily"):
        plot(udacity, "timeline")


def test_funnel_one_bar_per_step_and_variant(multi):
    fig = plot(multi, "funnel")
    left, right = fig.axes
    steps = multi.funnel["step"].nunique()
    assert len(left.patches) == steps * len(multi.design.variants) == 9
    assert len(right.patches) == (steps - 1) * len(multi.design.variants)
    assert [t.get_text() for t in left.get_xticklabels()] == ["visitor", "click", "signup"]
    # readable labels (7.5 pt before) and a log scale, so that a 0.5% step is not a sliver
    assert left.get_yscale() == "log"
    assert min(t.get_fontsize() for t in left.texts) >= 9
    assert min(t.get_fontsize() for t in left.get_xticklabels()) >= 10


def test_unknown_kind(udacity):
    with pytest.raises(ValueError, match="lift, posterior, timeline, funnel"):
        plot(udacity, "pie")


def test_available_plots(multi, group_sequential, bayesian_like):
    assert available_plots(multi) == ["lift", "funnel"]
    assert available_plots(group_sequential) == ["lift", "timeline"]
    assert available_plots(bayesian_like) == ["lift", "posterior"]


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_save(multi, tmp_path, suffix):
    path = tmp_path / f"lift.{suffix}"
    multi.plot("lift").savefig(path)
    head = path.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in head or b"<?xml" in head
