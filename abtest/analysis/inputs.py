"""Unit-level pandas data (one row per unit) to a :class:`~abtest.data.summary.Summary`.

Every problem is an error that names the column, the row and what to do;
nothing is dropped silently and the caller's frame is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abtest.data.summary import Summary


def _row_label(df: pd.DataFrame, mask: pd.Series) -> str:
    rows = df.index[mask.to_numpy()]
    shown = ", ".join(map(str, rows[:5]))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return f"row {shown}{more}" if len(rows) == 1 else f"rows {shown}{more}"


def summary_from_units(
    df: pd.DataFrame,
    *,
    variant: str = "variant",
    metrics: Sequence[str] | None = None,
    unit: str | None = "unit_id",
    experiment: str = "experiment",
    variants: Sequence[str] | None = None,
) -> Summary:
    """Aggregate one row per unit into n, sum and sum of squares per (variant, metric).

    A metric column holding only 0 and 1 (or booleans) is a binary conversion;
    any other numeric column is a value metric. ``metrics`` defaults to every
    numeric or boolean column other than ``variant`` and ``unit``.

    >>> df = pd.DataFrame({"variant": ["a", "a", "b"], "signup": [1, 0, 1]})
    >>> summary_from_units(df).to_frame()[["variant", "n", "sum"]].values.tolist()
    [['a', 2, 1.0], ['b', 1, 1.0]]
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame or a Summary, got {type(df).__name__}")
    if variant not in df.columns:
        raise ValueError(
            f"no variant column {variant!r}; the columns are {', '.join(map(str, df.columns))}. "
            "Pass variant='<your column>'"
        )
    if df.empty:
        raise ValueError("the data has no rows")
    null_variant = df[variant].isna()
    if null_variant.any():
        raise ValueError(
            f"column {variant!r} is empty at {_row_label(df, null_variant)}: every unit needs "
            "its variant; drop those rows first if they were never exposed"
        )
    if unit is not None and unit in df.columns:
        dup = df[unit].duplicated(keep=False)
        if dup.any():
            first = df.loc[dup.to_numpy(), unit].iloc[0]
            first = first.item() if hasattr(first, "item") else first
            raise ValueError(
                f"unit id {first!r} appears more than once in column {unit!r} "
                f"({_row_label(df, dup)}); the data must have one row per unit — aggregate "
                "events per unit first, or use abtest.summarize() on raw events"
            )
    skip = {variant, unit}
    if metrics is None:
        metrics = [
            c
            for c in df.columns
            if c not in skip and (pd.api.types.is_numeric_dtype(df[c]) or df[c].dtype == bool)
        ]
        if not metrics:
            raise ValueError(
                "no numeric metric columns found; give metrics=[...] with 0/1 conversion "
                "columns or numeric value columns"
            )
    else:
        metrics = list(metrics)
        missing = [m for m in metrics if m not in df.columns]
        if missing:
            raise ValueError(
                f"metric column(s) {', '.join(map(repr, missing))} not in the data; "
                f"the columns are {', '.join(map(str, df.columns))}"
            )

    labels = df[variant].astype(str)
    if variants is not None:
        unknown = ~labels.isin(list(variants))
        if unknown.any():
            bad = sorted(labels[unknown].unique())
            raise ValueError(
                f"variant(s) {', '.join(map(repr, bad))} in column {variant!r} "
                f"({_row_label(df, unknown)}) are not in the experiment's variants "
                f"{', '.join(map(repr, variants))}: fix the data or the experiment config"
            )
    rows = []
    for m in metrics:
        col = df[m]
        if col.dtype == bool:
            values = col.astype(float)
        elif pd.api.types.is_numeric_dtype(col):
            values = col.astype(float)
        else:
            numeric = pd.to_numeric(col, errors="coerce")
            bad = numeric.isna() & col.notna()
            raise ValueError(
                f"metric column {m!r} is not numeric: {col[bad].iloc[0]!r} at "
                f"{_row_label(df, bad)}; use 0/1 for conversions and numbers for values"
            )
        nan = values.isna()
        if nan.any():
            raise ValueError(
                f"metric column {m!r} has {int(nan.sum())} missing value(s) at "
                f"{_row_label(df, nan)}; if missing means 'did not convert', fill with 0 "
                f"(df[{m!r}].fillna(0)), otherwise drop those units explicitly"
            )
        if not np.isfinite(values.to_numpy()).all():
            raise ValueError(f"metric column {m!r} holds infinite values")
        kind = "binary" if values.isin([0.0, 1.0]).all() else "value"
        g = pd.DataFrame({"variant": labels, "v": values, "v2": values**2}).groupby(
            "variant", sort=False
        )
        agg = g.agg(n=("v", "size"), sum=("v", "sum"), sum_sq=("v2", "sum")).reset_index()
        agg.insert(0, "experiment", experiment)
        agg.insert(2, "metric", m)
        agg.insert(3, "kind", kind)
        rows.append(agg)
    return Summary(pd.concat(rows, ignore_index=True))
