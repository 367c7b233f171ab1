"""How the query reads times and calls engine builtins, the same on every engine.

:class:`Clock` turns timestamps and windows into what the engine compares: packed
microseconds on DuckDB (the first exposure packs with its variant into one integer),
interval arithmetic elsewhere, julian days on SQLite. The one-argument builtins
(``epoch_us``, ``make_timestamp``, ``julianday``) and DuckDB's ``arg_min`` go through
Ibis' ``builtin`` UDFs, compiled to SQL and never called in Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

EPOCH = datetime(1970, 1, 1)


class Clock:
    """How the query reads and compares times.

    Packed (DuckDB): times are integers, microseconds since 1970-01-01 (DuckDB's
    ``epoch_us``; its timestamps are microseconds), so the first exposure packs with
    its variant into one integer and an attribution window is an integer addition.
    Otherwise timestamps, and windows are interval arithmetic (julian days on SQLite,
    whose build here cannot add intervals).
    """

    def __init__(self, packed: bool, backend: str) -> None:
        self.packed = packed
        self.backend = backend

    def of(self, ts: Any) -> Any:
        """A timestamp column in clock units."""
        return epoch_us(ts) if self.packed else ts

    def before(self, t: Any, moment: datetime) -> Any:
        """``t < moment`` for ``t`` in clock units."""
        import ibis

        if self.packed:
            return t < ibis.literal((moment - EPOCH) // timedelta(microseconds=1), "int64")
        return before(t, moment, self.backend)

    def within(self, t: Any, first: Any, window: timedelta) -> Any:
        """``t < first + window``."""
        import ibis

        seconds = window.total_seconds()
        if seconds != int(seconds):
            raise ValueError(f"window {window}: give whole seconds")
        if self.packed:
            return t < first + ibis.literal(int(seconds) * 1_000_000, "int64")
        if self.backend == "sqlite":
            # this SQLite build cannot add intervals: compare julian days (ms precision)
            return julianday(t) - julianday(first) < seconds / 86400.0
        return t < first + ibis.interval(seconds=int(seconds))

    def date(self, t: Any) -> Any:
        """The (UTC) date of a time in clock units."""
        return (from_epoch_us(t) if self.packed else t).date()


def since(col: Any, moment: datetime, backend: str) -> Any:
    """``col >= moment`` for a timestamp column; on SQLite by julian days (:func:`_day`)."""
    import ibis

    if backend == "sqlite":
        return julianday(col) >= _day(moment)
    return col >= ibis.timestamp(moment)


def before(col: Any, moment: datetime, backend: str) -> Any:
    """``col < moment`` for a timestamp column (:func:`since`)."""
    import ibis

    if backend == "sqlite":
        return julianday(col) < _day(moment)
    return col < ibis.timestamp(moment)


def _day(moment: datetime) -> Any:
    """SQLite's julian day of ``moment``. SQLite keeps timestamps as text, which Ibis
    compared with a literal as text: the 'T' of '2024-01-09T06:00:00' sorts after the
    space of '2024-01-09 12:00:00', so every row of a bound's date fell after a bound
    with a time of day. ``julianday`` reads both spellings (ms precision, as the
    windows of :meth:`Clock.within`)."""
    import ibis

    return julianday(ibis.literal(moment.strftime("%Y-%m-%d %H:%M:%S.%f")))


def argmin(col: Any, key: Any, backend: str) -> Any:
    """``col`` at the row of the smallest ``key``: DuckDB's ``arg_min`` (Ibis would
    otherwise compile an ordered ``FIRST``, which sorts every group)."""
    import ibis

    if backend != "duckdb":
        return col.argmin(key)

    def arg_min(arg, key):  # pragma: no cover - compiled to SQL, never called
        ...

    fn = ibis.udf.agg.builtin(
        arg_min, name="arg_min", signature=((col.type(), key.type()), col.type())
    )
    return fn(col, key)


def julianday(col: Any) -> Any:
    """SQLite's ``julianday`` of a timestamp (days, as a float)."""
    return _builtin("julianday", col.cast("string"), "float64")


def epoch_us(col: Any) -> Any:
    """DuckDB's ``epoch_us``: microseconds since 1970-01-01 (exact, int64)."""
    return _builtin("epoch_us", col, "int64")


def from_epoch_us(col: Any) -> Any:
    """DuckDB's ``make_timestamp(us)``, the inverse of :func:`epoch_us`."""
    return _builtin("make_timestamp", col, "timestamp")


def _builtin(name: str, col: Any, returns: str) -> Any:
    """The engine's own scalar function ``name`` of one argument."""
    import ibis

    def fn(x):  # pragma: no cover - compiled to SQL, never called
        ...

    return ibis.udf.scalar.builtin(fn, name=name, signature=((col.type(),), returns))(col)
