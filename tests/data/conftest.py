"""Hand-built logs and the engines the same tests run on (DuckDB and SQLite via Ibis)."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

_COUNTER = itertools.count()


def ts(*values: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), format="ISO8601"), dtype="datetime64[us]")


class Engine:
    """Puts DataFrames where ``summarize`` reads them: as-is (DuckDB) or as SQLite tables."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.con = None
        if name == "sqlite":
            import ibis

            self.con = ibis.sqlite.connect()

    def put(self, df: pd.DataFrame):
        if self.con is None:
            return df
        name = f"log_{next(_COUNTER)}"
        df.to_sql(name, self.con.con, index=False)
        return self.con.table(name)


@pytest.fixture(params=["duckdb", "sqlite"])
def engine(request) -> Engine:
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
