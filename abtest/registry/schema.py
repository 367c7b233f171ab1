"""Pydantic models of one experiment file.

Every model forbids unknown keys (a typo such as ``wieght`` is an error, not a
silently ignored key) and is frozen. Numbers and booleans are strict: ``"0.5"``
(text) is not a weight and ``"yes"`` is not ``true``. The rules that tie
fields together (one control, weights summing to 1, one primary goal, ordered
dates...) live in :mod:`abtest.registry.checks`; building a model in Python
raises on them, and loading a file reports them all with their lines.

Examples
--------
>>> exp = Experiment(
...     id="cta", name="CTA", hypothesis="Shorter CTA converts more", owner="growth",
...     status="draft", page="/", variants=[
...         {"id": "a", "name": "Now", "weight": 0.5, "control": True},
...         {"id": "b", "name": "Go", "weight": 0.5}],
...     goals=[{"id": "signup", "event": "signup", "kind": "macro", "primary": True}])
>>> exp.variant_ids, exp.weights, exp.primary_goal.id
(('a', 'b'), (0.5, 0.5), 'signup')
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from abtest import vocabulary
from abtest.design import Design
from abtest.registry import checks, goal_rules
from abtest.registry.goal_schema import Goal, Guardrail
from abtest.registry.problems import Loc
from abtest.registry.schema_types import (
    _CONFIG,
    Alternative,
    Correction,
    Duration,
    Flag,
    Method,
    NonNegative,
    Positive,
    Rate,
    Share,
    Slug,
    Spending,
    Status,
    Text,
    Unit,
    _report,
)
from abtest.registry.serving import Assignment, Holdout, RegistrySettings


class Variant(BaseModel):
    """One arm of the experiment (the control included)."""

    model_config = _CONFIG

    id: Slug = Field(description="Unique within the experiment; the value in the exposure data.")
    name: Text = Field(description="Human-readable label, e.g. the headline or CTA text.")
    weight: Share = Field(description="Share of the experiment's traffic; weights sum to 1.")
    control: Flag = Field(False, description="True for the one baseline variant.")
    url: str | None = Field(None, description="Where the variant is served, e.g. /pricing?v=b.")
    description: str | None = Field(None, description="Free-text notes for reviewers.")


class AnalysisConfig(BaseModel):
    """How the experiment is planned and analysed, and the decision rule."""

    model_config = _CONFIG

    method: Method = Field("frequentist", description="frequentist | bayesian | sequential.")
    alpha: Rate = Field(0.05, description="Significance level (two-sided unless alternative).")
    power: Rate = Field(0.8, description="Power to plan the sample size for.")
    alternative: Alternative = Field("two-sided", description="two-sided | larger | smaller.")
    mde: Positive | None = Field(
        None,
        description="Minimum detectable effect, relative, on the primary goal (0.1 = +10%; "
        "with alternative: smaller, a 10% decrease).",
    )
    baseline: Rate | None = Field(
        None, description="Expected control conversion rate of the primary goal (0.04 = 4%)."
    )
    expected_daily_units: Positive | None = Field(
        None, description="Eligible units per day on the page (before the traffic share)."
    )
    attribution_window: Duration = Field(
        "7d",
        description="Conversions count this long after first exposure (7d, 48h, 2w, 30m).",
    )
    correction: Correction = Field(
        vocabulary.DEFAULT_CORRECTION,
        description="Multiple-testing correction across variants: holm | bonferroni | bh | none.",
    )
    prob_best: Rate = Field(
        0.95, description="Bayesian: declare a winner when P(best) reaches this."
    )
    loss_threshold: NonNegative | None = Field(
        None, description="Bayesian: and its expected loss (absolute rate) is at most this."
    )
    prior: tuple[Positive, Positive] = Field(
        (1.0, 1.0), description="Bayesian: Beta(a, b) prior on each conversion rate."
    )
    looks: Annotated[int, Field(strict=True, ge=1, le=50)] | None = Field(
        None, description="Sequential: number of equally spaced analyses, the last included."
    )
    spending: Spending = Field(
        "obrien-fleming",
        description="Sequential: alpha-spending function: obrien-fleming | pocock.",
    )

    @property
    def signed_mde(self) -> float | None:
        """The relative change the plan is for: ``mde`` is a size, a decrease when the
        design tests for one (``alternative: smaller``), else an increase."""
        if self.mde is None:
            return None
        return -self.mde if self.alternative == "smaller" else self.mde


class Spend(BaseModel):
    """Acquisition spend, for cost per lead / acquisition and ROI: per variant, or per
    traffic source (what ad platforms report), exactly one of the two.

    Spend per source is shared across the variants by the units each got from that
    source, ``spend[s, v] = per_source[s] * n[s, v] / sum_v n[s, v]``
    (:mod:`abtest.analysis.source_costs`); the spend per variant is its sum over the
    sources. The rules tying it to ``data.segments`` are in
    :mod:`abtest.registry.spend_rules`.
    """

    model_config = _CONFIG

    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        description="ISO 4217 code, e.g. USD or EUR (one currency for all amounts)."
    )
    per_variant: dict[str, NonNegative] | None = Field(
        None,
        min_length=1,
        description="Variant id -> amount spent on that variant's traffic (or per_source).",
    )
    per_source: dict[str, NonNegative] | None = Field(
        None,
        min_length=1,
        description="Traffic source (a value of the data.segments column source_column) -> "
        "amount spent on it, shared across the variants by the units each got from that "
        "source (or per_variant).",
    )
    source_column: Text | None = Field(
        None,
        description="With per_source: the data.segments column holding each unit's source "
        "(default: source, or the only segment column).",
    )


class Conclusion(BaseModel):
    """The outcome of a concluded experiment."""

    model_config = _CONFIG

    variant: Slug = Field(description="The winning variant id, or 'none' for no change.")
    note: Text = Field(description="Why: the evidence and what ships.")
    date: dt.date | None = Field(None, description="When it was decided.")


class DataSource(BaseModel):
    """Where the experiment's data lives and how its columns are named."""

    model_config = _CONFIG

    exposures: str | None = Field(
        None, description="Exposure log: a CSV/Parquet path (globs allowed) or a table name."
    )
    conversions: str | None = Field(
        None, description="Conversion events: a CSV/Parquet path or a table name."
    )
    covariate: str | None = Field(
        None,
        description="Pre-period covariate per unit, for CUPED: a CSV/Parquet path or a table "
        "name with unit_id and value (and optionally experiment).",
    )
    segments: tuple[Text, ...] = Field(
        (),
        description="Exposure columns to break the primary goal's lift down by, e.g. "
        "[source] for lead sources (per-segment tests and a heterogeneity test).",
    )
    columns: dict[str, str | dict[str, str]] = Field(
        default_factory=dict,
        description="Canonical column name (unit_id, experiment, variant, timestamp, event, "
        "value) -> the column name in your data, for every log; or per log under exposures, "
        "conversions or covariate, e.g. covariate: {value: pre_revenue}.",
    )


