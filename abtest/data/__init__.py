"""abtest.data: from where the user's data lives to a :class:`Summary`.

- :func:`summarize` (``abtest.summarize``): exposure and conversion logs →
  per-(experiment, variant, metric[, segment][, day]) sufficient statistics;
- :class:`EventMetric`, :class:`ColumnMapping`: the metrics and the user's column names;
- :func:`generate_traffic`: seeded synthetic logs with known true rates;
- :data:`REASONS`: the exclusion reasons a Summary reports.

Heavy imports (pandas, DuckDB, Ibis) happen on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Summary": "abtest.data.summary",
    "summarize": "abtest.data.aggregate",
    "EventMetric": "abtest.data.model",
    "ColumnMapping": "abtest.data.model",
    "parse_window": "abtest.data.model",
    "REASONS": "abtest.data.checks",
    "generate_traffic": "abtest.data.synthetic",
    "ExperimentSpec": "abtest.data.synthetic",
    "GoalSpec": "abtest.data.synthetic",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'abtest.data' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
