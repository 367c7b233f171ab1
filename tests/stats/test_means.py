"""welch_test against R t.test and scipy.stats.ttest_ind."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from abtest.stats import DegenerateWarning, mean_var_from_sums, welch_test, welch_test_from_sums

R = json.loads((Path(__file__).parents[1] / "references" / "frequentist_r.json").read_text())
ALT = {"two.sided": "two-sided", "greater": "larger", "less": "smaller"}  # t.test(b, a): b - a


@pytest.mark.parametrize("ref", R["t_test"], ids=lambda r: r["call"][:60] + r["alternative"])
def test_welch_matches_r_t_test(ref):
    r = welch_test(
        ref["n_a"],
        ref["mean_a"],
        ref["var_a"],
        ref["n_b"],
        ref["mean_b"],
        ref["var_b"],
        alternative=ALT[ref["alternative"]],
    )
    assert r.statistic == pytest.approx(ref["statistic"], rel=1e-10)
    assert r.df == pytest.approx(ref["df"], rel=1e-10)
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-9)
    for ours, theirs in zip(r.diff_ci, (ref["conf_low"], ref["conf_high"]), strict=True):
        if np.isfinite(theirs):
            assert ours == pytest.approx(theirs, rel=1e-9)
        else:
            assert ours == theirs


@pytest.mark.parametrize("ref", [e for e in R["t_test"] if e["alternative"] == "two.sided"])
def test_from_sums_equals_raw(ref):
    a, b = np.array(ref["a"]), np.array(ref["b"])
    r = welch_test_from_sums(a.size, a.sum(), (a**2).sum(), b.size, b.sum(), (b**2).sum())
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-9)
    s = sps.ttest_ind(b, a, equal_var=False)
    assert r.statistic == pytest.approx(s.statistic, rel=1e-10)


def test_vectorized_matches_scipy():
    rng = np.random.default_rng(3)
    a = rng.lognormal(1, 1, (30, 200))
    b = rng.lognormal(1.05, 1, (30, 250))
    r = welch_test(200, a.mean(1), a.var(1, ddof=1), 250, b.mean(1), b.var(1, ddof=1))
    s = sps.ttest_ind(b, a, axis=1, equal_var=False)
    np.testing.assert_allclose(r.p_value, s.pvalue, rtol=1e-9)


def test_lift_interval_delta_method():
    # gbstats relative variance: var_b/(m_a^2 n_b) + var_a m_b^2/(m_a^4 n_a), t quantile at Welch df
    r = welch_test(10, 10.0, 4.0, 12, 12.0, 3.0)
    se = np.sqrt(3.0 / (100 * 12) + 4.0 * 144 / (10**4 * 10))
    q = sps.t.isf(0.025, r.df)
    assert r.lift_ci[0] == pytest.approx(0.2 - q * se, rel=1e-12)


def test_mean_var_from_sums():
    x = np.array([1.0, 2.0, 3.5, 7.25])
    _n, m, v = mean_var_from_sums(4, x.sum(), (x**2).sum())
    assert m == pytest.approx(x.mean()) and v == pytest.approx(x.var(ddof=1), rel=1e-12)


def test_errors():
    with pytest.raises(ValueError, match=r"n_a = 1.0: a variance needs at least 2 units"):
        welch_test(1, 1.0, 1.0, 10, 1.0, 1.0)
    with pytest.raises(ValueError, match=r"var_b\[1\] = -1.0: cannot be negative"):
        welch_test(10, 1.0, 1.0, 10, 1.0, [1.0, -1.0])
    with pytest.raises(ValueError, match=r"n_b = 1.0"):
        welch_test_from_sums(5, 10.0, 30.0, 1, 2.0, 4.0)
    with pytest.warns(DegenerateWarning, match="zero variance"):
        r = welch_test(10, 1.0, 0.0, 10, 1.0, 0.0)
    assert np.isnan(r.p_value)


def test_impossible_sums_are_refused_but_rounding_is_not():
    # sum_sq >= sum**2 / n for any n numbers (Cauchy-Schwarz); 4 values with sum 10 have
    # sum_sq >= 25
    with pytest.raises(ValueError, match=r"sum_sq = 24.0 is below sum\*\*2 / n = 25.0"):
        mean_var_from_sums(4, 10.0, 24.0)
    # a constant metric summed in floating point: sum_sq falls short of sum**2 / n by
    # rounding only; the variance is 0, not an error
    x = np.full(1_000_003, 0.1)
    n, total, total_sq = x.size, float(np.sum(x)), float(np.sum(x * x))
    assert total_sq < total * total / n  # the rounding this tolerance is for
    _n, m, v = mean_var_from_sums(n, total, total_sq)
    assert v == 0.0 and m == pytest.approx(0.1, rel=1e-12)
