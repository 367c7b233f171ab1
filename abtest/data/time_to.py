"""Time from first exposure to a goal, as counts per (variant, time bucket, converted).

What :func:`abtest.stats.kaplan_meier` and :func:`abtest.stats.logrank_test` take as
aggregated rows (``count=``), computed where the data is, in one Ibis query per goal:

1. per (experiment, unit): the first exposure and the variant, for units that saw one
   variant only (the analysed units of :func:`abtest.summarize`; a unit with several
   variants is left out, as there);
2. the unit's first event of the goal at or after its first exposure and before the end
   of its attribution window (and before ``as_of``): converted, at that time;
3. otherwise censored at ``min(observation end - first exposure, window)``: the unit
   had not converted when observation stopped. As in :func:`abtest.summarize`'s goals,
   a goal with a window is observed until ``as_of`` (else the latest timestamp in the
   logs; ``end`` only ends the exposures), one without until the analysis end (``as_of``,
   else ``end``, else the latest timestamp), where its events are cut too;
4. the time is rounded **up** to the resolution (an event 20 minutes after exposure is
   in the 1-hour bucket, one at exactly 0 in bucket 0), and the units are counted per
   (experiment, variant, time, event).

Kaplan-Meier on these rows equals Kaplan-Meier on the unit rows with their times rounded
up the same way (tests/data/test_time_to.py checks it on DuckDB, SQLite and Spark).
Durations are read in seconds: DuckDB ``epoch_us`` (exact), SQLite ``julianday``
(millisecond precision, rounded to the millisecond before bucketing), other engines
``epoch_seconds`` (whole seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from abtest.data import clock

COLUMNS = ("experiment", "variant", "metric", "time", "event", "count")


def _seconds(t: Any, first: Any, backend: str) -> Any:
    if backend == "duckdb":
        return (clock.epoch_us(t) - clock.epoch_us(first)).cast("float64") / 1e6
    if backend == "sqlite":
        days = clock.julianday(t) - clock.julianday(first)
        return (days * 86_400_000.0).round() / 1000.0
    return (t.epoch_seconds() - first.epoch_seconds()).cast("float64")


def analysed_units(
    exposures: Any, start: datetime | None, end: datetime | None, experiments: Any, backend: str
) -> Any:
    """Per (experiment, unit): the first exposure and the variant, for units that saw one
    variant only and were exposed between ``start`` and ``end`` (summarize's units)."""
    e = exposures.filter(exposures.unit_id.notnull(), exposures.timestamp.notnull())
    if start is not None:
        e = e.filter(clock.since(e.timestamp, start, backend))
    if end is not None:
        e = e.filter(clock.before(e.timestamp, end, backend))
    if experiments is not None:
        e = e.filter(e.experiment.isin(list(experiments)))
    units = e.group_by(["experiment", "unit_id"]).aggregate(
        first=e.timestamp.min(), variant=e.variant.min(), other=e.variant.max()
    )
    return units.filter(units.variant == units.other).drop("other")


def with_first_conversion(
    units: Any,
    conversions: Any,
    event: str,
    window: timedelta | None,
    as_of: datetime | None,
    backend: str,
) -> Any:
    """``units`` with ``t``: each unit's first ``event`` at or after its first exposure,
    inside ``window`` and before ``as_of`` (null when none)."""

    c = conversions.filter(conversions.event == event, conversions.timestamp.notnull())
    if as_of is not None:
        c = c.filter(clock.before(c.timestamp, as_of, backend))
    j = units.join(c.select("unit_id", t=c.timestamp), "unit_id")
    j = j.filter(j.t >= j.first)
    if window is not None:
        j = j.filter(_seconds(j.t, j.first, backend) < window.total_seconds())
    hit = j.group_by(["experiment", "unit_id"]).aggregate(t=j.t.min())
    return units.left_join(hit, ["experiment", "unit_id"])


def time_to_counts(
    exposures: Any,
    conversions: Any,
    con: Any,
    goals: Sequence[tuple[str, str, timedelta | None]],
    *,
    resolution: timedelta,
    start: datetime | None,
    end: datetime | None,
    as_of: datetime | None,
    analysis_end: datetime | None,
    experiments: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``COLUMNS`` for each goal ``(metric id, event, window)`` (module docstring).

    ``exposures`` and ``conversions`` are prepared Ibis tables (canonical columns, on
    ``con``); ``resolution`` is the bucket width; ``analysis_end`` is where a goal without
    a window stops being observed (``as_of``, else ``end``, else the latest timestamp in
    the logs); a goal with one is observed until ``as_of``, else the latest timestamp
    (module docstring, step 3).
    """
    import ibis

    backend = con.name
    res = resolution.total_seconds()
    if res <= 0:
        raise ValueError(f"resolution = {resolution}: must be longer than nothing, e.g. '1h'")
    units = analysed_units(exposures, start, end, experiments, backend)
    # where each goal's observation stops (the events after it are not seen): with a
    # window, as_of (summarize counts a window's events past `end`); without, the analysis
    # end (summarize cuts them there); else the logs' last timestamp, which only censors
    # (censoring at `end` while counting events past it gave 92% converted by day 20
    # where 20% had; cutting at the last timestamp lost the last event)
    cuts = [as_of if window is not None else analysis_end for _, _, window in goals]
    latest = None
    if any(cut is None for cut in cuts):  # the logs' last timestamp, read only when needed
        ends = [con.execute(exposures.timestamp.max()), con.execute(conversions.timestamp.max())]
        latest = max(pd.Timestamp(x).to_pydatetime() for x in ends if x is not None)
    frames = []
    for (metric, event, window), cut in zip(goals, cuts, strict=True):
        stop_at = cut or latest
        u = with_first_conversion(units, conversions, event, window, cut, backend)
        seen = _seconds(ibis.timestamp(stop_at), u.first, backend)
        limit = seen if window is None else ibis.least(seen, window.total_seconds())
        converted = u.t.notnull()
        dur = ibis.cases((converted, _seconds(u.t, u.first, backend)), else_=limit)
        bucket = (dur / res).ceil().cast("int64") * res
        rows = u.select(
            "experiment",
            "variant",
            time=bucket,
            event=ibis.cases((converted, 1), else_=0).cast("int64"),
        )
        counted = rows.group_by(["experiment", "variant", "time", "event"]).aggregate(
            count=rows.count()
        )
        f = con.execute(counted)
        f.insert(2, "metric", metric)
        frames.append(f)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    out = out[list(COLUMNS)].sort_values(["experiment", "metric", "variant", "time", "event"])
    out["time"] = out["time"].astype(float) / 3600.0  # hours
    return out.reset_index(drop=True)
