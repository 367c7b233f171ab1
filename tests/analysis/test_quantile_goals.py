"""Quantile goals through summarize -> analyze -> reports and the registry.

The reference for the numbers is abtest.stats.quantile_test on the arms' unit values
(itself checked against gbstats' standard errors and by simulation,
tests/stats/test_quantiles.py): the analysis, which only sees the order statistics the
engine returned, must give the same p-value and intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abtest import analyze, summarize
from abtest.data.synthetic import generate_traffic
from abtest.stats import quantile_test

SPEC = {
    "id": "checkout",
    "variants": {"control": 0.5, "b": 0.5},
    "goals": [{"event": "purchase", "rates": {"control": 0.3, "b": 0.3},
               "values": {"control": 50.0, "b": 62.0}}],
}  # fmt: skip
GOALS = [
    {"event": "purchase", "metric": "purchase"},
    {"event": "purchase", "metric": "aov", "value": "value", "statistic": {"quantile": 0.5}},
    {"event": "purchase", "metric": "p90", "value": "value",
     "statistic": {"quantile": 0.9, "among": "units"}},
]  # fmt: skip


@pytest.fixture(scope="module")
def traffic():
    e, c, _ = generate_traffic([SPEC], units=6000, seed=21, days=10)
    return e, c


def _arm_values(e: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    """Per analysed unit: variant, in-window (7 days) purchase value, converted (pandas)."""
    e = e.sort_values("timestamp", kind="stable")
    one = e.groupby("unit_id")["variant"].nunique() == 1
    first = e.groupby("unit_id").first()[["variant", "timestamp"]][one]
    j = c[c["event"] == "purchase"].merge(first, left_on="unit_id", right_index=True)
    seven = pd.Timedelta(days=7)
    inw = j[(j["timestamp_x"] >= j["timestamp_y"]) & (j["timestamp_x"] < j["timestamp_y"] + seven)]
    value = inw.groupby("unit_id")["value"].sum()
    out = first.assign(value=value.reindex(first.index).fillna(0.0))
    return out.assign(converted=first.index.isin(inw["unit_id"]))


def test_rows_equal_quantile_test_on_the_unit_values(traffic):
    e, c = traffic
    a = analyze(summarize(e, c, goals=GOALS), control="control", correction="none")
    units = _arm_values(e, c)
    t = a.table().set_index(["metric", "variant"])
    for metric, q, among in (("aov", 0.5, "converters"), ("p90", 0.9, "units")):
        pick = units["converted"] if among == "converters" else np.ones(len(units), bool)
        arm = {v: units.loc[pick & (units["variant"] == v), "value"].to_numpy() for v in "cb"}
        ref = quantile_test(
            units.loc[pick & (units["variant"] == "control"), "value"].to_numpy(),
            arm["b"],
            q=q,
        )
        row = t.loc[(metric, "b")]
        assert row["p_value"] == pytest.approx(ref.p_value, rel=1e-9)
        assert row["lift"] == pytest.approx(ref.lift, rel=1e-12)
        assert (row["lift_low"], row["lift_high"]) == pytest.approx(ref.lift_ci, rel=1e-9)
        assert (row["diff_low"], row["diff_high"]) == pytest.approx(ref.diff_ci, rel=1e-9)
        assert row["mean"] == pytest.approx(ref.quantile_b, rel=1e-12)
        assert row["n"] == len(arm["b"])
        assert row["statistic"] == f"p{round(q * 100)} among " + (
            "converters" if among == "converters" else "all units"
        )
    # the simulated truth: b's orders are 24% larger (lognormal means 62 vs 50), and the
    # median among converters shows it with these 1,800 buyers
    aov = t.loc[("aov", "b")]
    assert aov["significant"] and aov["lift_low"] > 0
    # flag, p-value and interval agree on every row
    rows = a.table().dropna(subset=["p_value"])
    assert ((rows["p_adjusted"] < 0.05) == rows["significant"]).all()
    assert ((rows["lift_low"] > 0) | (rows["lift_high"] < 0) == rows["significant"]).all()


def test_a_quantile_primary_decides_and_reports_say_what_it_compares(traffic):
    e, c = traffic
    a = analyze(summarize(e, c, goals=GOALS), metrics=["aov", "purchase"], control="control")
    assert a.winner == "b" and "on aov" in a.reason
    note = dict(a.notes)["Quantiles"]
    assert note.startswith("aov is the p50 among converters")
    text, md, html = a.to_text(), a.to_markdown(), a.to_html()
    for out in (text, md, html):
        assert "Quantile goals" in out and "p50 among converters" in out
    assert a.to_dict()["notes"]["Quantiles"] == note
    assert any(r.get("statistic") == "p50 among converters" for r in a.to_dict()["results"])


def test_arms_with_too_few_values_give_no_test_and_say_so(traffic):
    e, c = traffic
    # no unit of b buys: b has no converter to take a median of
    in_b = c["unit_id"].isin(e.loc[e["variant"] == "b", "unit_id"])
    s = summarize(e, c[~((c["event"] == "purchase") & in_b)], goals=GOALS[:2])
    a = analyze(s, metrics=["purchase", "aov"], control="control")
    row = a.table().set_index(["metric", "variant"]).loc[("aov", "b")]
    assert row["n"] == 0 and np.isnan(row["p_value"]) and not row["significant"]
    assert (
        "fewer than 6 converters with a value in b, the fewest its order-statistic test "
        "takes: no test yet" in dict(a.notes)["Quantiles"]
    )


def test_a_quantile_primary_with_too_few_values_names_no_winner():
    # A/A at 10 converters per arm, p90 (lognormal values, seeded): the rank interval of
    # 10 values is clipped, the standard error too small, and a seeded simulation named a
    # winner in 41 of 200 such analyses (a review helper's). Now: no test below the 35
    # values the 90th percentile needs, and the reason says why
    rng = np.random.default_rng(3)
    rows = [{"experiment": "e", "variant": v, "metric": "p90", "unit_id": f"{v}{i}",
             "value": float(x)}
            for v in ("control", "b") for i, x in enumerate(rng.lognormal(3, 1, 10))]  # fmt: skip
    units = pd.DataFrame(rows)
    e = units.assign(timestamp=pd.Timestamp("2024-01-01"))[["unit_id", "experiment", "variant",
                                                             "timestamp"]]  # fmt: skip
    c = units.assign(event="purchase", timestamp=pd.Timestamp("2024-01-02"))
    s = summarize(e, c[["unit_id", "event", "timestamp", "value"]],
                  goals=[{"event": "purchase", "metric": "p90", "value": "value",
                          "statistic": {"quantile": 0.9}}])  # fmt: skip
    a = analyze(s, metrics=["p90"], control="control")
    row = a.table().set_index("variant").loc["b"]
    assert np.isnan(row["p_value"]) and not row["significant"]
    assert a.winner is None
    assert "too few values on p90 for its quantile test (control 10, b 10; it needs 35" in a.reason


def test_designs_that_cannot_test_a_quantile_are_refused(traffic):
    e, c = traffic
    s = summarize(e, c, goals=GOALS)
    with pytest.raises(ValueError, match=r"'aov'.*fixed-horizon order-statistic test only"):
        analyze(s, metrics=["purchase", "aov"], method="bayesian")
    from abtest.design import GuardrailSpec

    with pytest.raises(ValueError, match=r"guardrail\(s\) 'aov'.*a guardrail compares means"):
        analyze(s, metrics=["purchase", "aov"], guardrails=(GuardrailSpec("aov"),))


def test_a_frame_without_order_statistics_is_refused(traffic):
    e, c = traffic
    frame = summarize(e, c, goals=GOALS).to_frame()
    with pytest.raises(ValueError, match=r"'aov' is a quantile goal.*analyze the Summary"):
        analyze(frame, metrics=["purchase", "aov"])


EXPERIMENT = """\
id: checkout-q
name: Checkout order value
hypothesis: Express pay keeps the typical basket
owner: growth@example.com
status: running
start: 2024-01-01
page: /checkout
variants:
  - {id: control, name: Card form, weight: 0.5, control: true}
  - {id: b, name: Express pay, weight: 0.5}
