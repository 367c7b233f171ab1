"""The synthetic traffic generator, and summarize against the pandas oracle on it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abtest.data import EventMetric, generate_traffic, summarize
from abtest.data._pandas_reference import summarize_pandas

SPEC = {
    "id": "hero",
    "variants": {"control": 1, "b": 1},
    "goals": [
        {"event": "signup", "rates": {"control": 0.10, "b": 0.13}},
        {
            "event": "purchase",
            "rates": {"control": 0.04, "b": 0.05},
            "values": {"control": 50.0, "b": 55.0},
        },
    ],
}
GOALS = [
    EventMetric("signup"),
    EventMetric("purchase"),
    EventMetric("purchase", "revenue", value="value"),
]


def test_seeded_and_shaped():
    a = generate_traffic([SPEC], units=2000, seed=3, covariate=True)
    b = generate_traffic([SPEC], units=2000, seed=3, covariate=True)
    pd.testing.assert_frame_equal(a.exposures, b.exposures)
    pd.testing.assert_frame_equal(a.conversions, b.conversions)
    assert list(a.exposures.columns) == [
        "unit_id",
        "experiment",
        "variant",
        "timestamp",
        "device",
        "source",
        "country",
    ]
    assert list(a.conversions.columns) == ["unit_id", "event", "timestamp", "value"]
    assert a.covariate["unit_id"].is_unique and len(a.covariate) == 2000
    assert set(a.exposures["source"]) == {"google", "facebook", "email", "direct"}
    c = generate_traffic([SPEC], units=2000, seed=4)
    assert not c.exposures["timestamp"].equals(a.exposures["timestamp"])
    assert c.covariate is None


def test_true_rates_are_recovered():
    s = summarize(*generate_traffic([SPEC], units=200_000, seed=1)[:2], goals=GOALS)
    f = s.frame.set_index(["variant", "metric"])
    rate = f["sum"] / f["n"]
    # binomial standard error at n = 100k is < 0.0011: allow 4 of them
    assert rate[("control", "signup")] == pytest.approx(0.10, abs=0.0045)
    assert rate[("b", "signup")] == pytest.approx(0.13, abs=0.0045)
    assert rate[("b", "purchase")] == pytest.approx(0.05, abs=0.003)
    # revenue per unit = rate * (1 + repeat 0.2) * mean value
    assert rate[("b", "revenue")] == pytest.approx(0.05 * 1.2 * 55.0, rel=0.08)
    share = s.exclusions.query("reason == 'multiple_variants'")["units"].sum() / 200_000
    assert share == pytest.approx(0.005, abs=0.001)
    assert s.exclusions.query("reason == 'before_exposure'")["units"].sum() > 0


def test_covariate_correlates_with_revenue():
    t = generate_traffic([SPEC], units=50_000, seed=2, covariate=True)
    s = summarize(t.exposures, t.conversions, goals=GOALS, covariate=t.covariate)
    r = s.frame[s.frame.metric == "revenue"].sum(numeric_only=True)
    n = r["n"]
    cov = r["sum_xy"] / n - (r["sum_x"] / n) * (r["sum"] / n)
    assert cov > 0


def overlapping(n: int, c_weight: float) -> list[dict]:
    """``n`` copies of SPEC (exp0, exp1, ...) with a third variant "c" of traffic weight
    ``c_weight`` (signup 8%, purchase 8% at 40 per order)."""
    goals = [
        {
            **g,
            "rates": {**g["rates"], "c": 0.08},
            **({"values": {**g["values"], "c": 40.0}} if "values" in g else {}),
        }
        for g in SPEC["goals"]
    ]
    variants = {"control": 1, "b": 1, "c": c_weight}
    return [{**SPEC, "id": f"exp{i}", "variants": variants, "goals": goals} for i in range(n)]


def test_matches_the_pandas_oracle_with_overlapping_experiments():
    specs = overlapping(4, c_weight=0.5)
    t = generate_traffic(
        specs, units=20_000, seed=5, experiments_per_unit=(1, 3), contamination=0.02
    )
    s = summarize(t.exposures, t.conversions, goals=GOALS)
    stats, excl = summarize_pandas(t.exposures, t.conversions, GOALS)
    keys = ["experiment", "variant", "metric"]
    ours = s.frame[[*keys, "n", "sum", "sum_sq"]].sort_values(keys, ignore_index=True)
    theirs = stats.sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9)
    ex_ours = s.exclusions.sort_values([*keys, "reason"], ignore_index=True)
    ex_theirs = excl.sort_values([*keys, "reason"], ignore_index=True)
    pd.testing.assert_frame_equal(ex_ours, ex_theirs, check_dtype=False)


def test_spec_errors_name_the_problem():
    with pytest.raises(ValueError, match="goal 'signup': no rate for variant"):
        generate_traffic(
            [
                {
                    "id": "x",
                    "variants": ["a", "b"],
                    "goals": [{"event": "signup", "rates": {"a": 0.1}}],
                }
            ],
            units=10,
        )
    with pytest.raises(ValueError, match="rates must lie in"):
        generate_traffic(
            [{"id": "x", "variants": ["a"], "goals": [{"event": "s", "rates": {"a": 1.5}}]}],
            units=10,
        )
    with pytest.raises(ValueError, match="experiments_per_unit"):
        generate_traffic([SPEC], units=10, experiments_per_unit=(1, 2))
    assert np.isnan(
        generate_traffic([SPEC], units=100, seed=0).conversions.query("event == 'signup'")["value"]
    ).all()


@pytest.mark.parametrize("daily", [False, True])
def test_packed_and_portable_assignment_agree(monkeypatch, daily):
    # DuckDB finds each unit's first exposure and variant through one packed min and a
    # bit_or (abtest.data.first_exposure.assign); the other engines take min, min, max and a
    # look-back at the multi-variant units. Both, on DuckDB, on overlapping experiments
    # with 3 variants, 2% contamination, segments, days and a covariate: equal.
    from abtest.data import query

    t = generate_traffic(
        overlapping(3, c_weight=1.0),
        units=6_000,
        seed=11,
        experiments_per_unit=(1, 3),
        contamination=0.02,
        covariate=True,
    )

    def run() -> tuple[pd.DataFrame, pd.DataFrame]:
        s = summarize(
            t.exposures, t.conversions, goals=GOALS, by="device", daily=daily, covariate=t.covariate
        )
        return s.frame, s.exclusions

    packed = run()
    monkeypatch.setattr(query, "MAX_PACKED_BITS", 0)
    portable = run()
    pd.testing.assert_frame_equal(packed[0], portable[0], rtol=1e-12)
    pd.testing.assert_frame_equal(packed[1], portable[1])
    assert packed[1].query("reason == 'multiple_variants'")["units"].sum() > 50


def test_assignment_from_the_registry_decides_who_enters_and_where():
    # the demo's path: the registry's assignment (namespace slice [0, 0.5), coverage 1)
    # replaces the weights' random draw; every first exposure is the unit's assigned
    # variant, units outside the slice are never exposed, and the true rates still hold
    from abtest.assignment import variant_index
    from abtest.registry import Experiment

    exp = Experiment(
        id="hero", name="H", hypothesis="h", owner="o", status="draft", page="/",
        variants=[{"id": "control", "name": "A", "weight": 0.5, "control": True},
                  {"id": "b", "name": "B", "weight": 0.5}],
        goals=[{"id": "signup", "event": "signup", "kind": "macro", "primary": True}],
        assignment={"namespace": {"name": "home", "range": [0, 0.5]}},
    )  # fmt: skip
    units = 100_000
    ex, conv, _ = generate_traffic(
        [SPEC], units=units, seed=2, assign={"hero": lambda ids: variant_index(ids, exp)}
    )
    expected = variant_index(np.arange(units), exp)  # the spec's order is the file's here
    first = ex.sort_values("timestamp").groupby("unit_id")["variant"].first()
    entered = np.flatnonzero(expected >= 0)
    assert set(first.index) == set(entered)  # exactly the units the assignment lets in
    assert 0.49 < len(entered) / units < 0.51
    names = np.array(["control", "b"])
    assert (first.loc[entered].to_numpy() == names[expected[entered]]).all()
    s = summarize(ex, conv, goals=[EventMetric("signup")])
    rate = s.frame.set_index("variant").eval("sum / n")
    # n = 25k per arm: binomial standard error < 0.0022; allow 4 of them
    assert rate["control"] == pytest.approx(0.10, abs=0.009)
    assert rate["b"] == pytest.approx(0.13, abs=0.009)


def test_funnel_steps_nest_and_keep_their_rates():
    # goal "customer" after "lead": every customer is a lead, converted after its lead,
    # and the rates stay per exposed unit (0.10 and 0.03 in a: 0.3 of the leads). Drawn
    # independently (the demo's lead-quality table) 0 of 121 SQLs had become customers
    lead = {"event": "lead", "rates": {"a": 0.10, "b": 0.12}}
    customer = {"event": "customer", "rates": {"a": 0.03, "b": 0.03}, "after": "lead"}
    spec = {"id": "f", "variants": {"a": 1, "b": 1}, "goals": [lead, customer]}
    ex, cv, _ = generate_traffic([spec], units=40_000, seed=7, days=7, late=0.0,
                                 pre_exposure=0.0, repeat_conversions=0.0)  # fmt: skip
    first = cv.sort_values("timestamp").groupby(["unit_id", "event"])["timestamp"].first()
    leads, customers = first.xs("lead", level="event"), first.xs("customer", level="event")
    assert customers.index.isin(leads.index).all()
    assert (customers >= leads.reindex(customers.index)).all()
    arm = ex.drop_duplicates("unit_id").set_index("unit_id")["variant"]
    n = arm.value_counts()
    for v, rate in (("a", 0.03), ("b", 0.03)):
        got = (arm.reindex(customers.index) == v).sum() / n[v]
        assert abs(got - rate) < 4 * np.sqrt(rate * (1 - rate) / n[v])  # binomial, 4 sd
    with pytest.raises(ValueError, match="comes after 'sale', which is not an earlier goal"):
        generate_traffic([{**spec, "goals": [{**customer, "after": "sale"}]}], units=10)


def test_a_funnel_step_above_its_earlier_step_is_refused():
    # its conditional rate would be capped at 1 in silence, the rates no longer per unit
    lead = {"event": "lead", "rates": {"a": 0.02}}
    customer = {"event": "customer", "rates": {"a": 0.03}, "after": "lead"}
    with pytest.raises(ValueError, match="converts more units in some variant"):
        generate_traffic([{"id": "f", "variants": {"a": 1}, "goals": [lead, customer]}], units=10)
