"""Quantile goals' order statistics in the engine, on DuckDB, SQLite and PySpark.

The hand-built logs of conftest.logs, purchase value in window per analysed unit (7 days):

hero (u5 is multi-variant and left out):
    control: u1 10 (01-06), u2 no purchase
    b:       u3 20 + 5 = 25, u4 7 (its 50 on 01-11 is after the window), u6 30
cta: a: u1 10; b: u3 5 (its 20 on 01-01 is before its exposure)

On N sorted values x[0..N-1]: the quantile is x[j] + (h - j)(x[j+1] - x[j]) with
h = (N - 1) q, j = floor h (R type 7); the ranks are L, U = round(N q -+ 1.96
sqrt(N q (1 - q))) clipped to [1, N] (1-based, abtest.stats.order_stat_ranks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from abtest.data import summarize
from abtest.data.order_stats import RANK_Z
from abtest.data.synthetic import generate_traffic
from abtest.stats import order_stats
from abtest.stats.quantiles import RANK_ALPHA


def goals(q: float, among: str = "converters") -> list[dict]:
    stat = {"quantile": q, "among": among}
    return [{"event": "purchase", "metric": "aov", "value": "value", "statistic": stat}]


def stats(summary, *segments: str) -> dict:
    t = summary.quantiles
    if segments:
        t = t[t[list(segments)].notna().all(axis=1)]
    else:
        t = t[t[list(summary.segments)].isna().all(axis=1)] if summary.segments else t
    keys = ["experiment", "variant", *segments]
    cols = ["n", "quantile", "lower", "upper"]
    return {tuple(r[: len(keys)]): tuple(r[len(keys) :]) for r in t[keys + cols].values.tolist()}


def run(engine, logs, goal_list, **kw):
    return summarize(engine.put(logs[0]), engine.put(logs[1]), goals=goal_list, **kw)


def test_median_among_converters_by_hand(engine, logs):
    # hero b: x = [7, 25, 30], N = 3: h = 1 -> 25; N q = 1.5, 1.96 sqrt(0.75) = 1.697:
    # L = round(-0.197) -> 1 (x[0] = 7), U = round(3.197) = 3 (x[2] = 30).
    # hero control: x = [10] (u2 bought nothing: not a converter): 10, ranks 1 and 1.
    # cta: one converter per variant.
    s = run(engine, logs, goals(0.5))
    assert stats(s) == {
        ("hero", "control"): (1, 10.0, 10.0, 10.0),
        ("hero", "b"): (3, 25.0, 7.0, 30.0),
        ("cta", "a"): (1, 10.0, 10.0, 10.0),
        ("cta", "b"): (1, 5.0, 5.0, 5.0),
    }
    # the frame's row of a quantile goal is a value goal's (every analysed unit, the
    # sums of their values: revenue per visitor) with kind quantile
    f = s.frame.set_index(["experiment", "variant"])
    assert f.loc[("hero", "b"), ["kind", "n", "sum", "sum_sq"]].tolist() == [
        "quantile",
        3,
        62.0,
        625.0 + 49.0 + 900.0,
    ]
    assert f.loc[("hero", "control"), ["n", "sum"]].tolist() == [2, 10.0]


def test_quantiles_among_all_units_by_hand(engine, logs):
    # hero control among units: x = [0, 10] (u2's implicit zero), N = 2.
    # q = 0.9: h = 0.9 -> 0 + 0.9 * 10 = 9; N q = 1.8, 1.96 sqrt(2 * 0.09) = 0.8315:
    # L = round(0.9685) = 1 (x[0] = 0), U = round(2.6315) = 3 -> 2 (x[1] = 10).
    # hero b: x = [7, 25, 30]: h = 1.8 -> 25 + 0.8 * 5 = 29; N q = 2.7, 1.96 sqrt(0.27)
    # = 1.0184: L = round(1.68) = 2 (x[1] = 25), U = round(3.72) = 4 -> 3 (x[2] = 30).
    s = run(engine, logs, goals(0.9, "units"))
    got = stats(s)
    assert got[("hero", "control")] == pytest.approx((2, 9.0, 0.0, 10.0), rel=1e-12)
    assert got[("hero", "b")] == pytest.approx((3, 29.0, 25.0, 30.0), rel=1e-12)
    # median among units of control: h = 0.5 -> 5; N q = 1, 1.96 sqrt(0.5) = 1.386:
    # L = round(-0.386) -> 1 (0), U = round(2.386) = 2 (10)
    s = run(engine, logs, goals(0.5, "units"))
    assert stats(s)[("hero", "control")] == (2, 5.0, 0.0, 10.0)


def test_segments_and_daily_by_hand(engine, logs):
    # devices at the first exposure: hero control u1 mobile (10), u2 desktop (none);
    # b u3 mobile (25), u4 mobile (7), u6 desktop (30).
    # b mobile: x = [7, 25]: h = 0.5 -> 16; N q = 1, 1.386: L 1 (7), U 2 (25).
    # control desktop has no converter: n 0, no quantile (NaN).
    s = run(engine, logs, goals(0.5), by="device")
    seg = stats(s, "device")
    assert seg[("hero", "b", "mobile")] == (2, 16.0, 7.0, 25.0)
    assert seg[("hero", "b", "desktop")] == (1, 30.0, 30.0, 30.0)
    n, q, lo, hi = seg[("hero", "control", "desktop")]
    assert n == 0 and np.isnan(q) and np.isnan(lo) and np.isnan(hi)
    # the overall rows are the quantiles of the merged segments, not sums of them
    assert stats(s)[("hero", "b")] == (3, 25.0, 7.0, 30.0)
    # daily: the whole period's order statistics (the last day's)
    d = run(engine, logs, goals(0.5), daily=True)
    assert stats(d)[("hero", "b")] == (3, 25.0, 7.0, 30.0)


def test_rank_z_is_the_stats_modules():
    # the query writes the 97.5% normal quantile out (it does not import scipy)
    assert RANK_Z == pytest.approx(-special.ndtri(RANK_ALPHA / 2), rel=1e-15)


@pytest.mark.parametrize("among", ["converters", "units"])
def test_engine_equals_numpy_on_generated_traffic(engine, among):
    # order statistics from the engine equal abtest.stats.order_stats (np.quantile and
    # the sorted values at order_stat_ranks) on each arm's unit values, for q = 0.5 and
    # 0.9, overall and by segment
    spec = {
        "id": "checkout",
        "variants": {"control": 0.5, "b": 0.5},
        "goals": [{"event": "purchase", "rates": {"control": 0.2, "b": 0.23},
                   "values": {"control": 60.0, "b": 64.0}}],
    }  # fmt: skip
    units = 2000 if engine.name == "pyspark" else 12_000
    e, c, _ = generate_traffic([spec], units=units, seed=5, days=10)
    i = np.arange(len(e))
    e = e.assign(source=np.where(i % 3 == 0, "email", "search"), tier=np.where(i % 2, "x", "y"))
    gl = [
        {"event": "purchase", "metric": f"q{q}", "value": "value",
         "statistic": {"quantile": q, "among": among}}
        for q in (0.5, 0.9)
    ]  # fmt: skip
    s = summarize(engine.put(e), engine.put(c), goals=gl, by=["source", "tier"])
    per_unit = _unit_values(e, c, window=pd.Timedelta(days=7))
    for _, r in s.quantiles.iterrows():
        arm = per_unit[per_unit["variant"] == r["variant"]]
        for col in ("source", "tier"):  # a segment row sets one column, the others empty
            if not pd.isna(r[col]):
                arm = arm[arm[col] == r[col]]
        y = arm["value"] if among == "units" else arm.loc[arm["converted"], "value"]
        want = order_stats(y.to_numpy(), r["q"])
        got = (r["n"], r["quantile"], r["lower"], r["upper"])
        np.testing.assert_allclose(np.array(got, float), np.array(want, float), rtol=1e-12)
    # goals x variants x (overall + 2 sources + 2 tiers)
    assert len(s.quantiles) == 2 * 2 * 5
    assert (s.quantiles[["source", "tier"]].notna().sum(axis=1) <= 1).all()


def _unit_values(e: pd.DataFrame, c: pd.DataFrame, window: pd.Timedelta) -> pd.DataFrame:
    """Per analysed unit (one variant, first exposure's source): in-window purchase
    value and whether it converted, by pandas (the definition, not the engine)."""
    e = e.sort_values("timestamp", kind="stable")
    one = e.groupby("unit_id")["variant"].nunique() == 1
    first = e.groupby("unit_id").first()[["variant", "timestamp", "source", "tier"]][one]
    j = c[c["event"] == "purchase"].merge(first, left_on="unit_id", right_index=True)
    inw = j[(j["timestamp_x"] >= j["timestamp_y"]) & (j["timestamp_x"] < j["timestamp_y"] + window)]
    value = inw.groupby("unit_id")["value"].sum()
    out = first.assign(value=value.reindex(first.index).fillna(0.0))
    return out.assign(converted=first.index.isin(inw["unit_id"]))


@pytest.mark.parametrize(
    ("statistic", "extra", "message"),
    [
        ({"quantile": 1.5}, {}, "goal 'aov': statistic.quantile = 1.5: must lie in (0, 1)"),
        ({"quantile": 0}, {}, "goal 'aov': statistic.quantile = 0: must lie in (0, 1)"),
        ({"quantile": 0.5, "among": "buyers"}, {}, "statistic.among = 'buyers': expected"),
        ({"q": 0.5}, {}, "unknown key(s) q"),
        ({"quantile": 0.5}, {"value": None}, "a quantile goal needs a value column"),
        ({"quantile": 0.5}, {"capping": {"value": 100}}, "takes no capping"),
    ],
)
def test_bad_quantile_goals_are_refused_naming_the_goal(logs, statistic, extra, message):
    goal = {"event": "purchase", "metric": "aov", "value": "value", "statistic": statistic}
    with pytest.raises(ValueError) as err:
        summarize(*logs, goals=[goal | extra])
    assert message in str(err.value) and str(err.value).startswith("goal 'aov': statistic")
