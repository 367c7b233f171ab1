"""The funnel and costs tables of a report, read from the analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from abtest import formatting as fmt
from abtest.report.view_model import Table

if TYPE_CHECKING:
    import pandas as pd

    from abtest.analysis import Analysis


def funnel_table(analysis: Analysis) -> Table | None:
    f = analysis.funnel
    if f is None or f.empty:
        return None
    header = ("step", "variant", "units", "of exposed", "from previous step")
    rows = []
    first_step = f["step"].iloc[0]
    for _, r in f.iterrows():
        rows.append(
            (
                str(r["step"]),
                str(r["variant"]),
                fmt.count(r["units"]),
                fmt.pct(r["rate_of_exposed"]),
                "" if r["step"] == first_step else fmt.pct(r["step_conversion"]),
            )
        )
    return Table(header, tuple(rows), ("l", "l", "r", "r", "r"))


def costs_table(analysis: Analysis) -> Table | None:
    c = analysis.costs
    if c is None or c.empty:
        return None
    d = analysis.design
    cur = d.currency
    level = fmt.level(1 - d.alpha)
    header = ("goal", "measure", "variant", "spend", "conversions", "value", f"{level} interval")
    rows = []
    for _, r in c.iterrows():  # (no guardrail that should fall: business.costed_goals)
        roi = r["measure"] == "ROI"
        measure = "ROI" if roi else f"cost per {r['metric']}"
        rows.append(
            (
                str(r["metric"]),
                measure,
                str(r["variant"]),
                fmt.money(r["spend"], cur),
                "" if roi else fmt.count(r.get("conversions")),
                fmt.pct(r["value"], signed=True) if roi else _money_or_none(r["value"], cur),
                fmt.interval(r["low"], r["high"])
                if roi
                else (
                    "" if fmt.missing(r["value"]) else fmt.money_interval(r["low"], r["high"], cur)
                ),
            )
        )
    return Table(header, tuple(rows), ("l", "l", "l", "r", "r", "r", "r"))


LEAD_QUALITY_TITLE = "Lead quality"
LEAD_QUALITY_NOTE = (
    "Step rates (e.g. customers per lead) are descriptive: they condition on a step the "
    "variant itself changed. The causal comparison is per exposed unit (right)."
)


def lead_quality_table(analysis: Analysis) -> Table | None:
    """Step-to-step rates with their intervals beside the per-exposed-unit lift."""
    f = analysis.lead_quality
    if f is None or f.empty:
        return None
    header = ("step", "variant", "step rate", "interval", "change", "p (descriptive)",
              "per exposed unit", "p (corrected)")  # fmt: skip
    rows = []
    for r in f.itertuples():
        control = not fmt.missing(r.step_rate) and fmt.missing(r.lift)
        rows.append(
            (
                f"{r.from_step} → {r.step}",
                str(r.variant),
                fmt.pct(r.step_rate),
                fmt.interval(r.step_low, r.step_high, signed=False),
                ""
                if control
                else f"{fmt.pct(r.lift, signed=True)} {fmt.interval(r.lift_low, r.lift_high)}",
                "" if control else fmt.p_value(r.p_value),
                ""
                if fmt.missing(r.per_exposed_lift)
                else f"{fmt.pct(r.per_exposed_lift, signed=True)} "
                f"{fmt.interval(r.per_exposed_low, r.per_exposed_high)}",
                "" if fmt.missing(r.per_exposed_p) else fmt.p_value(r.per_exposed_p),
            )
        )
    return Table(header, tuple(rows), ("l", "l", "r", "r", "r", "r", "r", "r"))


def _lift(lift: float, low: float, high: float) -> str:
    return "" if fmt.missing(lift) else f"{fmt.pct(lift, signed=True)} {fmt.interval(low, high)}"


TIME_TO_TITLE = "Time to conversion"


def time_to_table(analysis: Analysis) -> Table | None:
    """Median hours from first exposure to each goal per variant (Kaplan-Meier, 95%
    interval; "not reached" when fewer than half converted) and the log-rank p."""
    f = analysis.time_to_conversion
    if f is None or f.empty:
        return None
    header = ("goal", "variant", "units", "conversions", "median time", "95% interval",
              "log-rank p")  # fmt: skip
    rows = []
    for r in f.itertuples():
        rows.append(
            (
                str(r.metric),
                str(r.variant),
                fmt.count(r.units),
                fmt.count(r.conversions),
                _hours(r.median_hours),
                f"[{_hours(r.median_low)}, {_hours(r.median_high)}]",
                fmt.p_value(r.logrank_p_value),
            )
        )
    return Table(header, tuple(rows), ("l", "l", "r", "r", "r", "r", "r"))


def _hours(h: float) -> str:
    if fmt.missing(h):
        return "not reached"
    return f"{h:.0f} h" if h < 48 else f"{h / 24:.1f} d"


SEGMENTS_TITLE = "Segments"


def segments_table(analysis: Analysis) -> Table | None:
    """The primary goal's lift per segment value, corrected across the segment's values,
    with the segment's heterogeneity test."""
    f = analysis.segments
    if f is None or f.empty:
        return None
    header = ("segment", "variant", "units", "lift", "interval", "p (corrected)",
              "result", "differs? (Cochran's Q p)")  # fmt: skip
    rows = []
    for r in f.itertuples():
        rows.append(
            (
                f"{r.segment}: {r.value}",
                str(r.variant),
                f"{fmt.count(r.n_control)} / {fmt.count(r.n)}",
                fmt.pct(r.lift, signed=True),
                fmt.interval(r.lift_low, r.lift_high),
                fmt.p_value(r.p_adjusted),
                "significant" if r.significant else "",
                fmt.p_value(r.heterogeneity_p),
            )
        )
    return Table(header, tuple(rows), ("l", "l", "r", "r", "r", "r", "l", "r"))


