"""The experiment registry: one YAML file per experiment, checked in CI.

- :func:`load_registry` loads a folder into a :class:`Registry` (or raises
  :class:`RegistryError` listing every problem as ``FILE:LINE: message``);
- :class:`Experiment` and its parts are the pydantic models of one file
  (:mod:`abtest.registry.schema`);
- :func:`validate_paths` is what ``abtest validate`` runs: every problem of
  every file, errors and warnings, without raising.

This package imports pydantic and PyYAML only: no numpy, pandas or scipy, so
``abtest validate`` starts fast.
"""

from abtest.registry.problems import Problem, RegistryError
from abtest.registry.registry import (
    Registry,
    find_experiment_files,
    load_registry,
    validate_paths,
)
from abtest.registry.schema import (
    AnalysisConfig,
    Conclusion,
    DataSource,
    Experiment,
    Goal,
    Guardrail,
    Spend,
    Variant,
    json_schema,
)

__all__ = [
    "AnalysisConfig",
    "Conclusion",
    "DataSource",
    "Experiment",
    "Goal",
    "Guardrail",
    "Problem",
    "Registry",
    "RegistryError",
    "Spend",
    "Variant",
    "find_experiment_files",
    "json_schema",
    "load_registry",
    "validate_paths",
]
