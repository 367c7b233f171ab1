"""Open where the user's data lives as an Ibis table on one engine.

Accepted sources: a pandas DataFrame or pyarrow Table, a CSV or Parquet path
(a file, a folder of Parquet files, or a glob such as ``logs/*.parquet``), a
``(database_file, table_name)`` pair for a DuckDB database file, or an Ibis
table on any backend (BigQuery, Snowflake, Postgres, Trino, Spark, SQLite,
DuckDB, ...). Nothing is copied into the engine and nothing the user gave is
modified: DataFrames are scanned in place by DuckDB, files are read where
they are, and warehouse tables never leave the warehouse.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from abtest.data import duckdb_settings, errors
from abtest.data.duckdb_settings import sql_str

_COUNTER = itertools.count()
_CSV = (".csv", ".tsv", ".csv.gz", ".tsv.gz", ".txt")
_PARQUET = (".parquet", ".pq", ".parq")
_DUCKDB = (".duckdb", ".ddb", ".db")


# DuckDB threads on machines with fewer cores. DuckDB sizes each thread's hash table for
# the grouping from the cache it assumes per thread; with more threads the tables are
# smaller and are flushed into partitions sooner, which suits abtest's groupings (20M
# (experiment, unit) groups from 30M rows at 10M units: hardly any reduction while
# sinking). Measured on 2 cores, 10M units (docs/data.md, Performance): 2 threads
# 7.0-7.2 s, 3 or 4 threads 5.1-5.4 s, 8 threads 5.5 s; 1M units unchanged.
MIN_THREADS = 4


def default_engine() -> Any:
    """A fresh in-process DuckDB (through Ibis): session time zone UTC, every core (and at
    least :data:`MIN_THREADS` threads) and no insertion order kept (abtest orders its
    small results itself; not keeping the order lets DuckDB materialize the per-unit
    intermediate without bookkeeping). Join sides: see :func:`joins_as_written`."""
    import ibis

    con = ibis.duckdb.connect(threads=engine_threads())
    con.raw_sql("SET TimeZone = 'UTC'")
    con.raw_sql("SET preserve_insertion_order = false")
    return con


#: The DuckDB optimizer that picks a hash join's build side from cardinality estimates.
JOIN_SIDE_OPTIMIZER = "build_side_probe_side"


@contextlib.contextmanager
def joins_as_written(con: Any) -> Iterator[None]:
    """On DuckDB, while the block runs, hash joins build from the side written on the
    right; other engines are left alone.

    abtest's query puts there the side it knows to be smaller from exact row counts
    (usually the goal events, not the ~20M (experiment, unit) pairs of 10M units).
    DuckDB's own choice rests on cardinality estimates that are far off for grouped
    Parquet: at 10M units it hashed the pairs and the join took 1.8 times as long.
    The setting (``disabled_optimizers``) is global to the DuckDB database, so on a
    connection the user passed it also holds for their other cursors while the query
    runs; it is put back as it was afterwards, error or not.
    """
    if con.name != "duckdb":
        yield
        return
    raw = con.con
    before = duckdb_settings.current(raw, "disabled_optimizers")
    disabled = dict.fromkeys(
        [*(n.strip() for n in before.split(",") if n.strip()), JOIN_SIDE_OPTIMIZER]
    )
    with duckdb_settings.temporarily(raw, {"disabled_optimizers": ",".join(disabled)}):
        yield


def engine_threads() -> int:
    """DuckDB threads of the default engine: the process's cores, at least MIN_THREADS."""
    return max(_cores(), MIN_THREADS)


