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

from abtest.data.time_to import _seconds

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

    backend = con.name
    e = exposures.filter(exposures.unit_id.notnull(), exposures.timestamp.notnull())
    if start is not None:
        e = e.filter(e.timestamp >= ibis.timestamp(start))
    if end is not None:
        e = e.filter(e.timestamp < ibis.timestamp(end))
    if experiments is not None:
        e = e.filter(e.experiment.isin(experiments))
    units = e.group_by(["experiment", "unit_id"]).aggregate(
        first=e.timestamp.min(), variant=e.variant.min(), other=e.variant.max()
    )
    units = units.filter(units.variant == units.other).drop("other")
    c = conversions.filter(conversions.event == event, conversions.timestamp.notnull())
    if as_of is not None:
        c = c.filter(c.timestamp < ibis.timestamp(as_of))
    j = units.join(c.select("unit_id", t=c.timestamp), "unit_id")
    j = j.filter(j.t >= j.first)
    if window is not None:
        j = j.filter(_seconds(j.t, j.first, backend) < window.total_seconds())
    hit = j.group_by(["experiment", "unit_id"]).aggregate(hit=j.t.min())
    u = units.left_join(hit, ["experiment", "unit_id"])
    rows = u.select(
        "experiment", "variant", day=u.first.date(), conv=ibis.cases((u.hit.notnull(), 1), else_=0)
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