goals:
  - {id: purchase, event: purchase, kind: macro, primary: true}
  - id: aov
    event: purchase
    kind: macro
    value: value
    statistic: {quantile: 0.5}
"""


def test_registry_statistic_is_validated_with_lines(tmp_path, monkeypatch):
    from abtest.registry import validate_paths

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "checkout-q.yaml"

    def problems(text: str) -> list[str]:
        path.write_text(text, encoding="utf-8")
        return [str(p) for p in validate_paths(["checkout-q.yaml"]) if p.is_error]

    assert problems(EXPERIMENT) == []
    assert problems(EXPERIMENT.replace("quantile: 0.5", "quantile: 50")) == [
        "checkout-q.yaml:17: goals[1].statistic.quantile: must be less than 1, got 50"
    ]
    assert problems(EXPERIMENT.replace("    value: value\n", "")) == [
        "checkout-q.yaml:16: goals[1].statistic: goal 'aov' is a quantile goal, but it names "
        "no value column; add 'value: <column>'"
    ]
    (got,) = problems(EXPERIMENT + "analysis: {method: bayesian}\n")
    assert got.startswith("checkout-q.yaml:17: goals[1].statistic: goal 'aov' compares a quantile")
    (got,) = problems(EXPERIMENT + "guardrails:\n  - {goal: aov, direction: increase}\n")
    assert got.startswith("checkout-q.yaml:19: guardrails[0].goal: 'aov' is a quantile goal")


def test_segments_of_a_quantile_primary_use_each_segments_order_statistics(traffic):
    # per lead source: the lift equals quantile_test on that source's unit values, and
    # Cochran's Q is computed by hand from those tests' log ratios and standard errors
    from scipy import stats as sps

    e, c = traffic
    e = e.assign(source=np.where(np.arange(len(e)) % 3 == 0, "email", "search"))
    s = summarize(e, c, goals=GOALS[:2], by="source")
    a = analyze(s, metrics=["aov", "purchase"], control="control")
    seg = a.segments.set_index("value")
    units = _arm_values(e.drop(columns="source"), c).join(e.groupby("unit_id")["source"].first())
    buyers = units[units["converted"]]
    y, w = [], []
    for source in ("email", "search"):
        arm = {v: buyers.loc[(buyers["variant"] == v) & (buyers["source"] == source), "value"]
               for v in ("control", "b")}  # fmt: skip
        ref = quantile_test(arm["control"].to_numpy(), arm["b"].to_numpy(), q=0.5)
        row = seg.loc[source]
        assert row["lift"] == pytest.approx(ref.lift, rel=1e-12)
        assert row["p_value"] == pytest.approx(ref.p_value, rel=1e-9)
        assert (row["n_control"], row["n"]) == (len(arm["control"]), len(arm["b"]))
        y.append(np.log(ref.quantile_b / ref.quantile_a))
        w.append(1 / (ref.se_b**2 / ref.quantile_b**2 + ref.se_a**2 / ref.quantile_a**2))
    y, w = np.array(y), np.array(w)
    q = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
    assert seg["heterogeneity_q"].iloc[0] == pytest.approx(q, rel=1e-9)
    assert seg["heterogeneity_p"].iloc[0] == pytest.approx(sps.chi2.sf(q, 1), rel=1e-9)


def test_forest_plot_rows_name_the_statistic_and_the_cap(traffic):
    e, c = traffic
    goals = [*GOALS[:2], {"event": "purchase", "metric": "revenue", "value": "value",
                          "capping": {"percentile": 0.99}}]  # fmt: skip
    a = analyze(summarize(e, c, goals=goals), control="control")
    fig = a.plot("lift")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    # Holm's levels differ by row, so each label ends with its interval's level
    assert labels == [
        "purchase (primary) · 95%",
        "aov · p50 among converters · 97.5%",
        "revenue · capped, p99 of all units · 95%",
    ]
