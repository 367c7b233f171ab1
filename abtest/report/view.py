"""What a report of one :class:`~abtest.analysis.Analysis` shows, as plain strings.

Text, Markdown and HTML all render the same :class:`ReportView`, so the three
formats never disagree. Building it only reads the analysis (DESIGN.md:
reports never compute statistics); the arithmetic here is presentation only
(shares of traffic, conversions = rate × units for display).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from abtest import formatting as fmt
from abtest import vocabulary
from abtest.report.business_tables import (
    COST_BY_SOURCE_NOTE,
    COST_BY_SOURCE_TITLE,
    LEAD_QUALITY_NOTE,
    LEAD_QUALITY_TITLE,
    SEGMENTS_TITLE,
    TIME_TO_TITLE,
    cost_by_source_table,
    costs_table,
    funnel_table,
    lead_quality_table,
    segments_table,
    time_to_table,
)
from abtest.report.checks import report_checks
from abtest.report.view_model import (
    GroupView,
    MetricView,
    ReportView,
    Section,
    Table,
    look_cell,
    present,
    shares,
)
from abtest.vocabulary import CORRECTION_LABELS

if TYPE_CHECKING:
    import pandas as pd

    from abtest.analysis import Analysis, Design
    from abtest.data.model import Quantile

KIND_ORDER = ("micro", "macro", "value", "quantile")
KIND_TITLES = {
    "micro": "Micro-conversions",
    "macro": "Macro-conversions",
    "value": "Value goals",
    "quantile": "Quantile goals",
}
METHOD_LABELS = {
    "frequentist": "frequentist",
    "bayesian": "Bayesian",
    "sequential": "sequential",
}


def variant_label(design: Design, variant: str) -> str:
    """``'b "Short form"'`` when the variant has a display name, else its id."""
    name = design.variant_names.get(variant)
    return f'{variant} "{name}"' if name and name != variant else variant


def metric_label(design: Design, metric: str) -> str:
    """``"Demo request (demo_request)"`` when the goal has a name, else its id."""
    name = design.metric(metric).name
    return f"{name} ({metric})" if name and name != metric else metric


def method_label(design: Design, correction: str | None = None) -> str:
    """``"frequentist, α = 0.05, Holm correction"`` and the like; ``correction`` is the
    one applied when it differs from the design's (sequential designs: Bonferroni)."""
    parts = [METHOD_LABELS.get(design.method, design.method)]
    if design.method == "sequential":
        if design.looks:
            spending = vocabulary.SPENDING_LABELS[design.spending]
            parts[0] = f"group sequential ({design.looks} looks, {spending} spending)"
        else:
            parts[0] = "sequential (always-valid, safe to peek)"
    if design.method == "bayesian":
        parts.append(f"decide at P(best) ≥ {fmt.level(design.prob_best_threshold)}")
        if design.loss_threshold is not None:
            parts.append(f"expected loss ≤ {design.loss_threshold:.2g}")
    else:
        sided = {
            "larger": " one-sided (treatment > control)",
            "smaller": " one-sided (treatment < control)",
        }
        parts.append(f"α = {design.alpha:g}{sided.get(design.alternative, '')}")
        applied = correction or design.correction
        label = CORRECTION_LABELS.get(applied, applied)  # "no correction" says it already
        label += "" if label.endswith("correction") else " correction"
        if applied != design.correction:
            asked = CORRECTION_LABELS.get(design.correction, design.correction)
            label += f" (sequential tests apply it where the design asks for {asked})"
        parts.append(label)
    return ", ".join(parts)


def good_direction(design: Design, metric: str) -> str:
    """The metric's good direction (:meth:`Design.good_direction`)."""
    return design.good_direction(metric)


def build_view(analysis: Analysis) -> ReportView:
    """The :class:`ReportView` of one analysis."""
    d = analysis.design
    verdict = f"Winner: {analysis.winner}" if analysis.winner is not None else "No winner"
    return ReportView(
        experiment=d.experiment,
        title=d.name or d.experiment,
        hypothesis=d.hypothesis,
        meta=_meta(analysis),
        winner=analysis.winner,
        verdict=verdict,
        reason=analysis.reason,
        groups=_groups(analysis),
        checks=report_checks(analysis),
        funnel=funnel_table(analysis),
        costs=costs_table(analysis),
        currency=d.currency,
        lead_quality=lead_quality_table(analysis),
        time_to=time_to_table(analysis),
        segments=segments_table(analysis),
        cost_by_source=cost_by_source_table(analysis),
    )


# -- pieces ----------------------------------------------------------------------------------
def _meta(analysis: Analysis) -> tuple[tuple[str, str], ...]:
    d = analysis.design
    weights = shares(d)
    variants = " · ".join(
        f"{variant_label(d, v)} {w:.0%}" for v, w in zip(d.variants or (), weights, strict=False)
    )
    rows = [
        ("Experiment", d.experiment),
        ("Method", method_label(d, analysis.correction)),
        ("Variants", variants),
        *analysis.notes,
    ]
    if d.status:
        rows.append(("Status", d.status))
    if d.start or d.end:
        rows.append(("Dates", f"{_day(d.start)} → {_day(d.end) if d.end else 'open'}"))
    return tuple(rows)


