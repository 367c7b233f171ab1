"""The results table's shape, shared by the frequentist, Bayesian and sequential tables.

One row per (metric, variant), control first within a metric; the control's
comparison columns are empty (NaN). Multiple-testing families (DESIGN.md: Holm
across variants by default): the primary goal's treatment-vs-control comparisons
form one family; all secondary goals' comparisons together form a second, so
secondary goals never dilute (or inflate) the primary decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from abtest.analysis.design import Design
from abtest.analysis.metrics import MetricArrays

TABLE_COLUMNS = [
    "metric",
    "variant",
    "n",
    "mean",
    "diff",
    "diff_low",
    "diff_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "significant",
]
# per treatment, the comparison columns each method fills
COMPARISON = ["diff", "diff_low", "diff_high", "lift", "lift_low", "lift_high", "p_value"]


def families(design: Design, metrics: Iterable[str]) -> dict[str, list[str]]:
    """``{"primary": [primary], "secondary": [the others]}`` (empty families left out)."""
    metrics = list(metrics)
    out = {"primary": [m for m in metrics if m == design.primary]}
    out["secondary"] = [m for m in metrics if m != design.primary]
    return {k: v for k, v in out.items() if v}


def metric_rows(
    design: Design,
    m: MetricArrays,
    family: str,
    treatment: Mapping[str, np.ndarray],
    *,
    n: np.ndarray | None = None,
    mean: np.ndarray | None = None,
) -> pd.DataFrame:
    """One metric's rows: ``n`` and ``mean`` per variant (default: the metric's
    totals), and the treatments' values of ``treatment`` (columns such as those of
    :data:`COMPARISON`, ``significant``, ``p_adjusted``, ``ci_level``; the control's
    entry is NaN, or False for ``significant``)."""
    k = len(design.variants)
    spec = design.metric(m.metric)
    frame = pd.DataFrame(
        {
            "metric": m.metric,
            "variant": list(design.variants),
            "n": (m.n if n is None else n).astype(np.int64),
            "mean": m.mean if mean is None else mean,
            "is_control": [True] + [False] * (k - 1),
            "kind": "value" if m.kind == "value" else spec.kind,
            "family": family,
        }
    )
    for col, values in treatment.items():
        values = np.broadcast_to(np.asarray(values), (k - 1,))
        if values.dtype == bool:
            frame[col] = np.concatenate([[False], values])
        elif values.dtype == object:
            frame[col] = [None, *values]
        else:
            frame[col] = np.concatenate([[np.nan], values.astype(float)])
    return frame


def finish(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The concatenated table, API columns first."""
    table = pd.concat(frames, ignore_index=True)
    rest = [c for c in table.columns if c not in TABLE_COLUMNS]
    return table[[c for c in TABLE_COLUMNS if c in table.columns] + rest]
