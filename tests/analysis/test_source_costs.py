"""Cost per conversion by source (``spend.per_source``): each source's spend shared across
the variants by their units, cost per lead and per customer per (source, variant), and
the reports and JSON that carry it. Every number is derived by hand below."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import abtest
from abtest.report.weekly import weekly_report

# (source, variant) -> (units, leads, customers)
CELLS = {
    ("google", "a"): (600, 30, 3),
    ("google", "b"): (400, 10, 0),
    ("email", "a"): (500, 50, 5),
    ("email", "b"): (500, 40, 4),
    ("organic", "a"): (100, 5, 1),
    ("organic", "b"): (100, 6, 0),
}
SPEND = {"google": 1200.0, "email": 100.0}  # organic: no amount configured
Z = 1.959963984540054  # the 97.5% normal quantile


def summary(devices: bool = False) -> abtest.Summary:
    """The cells as a Summary segmented by source (and, with ``devices``, each cell split
    in two device rows, 1/4 and 3/4 of its units, which must change nothing)."""
    rows = []
    for (source, variant), (n, leads, customers) in CELLS.items():
        for metric, c in (("lead", leads), ("customer", customers)):
            row = {"experiment": "x", "variant": variant, "metric": metric, "kind": "binary",
                   "source": source, "n": n, "sum": float(c), "sum_sq": float(c)}  # fmt: skip
            if not devices:
                rows.append(row)
                continue
            q, qc = n // 4, c // 4
            rows.append(row | {"device": "mobile", "n": q, "sum": float(qc), "sum_sq": float(qc)})
            rest = float(c - qc)
            rows.append(row | {"device": "desktop", "n": n - q, "sum": rest, "sum_sq": rest})
    segments = ["source", "device"] if devices else ["source"]
    return abtest.Summary(pd.DataFrame(rows), segments=segments)


def analyze(s: abtest.Summary, spend: dict[str, float] = SPEND) -> abtest.Analysis:
    return abtest.analyze(
        s, metrics=["lead", "customer"], funnel=("visitor", "lead", "customer"),
        spend_per_source=spend, currency="USD",
    )  # fmt: skip


def wilson(c: int, n: int) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = c / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


@pytest.fixture(scope="module")
def a() -> abtest.Analysis:
    return analyze(summary())


def cell(a: abtest.Analysis, source: str, metric: str, variant: str) -> pd.Series:
    t = a.cost_by_source
    return t[(t["source"] == source) & (t["metric"] == metric) & (t["variant"] == variant)].iloc[0]


def test_spend_is_shared_by_units_and_costs_are_spend_over_conversions(a) -> None:
    # google: 1,200 over 600 + 400 units -> a 1,200 * 600/1,000 = 720, b 480
    # email: 100 over 500 + 500 units -> 50 each
    want = {
        # (source, metric, variant): (spend, conversions, cost)
        ("google", "lead", "a"): (720.0, 30, 24.0),  # 720 / 30
        ("google", "lead", "b"): (480.0, 10, 48.0),  # 480 / 10
        ("google", "customer", "a"): (720.0, 3, 240.0),  # CAC: 720 / 3
        ("email", "lead", "a"): (50.0, 50, 1.0),  # 50 / 50
        ("email", "lead", "b"): (50.0, 40, 1.25),  # 50 / 40
        ("email", "customer", "a"): (50.0, 5, 10.0),  # 50 / 5
        ("email", "customer", "b"): (50.0, 4, 12.5),  # 50 / 4
    }
    for (source, metric, variant), (spend, conversions, cost) in want.items():
        r = cell(a, source, metric, variant)
        assert r["spend"] == pytest.approx(spend, rel=1e-12), (source, variant)
        assert r["conversions"] == conversions
        assert r["cost"] == pytest.approx(cost, rel=1e-12), (source, metric, variant)
    # within a source the cost is (spend per unit of the source) / the variant's rate:
    # google costs 1.20 a visitor; b's 2.5% lead rate -> 1.20 / 0.025 = 48
    assert cell(a, "google", "lead", "b")["cost"] == pytest.approx(1.2 / 0.025, rel=1e-12)


def test_the_interval_is_the_wilson_interval_of_the_rate_carried_to_the_cost(a) -> None:
    # google, lead, a: 30 of 600; cost in [720 / (600 p_high), 720 / (600 p_low)]
    # p = 0.05, z² = 3.8415: centre (0.05 + 0.0032) / 1.0064 = 0.05286, half
    # 1.96 sqrt(7.917e-5 + 2.668e-6) / 1.0064 = 0.01762 -> (0.03524, 0.07048)
    low, high = wilson(30, 600)
    r = cell(a, "google", "lead", "a")
    assert r["cost_low"] == pytest.approx(720 / (600 * high), rel=1e-9)
    assert r["cost_high"] == pytest.approx(720 / (600 * low), rel=1e-9)
    assert r["cost_low"] == pytest.approx(17.03, abs=0.005)  # 720 / (600 x 0.07048)
    assert r["cost_high"] == pytest.approx(34.05, abs=0.005)  # 720 / (600 x 0.03524)


def test_no_conversions_gives_no_cost_and_no_source_spend_gives_none(a) -> None:
    r = cell(a, "google", "customer", "b")  # 0 customers on 480 of spend
    assert r["conversions"] == 0 and r["spend"] == pytest.approx(480.0)
    assert np.isnan(r["cost"]) and np.isnan(r["cost_low"]) and np.isnan(r["cost_high"])
    organic = cell(a, "organic", "lead", "a")
    assert organic["units"] == 100 and np.isnan(organic["spend"]) and np.isnan(organic["cost"])
    assert "no spend for source organic" in dict(a.notes)["Spend"]
    # configured sources first in their order, then the others
    assert list(dict.fromkeys(a.cost_by_source["source"])) == ["google", "email", "organic"]


def test_the_costs_per_variant_use_the_shared_spend(a) -> None:
    # a: 720 + 50 = 770 on the 30 + 50 = 80 leads of the paid sources -> 9.625;
    # b: 480 + 50 = 530 on 10 + 40 = 50. Organic has no amount: its 5 and 6 leads were not
    # bought with that spend and are left out (counted, a's lead would cost 770/85 = 9.06)
    costs = a.costs.set_index(["metric", "variant"])
    assert costs.loc[("lead", "a"), "spend"] == pytest.approx(770.0, rel=1e-12)
    assert costs.loc[("lead", "a"), "conversions"] == 80
    assert costs.loc[("lead", "a"), "value"] == pytest.approx(770 / 80, rel=1e-12)
    assert costs.loc[("lead", "b"), "value"] == pytest.approx(530 / 50, rel=1e-12)
    # the interval is the Wilson interval of 80 leads in a's 600 + 500 paid units
    low, high = wilson(80, 1100)
    assert costs.loc[("lead", "a"), "low"] == pytest.approx(770 / (1100 * high), rel=1e-9)
    assert costs.loc[("lead", "a"), "high"] == pytest.approx(770 / (1100 * low), rel=1e-9)
    assert "a $770.00, b $530.00" in dict(a.notes)["Spend"]
    assert "its conversions are left out of the Costs table" in dict(a.notes)["Spend"]


def test_with_every_source_paid_the_costs_table_counts_every_conversion() -> None:
    # organic written as free (0): a 770 on 30 + 50 + 5 = 85 leads, b 530 on 56
    costs = analyze(summary(), SPEND | {"organic": 0.0}).costs.set_index(["metric", "variant"])
    assert costs.loc[("lead", "a"), "value"] == pytest.approx(770 / 85, rel=1e-12)
    assert costs.loc[("lead", "b"), "value"] == pytest.approx(530 / 56, rel=1e-12)


def test_other_segment_columns_are_summed_over() -> None:
    split = analyze(summary(devices=True)).cost_by_source
    pd.testing.assert_frame_equal(split, analyze(summary()).cost_by_source)


def test_an_amount_for_a_source_not_in_the_data_is_said() -> None:
    a = analyze(summary(), {**SPEND, "gogle": 50.0})
    note = dict(a.notes)["Spend"]
    assert "spend.per_source names 'gogle', which is not a source in the data" in note
    assert "did you mean 'google'?" in note
    assert set(a.cost_by_source["source"]) == {"google", "email", "organic"}


def test_without_the_source_in_the_summary_the_note_says_what_to_add() -> None:
    s = summary()
    totals = abtest.Summary(s.frame.drop(columns="source").groupby(
        ["experiment", "variant", "metric", "kind"], as_index=False).sum())  # fmt: skip
    a = analyze(totals)
    assert a.cost_by_source is None and a.costs is None
    assert "add data.segments: [source]" in dict(a.notes)["Spend"]


def test_spend_per_variant_and_per_source_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        abtest.analyze(summary(), spend={"a": 1.0, "b": 1.0}, spend_per_source=SPEND)


def test_the_reports_show_the_table(a) -> None:
    text = a.to_text()
    assert "Cost by source (USD)" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("google") and " b " in x)
    # units, spend, leads, CPL, customers, CAC: 0 customers says so (no ∞, no NaN)
    assert "400" in line and "$480.00" in line and "$48.00" in line
    assert line.rstrip().endswith("no conversions")
    section = text[text.index("Cost by source") :]
    assert "∞" not in section and "nan" not in section.lower()
    organic = next(x for x in text.splitlines() if x.strip().startswith("organic"))
    assert "not configured" in organic
    md = a.to_markdown()
    assert "## Cost by source (USD)" in md
    assert "| google | a | 600 | $720.00 | 30 | $24.00 [$17.03, $34.05] | 3 | $240.00" in md
    assert 'class="cost-by-source"' in a.to_html(plots=False)
    weekly = weekly_report([({"id": "x"}, a)], week="2026-W47", fmt="markdown", plots=False)
    assert "Cost by source (USD)" in weekly and "$24.00 [$17.03, $34.05]" in weekly


def test_to_dict_carries_the_table(a) -> None:
    d = a.to_dict()
    rows = d["cost_by_source"]
    assert len(rows) == 2 * 3 * 2  # goals x sources x variants
    r = next(x for x in rows if (x["source"], x["metric"], x["variant"]) == ("google", "lead", "a"))
    assert r["spend"] == pytest.approx(720.0) and r["cost"] == pytest.approx(24.0)
    nothing = next(
        x for x in rows if (x["source"], x["metric"], x["variant"]) == ("google", "customer", "b")
    )
    assert nothing["cost"] is None and nothing["conversions"] == 0
    json.dumps(d, allow_nan=False)


def test_a_variant_without_spend_has_no_cost_rather_than_no_analysis():
    # abtest validate warns "no spend for b: cost per lead and CAC are computed only for
    # variants with spend"; the analysis does just that: a's 100.0 over its 20 leads is
    # 5.00 per lead, b has no row (it used to raise and stop the whole analysis)
    s = abtest.Summary.from_counts({"a": (20, 1000), "b": (25, 1000)}, metric="lead")
    a = abtest.analyze(s, spend={"a": 100.0})
    costs = a.costs
    assert costs["variant"].tolist() == ["a"]
    assert costs["value"].iloc[0] == pytest.approx(100.0 / 20, rel=1e-12)
    # and says so (b's rows vanished with no word); a misspelt variant is refused
    assert dict(a.notes)["Spend"] == "no spend given for b: no costs shown for it"
    with pytest.raises(ValueError, match="spend names 'B', not a variant"):
        abtest.analyze(s, spend={"a": 100.0, "B": 50.0})


def test_an_roi_interval_stops_at_no_revenue():
    # 2 sales of 1,000 among 5,000 units on a spend of 3,000: the t interval of revenue
    # per unit (scipy below) reaches below 0, an ROI below -100% (-125.7%, a revenue of
    # -772, a review helper's case); revenue is not negative, so the end is -100%
    from scipy import stats

    n, total, sq = 5000, 2000.0, 2 * 1000.0**2
    frame = pd.DataFrame({"experiment": "e", "variant": ["a", "b"], "metric": "revenue",
                          "kind": "value", "n": [n, n], "sum": [total, total],
                          "sum_sq": [sq, sq]})  # fmt: skip
    a = abtest.analyze(abtest.Summary(frame), spend={"a": 3000.0, "b": 3000.0})
    roi = a.costs[a.costs["measure"] == "ROI"].set_index("variant")
    mean, sd = total / n, np.sqrt((sq - total**2 / n) / (n - 1))
    low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=sd / np.sqrt(n))
    assert low < 0  # the t interval itself
    assert roi.loc["b", "low"] == -1.0
    assert roi.loc["b", "high"] == pytest.approx((n * high - 3000) / 3000, rel=1e-9)


def test_a_variant_that_cost_nothing_has_no_roi():
    # revenue per variant over spend: a spent 100.0, b nothing (a return on no spend is
    # undefined, so b has no ROI row); a's ROI = (sum of revenue - 100) / 100
    frame = pd.DataFrame({"experiment": "e", "variant": ["a", "b"], "metric": "revenue",
                          "kind": "value", "n": [100, 100], "sum": [250.0, 300.0],
                          "sum_sq": [2500.0, 3000.0]})  # fmt: skip
    a = abtest.analyze(abtest.Summary(frame), spend={"a": 100.0, "b": 0.0})
    roi = a.costs[a.costs["measure"] == "ROI"]
    assert roi["variant"].tolist() == ["a"]
    assert roi["value"].iloc[0] == pytest.approx((250.0 - 100.0) / 100.0, rel=1e-12)


def test_roi_counts_the_revenue_of_the_paid_sources_only():
    # google (1,000 spent) sends a 400 and b 600 units; organic has no amount. a's share
    # of the spend is 1,000 x 400/1,000 = 400 and its google revenue 600: ROI (600 - 400)
    # / 400 = 0.5; b's 600 against 900: 0.5 too. Organic's revenue (5,000 and 7,000) was
    # not bought with that spend: counted, a's ROI would be (5,600 - 400) / 400 = 13.
    # Organic's unit row also carries the "(missing)" label summarize gives empty sources.
    rows = [
        ("google", "a", 400, 600.0), ("google", "b", 600, 900.0),
        ("(missing)", "a", 500, 5000.0), ("(missing)", "b", 500, 7000.0),
    ]  # fmt: skip
    frame = pd.DataFrame(
        [{"experiment": "e", "variant": v, "metric": "revenue", "kind": "value", "source": s,
          "n": n, "sum": x, "sum_sq": x * x / 10} for s, v, n, x in rows]
    )  # fmt: skip
    a = abtest.analyze(abtest.Summary(frame, segments=["source"]), metrics=["revenue"],
                       spend_per_source={"google": 1000.0}, currency="USD")  # fmt: skip
    roi = a.costs[a.costs["measure"] == "ROI"].set_index("variant")
    assert roi.loc["a", "spend"] == pytest.approx(400.0, rel=1e-12)
    assert roi.loc["a", "revenue"] == pytest.approx(600.0, rel=1e-12)
    assert roi.loc["a", "value"] == pytest.approx(0.5, rel=1e-12)
    assert roi.loc["b", "value"] == pytest.approx((900.0 - 600.0) / 600.0, rel=1e-12)
    assert "no spend for source (missing)" in dict(a.notes)["Spend"]