def _cores() -> int:
    """CPU cores this process may run on (its affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def resolve_engine(engine: Any, *sources: Any) -> tuple[Any, bool]:
    """The Ibis backend to run on, and whether abtest created it for this call: ``engine``
    if given (``"duckdb"`` or a backend), else the backend of the first Ibis table among
    ``sources`` (both the user's), else a new DuckDB (abtest's own: its settings need
    not be put back, :mod:`abtest.data.engine_settings`)."""
    import ibis

    if engine is None or engine == "duckdb":
        for source in sources:
            if isinstance(source, ibis.Table):
                if engine == "duckdb" and _backend_name(source) != "duckdb":
                    break
                return source.get_backend(), False
        return default_engine(), True
    if isinstance(engine, str):
        raise ValueError(
            f"engine = {engine!r}: give 'duckdb' or an Ibis backend, e.g. "
            "ibis.postgres.connect(...), ibis.bigquery.connect(...)"
        )
    if not hasattr(engine, "execute") or not hasattr(engine, "name"):
        raise TypeError(f"engine = {engine!r} is not an Ibis backend (ibis.<engine>.connect())")
    return engine, False


def open_table(
    source: Any,
    con: Any,
    role: str,
    text_columns: tuple[str, ...] = (),
    number_columns: tuple[str, ...] = (),
) -> Any:
    """``source`` as an Ibis table on ``con``; ``role`` ("exposures", ...) names it in errors.

    ``text_columns`` of a CSV file are read as text (the timestamp column, so that
    :mod:`abtest.data.checks` sees offsets as written instead of the CSV sniffer's guess);
    ``number_columns`` as numbers (a value goal's column: empty on every row before the
    first purchase, the sniffer took it for text; a '$12.50' in it is then an error naming
    its line).
    """
    import ibis

    if isinstance(source, ibis.Table):
        try:
            same = source.get_backend() is con
        except Exception:  # an unbound table (e.g. an ibis.memtable)
            same = True
        if not same:
            raise ValueError(
                f"{role} is an Ibis table on another connection ({_backend_name(source)}); "
                "all tables must live on the engine that runs the query: pass them from the "
                "same connection, or pass engine= that connection"
            )
        return source
    if isinstance(source, pd.DataFrame):
        check_frame(source, role)
        return _in_memory(source, con, role)
    if _is_arrow(source):
        check_names(source.schema.names, role)
        return _in_memory(source, con, role)
    if isinstance(source, tuple) and len(source) == 2:
        return _duckdb_file_table(Path(source[0]), str(source[1]), con, role)
    if isinstance(source, str | os.PathLike):
        return _path_table(str(source), con, role, text_columns, number_columns)
    raise TypeError(
        f"{role}: cannot read a {type(source).__name__}; give a pandas DataFrame, a CSV or "
        "Parquet path (or glob), a (duckdb_file, table) pair, or an Ibis table"
    )


def check_names(columns: Any, role: str) -> None:
    """Reject two columns whose names differ only in case (or not at all): the engines
    read column names without case, so one would be renamed (DuckDB: ``source_1``) or
    refused (SQLite) and the column asked for not found."""
    seen: dict[str, str] = {}
    for col in map(str, columns):
        other = seen.get(col.lower())
        if other is not None:
            what = (
                f"the column {col!r} twice"
                if other == col
                else f"columns {other!r} and {col!r}, whose names differ only in case"
            )
            raise ValueError(
                f"{role} has {what}; the engine reads column names without case: rename or drop one"
            )
        seen[col.lower()] = col


def check_frame(df: pd.DataFrame, role: str) -> None:
    """Reject columns named alike (:func:`check_names`) and a pandas column of timestamps
    that mixes time zones (or aware and naive)."""
    check_names(df.columns, role)
    for col in df.columns:
        s = df[col]
        if s.dtype != object or s.empty:
            continue
        sample = s.dropna()
        stamps = [v for v in sample.iloc[:1000] if isinstance(v, pd.Timestamp | _datetime())]
        if not stamps:
            continue
        zones: dict[str, int] = {}
        for i, v in sample.items():
            if isinstance(v, pd.Timestamp | _datetime()):
                zones.setdefault(str(v.tzinfo) if v.tzinfo else "naive", i)
        if len(zones) > 1:
            shown = ", ".join(f"{z} (row {i!r})" for z, i in list(zones.items())[:3])
            raise ValueError(
                f"{role} column {col!r} mixes time zones: {shown}. abtest will not guess; "
                f"convert it first, e.g. pd.to_datetime(df[{col!r}], utc=True)"
            )


def _datetime() -> type:
    import datetime

    return datetime.datetime


def _is_arrow(source: Any) -> bool:
    return type(source).__module__.startswith("pyarrow") and hasattr(source, "schema")


def _in_memory(data: Any, con: Any, role: str) -> Any:
    import ibis

    if con.name == "duckdb":
        name = f"abtest_{role}_{next(_COUNTER)}"
        con.con.register(name, data)  # a view over the DataFrame: no copy
        return con.table(name)
    return ibis.memtable(data)


def _path_table(
    path: str,
    con: Any,
    role: str,
    text_columns: tuple[str, ...],
    number_columns: tuple[str, ...] = (),
) -> Any:
    lower = path.lower()
    is_glob = any(ch in path for ch in "*?[")
    if not is_glob and not os.path.exists(path):
        raise FileNotFoundError(f"{role}: no such file or folder: {path}")
    if lower.endswith(_DUCKDB):
        raise ValueError(
            f"{role}: {path} is a DuckDB database; say which table: ({path!r}, 'table_name')"
        )
    if os.path.isdir(path):
        path = os.path.join(path, "**", "*.parquet")
        lower = path.lower()
    reader = (
        "read_csv" if lower.endswith(_CSV) else "read_parquet" if lower.endswith(_PARQUET) else None
    )
    if reader is None:
        raise ValueError(f"{role}: cannot tell the format of {path}; name files *.csv or *.parquet")
    if not hasattr(con, reader):
        raise ValueError(
            f"{role}: the {con.name} engine cannot read files; load {path} into it first "
            "and pass the table"
        )
    table_name = f"abtest_{role}_{next(_COUNTER)}"
    try:
        if reader == "read_csv" and (text_columns or number_columns) and con.name == "duckdb":
            header = con.con.sql(f"SELECT * FROM read_csv({sql_str(path)}) LIMIT 0").columns
            types = {c: "VARCHAR" for c in text_columns if c in header}
            types |= {c: "DOUBLE" for c in number_columns if c in header}
            table = con.read_csv(path, table_name=table_name, types=types)
        else:
            table = getattr(con, reader)(path, table_name=table_name)
    except Exception as err:
        if not from_engine(err):
            raise
        raise errors.explain(err, {role: path}, role) from None
    if reader == "read_csv" and len(table.columns) == 1 and not is_glob:
        # one column whose name holds a delimiter: the sniffer met a row with another
        # number of fields and took every line for one value
        only = str(table.columns[0])
        if any(d in only for d in errors.DELIMITERS):
            problem = errors.csv_shape_problem(path)
            if problem:
                raise ValueError(f"{errors.describe(path, role)}: {problem}")
    return table


def from_engine(err: BaseException) -> bool:
    """Whether an exception comes from the engine or the file readers (DuckDB, SQLite,
    Spark, Ibis, pyarrow) rather than from abtest's own code."""
    module = type(err).__module__ or ""
    return module.split(".")[0].lstrip("_") in ("duckdb", "sqlite3", "pyspark", "ibis", "pyarrow")


def _duckdb_file_table(path: Path, table: str, con: Any, role: str) -> Any:
    if con.name != "duckdb":
        raise ValueError(f"{role}: a DuckDB database file needs engine='duckdb'")
    if not path.exists():
        raise FileNotFoundError(f"{role}: no such DuckDB database: {path}")
    alias = f"abtest_db_{next(_COUNTER)}"
    con.attach(str(path), alias, read_only=True)
    try:
        return con.table(table, database=alias)
    except Exception as err:
        tables = sorted(
            r[0]
            for r in con.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", [alias]
            ).fetchall()
        )
        raise ValueError(
            f"{role}: no table {table!r} in {path}; it has {', '.join(tables) or 'no tables'}"
        ) from err


def _backend_name(table: Any) -> str:
    try:
        return str(table.get_backend().name)
    except Exception:
        return "unbound"
