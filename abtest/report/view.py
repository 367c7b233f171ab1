"""What a report of one :class:`~abtest.analysis.Analysis` shows, as plain strings.

Text, Markdown and HTML all render the same :class:`ReportView`, so the three
formats never disagree. Building it only reads the analysis (DESIGN.md:
reports never compute statistics); the arithmetic here is presentation only
(shares of traffic, conversions = rate × units for display).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from abtest import vocabulary
from abtest.report import format as fmt
from abtest.vocabulary import CORRECTION_LABELS

if TYPE_CHECKING:
    import pandas as pd

    from abtest.analysis import Analysis, Design

KIND_ORDER = ("micro", "macro", "value")
KIND_TITLES = {
    "micro": "Micro-conversions",
    "macro": "Macro-conversions",
    "value": "Value goals",
}
METHOD_LABELS = {
    "frequentist": "frequentist",
    "bayesian": "Bayesian",
    "sequential": "sequential",
}


@dataclass(frozen=True)
class Table:
    """A table of display strings.

    ``align`` holds ``"l"`` or ``"r"`` per column; ``marks`` one CSS-ish tag
    per row (``""``, ``"control"``, ``"better"``, ``"worse"``, ``"alarm"``).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...]
    marks: tuple[str, ...] = ()

    def mark(self, i: int) -> str:
        return self.marks[i] if i < len(self.marks) else ""


@dataclass(frozen=True)
class MetricView:
    """One goal's table: its variants against the control."""

    metric: str
    label: str
    kind: str
    primary: bool
    note: str
    table: Table


@dataclass(frozen=True)
class GroupView:
    """The goals of one kind (micro, macro, value)."""

    kind: str
    title: str
    metrics: tuple[MetricView, ...]


@dataclass(frozen=True)
class Check:
    """A status line: ``status`` is ``"ok"``, ``"warn"``, ``"alarm"`` or ``"info"``."""

    label: str
    status: str
    text: str


@dataclass(frozen=True)
class ReportView:
    """Everything a one-experiment report shows, in reading order."""

    experiment: str
    title: str
    hypothesis: str | None
    meta: tuple[tuple[str, str], ...]
    winner: str | None
    verdict: str
    reason: str
    groups: tuple[GroupView, ...]
    checks: tuple[Check, ...]
    funnel: Table | None
    costs: Table | None
    currency: str


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
        parts.append(f"decide at P(best) ≥ {design.prob_best_threshold:.0%}")
        if design.loss_threshold is not None:
            parts.append(f"expected loss ≤ {design.loss_threshold:.2g}")
    else:
        sided = {
            "larger": " one-sided (treatment > control)",
            "smaller": " one-sided (treatment < control)",
        }
        parts.append(f"α = {design.alpha:g}{sided.get(design.alternative, '')}")
        applied = correction or design.correction
        label = f"{CORRECTION_LABELS.get(applied, applied)} correction"
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
        checks=_checks(analysis),
        funnel=_funnel(analysis),
        costs=_costs(analysis),
        currency=d.currency,
    )


# -- pieces ----------------------------------------------------------------------------------
def _meta(analysis: Analysis) -> tuple[tuple[str, str], ...]:
    d = analysis.design
    weights = _weights(d)
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


def _weights(d: Design) -> list[float]:
    k = len(d.variants or ())
    w = list(d.weights) if d.weights else [1.0] * k
    total = sum(w) or 1.0
    return [x / total for x in w]


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


def _metric_view(analysis: Analysis, metric: str, kind: str, rows: pd.DataFrame) -> MetricView:
    d = analysis.design
    binary = kind != "value"
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
    header = ["variant", "units"]
    header += ["conversions", "rate"] if binary else ["mean"]
    header += ["lift", ci_head] + (["level"] if len(levels) > 1 else [])
    if bayes:
        header += ["P(beat control)", "P(best)", "expected loss"]
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
            cells.append(_day_str(r["look_day"]) if _present(r.get("look_day")) else "")
        mark = "control" if is_control else _result(r, direction)
        cells.append({"control": "control", "better": "better", "worse": "worse"}.get(mark, ""))
        body.append(tuple(cells))
        marks.append(mark)

    align = tuple("l" if i == 0 or h in ("result",) else "r" for i, h in enumerate(header))
    notes = []
    if metric == analysis.primary:
        notes.append("primary goal")
    if direction == "decrease":
        notes.append("guardrail: lower is better")
    elif any(g.metric == metric for g in d.guardrails):
        notes.append("guardrail")
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
        up = float(r["prob_beat_control"]) > 0.5
    else:
        up = float(r["diff"]) > 0
    return "better" if up == (direction == "increase") else "worse"


