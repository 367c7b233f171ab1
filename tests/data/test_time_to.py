"""Time to conversion counted in the engine (summarize(time_to=...)) equals the same
counts from unit rows (a pandas oracle written from the definition), on DuckDB, SQLite
and Spark; Kaplan-Meier on the aggregated rows equals Kaplan-Meier on the unit rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abtest.data import generate_traffic, summarize
from abtest.stats import kaplan_meier

SPEC = {"id": "form", "variants": {"long": 1, "short": 1},
        "goals": [{"event": "customer", "rates": {"long": 0.2, "short": 0.3}}]}  # fmt: skip
AS_OF = pd.Timestamp("2024-01-15")
WINDOW = pd.Timedelta(days=7)


def oracle(ex: pd.DataFrame, cv: pd.DataFrame, hours: float = 1.0) -> pd.DataFrame:
    """The definition, unit by unit: first exposure and variant (single-variant units),
    first goal event in [first, first + window) before as_of, else censored at
    min(as_of - first, window); the time rounded up to the resolution, in hours."""
    ex = ex[ex["timestamp"] < AS_OF]
    g = ex.groupby("unit_id")
    units = pd.DataFrame({"first": g["timestamp"].min(), "variant": g["variant"].first(),
                          "nvar": g["variant"].nunique()})  # fmt: skip
    units = units[units["nvar"] == 1]
    ev = cv[(cv["event"] == "customer") & (cv["timestamp"] < AS_OF)].merge(
        units, left_on="unit_id", right_index=True
    )
    ev = ev[(ev["timestamp"] >= ev["first"]) & (ev["timestamp"] < ev["first"] + WINDOW)]
    hit = ev.groupby("unit_id")["timestamp"].min()
    units["t"] = hit
    converted = units["t"].notna()
    seconds = np.where(
        converted,
        (units["t"] - units["first"]).dt.total_seconds(),
        np.minimum((AS_OF - units["first"]).dt.total_seconds(), WINDOW.total_seconds()),
    )
    step = hours * 3600.0
    units["time"] = np.ceil(np.round(seconds, 3) / step) * step / 3600.0
    units["event"] = converted.astype(int)
    return (
        units.groupby(["variant", "time", "event"]).size().rename("count").reset_index()
        .sort_values(["variant", "time", "event"]).reset_index(drop=True)
    )  # fmt: skip


@pytest.fixture(scope="module")
def traffic():
    ex, cv, _ = generate_traffic([SPEC], units=3000, seed=7, start="2024-01-01", days=12)
    # seconds-precision times (Spark reads whole seconds), so all engines agree exactly
    return ex.assign(timestamp=ex["timestamp"].dt.floor("s")), cv.assign(
        timestamp=cv["timestamp"].dt.floor("s")
    )


def test_engine_counts_equal_the_unit_rows(engine, traffic):
    ex, cv = traffic
    s = summarize(
        engine.put(ex), engine.put(cv), goals=[{"event": "customer", "window": "7d"}],
        as_of="2024-01-14", time_to=["customer"], resolution="1h",
        **({"engine": engine.con} if engine.con is not None else {}),
    )  # fmt: skip
    got = s.time_to.drop(columns=["experiment", "metric"]).reset_index(drop=True)
    want = oracle(ex, cv)
    pd.testing.assert_frame_equal(
        got.astype({"time": float, "event": int, "count": int}),
        want.astype({"time": float, "event": int, "count": int}),
        check_dtype=False,
    )
    # units: the analysed units of the main summary (single-variant, before as_of)
    n = s.frame.groupby("variant")["n"].first()
    assert got.groupby("variant")["count"].sum().to_dict() == n.to_dict()


def test_kaplan_meier_on_rows_equals_on_units(traffic):
    ex, cv = traffic
    s = summarize(ex, cv, goals=[{"event": "customer", "window": "7d"}], as_of="2024-01-14",
                  time_to=["customer"], resolution="1h")  # fmt: skip
    rows = s.time_to[s.time_to["variant"] == "short"]
    agg = kaplan_meier(rows["time"], rows["event"], count=rows["count"])
    units = rows.loc[rows.index.repeat(rows["count"])]
    one = kaplan_meier(units["time"], units["event"])
    np.testing.assert_allclose(agg.survival, one.survival, rtol=1e-12)
    assert agg.median == one.median or (np.isnan(agg.median) and np.isnan(one.median))


def test_unknown_goal_and_bad_resolution(traffic):
    ex, cv = traffic
    with pytest.raises(ValueError, match="time_to: no goal 'lead'"):
        summarize(ex, cv, goals=["customer"], time_to=["lead"])
    with pytest.raises(ValueError, match="resolution"):
        summarize(ex, cv, goals=["customer"], time_to=["customer"], resolution="0h")


def test_an_end_without_as_of_censors_where_the_events_stop():
    # 4 units exposed 2024-01-01 00:00, end 2024-01-01 (exposures through that day);
    # units 1 and 2 buy on 01-06 (after the end), the logs run to 01-11. Without a
    # window summarize cuts the events at the end: nobody converted, and nobody may be
    # censored later than the end (censoring at the end while counting the 01-06 buys
    # showed 2 conversions at 120 h beside a results table with 0; a review helper's
    # case). With a 30-day window the buys count, observed until the logs' last event
    # (10 days, 240 h)
    ex = pd.DataFrame({"unit_id": [1, 2, 3, 4], "experiment": "e", "variant": ["a", "b"] * 2,
                       "timestamp": pd.to_datetime(["2024-01-01 00:00"] * 4)})  # fmt: skip
    days = pd.to_datetime(["2024-01-06", "2024-01-06", "2024-01-11"])
    cv = pd.DataFrame({"unit_id": [1, 2, 9], "event": ["buy", "buy", "other"], "timestamp": days})
    for window, converted, censored_h in ((None, 0, 24.0), ("30d", 1, 240.0)):
        goals = [{"event": "buy", "metric": "buy", "window": window}]
        s = summarize(ex, cv, end="2024-01-01", goals=goals, time_to=["buy"], resolution="1h")
        assert s.to_frame().set_index("variant")["sum"].to_dict() == {
            "a": converted,
            "b": converted,
        }
        t = s.time_to
        assert int(t.loc[t["event"] == 1, "count"].sum()) == 2 * converted
        assert set(t.loc[t["event"] == 0, "time"]) == {censored_h}
        if converted:
            assert set(t.loc[t["event"] == 1, "time"]) == {120.0}


def test_the_logs_last_event_is_seen():
    # without as_of, the logs' last timestamp is where observation stops; a conversion at
    # exactly that time was cut (an exclusive bound) and b showed 0 conversions beside a
    # results table with 1 (a review helper's case): it converts at 34 h
    ex = pd.DataFrame({"unit_id": [1, 2, 3, 4], "experiment": "e", "variant": ["control", "b"] * 2,
                       "timestamp": pd.to_datetime(["2024-01-01"] * 4)})  # fmt: skip
    days = pd.to_datetime(["2024-01-01 05:00", "2024-01-02 10:00"])
    cv = pd.DataFrame({"unit_id": [1, 2], "event": "buy", "timestamp": days})
    for window in ("7d", None):
        goals = [{"event": "buy", "metric": "buy", "window": window}]
        t = summarize(ex, cv, goals=goals, time_to=["buy"], resolution="1h").time_to
        b = t[(t["variant"] == "b") & (t["event"] == 1)]
        assert b["time"].tolist() == [34.0] and b["count"].tolist() == [1]
