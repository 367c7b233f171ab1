"""``summarize``: from exposure and conversion logs to a :class:`Summary`.

Semantics (each tested on hand-built logs in ``tests/data``):

- **Assignment.** Exposures outside the analysis window (``start`` inclusive,
  ``end`` / ``as_of`` exclusive) are ignored. A unit's variant is the variant
  of its first exposure to the experiment. Units exposed to more than one
  variant of the same experiment are excluded and counted
  (``multiple_variants``, under the variant of their first exposure; on an
  exact tie of first timestamps DuckDB takes the variant listed first in
  ``variants`` (else alphabetically), other engines pick one). Units whose only
  variant is not among the configured ``variants`` are excluded and counted
  (``unknown_variant``) or raise, as ``unknown_variants`` says.
- **Attribution.** A goal event counts for every experiment the unit is in,
  if it happens at or after the unit's first exposure and before first
  exposure + the goal's window (``window`` default 7 days; None counts events
  until the analysis end, ``as_of`` or ``end``, or all events when neither is
  given). Events before the first exposure are ignored and the units counted
  (``before_exposure``); events at or after ``as_of`` are not seen.
- **Metrics.** A binary goal counts a unit once however many events it has
  (``sum == sum_sq ==`` converted units); a value goal sums the unit's
  in-window values (``sum``, ``sum_sq`` over units, where units without an
  event contribute 0). ``n`` is every kept exposed unit for every metric.
- **Capping.** A value goal with ``capping`` (``{"percentile": 0.99}``, optionally
  ``"ignore_zeros": True``, or ``{"value": 1000}``) has each unit's in-window value
  cut to ``min(value, cap)`` before ``sum`` and ``sum_sq`` (and ``sum_xy``); the
  percentile is of the per-unit values over the experiment's analysed units of all
  variants and segments and the whole period, also when ``daily`` (R type 7,
  :mod:`abtest.data.capping`). The frame gets ``cap`` and ``capped`` (units cut).
- **Quantiles.** A value goal with ``statistic`` (``{"quantile": 0.5}``, optionally
  ``"among": "units"``) keeps its frame rows (kind ``"quantile"``) and gets, per
  variant (and segment), the population size, the quantile and the values at the ranks
  :func:`abtest.stats.order_stat_ranks` names, in ``Summary.quantiles``: computed in the
  query over the whole period (:mod:`abtest.data.order_stats`).
- **Segments and days.** ``by`` names dimension columns of the exposures; a
  unit's segment is its value at the first exposure (empty → ``"(missing)"``).
  ``daily=True`` gives cumulative statistics as of the end of each day (UTC):
  units first exposed by that day and their in-window events up to that day;
  the last day equals the overall totals.
- **Bad data.** Missing columns, mixed time zones, unit_id types that cannot
  be joined, files the engine cannot read (not UTF-8, an impossible date, a row
  with another number of fields, an empty or truncated Parquet file) and a value
  goal's in-window events with a missing, NaN, infinite or negative value are
  errors naming the file and what to fix (:mod:`abtest.data.errors`); empty ids
  or timestamps are counted exclusions (see :data:`abtest.data.checks.REASONS`).
  The user's data is only read.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from abtest.data import checks, engine_settings, errors, query, query_columns, sources
from abtest.data.assemble import assemble
from abtest.data.model import (
    CONVERSION_COLUMNS,
    DEFAULT_WINDOW,
    EXPOSURE_COLUMNS,
    INHERIT,
    ColumnMapping,
    EventMetric,
    parse_goals,
    parse_window,
)
from abtest.data.summary import Summary
from abtest.data.views import cohorts_view, time_to_view

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def summarize(
    exposures: Any,
    conversions: Any,
    *,
    window: str | timedelta | None = DEFAULT_WINDOW,
    by: str | Sequence[str] | None = None,
    daily: bool = False,
    goals: Sequence[EventMetric | Mapping[str, Any] | str] | Mapping[str, Any] | None = None,
    variants: Mapping[str, Sequence[str]] | None = None,
    experiments: Sequence[str] | None = None,
    start: str | date | datetime | None = None,
    end: str | date | datetime | None = None,
    as_of: str | date | datetime | None = None,
    covariate: Any = None,
    columns: ColumnMapping | Mapping[str, Any] | None = None,
    unknown_variants: str = "exclude",
    engine: Any = None,
    time_to: Sequence[str] | None = None,
    resolution: str | timedelta = "1h",
    cohorts: str | None = None,
    memory_limit: str | int | None = None,
    temp_directory: str | None = None,
    progress: bool | None = None,
) -> Summary:
    """Per-(experiment, variant, metric[, segment][, day]) sufficient statistics.

    Parameters
    ----------
    exposures : DataFrame, path, (duckdb_file, table) or Ibis table
        ``unit_id, experiment, variant, timestamp`` (+ dimension columns).
        Paths may be CSV or Parquet files, folders or globs.
    conversions : same kinds as ``exposures``
        ``unit_id, event, timestamp`` (+ value columns for value goals).
    window : str, timedelta or None
        Default attribution window after the first exposure (``"7d"``,
        ``"36h"``); None counts events until the analysis end.
    by : str or list of str, optional
        Exposure dimension column(s) to segment by (e.g. ``"device"``).
    daily : bool
        Cumulative statistics per day (a ``day`` column) instead of totals.
    goals : list or dict, optional
        The metrics (see :func:`abtest.data.model.parse_goals`): event name,
        metric id, value column (None: binary), window, ``capping`` and ``statistic``
        (``{"quantile": 0.5}``) per goal.
        Default: every event name becomes a binary metric.
    variants : dict, optional
        ``{experiment: [variant ids]}``: analyse these experiments only; other
        variants in the data are unknown (see ``unknown_variants``).
    experiments : list of str, optional
        Analyse only these experiments (variants taken from the data).
    start, end, as_of : date, datetime or str, optional
        Exposures from ``start`` (inclusive) to ``end`` (exclusive; a date
        without a time means the end of that day). ``as_of`` cuts exposures
        *and* conversions at that moment (a date: the end of that day).
    covariate : table, optional
        Pre-period covariate per unit (``unit_id, value``, optionally
        ``experiment``) for CUPED; adds ``sum_x, sum_x_sq, sum_xy`` (units
        without a row count as 0).
    columns : dict or ColumnMapping, optional
        Canonical name → your column name, flat or per table, e.g.
        ``{"unit_id": "user_id", "conversions": {"event": "event_name"}}``.
    unknown_variants : {"exclude", "error"}
        Units whose variant is not configured: counted exclusion, or an error.
    engine : "duckdb" or an Ibis backend, optional
        Where the query runs. Default: the backend of Ibis-table inputs, else
        an in-process DuckDB.
    time_to : list of str, optional
        Goals (metric ids) whose time from first exposure to conversion is counted
        per (variant, time bucket, converted or censored) in the engine
        (:mod:`abtest.data.time_to`): ``Summary.time_to``, the aggregated rows
        :func:`abtest.stats.kaplan_meier` takes.
    resolution : str or timedelta
        The time buckets of ``time_to`` (``"1h"``, ``"1d"``); times are rounded up.
    cohorts : str, optional
        A goal (metric id) counted per day of first exposure (units and conversions in
        the window; :mod:`abtest.data.cohorts`): ``Summary.cohorts``, what the novelty
        check reads.
    memory_limit : str or int, optional
        Memory budget of abtest's DuckDB engine (``"8GB"``, ``"512MB"``, bytes); past it
        the aggregation spills to ``temp_directory`` instead of growing. Default: the
        ``ABTEST_MEMORY_LIMIT`` environment variable, else a quarter of the machine's
        RAM or of a container's lower memory limit (:mod:`abtest.data.engine_settings`).
        Too small a budget is a :class:`~abtest.data.engine_settings.MemoryBudgetError`
        saying what to raise.
    temp_directory : str, optional
        Folder DuckDB spills to (default ``ABTEST_TEMP_DIRECTORY``, else a new folder
        in the system's temporary folder). On a DuckDB connection you pass, only a
        budget or folder you give applies, and it is put back afterwards; other
        engines manage their own memory.
    progress : bool, optional
        Show the progress of a call longer than about 2 s on a terminal or in Jupyter
        (:mod:`abtest.data.progress`). Default: shown there, silent when the output is
        not a terminal and in CI; False: never.

    Returns
    -------
    Summary
        ``frame`` with ``experiment, variant, metric, kind, n, sum, sum_sq``
        (+ segments, ``day``, CUPED sums, ``cap`` and ``capped`` for capped goals)
        and ``exclusions`` with the reasons in :data:`abtest.data.checks.REASONS`.

    Examples
    --------
    >>> import pandas as pd
    >>> exposures = pd.DataFrame({
    ...     "unit_id": [1, 2, 3, 4],
    ...     "experiment": "cta", "variant": ["a", "a", "b", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00"] * 4)})
    >>> conversions = pd.DataFrame({
    ...     "unit_id": [1, 3, 3, 4], "event": "signup",
    ...     "timestamp": pd.to_datetime(["2024-01-02 09:00", "2024-01-01 12:00",
    ...                                  "2024-01-03 09:00", "2024-01-20 09:00"])})
    >>> s = summarize(exposures, conversions)
    >>> s.to_frame()[["variant", "metric", "n", "sum"]].values.tolist()
    [['a', 'signup', 2, 1.0], ['b', 'signup', 2, 1.0]]
    """
    if unknown_variants not in ("exclude", "error"):
        raise ValueError(f"unknown_variants = {unknown_variants!r}: expected 'exclude' or 'error'")
    segments = query_columns.segments_of(by)
    default_window = parse_window(window)
    goal_list = parse_goals(goals)
    mapping = ColumnMapping.parse(columns)
    value_cols = sorted({g.value for g in goal_list or () if g.value is not None})
    ColumnMapping.check_keys(columns, value_cols, segments)
    start_b = time_bound(start, "start", end_of_day=False)
    end_b = time_bound(end, "end", end_of_day=True)
    as_of_b = time_bound(as_of, "as_of", end_of_day=True)
    exp_end = min((b for b in (end_b, as_of_b) if b is not None), default=None)
    settings = engine_settings.resolve(memory_limit, temp_directory)
    if start_b is not None and exp_end is not None and start_b >= exp_end:
        raise ValueError(f"start ({start}) must be before end / as_of ({end or as_of})")

    con, own = sources.resolve_engine(engine, exposures, conversions, covariate)
    raw_e = sources.open_table(
        exposures, con, "exposures", (mapping.name("exposures", "timestamp"),)
    )
    raw_c = sources.open_table(
        conversions,
        con,
        "conversions",
        (mapping.name("conversions", "timestamp"),),
        tuple(mapping.name("conversions", c) for c in value_cols),
    )
    ex = checks.prepare(raw_e, "exposures", mapping, EXPOSURE_COLUMNS, segments)
    cv = checks.prepare(
        raw_c, "conversions", mapping, CONVERSION_COLUMNS, value_cols, numeric=value_cols
    )
    checks.check_compatible(ex, cv, mapping, {"exposures": exposures, "conversions": conversions})
    # what the query reads, the segment and value columns under names of its own
    q_ex, q_cv, q_values = query_columns.for_query(ex.table, cv.table, segments, value_cols)

    logs = {"exposures": exposures, "conversions": conversions, "covariate": covariate}
    run = engine_settings.Run(con, settings, own=own, progress=progress)
    try:  # the engine reads the files lazily: their errors surface here, said in user terms
        run.start()  # inside the try: what it applied is put back by run.stop() below
        # profile: which (experiment, variant) pairs and events exist, and their empty fields
        exp_profile = checks.profile_exposures(ex.table, con)
        if experiments is not None and variants is None:
            wanted = {str(e) for e in experiments}
            exp_profile = exp_profile[
                exp_profile["experiment"].isin(wanted) | exp_profile["experiment"].isna()
            ]
            missing = wanted - set(exp_profile["experiment"].dropna())
            if missing:
                raise ValueError(f"no exposures for experiment(s) {sorted(missing)}")
        elif experiments is not None:
            variants = {e: v for e, v in variants.items() if e in set(experiments)}
        arms = checks.arms_table(exp_profile, variants, unknown_variants)
        events = None if goal_list is None else sorted({g.event for g in goal_list})
        conv_profile = checks.profile_conversions(cv.table, con, events)
        if goal_list is None:
            names = sorted(map(str, conv_profile["event"].dropna()))
            goal_list = [EventMetric(e) for e in names]
        windows = {
            i: default_window if g.window is INHERIT else parse_window(g.window)
            for i, g in enumerate(goal_list)
        }

        cov_table = _covariate(covariate, con, mapping, arms) if covariate is not None else None
        bits = max(1, int(arms["vi"].max()).bit_length())
        plan = query.QueryPlan(
            segments=query_columns.segment_names(len(segments)),
            daily=daily,
            bits=bits,
            events=tuple(
                (e, tuple(i for i, g in enumerate(goal_list) if g.event == e))
                for e in dict.fromkeys(g.event for g in goal_list)
            ),
            value_columns={
                i: q_values[g.value] for i, g in enumerate(goal_list) if g.value is not None
            },
            windows=windows,
            start=start_b,
            end=exp_end,
            conversions_end=as_of_b,
            analysis_end=as_of_b or end_b,
            covariate=cov_table is not None,
            packed=con.name == "duckdb" and bits <= query.MAX_PACKED_BITS,
            engine=con.name,
            # the join of units and goal events hashes the events unless they outnumber the
            # exposure rows (more than the (experiment, unit) pairs they group into)
            hash_events=int(conv_profile["rows"].sum()) <= int(exp_profile["rows"].sum()),
            caps={i: g.capping for i, g in enumerate(goal_list) if g.capping is not None},
            quantiles={i: g.statistic for i, g in enumerate(goal_list) if g.statistic},
            unknown_arms=tuple(
                (int(e), int(v)) for e, v in arms.loc[~arms["known"], ["exp", "vi"]].to_numpy()
            ),
        )
        import ibis

        # the smallest integer codes: the per-unit groupings carry them in every row
        code = _code_dtype(len(arms))
        arms_t = ibis.memtable(
            arms[["experiment", "variant", "exp", "vi"]].astype({"exp": code, "vi": code})
        )
        run.stage("aggregating")
        with sources.joins_as_written(con):
            try:
                result = con.execute(query.build(q_ex, q_cv, arms_t, cov_table, plan))
            except Exception as err:
                if not (plan.packed and _overflowed(err)):
                    raise
                # an exposure time too far from 1970 to pack beside the variant bits (the
                # packed integer overflowed; DuckDB checks): the portable assignment instead
                plan = dataclasses.replace(plan, packed=False)
                result = con.execute(query.build(q_ex, q_cv, arms_t, cov_table, plan))
        run.stage("finishing")
        summary = assemble(result, arms, goal_list, exp_profile, conv_profile, plan, segments)
        if cohorts is not None:
            summary.cohorts = cohorts_view(cohorts, goal_list, windows, q_ex, q_cv,
                                           con, arms, plan)  # fmt: skip
        if time_to:
            summary.time_to = time_to_view(
                time_to, goal_list, windows, q_ex, q_cv, con, arms, resolution, plan
            )
        if goals is not None:  # declared goals: their order says which one decides
            summary.goals = tuple(g.id for g in goal_list)
        summary.capping = {g.id: g.capping.describe() for g in goal_list if g.capping}
        errors.refuse_unusable_values(
            summary, goal_list, cv.table, ex.table, con, conversions, mapping
        )
        return summary
    except Exception as err:
        if engine_settings.out_of_memory(err):
            limit = engine_settings.connection_limit(con, settings, own=own)
            raise engine_settings.budget_error(err, settings, limit) from None
        if not sources.from_engine(err):
            raise
        raise errors.explain(err, logs) from None
    finally:
        run.stop()


def _overflowed(err: Exception) -> bool:
    """Whether DuckDB stopped on an integer overflow."""
    return type(err).__name__ == "OutOfRangeException" and "Overflow" in str(err)


def _code_dtype(n: int) -> str:
    """The narrowest integer type for codes 0..n-1 (narrow group keys and states make
    DuckDB's per-unit hash aggregations about a fifth faster than int64 ones)."""
    return "int16" if n <= np.iinfo(np.int16).max else "int32"


def time_bound(value: Any, name: str, *, end_of_day: bool) -> datetime | None:
    """A naive UTC datetime; a date alone means its start (or the end of it)."""
    if value is None:
        return None
    whole_day = isinstance(value, date) and not isinstance(value, datetime)
    whole_day |= isinstance(value, str) and bool(_DATE_ONLY.match(value.strip()))
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(
            f"{name} = {value!r}: expected a date or datetime such as '2024-03-31'"
        ) from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    if whole_day and end_of_day:
        ts = ts.normalize() + pd.Timedelta(days=1)
    return ts.to_pydatetime()


def _covariate(covariate: Any, con: Any, mapping: ColumnMapping, arms: pd.DataFrame) -> Any:
    import ibis

    raw = sources.open_table(covariate, con, "covariate")
    # keyed by experiment when it has an experiment column, unless that column is the
    # value itself (columns={"covariate": {"value": "experiment"}})
    experiment = mapping.name("covariate", "experiment")
    per_experiment = experiment in raw.columns and experiment != mapping.name("covariate", "value")
    need = ("unit_id", "value", *(("experiment",) if per_experiment else ()))
    prep = checks.prepare(raw, "covariate", mapping, need, numeric=("value",)).table
    keys = ["experiment", "unit_id"] if per_experiment else ["unit_id"]
    dupes = con.execute(
        prep.group_by(keys).aggregate(k=prep.count()).filter(lambda t: t.k > 1).limit(1)
    )
    if len(dupes):
        row = dupes.iloc[0]
        raise ValueError(
            f"covariate has several rows for {', '.join(f'{k} {row[k]!r}' for k in keys)}; "
            "give one pre-period value per unit"
        )
    if per_experiment:
        exps = arms[["experiment", "exp"]].drop_duplicates()
        exps = ibis.memtable(exps.astype({"exp": _code_dtype(len(arms))}))
        prep = prep.join(exps, "experiment").select("exp", "unit_id", x=prep.value)
    else:
        prep = prep.select("unit_id", x=prep.value)
    return prep.mutate(x=prep.x.cast("float64"))
