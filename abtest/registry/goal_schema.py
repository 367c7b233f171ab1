"""The models of an experiment's goals and guardrails: what is measured (a conversion,
a value, a capped value or a quantile of the values) and what must not get worse."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from abtest.registry.schema_types import (
    _CONFIG,
    Duration,
    Flag,
    NonNegative,
    Rate,
    Slug,
    Text,
)


class Statistic(BaseModel):
    """A quantile goal: the ``quantile`` of the per-unit values (median order value,
    p90 time on page), tested on order statistics computed in the engine
    (abtest.data.order_stats)."""

    model_config = _CONFIG

    quantile: Rate = Field(description="The quantile compared: 0.5 = median, 0.9 = p90.")
    among: Literal["converters", "units"] = Field(
        "converters",
        description="converters: of the units with the event (median order value); "
        "units: of every exposed unit, those without the event counting 0.",
    )


class Capping(BaseModel):
    """Winsorization of a value goal: each unit's value is cut at a cap before it is
    summed, so a few very large orders do not decide the test (abtest.data.capping)."""

    model_config = _CONFIG

    percentile: Rate | None = Field(
        None,
        description="Cap at this quantile of the per-unit values over all the experiment's "
        "units, every variant (0.99 = p99; linear interpolation, R type 7).",
    )
    value: NonNegative | None = Field(None, description="A fixed cap instead, e.g. 1000.")
    ignore_zeros: Flag = Field(
        False,
        description="With percentile: the quantile of the units with a positive value "
        "only (units without the event left out).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Capping:
        if (self.percentile is None) == (self.value is None):
            raise ValueError("give exactly one of percentile (e.g. 0.99) or value (a fixed cap)")
        if self.value is not None and self.ignore_zeros:
            raise ValueError("ignore_zeros applies to a percentile cap, not to a fixed value")
        return self


class Goal(BaseModel):
    """A conversion (micro or macro) or a continuous metric measured per unit."""

    model_config = _CONFIG

    id: Slug = Field(description="Unique within the experiment; the metric name in results.")
    event: Text = Field(description="Event name in the conversions data.")
    kind: Literal["micro", "macro"] = Field(
        description="micro: a step (CTA click, add-to-cart); macro: the outcome that pays."
    )
    primary: Flag = Field(False, description="True for the one goal that decides the test.")
    value: str | None = Field(
        None,
        description="Column holding a value (e.g. revenue): makes the goal a continuous "
        "metric (value per unit) instead of a conversion rate.",
    )
    attribution_window: Duration | None = Field(
        None, description="Overrides analysis.attribution_window for this goal (7d, 48h, 2w)."
    )
    time_to_conversion: Flag = Field(
        False,
        description="Also analyse the time from first exposure to this goal (Kaplan-Meier "
        "median per variant, log-rank test).",
    )
    capping: Capping | None = Field(
        None,
        description="Value goals: cut each unit's value at a cap, {percentile: 0.99} "
        "(optionally ignore_zeros: true) or {value: 1000}.",
    )
    statistic: Statistic | None = Field(
        None,
        description="Value goals: compare a quantile of the per-unit values instead of "
        "the mean, {quantile: 0.5} (median; among: converters, the default, or units).",
    )
    description: str | None = Field(None, description="Free-text notes for reviewers.")


class Guardrail(BaseModel):
    """A goal that must not get worse by more than ``margin`` (relative)."""

    model_config = _CONFIG

    goal: Slug = Field(description="Id of one of the experiment's goals.")
    direction: Literal["increase", "decrease"] = Field(
        description="Which way is good for this metric (bounce: decrease)."
    )
    margin: NonNegative = Field(
        0.0,
        description="Largest tolerated relative change in the bad direction (0.02 = 2%).",
    )
