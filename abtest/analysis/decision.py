"""The decision: which variant converts best on the primary goal, and why (or why not yet).

Rule (DESIGN.md, "honest decisions"): a winner is named only when there is no
sample ratio mismatch, the planned sample is reached (when a plan exists), the
primary comparison is significant after correction (or, for the Bayesian
method, the configured P(best) / expected-loss rule holds), and every
guardrail holds for that variant. The control is the winner when every
treatment is significantly worse. Otherwise the winner is ``None`` and the
reason says what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from abtest.analysis.design import Design
from abtest.analysis.engine import GuardrailCheck, MetricArrays, check_guardrails
from abtest.stats import SRMResult

CORRECTION_NAMES = {
    "holm": "Holm",
    "bonferroni": "Bonferroni",
    "bh": "Benjamini-Hochberg",
    "fdr_bh": "Benjamini-Hochberg",
    "benjamini-hochberg": "Benjamini-Hochberg",
    "none": "no correction",
}


@dataclass(frozen=True)
class Progress:
    """Sample collected against the plan."""

    planned_per_variant: tuple[int, ...]
    observed_per_variant: tuple[int, ...]
    fraction: float  # of the planned sample, the least-filled variant
    days_left: int | None  # at current (or expected) traffic
    daily_units: float | None


@dataclass(frozen=True)
class Decision:
    winner: str | None
    reason: str
    checks: dict[str, str] = field(default_factory=dict)
    guardrails: tuple[GuardrailCheck, ...] = ()


def _pct(x: float) -> str:
    if np.isinf(x):  # the open end of a one-sided interval
        return "+∞" if x > 0 else "-∞"
    return f"{x:+.1%}"


def _effect(row: pd.Series) -> str:
    """Relative lift with its interval, or the absolute difference when the lift is
    undefined (a control mean of 0)."""
    if np.isfinite(row["lift"]):
        return f"{_pct(row['lift'])} [{_pct(row['lift_low'])}, {_pct(row['lift_high'])}]"
    return (
        f"difference {row['diff']:+.3g} [{row['diff_low']:+.3g}, {row['diff_high']:+.3g}]"
        " (lift undefined: the control mean is 0)"
    )


def _p(p: float) -> str:
    return f"{p:.2g}" if p < 0.001 else f"{p:.4f}"


def _srm_sentence(srm: SRMResult) -> str:
    return f"SRM p = {float(srm.p_value):.3g}"


def decide(
    design: Design,
    table: pd.DataFrame,
    data: dict[str, MetricArrays],
    srm: SRMResult,
    progress: Progress | None,
) -> Decision:
    checks: dict[str, str] = {}
    if bool(srm.mismatch):
        checks["srm"] = "mismatch"
        return Decision(
            None,
            f"no winner: sample ratio mismatch ({_srm_sentence(srm)} < 0.001) — the split "
            "does not match the configured weights, so the assignment or the logging is "
            "broken; investigate before reading any result",
            checks,
        )
    checks["srm"] = "ok"
    # Sequential designs are built to stop early: the planned sample is a maximum there.
    if progress is not None and progress.fraction < 1 and design.method != "sequential":
        checks["sample"] = "not reached"
        return Decision(
            None,
            f"no winner yet: {_progress_sentence(progress)}; so far {_so_far(design, table)}",
            checks,
        )
    if progress is not None:
        checks["sample"] = "reached"

    primary = design.primary
    rows = table[(table["metric"] == primary) & ~table["is_control"]]
    control = design.variants[0]
    if design.method == "bayesian":
        return _bayesian(design, table, data, rows, control, checks)
    label = "p"
    if design.method == "sequential":
        group = table.attrs.get("sequential") == "group sequential"
        label = "repeated p" if group else "always-valid p"
    corr = CORRECTION_NAMES.get(design.correction, design.correction)
    after = f" after {corr}" if len(rows) > 1 and design.correction != "none" else ""
    if len(rows) and rows["p_value"].isna().all():
        checks["primary"] = "untestable"
        return Decision(
            None,
            f"no winner: no test is possible on {primary}: its values do not vary within "
            f"any arm (no {primary} events at all, or every unit has the same value); check "
            "the goal's event name, its attribution window and the analysis dates",
            checks,
        )
    # the primary goal's good direction: up, unless the design tests for a decrease
    sign = -1.0 if design.alternative == "smaller" else 1.0
    better = rows[rows["significant"] & (sign * rows["diff"] > 0)]
    worse = rows[rows["significant"] & (sign * rows["diff"] < 0)]
    if len(better):
        best = better.loc[(sign * better["mean"]).idxmax()]
        idx = design.variants.index(best["variant"])
        g = check_guardrails(design, data, idx)
        effect = (
            f"{best['variant']} beats {control} on {primary}: {_effect(best)}, "
            f"{label} = {_p(best['p_adjusted'])}{after}"
        )
        return _with_guardrails(best["variant"], effect, g, checks)
    if len(rows) and len(worse) == len(rows):
        checks["primary"] = "control best"
        return Decision(
            control,
            f"{control} wins: every treatment converts significantly worse "
            f"on {primary} ({label} <= {_p(worse['p_adjusted'].max())}{after}); "
            "no SRM",
            checks,
        )
    checks["primary"] = "not significant"
    if len(rows):
        lead = rows.loc[(sign * rows["mean"]).idxmax()]
        detail = (
            f"best treatment {lead['variant']} {_effect(lead)}, "
            f"{label} = {_p(lead['p_adjusted'])}{after}"
        )
    else:
        detail = "no treatment"
    if progress is not None and progress.fraction < 1:
        return Decision(
            None,
            f"no winner yet: no significant difference on {primary} ({detail}); "
            f"{_progress_sentence(progress)}",
            checks,
        )
    return Decision(None, f"no winner: no significant difference on {primary} ({detail})", checks)


def _so_far(design: Design, table: pd.DataFrame) -> str:
    """The leading treatment on the primary goal, for reasons that withhold a decision."""
    rows = table[(table["metric"] == design.primary) & ~table["is_control"]]
    sign = -1.0 if design.alternative == "smaller" else 1.0
    lead = rows.loc[(sign * rows["mean"]).idxmax()]
    if design.method == "bayesian":
        evidence = f"P(best) = {lead['prob_best']:.1%}"
    else:
        evidence = f"p = {_p(lead['p_adjusted'])}"
    return f"{lead['variant']} {_effect(lead)} on {design.primary}, {evidence}"


def _progress_sentence(progress: Progress) -> str:
    """'41% of the planned sample, about 9 more days at current traffic'."""
    more = ""
    if progress.days_left is not None:
        plural = "s" if progress.days_left != 1 else ""
        basis = "current" if progress.daily_units else "expected"
        more = f", about {progress.days_left} more day{plural} at {basis} traffic"
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
        )
    tail = "; guardrails hold" if guardrails else ""
    checks["guardrails"] = "hold" if guardrails else "none configured"
    return Decision(variant, f"{effect}; no SRM{tail}", checks, tuple(guardrails))


def _bayesian(
    design: Design,
    table: pd.DataFrame,
    data: dict[str, MetricArrays],
    rows: pd.DataFrame,
    control: str,
    checks: dict[str, str],
) -> Decision:
    """The rule of :func:`abtest.stats.bayes_decision`: ship the arm with the highest
    P(best) when it reaches the threshold and its expected loss is at most the
    threshold of caring (the design's ``loss_threshold`` in absolute rate units,
    else 0.0025 relative to the control, GrowthBook's default); then guardrails."""
    from abtest.stats import bayes_decision

    primary = design.primary
    all_rows = table[table["metric"] == primary]
    if design.loss_threshold is not None:
        loss, limit = all_rows["expected_loss"].to_numpy(), float(design.loss_threshold)
    else:
        loss, limit = all_rows["relative_loss"].to_numpy(), None
    kwargs = {} if limit is None else {"loss_threshold": limit}
    d = bayes_decision(
        all_rows["prob_best"].to_numpy(),
        loss,
        threshold=design.prob_best_threshold,
        control=0,
        names=list(design.variants),
        **kwargs,
    )
    i = d.best_index
    row = all_rows.iloc[i]
    if d.winner_index is None:
        checks["primary"] = "threshold not met"
        return Decision(None, f"{d.reason} on {primary}", checks)
    if i == 0:
        checks["primary"] = "control best"
        return Decision(control, f"{control} stays: {d.reason} on {primary}; no SRM", checks)
    g = check_guardrails(design, data, i)
    effect = (
        f"{row['variant']} beats {control} on {primary}: P(best) = {row['prob_best']:.1%}, "
        f"lift {_effect(row)}, expected loss {loss[i]:.2g}"
        + ("" if limit is not None else " (relative)")
    )
    return _with_guardrails(str(row["variant"]), effect, g, checks)
