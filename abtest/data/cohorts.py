"""Exposure-day cohorts: per (experiment, variant, day of first exposure), the units and
those that converted within the goal's attribution window, counted in the engine.

What the novelty check (:mod:`abtest.analysis.novelty`) reads: if a treatment's lift is
a novelty effect, units that met it early convert more than units that met it later.
Same units as :func:`abtest.summarize` (single-variant units, exposures from ``start``
to ``end``) and the same conversion rule (first goal event at or after the first
exposure and inside the window, before ``as_of``); the day is the UTC date of the first
exposure. A cohort whose window has not closed by the analysis end is still converting:
``closed`` says which (the analysis uses the closed ones).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from abtest.data.time_to import analysed_units, with_first_conversion

COLUMNS = ("experiment", "variant", "metric", "day", "n", "converted", "closed")


def cohort_counts(
    exposures: Any,
    conversions: Any,
    con: Any,
    metric: str,
    event: str,
    window: timedelta | None,
    *,
    start: datetime | None,
    end: datetime | None,
    as_of: datetime | None,
    analysis_end: datetime | None,
    experiments: list[str] | None = None,
) -> pd.DataFrame:
    """``COLUMNS`` for one goal (module docstring); prepared Ibis tables on ``con``."""
    import ibis

    units = analysed_units(exposures, start, end, experiments, con.name)
    u = with_first_conversion(units, conversions, event, window, as_of, con.name)
    rows = u.select(
        "experiment", "variant", day=u.first.date(), conv=ibis.cases((u.t.notnull(), 1), else_=0)
    )
    counted = rows.group_by(["experiment", "variant", "day"]).aggregate(
        n=rows.count(), converted=rows.conv.sum()
    )
    out = con.execute(counted)
    out.insert(2, "metric", metric)
    out["day"] = pd.to_datetime(out["day"])
    if analysis_end is None or window is None:
        out["closed"] = window is None
    else:
        # the last unit of day d is exposed before d + 1 day: its window closes by then
        out["closed"] = out["day"] + pd.Timedelta(days=1) + window <= pd.Timestamp(analysis_end)
    out = out.astype({"n": "int64", "converted": "int64"})
    return out[list(COLUMNS)].sort_values(["experiment", "variant", "day"]).reset_index(drop=True)
