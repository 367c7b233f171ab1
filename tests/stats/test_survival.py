"""kaplan_meier and logrank_test against R's survival package (survfit, survdiff).

The expected numbers are in tests/references/survival_r.json, written by
tests/references/survival.R (R 4.2.2, survival 3.5.3); the tests read the JSON and
do not need R.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abtest.stats import (
    DegenerateWarning,
    KaplanMeierResult,
    LogrankResult,
    kaplan_meier,
    logrank_test,
)

R = json.loads((Path(__file__).parents[1] / "references" / "survival_r.json").read_text())
KM = {e["name"]: e for e in R["kaplan_meier"]}
LR = {e["name"]: e for e in R["logrank"]}


def _floats(values):
    """R's numbers with null (NA) as NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _nan(v):
    return np.nan if v is None else v


@pytest.mark.parametrize("name", list(KM))
def test_kaplan_meier_curve_matches_r_survfit(name):
    # Expected: survfit(Surv(time, event) ~ 1)'s time, n.risk, n.event, surv, lower and
    # upper (conf.type "log", conf.int 0.95) at its rows with an event (survfit also
    # lists the censoring-only times, where the curve does not move).
    ref = KM[name]
    r = kaplan_meier(ref["time_in"], ref["event"], count=ref["count"])
    assert isinstance(r, KaplanMeierResult)
    rows = np.array(ref["n_event"]) > 0
    np.testing.assert_array_equal(r.time, np.array(ref["time"])[rows])
    np.testing.assert_array_equal(r.n_risk, np.array(ref["n_risk"])[rows])
    np.testing.assert_array_equal(r.n_event, np.array(ref["n_event"])[rows])
    np.testing.assert_allclose(r.survival, _floats(ref["surv"])[rows], rtol=1e-8, atol=1e-12)
    # NaN where the curve is 0 (R's NA): assert_allclose requires NaN in the same places
    np.testing.assert_allclose(r.lower, _floats(ref["lower"])[rows], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(r.upper, _floats(ref["upper"])[rows], rtol=1e-8, atol=1e-12)
    assert r.n == (sum(ref["count"]) if ref["count"] else len(ref["time_in"]))


@pytest.mark.parametrize("name", list(KM))
def test_kaplan_meier_median_matches_r_print(name):
    # Expected: summary(fit)$table's median, 0.95LCL and 0.95UCL (what print(fit)
    # shows); NA (not reached) is NaN.
    ref = KM[name]
    r = kaplan_meier(ref["time_in"], ref["event"], count=ref["count"])
    expected = [_nan(ref["median"]), _nan(ref["median_lower"]), _nan(ref["median_upper"])]
    np.testing.assert_allclose([r.median, *r.median_ci], expected, rtol=1e-8, atol=0)


def test_the_cases_cover_what_they_are_for():
    # The R cases, read from survival_r.json: a median not reached, a median whose
    # interval has no upper end, a curve exactly at 0.5 then moving again (R's midpoint
    # rule), and one ending flat at 0.5, where R's quantile() (6) and print (4) differ.
    assert KM["heavy_censoring_a"]["median"] is None
    assert KM["median_ci_open"]["median"] is not None
    assert KM["median_ci_open"]["median_upper"] is None
    assert KM["flat_at_half"]["median"] == 6.5  # (5 + 8) / 2
    assert KM["flat_at_half_to_end"]["median"] == 4
    assert KM["flat_at_half_to_end"]["quantile_median"] == 6
    tied = KM["ties"]
    at = {t for t, e in zip(tied["time_in"], tied["event"], strict=True) if e == 0}
    assert at & {t for t, e in zip(tied["time_in"], tied["event"], strict=True) if e == 1}


@pytest.mark.parametrize("name", list(LR))
def test_logrank_matches_r_survdiff(name):
    # Expected: survdiff(Surv(time, event) ~ group)$chisq, df = sum(exp > 0) - 1 and
    # pchisq(chisq, df, lower.tail = FALSE); n, obs, exp and var (column-major) of the
    # same fit. The "weights" case is survdiff on the rows expanded with rep().
    ref = LR[name]
    r = logrank_test(ref["time"], ref["event"], ref["group"], count=ref["count"])
    assert isinstance(r, LogrankResult)
    assert r.df == ref["df"]
    assert r.statistic == pytest.approx(ref["chisq"], rel=1e-8)
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-8)
    assert r.groups.tolist() == sorted(set(ref["group"]))
    np.testing.assert_allclose(r.n, ref["n"], rtol=0, atol=0)
    np.testing.assert_allclose(r.observed, ref["observed"], rtol=1e-12)
    np.testing.assert_allclose(r.expected, ref["expected"], rtol=1e-8)
    k = len(r.groups)
    expected_var = np.array(ref["variance"]).reshape(k, k, order="F")
    np.testing.assert_allclose(r.variance, expected_var, rtol=1e-8, atol=1e-10)


