"""What a decision is made of and what it returns: the sample against the plan
(:class:`Progress`), a harm (:class:`Harm`), the verdict with its code
(:class:`Decision`, :data:`DECISION_CODES`) and the analysis it reads
(:class:`Context`). The rule that makes one is :mod:`abtest.analysis.decision`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from abtest.analysis.guardrails import GuardrailCheck
from abtest.design import Design


@dataclass(frozen=True)
class Progress:
    """Sample collected against the plan.

    When the data contradicts the plan's baseline (the control's observed rate puts the
    assumed one outside its 99% interval), ``replanned`` is True and
    ``planned_per_variant`` is the sample the same relative MDE needs at the observed
    rate; ``configured_per_variant`` keeps the plan's own figure.
    """

    planned_per_variant: tuple[int, ...]
    observed_per_variant: tuple[int, ...]
    fraction: float  # of the planned sample, the least-filled variant
    days_left: int | None  # at current (or expected) traffic
    daily_units: float | None
    assumed_baseline: float | None = None
    observed_baseline: float | None = None
    observed_interval: tuple[float, float] | None = None  # 99% (Wilson) of the control rate
    replanned: bool = False
    configured_per_variant: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Harm:
    """A treatment significantly worse than the control on one goal (after correction);
    ``row`` is its row of the results table (a dict)."""

    metric: str
    variant: str
    row: dict = field(repr=False, compare=False)


# What decided, as a code a program can branch on (the reason says it in words).
DECISION_CODES = {
    "srm": "no winner: sample ratio mismatch",
    "sample": "no winner yet: the planned sample is not reached",
    "untestable": "no winner: the primary goal does not vary, no test is possible",
    "winner": "a treatment wins on the primary goal",
    "control_best": "the control wins or stays",
    "no_difference": "no winner: no significant (or credible) difference on the primary goal",
    "guardrail": "no winner: the best treatment breaks or may break a guardrail",
}


@dataclass(frozen=True)
class Decision:
    """The verdict: ``winner`` (or None), ``code`` (a key of :data:`DECISION_CODES`),
    the ``reason`` in words, the ``checks`` behind it, every guardrail checked and every
    harm found."""

    winner: str | None
    reason: str
    checks: dict[str, str] = field(default_factory=dict)
    guardrails: tuple[GuardrailCheck, ...] = ()
    harms: tuple[Harm, ...] = ()
    code: str = ""

    def __post_init__(self) -> None:
        if self.code not in DECISION_CODES:
            raise ValueError(f"decision code {self.code!r} is not one of {list(DECISION_CODES)}")


@dataclass(frozen=True)
class Context:
    """What every sentence of a decision needs to know."""

    design: Design
    table: pd.DataFrame
    test: str  # "fixed horizon" | "group sequential" | "always valid" | "bayesian"
    correction: str  # the correction actually applied to the families

    @cached_property
    def treatments(self) -> list[dict]:
        """The treatment rows of the table, as dicts (read many times below)."""
        cols = {c: self.table[c].to_numpy() for c in self.table.columns}
        rows = np.flatnonzero(~cols["is_control"].astype(bool))
        return [{c: v[i].item() if hasattr(v[i], "item") else v[i] for c, v in cols.items()}
                for i in rows]  # fmt: skip

    @cached_property
    def family_sizes(self) -> dict[str, int]:
        return dict(Counter(r["family"] for r in self.treatments))

    def primary_rows(self) -> list[dict]:
        return [r for r in self.treatments if r["metric"] == self.design.primary]