COST_BY_SOURCE_TITLE = "Cost by source"
COST_BY_SOURCE_NOTE = (
    "Each source's spend is shared across the variants by their units from it; cost per "
    "conversion with its interval (Wilson, on the conversion rate). Descriptive: a "
    "source's few conversions make wide intervals."
)


def cost_by_source_table(analysis: Analysis) -> Table | None:
    """Per (source, variant): units, the shared spend, and for the primary goal and the
    funnel's last step (cost per lead, cost per customer) the conversions and the cost
    with its interval; "no conversions" where there are none. The other goals are in
    ``Analysis.cost_by_source``."""
    f = analysis.cost_by_source
    if f is None or f.empty:
        return None
    d = analysis.design
    cur = d.currency
    level = fmt.level(1 - d.alpha)
    goals = [analysis.primary]
    if d.funnel and d.funnel[-1] in set(f["metric"]) and d.funnel[-1] != analysis.primary:
        goals.append(d.funnel[-1])
    goals = [g for g in goals if g in set(f["metric"])]
    if not goals:
        return None
    first = f[f["metric"] == goals[0]].reset_index(drop=True)
    parts = [f[f["metric"] == g].reset_index(drop=True) for g in goals]
    header = [str(first["segment"].iloc[0]), "variant", "units", "spend"]
    for g in goals:
        header += [g, f"cost per {g} ({level} interval)"]
    rows = []
    for i, r in first.iterrows():
        paid = not fmt.missing(r["spend"])
        cells = [str(r["source"]), str(r["variant"]), fmt.count(r["units"]),
                 fmt.money(r["spend"], cur) if paid else "not configured"]  # fmt: skip
        for part in parts:
            g = part.iloc[i]
            cells += [fmt.count(g["conversions"]), _cost(g, cur) if paid else ""]
        rows.append(tuple(cells))
    align = ("l", "l") + ("r",) * (len(header) - 2)
    return Table(tuple(header), tuple(rows), align)


def _money_or_none(value: float, currency: str) -> str:
    """A cost, or "no conversions" where there is none (as in the cost by source)."""
    return "no conversions" if fmt.missing(value) else fmt.money(value, currency)


def _cost(r: pd.Series, currency: str) -> str:
    """``$24.00 [$18.10, $31.90]``; ``$0.00`` for a free source; "no conversions" (never
    ∞ or a dash)."""
    if r["conversions"] == 0 or fmt.missing(r["cost"]):
        return "no conversions"
    if r["spend"] == 0:
        return fmt.money(0.0, currency)
    interval = fmt.money_interval(r["cost_low"], r["cost_high"], currency)
    return f"{fmt.money(r['cost'], currency)} {interval}"
