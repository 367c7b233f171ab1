"""What the data left out, and what the analysis pooled, is said in every output
(#14 items 5 and 10)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

import abtest
from abtest.report.weekly import weekly_report


def with_exclusions(multi: int, before: int) -> abtest.Summary:
    s = abtest.Summary.from_counts({"control": (1000, 40000), "b": (1150, 40000)})
    ex = pd.DataFrame(
        {
            "experiment": "experiment",
            "variant": ["control", "b", "control", "b"],
            "metric": ["", "", "conversion", "conversion"],
            "reason": ["multiple_variants"] * 2 + ["before_exposure"] * 2,
            "units": [multi, multi + 1, before, before + 4],
        }
    )
    return abtest.Summary(s.frame, exclusions=ex)


def test_exclusions_are_counted_per_variant_in_every_output():
    # homepage-headline in the demo: 841 multi-variant units (1.0% of 80,841) and 6,804
    # units with goal events before their exposure
    a = abtest.analyze(with_exclusions(420, 3400))
    assert a.exclusions["units"].sum() == 420 + 421 + 3400 + 3404
    text = a.to_text()
    line = next(x for x in text.splitlines() if "Exclusions" in x)
    assert "[!]" in line  # above 1% of units: a check badge
    for out in (text, a.to_markdown(), a.to_html(plots=False)):
        flat = " ".join(out.split())
        assert "841 units seen in several variants (control 420, b 421)" in flat
        assert "6,804 units with goal events before their first exposure" in flat
    d = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    assert {(r["variant"], r["reason"], r["units"]) for r in d["exclusions"]} >= {
        ("control", "multiple_variants", 420),
        ("b", "multiple_variants", 421),
    }
    weekly = weekly_report([({"id": "x"}, a)], week="2026-W47", fmt="markdown")
    assert "841 units seen in several variants" in weekly


def test_few_exclusions_are_information_not_a_warning():
    a = abtest.analyze(with_exclusions(40, 0))  # 81 of 80,081 units: 0.1%
    line = next(x for x in a.to_text().splitlines() if "Exclusions" in x)
    assert "[·] 0.1% of units excluded: 81 units seen in several variants" in line


def test_pooled_segments_are_said():
    rows = [
        {"experiment": "e", "variant": v, "metric": "signup", "kind": "binary", "device": d,
         "n": 1000, "sum": s, "sum_sq": s}
        for v, d, s in [("control", "mobile", 90), ("b", "mobile", 120),
                        ("control", "desktop", 110), ("b", "desktop", 115)]
    ]  # fmt: skip
    a = abtest.analyze(abtest.Summary(pd.DataFrame(rows), segments=["device"]))
    assert a.results.loc[1, "n"] == 2000  # pooled
    said = dict(a.notes)["Segments"]
    # the pooled overall result, then what the per-segment analysis says (#17 item 3)
    assert said.startswith("the overall results pool the device segments; by device: ")
    assert "Segments" in a.to_text() and "pool the device segments" in a.to_markdown()
    assert set(a.segments["value"]) == {"mobile", "desktop"}


def test_guardrails_are_checked_for_every_treatment_even_under_an_srm_alarm():
    # once "Guardrails: checked once a variant wins" beside a variant that had won but
    # was blocked by the SRM check
    from abtest.analysis import GuardrailSpec

    rows = [
        {"experiment": "e", "variant": v, "metric": m, "kind": "binary", "n": n, "sum": s,
         "sum_sq": s}
        for v, n, m, s in [("control", 10000, "signup", 1000), ("b", 11000, "signup", 1400),
                           ("control", 10000, "bounce", 4000), ("b", 11000, "bounce", 5600)]
    ]  # fmt: skip
    a = abtest.analyze(
        pd.DataFrame(rows),
        metrics=["signup", "bounce"],
        guardrails=(GuardrailSpec("bounce", direction="decrease", margin=0.02),),
    )
    assert a.srm.mismatch and a.winner is None
    text = a.to_text()
    assert "checked once a variant wins" not in text
    assert [(g.variant, g.status) for g in a.decision.guardrails] == [("b", "broken")]
    assert re.search(r"Guardrail\s+\[ALARM\] b: bounce broken", text)
    assert "p < 0.0001" in text and "p = <" not in text


def test_the_srm_split_and_the_excluded_share_count_units_under_a_quantile_goal():
    # a quantile goal among converters: its rows' n are the converters (about 3% of the
    # units), which the SRM line showed as the split (35.9% / 39.2% / 24.9% beside an
    # SRM p of 0.91) and the excluded share divided by (13.1% for 0.4%). Both now count
    # the units the SRM test counts: the signup row's n, every kept unit of its variant
    from abtest.data import generate_traffic

    spec = {"id": "hero", "variants": {"control": 1, "b": 1, "c": 1},
            "goals": [{"event": "signup", "rates": {"control": 0.1, "b": 0.1, "c": 0.1}},
                      {"event": "purchase", "rates": {"control": 0.03, "b": 0.03, "c": 0.03},
                       "values": {"control": 50.0, "b": 50.0, "c": 50.0}}]}  # fmt: skip
    exposures, conversions, _ = generate_traffic([spec], units=20_000, seed=3)
    goals = [{"event": "purchase", "metric": "median", "value": "value",
              "statistic": {"quantile": 0.5}}, {"event": "signup"}]  # fmt: skip
    s = abtest.summarize(exposures, conversions, goals=goals)
    a = abtest.analyze(s, metrics=["median", "signup"])
    units = s.frame[s.frame["metric"] == "signup"].set_index("variant")["n"]
    units = units[["control", "b", "c"]].to_numpy(dtype=float)
    split = " / ".join(f"{u / units.sum():.1%}" for u in units)
    text = a.to_text()
    assert f"split {split} vs configured" in text
    multi = s.exclusions.query("reason == 'multiple_variants'")["units"].sum()
    assert 50 < multi < 200  # about 0.5% of 20,000 (generate_traffic)
    assert f"{multi / (units.sum() + multi):.1%} of units excluded" in text


def test_a_row_read_at_an_earlier_look_gives_the_controls_rate_at_that_look():
    # sequential, three arms: b crosses its boundary on 2024-01-05 and is read there
    # (6.63%, +41.1%), c and the control row at the latest look (control 10.04%). "b
    # 6.63% ... +41.1% better" under "control 10.04%" read as a drop; the look cell now
    # says what b's lift is of: the control's rate that day (analysis.looks)
    import warnings

    from abtest.data import generate_traffic

    rates = {"control": 0.10, "b": 0.14, "c": 0.10}
    spec = {"id": "hero", "variants": {"control": 1, "b": 1, "c": 1},
            "goals": [{"event": "signup", "rates": rates}]}  # fmt: skip
    exposures, conversions, _ = generate_traffic([spec], units=30_000, seed=5)
    s = abtest.summarize(exposures, conversions, goals=["signup"], daily=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = abtest.analyze(s, method="sequential")
    b = a.results.set_index("variant").loc["b"]
    day = pd.Timestamp(b["look_day"])
    assert day < pd.Timestamp(a.looks["day"].max())  # read at an earlier look
    looks = a.looks[(a.looks["variant"] == "b") & (pd.to_datetime(a.looks["day"]) == day)]
    then = float(looks["mean_control"].iloc[0])
    assert then == pytest.approx(float(b["mean"]) / (1 + float(b["lift"])), rel=1e-9)
    text = a.to_text()
    assert f"{day.date().isoformat()} (control {then:.2%})" in text
    c_row = next(line for line in text.splitlines() if line.strip().startswith("c "))
    assert "(control" not in c_row  # read at the latest look, as the control row is
