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

from abtest.analysis.metrics import MetricSums
from abtest.design import Design

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
    m: MetricSums,
    family: str,
    treatment: Mapping[str, np.ndarray],
    *,
    n: np.ndarray | None = None,
    mean: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """One metric's rows as columns: ``n`` and ``mean`` per variant (default: the
    metric's totals; a quantile goal's population and quantile), and the treatments'
        values of ``treatment`` (columns such as those of :data:`COMPARISON`, ``significant``,
    ``p_adjusted``, ``ci_level``; the
    control's entry is NaN, or False for ``significant``, None for objects)."""
    k = len(design.variants)
    spec = design.metric(m.metric)
    columns: dict[str, np.ndarray] = {
        "metric": np.full(k, m.metric, dtype=object),
        "variant": np.array(design.variants, dtype=object),
        "n": (m.size if n is None else n).astype(np.int64),
        "mean": np.asarray(m.center if mean is None else mean, dtype=float),
        "is_control": np.arange(k) == 0,
        "kind": np.full(k, m.kind if m.kind != "binary" else spec.kind, dtype=object),
        "family": np.full(k, family, dtype=object),
    }
    if m.order is not None:  # what a quantile goal compares, e.g. "p50 among converters"
        columns["statistic"] = np.full(k, m.order.describe(), dtype=object)
    for col, values in treatment.items():
        values = np.broadcast_to(np.asarray(values), (k - 1,))
        if values.dtype == bool:
            columns[col] = np.concatenate([[False], values])
        elif values.dtype == object:
            columns[col] = np.array([None, *values], dtype=object)
        else:
            columns[col] = np.concatenate([[np.nan], values.astype(float)])
    return columns


def finish(parts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """One table from the metrics' columns, API columns first (a column some metrics
    lack is NaN there)."""
    names = list(dict.fromkeys(c for part in parts for c in part))
    names = [c for c in TABLE_COLUMNS if c in names] + [c for c in names if c not in TABLE_COLUMNS]
    data = {}
    for c in names:
        pieces = [part[c] if c in part else np.full(len(part["metric"]), np.nan) for part in parts]
        data[c] = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    return pd.DataFrame(data)


def look_frames(
    metric: str,
    variants: list[str],
    days: list,
    n: np.ndarray,
    total: np.ndarray,
    lift: np.ndarray,
    lift_ci: tuple[np.ndarray, np.ndarray],
    **per_treatment: np.ndarray,
) -> list[pd.DataFrame]:
    """One frame per treatment of its comparison with the control at every look: units
    and means of both arms from the cumulative ``n`` and ``total`` (variants x looks),
    the lift and its interval (treatments x looks, broadcast), and the columns of
    ``per_treatment`` (each an array whose row j belongs to treatment j, or a scalar)."""
    shape = n[1:].shape
    frames = []
    for j, v in enumerate(variants[1:]):
        extra = {
            k: (np.broadcast_to(x, shape)[j] if np.ndim(x) else x) for k, x in per_treatment.items()
        }
        frames.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "variant": v,
                    "look": np.arange(1, len(days) + 1),
                    "day": days,
                    "n_control": n[0],
                    "n_variant": n[j + 1],
                    "mean_control": total[0] / n[0],
                    "mean_variant": total[j + 1] / n[j + 1],
                    "lift": np.broadcast_to(lift, shape)[j],
                    "lift_low": np.broadcast_to(lift_ci[0], shape)[j],
                    "lift_high": np.broadcast_to(lift_ci[1], shape)[j],
                    **extra,
                }
            )
        )
    return frames
