"""Always-valid inference: the mSPRT and the asymptotic confidence sequence, each
checked against its paper's own parameterisation, and their duality."""

import math

import numpy as np
import pytest

from abtest.stats import DegenerateWarning, always_valid_test, welch_test_from_sums
from abtest.stats.always_valid import mixture_halfwidth, mixture_log_lr, mixture_rho

N = np.array([2000, 4000, 6000, 8000])
CONV_A = np.array([100.0, 200.0, 300.0, 400.0])
CONV_B = np.array([120.0, 250.0, 380.0, 500.0])


def test_rho_is_growthbooks_tuning():
    # Waudby-Smith et al. (2023) eq. 161 / gbstats sequential_rho:
    # rho = sqrt((-2 ln a + ln(-2 ln a + 1)) / N); by hand for a = 0.05, N = 5000:
    # -2 ln 0.05 = 5.991465, ln(6.991465) = 1.944691, sum / 5000 = 0.001587231.
    assert mixture_rho(0.05, 5000) == pytest.approx(math.sqrt(0.001587231), rel=1e-6)
    assert mixture_rho(0.05, 20000) == pytest.approx(mixture_rho(0.05, 5000) / 2, rel=1e-12)


def test_halfwidth_equals_waudby_smiths_margin():
    # The R code of Waudby-Smith et al. (std_conjmix_margin): for unit variance at time t,
    # sqrt(2 (t rho^2 + 1) log(sqrt(t rho^2 + 1) / alpha) / (t^2 rho^2)); scaled by the
    # per-unit sd s, with V = s^2 / t.
    rho = mixture_rho(0.05, 5000)
    t = np.array([100.0, 5000.0, 1e6])
    s = 3.0
    margin = np.sqrt(
        2 * (t * rho**2 + 1) * np.log(np.sqrt(t * rho**2 + 1) / 0.05) / (t**2 * rho**2)
    )
    np.testing.assert_allclose(
        mixture_halfwidth(s / np.sqrt(t), t, 0.05, rho), s * margin, rtol=1e-12
    )


def test_log_lr_equals_johari_msprt():
    # Johari et al. (2017) normal mSPRT with mixing N(0, tau^2): for an estimate d with
    # variance V, Lambda = sqrt(V / (V + tau^2)) exp(tau^2 d^2 / (2 V (V + tau^2))).
    # With tau^2 = rho^2 n V (GrowthBook's scale) it must equal our log_lr.
    rho = mixture_rho(0.05, 5000)
    d, v, n = 0.012, 2.5e-5, 8000
    tau2 = rho**2 * n * v
    log_lam = 0.5 * math.log(v / (v + tau2)) + tau2 * d**2 / (2 * v * (v + tau2))
    assert float(mixture_log_lr(d / math.sqrt(v), n, rho)) == pytest.approx(log_lam, rel=1e-12)


def test_p_value_and_interval_are_dual():
    # Ville: p = 1 / Lambda; the interval's edge touches 0 exactly when p = alpha.
    rho = mixture_rho(0.05, 5000)
    se, n = 0.004, 9000
    d = float(mixture_halfwidth(se, n, 0.05, rho))
    p = math.exp(-float(mixture_log_lr(d / se, n, rho)))
    assert p == pytest.approx(0.05, rel=1e-12)


def test_per_look_results():
    r = always_valid_test(N, CONV_A, CONV_A, N, CONV_B, CONV_B, intersect=False)
    w = welch_test_from_sums(N, CONV_A, CONV_A, N, CONV_B, CONV_B)
    se = np.sqrt(w.mean_a * (1 - w.mean_a) / (N - 1) + w.mean_b * (1 - w.mean_b) / (N - 1))
    rho = mixture_rho(0.05, 5000)
    np.testing.assert_allclose(r.statistic, w.diff / se, rtol=1e-12)
    np.testing.assert_allclose(
        r.p_value, np.minimum(1, np.exp(-mixture_log_lr(r.statistic, 2 * N, rho)))
    )
    half = mixture_halfwidth(se, 2 * N, 0.05, rho)
    np.testing.assert_allclose(r.diff_ci[1] - r.diff, half, rtol=1e-12)
    # Always wider than the fixed-horizon 95% interval.
    assert np.all(r.diff_ci[1] - r.diff > w.diff_ci[1] - w.diff)
    assert np.all(r.lift_ci[1] - r.lift > w.lift_ci[1] - w.lift)
    np.testing.assert_array_equal(r.significant, r.p_value <= 0.05)


def test_intersection_makes_p_monotone_and_intervals_nested():
    rng = np.random.default_rng(5)
    n = np.arange(1, 31) * 300
    conv_a = np.cumsum(rng.binomial(300, 0.1, 30)).astype(float)
    conv_b = np.cumsum(rng.binomial(300, 0.1, 30)).astype(float)
    raw = always_valid_test(n, conv_a, conv_a, n, conv_b, conv_b, intersect=False)
    r = always_valid_test(n, conv_a, conv_a, n, conv_b, conv_b)
    np.testing.assert_allclose(r.p_value, np.minimum.accumulate(raw.p_value))
    assert np.all(np.diff(r.p_value) <= 0)
    assert np.all(np.diff(r.diff_ci[0]) >= 0) and np.all(np.diff(r.diff_ci[1]) <= 0)
    assert np.all(r.diff_ci[0] >= raw.diff_ci[0]) and np.all(r.diff_ci[1] <= raw.diff_ci[1])


def test_n_opt_moves_where_the_interval_is_tightest():
    # The confidence-sequence width relative to sqrt(V) is smallest near n = n_opt.
    n = np.geomspace(500, 500_000, 400)
    for n_opt in (2000.0, 50_000.0):
        width = mixture_halfwidth(1 / np.sqrt(n), n, 0.05, mixture_rho(0.05, n_opt)) * np.sqrt(n)
        assert n[np.argmin(width)] == pytest.approx(n_opt, rel=0.35)


def test_batches_broadcast():
    b = np.stack([CONV_B, CONV_A + 3])
    r = always_valid_test(N, CONV_A, CONV_A, N, b, b, n_opt=20000)
    one = always_valid_test(N, CONV_A, CONV_A, N, b[1], b[1], n_opt=20000)
    assert r.p_value.shape == (2, 4)
    np.testing.assert_allclose(r.p_value[1], one.p_value)
    assert r.n_opt == 20000.0 and r.rho == pytest.approx(mixture_rho(0.05, 20000))


def test_bad_input():
    with pytest.raises(ValueError, match="n_opt = -1"):
        always_valid_test(N, CONV_A, CONV_A, N, CONV_B, CONV_B, n_opt=-1)
    with pytest.raises(ValueError, match="alpha = 0"):
        always_valid_test(N, CONV_A, CONV_A, N, CONV_B, CONV_B, alpha=0)
    with pytest.raises(ValueError, match=r"sum_sq_b\[1\] = -1.0"):
        always_valid_test(N, CONV_A, CONV_A, N, CONV_B, [1.0, -1.0, 3.0, 4.0])


def test_zero_variance_is_nan_with_warning():
    with pytest.warns(DegenerateWarning, match="zero variance"):
        r = always_valid_test([50, 100], [50, 98], [50, 98], [50, 100], [50, 97], [50, 97])
    assert np.isnan(r.statistic[0]) and not r.significant[0] and r.p_value[1] > 0
