"""Which columns are goals, which goal decides, and harms never left out (#14 item 1,
#19 item 1). Frames shaped like the public datasets (generated here with a seed, so the
suite needs no download): AdSmart, Udacity's ab_data, Cookie Cats."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import pytest

import abtest
from abtest.report.weekly import weekly_report


def adsmart(n=4000, seed=1):
    """auction_id (uuid text), experiment, hour (0-23), platform_os, yes / no (0/1)."""
    rng = np.random.default_rng(seed)
    exposed = rng.random(n) < 0.5
    yes = (rng.random(n) < np.where(exposed, 0.08, 0.065)).astype(int)
    return pd.DataFrame(
        {
            "auction_id": [str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, n)],
            "experiment": np.where(exposed, "exposed", "control"),
            # the trap of issue #14: hour differs a lot between the arms
            "hour": np.where(exposed, rng.integers(0, 12, n), rng.integers(6, 24, n)),
            "platform_os": rng.choice([5, 6, 7], n),
            "yes": yes,
            "no": ((1 - yes) * (rng.random(n) < 0.1)).astype(int),
        }
    )


def cookie_cats(n=20_000, seed=3):
    """userid, version, sum_gamerounds, retention_1 (no effect), retention_7 (gate_40
    4.3% worse, as in the published data: 19.0% vs 18.2%)."""
    rng = np.random.default_rng(seed)
    gate40 = rng.random(n) < 0.5
    return pd.DataFrame(
        {
            "userid": rng.permutation(10 * n)[:n],
            "version": np.where(gate40, "gate_40", "gate_30"),
            "sum_gamerounds": rng.poisson(50, n),
            "retention_1": rng.random(n) < 0.445,
            "retention_7": rng.random(n) < np.where(gate40, 0.182 * 0.92, 0.19),
        }
    )


def test_identifiers_and_undeclared_numbers_are_never_goals():
    a = abtest.analyze(adsmart(), variant="experiment")
    assert a.primary == "yes" and set(a.results["metric"]) == {"yes", "no"}
    goals = dict(a.notes)["Goals"]
    assert goals.startswith("yes (primary), no; not analysed: auction_id (identifier), hour (")
    assert "platform_os" in goals
    # said in every output
    for text in (a.to_text(), a.to_markdown(), a.to_html(plots=False)):
        assert "yes (primary), no" in text
    assert a.to_dict()["notes"]["Goals"] == goals


def test_an_id_column_is_not_a_goal_and_yes_no_text_is_a_conversion():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "user_id": rng.permutation(5000),
            "group": rng.choice(["control", "treatment"], 5000),
            "converted": rng.choice(["yes", "no"], 5000, p=[0.12, 0.88]),
        }
    )
    a = abtest.analyze(df, variant="group")
    assert a.primary == "converted"
    assert a.results["mean"].between(0.1, 0.14).all()
    assert "user_id (identifier)" in dict(a.notes)["Goals"]


def test_no_conversion_column_is_an_error_that_shows_the_call():
    # revenue per unit: continuous, so every value distinct, and still a measurement
    df = pd.DataFrame({"variant": ["a", "b"] * 50, "revenue": np.arange(100.0) + 0.5})
    with pytest.raises(
        ValueError,
        match=r"numeric column\(s\) revenue can be value goals: pass "
        r"metrics=\['revenue'\]",
    ):
        abtest.analyze(df)


def test_a_summary_with_several_undeclared_goals_asks_which_decides():
    rows = [
        {"variant": v, "metric": m, "kind": "binary", "n": 1000, "sum": s, "sum_sq": s}
        for v, m, s in [
            ("control", "a", 100),
            ("b", "a", 120),
            ("control", "z", 50),
            ("b", "z", 40),
        ]
    ]
    s = abtest.Summary(pd.DataFrame(rows).assign(experiment="e"))
    with pytest.raises(
        ValueError,
        match=r"none is declared primary; say which decides: "
        r"analyze\(\.\.\., primary='a'\)",
    ):
        abtest.analyze(s)
    a = abtest.analyze(s, primary="z")
    assert a.primary == "z" and dict(a.notes)["Goals"] == "z (primary), a"


def test_a_significant_harm_on_a_secondary_goal_is_named_everywhere():
    # Cookie Cats: no difference on retention_1 (the primary), retention_7 significantly
    # worse for gate_40 (published: -4.3%, p = 0.0016)
    a = abtest.analyze(
        cookie_cats()[["version", "retention_1", "retention_7"]],
        variant="version",
        control="gate_30",
    )
    row = a.table().set_index("metric").loc["retention_7"].iloc[1]
    assert row["significant"] and row["lift"] < 0
    assert a.winner is None
    assert a.reason.startswith("no winner: no significant difference on retention_1")
    assert "; gate_40 is significantly worse on retention_7: -" in a.reason
    assert [(h.variant, h.metric) for h in a.decision.harms] == [("gate_40", "retention_7")]
    assert a.to_dict()["harms"] == [{"metric": "retention_7", "variant": "gate_40"}]
    for text in (a.to_text(), a.to_markdown(), a.to_html(plots=False)):
        assert "significantly worse on retention_7" in text.replace("\\_", "_")
    weekly = weekly_report([({"id": "cookie-cats"}, a)], week="2026-W47", fmt="markdown")
    overview = weekly.split("\n## ")[0].replace("\\_", "_")
    assert "worse: gate_40 on retention_7" in overview


def test_a_winner_with_a_harm_elsewhere_keeps_the_harm_in_its_reason():
    df = cookie_cats(seed=5)
    df["signup"] = np.random.default_rng(9).random(len(df)) < np.where(
        df["version"] == "gate_40", 0.13, 0.10
    )
    a = abtest.analyze(df, variant="version", metrics=["signup", "retention_7"], control="gate_30")
    assert a.winner == "gate_40"
    assert "gate_40 beats gate_30 on signup" in a.reason
    assert "; gate_40 is significantly worse on retention_7" in a.reason


def test_a_summary_of_declared_goals_is_decided_by_the_first():
    # summarize(goals=...) declares the order; without goals the events come back in
    # alphabetical order, and analyze asks which one decides
    ex = pd.DataFrame(
        {
            "unit_id": range(400),
            "experiment": "e",
            "variant": ["control", "b"] * 200,
            "timestamp": "2026-11-01 10:00",
        }
    )
    cv = pd.DataFrame(
        {
            "unit_id": list(range(0, 400, 5)) * 2,
            "event": ["signup"] * 80 + ["click"] * 80,
            "timestamp": "2026-11-01 11:00",
        }
    )
    declared = abtest.summarize(ex, cv, goals=["signup", "click"])
    assert declared.goals == ("signup", "click")
    assert abtest.analyze(declared).primary == "signup"
    undeclared = abtest.summarize(ex, cv)
    assert undeclared.goals is None and undeclared.metrics() == ["click", "signup"]
    with pytest.raises(ValueError, match="none is declared primary"):
        abtest.analyze(undeclared)
