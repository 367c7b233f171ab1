"""The analysis :class:`~abtest.design.Design` of a registry experiment (what
:meth:`abtest.registry.Experiment.to_design` returns)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from abtest.design import Design, GuardrailSpec, MetricSpec

if TYPE_CHECKING:
    from abtest.registry.schema import Experiment


def design_of(exp: Experiment) -> Design:
    """The :class:`abtest.design.Design` the analysis runs on: variants (control
    first) and weights, goals, the method and decision rule, the plan, guardrails,
    funnel, spend and the names the reports show."""
    a = exp.analysis
    spend = exp.spend
    return Design(
        experiment=exp.id,
        variants=exp.variant_ids,
        weights=tuple(float(w) for w in exp.weights),
        metrics=tuple(
            MetricSpec(g.id, kind=g.kind, primary=g.primary, window=exp.attribution_window(g.id))
            for g in exp.goals
        ),
        method=a.method,
        alpha=a.alpha,
        power=a.power,
        correction=a.correction,
        alternative=a.alternative,
        mde=a.signed_mde,
        baseline=a.baseline,
        expected_daily_units=a.expected_daily_units,
        guardrails=tuple(
            GuardrailSpec(g.goal, direction=g.direction, margin=g.margin) for g in exp.guardrails
        ),
        funnel=exp.funnel,
        spend=_amounts(spend.per_variant if spend is not None else None),
        spend_per_source=_amounts(spend.per_source if spend is not None else None),
        source_column=spend.source_column if spend is not None else None,
        currency="USD" if spend is None else spend.currency,
        prob_best_threshold=a.prob_best,
        prior=tuple(float(x) for x in a.prior),
        traffic=exp.share,
        loss_threshold=a.loss_threshold,
        looks=a.looks,
        spending=a.spending,
        name=exp.name,
        hypothesis=exp.hypothesis,
        status=exp.status,
        start=exp.start,
        end=exp.end,
        variant_names={v.id: v.name for v in exp.variants if v.name},
    )


def _amounts(amounts: dict[str, float] | None) -> dict[str, float] | None:
    return None if amounts is None else {k: float(v) for k, v in amounts.items()}
