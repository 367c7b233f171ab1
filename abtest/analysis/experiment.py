"""Analyse a registry experiment on its data: ``Experiment.analyze(source)``.

The experiment's goals (event, value column, attribution window), variants,
column mapping and start date drive :func:`abtest.summarize`; its settings
(method, alpha, correction, plan, guardrails, funnel, spend) drive
:func:`abtest.analyze`. The experiment is duck-typed so that this layer does
not depend on the registry's models.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from abtest.analysis.api import analyze
from abtest.analysis.result import Analysis
from abtest.data.readers import find_log, lacks_mapped_columns, read_units
from abtest.data.summary import Summary


def summarize_experiment(
    experiment: Any,
    exposures: Any,
    conversions: Any,
    *,
    as_of: Any = None,
    daily: bool = True,
    by: str | Sequence[str] | None = None,
    columns: dict[str, Any] | None = None,
    engine: Any = None,
    covariate: Any = None,
    views: bool = True,
) -> Summary:
    """Sufficient statistics of one experiment from its exposure and conversion logs.

    Each goal becomes a metric named by its id (binary, or a value goal when it
    names a ``value`` column) with its own attribution window; only the
    experiment's configured variants count (others are reported exclusions);
    exposures before the experiment's ``start`` are left out; ``daily`` gives
    cumulative per-day rows for sequential looks and time plots. ``columns``
    maps canonical column names to the logs' names (see :func:`abtest.summarize`);
    ``covariate``, a pre-period value per unit, adds the CUPED sums. A goal's
    ``capping`` caps its per-unit values (the cap is over the whole period, also
    when ``daily``; see :mod:`abtest.data.capping`). ``views`` also counts the
    time-to-conversion and exposure-cohort rows the analysis shows (False: the
    statistics alone, for callers that read nothing else).
    """
    from abtest.data.aggregate import summarize

    goals = [
        {
            "event": g.event,
            "metric": g.id,
            "value": g.value,
            "window": experiment.attribution_window(g.id),
            "capping": _capping(g),
            "statistic": _statistic(g),
        }
        for g in experiment.goals
    ]
    return summarize(
        exposures,
        conversions,
        window=experiment.analysis.attribution_window,
        by=by if by is not None else _segments(experiment),
        daily=daily,
        goals=goals,
        variants={experiment.id: list(experiment.variant_ids)},
        start=experiment.start,
        as_of=as_of,
        columns=columns,
        engine=engine,
        covariate=covariate,
        time_to=_time_to_goals(experiment) if views else None,
        cohorts=experiment.primary_goal.id
        if views and _cohorts_can_close(experiment, as_of)
        else None,
    )


def _time_to_goals(experiment: Any) -> list[str] | None:
    """The goals with ``time_to_conversion: true`` (None: none)."""
    return [g.id for g in experiment.goals if getattr(g, "time_to_conversion", False)] or None


def _capping(goal: Any) -> dict[str, Any] | None:
    """The goal's capping option as summarize takes it (None: not capped)."""
    cap = getattr(goal, "capping", None)
    if cap is None:
        return None
    keys = ("percentile", "value", "ignore_zeros")
    return {k: getattr(cap, k) for k in keys if getattr(cap, k, None) not in (None, False)}


def _statistic(goal: Any) -> dict[str, Any] | None:
    """The goal's statistic option as summarize takes it (None: the mean)."""
    stat = getattr(goal, "statistic", None)
    return None if stat is None else {"quantile": stat.quantile, "among": stat.among}