class Experiment(BaseModel):
    """One experiment, as written in one YAML file of the registry.

    Properties give what the analysis layer needs in a fixed order: the
    ``control`` first in ``variant_ids`` and ``weights``, then the other variants
    in file order. ``path`` is the file it was loaded from (``None`` when built
    in Python); it is not part of the schema.
    """

    model_config = ConfigDict(**_CONFIG, title="abtest experiment")

    id: Slug = Field(description="Unique across the registry; lowercase slug, e.g. pricing-cta.")
    name: Text = Field(description="Short human-readable title.")
    hypothesis: Text = Field(description="What you expect to change, and why.")
    owner: Text = Field(description="Who answers for it: a person or team e-mail.")
    status: Status = Field(description="draft | running | stopped | concluded.")
    start: dt.date | None = Field(None, description="First day of traffic (YYYY-MM-DD).")
    end: dt.date | None = Field(None, description="Last planned day (YYYY-MM-DD), inclusive.")
    page: Text = Field(description="Landing page or surface under test, e.g. /pricing.")
    unit: Unit = Field("visitor", description="Randomization unit.")
    traffic: Share = Field(
        1.0, description="Share of the page's eligible units that enter the experiment."
    )
    variants: tuple[Variant, ...] = Field(min_length=2, description="Control first, usually.")
    goals: tuple[Goal, ...] = Field(min_length=1, description="Micro and macro conversions.")
    guardrails: tuple[Guardrail, ...] = Field((), description="Goals that must not get worse.")
    analysis: AnalysisConfig = Field(
        default_factory=AnalysisConfig, description="Planning and decision rule."
    )
    spend: Spend | None = Field(
        None, description="Spend per variant or per source (CPL, CAC, ROI)."
    )
    funnel: tuple[Text, ...] = Field(
        (), description="Ordered funnel steps (event names), e.g. [visitor, lead, customer]."
    )
    decision: Conclusion | None = Field(None, description="Required once status is concluded.")
    tags: tuple[Text, ...] = Field((), description="Free labels for filtering and reports.")
    data: DataSource | None = Field(None, description="Where the data lives, column mapping.")
    assignment: Assignment = Field(
        default_factory=Assignment,
        description="How units are assigned: seed, hash_version, coverage, namespace.",
    )

    _path: Path | None = PrivateAttr(None)
    _marks: dict[Loc, tuple[int, int]] | None = PrivateAttr(None)
    _settings: RegistrySettings | None = PrivateAttr(None)

    @field_validator("variants")
    @classmethod
    def _check_variants(cls, value: tuple[Variant, ...], info: ValidationInfo) -> Any:
        _report(info, checks.variant_findings(value))
        return value

    @field_validator("goals")
    @classmethod
    def _check_goals(cls, value: tuple[Goal, ...], info: ValidationInfo) -> Any:
        _report(info, goal_rules.goal_findings(value))
        return value

    @field_validator("funnel")
    @classmethod
    def _check_funnel(cls, value: tuple[str, ...], info: ValidationInfo) -> Any:
        _report(info, checks.funnel_findings(value))
        return value

    @model_validator(mode="after")
    def _check_experiment(self, info: ValidationInfo) -> Experiment:
        _report(info, checks.experiment_findings(self))
        return self

    # -- what the analysis layer reads -------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The YAML file this experiment was loaded from, or ``None``."""
        return self._path

    @property
    def seed(self) -> str:
        """The hash seed: ``assignment.seed``, else the experiment id."""
        return self.assignment.seed or self.id

    @property
    def share(self) -> float:
        """The share of the page's eligible units in the experiment: ``traffic`` when
        written, else the width of the namespace slice (1 without a namespace)."""
        ns = self.assignment.namespace
        if "traffic" in self.model_fields_set or ns is None:
            return self.traffic
        return ns.width

    @property
    def coverage(self) -> float:
        """The share of the eligible units served, as GrowthBook's ``coverage``: of those
        in the namespace slice, or of all the page's units without one.
        ``assignment.coverage`` when set, else :attr:`share` over the slice's width."""
        c = self.assignment.coverage
        if c is not None:
            return c
        ns = self.assignment.namespace
        return min(self.share / (ns.width if ns is not None else 1.0), 1.0)

    @property
    def holdout(self) -> Holdout | None:
        """The registry's holdout (``_registry.yaml``), when loaded from a registry."""
        return self._settings.holdout if self._settings is not None else None

    @property
    def control(self) -> Variant:
        """The control variant."""
        return next(v for v in self.variants if v.control)

    @property
    def treatments(self) -> tuple[Variant, ...]:
        """The non-control variants, in file order."""
        return tuple(v for v in self.variants if not v.control)

    @property
    def variant_ids(self) -> tuple[str, ...]:
        """Variant ids, the control first, then the others in file order."""
        return (self.control.id, *(v.id for v in self.treatments))

    @property
    def weights(self) -> tuple[float, ...]:
        """Configured traffic weights, in ``variant_ids`` order."""
        return (self.control.weight, *(v.weight for v in self.treatments))

    @property
    def primary_goal(self) -> Goal:
        """The goal that decides the test."""
        return next(g for g in self.goals if g.primary)

    def goal(self, goal_id: str) -> Goal:
        """The goal with id ``goal_id`` (``KeyError`` naming the known ids otherwise)."""
        for g in self.goals:
            if g.id == goal_id:
                return g
        raise KeyError(
            f"experiment '{self.id}' has no goal '{goal_id}' "
            f"(goals: {', '.join(g.id for g in self.goals)})"
        )

    def variant(self, variant_id: str) -> Variant:
        """The variant with id ``variant_id`` (``KeyError`` otherwise)."""
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(
            f"experiment '{self.id}' has no variant '{variant_id}' "
            f"(variants: {', '.join(self.variant_ids)})"
        )

    def analyze(self, source: Any = None, **kwargs: Any) -> Any:
        """Analyse this experiment on ``source`` and return an ``abtest.Analysis``.

        ``source``: a Summary, a unit-level DataFrame, ``(exposures, conversions)``,
        a folder of logs, or None for the experiment's ``data:`` section; see
        :func:`abtest.analysis.experiment.analyze_experiment`. (The import is
        deferred: the registry does not depend on the analysis layer at load time.)
        """
        from abtest.analysis.experiment import analyze_experiment

        return analyze_experiment(self, source, **kwargs)

    def to_design(self) -> Design:
        """The :class:`abtest.design.Design` the analysis runs on
        (:func:`abtest.registry.derive.design_of`)."""
        from abtest.registry.derive import design_of

        return design_of(self)

    def attribution_window(self, goal_id: str) -> str:
        """The goal's own window, else ``analysis.attribution_window``."""
        return self.goal(goal_id).attribution_window or self.analysis.attribution_window

    @property
    def scheduled_days(self) -> int | None:
        """Days from ``start`` to ``end`` inclusive, or ``None`` without both."""
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).days + 1

    def _mark(self, loc: Loc) -> tuple[int, int]:
        """``(line, column)`` of ``loc`` in the source file (closest marked parent)."""
        marks = self._marks or {}
        for end in range(len(loc), 0, -1):
            hit = marks.get(loc[:end])
            if hit is not None:
                return hit
        return (1, 1)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an experiment file, for editors and tools.

    >>> s = json_schema()
    >>> s["title"], s["additionalProperties"], "wieght" in s["$defs"]["Variant"]["properties"]
    ('abtest experiment', False, False)
    """
    schema = Experiment.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