def test_logrank_leaves_out_an_arm_without_expected_conversions():
    # Expected (survdiff, "arm_without_expected"): arm z is censored before the first
    # conversion, E = 0, so 4 arms give 2 degrees of freedom.
    ref = LR["arm_without_expected"]
    r = logrank_test(ref["time"], ref["event"], ref["group"])
    assert len(r.groups) == 4 and r.df == 2
    assert r.expected[r.groups.tolist().index("z")] == 0


def _expand(time, event, count, group=None):
    c = np.asarray(count, dtype=int)
    out = [np.repeat(time, c), np.repeat(event, c)]
    return out if group is None else [*out, np.repeat(group, c)]


def test_kaplan_meier_aggregated_rows_equal_unit_rows():
    # Expected: the same function on the rows expanded with np.repeat (R agrees:
    # survival.R checks survfit(weights = count) against the rep() rows); rows of count
    # 0 are no units, and the row order does not matter.
    rng = np.random.default_rng(17)
    time = rng.integers(0, 25, 300).astype(float)
    event = rng.integers(0, 2, 300)
    count = rng.integers(0, 40, 300)
    agg = kaplan_meier(time, event, count=count)
    unit = kaplan_meier(*_expand(time, event, count))
    order = rng.permutation(300)
    shuffled = kaplan_meier(time[order], event[order], count=count[order])
    for r in (unit, shuffled):
        for field in ("time", "survival", "lower", "upper", "n_risk", "n_event"):
            np.testing.assert_array_equal(getattr(agg, field), getattr(r, field))
        assert (agg.median, agg.median_ci, agg.n) == (r.median, r.median_ci, r.n)


def test_logrank_aggregated_rows_equal_unit_rows():
    # Expected: the same function on the rows expanded with np.repeat (R's "weights"
    # case above is the aggregated form of survdiff on rep() rows).
    rng = np.random.default_rng(18)
    time = rng.integers(1, 20, 400).astype(float)
    event = rng.integers(0, 2, 400)
    group = rng.choice(["a", "b", "c"], 400)
    count = rng.integers(0, 30, 400)
    agg = logrank_test(time, event, group, count=count)
    unit = logrank_test(*_expand(time, event, count, group))
    assert agg.df == unit.df == 2
    assert agg.statistic == pytest.approx(unit.statistic, rel=1e-12)
    assert agg.p_value == pytest.approx(unit.p_value, rel=1e-12)
    np.testing.assert_allclose(agg.variance, unit.variance, rtol=1e-12, atol=1e-12)


def test_pandas_and_boolean_inputs():
    # Expected: R's "ties" case, given as pandas Series with a boolean event column.
    ref = KM["ties"]
    frame = pd.DataFrame({"t": ref["time_in"], "e": np.array(ref["event"]) == 1})
    r = kaplan_meier(frame["t"], frame["e"])
    rows = np.array(ref["n_event"]) > 0
    np.testing.assert_allclose(r.survival, np.array(ref["surv"])[rows], rtol=1e-8)
    two = LR["two_arms"]
    df = pd.DataFrame({"t": two["time"], "e": two["event"], "g": two["group"]})
    assert logrank_test(df.t, df.e, df.g).statistic == pytest.approx(two["chisq"], rel=1e-8)
    # categorical labels sort as their values (survdiff sorts a character group too)
    cat = logrank_test(df.t, df.e, df.g.astype("category"))
    assert cat.statistic == pytest.approx(two["chisq"], rel=1e-8)