def _day(x: date | None) -> str:
    return x.isoformat() if x is not None else "?"


def _groups(analysis: Analysis) -> tuple[GroupView, ...]:
    res = analysis.results
    d = analysis.design
    order = [m.id for m in d.metrics or ()]
    order += [m for m in dict.fromkeys(res["metric"]) if m not in order]
    primary = analysis.primary
    order.sort(key=lambda m: m != primary)  # stable: primary first, then design order
    by_kind: dict[str, list[MetricView]] = {}
    for metric in order:
        rows = res[res["metric"] == metric]
        if rows.empty:
            continue
        kind = str(rows["kind"].iloc[0]) if "kind" in rows.columns else d.metric(metric).kind
        by_kind.setdefault(kind, []).append(_metric_view(analysis, metric, kind, rows))
    kinds = [k for k in KIND_ORDER if k in by_kind] + [k for k in by_kind if k not in KIND_ORDER]
    return tuple(GroupView(k, KIND_TITLES.get(k, k.capitalize()), tuple(by_kind[k])) for k in kinds)


def _is_sequence(analysis: Analysis) -> bool:
    """Whether the intervals are confidence sequences: the always-valid test ran (a
    sequential design without looks, or with looks but no plan to place them)."""
    return analysis.test == "always valid"


def _interval_name(analysis: Analysis) -> str:
    if analysis.design.method == "bayesian":
        return "CrI"
    return "CS" if _is_sequence(analysis) else "CI"


def _quantile(analysis: Analysis, metric: str) -> Quantile:
    """The quantile goal's statistic, from the order statistics it was tested on."""
    from abtest.data.model import Quantile

    rows = analysis.summary.order_stats(metric, analysis.design.experiment)
    return Quantile(float(rows["q"].iloc[0]), str(rows["among"].iloc[0]))


def _metric_view(analysis: Analysis, metric: str, kind: str, rows: pd.DataFrame) -> MetricView:
    d = analysis.design
    binary = kind not in ("value", "quantile")
    # a quantile goal (e.g. p50 among converters): the columns "converters" and "p50"
    quantile = _quantile(analysis, metric) if kind == "quantile" else None
    statistic = quantile.describe() if quantile is not None else ""
    bayes = "prob_best" in rows.columns
    control_mask = _is_control(rows, d)
    has_treatments = not all(control_mask)
    levels = sorted(set(rows["ci_level"].dropna().round(12))) if "ci_level" in rows.columns else []
    # one level for every row (else a column gives each row's: Holm's step-down levels)
    ci = fmt.level(levels[0]) if len(levels) == 1 else ""
    ci_head = f"{ci} {_interval_name(analysis)}".strip()
    adjusted = (
        not bayes
        and "p_adjusted" in rows.columns
        and analysis.correction != "none"
        and _family_size(analysis, rows) > 1
    )
    p_name = "always-valid p" if _is_sequence(analysis) else "p"
    at_look = _has_looks(rows)
    if quantile is not None:
        header = ["variant", quantile.among, quantile.label]
    else:
        header = ["variant", "units"]
        header += ["conversions", "rate"] if binary else ["mean"]
    header += ["lift", ci_head] + (["level"] if len(levels) > 1 else [])
    if bayes:
        header += [vocabulary.beat_label(good_direction(d, metric)), "P(best)", "expected loss"]
    else:
        header += [p_name] + (
            [f"p ({CORRECTION_LABELS.get(analysis.correction, analysis.correction)})"]
            if adjusted
            else []
        )
    if at_look:
        header.append("look")
    header.append("result")

    direction = good_direction(d, metric)
    body, marks = [], []
    for (_, r), is_control in zip(rows.iterrows(), control_mask, strict=True):
        cells = [str(r["variant"]), fmt.count(r["n"])]
        if binary:
            cells += [fmt.count(float(r["mean"]) * float(r["n"])), fmt.pct(r["mean"])]
        else:
            cells += [fmt.number(r["mean"])]
        if is_control:
            cells += ["", ""] + ([""] if len(levels) > 1 else [])
        else:
            cells += [fmt.pct(r["lift"], signed=True), fmt.interval(r["lift_low"], r["lift_high"])]
            if len(levels) > 1:
                cells.append(fmt.level(r["ci_level"]))
        if bayes:
            cells += [
                "" if is_control else fmt.probability(r["prob_beat_control"]),
                fmt.probability(r["prob_best"]),
                fmt.number(r["expected_loss"], digits=2),
            ]
        else:
            cells.append("" if is_control else fmt.p_value(r["p_value"]))
            if adjusted:
                cells.append("" if is_control else fmt.p_value(r["p_adjusted"]))
        if at_look:
            cells.append(look_cell(r, rows[control_mask].iloc[0], is_control, binary))
        mark = "control" if is_control else _result(r, direction)
        cells.append({"control": "control", "better": "better", "worse": "worse"}.get(mark, ""))
        body.append(tuple(cells))
        marks.append(mark)

    align = tuple("l" if i == 0 or h in ("result",) else "r" for i, h in enumerate(header))
    notes = []
    if metric == analysis.primary:
        notes.append("primary goal")
    if statistic:
        notes.append(f"{statistic}, order-statistic intervals")
    guardrail = any(g.metric == metric for g in d.guardrails)
    low = direction == "decrease"  # (a goal of a design for a decrease is no guardrail)
    if guardrail:
        notes.append("guardrail: lower is better" if low else "guardrail")
    elif low:
        notes.append("lower is better")
    if levels and has_treatments:
        notes.append(f"{ci or 'per-row'} {_interval_long(analysis)}")
        if len(levels) > 1:
            step = CORRECTION_LABELS.get(analysis.correction, analysis.correction)
            notes.append(f"each row's interval at the level of the {step} step that decided it")
        if d.method == "sequential":
            notes.append(
                "each comparison read at its deciding look: the first that crossed its "
                "boundary, else the latest"
                + (" (units, rates and lift of that look)" if at_look else "")
            )
    if bayes and binary and has_treatments:
        # the lift is of the posterior mean rates (prior pseudo-counts included), which
        # the observed rates beside it are not: 10/200 -> 22/200 is +120% observed,
        # +109.1% of the posterior means
        a, b = (f"{x:g}" for x in d.prior)
        notes.append(f"lift and its interval of the posterior rates (prior Beta({a}, {b})), "
                     "the rates as observed")  # fmt: skip
    cuped = _cuped_note(rows[[not c for c in control_mask]], binary)
    if cuped:
        notes.append(cuped)
    return MetricView(
        metric=metric,
        label=metric_label(d, metric),
        kind=kind,
        primary=metric == analysis.primary,
        note="; ".join(notes),
        table=Table(tuple(header), tuple(body), align, tuple(marks)),
    )