def _present(x: Any) -> bool:
    """Dates are present; None, NaN and NaT (all unequal to themselves) are not."""
    return x is not None and x == x


def _has_looks(rows: pd.DataFrame) -> bool:
    """Whether the rows come from dated sequential looks (a ``look_day`` column)."""
    return "look_day" in rows.columns and any(_present(x) for x in rows["look_day"])


def _checks(analysis: Analysis) -> tuple[Check, ...]:
    d = analysis.design
    out = [_srm_check(analysis)]
    p = analysis.progress
    if p is not None:
        least = min(
            range(len(p.observed_per_variant)),
            key=lambda i: p.observed_per_variant[i] / max(p.planned_per_variant[i], 1),
        )
        text = (
            f"{p.fraction:.0%} of the planned sample (least-filled variant "
            f"{fmt.count(p.observed_per_variant[least])} of "
            f"{fmt.count(p.planned_per_variant[least])} units)"
        )
        if p.replanned:
            low, high = p.observed_interval or (float("nan"),) * 2
            text = (
                f"the plan assumed a {fmt.pct(p.assumed_baseline)} control rate, but the "
                f"control converts at {fmt.pct(p.observed_baseline)} (99% interval "
                f"{fmt.pct(low)} to {fmt.pct(high)}); at that rate the same MDE needs "
                f"{fmt.count(p.planned_per_variant[least])} units per variant (the plan "
                f"said {fmt.count((p.configured_per_variant or p.planned_per_variant)[least])}"
                f"): {p.fraction:.0%} of it (least-filled variant "
                f"{fmt.count(p.observed_per_variant[least])} units)"
            )
        if p.fraction < 1 and p.days_left is not None:
            text += f"; about {fmt.plural(p.days_left, 'more day')} at " + (
                f"current traffic ({fmt.count(p.daily_units)} units/day)"
                if p.daily_units
                else "expected traffic"
            )
        out.append(Check("Sample", "ok" if p.fraction >= 1 and not p.replanned else "warn", text))
    status = {"holds": "ok", "broken": "alarm", "inconclusive": "warn"}
    for g in analysis.decision.guardrails:
        out.append(Check("Guardrail", status.get(g.status, "info"), f"{g.variant}: {g.sentence}"))
    for h in analysis.decision.harms:
        out.append(
            Check(
                "Harm",
                "alarm",
                f"{h.variant} is {'credibly' if analysis.test == 'bayesian' else 'significantly'}"
                f" worse than {d.variants[0]} on {h.metric} "
                f"(lift {fmt.pct(h.row['lift'], signed=True)} "
                f"{fmt.interval(h.row['lift_low'], h.row['lift_high'])})",
            )
        )
    exclusions = _exclusions_check(analysis)
    if exclusions is not None:
        out.append(exclusions)
    seq = _sequential_check(analysis)
    if seq is not None:
        out.append(seq)
    return tuple(out)


EXCLUSION_ALARM = 0.01  # a share of units above which exclusions get a "check" badge
_EXCLUDED = {
    "multiple_variants": "units seen in several variants",
    "unknown_variant": "units in variants the experiment does not configure",
    "null_exposure": "exposure rows without a unit id or timestamp",
    "null_conversion": "goal events without a unit id or timestamp",
    "before_exposure": "units with goal events before their first exposure (events ignored)",
}