@pytest.mark.parametrize(
    ("time", "event", "group"),
    [
        ([3, 5, 8, 9], [0, 0, 0, 0], [0, 0, 1, 1]),  # no conversion at all
        ([1, 1, 4, 5], [0, 0, 1, 1], ["a", "a", "b", "b"]),  # only b at risk at 4 and 5
        ([5, 5, 5], [1, 1, 1], ["a", "b", "c"]),  # all convert at once: V = 0
    ],
)
def test_logrank_without_a_conversion_to_compare_by(time, event, group):
    # Expected: no test, NaN with a DegenerateWarning. R survdiff: chi-square 0 on -1
    # degrees of freedom for the first, on 0 for the second (p = 0 for 0 df), and
    # "system is exactly singular" from solve() for the third.
    with pytest.warns(DegenerateWarning, match="no log-rank test"):
        r = logrank_test(time, event, group)
    assert np.isnan(r.statistic) and np.isnan(r.p_value)


def test_kaplan_meier_without_conversions():
    # Expected as R survfit: no event, so the curve stays at 1 (every surv is 1) and
    # the median and both ends of its interval are NA.
    r = kaplan_meier([3, 5, 8], [0, 0, 0])
    assert r.time.size == 0 and r.survival.size == 0
    assert np.isnan(r.median) and np.isnan(r.median_ci).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time": [1, np.nan], "event": [1, 0]}, r"time\[1\] = nan: must be a finite"),
        ({"time": [1, -2], "event": [1, 0]}, r"time\[1\] = -2.0: cannot be negative"),
        ({"time": [1, np.inf], "event": [1, 0]}, r"time\[1\] = inf"),
        ({"time": [1, 2], "event": [1, 2]}, r"event\[1\] = 2.0: must be 1 \(converted\) or 0"),
        ({"time": [1, 2], "event": [1, np.nan]}, r"event\[1\] = nan"),
        ({"time": [1, 2], "event": [1]}, r"event has 1 rows but time has 2"),
        ({"time": [], "event": []}, r"time is empty"),
        ({"time": [[1, 2]], "event": [1, 0]}, r"time must be a 1-D array"),
        ({"time": ["1", "2"], "event": [1, 0]}, r"time\[0\] must be numeric"),
        ({"time": [True, False], "event": [1, 0]}, r"time\[0\] = True: must be a number"),
        ({"time": [1, 2], "event": [1, 0], "count": [1, -1]}, r"count\[1\] = -1.0: a count"),
        ({"time": [1, 2], "event": [1, 0], "count": [1, 1.5]}, r"count\[1\] = 1.5: a count"),
        ({"time": [1, 2], "event": [1, 0], "count": [1]}, r"count has 1 rows but time has 2"),
        ({"time": [1, 2], "event": [1, 0], "count": [0, 0]}, r"count is 0 on every row"),
        ({"time": [1, 2], "event": [1, 0], "alpha": 1.5}, r"alpha = 1.5"),
    ],
)
def test_kaplan_meier_refuses_bad_input(kwargs, message):
    # Expected: a ValueError that names the argument (abtest.stats._check's wording).
    with pytest.raises(ValueError, match=message):
        kaplan_meier(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group": ["a", "a", "a"]}, r"group has 1 distinct label"),
        ({"group": ["a", "b", "b"], "count": [0, 1, 1]}, r"group has 1 distinct label"),
        ({"group": ["a", "b"]}, r"group has 2 rows but time has 3"),
        ({"group": ["a", None, "b"]}, r"group\[1\] = None: a group label cannot be missing"),
        ({"group": [1.0, np.nan, 2.0]}, r"group\[1\] = nan: a group label cannot be missing"),
        ({"group": [["a", "b", "c"]]}, r"group must be a 1-D array"),
        ({"group": np.array(["a", 1, "b"], dtype=object)}, r"group labels must be of one"),
        ({"event": [1, 0, 3], "group": ["a", "b", "b"]}, r"event\[2\] = 3.0"),
        ({"time": [1, -1, 2], "group": ["a", "b", "b"]}, r"time\[1\] = -1.0"),
    ],
)
def test_logrank_refuses_bad_input(kwargs, message):
    # Expected: a ValueError that names the argument.
    args = {"time": [1, 2, 3], "event": [1, 0, 1], **kwargs}
    with pytest.raises(ValueError, match=message):
        logrank_test(**args)
