"""The other ways to compute what bench_aggregate.py times abtest.summarize against.

Each implements, for the benchmark's goals (signup and purchase binary, revenue the
sum of purchase values; 7-day window; no date bounds), the semantics of
:func:`abtest.summarize` that the benchmark's output frame shows: a unit's variant is
that of its first exposure to the experiment; units exposed to more than one variant
are left out; a goal counts the in-window events (at or after the first exposure,
before first exposure + 7 days) of the kept units; binary goals count units once,
revenue sums each unit's in-window values (``sum``, ``sum_sq`` over units, 0 for
units without a purchase); ``n`` is every kept unit. Their outputs are checked equal
to abtest's before any time is printed.

- :data:`PLAIN_SQL`: the straightforward hand-written DuckDB query;
- :func:`polars_summarize`: the same in Polars' lazy API run on its streaming engine,
  with string columns as read, or cast to ``Categorical`` (``categorical=True``);
- :func:`grouping_floor` and :func:`scan_floor`: DuckDB doing only the exposure
  grouping, or only reading the columns.
"""

from __future__ import annotations

from typing import Any

METRICS = {"signup": "signup", "purchase": "purchase", "revenue": "purchase"}  # -> event
VALUE_METRIC = "revenue"
WINDOW_DAYS = 7

# The straightforward hand-written DuckDB query of the same totals (the issue quotes
# 8-9 s for one at 10M units on this machine): first exposure and variant count per
# (experiment, unit), then the in-window goal events per kept unit. No exclusion
# counts besides the kept units; checked equal to abtest's statistics.
PLAIN_SQL = """
WITH a AS (
    SELECT experiment, unit_id, min(timestamp) AS first_ts,
           arg_min(variant, timestamp) AS variant, count(DISTINCT variant) AS nv
    FROM '{e}' GROUP BY experiment, unit_id),
kept AS (SELECT experiment, unit_id, first_ts, variant FROM a WHERE nv = 1),
n AS (SELECT experiment, variant, count(*) AS n FROM kept GROUP BY ALL),
per_unit AS (
    SELECT k.experiment, k.variant, k.unit_id, c.event,
           max(CASE WHEN c.timestamp >= k.first_ts
                     AND c.timestamp < k.first_ts + INTERVAL 7 DAY THEN 1 ELSE 0 END) AS conv,
           sum(CASE WHEN c.timestamp >= k.first_ts
                     AND c.timestamp < k.first_ts + INTERVAL 7 DAY
                    THEN c.value ELSE 0 END) AS revenue
    FROM '{c}' c JOIN kept k USING (unit_id)
    WHERE c.event IN ('signup', 'purchase')
    GROUP BY ALL),
sums AS (
    SELECT experiment, variant, event, sum(conv) AS conv,
           sum(revenue) AS rs, sum(revenue * revenue) AS rss
    FROM per_unit GROUP BY ALL)
SELECT n.experiment, n.variant, g.metric, n.n,
       coalesce(CASE WHEN g.metric = 'revenue' THEN s.rs ELSE s.conv END, 0) AS sum,
       coalesce(CASE WHEN g.metric = 'revenue' THEN s.rss ELSE s.conv END, 0) AS sum_sq
FROM n CROSS JOIN (VALUES ('signup', 'signup'), ('purchase', 'purchase'),
                          ('revenue', 'purchase')) g(metric, event)
LEFT JOIN sums s ON s.experiment = n.experiment AND s.variant = n.variant
                AND s.event = g.event
"""


def plain_sql(exposures: str, conversions: str) -> Any:
    """:data:`PLAIN_SQL` on DuckDB's defaults (one thread per core), as a DataFrame."""
    import duckdb

    return duckdb.connect().execute(PLAIN_SQL.format(e=exposures, c=conversions)).df()


def polars_summarize(exposures: str, conversions: str, *, categorical: bool = False) -> Any:
    """The same statistics with Polars (lazy query, streaming engine), as a pandas
    DataFrame. ``categorical``: experiment, variant and event cast to Categorical
    right after the scan (Polars' advice for repeated strings it groups on)."""
    import polars as pl

    e = pl.scan_parquet(exposures).select("unit_id", "experiment", "variant", "timestamp")
    c = pl.scan_parquet(conversions).select("unit_id", "event", "timestamp", "value")
    if categorical:
        e = e.with_columns(pl.col("experiment", "variant").cast(pl.Categorical))
        c = c.with_columns(pl.col("event").cast(pl.Categorical))
    e = e.drop_nulls(["unit_id", "timestamp"])
    first = pl.col("timestamp").min()
    assigned = e.group_by("experiment", "unit_id").agg(
        first=first,
        variant=pl.col("variant").get(pl.col("timestamp").arg_min()),
        variants=pl.col("variant").n_unique(),
    )
    kept = assigned.filter(pl.col("variants") == 1).drop("variants")
    n = kept.group_by("experiment", "variant").agg(n=pl.len())
    events = c.filter(pl.col("event").is_in(sorted(set(METRICS.values()))))
    ts, start = pl.col("timestamp"), pl.col("first")
    in_window = (ts >= start) & (ts < start + pl.duration(days=WINDOW_DAYS))
    per_unit = (
        kept.join(events, on="unit_id", how="inner")
        .filter(in_window)
        .group_by("experiment", "variant", "unit_id", "event")
        .agg(value=pl.col("value").sum())  # one row per converted unit and event
    )
    sums = per_unit.group_by("experiment", "variant", "event").agg(
        conv=pl.len(), rs=pl.col("value").sum(), rss=(pl.col("value") ** 2).sum()
    )
    metrics = pl.LazyFrame({"metric": list(METRICS), "event": list(METRICS.values())})
    is_value = pl.col("metric") == VALUE_METRIC
    out = (
        n.with_columns(pl.col("experiment", "variant").cast(pl.String))
        .join(metrics, how="cross")
        .join(
            sums.with_columns(pl.col("experiment", "variant", "event").cast(pl.String)),
            on=["experiment", "variant", "event"],
            how="left",
        )
        .select(
            "experiment",
            "variant",
            "metric",
            "n",
            sum=pl.when(is_value).then(pl.col("rs")).otherwise(pl.col("conv")).fill_null(0),
            sum_sq=pl.when(is_value).then(pl.col("rss")).otherwise(pl.col("conv")).fill_null(0),
        )
    )
    return out.collect(engine="streaming").to_pandas()


def grouping_floor(exposures: str, threads: int) -> None:
    """Only the (experiment, unit) grouping: count the distinct pairs, with the
    experiment coded as a small integer (the fastest form found; grouping on the string
    is slower), on ``threads`` DuckDB threads (abtest's engine's)."""
    import duckdb

    duckdb.connect(config={"threads": threads}).execute(
        f"""SELECT count(*) FROM (
            SELECT DISTINCT x.code, e.unit_id FROM '{exposures}' e JOIN (
                SELECT experiment, (row_number() OVER ())::SMALLINT AS code
                FROM (SELECT DISTINCT experiment FROM '{exposures}')
            ) x USING (experiment))"""
    ).fetchall()


def scan_floor(exposures: str, conversions: str) -> None:
    """Read every column abtest needs, of both logs, once. Each column goes through an
    aggregate that must see every value (count(*) alone would be answered from the
    Parquet footers). DuckDB's default threads: the scan is no faster on more."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"SELECT count(*), min(unit_id), min(experiment), min(variant), "
        f"min(timestamp) FROM '{exposures}'"
    ).fetchall()
    con.execute(
        f"SELECT count(*), min(unit_id), min(event), min(timestamp), sum(value) "
        f"FROM '{conversions}'"
    ).fetchall()
