"""How an experiment is served: its ``assignment:`` section and the registry's holdout.

The settings :func:`abtest.assign` and ``abtest export`` read, in GrowthBook's terms:
the hash ``seed`` (default: the experiment id), the ``hash_version``, the ``coverage``
(the ramp-up share; default: the experiment's ``traffic``) and a ``namespace`` slice
for experiments that must never share a unit. The registry-wide ``holdout`` lives in
``_registry.yaml`` beside the experiment files: a share of all units kept out of
every experiment, to measure the long-term effect of everything shipped.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SETTINGS_FILE = "_registry.yaml"
"""The registry-wide settings file in an experiments folder (not an experiment)."""

DEFAULT_HOLDOUT_SEED = "abtest-holdout"

_CONFIG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False)
Fraction = Annotated[float, Field(strict=True, ge=0, le=1)]
HashVersion = Literal[1, 2]


class Namespace(BaseModel):
    """A slice of a named namespace: experiments in one namespace with disjoint ranges
    never share a unit (GrowthBook's ``namespace: [name, lo, hi]``)."""

    model_config = _CONFIG

    name: Annotated[str, Field(min_length=1, pattern=r"^\S+$")] = Field(
        description="Namespace shared by the experiments that exclude each other."
    )
    range: tuple[Fraction, Fraction] = Field(
        description="[lo, hi): this experiment's slice of the namespace, 0 <= lo < hi <= 1."
    )

    @property
    def width(self) -> float:
        """The share of all units in the slice, ``hi - lo``."""
        return self.range[1] - self.range[0]

    @model_validator(mode="after")
    def _ordered(self) -> Namespace:
        lo, hi = self.range
        if lo >= hi:
            raise ValueError(
                f"namespace range [{lo:g}, {hi:g}) is empty: lo must be below hi, e.g. [0, 0.5]"
            )
        return self


class Assignment(BaseModel):
    """Which unit sees which variant: GrowthBook's hash settings for this experiment."""

    model_config = _CONFIG

    seed: Annotated[str, Field(min_length=1)] | None = Field(
        None, description="Hash seed (default: the experiment id). Changing it reshuffles units."
    )
    hash_version: HashVersion = Field(
        2, description="GrowthBook hash version: 2 (default) or 1 for buckets made with v1."
    )
    coverage: Annotated[float, Field(strict=True, gt=0, le=1)] | None = Field(
        None,
        description="Ramp-up: the share of eligible units served, in (0, 1] (default: "
        "traffic). Raising it keeps every unit already in where it was.",
    )
    namespace: Namespace | None = Field(
        None, description="Mutual exclusion: {name, range: [lo, hi]}."
    )


class Holdout(BaseModel):
    """Units kept out of every experiment of the registry (long-term holdout)."""

    model_config = _CONFIG

    fraction: Annotated[float, Field(strict=True, gt=0, lt=1)] = Field(
        description="Share of all units held out, e.g. 0.05."
    )
    seed: Annotated[str, Field(min_length=1)] = Field(
        DEFAULT_HOLDOUT_SEED, description="Hash seed of the holdout (changing it reshuffles)."
    )
    hash_version: HashVersion = Field(2, description="GrowthBook hash version: 2 or 1.")


class RegistrySettings(BaseModel):
    """``_registry.yaml``: settings for every experiment of the folder."""

    model_config = ConfigDict(**_CONFIG, title="abtest registry settings")

    holdout: Holdout | None = Field(None, description="Units kept out of every experiment.")
