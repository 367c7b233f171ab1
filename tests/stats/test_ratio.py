"""Delta-method ratio metrics against the linearisation computed on unit-level data."""

import numpy as np
import pytest
from scipy import stats as sps

from abtest.stats import (
    DegenerateWarning,
    RatioResult,
    cuped_test,
    ratio_test,
    welch_test_from_sums,
)
from abtest.stats.ratio import ratio_cuped_test, ratio_variance


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
    # Fieller (1954): the ratios r with (rb - r ra)^2 <= q^2 (vb + r^2 va), the roots of
    # (ra^2 - q^2 va) r^2 - 2 ra rb r + (rb^2 - q^2 vb), solved here by numpy
    ends = np.sort(np.roots([ra**2 - q**2 * va, -2 * ra * rb, rb**2 - q**2 * vb]).real) - 1
    np.testing.assert_allclose(r.lift_ci, ends, rtol=1e-10)
    assert r.se == pytest.approx(np.sqrt(va + vb), rel=1e-12)
    one = ratio_test(*_sums(ya, xa), *_sums(yb, xb), alternative="smaller", alpha=0.1)
    assert one.p_value == pytest.approx(sps.norm.cdf(r.statistic), rel=1e-12)
    assert one.diff_ci[0] == -np.inf


def test_the_lift_interval_agrees_with_the_p_value():
    # customers per lead, 20 of 150 against 10 of 150 (a review helper's case): the
    # z-test gives p = 0.0528 (by hand below, as statsmodels' Wald test of two
    # proportions), but the delta-method lift interval [-86.2%, -13.8%] excluded 0;
    # 4 of 150 against 10 of 150 reached -105.5%, below what a rate can fall
    for ca, cb in ((20, 10), (10, 4)):
        ya, yb = np.r_[np.ones(ca), np.zeros(150 - ca)], np.r_[np.ones(cb), np.zeros(150 - cb)]
        r = ratio_test(*_sums(ya, np.ones(150)), *_sums(yb, np.ones(150)))
        pa, pb = ca / 150, cb / 150
        se = np.sqrt(pa * (1 - pa) / 149 + pb * (1 - pb) / 149)  # sample variances (n - 1)
        assert r.p_value == pytest.approx(2 * sps.norm.sf(abs(pb - pa) / se), rel=1e-9)
        assert r.p_value > 0.05 and r.lift_ci[0] < 0 < r.lift_ci[1] and r.lift_ci[0] >= -1


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


# --- ratio_cuped_test ----------------------------------------------------------------


def _units4(seed, n=500, lift=0.0):
    """Per-user (clicks, sessions, pre clicks, pre sessions) with a sticky click rate."""
    rng = np.random.default_rng(seed)
    q = 0.4 * rng.beta(0.5, 0.5, n)
    d, v = 1 + rng.poisson(5, n), 1 + rng.poisson(5, n)
    return np.column_stack([rng.binomial(d, q * (1 + lift)), d, rng.binomial(v, q), v]).astype(
        float
    )


def _moments(u):
    return u.shape[0], u.sum(0), u.T @ u


def _linearised(u):
    """Delta-method linearisations of the post and pre ratios per unit."""
    m = u.mean(0)
    lr = u[:, 0] / m[1] - m[0] / m[1] ** 2 * u[:, 1]
    lp = u[:, 2] / m[3] - m[2] / m[3] ** 2 * u[:, 3]
    return lr, lp


def test_ratio_cuped_theta_is_the_pooled_slope_of_linearised_ratios():
    # theta = OLS slope of l_R on l_P with an arm intercept (statsmodels), and the
    # adjusted variance is the unit-level variance of l_R - theta l_P, per arm.
    import statsmodels.api as sm

    ua, ub = _units4(1), _units4(2, n=450, lift=0.2)
    r = ratio_cuped_test(*_moments(ua), *_moments(ub))
    (lra, lpa), (lrb, lpb) = _linearised(ua), _linearised(ub)
    arm = np.r_[np.zeros(len(ua)), np.ones(len(ub))]
    x = sm.add_constant(np.column_stack([arm, np.r_[lpa, lpb]]))
    fit = sm.OLS(np.r_[lra, lrb], x).fit()
    assert r.theta == pytest.approx(fit.params[2], rel=1e-9)
    th = r.theta
    var = np.var(lra - th * lpa, ddof=1) / len(ua) + np.var(lrb - th * lpb, ddof=1) / len(ub)
    assert r.se == pytest.approx(np.sqrt(var), rel=1e-9)
    pa, pb = ua[:, 2].sum() / ua[:, 3].sum(), ub[:, 2].sum() / ub[:, 3].sum()
    ra, rb = ua[:, 0].sum() / ua[:, 1].sum(), ub[:, 0].sum() / ub[:, 1].sum()
    assert r.diff == pytest.approx((rb - ra) - th * (pb - pa), rel=1e-9)
    assert 0.1 < r.variance_reduction < 0.8 and r.test == "ratio-cuped"


def test_ratio_cuped_with_unit_denominators_is_cuped():
    # Every denominator 1: the ratio is a mean and the method is CUPED (z version).
    ua, ub = _units4(3), _units4(4, n=420)
    for u in (ua, ub):
        u[:, 1] = u[:, 3] = 1.0
    r = ratio_cuped_test(*_moments(ua), *_moments(ub))
    c = cuped_test(
        len(ua), ua[:, 0].sum(), (ua[:, 0] ** 2).sum(), ua[:, 2].sum(), (ua[:, 2] ** 2).sum(),
        (ua[:, 0] * ua[:, 2]).sum(),
        len(ub), ub[:, 0].sum(), (ub[:, 0] ** 2).sum(), ub[:, 2].sum(), (ub[:, 2] ** 2).sum(),
        (ub[:, 0] * ub[:, 2]).sum(),
    )  # fmt: skip
    for field in ("theta", "diff", "se", "variance_reduction", "mean_a", "mean_b", "correlation"):
        assert getattr(r, field) == pytest.approx(getattr(c, field), rel=1e-9), field
    assert r.p_value == pytest.approx(2 * sps.norm.sf(abs(c.diff / c.se)), rel=1e-9)


def test_ratio_cuped_without_pre_period_variation_is_ratio_test():
    ua, ub = _units4(5), _units4(6)
    for u in (ua, ub):
        u[:, 2], u[:, 3] = 1.0, 2.0  # the same pre-period for every user
    r = ratio_cuped_test(*_moments(ua), *_moments(ub))
    plain = ratio_test(*_sums(ua[:, 0], ua[:, 1]), *_sums(ub[:, 0], ub[:, 1]))
    assert not r.adjusted and r.theta == 0
    for field in ("diff", "se", "p_value", "lift"):
        assert getattr(r, field) == pytest.approx(getattr(plain, field), rel=1e-9), field


def test_ratio_cuped_bad_shapes():
    n, s, c = _moments(_units4(7))
    with pytest.raises(ValueError, match="sums_a must end in an axis of 4"):
        ratio_cuped_test(n, s[:3], c, n, s, c)
    bad = c.copy()
    bad[0, 1] += 1
    with pytest.raises(ValueError, match=r"cross_b\[0, 1\] = .*symmetric"):
        ratio_cuped_test(n, s, c, n, s, bad)
