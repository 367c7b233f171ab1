"""The decision: which variant converts best on the primary goal, and why (or why not yet).

Rule (DESIGN.md, "honest decisions"): a winner is named only when there is no
sample ratio mismatch, the planned sample is reached (when a plan exists), the
primary comparison is significant after correction (or, for the Bayesian
method, the configured P(best) / expected-loss rule holds), and every
guardrail holds for that variant. The control is the winner when every
treatment is significantly worse. Otherwise the winner is ``None`` and the
reason says what is missing.

The primary goal decides; the others are reported. But a harm is never left out:
whatever the verdict, the reason names every goal (primary or secondary) on which a
treatment is significantly worse after correction, and every guardrail a treatment
is shown to break.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from abtest import formatting as fmt
from abtest import vocabulary
from abtest.analysis.decision_model import Context, Decision, Harm, Progress
from abtest.analysis.guardrails import GuardrailCheck
from abtest.analysis.metrics import (
    NORMAL_ENOUGH,
    MetricSums,
    too_few_for_normal,
    too_few_for_quantile,
)
from abtest.stats import SRMResult

CORRECTION_NAMES = vocabulary.CORRECTION_LABELS


def _effect(row: dict) -> str:
    """Relative lift with its interval, or the absolute difference when the lift is
    undefined (a control mean of 0 or below, abtest.stats.proportions.relative_lift)."""
    if np.isfinite(row["lift"]):
        return (
            f"{fmt.pct(row['lift'], signed=True)} {fmt.interval(row['lift_low'], row['lift_high'])}"
        )
    control = row["mean"] - row["diff"]
    said = "0" if control == 0 else f"{control:.4g}, below 0" if control < 0 else "undefined"
    return (
        f"difference {row['diff']:+.3g} [{row['diff_low']:+.3g}, {row['diff_high']:+.3g}]"
        f" (lift undefined: the control mean is {said})"
    )


def _evidence(ctx: Context, row: dict, family_size: int) -> str:
    """``p = 0.0019 after Holm``, ``always-valid p = 0.01``, ``P(beat control) = 97.1%``;
    for a sequential row read at an earlier look, that look and its rates."""
    if ctx.test == "bayesian":
        name = vocabulary.beat_label(ctx.design.good_direction(str(row["metric"])))
        return fmt.probability_is(row["prob_beat_control"], name)
    label = {"group sequential": "repeated p", "always valid": "always-valid p"}.get(ctx.test, "p")
    corrected = family_size > 1 and ctx.correction != "none"
    after = f" after {CORRECTION_NAMES.get(ctx.correction, ctx.correction)}" if corrected else ""
    text = fmt.p_equals(row["p_adjusted"] if corrected else row["p_value"], label) + after
    day = row.get("look_day")
    if day is not None and not (isinstance(day, float) and np.isnan(day)):
        day = day.isoformat() if hasattr(day, "isoformat") else str(day)
        text += f", at the look of {day[:10]}"
        if np.isfinite(row.get("mean_control", np.nan)):
            text += f" ({fmt.pct(row['mean_control'])} -> {fmt.pct(row['mean'])})"
    return text


def _sentence(ctx: Context, row: dict) -> str:
    return f"{_effect(row)}, {_evidence(ctx, row, ctx.family_sizes[row['family']])}"


def find_harms(ctx: Context) -> list[Harm]:
    """Every (goal, treatment) significantly worse than the control after correction,
    primary goal first, in table order."""
    out = []
    for r in (r for r in ctx.treatments if r["significant"]):
        if ctx.test == "bayesian":  # the side of the threshold, in the good direction
            worse = r["prob_beat_control"] < 0.5
        else:  # the sign of the estimate
            up = r["diff"] > 0
            worse = not up if ctx.design.good_direction(str(r["metric"])) == "increase" else up
        if worse:
            out.append(Harm(str(r["metric"]), str(r["variant"]), r))
    primary = ctx.design.primary
    return sorted(out, key=lambda h: h.metric != primary)


def _harm_clause(
    ctx: Context,
    harms: list[Harm],
    skip_primary: bool = False,
    guardrails: Sequence[GuardrailCheck] = (),
) -> str:
    """``; c is significantly worse on retention_7: -4.3% [...], p = 0.0016`` per harm;
    a harm on a guardrail that holds says so ("within its guardrail's margin"), beside
    a reason that says the guardrails hold."""
    how = "credibly" if ctx.test == "bayesian" else "significantly"
    held = {(g.metric, g.variant) for g in guardrails if g.status == "holds"}
    parts = [
        f"{h.variant} is {how} worse on {h.metric}"
        + (" (within its guardrail's margin)" if (h.metric, h.variant) in held else "")
        + f": {_sentence(ctx, h.row)}"
        for h in harms
        if not (skip_primary and h.metric == ctx.design.primary)
    ]
    return "".join(f"; {p}" for p in parts)


def _srm_sentence(srm: SRMResult) -> str:
    return f"{fmt.p_equals(srm.p_value, 'SRM p')}; the alarm is at p < {srm.threshold:g}"


def decide(
    ctx: Context,
    data: dict[str, MetricSums],
    srm: SRMResult,
    progress: Progress | None,
    guardrails: Sequence[GuardrailCheck],
    novelty: Sequence[Any] = (),
) -> Decision:
    """The :class:`Decision` of one analysis (module docstring); ``guardrails``: every
    treatment's guardrail checks (:func:`abtest.analysis.guardrails.guardrail_checks`);
    ``novelty``: the treatments' :class:`abtest.analysis.novelty.Novelty` checks, a
    fading lift said."""
    design = ctx.design
    harms = find_harms(ctx)
    guardrails = list(guardrails)
    broken = [g for g in guardrails if g.status == "broken"]
    d = _decide(ctx, data, srm, progress, harms, guardrails)
    broken = [g for g in broken if g.sentence not in d.reason]  # not said twice
    tail = _harm_clause(ctx, harms, guardrails=guardrails) + "".join(
        f"; guardrail {g.sentence} for {g.variant}" for g in broken
    )
    if d.winner is None or d.winner == design.variants[0]:
        # the winner's own harms and guardrails are in its sentence already
        reason = d.reason + (
            tail if d.winner is None else _harm_clause(ctx, harms, True, guardrails)
        )
    else:
        others = [h for h in harms if h.metric != design.primary or h.variant != d.winner]
        reason = (
            d.reason
            + _harm_clause(ctx, others, guardrails=guardrails)
            + "".join(
                f"; guardrail {g.sentence} for {g.variant}" for g in broken if g.variant != d.winner
            )
        )
    if harms:
        d.checks["harms"] = "; ".join(f"{h.variant} worse on {h.metric}" for h in harms)
    if design.funnel and d.code in ("winner", "guardrail"):
        from abtest.analysis.funnel import lead_quality_note

        note = lead_quality_note(design, ctx.table)
        if note is not None:
            reason += f"; {note}"
            d.checks["funnel"] = "more leads, not more customers"
    fading = [n for n in novelty if n.fading]
    if fading and d.code not in ("srm", "untestable"):
        reason += "".join(f"; {n.sentence}" for n in fading)
        d.checks["novelty"] = "; ".join(f"{n.variant} fading" for n in fading)
    return Decision(
        d.winner, reason, d.checks, tuple(guardrails) or d.guardrails, tuple(harms), d.code
    )


def srm_decision(srm: SRMResult, checks: dict[str, str], cause: str | None = None) -> Decision:
    """No winner on a sample ratio mismatch; ``cause``: what the exposure log says about
    where the split broke (:class:`abtest.data.audit.AssignmentAudit`), when known."""
    where = cause or "so the assignment or the logging is broken"
    return Decision(
        None,
        f"no winner: sample ratio mismatch ({_srm_sentence(srm)}) — the split does not match "
        f"the configured weights, {where}; investigate before reading any result",
        checks,
        code="srm",
    )


def _decide(
    ctx: Context,
    data: dict[str, MetricSums],
    srm: SRMResult,
    progress: Progress | None,
    harms: list[Harm],
    guardrails: list[GuardrailCheck],
) -> Decision:
    design = ctx.design
    checks: dict[str, str] = {}
    if bool(srm.mismatch):
        checks["srm"] = "mismatch"
        return srm_decision(srm, checks)
    checks["srm"] = "ok"
    # Sequential designs are built to stop early: the planned sample is a maximum there.
    if progress is not None and progress.fraction < 1 and design.method != "sequential":
        checks["sample"] = "not reached"
        return Decision(
            None,
            f"no winner yet: {_progress_sentence(progress)}; so far {_so_far(ctx)}",
            checks,
            code="sample",
        )
    if progress is not None:
        checks["sample"] = "reached"

    primary = design.primary
    rows = ctx.primary_rows()
    control = design.variants[0]
    if design.method == "bayesian":
        return _bayesian(ctx, control, checks, guardrails)
    few = too_few_for_quantile(data[primary], list(design.variants))
    if few:
        return _too_few(ctx, checks, "values", "quantile test", few)
    if rows and all(np.isnan(r["p_value"]) for r in rows):
        checks["primary"] = "untestable"
        return Decision(
            None,
            f"no winner: no test is possible on {primary}: its values do not vary within "
            f"any arm (no {primary} events at all, or every unit has the same value); check "
            "the goal's event name, its attribution window and the analysis dates",
            checks,
            code="untestable",
        )
    few = too_few_for_normal(data[primary], list(design.variants))
    if few:
        needs = f"it needs {NORMAL_ENOUGH} converting and {NORMAL_ENOUGH} not converting units"
        return _too_few(ctx, checks, "conversions", "z-test", f"{few}; {needs} per variant")
    # the primary goal's good direction: up, unless the design tests for a decrease
    sign = -1.0 if design.alternative == "smaller" else 1.0
    better = [r for r in rows if r["significant"] and sign * r["diff"] > 0]
    worse = [r for r in rows if r["significant"] and sign * r["diff"] < 0]
    if better:
        best = max(better, key=lambda r: sign * r["mean"])
        g = [c for c in guardrails if c.variant == best["variant"]]
        effect = f"{best['variant']} beats {control} on {primary}: {_sentence(ctx, best)}"
        return _with_guardrails(best["variant"], effect, g, checks)
    if rows and len(worse) == len(rows):
        checks["primary"] = "control best"
        weakest = max(worse, key=lambda r: r["p_adjusted"])
        evidence = _evidence(ctx, weakest, ctx.family_sizes["primary"])
        return Decision(
            control,
            f"{control} wins: every treatment converts significantly worse on {primary} "
            f"({evidence.replace(' = ', ' <= ', 1)}); no SRM",  # '<' stays '<'
            checks,
            code="control_best",
        )
    checks["primary"] = "not significant"
    if rows:
        lead = max(rows, key=lambda r: sign * r["mean"])
        detail = f"best treatment {lead['variant']} {_sentence(ctx, lead)}"
    else:
        detail = "no treatment"
    if progress is not None and progress.fraction < 1:
        return Decision(
            None,
            f"no winner yet: no significant difference on {primary} ({detail}); "
            f"{_progress_sentence(progress)}",
            checks,
            code="no_difference",
        )
    return Decision(
        None,
        f"no winner: no significant difference on {primary} ({detail})",
        checks,
        code="no_difference",
    )


def _too_few(ctx: Context, checks: dict[str, str], what: str, test: str, few: str) -> Decision:
    """No winner yet: the primary goal has too few ``what`` for its ``test`` (``few`` says
    which arms and what the test needs)."""
    checks["sample"] = f"too few {what}"
    reason = (
        f"no winner yet: too few {what} on {ctx.design.primary} for its {test} ({few}); so "
        f"far {_so_far(ctx)}"
    )
    return Decision(None, reason, checks, code="sample")


def _so_far(ctx: Context) -> str:
    """The leading treatment on the primary goal, for reasons that withhold a decision."""
    design = ctx.design
    sign = -1.0 if design.alternative == "smaller" else 1.0
    lead = max(ctx.primary_rows(), key=lambda r: sign * r["mean"])
    if ctx.test == "bayesian":
        evidence = fmt.probability_is(lead["prob_best"], "P(best)")
        return f"{lead['variant']} {_effect(lead)} on {design.primary}, {evidence}"
    evidence = _evidence(ctx, lead, ctx.family_sizes["primary"])
    return f"{lead['variant']} {_effect(lead)} on {design.primary}, {evidence}"


def _progress_sentence(progress: Progress) -> str:
    """'41% of the planned sample, about 9 more days at current traffic'; when the data
    contradicts the plan's baseline, the sample is the one the observed rate needs."""
    more = ""
    if progress.days_left is not None:
        plural = "s" if progress.days_left != 1 else ""
        basis = "current" if progress.daily_units else "expected"
        more = f", about {progress.days_left} more day{plural} at {basis} traffic"
    if progress.replanned:
        return (
            f"{progress.fraction:.0%} of the sample needed at the observed control rate "
            f"{fmt.pct(progress.observed_baseline)} (the plan assumed "
            f"{fmt.pct(progress.assumed_baseline)})"
            f"{more}"
        )
    return f"{progress.fraction:.0%} of the planned sample{more}"


