"""Fieller's interval for the lift: its defining equation, its agreement with the
z-test at the same critical value, and the delta method for large samples."""

import numpy as np
import pytest

from abtest.stats import always_valid_test, group_sequential_test
from abtest.stats.proportions import fieller_lift_interval, relative_lift


def _random_arms(rng, m):
    n_a, n_b = rng.integers(200, 20000, m), rng.integers(200, 20000, m)
    m_a = rng.uniform(0.02, 0.3, m)
    m_b = m_a * rng.uniform(0.8, 1.25, m)
    return m_a, m_a * (1 - m_a), n_a, m_b, m_b * (1 - m_b), n_b


def test_bounds_solve_the_defining_equation():
    rng = np.random.default_rng(1)
    m_a, v_a, n_a, m_b, v_b, n_b = _random_arms(rng, 500)
    q = rng.uniform(1.0, 4.0, 500)
    lo, hi = fieller_lift_interval(m_a, v_a, n_a, m_b, v_b, n_b, q)
    # a lower root below a zero ratio (b within q of its error) is cut at -100%: check
    # the cut ends are exactly those whose defining root is negative (b < q s_b)
    cut = lo == -1
    assert cut.tolist() == (m_b**2 < q**2 * v_b / n_b).tolist()
    assert 1 <= cut.sum() < 100
    for end, sign, keep in ((lo, 1, ~cut), (hi, -1, np.ones_like(cut))):
        r = end[keep] + 1
        s_a2, s_b2 = (v_a / n_a)[keep], (v_b / n_b)[keep]
        g = (m_b[keep] - r * m_a[keep]) / np.sqrt(s_b2 + r * r * s_a2)
        np.testing.assert_allclose(g, (sign * q)[keep], rtol=1e-9)


def test_never_below_minus_100_percent_for_non_negative_means():
    # 50 of 1,000 control units converted, 3 of 1,000 treatment units, at a look's
    # q = 3.0: the Fieller roots are the ratios -0.0455 and 0.1902 (b = 0.003 < q s_b =
    # 0.0052; roots of (a^2 - q^2 s_a^2) r^2 - 2 a b r + b^2 - q^2 s_b^2, computed by
    # hand), but a ratio of rates cannot be negative: the interval starts at -100%
    lo, hi = fieller_lift_interval(0.05, 0.05 * 0.95, 1000, 0.003, 0.003 * 0.997, 1000, 3.0)
    assert lo == -1.0 and hi == pytest.approx(0.19020851 - 1, rel=1e-7)
    # with 0.4 of 100 control units (q s_a > a) the set is unbounded: [-100%, +inf)
    lo, hi = fieller_lift_interval(0.004, 0.004 * 0.996, 100, 0.001, 0.000999, 1000, 3.0)
    assert lo == -1.0 and hi == np.inf


def test_excludes_zero_exactly_when_the_z_test_rejects():
    rng = np.random.default_rng(2)
    m_a, v_a, n_a, m_b, v_b, n_b = _random_arms(rng, 4000)
    z = (m_b - m_a) / np.sqrt(v_a / n_a + v_b / n_b)
    for q in (1.96, 2.8):
        lo, hi = fieller_lift_interval(m_a, v_a, n_a, m_b, v_b, n_b, q)
        assert ((lo > 0) | (hi < 0)).tolist() == (np.abs(z) > q).tolist()
        up, _ = fieller_lift_interval(m_a, v_a, n_a, m_b, v_b, n_b, q, "larger")
        assert (up > 0).tolist() == (z > q).tolist()
    assert 500 < (np.abs(z) > 1.96).sum() < 3500  # both outcomes well represented


def test_close_to_the_delta_method_for_large_samples():
    m_a, m_b, n = np.array(0.10), np.array(0.106), np.array(200_000)
    v_a, v_b = m_a * (1 - m_a), m_b * (1 - m_b)
    lo, hi = fieller_lift_interval(m_a, v_a, n, m_b, v_b, n, 1.96)
    lift, se = relative_lift(m_a, v_a, n, m_b, v_b, n)
    assert lo == pytest.approx(lift - 1.96 * se, abs=2e-4)
    assert hi == pytest.approx(lift + 1.96 * se, abs=2e-4)


def test_unbounded_when_the_control_mean_is_not_distinguishable_from_zero():
    lo, hi = fieller_lift_interval(0.001, 0.001, 10, 0.002, 0.002, 10, 1.96)
    assert lo == -1 and hi == np.inf  # every ratio >= 0 (non-negative means)
    lo, hi = fieller_lift_interval(0.001, 0.001, 10, -0.002, 0.002, 10, 1.96)
    assert lo == -np.inf and hi == np.inf  # a negative mean: no floor


def test_sequential_lift_intervals_agree_with_the_decisions():
    rng = np.random.default_rng(3)
    looks = np.arange(1, 9) * 1500
    conv_a = np.cumsum(rng.binomial(1500, 0.10, (300, 8)), axis=1)
    conv_b = np.cumsum(rng.binomial(1500, rng.uniform(0.1, 0.12, (300, 1)), (300, 8)), axis=1)
    args = (looks, conv_a, conv_a, looks, conv_b, conv_b)
    gs = group_sequential_test(*args, max_n=2 * looks[-1])
    excludes = (gs.lift_ci[0] > 0) | (gs.lift_ci[1] < 0)
    assert excludes.tolist() == gs.crossed.tolist()
    assert 20 < gs.crossed.sum() < 2000
    av = always_valid_test(*args, n_opt=2 * looks[-1])
    excludes = (av.lift_ci[0] > 0) | (av.lift_ci[1] < 0)
    assert excludes.tolist() == av.significant.tolist()
