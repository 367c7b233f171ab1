"""``Analysis``: one experiment's results, the checks, and the decision.

It holds numbers only; presenters in :mod:`abtest.report` read it to draw
tables, plots and reports and never compute statistics themselves.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abtest.analysis.decision_model import Decision, Progress
from abtest.analysis.table import TABLE_COLUMNS
from abtest.data.summary import Summary
from abtest.design import Design
from abtest.stats import SRMResult


@dataclass(frozen=True)
class Analysis:
    """Results of one experiment: per-(metric, variant) table, SRM check, decision."""

    design: Design
    summary: Summary
    results: pd.DataFrame
    srm: SRMResult
    decision: Decision
    progress: Progress | None = None
    funnel: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    looks: pd.DataFrame | None = None
    # fixed horizon with daily data: each day's cumulative lift and interval (for plots)
    timeline: pd.DataFrame | None = None
    test: str = (
        "fixed horizon"  # "fixed horizon" | "group sequential" | "always valid" | "bayesian"
    )
    correction: str = "holm"  # the correction the families were decided with
    # (label, text): the goals analysed and the columns left out, pooled segments
    notes: tuple[tuple[str, str], ...] = ()
    # on an SRM alarm with exposure logs: each unit's logged variant against the registry's
    # assignment (abtest.data.audit.AssignmentAudit), else None
    assignment_audit: Any = None
    # with one log for several experiments: this experiment's lift against each other
    # experiment's variants (abtest.analysis.interactions), else None
    interactions: pd.DataFrame | None = None
    # funnel step rates (descriptive, delta method) beside the per-exposed comparison
    # (abtest.analysis.funnel.lead_quality), when the design has a funnel
    lead_quality: pd.DataFrame | None = None
    # per (goal, variant): Kaplan-Meier median hours to conversion with its interval and
    # the goal's log-rank test (abtest.analysis.time_to), for goals with time-to data
    time_to_conversion: pd.DataFrame | None = None
    # with segments in the Summary: the primary goal's lift per segment (corrected across
    # segments) and each segment column's heterogeneity test (abtest.analysis.segments)
    segments: pd.DataFrame | None = None
    # with spend per source (spend.per_source) and the source among the Summary's
    # segments: cost per conversion per (goal, source, variant), the source's spend shared
    # across the variants by their units (abtest.analysis.source_costs)
    cost_by_source: pd.DataFrame | None = None
    # from exposure-day cohorts of the primary goal: each treatment's lift trend
    # (abtest.analysis.novelty.Novelty), flagged when it fades
    novelty: tuple[Any, ...] = ()

    @property
    def winner(self) -> str | None:
        """The variant that converts best on the primary goal, or ``None`` while the
        evidence (or a failed check) does not settle it."""
        return self.decision.winner

    @property
    def exclusions(self) -> pd.DataFrame:
        """Units and events the data layer left out of this experiment, and why:
        ``variant, metric, reason, units`` (``metric`` empty for unit-level reasons)."""
        ex = self.summary.exclusions
        ex = ex[ex["experiment"] == self.design.experiment]
        return ex.drop(columns="experiment").reset_index(drop=True)

    @property
    def reason(self) -> str:
        return self.decision.reason

    @property
    def primary(self) -> str:
        return str(self.design.primary)

    def table(self, *, extra: bool = True) -> pd.DataFrame:
        """One row per (metric, variant) with the API columns (docs/api.md):
        ``metric, variant, n, mean, diff, diff_low, diff_high, lift, lift_low,
        lift_high, p_value, significant`` (+ ``prob_beat_control, prob_best,
        expected_loss`` for the Bayesian method), then, with ``extra``,
        ``p_adjusted, kind, family, ci_level`` (+ ``variance_reduction`` with CUPED,
        ``statistic`` with quantile goals: what the row compares, e.g. "p50 among
        converters", its ``n`` that population and its ``mean`` the quantile;
        ``look_day`` and ``mean_control`` for the sequential method: the day of the look
        a treatment's row is read at, and the control's mean at that look). The
        control's comparison columns are empty (NaN) because it is the reference.

        A row's ``significant``, its ``p_adjusted`` (below ``alpha``) and both intervals
        (excluding 0) always agree: frequentist rows are decided by the test whose
        intervals they show, at the level that decided them (``ci_level``; per row
        under Holm); sequential rows are read at one look; Bayesian rows are
        significant when P(beat control) reaches the threshold (or 1 minus it), with
        credible intervals at ``2 * threshold - 1``."""
        cols = list(TABLE_COLUMNS)
        bayes = ["prob_beat_control", "prob_best", "expected_loss"]
        cols += [c for c in bayes if c in self.results.columns]
        if extra:
            cols += [
                c
                for c in (
                    "p_adjusted",
                    "kind",
                    "family",
                    "ci_level",
                    "variance_reduction",
                    "statistic",
                    "look_day",
                    "mean_control",
                )
                if c in self.results.columns
            ]
        return self.results[cols].copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: experiment, method, decision, checks, SRM, progress, rows."""

        def clean(v: Any) -> Any:
            if isinstance(v, dt.date | pd.Timestamp):
                return v.isoformat()
            if isinstance(v, float | np.floating):
                return None if math.isnan(v) else (str(v) if math.isinf(v) else float(v))
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, np.bool_):
                return bool(v)
            return v

        def records(df: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if df is None:
                return None
            return [{k: clean(v) for k, v in r.items()} for r in df.to_dict("records")]

        d = self.design
        return {
            "experiment": d.experiment,
            "name": d.name,
            "method": d.method,
            "alpha": d.alpha,
            "correction": d.correction,
            "primary_metric": self.primary,
            "test": self.test,
            "correction_applied": self.correction,
            "notes": dict(self.notes),
            "exclusions": records(self.exclusions),
            "harms": [{"metric": h.metric, "variant": h.variant} for h in self.decision.harms],
            "variants": list(d.variants or ()),
            "control": d.variants[0] if d.variants else None,
            "winner": self.winner,
            "decision": self.decision.code,
            "reason": self.reason,
            "checks": dict(self.decision.checks),
            "interactions": records(self.interactions),
            "lead_quality": records(self.lead_quality),
            "time_to_conversion": records(self.time_to_conversion),
            "segments": records(self.segments),
            "novelty": [
                {
                    "variant": n.variant,
                    "fading": n.fading,
                    "slope_per_day": None if n.trend is None else clean(n.trend.slope),
                    "p_value": None if n.trend is None else clean(n.trend.p_value),
                    "sentence": n.sentence,
                }
                for n in self.novelty
            ],
            "srm": {
                "statistic": clean(float(self.srm.statistic)),
                "p_value": clean(float(self.srm.p_value)),
                "mismatch": bool(self.srm.mismatch),
                "weights": list(d.weights) if d.weights else None,
                "assignment_audit": None
                if self.assignment_audit is None
                else records(self.assignment_audit.table),
            },
            "guardrails": [
                {
                    "metric": g.metric,
                    "variant": g.variant,
                    "direction": g.direction,
                    "margin": g.margin,
                    "lift": clean(g.lift),
                    "bound": clean(g.bound),
                    "status": g.status,
                }
                for g in self.decision.guardrails
            ],
            "progress": None
            if self.progress is None
            else {
                "planned_per_variant": list(self.progress.planned_per_variant),
                "observed_per_variant": list(self.progress.observed_per_variant),
                "fraction": clean(self.progress.fraction),
                "days_left": self.progress.days_left,
                "assumed_baseline": clean(self.progress.assumed_baseline),
                "observed_baseline": clean(self.progress.observed_baseline),
                "observed_interval": None
                if self.progress.observed_interval is None
                else [clean(x) for x in self.progress.observed_interval],
                "replanned": self.progress.replanned,
                "configured_per_variant": None
                if self.progress.configured_per_variant is None
                else list(self.progress.configured_per_variant),
            },
            "results": records(self.table()),
            "funnel": records(self.funnel),
            "costs": records(self.costs),
            "cost_by_source": records(self.cost_by_source),
            "looks": records(self.looks),
        }

    # presenters (abtest.report) -------------------------------------------------
    def to_text(self) -> str:
        from abtest.report.text import render_text

        return render_text(self)

    def to_markdown(self) -> str:
        from abtest.report.markdown import render_markdown

        return render_markdown(self)

    def to_html(self, *, plots: bool = True) -> str:
        from abtest.report.html import render_html

        return render_html(self, plots=plots)

    def _repr_html_(self) -> str:
        return self.to_html(plots=True)

    def plot(self, kind: str = "lift", **kwargs: Any) -> Any:
        """A matplotlib Figure: ``"lift"`` (forest plot), ``"posterior"``,
        ``"timeline"`` (needs daily data), ``"funnel"``."""
        from abtest.report import plots

        return plots.plot(self, kind, **kwargs)

    def __repr__(self) -> str:
        return (
            f"Analysis({self.design.experiment!r}, method={self.design.method!r}, "
            f"winner={self.winner!r})"
        )
