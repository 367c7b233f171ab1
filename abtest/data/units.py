"""Unit-level pandas data (one row per unit) to a :class:`~abtest.data.summary.Summary`.

Every problem is an error that names the column, the row and what to do;
nothing is dropped silently and the caller's frame is never modified.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abtest.data.summary import Summary


def _row_label(df: pd.DataFrame, mask: pd.Series) -> str:
    rows = df.index[mask.to_numpy()]
    shown = ", ".join(map(str, rows[:5]))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return f"row {shown}{more}" if len(rows) == 1 else f"rows {shown}{more}"


# text columns read as conversions: each pair is (yes-like, no-like), case-insensitive
_TEXT_BOOLEANS = ({"yes", "no"}, {"true", "false"}, {"y", "n"})
_ID_NAME = re.compile(
    r"(?i:(^|[_\-\s.])(id|uuid|guid)$)"  # id, user_id, session-id, visitor.uuid
    r"|[a-z](Id|ID)$"  # userId, auctionID
    r"|(?i:^(user|session|visitor|customer|client|auction|order|device|account)id$)"  # userid
)


@dataclass(frozen=True)
class UnitGoals:
    """The goals analysed from a unit-level frame, and what was left out and why."""

    metrics: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (column, why)

    def note(self, primary: str) -> str:
        """``retention_1 (primary), retention_7; not analysed: userid (identifier),
        sum_gamerounds (numeric; ...)``."""
        shown = [f"{m} (primary)" if m == primary else m for m in self.metrics]
        text = ", ".join(shown)
        if self.skipped:
            text += "; not analysed: " + ", ".join(f"{c} ({why})" for c, why in self.skipped)
        return text


def choose_unit_goals(
    df: pd.DataFrame, variant: str, unit: str | None, metrics: Sequence[str] | None
) -> UnitGoals:
    """Which columns of a unit-level frame are goals.

    With ``metrics`` given, exactly those. Without: the conversion columns only —
    0/1, boolean or yes/no (true/false) columns, in column order. Identifier-like
    columns (named like an id, or one distinct value per row) and numeric columns
    that are not declared are never analysed silently: they are listed as not
    analysed, and when no conversion column remains the error lists the candidates
    and shows the ``metrics=`` call.
    """
    if metrics is not None:
        metrics = list(metrics)
        missing = [m for m in metrics if m not in df.columns]
        if missing:
            raise ValueError(
                f"metric column(s) {', '.join(map(repr, missing))} not in the data; "
                f"the columns are {', '.join(map(str, df.columns))}"
            )
        return UnitGoals(tuple(metrics))
    chosen, skipped = [], []
    for c in df.columns:
        if c in (variant, unit):
            continue
        col = df[c]
        if _ID_NAME.search(str(c)):
            skipped.append((str(c), "identifier"))
        elif _unique_key(col):
            skipped.append((str(c), "one distinct value per row"))
        elif conversion_values(col) is not None:
            chosen.append(str(c))
        elif pd.api.types.is_numeric_dtype(col):
            skipped.append((str(c), "numeric, not a 0/1 conversion"))
    numeric = [c for c, why in skipped if why.startswith("numeric")]
    if not chosen:
        hint = (
            f"numeric column(s) {', '.join(numeric)} can be value goals: pass "
            f"metrics={numeric[:2]!r} (the first is the primary goal)"
            if numeric
            else "give metrics=[...] with 0/1 conversion columns or numeric value columns"
        )
        raise ValueError(f"no conversion (0/1, boolean or yes/no) column found; {hint}")
    if numeric:
        skipped = [
            (c, f"{why}; pass metrics=[...] to analyse it as a value goal")
            if c == numeric[0]
            else (c, why)
            for c, why in skipped
        ]
    return UnitGoals(tuple(chosen), tuple(skipped))


def _unique_key(col: pd.Series) -> bool:
    """Integers or text with one distinct value per row: a key, not a measurement (a
    continuous measurement such as time on page can be unique too, and stays numeric)."""
    if pd.api.types.is_float_dtype(col) or col.dtype == bool:
        return False
    return len(col) > 2 and col.nunique(dropna=False) == len(col)


def conversion_values(col: pd.Series) -> pd.Series | None:
    """The column as 0/1 floats when it is a conversion column (0/1 numbers,
    booleans, or yes/no, true/false, y/n text), else None."""
    if col.dtype == bool:
        return col.astype(float)
    if pd.api.types.is_numeric_dtype(col):
        values = col.astype(float)
        return values if values.notna().all() and values.isin([0.0, 1.0]).all() else None
    if col.notna().all() and len(col):
        text = col.astype(str).str.strip().str.lower()
        seen = set(text.unique())
        for yes_no in _TEXT_BOOLEANS:
            if seen <= yes_no:
                yes = next(iter(sorted(yes_no, key=len, reverse=True)))  # "yes"/"true"/"y"
                return (text == yes).astype(float)
    return None


def summary_from_units(
    df: pd.DataFrame,
    *,
    variant: str = "variant",
    metrics: Sequence[str] | None = None,
    unit: str | None = "unit_id",
    experiment: str = "experiment",
    variants: Sequence[str] | None = None,
) -> tuple[Summary, UnitGoals]:
    """Aggregate one row per unit into n, sum and sum of squares per (variant, metric).

    A metric column holding only 0 and 1 (or booleans, or yes/no text) is a binary
    conversion; any other numeric column is a value metric. ``metrics`` defaults to
    the conversion columns (:func:`choose_unit_goals`). Returns the Summary and the
    goals chosen (with the columns left out and why).

    >>> df = pd.DataFrame({"variant": ["a", "a", "b"], "signup": [1, 0, 1]})
    >>> s, goals = summary_from_units(df)
    >>> s.to_frame()[["variant", "n", "sum"]].values.tolist(), goals.metrics
    ([['a', 2, 1.0], ['b', 1, 1.0]], ('signup',))
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
    goals = choose_unit_goals(df, variant, unit, metrics)

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
    for m in goals.metrics:
        col = df[m]
        values = conversion_values(col)
        if values is None and pd.api.types.is_numeric_dtype(col):
            values = col.astype(float)
        elif values is None:
            numeric = pd.to_numeric(col, errors="coerce")
            bad = numeric.isna() & col.notna()
            raise ValueError(
                f"metric column {m!r} is not numeric: {col[bad].iloc[0]!r} at "
                f"{_row_label(df, bad)}; use 0/1 (or yes/no) for conversions and numbers "
                "for values"
            )
        nan = values.isna()
        if nan.any():
            raise ValueError(
                f"metric column {m!r} has {int(nan.sum())} missing value(s) at "
                f"{_row_label(df, nan)}; if missing means 'did not convert', fill with 0 "
                f"(df[{m!r}].fillna(0)), otherwise drop those units explicitly"
            )
        infinite = ~np.isfinite(values.to_numpy())
        if infinite.any():
            raise ValueError(
                f"metric column {m!r} holds infinite values at "
                f"{_row_label(df, pd.Series(infinite, index=df.index))}; drop or fix them"
            )
        kind = "binary" if values.isin([0.0, 1.0]).all() else "value"
        g = pd.DataFrame({"variant": labels, "v": values, "v2": values**2}).groupby(
            "variant", sort=False
        )
        agg = g.agg(n=("v", "size"), sum=("v", "sum"), sum_sq=("v2", "sum")).reset_index()
        agg.insert(0, "experiment", experiment)
        agg.insert(2, "metric", m)
        agg.insert(3, "kind", kind)
        rows.append(agg)
    return Summary(pd.concat(rows, ignore_index=True)), goals
