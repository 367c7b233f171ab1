"""CUPED against an ANCOVA fit (statsmodels OLS) and unit-level computations."""

import numpy as np
import pytest
import statsmodels.api as sm

from abtest.stats import CupedResult, TwoSampleResult, cuped_test, welch_test_from_sums


def _units(seed, n_a=300, n_b=340, rho=0.6, effect=0.4):
    rng = np.random.default_rng(seed)
    xa, xb = rng.gamma(4, 2.5, n_a), rng.gamma(4, 2.5, n_b)
    ya = 2 + rho * xa + rng.normal(0, 3, n_a)
    yb = 2 + effect + rho * xb + rng.normal(0, 4, n_b)  # unequal variances on purpose
    return xa, ya, xb, yb


def _sums(x, y):
    return (x.size, y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_diff_and_theta_equal_ancova(seed):
    # OLS y ~ 1 + arm + x (statsmodels): the x slope is the pooled within-arm theta and the
    # arm coefficient is the CUPED difference, to rounding.
    xa, ya, xb, yb = _units(seed)
    r = cuped_test(*_sums(xa, ya), *_sums(xb, yb))
    y = np.concatenate([ya, yb])
    arm = np.r_[np.zeros(xa.size), np.ones(xb.size)]
    fit = sm.OLS(y, sm.add_constant(np.column_stack([arm, np.concatenate([xa, xb])]))).fit()
    assert r.diff == pytest.approx(fit.params[1], rel=1e-10)
    assert r.theta == pytest.approx(fit.params[2], rel=1e-10)
    assert r.diff_unadjusted == pytest.approx(yb.mean() - ya.mean(), rel=1e-12)


def test_variances_from_unit_level_adjusted_metric():
    # Per arm, the sample variance of y - theta x over units, ddof = 1; the interval is
    # Welch's on the adjusted means (xbar pooled over both arms).
    xa, ya, xb, yb = _units(4)
    r = cuped_test(*_sums(xa, ya), *_sums(xb, yb))
    th = r.theta
    va, vb = np.var(ya - th * xa, ddof=1), np.var(yb - th * xb, ddof=1)
    assert r.se == pytest.approx(np.sqrt(va / xa.size + vb / xb.size), rel=1e-10)
    assert r.se_unadjusted == pytest.approx(
        np.sqrt(np.var(ya, ddof=1) / ya.size + np.var(yb, ddof=1) / yb.size), rel=1e-10
    )
    assert r.variance_reduction == pytest.approx(1 - r.se**2 / r.se_unadjusted**2, rel=1e-12)
    xbar = np.concatenate([xa, xb]).mean()
    assert r.mean_a == pytest.approx(ya.mean() - th * (xa.mean() - xbar), rel=1e-10)
    assert r.mean_b == pytest.approx(yb.mean() - th * (xb.mean() - xbar), rel=1e-10)
    # pooled within-arm correlation
    sxy = ((xa - xa.mean()) * (ya - ya.mean())).sum() + ((xb - xb.mean()) * (yb - yb.mean())).sum()
    sxx = ((xa - xa.mean()) ** 2).sum() + ((xb - xb.mean()) ** 2).sum()
    syy = ((ya - ya.mean()) ** 2).sum() + ((yb - yb.mean()) ** 2).sum()
    assert r.correlation == pytest.approx(sxy / np.sqrt(sxx * syy), rel=1e-10)
    assert 0.3 < r.variance_reduction < 0.7 and r.adjusted


def test_is_a_two_sample_result():
    xa, ya, xb, yb = _units(5)
    r = cuped_test(*_sums(xa, ya), *_sums(xb, yb), alternative="larger")
    assert isinstance(r, CupedResult) and isinstance(r, TwoSampleResult)
    assert r.test == "cuped" and r.alternative == "larger" and r.diff_ci[1] == np.inf
    d = r.to_dict()
    assert {"theta", "variance_reduction", "adjusted", "diff_ci"} <= set(d)


def test_missing_covariate_falls_back_to_welch():
    xa, ya, xb, yb = _units(6)
    sa, sb = _sums(xa, ya)[:3], _sums(xb, yb)[:3]
    r = cuped_test(*sa, None, None, None, *sb, None, None, None)
    w = welch_test_from_sums(*sa, *sb)
    for field in ("statistic", "p_value", "diff", "lift", "df", "mean_a", "mean_b"):
        assert getattr(r, field) == pytest.approx(getattr(w, field), rel=1e-12)
    assert r.diff_ci == pytest.approx(w.diff_ci, rel=1e-12)
    assert r.theta == 0 and r.variance_reduction == 0 and not r.adjusted


def test_constant_covariate_falls_back_per_element():
    xa, ya, xb, yb = _units(7)
    good = cuped_test(*_sums(xa, ya), *_sums(xb, yb))
    const_a, const_b = np.full(xa.size, 5.0), np.full(xb.size, 5.0)
    both = [np.array([g, c]) for g, c in zip(_sums(xa, ya), _sums(const_a, ya), strict=True)]
    both_b = [np.array([g, c]) for g, c in zip(_sums(xb, yb), _sums(const_b, yb), strict=True)]
    r = cuped_test(*both, *both_b)
    assert r.adjusted.tolist() == [True, False]
    assert r.theta[0] == pytest.approx(good.theta) and r.theta[1] == 0
    w = welch_test_from_sums(ya.size, ya.sum(), (ya * ya).sum(), yb.size, yb.sum(), (yb * yb).sum())
    assert r.p_value[1] == pytest.approx(w.p_value, rel=1e-10)
    assert r.variance_reduction[1] == pytest.approx(0, abs=1e-12)


def test_partial_covariate_is_an_error():
    xa, ya, xb, yb = _units(8)
    with pytest.raises(ValueError, match="sum_xy_b missing"):
        cuped_test(*_sums(xa, ya), *_sums(xb, yb)[:5], None)
    with pytest.raises(ValueError, match=r"sum_x_sq_a\[1\] = -2.0: cannot be negative"):
        cuped_test(
            [10, 10], [5.0, 5.0], [9.0, 9.0], [1.0, 1.0], [3.0, -2.0], [1.0, 1.0],
            10, 6.0, 9.0, 1.0, 3.0, 1.0,
        )  # fmt: skip


def test_multi_arm_adjustment_equals_ancova():
    # Three arms, one pooled theta: OLS y ~ 1 + arm_b + arm_c + x (statsmodels). The
    # differences of the adjusted means are the arm coefficients, theta the x slope, and
    # each arm's variance is the sample variance of y - theta x over its units.
    from abtest.stats import cuped_adjust

    rng = np.random.default_rng(7)
    xs, ys = [], []
    for effect, n in ((0.0, 300), (0.4, 340), (-0.3, 280)):
        x = rng.gamma(4, 2.5, n)
        xs.append(x)
        ys.append(2 + effect + 0.6 * x + rng.normal(0, 3, n))
    cols = list(zip(*(_sums(x, y) for x, y in zip(xs, ys, strict=True)), strict=True))
    n, mean, var, theta = cuped_adjust(*(np.array(c, dtype=float) for c in cols))
    arm = np.concatenate([np.full(x.size, i) for i, x in enumerate(xs)])
    design = np.column_stack([arm == 1, arm == 2, np.concatenate(xs)]).astype(float)
    fit = sm.OLS(np.concatenate(ys), sm.add_constant(design)).fit()
    assert theta == pytest.approx(fit.params[3], rel=1e-10)
    assert mean[1:] - mean[0] == pytest.approx(fit.params[1:3], rel=1e-10)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        assert var[i] == pytest.approx(np.var(y - theta * x, ddof=1), rel=1e-10)
    # two arms: the same adjustment as cuped_test
    r = cuped_test(*_sums(xs[0], ys[0]), *_sums(xs[1], ys[1]))
    two = cuped_adjust(*(np.array(c[:2], dtype=float) for c in cols))
    assert two[1] == pytest.approx([r.mean_a, r.mean_b], rel=1e-12)
    assert two[3] == pytest.approx(r.theta, rel=1e-12)


def test_cuped_sums_run_any_sums_test_on_the_adjusted_metric():
    # Welch's test on the adjusted sums is cuped_test: same difference, interval, p-value
    from abtest.stats import cuped_sums

    xa, ya, xb, yb = _units(6)
    r = cuped_test(*_sums(xa, ya), *_sums(xb, yb))
    c = cuped_sums(*_sums(xa, ya), *_sums(xb, yb))
    w = welch_test_from_sums(*c.args)
    assert w.diff == pytest.approx(r.diff, rel=1e-12)
    assert w.mean_a == pytest.approx(r.mean_a, rel=1e-12)
    assert w.diff_ci[0] == pytest.approx(r.diff_ci[0], rel=1e-10)
    assert w.diff_ci[1] == pytest.approx(r.diff_ci[1], rel=1e-10)
    assert w.p_value == pytest.approx(r.p_value, rel=1e-9)
    assert c.se == pytest.approx(r.se, rel=1e-12)
    assert c.variance_reduction == pytest.approx(r.variance_reduction, rel=1e-12)
    # the unit-level variance the sums carry is that of y - theta x (ddof 1)
    vb = (c.b.sum_sq - c.b.sum**2 / c.b.n) / (c.b.n - 1)
    assert vb == pytest.approx(np.var(yb - r.theta * xb, ddof=1), rel=1e-9)


def test_cuped_sums_broadcast_one_control_over_looks_and_treatments():
    # a control of shape (looks,) against treatments of shape (k - 1, looks): element
    # (j, k) is cuped_test of the control and treatment j at look k
    from abtest.stats import cuped_sums

    ctrl = np.array([_sums(*_units(k, n_a=100 + 50 * k)[:2]) for k in range(3)]).T  # (6, 3)
    treat = np.array(
        [[_sums(*_units(10 * j + k, n_b=120 + 40 * k)[2:]) for k in range(3)] for j in (1, 2)]
    ).transpose(2, 0, 1)  # (6, 2, 3)
    c = cuped_sums(*ctrl, *treat)
    assert c.a.sum.shape == (2, 3)
    for j in range(2):
        for k in range(3):
            r = cuped_test(*ctrl[:, k], *treat[:, j, k])
            diff = c.b.sum[j, k] / c.b.n[j, k] - c.a.sum[j, k] / c.a.n[j, k]
            assert diff == pytest.approx(r.diff, rel=1e-10)
            assert c.se[j, k] == pytest.approx(r.se, rel=1e-10)