def _with_guardrails(
    variant: str, effect: str, guardrails: list[GuardrailCheck], checks: dict[str, str]
) -> Decision:
    checks["primary"] = f"{variant} significant"
    failed = [g for g in guardrails if g.status != "holds"]
    if failed:
        checks["guardrails"] = "; ".join(g.sentence for g in failed)
        return Decision(
            None,
            f"no winner: {effect}, but guardrail " + "; ".join(g.sentence for g in failed),
            checks,
            tuple(guardrails),
            code="guardrail",
        )
    tail = "; guardrails hold" if guardrails else ""
    checks["guardrails"] = "hold" if guardrails else "none configured"
    return Decision(variant, f"{effect}; no SRM{tail}", checks, tuple(guardrails), code="winner")


def _bayesian(
    ctx: Context, control: str, checks: dict[str, str], guardrails: list[GuardrailCheck]
) -> Decision:
    """The rule of :func:`abtest.stats.bayes_decision`: ship the arm with the highest
    P(best) when it reaches the threshold and its expected loss is at most the
    threshold of caring (the design's ``loss_threshold`` in absolute rate units,
    else 0.0025 relative to the control, GrowthBook's default); then guardrails."""
    from abtest.stats import bayes_decision

    design, table = ctx.design, ctx.table
    primary = design.primary
    all_rows = table[table["metric"] == primary]
    if design.loss_threshold is not None:
        loss, limit = all_rows["expected_loss"].to_numpy(), float(design.loss_threshold)
    else:
        loss, limit = all_rows["relative_loss"].to_numpy(), None
    kwargs = {} if limit is None else {"loss_threshold": limit}
    loss_name = "expected loss" if limit is not None else "relative expected loss"
    d = bayes_decision(
        all_rows["prob_best"].to_numpy(),
        loss,
        threshold=design.prob_best_threshold,
        control=0,
        names=list(design.variants),
        loss_name=loss_name,
        **kwargs,
    )
    i = d.best_index
    row = all_rows.iloc[i].to_dict()
    if d.winner_index is None:
        checks["primary"] = "threshold not met"
        return Decision(None, f"{d.reason} on {primary}", checks, code="no_difference")
    if i == 0:
        checks["primary"] = "control best"
        reason = f"{control} stays: {d.reason} on {primary}; no SRM"
        return Decision(control, reason, checks, code="control_best")
    beat = row["prob_beat_control"]
    if not beat >= design.prob_best_threshold:
        # P(best) is never above P(beat control) on one posterior (abtest.stats.best_arm);
        # where the control's mean is 0 or below the lift, and so P(beat control), is
        # undefined while P(best) is of the means: no winner beside a row not shown better
        checks["primary"] = "threshold not met"
        t = design.prob_best_threshold
        threshold = f"{fmt.probability(beat, t)} < {fmt.level(t)}"
        said = "undefined" if np.isnan(beat) else threshold
        reason = (
            f"no winner yet: {row['variant']} has {fmt.probability_is(row['prob_best'], 'P(best)')}"
            f" but its {vocabulary.beat_label(design.good_direction(primary))} is {said} on "
            f"{primary} (lift {_effect(row)})"
        )
        return Decision(None, reason, checks, code="no_difference")
    g = [c for c in guardrails if c.variant == row["variant"]]
    effect = (
        f"{row['variant']} beats {control} on {primary}: "
        f"{fmt.probability_is(row['prob_best'], 'P(best)', design.prob_best_threshold)}, "
        f"lift {_effect(row)}, {loss_name} {loss[i]:.2g}"
    )
    return _with_guardrails(str(row["variant"]), effect, g, checks)
