"""Text and Markdown presenters: decision first, tables per goal kind, checks."""

from __future__ import annotations

import json
import re

import pytest

import abtest
from abtest.report.markdown import render_markdown
from abtest.report.text import render_text


def test_text_puts_decision_and_reason_before_the_tables(udacity):
    text = render_text(udacity)
    decision = text.index("Decision: No winner")
    assert decision < text.index("Macro-conversions") < text.index("Checks")
    assert "no significant difference on conversion" in text
    assert "p = 0.1899" in text  # R prop.test: 0.18988
    # the lift's Fieller interval, which excludes 0 exactly when the p-value is below
    # 0.05 (tests/stats/test_wald.py); the delta method's would be [-3.3%, +0.6%]
    assert "-1.3%  [-3.2%, +0.7%]" in text
    assert re.search(r"SRM\s+\[ok\]", text)


def test_text_groups_goals_by_kind_micro_macro_value(multi):
    text = render_text(multi)
    micro, macro, value = (text.index(t) for t in ("Micro-", "Macro-", "Value goals"))
    assert micro < macro < value
    assert text.index("click —") > micro and text.index("revenue —") > value
    assert "signup — primary goal" in text
    assert "bounce — guardrail: lower is better" in text
    assert "Decision: Winner: c" in text


def test_text_shows_guardrails_funnel_and_costs(multi):
    text = render_text(multi)
    assert re.search(r"Guardrail\s+\[ok\] c: bounce holds", text)
    assert "Funnel" in text and "Costs (USD)" in text
    assert "cost per signup" in text and "ROI" in text
    assert "cost per bounce" not in text  # a guardrail that should fall has no "cost per"


def test_text_shows_plan_progress():
    import abtest

    a = abtest.analyze(
        abtest.Summary.from_counts({"control": (50, 1000), "b": (60, 1000)}),
        baseline=0.05,
        mde=0.2,
        expected_daily_units=500,
    )
    text = render_text(a)
    assert "Decision: No winner" in text and "no winner yet" in text
    assert re.search(r"Sample\s+\[!\] \d+% of the planned sample", text)
    assert "more days at expected traffic" in text


def test_text_sequential_mentions_looks(group_sequential):
    text = render_text(group_sequential)
    assert "group sequential (14 looks, O'Brien-Fleming spending)" in text
    assert "14 looks (2026-11-09 to 2026-11-22); b significant since day" in text


def test_text_bayesian_columns(bayesian_like):
    text = render_text(bayesian_like)
    assert "P(beat control)" in text and "P(best)" in text and "expected loss" in text
    assert "CrI" in text and "always-valid" not in text


def test_markdown_tables_have_one_row_per_variant(multi):
    md = render_markdown(multi)
    tables = re.findall(r"^(\| variant \|.*?)(?:\n\n|\Z)", md, flags=re.S | re.M)
    assert len(tables) == 4  # one per goal
    for t in tables:
        lines = t.strip().splitlines()
        assert lines[1].startswith("| :---")  # GFM alignment row
        rows = lines[2:]
        assert [r.split("|")[1].strip() for r in rows] == ["control", "c", "b"]
        assert all(r.count("|") == lines[0].count("|") for r in rows)


def test_markdown_udacity_row(udacity):
    md = render_markdown(udacity)
    assert "| new | 145,310 | 17,264 | 11.88% | -1.3% | [-3.2%, +0.7%] | 0.1899 |  |" in md
    assert "**Decision: No winner**" in md
    assert md.startswith("## experiment\n")


def test_markdown_escapes_user_text(hostile):
    md = render_markdown(hostile)
    assert "<script" not in md and "<img" not in md and "</" not in md
    assert "&lt;script>" in md  # the tag cannot open; ">" alone is harmless text
    # a pipe in a variant name must not split the table row
    assert "evil \\| name" in md


def test_markdown_keeps_a_less_than_sign_that_opens_no_tag():
    import abtest

    a = abtest.analyze(abtest.Summary.from_counts({"control": (1000, 10000), "b": (1400, 11000)}))
    md = render_markdown(a)  # an SRM alarm: "... p = 1.1e-12 < 0.001) ..."
    assert "< 0.001" in md and "&lt;" not in md


def test_markdown_links_images_when_given(udacity):
    md = render_markdown(udacity, images={"Lift": "report_files/x-lift.png"})
    assert "![Lift](report_files/x-lift.png)" in md


