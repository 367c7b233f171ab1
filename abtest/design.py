"""What an analysis needs to know about an experiment, independent of where it came from.

A :class:`Design` is built either from keyword arguments of :func:`abtest.analyze` or by a
registry experiment (:meth:`abtest.registry.Experiment.to_design`), so the analysis code
has one input shape. Standard library only (and :mod:`abtest.vocabulary`): the registry
builds one without importing the analysis layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from abtest import vocabulary

METHODS = vocabulary.METHODS
ALTERNATIVES = vocabulary.ALTERNATIVES


@dataclass(frozen=True)
class MetricSpec:
    """One goal: ``kind`` is the goal's role (``"micro"`` or ``"macro"``)."""

    id: str
    kind: str = "macro"
    primary: bool = False
    name: str | None = None
    # the attribution window ("7d"): units exposed less than this before the data's end
    # have not finished converting (the baseline check leaves them out)
    window: str | None = None


@dataclass(frozen=True)
class GuardrailSpec:
    """A metric that must not get worse by more than ``margin`` (relative lift).

    ``direction`` is the good direction: ``"decrease"`` for bounce rate (an
    increase above +margin breaks it), ``"increase"`` for, e.g., revenue (a drop
    below -margin breaks it).
    """

    metric: str
    direction: str = "increase"
    margin: float = 0.0


@dataclass(frozen=True)
class Design:
    """Variants (control first), metrics, method and decision settings of one experiment."""

    experiment: str = "experiment"
    variants: tuple[str, ...] | None = None
    weights: tuple[float, ...] | None = None
    metrics: tuple[MetricSpec, ...] | None = None
    method: str = "frequentist"
    alpha: float = vocabulary.DEFAULT_ALPHA
    power: float = vocabulary.DEFAULT_POWER
    correction: str = vocabulary.DEFAULT_CORRECTION
    alternative: str = "two-sided"
    mde: float | None = None
    baseline: float | None = None
    expected_daily_units: float | None = None
    guardrails: tuple[GuardrailSpec, ...] = ()
    funnel: tuple[str, ...] = ()
    spend: dict[str, float] | None = None
    # spend per traffic source (a value of the segment column ``source_column``), shared
    # across the variants by their units from that source; exclusive with ``spend``
    spend_per_source: dict[str, float] | None = None
    source_column: str | None = None
    currency: str = "USD"
    prob_best_threshold: float = vocabulary.DEFAULT_PROB_BEST
    loss_threshold: float | None = None
    prior: tuple[float, float] = (1.0, 1.0)
    traffic: float = 1.0
    looks: int | None = None
    spending: str = "obrien-fleming"
    name: str | None = None
    hypothesis: str | None = None
    status: str | None = None
    start: date | None = None
    end: date | None = None
    variant_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # the words are checked (and aliases made canonical) here, where they enter
        for name, check in (
            ("method", vocabulary.method),
            ("correction", vocabulary.correction),
            ("alternative", vocabulary.alternative),
            ("spending", vocabulary.spending),
        ):
            object.__setattr__(self, name, check(getattr(self, name), name))
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha = {self.alpha!r}: must be strictly between 0 and 1")
        way = {"larger": 1, "smaller": -1}.get(self.alternative)
        if self.mde is not None and way is not None and way * self.mde < 0:
            # a one-sided test looks one way; its plan is of a change that way
            raise ValueError(
                f"mde = {self.mde!r} with alternative {self.alternative!r}: a test for "
                f"{'an increase' if way > 0 else 'a decrease'} plans one; give "
                f"mde = {way * abs(self.mde)!r}"
            )
        if self.variants is not None and len(set(self.variants)) != len(self.variants):
            raise ValueError(f"variants {self.variants} contain duplicates")
        if self.weights is not None and self.variants is not None:
            if len(self.weights) != len(self.variants):
                raise ValueError(f"{len(self.weights)} weights for {len(self.variants)} variants")
        if self.spend is not None and self.spend_per_source is not None:
            raise ValueError(
                "give spend (per variant) or spend_per_source, not both: spend per source is "
                "shared across the variants by their units, which gives the spend per variant"
            )
        unknown = sorted(set(self.spend or ()) - set(self.variants or ()))
        if unknown and self.variants is not None:  # its amount would be left out in silence
            raise ValueError(
                f"spend names {', '.join(map(repr, unknown))}, not a variant of "
                f"{self.experiment!r} ({', '.join(map(repr, self.variants or ()))}): key the "
                "spend by variant id"
            )
        for name in ("spend", "spend_per_source"):
            negative = [k for k, v in (getattr(self, name) or {}).items() if not v >= 0]
            if negative:
                raise ValueError(
                    f"{name} of {', '.join(map(repr, negative))} is not a number >= 0; "
                    "write the amount spent (0 if it cost nothing)"
                )

    @property
    def primary(self) -> str | None:
        if not self.metrics:
            return None
        for m in self.metrics:
            if m.primary:
                return m.id
        return self.metrics[0].id

    def good_direction(self, metric_id: str) -> str:
        """``"decrease"`` for a guardrail whose good direction is down, or for a goal of
        a design that tests for a decrease (``alternative="smaller"``); else
        ``"increase"``."""
        for g in self.guardrails:
            if g.metric == metric_id:
                return g.direction
        return "decrease" if self.alternative == "smaller" else "increase"

    def metric(self, metric_id: str) -> MetricSpec:
        for m in self.metrics or ():
            if m.id == metric_id:
                return m
        return MetricSpec(metric_id)


def source_column(segments: tuple[str, ...] | list[str], given: str | None = None) -> str | None:
    """Which segment column holds the traffic source that spend per source is keyed by:
    ``given`` if it is one of ``segments``, else ``source`` if present, else the only
    segment column; None otherwise.

    >>> source_column(["device", "source"]), source_column(["utm_source"])
    ('source', 'utm_source')
    >>> source_column(["device", "country"]) is None, source_column([], "source") is None
    (True, True)
    """
    if given is not None:
        return given if given in segments else None
    if "source" in segments:
        return "source"
    return segments[0] if len(segments) == 1 else None
