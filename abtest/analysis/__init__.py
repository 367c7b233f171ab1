"""Analysis: join a design and a Summary, run the configured method, decide.

``abtest.analyze(data, ...)`` and ``Experiment.analyze(source)`` both end here.
"""

from abtest.analysis.api import analyze
from abtest.analysis.result import Analysis
from abtest.design import Design, GuardrailSpec, MetricSpec

__all__ = ["Analysis", "Design", "GuardrailSpec", "MetricSpec", "analyze"]
