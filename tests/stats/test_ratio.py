"""Delta-method ratio metrics against the linearisation computed on unit-level data."""

import numpy as np
import pytest
from scipy import stats as sps

from abtest.stats import DegenerateWarning, RatioResult, ratio_test, welch_test_from_sums
from abtest.stats.ratio import ratio_variance


def _users(seed, n=400, rate=0.1):
    rng = np.random.default_rng(seed)
    sessions = 1 + rng.poisson(2.0, n)
    clicks = rng.binomial(sessions, rng.beta(2 * rate, 2 * (1 - rate), n))
    return clicks.astype(float), sessions.astype(float)


def _sums(y, x):
    return (y.size, y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum())


@pytest.mark.parametrize("seed", [1, 2])
def test_variance_equals_linearisation(seed):
    # Deng, Knoblich & Lu (2018): Var(ybar / xbar) ~ var((y - R x) / xbar) / n over units.
    y, x = _users(seed)
    ratio, var = ratio_variance(*_sums(y, x))
    r = y.sum() / x.sum()
    lin = (y - r * x) / x.mean()
    assert ratio == pytest.approx(r, rel=1e-12)
    assert var == pytest.approx(np.var(lin, ddof=1) / y.size, rel=1e-10)


def test_unit_denominator_is_the_z_test_of_means():
    ya, _ = _users(3)
    yb, _ = _users(4)
    one_a, one_b = np.ones_like(ya), np.ones_like(yb)
    r = ratio_test(*_sums(ya, one_a), *_sums(yb, one_b))
    w = welch_test_from_sums(ya.size, ya.sum(), (ya**2).sum(), yb.size, yb.sum(), (yb**2).sum())
    assert r.statistic == pytest.approx(w.statistic, rel=1e-10)
    assert r.p_value == pytest.approx(2 * sps.norm.sf(abs(w.statistic)), rel=1e-10)
    assert r.lift == pytest.approx(w.lift, rel=1e-12)


def test_difference_and_lift_intervals():
    ya, xa = _users(5)
    yb, xb = _users(6, rate=0.13)
    r = ratio_test(*_sums(ya, xa), *_sums(yb, xb))
    ra, va = ratio_variance(*_sums(ya, xa))
    rb, vb = ratio_variance(*_sums(yb, xb))
    q = sps.norm.isf(0.025)
    assert isinstance(r, RatioResult) and r.test == "delta"
    assert r.diff == pytest.approx(rb - ra, rel=1e-12)
    assert r.diff_ci[0] == pytest.approx(rb - ra - q * np.sqrt(va + vb), rel=1e-10)
    lift_se = np.sqrt(vb / ra**2 + rb**2 * va / ra**4)  # delta method, independent arms
    assert r.lift_ci[1] == pytest.approx(rb / ra - 1 + q * lift_se, rel=1e-10)
    assert r.se == pytest.approx(np.sqrt(va + vb), rel=1e-12)
    one = ratio_test(*_sums(ya, xa), *_sums(yb, xb), alternative="smaller", alpha=0.1)
    assert one.p_value == pytest.approx(sps.norm.cdf(r.statistic), rel=1e-12)
    assert one.diff_ci[0] == -np.inf


def test_vectorised_over_comparisons():
    ya, xa = _users(7)
    yb, xb = _users(8)
    sb = [np.array([v, v * 1.1]) for v in _sums(yb, xb)]
    r = ratio_test(*_sums(ya, xa), *sb)
    assert r.p_value.shape == (2,)
    assert r.p_value[0] == pytest.approx(ratio_test(*_sums(ya, xa), *_sums(yb, xb)).p_value)


def test_zero_denominator_and_bad_input():
    with pytest.warns(DegenerateWarning, match="denominator sums to 0"):
        r = ratio_test(10, 0.0, 0.0, 0.0, 0.0, 0.0, 10, 3.0, 5.0, 12.0, 20.0, 6.0)
    assert np.isnan(r.diff)
    with pytest.raises(ValueError, match=r"n_b = 1.0: a variance needs at least 2 units"):
        ratio_test(10, 3.0, 5.0, 12.0, 20.0, 6.0, 1, 1.0, 1.0, 2.0, 4.0, 2.0)
    with pytest.raises(ValueError, match=r"sum_num_den_a\[1\]"):
        ratio_test([10, 10], 3.0, 5.0, 12.0, 20.0, [6.0, np.nan], 10, 3.0, 5.0, 12.0, 20.0, 6.0)
