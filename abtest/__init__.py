"""abtest: A/B testing and conversion-rate optimization for growth teams.

The top level is kept light (the CLI's ``validate`` path must not import
pandas, scipy or matplotlib): public names are imported lazily on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "analyze": "abtest.analysis",
    "assign": "abtest.assignment",
    "Analysis": "abtest.analysis",
    "Summary": "abtest.data.summary",
    "summarize": "abtest.data.aggregate",
    "load_registry": "abtest.registry",
    "Registry": "abtest.registry",
    "Experiment": "abtest.registry",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'abtest' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