def test_json_is_ready(udacity, multi):
    for a in (udacity, multi):
        d = json.loads(json.dumps(a.to_dict(), allow_nan=False))
        assert {"experiment", "method", "winner", "reason", "checks", "srm", "results"} <= set(d)
        assert len(d["results"]) == len(a.design.variants) * len(a.design.metrics)
        assert set(d["results"][0]) >= {"metric", "variant", "n", "lift", "lift_low", "p_value"}
    d = udacity.to_dict()
    assert d["winner"] is None and d["srm"]["mismatch"] is False
    assert round(d["results"][1]["p_value"], 5) == 0.18988  # R prop.test, correct = FALSE
    assert d["results"][0]["p_value"] is None  # control: NaN -> null


def test_json_of_daily_sequential_analysis(sequential_daily):
    d = json.loads(json.dumps(sequential_daily.to_dict(), allow_nan=False))
    assert d["looks"][0]["day"] == "2026-11-09"


def test_cli_json_handles_daily_looks(sequential_daily):
    from abtest.cli.analyze import render

    d = json.loads(render(sequential_daily, "json"))
    assert d["looks"][0]["day"] == "2026-11-09"
    assert len(d["looks"]) == 14


def test_markdown_says_when_lift_and_interval_are_cuped_adjusted():
    # a value goal with covariate sums: the goal's note names CUPED and the variance cut
    # (the table's variance_reduction, 1 - V_adjusted / V_plain), and that the means
    # column is the plain mean; without the covariate no such note
    import pandas as pd

    import abtest

    rows = [
        ("control", 1000, 10040.0, 109000.0, 10000.0, 109000.0, 104000.0),
        ("b", 1000, 10600.0, 121000.0, 10010.0, 109100.0, 110000.0),
    ]
    cols = ["variant", "n", "sum", "sum_sq", "sum_x", "sum_x_sq", "sum_xy"]
    frame = pd.DataFrame(rows, columns=cols).assign(experiment="e", metric="revenue", kind="value")
    a = abtest.analyze(abtest.Summary(frame))
    cut = a.table().set_index("variant").loc["b", "variance_reduction"]
    assert 0.1 < cut < 0.3  # 19% with these sums
    md = render_markdown(a)
    note = "CUPED: lift and interval adjusted by the pre-period covariate"
    assert f"{note} (variance reduction {cut:.0%}" in md
    assert "means shown unadjusted" in md
    plain = abtest.analyze(abtest.Summary(frame.drop(columns=["sum_x", "sum_x_sq", "sum_xy"])))
    assert "CUPED" not in render_markdown(plain)


def test_the_method_line_names_the_correction_once():
    # CORRECTION_LABELS["none"] is "no correction": the line read "no correction correction"
    s = abtest.Summary.from_counts({"control": (100, 1000), "b": (130, 1000), "c": (100, 1000)})
    lines = {c: abtest.analyze(s, correction=c).to_text().splitlines() for c in ("none", "holm")}
    method = {c: next(x for x in t if x.startswith("Method")) for c, t in lines.items()}
    assert method["none"].endswith("α = 0.05, no correction")
    assert method["holm"].endswith("α = 0.05, Holm correction")


def test_a_bayesian_conversion_table_says_its_lift_is_of_the_posterior_rates():
    # 10/200 against 22/200: observed 5.00% -> 11.00% (+120%); the Beta(1, 1) posterior
    # means are 11/202 and 23/202, whose lift is 23/11 - 1 = +109.1%, the one shown
    a = abtest.analyze(abtest.Summary.from_counts({"control": (10, 200), "b": (22, 200)}),
                       method="bayesian")  # fmt: skip
    assert a.results.iloc[1]["lift"] == pytest.approx(23 / 11 - 1, rel=1e-12)
    text = a.to_text()
    assert "lift and its interval of the posterior rates (prior Beta(1, 1))" in text
    assert "11.00%  +109.1%" in text


def test_levels_and_thresholds_print_every_digit_they_have():
    # a threshold of 0.975 printed "98%" (".0%"): "decide at P(best) ≥ 98%", the
    # business table's 97.5% interval "98% interval", and the reason "P(best) = 97.6%
    # >= 98%", false of its own numbers
    s = abtest.Summary.from_counts({"control": (100, 1000), "b": (130, 1000)})
    text = abtest.analyze(s, method="bayesian", prob_best_threshold=0.975).to_text()
    assert "decide at P(best) ≥ 97.5%" in text
    text = abtest.analyze(s, alpha=0.025, spend={"control": 500.0, "b": 500.0}).to_text()
    assert "97.5% interval" in text and "98% interval" not in text
