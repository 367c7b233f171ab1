"""Capping (winsorization) of value goals in the engine, on DuckDB, SQLite and PySpark.

The hand-built logs of conftest.logs, revenue in window per analysed unit (7 days):

hero (u5 is multi-variant, so N = 5 analysed units of both variants):
    control: u1 10, u2 0 (no purchase)
    b:       u3 20 (01-01) + 5 (01-05) = 25, u4 7 (01-02), u6 30 (01-04)
    sorted:  x = [0, 7, 10, 25, 30]  (x[0] is u2's implicit zero)
cta (N = 2): a: u1 10 (01-06); b: u3 5 (01-05; its 20 on 01-01 is before exposure)
    sorted:  x = [5, 10]

R type 7 (numpy's default): h = (N - 1) p, cap = x[floor h] + (h - floor h)
(x[floor h + 1] - x[floor h]).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abtest.data import summarize
from abtest.data._pandas_reference import summarize_pandas
from abtest.data.model import parse_goals
from abtest.data.synthetic import generate_traffic

RAW = {"event": "purchase", "metric": "raw", "value": "value"}


def revenue(capping: dict) -> list[dict]:
    return [{"event": "purchase", "metric": "revenue", "value": "value", "capping": capping}, RAW]


def rows(summary, metric: str = "revenue", *extra: str) -> dict:
    f = summary.frame[summary.frame["metric"] == metric]
    keys = ["experiment", "variant", *extra]
    cols = ["n", "sum", "sum_sq", "cap", "capped"]
    return {tuple(r[: len(keys)]): tuple(r[len(keys) :]) for r in f[keys + cols].values.tolist()}


def run(engine, logs, goals, **kw):
    return summarize(engine.put(logs[0]), engine.put(logs[1]), goals=goals, **kw)


def test_percentile_cap_by_hand(engine, logs):
    # hero p = 0.75: h = 4 * 0.75 = 3, cap = x[3] = 25 (frac 0). b: u3 25 (not cut:
    # 25 is not above 25), u4 7, u6 30 -> 25 (cut) -> sum 57, sum_sq 625 + 49 + 625.
    # cta: h = 1 * 0.75 = 0.75, cap = 5 + 0.75 * (10 - 5) = 8.75: u1's 10 is cut.
    s = run(engine, logs, revenue({"percentile": 0.75}))
    assert rows(s) == {
        ("hero", "control"): (2, 10.0, 100.0, 25.0, 0.0),
        ("hero", "b"): (3, 57.0, 1299.0, 25.0, 1.0),
        ("cta", "a"): (1, 8.75, 76.5625, 8.75, 1.0),
        ("cta", "b"): (1, 5.0, 25.0, 8.75, 0.0),
    }
    # the uncapped goal on the same event is untouched, and has no cap
    raw = s.frame[s.frame["metric"] == "raw"]
    assert raw["cap"].isna().all() and raw["capped"].isna().all()
    assert raw.set_index(["experiment", "variant"]).loc[("hero", "b"), "sum"] == 62.0
    # the columns of to_frame are kept, cap and capped added
    assert {"n", "sum", "sum_sq", "excluded_multiple_variants", "cap", "capped"} <= set(
        s.to_frame().columns
    )


def test_percentile_rank_among_the_zeros(engine, logs):
    # hero p = 0.5: h = 2, the rank-2 value; one zero (u2) comes first, so it is the
    # positive of rank 1: cap = 10. b: 10 + 7 + 10 = 27, two cut (u3, u6).
    s = run(engine, logs, revenue({"percentile": 0.5}), experiments=["hero"])
    assert rows(s)[("hero", "b")] == (3, 27.0, 249.0, 10.0, 2.0)
    # p = 0.1: h = 0.4, between x[0] = 0 (a zero: no row) and x[1] = 7:
    # cap = 0 + 0.4 * 7 = 2.8; every unit with revenue is cut.
    s = run(engine, logs, revenue({"percentile": 0.1}), experiments=["hero"])
    got = rows(s)
    assert got[("hero", "b")][1:3] == pytest.approx((3 * 2.8, 3 * 2.8**2), rel=1e-12)
    assert got[("hero", "b")][3:] == pytest.approx((2.8, 3.0), rel=1e-12)
    assert got[("hero", "control")][3:] == pytest.approx((2.8, 1.0), rel=1e-12)


def test_ignore_zeros(engine, logs):
    # hero: the quantile of the positive values only, [7, 10, 25, 30] (u2 left out):
    # h = 3 * 0.5 = 1.5, cap = 10 + 0.5 * (25 - 10) = 17.5. b: 17.5 + 7 + 17.5 = 42,
    # sum_sq 306.25 + 49 + 306.25 = 661.5, two cut; control: u1's 10 is below.
    s = run(engine, logs, revenue({"percentile": 0.5, "ignore_zeros": True}))
    got = rows(s)
    assert got[("hero", "b")] == (3, 42.0, 661.5, 17.5, 2.0)
    assert got[("hero", "control")] == (2, 10.0, 100.0, 17.5, 0.0)
    # cta has no zeros: [5, 10], h = 0.5 -> 7.5, u1's 10 cut
    assert got[("cta", "a")] == (1, 7.5, 56.25, 7.5, 1.0)


def test_fixed_cap(engine, logs):
    # cap 20: hero b u3 25 -> 20, u4 7, u6 30 -> 20: 47, 400 + 49 + 400, two cut
    s = run(engine, logs, revenue({"value": 20}))
    got = rows(s)
    assert got[("hero", "b")] == (3, 47.0, 849.0, 20.0, 2.0)
    assert got[("hero", "control")] == (2, 10.0, 100.0, 20.0, 0.0)
    assert got[("cta", "a")] == (1, 10.0, 100.0, 20.0, 0.0)


def test_daily_uses_one_cap_for_the_whole_period(engine, logs):
    # the cap is over the units' whole-period values: 25, as in the totals. Per day
    # (cumulative), hero b: 01-01 u3 20; 01-02 + u4 7 = 27; 01-04 + u6 30 -> 25 (cut
    # from that day) = 52; 01-05 u3 reaches 25 (not above the cap) = 57.
    s = run(engine, logs, revenue({"percentile": 0.75}), daily=True, experiments=["hero"])
    f = s.frame[(s.frame["metric"] == "revenue") & (s.frame["variant"] == "b")]
    by_day = {d.strftime("%m-%d"): (v, c) for d, v, c in f[["day", "sum", "capped"]].values}
    assert by_day["01-01"] == (20.0, 0.0)
    assert by_day["01-02"] == (27.0, 0.0)
    assert by_day["01-03"] == (27.0, 0.0)
    assert by_day["01-04"] == (52.0, 1.0)
    assert by_day["01-05"] == (57.0, 1.0)
    assert set(f["cap"]) == {25.0}
    # sum_sq as of 01-04: 20^2 + 7^2 + 25^2
    assert f.set_index(f["day"].dt.strftime("%m-%d")).loc["01-04", "sum_sq"] == 1074.0
    # the last day equals the totals
    plain = run(engine, logs, revenue({"percentile": 0.75}), experiments=["hero"])
    last = s.totals()
    last = last[last["metric"] == "revenue"].set_index("variant")[["sum", "sum_sq"]]
    want = plain.frame[plain.frame["metric"] == "revenue"].set_index("variant")
    assert last.loc[["control", "b"]].values.tolist() == (
        want.loc[["control", "b"], ["sum", "sum_sq"]].values.tolist()
    )


def test_segments_share_the_experiment_cap(engine, logs):
    # the cap is over every unit of the experiment (25), not per device: hero b mobile
    # (u3 25, u4 7) = 32, none cut; desktop (u6, first seen on desktop) 30 -> 25, cut
    s = run(engine, logs, revenue({"percentile": 0.75}), by="device", experiments=["hero"])
    got = rows(s, "revenue", "device")
    assert got[("hero", "b", "mobile")] == (2, 32.0, 674.0, 25.0, 0.0)
    assert got[("hero", "b", "desktop")] == (1, 25.0, 625.0, 25.0, 1.0)
    # totals merge the segments: the one cap, the units cut added up
    t = s.totals().set_index(["variant", "metric"])
    assert t.loc[("b", "revenue"), ["sum", "cap", "capped"]].tolist() == [57.0, 25.0, 1.0]
    assert t.loc[("b", "raw"), ["cap", "capped"]].isna().all()


@pytest.mark.parametrize("daily", [False, True])
def test_cuped_sum_xy_uses_the_capped_value(engine, logs, daily):
    # covariate u1 1, u3 2, u4 3, u6 4; capped revenue hero b: u3 25, u4 7, u6 25:
    # sum_xy = 2 * 25 + 3 * 7 + 4 * 25 = 171 (uncapped: 50 + 21 + 120 = 191)
    cov = pd.DataFrame({"unit_id": ["u1", "u3", "u4", "u6"], "value": [1.0, 2.0, 3.0, 4.0]})
    s = run(
        engine,
        logs,
        revenue({"percentile": 0.75}),
        covariate=engine.put(cov),
        experiments=["hero"],
        daily=daily,
    )
    t = s.totals().set_index(["variant", "metric"])
    assert t.loc[("b", "revenue"), "sum_xy"] == 171.0
    assert t.loc[("b", "raw"), "sum_xy"] == 191.0


def test_unknown_variants_are_not_in_the_cap(engine, logs):
    # only control configured: hero's analysed units are u1 10 and u2 0 (the b units
    # are an unknown variant): x = [0, 10], p 0.75: h = 0.75, cap 7.5
    s = run(engine, logs, revenue({"percentile": 0.75}), variants={"hero": ["control"]})
    assert rows(s) == {("hero", "control"): (2, 7.5, 56.25, 7.5, 1.0)}


@pytest.mark.parametrize(
    ("capping", "message"),
    [
        ({"percentile": 1.0}, "percentile = 1.0: must lie in \\(0, 1\\)"),
        ({"percentile": 0}, "percentile = 0: must lie in \\(0, 1\\)"),
        ({"value": -5}, "value = -5: a cap cannot be negative"),
        ({"percentile": 0.9, "value": 100}, "exactly one of percentile"),
        ({}, "exactly one of percentile"),
        ({"percentile": 0.9, "pct": 1}, "unknown key\\(s\\) pct"),
        ({"value": 10, "ignore_zeros": True}, "ignore_zeros applies to a percentile"),
        ({"percentile": "0.9"}, "expected a number"),
    ],
)
def test_bad_capping_names_the_goal(capping, message, logs):
    with pytest.raises(ValueError, match=f"goal 'revenue': capping.*{message}"):
        summarize(*logs, goals=revenue(capping))


def test_capping_a_binary_goal_is_an_error(logs):
    with pytest.raises(ValueError, match="goal 'purchase': capping applies to value goals"):
        summarize(*logs, goals=[{"event": "purchase", "capping": {"percentile": 0.9}}])


def test_matches_numpy_quantile_on_synthetic_traffic(engine):
    spec = {
        "id": "checkout",
        "variants": {"control": 0.5, "b": 0.3, "c": 0.2},
        "goals": [
            {
                "event": "purchase",
                "rates": {"control": 0.2, "b": 0.22, "c": 0.25},
                "values": {"control": 60.0, "b": 64.0, "c": 70.0},
            }
        ],
    }
    units = 3000 if engine.name == "pyspark" else 20_000
    e, c, _ = generate_traffic([spec], units=units, seed=11, days=14)
    goals = [
        {"event": "purchase", "metric": "p95", "value": "value", "capping": {"percentile": 0.95}},
        {
            "event": "purchase",
            "metric": "p90nz",
            "value": "value",
            "capping": {"percentile": 0.9, "ignore_zeros": True},
        },
        {"event": "purchase", "metric": "fixed", "value": "value", "capping": {"value": 150.0}},
    ]
    got = summarize(engine.put(e), engine.put(c), goals=goals).frame
    want, _ = summarize_pandas(e, c, parse_goals(goals))
    key = ["experiment", "variant", "metric"]
    got, want = (df.sort_values(key, ignore_index=True) for df in (got, want))
    assert got[key].values.tolist() == want[key].values.tolist()
    assert (got["n"].to_numpy() == want["n"].to_numpy()).all()
    for col in ("cap", "sum", "sum_sq"):
        np.testing.assert_allclose(got[col], want[col], rtol=1e-9, err_msg=col)
    np.testing.assert_array_equal(got["capped"], want["capped"])
    # the cap is a real percentile here: some units are cut, not all
    assert 0 < got.loc[got["metric"] == "p95", "capped"].sum() < (want["n"].sum() / 3) * 0.06


EXPERIMENT = """\
id: checkout-cap
name: Checkout capped revenue
hypothesis: Express pay raises revenue per visitor
owner: growth@example.com
status: running
start: 2024-01-01
page: /checkout
variants:
  - {id: control, name: Card form, weight: 0.5, control: true}
  - {id: b, name: Express pay, weight: 0.5}
