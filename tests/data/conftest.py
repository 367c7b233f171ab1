"""Hand-built logs and the engines the same tests run on (DuckDB, SQLite and PySpark
via Ibis).

The PySpark engine needs the ``spark`` extra (``pip install -e ".[spark]"``) and a Java
runtime; without them its tests are skipped. One local Spark session (``local[2]``,
session time zone UTC) serves the whole test session: starting Spark takes seconds.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import shutil

import pandas as pd
import pytest

_COUNTER = itertools.count()


def ts(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="ISO8601"), dtype="datetime64[us]")


class Engine:
    """Puts DataFrames where ``summarize`` reads them: as-is (DuckDB), as SQLite tables,
    or as Spark temporary views."""

    def __init__(self, name: str, spark=None) -> None:
        import ibis

        self.name = name
        self.con = None
        self.spark = spark
        if name == "sqlite":
            self.con = ibis.sqlite.connect()
        elif name == "pyspark":
            self.con = ibis.pyspark.connect(spark)

    def put(self, df: pd.DataFrame):
        if self.con is None:
            return df
        name = f"log_{next(_COUNTER)}"
        if self.name == "pyspark":
            # through an Arrow table: None / NaN in float columns become NULL (as in the
            # other engines) and naive datetime64[us] values are read as wall times of
            # the session zone, UTC, so they are not shifted
            import pyarrow as pa

            table = pa.Table.from_pandas(df, preserve_index=False)
            self.spark.createDataFrame(table).createOrReplaceTempView(name)
        else:
            df.to_sql(name, self.con.con, index=False)
        return self.con.table(name)


def _spark_missing() -> str | None:
    """Why the PySpark engine cannot run here (None: it can)."""
    if importlib.util.find_spec("pyspark") is None:
        return 'pyspark is not installed (pip install -e ".[spark]")'
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (
        java_home and os.path.exists(os.path.join(java_home, "bin", "java"))
    ):
        return "pyspark needs a Java runtime (no java on PATH, no JAVA_HOME)"
    return None


@pytest.fixture(scope="session")
def _spark_session():
    """One local Spark session for the whole test run, stopped at its end."""
    reason = _spark_missing()
    if reason:
        pytest.skip(reason)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # stay on the loopback
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("abtest-tests")
        # tiny data: one shuffle partition; a C1-only JIT and the serial GC start faster
        # (together about a quarter off the Spark tests' time)
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config(
            "spark.driver.extraJavaOptions",
            "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        )
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    try:
        spark = builder.getOrCreate()
    except Exception as err:  # e.g. a Java this Spark does not support
        pytest.skip(f"local Spark did not start: {type(err).__name__}: {err}")
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


@pytest.fixture(params=["duckdb", "sqlite", "pyspark"])
def engine(request) -> Engine:
    if request.param == "pyspark":
        return Engine("pyspark", request.getfixturevalue("_spark_session"))
    return Engine(request.param)


@pytest.fixture
def logs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Experiment "hero" (control, b) and "cta" (a, b); every answer below is by hand.

    hero: u1 control, u2 control, u3 b, u4 b, u5 control then b (multi-variant,
    first control), u6 b then b again (kept, first exposure 01-02 09:00).
    cta: u1 a, u3 b.
    """
    exposures = pd.DataFrame(
        {
            "unit_id": ["u1", "u2", "u3", "u4", "u5", "u5", "u6", "u6", "u1", "u3"],
            "experiment": ["hero"] * 8 + ["cta"] * 2,
            "variant": ["control", "control", "b", "b", "control", "b", "b", "b", "a", "b"],
            "timestamp": ts(
                "2024-01-01 10:00:00",
                "2024-01-01 11:00:00",
                "2024-01-01 12:00:00",
                "2024-01-02 08:00:00",
                "2024-01-01 09:00:00",
                "2024-01-01 09:30:00",
                "2024-01-02 09:00:00",
                "2024-01-03 09:00:00",
                "2024-01-05 10:00:00",
                "2024-01-01 13:00:00",
            ),
            "device": [
                "mobile",
                "desktop",
                "mobile",
                "mobile",
                "desktop",
                "mobile",
                "desktop",
                "mobile",
                "desktop",
                "mobile",
            ],
        }
    )
    conversions = pd.DataFrame(
        {
            "unit_id": ["u1", "u1", "u2", "u3", "u3", "u4", "u5", "u6", "u1", "u3", "u4"],
            "event": [
                "signup",
                "signup",
                "signup",
                "signup",
                "purchase",
                "purchase",
                "signup",
                "purchase",
                "purchase",
                "purchase",
                "purchase",
            ],
            "timestamp": ts(
                # u1 signs up twice (counts once); u2 signs up before exposure
                "2024-01-01 10:30:00",
                "2024-01-02 10:00:00",
                "2024-01-01 10:00:00",
                # u3 signup on day 3; u3 buys 20 on day 1; u4 buys 50 nine days later (late)
                "2024-01-03 12:00:00",
                "2024-01-01 12:00:00",
                "2024-01-11 08:00:00",
                # u5 is multi-variant; u6 buys 30 on 01-04; u1 buys 10 on 01-06; u3 buys 5 on 01-05
                "2024-01-01 10:00:00",
                "2024-01-04 09:00:00",
                "2024-01-06 10:00:00",
                "2024-01-05 12:00:00",
                "2024-01-02 08:00:00",
            ),
            "value": [None, None, None, None, 20.0, 50.0, None, 30.0, 10.0, 5.0, 7.0],
        }
    )
    return exposures, conversions