def analyze_experiment(
    experiment: Any,
    source: Any = None,
    *,
    as_of: Any = None,
    columns: dict[str, Any] | None = None,
    **overrides: Any,
) -> Analysis:
    """Analyse ``experiment`` on ``source``.

    ``source`` may be a :class:`Summary`; a unit-level DataFrame (a variant
    column and one column per goal id); a pair ``(exposures, conversions)`` of
    DataFrames, paths or Ibis tables, or a triple with a pre-period
    ``covariate`` per unit (for CUPED); a folder holding ``exposures.*`` and
    ``conversions.*`` logs (Parquet or CSV) and optionally ``covariate.*``; a
    unit-level CSV/Parquet file; or ``None`` to read the experiment's own
    ``data:`` section (``exposures``, ``conversions`` and an optional
    ``covariate``). Logs are read
    with ``columns`` when given, else with the ``data:`` section's column
    mapping, falling back to the canonical names when the logs do not have
    the mapped columns (local copies often use canonical names). ``as_of`` cuts
    the logs at that moment (a date: the end of that day). ``overrides``
    replace design settings (``method``, ``alpha``, ``correction``...).
    """
    design = experiment.to_design()
    if overrides:
        design = dataclasses.replace(design, **overrides)
    if source is None:
        data_cfg = getattr(experiment, "data", None)
        if data_cfg is None or not data_cfg.exposures or not data_cfg.conversions:
            raise ValueError(
                f"experiment {experiment.id!r} has no data section with exposures and "
                "conversions; pass the data: experiment.analyze((exposures, conversions))"
            )
        source = (data_cfg.exposures, data_cfg.conversions, data_cfg.covariate)
    logs: Any = None
    if isinstance(source, tuple | list) and len(source) in (2, 3):
        logs = (*source, None)[:3]
        data: Any = _summarize_logs(experiment, logs, as_of, columns)
    elif isinstance(source, str | Path) and Path(source).is_dir():
        folder = Path(source)
        logs = {name: find_log(folder, name) for name in ("exposures", "conversions")}
        missing = [name for name, path in logs.items() if path is None]
        if missing:
            raise ValueError(
                f"data folder {folder}: no {' and '.join(missing)} log (expected "
                f"{' and '.join(m + '.parquet or .csv' for m in missing)})"
            )
        cov = find_log(folder, "covariate")
        logs = (str(logs["exposures"]), str(logs["conversions"]), cov and str(cov))
        data = _summarize_logs(experiment, logs, as_of, columns)
    elif isinstance(source, str | Path):
        data = read_units(source, experiment.id)
    else:
        data = source
    analysis = analyze(data, design=design)
    if logs is not None and bool(analysis.srm.mismatch) and hasattr(experiment, "assignment"):
        analysis = _with_audit(analysis, experiment, logs[0], as_of, columns)
    return analysis


def _with_audit(
    analysis: Analysis, experiment: Any, exposures: Any, as_of: Any, columns: Any
) -> Analysis:
    """The SRM decision, with where the split broke: the logged variants against the
    registry's assignment (:func:`abtest.data.audit.audit_assignment`)."""
    from abtest.analysis.decision import srm_decision
    from abtest.data.audit import audit_assignment

    columns = _columns(experiment, columns, exposures)
    audit = audit_assignment(experiment, exposures, columns=columns, as_of=as_of)
    decision = srm_decision(analysis.srm, dict(analysis.decision.checks), audit.sentence())
    return dataclasses.replace(analysis, decision=decision, assignment_audit=audit)


def _summarize_logs(experiment: Any, logs: tuple, as_of: Any, columns: Any) -> Summary:
    """``logs``: exposures, conversions and the covariate (or None). Without ``columns``,
    the experiment's ``data.columns`` mapping is used when the logs have the mapped
    columns, else the canonical names (a local copy of the logs often has those)."""
    exposures, conversions, covariate = logs
    columns = _columns(experiment, columns, exposures, conversions)
    return summarize_experiment(
        experiment, exposures, conversions, as_of=as_of, columns=columns, covariate=covariate
    )


def _columns(experiment: Any, columns: Any, *logs: Any) -> Any:
    """``columns`` when given; else the experiment's ``data.columns`` mapping when the
    logs have the mapped columns, else None (the canonical names)."""
    if columns is not None:
        return columns
    data_cfg = getattr(experiment, "data", None)
    mapping = dict(data_cfg.columns) if data_cfg is not None else {}
    if mapping and lacks_mapped_columns(mapping, *logs):
        mapping = {}
    return mapping or None


def _segments(experiment: Any) -> list[str] | None:
    """The registry's ``data.segments`` (exposure columns to break the results down by)."""
    data_cfg = getattr(experiment, "data", None)
    segments = getattr(data_cfg, "segments", None) if data_cfg is not None else None
    return list(segments) if segments else None


def _cohorts_can_close(experiment: Any, as_of: Any) -> bool:
    """Whether the period can hold the two weeks of closed exposure-day cohorts the
    novelty check needs (:data:`abtest.analysis.novelty.MIN_DAYS`); without them the
    cohort query is skipped (it would be read by nothing). Unknown dates: True."""
    import datetime as dt

    from abtest.analysis.novelty import MIN_DAYS
    from abtest.data.aggregate import time_bound
    from abtest.vocabulary import parse_duration

    start = getattr(experiment, "start", None)
    end = as_of if as_of is not None else getattr(experiment, "end", None)
    if start is None or end is None:
        return True
    stop = time_bound(end, "as_of", end_of_day=True)  # as summarize reads it
    window = parse_duration(experiment.attribution_window(experiment.primary_goal.id))
    first = dt.datetime.combine(start, dt.time())
    # day d's windows have closed when d + 1 day + window <= stop (abtest.data.cohorts)
    closed_days = (stop - window - first) // dt.timedelta(days=1)
    return closed_days >= MIN_DAYS
