"""The side counts ``summarize`` adds to a Summary, each one query on the same engine:
the exposure-day cohorts the novelty check reads (:mod:`abtest.data.cohorts`) and the
time-to-conversion buckets Kaplan-Meier reads (:mod:`abtest.data.time_to`), for the
analysed experiments' configured variants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pandas as pd

from abtest.data import query
from abtest.data.model import EventMetric


def cohorts_view(
    metric: str,
    goal_list: Sequence[EventMetric],
    windows: Mapping[int, timedelta | None],
    exposures: Any,
    conversions: Any,
    con: Any,
    arms: pd.DataFrame,
    plan: query.QueryPlan,
) -> pd.DataFrame:
    """The exposure-day cohorts of goal ``metric`` (:mod:`abtest.data.cohorts`), for the
    analysed experiments' configured variants."""
    from abtest.data.cohorts import cohort_counts

    by_id = {g.id: i for i, g in enumerate(goal_list)}
    if metric not in by_id:
        raise ValueError(f"cohorts: no goal {metric!r} (goals: {', '.join(by_id)})")
    i = by_id[metric]
    experiments, keep = _configured(arms)
    counts = cohort_counts(
        exposures, conversions, con, metric, goal_list[i].event, windows[i], start=plan.start,
        end=plan.end, as_of=plan.conversions_end, analysis_end=plan.analysis_end,
        experiments=experiments,
    )  # fmt: skip
    return keep(counts)


def _configured(arms: pd.DataFrame) -> tuple[list[str], Any]:
    """The analysed experiments, and a filter keeping a frame's rows of their configured
    (experiment, variant) pairs (the side queries count every variant they see)."""
    known = arms[arms["known"]] if "known" in arms.columns else arms
    pairs = pd.MultiIndex.from_frame(known[["experiment", "variant"]].astype(str))

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        rows = pd.MultiIndex.from_frame(frame[["experiment", "variant"]].astype(str))
        return frame[rows.isin(pairs)].reset_index(drop=True)

    return sorted(set(known["experiment"])), keep


def time_to_view(
    wanted: Sequence[str],
    goal_list: Sequence[EventMetric],
    windows: Mapping[int, timedelta | None],
    exposures: Any,
    conversions: Any,
    con: Any,
    arms: pd.DataFrame,
    resolution: str | timedelta,
    plan: query.QueryPlan,
) -> pd.DataFrame:
    """The time-to-conversion counts of the goals ``wanted`` (:mod:`abtest.data.time_to`),
    for the analysed experiments' configured variants."""
    from abtest.data.time_to import time_to_counts

    by_id = {g.id: i for i, g in enumerate(goal_list)}
    unknown = [m for m in wanted if m not in by_id]
    if unknown:
        raise ValueError(
            f"time_to: no goal {', '.join(map(repr, unknown))} (goals: {', '.join(by_id)})"
        )
    from abtest.vocabulary import parse_duration

    if isinstance(resolution, timedelta):
        step = resolution
    elif isinstance(resolution, str):
        step = parse_duration(resolution, "resolution")
    else:
        raise ValueError(f"resolution = {resolution!r}: give a bucket width such as '1h' or '1d'")
    goals = [(m, goal_list[by_id[m]].event, windows[by_id[m]]) for m in wanted]
    experiments, keep = _configured(arms)
    counts = time_to_counts(
        exposures, conversions, con, goals, resolution=step, start=plan.start, end=plan.end,
        as_of=plan.conversions_end, analysis_end=plan.analysis_end, experiments=experiments,
    )  # fmt: skip
    return keep(counts)
