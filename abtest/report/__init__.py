"""abtest.report: presenters that only read an :class:`~abtest.analysis.Analysis`.

Terminal text, Markdown, HTML (autoescaped templates), matplotlib figures
and the weekly report over a whole registry. Imported lazily: importing this
package does not import matplotlib or jinja2.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "render_text": "abtest.report.text",
    "render_markdown": "abtest.report.markdown",
    "render_html": "abtest.report.html",
    "plot": "abtest.report.plots",
    "variant_colors": "abtest.report.plots",
    "weekly_report": "abtest.report.weekly",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'abtest.report' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