def _exclusions_check(analysis: Analysis) -> Check | None:
    """What the data layer left out, per reason with the counts per variant; a warning
    when units were excluded beyond :data:`EXCLUSION_ALARM` of the analysed units."""
    ex = analysis.exclusions
    if ex.empty:
        return None
    parts, excluded_units = [], 0
    for reason, part in ex.groupby("reason", sort=False):
        total = int(part["units"].sum())
        by = part.groupby(["variant", "metric"], sort=False)["units"].sum()
        detail = ", ".join(
            " ".join(x for x in (str(v), str(m or ""), fmt.count(u)) if x)
            for (v, m), u in by.items()
        )
        what = _EXCLUDED.get(str(reason), f"excluded ({reason})")
        parts.append(f"{fmt.count(total)} {what} ({detail})")
        if (part["metric"].fillna("") == "").all():  # unit-level: out of every goal
            excluded_units += total
    analysed = sum(_units(analysis)) or 1
    share = excluded_units / (analysed + excluded_units)
    status = "warn" if share > EXCLUSION_ALARM else "info"
    lead = f"{share:.1%} of units excluded: " if excluded_units else ""
    return Check("Exclusions", status, lead + "; ".join(parts))


def _units(analysis: Analysis) -> list[int]:
    res = analysis.results
    rows = res[res["metric"] == analysis.primary]
    return [int(x) for x in rows["n"]]


def _srm_check(analysis: Analysis) -> Check:
    d = analysis.design
    res = analysis.results
    rows = res[res["metric"] == analysis.primary]
    n = [float(x) for x in rows["n"]]
    total = sum(n) or 1.0
    observed = " / ".join(f"{x / total:.1%}" for x in n)
    planned = " / ".join(f"{w:.1%}" for w in _weights(d))
    stat = f"χ² = {float(analysis.srm.statistic):.2f}, {fmt.p_equals(analysis.srm.p_value)}"
    if bool(analysis.srm.mismatch):
        return Check(
            "SRM",
            "alarm",
            f"MISMATCH: split {observed} vs configured {planned} ({stat}); "
            "results are not trustworthy until the assignment is fixed",
        )
    return Check("SRM", "ok", f"split {observed} vs configured {planned} ({stat})")


def _sequential_check(analysis: Analysis) -> Check | None:
    looks = analysis.looks
    if looks is None or looks.empty:
        return None
    rows = looks[looks["metric"] == analysis.primary]
    if rows.empty:
        return None
    n_looks = int(rows["look"].max())
    days = [x for x in rows["day"] if x is not None and not fmt.missing(x)]
    span = f" ({_day_str(days[0])} to {_day_str(days[-1])})" if days else ""
    crossed = rows[rows["significant"].astype(bool)]
    if crossed.empty:
        text = f"{fmt.plural(n_looks, 'look')}{span}; no boundary crossed yet"
        return Check("Sequential", "info", text)
    first = crossed.sort_values("look").iloc[0]
    when = f"day {_day_str(first['day'])}" if days else f"look {int(first['look'])}"
    text = f"{fmt.plural(n_looks, 'look')}{span}; {first['variant']} significant since {when}"
    return Check("Sequential", "info", text)


def _day_str(x: Any) -> str:
    if isinstance(x, datetime) and x.time() == datetime.min.time():
        return x.date().isoformat()  # daily rows as midnight timestamps
    return x.isoformat() if hasattr(x, "isoformat") else str(x)


def _funnel(analysis: Analysis) -> Table | None:
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


def _costs(analysis: Analysis) -> Table | None:
    c = analysis.costs
    if c is None or c.empty:
        return None
    d = analysis.design
    cur = d.currency
    level = f"{1 - d.alpha:.0%}"
    header = ("goal", "measure", "variant", "spend", "conversions", "value", f"{level} interval")
    rows = []
    for _, r in c.iterrows():
        if good_direction(d, str(r["metric"])) == "decrease":
            continue  # a cost per bounce means nothing: skip guardrails that should fall
        roi = r["measure"] == "ROI"
        measure = "ROI" if roi else f"cost per {r['metric']}"
        rows.append(
            (
                str(r["metric"]),
                measure,
                str(r["variant"]),
                fmt.money(r["spend"], cur),
                "" if roi else fmt.count(r.get("conversions")),
                fmt.pct(r["value"], signed=True) if roi else fmt.money(r["value"], cur),
                fmt.interval(r["low"], r["high"])
                if roi
                else fmt.money_interval(r["low"], r["high"], cur),
            )
        )
    return Table(header, tuple(rows), ("l", "l", "l", "r", "r", "r", "r"))
