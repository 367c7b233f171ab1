"""Each verdict carries a code a program can branch on, and its reason prints numbers
with the same formatters as the tables (abtest.formatting).

The counts are chosen so each path is unambiguous: the unpooled z-test p-values
quoted are those of abtest.stats.wald_test (checked against statsmodels in
tests/stats/test_wald.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import abtest
from abtest import formatting as fmt
from abtest.analysis import GuardrailSpec
from abtest.analysis.decision_model import DECISION_CODES, Decision
from abtest.report.text import render_text


def counts(**arms):
    return abtest.Summary.from_counts(arms)


@pytest.mark.parametrize(
    ("arms", "kwargs", "code", "winner"),
    [
        # 10% -> 12% on 10,000 each: p = 6.1e-06
        ({"control": (1000, 10000), "b": (1200, 10000)}, {}, "winner", "b"),
        # both treatments far below the control
        ({"control": (1200, 10000), "b": (1000, 10000), "c": (990, 10000)}, {}, "control_best",
         "control"),
        # 10.0% vs 10.1%: p = 0.81
        ({"control": (1000, 10000), "b": (1010, 10000)}, {}, "no_difference", None),
        # 10,000 vs 11,000 units on a 50/50 split: SRM p = 1.1e-12
        ({"control": (1000, 10000), "b": (1400, 11000)}, {}, "srm", None),
        # 5,000 of the 14,751 per arm the plan needs
        ({"control": (500, 5000), "b": (600, 5000)},
         {"baseline": 0.10, "mde": 0.10, "expected_daily_units": 1000}, "sample", None),
        # no conversions at all: nothing varies
        ({"control": (0, 5000), "b": (0, 5000)}, {}, "untestable", None),
        ({"control": (1000, 10000), "b": (1200, 10000)}, {"method": "bayesian"}, "winner", "b"),
        ({"control": (1000, 10000), "b": (1010, 10000)}, {"method": "bayesian"},
         "no_difference", None),
    ],
)  # fmt: skip
def test_every_verdict_has_its_code(arms, kwargs, code, winner):
    a = abtest.analyze(counts(**arms), **kwargs)
    assert a.decision.code == code
    assert a.winner == winner
    assert a.to_dict()["decision"] == code


def test_a_guardrail_that_breaks_has_its_code():
    rng = np.random.default_rng(3)
    n = 20_000
    df = pd.DataFrame(
        {
            "variant": ["control"] * n + ["b"] * n,
            "signup": np.r_[rng.random(n) < 0.10, rng.random(n) < 0.13].astype(int),
            "bounce": np.r_[rng.random(n) < 0.40, rng.random(n) < 0.46].astype(int),
        }
    )
    guard = (GuardrailSpec("bounce", direction="decrease", margin=0.02),)
    a = abtest.analyze(df, metrics=["signup", "bounce"], guardrails=guard)
    assert a.decision.code == "guardrail" and a.winner is None


def test_an_unknown_code_is_refused():
    with pytest.raises(ValueError, match="decision code 'won'"):
        Decision("b", "b wins", code="won")
    assert set(DECISION_CODES) >= {"winner", "srm", "sample", "no_difference"}


@pytest.mark.parametrize(
    "b",
    [
        1200,  # p = 6.1e-06: '<0.0001' in the table, 'p < 0.0001' in the reason
        1160,  # p = 2.7e-04: '0.0003' in both (the reason printed '0.00026' before)
        1100,  # p = 0.021
    ],
)
def test_the_reason_prints_the_p_value_the_table_prints(b):
    a = abtest.analyze(counts(control=(1000, 10000), b=(b, 10000)))
    p = float(a.table().set_index("variant").loc["b", "p_value"])
    assert fmt.p_equals(p) in a.reason
    text = render_text(a)
    assert fmt.p_value(p) in text
    assert fmt.p_equals(p) in text  # the reason, as printed in the report