goals:
  - {id: purchase, event: purchase, kind: macro, primary: true}
  - id: revenue
    event: purchase
    kind: macro
    value: value
    capping: {percentile: 0.75}
"""


def _write(tmp_path, text: str):
    path = tmp_path / "checkout-cap.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registry_capping_is_validated_with_lines(tmp_path, monkeypatch):
    from abtest.registry import validate_paths

    monkeypatch.chdir(tmp_path)
    _write(tmp_path, EXPERIMENT)
    assert [p for p in validate_paths(["checkout-cap.yaml"]) if p.is_error] == []
    bad = EXPERIMENT.replace("capping: {percentile: 0.75}", "capping: {percentile: 99}")
    _write(tmp_path, bad)
    assert [str(p) for p in validate_paths(["checkout-cap.yaml"])] == [
        "checkout-cap.yaml:17: goals[1].capping.percentile: must be less than 1, got 99"
    ]
    bad = EXPERIMENT.replace("capping: {percentile: 0.75}", "capping: {percentile: 0.9, value: 5}")
    _write(tmp_path, bad)
    (problem,) = validate_paths(["checkout-cap.yaml"])
    assert str(problem).startswith("checkout-cap.yaml:17: goals[1].capping: give exactly one of")
    bad = EXPERIMENT.replace("capping: {percentile: 0.75}", "capping: {value: -1}")
    _write(tmp_path, bad)
    (problem,) = validate_paths(["checkout-cap.yaml"])
    assert str(problem).startswith("checkout-cap.yaml:17: goals[1].capping.value:")
    bad = EXPERIMENT.replace("primary: true}", "primary: true, capping: {value: 10}}")
    _write(tmp_path, bad)
    assert [str(p) for p in validate_paths(["checkout-cap.yaml"])] == [
        "checkout-cap.yaml:12: goals[0].capping: goal 'purchase' is a conversion (no value "
        "column): capping applies to value goals; add 'value: <column>' or remove capping"
    ]


def test_registry_capping_reaches_summarize(tmp_path, logs):
    from abtest.analysis.experiment import summarize_experiment
    from abtest.registry import load_registry

    _write(tmp_path, EXPERIMENT)
    exp = load_registry(tmp_path)["checkout-cap"]
    exposures = logs[0][logs[0]["experiment"] == "hero"].assign(experiment="checkout-cap")
    # hero's units as checkout-cap: the cap is 25 (test_percentile_cap_by_hand)
    s = summarize_experiment(exp, exposures, logs[1], daily=False)
    assert rows(s)[("checkout-cap", "b")] == (3, 57.0, 1299.0, 25.0, 1.0)


def test_the_analysis_says_where_the_goal_was_capped(logs):
    from abtest import analyze

    s = summarize(*logs, goals=revenue({"percentile": 0.75}), experiments=["hero"])
    assert s.capping == {"revenue": "p75 of all units"}
    a = analyze(s, metrics=["revenue", "raw"], control="control")
    notes = dict(a.notes)
    assert notes["Capping"] == "revenue capped at 25.00 (p75 of all units): 0 control / 1 b units"
    assert "revenue capped at 25.00 (p75 of all units)" in a.to_text()
    assert "revenue capped at 25.00" in a.to_markdown()
    assert a.to_dict()["notes"]["Capping"] == notes["Capping"]