def _cuped_note(treatments: pd.DataFrame, binary: bool) -> str:
    """Say which lifts and intervals are CUPED-adjusted and the variance reduction the
    covariate achieved (negative when it added variance); "" where none was adjusted."""
    if "variance_reduction" not in treatments.columns:
        return ""
    cut = treatments["variance_reduction"]
    done = cut.notna()
    if not done.any():
        return ""
    lo, hi = f"{cut[done].min():.0%}", f"{cut[done].max():.0%}"
    share = lo if lo == hi else f"{lo} to {hi}"
    which = (
        "lift and interval"
        if done.all()
        else ("lift and interval of " + ", ".join(map(str, treatments.loc[done, "variant"])))
    )
    shown = "rates" if binary else "means"
    return (
        f"CUPED: {which} adjusted by the pre-period covariate (variance reduction "
        f"{share}; {shown} shown unadjusted)"
    )


def _interval_long(analysis: Analysis) -> str:
    method = analysis.design.method
    if method == "bayesian":
        return "credible intervals"
    if _is_sequence(analysis):
        return "confidence sequences (valid at every look)"
    if method == "sequential":
        return "repeated confidence intervals"
    return "confidence intervals"


def _is_control(rows: pd.DataFrame, d: Design) -> list[bool]:
    if "is_control" in rows.columns:
        return [bool(x) for x in rows["is_control"]]
    control = d.variants[0] if d.variants else None
    return [v == control for v in rows["variant"]]


def _family_size(analysis: Analysis, rows: pd.DataFrame) -> int:
    res = analysis.results
    if "family" not in res.columns:
        return len(rows) - 1
    family = rows["family"].iloc[0]
    same = res[res["family"] == family]
    return int(sum(not c for c in _is_control(same, analysis.design)))


def _result(r: Any, direction: str) -> str:
    if not bool(r.get("significant", False)) or fmt.missing(r.get("diff")):
        return ""
    if not fmt.missing(r.get("prob_beat_control")):  # Bayesian: the side of the threshold
        # (the chance to be better: below the control where lower is better)
        return "better" if float(r["prob_beat_control"]) > 0.5 else "worse"
    up = float(r["diff"]) > 0
    return "better" if up == (direction == "increase") else "worse"


def _has_looks(rows: pd.DataFrame) -> bool:
    """Whether the rows come from dated sequential looks (a ``look_day`` column)."""
    return "look_day" in rows.columns and any(present(x) for x in rows["look_day"])


def sections(view: ReportView) -> tuple[Section, ...]:
    """The tables after the checks that the view has, in reading order, with their titles
    and notes: the one list the text, Markdown and HTML reports render."""
    cur = view.currency
    candidates = (
        Section("Funnel", "", "funnel", view.funnel),
        Section(TIME_TO_TITLE, "", "time-to", view.time_to),
        Section(SEGMENTS_TITLE, "", "segments", view.segments),
        Section(LEAD_QUALITY_TITLE, LEAD_QUALITY_NOTE, "lead-quality", view.lead_quality),
        Section(f"Costs ({cur})", "", "costs", view.costs),
        Section(
            f"{COST_BY_SOURCE_TITLE} ({cur})", COST_BY_SOURCE_NOTE, "cost-by-source",
            view.cost_by_source,
        ),
    )  # fmt: skip
    return tuple(s for s in candidates if s.table is not None)
