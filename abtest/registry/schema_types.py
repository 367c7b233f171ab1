"""The field types, patterns and model configuration the registry's models share
(:mod:`abtest.registry.schema`, :mod:`abtest.registry.goal_schema`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo

from abtest import vocabulary
from abtest.registry.findings import Finding, dotted
from abtest.registry.problems import Loc

SLUG_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
DURATION_PATTERN = "(?i)" + vocabulary.DURATION_PATTERN  # abtest's one duration grammar

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80)]
Text = Annotated[str, Field(min_length=1)]
Rate = Annotated[float, Field(strict=True, gt=0, lt=1)]
Share = Annotated[float, Field(strict=True, gt=0, le=1)]
Positive = Annotated[float, Field(strict=True, gt=0)]
NonNegative = Annotated[float, Field(strict=True, ge=0)]
Flag = Annotated[bool, Field(strict=True)]
Duration = Annotated[
    str, Field(pattern=DURATION_PATTERN), AfterValidator(lambda text: _positive_duration(text))
]

Status = Literal["draft", "running", "stopped", "concluded"]
Unit = Literal["visitor", "user", "session", "account", "device"]
# the words of abtest.vocabulary (with their aliases): a registry file, the library and the
# command line accept the same ones
Method = Literal.__getitem__(vocabulary.METHODS)
# an alias is read as the word it stands for ("less" is "smaller"): what the rules and
# the plan compare is always the canonical word
Correction = Annotated[
    Literal.__getitem__(
        vocabulary.spellings(vocabulary.CORRECTIONS, vocabulary.CORRECTION_ALIASES)
    ),
    AfterValidator(vocabulary.correction),
]
Alternative = Annotated[
    Literal.__getitem__(
        vocabulary.spellings(vocabulary.ALTERNATIVES, vocabulary.ALTERNATIVE_ALIASES)
    ),
    AfterValidator(vocabulary.alternative),
]
Spending = Literal.__getitem__(vocabulary.SPENDING)

_CONFIG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)
FINDINGS = "findings"
"""Validation-context key: a list that collects rule findings instead of raising."""


def _positive_duration(text: str) -> str:
    """A duration in the grammar must also be longer than nothing (``0d`` is not)."""
    vocabulary.parse_duration(text, "attribution_window")
    return text


def _report(info: ValidationInfo, findings: list[Finding], prefix: Loc = ()) -> None:
    """Collect findings into the context's sink when there is one, else raise."""
    if not findings:
        return
    sink = info.context.get(FINDINGS) if isinstance(info.context, dict) else None
    if sink is not None:
        sink.extend(f._replace(loc=(*prefix, *f.loc)) for f in findings)
        return
    raise ValueError("; ".join(f"{dotted(f.loc) or 'experiment'}: {f.message}" for f in findings))
