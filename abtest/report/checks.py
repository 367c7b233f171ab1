"""The status lines of a report (SRM, sample against the plan, guardrails, harms, exclusions,
sequential looks): :class:`~abtest.report.view_model.Check` objects, read from the analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abtest import formatting as fmt
from abtest.report.view_model import Check, day_text, shares

if TYPE_CHECKING:
    from abtest.analysis import Analysis


def report_checks(analysis: Analysis) -> tuple[Check, ...]:
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
    for n in analysis.novelty:
        if n.trend is None:
            continue
        if n.fading:
            out.append(Check("Novelty", "warn", n.sentence or ""))
        else:
            out.append(
                Check(
                    "Novelty",
                    "ok",
                    f"{n.variant}'s lift does not fall detectably across exposure-day "
                    f"cohorts (trend {fmt.p_equals(n.trend.p_value)})",
                )
            )
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
    # the units the SRM test counted: the primary row's n is converters for a quantile
    # goal among converters, and can be an earlier look's in a sequential table
    analysed = float(np.sum(analysis.srm.observed)) or 1
    share = excluded_units / (analysed + excluded_units)
    status = "warn" if share > EXCLUSION_ALARM else "info"
    lead = f"{share:.1%} of units excluded: " if excluded_units else ""
    return Check("Exclusions", status, lead + "; ".join(parts))


def _srm_check(analysis: Analysis) -> Check:
    d = analysis.design
    n = [float(x) for x in np.ravel(analysis.srm.observed)]  # what the test counted
    total = sum(n) or 1.0
    observed = " / ".join(f"{x / total:.1%}" for x in n)
    planned = " / ".join(f"{w:.1%}" for w in shares(d))
    stat = f"χ² = {float(analysis.srm.statistic):.2f}, {fmt.p_equals(analysis.srm.p_value)}"
    if bool(analysis.srm.mismatch):
        audit = analysis.assignment_audit
        cause = (
            "results are not trustworthy until the assignment is fixed"
            if audit is None
            else f"results are not trustworthy; {audit.sentence()}"
        )
        return Check(
            "SRM", "alarm", f"MISMATCH: split {observed} vs configured {planned} ({stat}); {cause}"
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
    span = f" ({day_text(days[0])} to {day_text(days[-1])})" if days else ""
    crossed = rows[rows["significant"].astype(bool)]
    if crossed.empty:
        text = f"{fmt.plural(n_looks, 'look')}{span}; no boundary crossed yet"
        return Check("Sequential", "info", text)
    first = crossed.sort_values("look").iloc[0]
    when = f"day {day_text(first['day'])}" if days else f"look {int(first['look'])}"
    text = f"{fmt.plural(n_looks, 'look')}{span}; {first['variant']} significant since {when}"
    return Check("Sequential", "info", text)
