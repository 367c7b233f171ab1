"""Lead quality: step rates with delta-method intervals (descriptive) beside the
per-exposed comparison, and the "more leads, not more customers" note."""

from __future__ import annotations

import math

import pytest
from scipy import stats

import abtest


def funnel_summary(leads_b: int, customers_b: int):
    # 10,000 exposed units per arm; control: 500 leads, 100 customers (nested: every
    # customer was a lead)
    import pandas as pd

    lead = abtest.Summary.from_counts({"control": (500, 10_000), "b": (leads_b, 10_000)}, "lead")
    customer = abtest.Summary.from_counts(
        {"control": (100, 10_000), "b": (customers_b, 10_000)}, "customer"
    )
    return abtest.Summary(pd.concat([lead.frame, customer.frame], ignore_index=True))


def analyze(summary):
    return abtest.analyze(
        summary, metrics=["lead", "customer"], funnel=["visitor", "lead", "customer"]
    )


def test_step_rate_and_its_interval_by_hand():
    a = analyze(funnel_summary(650, 104))
    lq = a.lead_quality
    row = lq[(lq["step"] == "customer") & (lq["variant"] == "b")].iloc[0]
    # customers per lead: 104 / 650 = 0.16; control 100 / 500 = 0.2. Delta method for a
    # ratio of per-unit sums y/x with y, x binary and nested (xy = y), n = 10,000:
    # var(R) = (var(y) - 2 R cov(x, y) + R^2 var(x)) / (n mean(x)^2)
    n, x, y = 10_000, 650, 104
    r = y / x
    vy = (y - y * y / n) / (n - 1)
    vx = (x - x * x / n) / (n - 1)
    cxy = (y - x * y / n) / (n - 1)
    se = math.sqrt((vy - 2 * r * cxy + r * r * vx) / (n * (x / n) ** 2))
    z = stats.norm.ppf(0.975)
    assert row["step_rate"] == pytest.approx(0.16, abs=1e-12)
    assert row["step_low"] == pytest.approx(0.16 - z * se, rel=1e-9)
    assert row["step_high"] == pytest.approx(0.16 + z * se, rel=1e-9)
    assert row["lift"] == pytest.approx(0.16 / 0.2 - 1, rel=1e-9)  # -20% customers per lead
    # beside it, the causal view: customers per exposed unit +4% (104 vs 100 of 10,000)
    assert row["per_exposed_lift"] == pytest.approx(0.04, rel=1e-9)


def test_more_leads_not_more_customers_is_said():
    # leads +30% (650 vs 500: significant), customers per visitor +4% (not significant)
    a = analyze(funnel_summary(650, 104))
    assert a.winner == "b"
    assert "more leads, not more customers: b lifts lead +30.0% but customer per exposed " \
           "unit is not significantly up (+4.0%" in a.reason  # fmt: skip
    assert a.decision.checks["funnel"] == "more leads, not more customers"
    assert "Lead quality" in a.to_text() and a.to_dict()["lead_quality"][1]["step"] == "customer"


def test_no_note_when_customers_rise_too():
    # leads +30% and customers +60% (160 vs 100 of 10,000: significant)
    a = analyze(funnel_summary(650, 160))
    assert a.winner == "b" and "more leads" not in a.reason
    assert "funnel" not in a.decision.checks


def test_time_to_conversion_table_report_and_plot():
    # the registry goal option: time from first exposure counted in the engine, then
    # Kaplan-Meier medians and the log-rank test per goal (values checked against R in
    # tests/stats/test_survival.py; here: the wiring, and one number by definition)
    from abtest.data import generate_traffic
    from abtest.registry import Experiment
    from abtest.stats import kaplan_meier

    exp = Experiment(
        id="form", name="F", hypothesis="h", owner="o", status="running", page="/",
        start="2024-01-01",
        variants=[{"id": "long", "name": "L", "weight": 0.5, "control": True},
                  {"id": "short", "name": "S", "weight": 0.5}],
        goals=[{"id": "lead", "event": "lead", "kind": "macro", "primary": True,
                "time_to_conversion": True}],
    )  # fmt: skip
    spec = {"id": "form", "variants": {"long": 1, "short": 1},
            "goals": [{"event": "lead", "rates": {"long": 0.6, "short": 0.6},
                       "delay": {"short": 3.0}}]}  # fmt: skip
    ex, cv, _ = generate_traffic([spec], units=4000, seed=2, start="2024-01-01", days=10)
    a = exp.analyze((ex, cv), as_of="2024-01-20")
    t = a.time_to_conversion.set_index("variant")
    rows = a.summary.time_to[a.summary.time_to["variant"] == "short"]
    km = kaplan_meier(rows["time"], rows["event"], count=rows["count"])
    assert t.loc["short", "median_hours"] == km.median
    # the short form's conversions come later (delay 3): its median is longer and the
    # log-rank test finds the difference on 2,000 units per arm
    assert t.loc["short", "median_hours"] > t.loc["long", "median_hours"]
    assert t.loc["short", "logrank_p_value"] < 0.001
    assert "Time to conversion" in a.to_text() and "time" in __import__(
        "abtest.report.plots", fromlist=["available_plots"]
    ).available_plots(a)
    assert a.to_dict()["time_to_conversion"][0]["metric"] == "lead"


def test_time_plot_draws_every_curve_in_one_unit():
    # a's last conversion is at 10 hours, b's at 100: both curves are drawn in days
    # (each curve once chose its own unit, hours and days on the same axis)
    import pandas as pd

    from abtest.analysis.time_to import time_to_table
    from abtest.design import Design, MetricSpec

    rows = pd.DataFrame({
        "experiment": "x", "metric": "lead", "variant": ["a", "a", "b", "b"],
        "time": [10.0, 50.0, 100.0, 120.0], "event": [1, 0, 1, 0], "count": [5, 5, 5, 5],
    })  # fmt: skip
    design = Design(
        experiment="x", variants=("a", "b"), metrics=(MetricSpec("lead", primary=True),)
    )
    table = time_to_table(design, rows)
    from abtest.report.plot_survival import time_plot

    class A:  # the two attributes the plot reads
        time_to_conversion = table

    A.design = design
    ax = time_plot(A()).axes[0]
    assert ax.get_xlabel() == "days"
    # a's only event time, 10 hours, is at 10/24 of a day on the x axis
    xs = ax.get_lines()[0].get_xdata()
    assert xs[1] == pytest.approx(10 / 24)


def test_funnel_steps_that_count_no_units_are_left_out_and_said():
    # a step that is no goal vanished in silence, and a value goal's step showed its sum
    # of values as units ("revenue: 3,562 units, 2423% from the previous step"; a review
    # helper's case): both are left out of the Funnel table and named in the notes
    import pandas as pd

    s = funnel_summary(650, 104)
    value = pd.DataFrame({"experiment": "experiment", "variant": ["control", "b"],
                          "metric": "revenue", "kind": "value", "n": [10_000, 10_000],
                          "sum": [3562.0, 3900.0], "sum_sq": [90_000.0, 99_000.0]})  # fmt: skip
    s = abtest.Summary(pd.concat([s.frame, value], ignore_index=True))
    a = abtest.analyze(s, metrics=["lead", "customer", "revenue"],
                       funnel=["visitor", "lead", "custmer", "revenue"])  # fmt: skip
    assert a.funnel["step"].unique().tolist() == ["visitor", "lead"]
    assert dict(a.notes)["Funnel"] == (
        "steps left out: custmer (no such goal in the data), revenue (a value goal: the "
        "funnel counts units)"
    )
