"""The quantile test against its definition, GrowthBook's gbstats and a simulation.

Definition (abtest/stats/quantiles.py; Deng, Knoblich & Lu 2018): ranks
``L, U = round(n q -+ 1.96 sqrt(n q (1 - q)))`` clipped to [1, n], ``se = (X_(U) -
X_(L)) / (2 * 1.959964)``, ``z = (q_b - q_a) / sqrt(se_a^2 + se_b^2)`` on the normal.
"""

import math

import numpy as np
import pytest
from scipy import stats as sps

from abtest.stats import (
    DegenerateWarning,
    QuantileResult,
    order_stat_ranks,
    order_stats,
    quantile_test,
    quantile_test_from_order_stats,
)

Z = sps.norm.isf(0.025)  # 1.959963984540054, the ranks' z


@pytest.mark.parametrize(
    ("n", "q", "ranks"),
    [
        # n q = 100, 1.96 sqrt(200 * .25) = 13.859: 86.14 -> 86, 113.86 -> 114
        (200, 0.5, (86, 114)),
        # n q = 180, 1.96 sqrt(18) = 8.315: 171.68 -> 172, 188.32 -> 188
        (200, 0.9, (172, 188)),
        # n q = 5, 1.96 sqrt(2.5) = 3.099: 1.90 -> 2, 8.10 -> 8
        (10, 0.5, (2, 8)),
        # n q = 9, 1.96 sqrt(0.9) = 1.859: 7.14 -> 7, 10.86 -> 11, clipped to n = 10
        (10, 0.9, (7, 10)),
        # n q = 0.2, 1.96 sqrt(0.18) = 0.832: -0.63 -> 1 (clipped), 1.03 -> 1
        (2, 0.1, (1, 1)),
    ],
)
def test_ranks_by_hand(n, q, ranks):
    lo, hi = order_stat_ranks(n, q)
    assert (int(lo), int(hi)) == ranks


def test_ranks_broadcast_over_n():
    lo, hi = order_stat_ranks([200, 10], 0.9)
    assert lo.tolist() == [172, 7] and hi.tolist() == [188, 10]


def test_small_arrays_by_hand():
    # a = 1..10, b = 2, 4, ..., 20 (shuffled): numpy's linear median of a is 5.5, of b 11.
    # n = 10, q = 0.5: ranks 2 and 8 (above), so lower/upper are 2 and 8 for a, 4 and 16
    # for b: se_a = 6 / (2 * 1.959964) = 1.530640, se_b = 12 / 3.919928 = 3.061280.
    a = np.array([7, 2, 9, 1, 10, 4, 3, 8, 6, 5], float)
    b = 2 * np.array([3, 8, 1, 10, 5, 2, 9, 4, 7, 6], float)
    r = quantile_test(a, b)
    assert isinstance(r, QuantileResult)
    assert (r.quantile_a, r.quantile_b, r.diff) == (5.5, 11.0, 5.5)
    assert r.se_a == pytest.approx(6 / (2 * Z), rel=1e-12)  # 1.530640
    assert r.se_b == pytest.approx(12 / (2 * Z), rel=1e-12)  # 3.061280
    se = math.hypot(6, 12) / (2 * Z)  # 3.422613
    assert r.statistic == pytest.approx(5.5 / se, rel=1e-12)  # 1.606960
    assert r.p_value == pytest.approx(0.108063, abs=1e-6)  # 2 * (1 - Phi(1.606960))
    assert r.diff_ci == pytest.approx((5.5 - Z * se, 5.5 + Z * se), rel=1e-12)
    # the z of the ranks cancels: 1.96 se = sqrt(6^2 + 12^2) / 2 = 6.708204
    assert r.diff_ci == pytest.approx((-1.208204, 12.208204), abs=1e-6)
    # lift = 11 / 5.5 - 1 = 1; delta method sqrt(se_b^2 / 5.5^2 + 11^2 se_a^2 / 5.5^4),
    # two equal terms (se_b = 2 se_a, q_b = 2 q_a): sqrt(2) 3.061280 / 5.5 = 0.787146
    assert r.lift == pytest.approx(1.0, rel=1e-12)
    assert r.lift_se == pytest.approx(0.787146, abs=1e-6)
    # Fieller: both ends r solve (11 - r 5.5)^2 = 1.96^2 (se_b^2 + r^2 se_a^2)
    for end in r.lift_ci:
        ratio = end + 1
        lhs = (11 - ratio * 5.5) ** 2
        assert lhs == pytest.approx(Z**2 * (r.se_b**2 + ratio**2 * r.se_a**2), rel=1e-9)
    assert r.lift_ci[0] < r.lift < r.lift_ci[1]


def test_order_stats_pick_the_sorted_values_at_the_ranks():
    # 5 values, q = 0.5: n q = 2.5, 1.96 sqrt(1.25) = 2.191: 0.31 -> 1 (clipped), 4.69 -> 5
    n, qv, lo, hi = order_stats([5.0, 1.0, 4.0, 2.0, 3.0], 0.5)
    assert (n, float(qv), float(lo), float(hi)) == (5, 3.0, 1.0, 5.0)


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9, 0.99])
@pytest.mark.parametrize("alternative", ["two-sided", "larger", "smaller"])
def test_order_stat_entry_equals_the_array_entry(q, alternative):
    rng = np.random.default_rng(7)
    a, b = rng.lognormal(0, 1, 500), 1.05 * rng.lognormal(0, 1, 437)
    got = quantile_test(a, b, q=q, alternative=alternative)
    args = []
    for x in (a, b):
        lo, hi = order_stat_ranks(x.size, q)
        s = np.sort(x)
        args += [x.size, np.quantile(x, q), s[lo - 1], s[hi - 1]]
    want = quantile_test_from_order_stats(*args, q=q, alternative=alternative)
    assert got.to_dict() == want.to_dict()  # exactly, field by field


def test_rows_of_a_2d_array_are_separate_experiments():
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(size=(4, 300)), rng.lognormal(size=(4, 250))
    batch = quantile_test(a, b, q=0.9, alternative="larger")
    for i in range(4):
        one = quantile_test(a[i], b[i], q=0.9, alternative="larger")
        for field in ("quantile_a", "statistic", "p_value", "lift", "lift_se"):
            assert getattr(batch, field)[i] == getattr(one, field)
        assert batch.diff_ci[0][i] == one.diff_ci[0] and batch.lift_ci[0][i] == one.lift_ci[0]


# GrowthBook gbstats (github.com/growthbook/growthbook, packages/stats, commit 8f1db445,
# 2026-08-21), run on these order statistics: QuantileStatistic(n, n_star=n, nu,
# quantile_hat, quantile_lower, quantile_upper) in TwoSidedTTest /
# OneSidedTreatmentGreaterTTest, difference_type "absolute" and "relative". The first
# case is gbstats' own fixture (tests/test_shared_models.py, nu = 0.9).
GBSTATS = [
    {
        "args": (11054, 7.157987489967789, 7.098780136176828, 7.217194843758751,
                 10861, 7.694499927525767, 7.64180598628119, 7.747193868770344),
        "q": 0.9,
        "diff": 0.5365124375579775,
        "diff_sd": 0.040437721953872775,
        "diff_ci": (0.45725153061125173, 0.6157733445047033),
        "diff_ci_larger": 0.46999545956229855,
        "lift": 0.07495297222996289,
        "lift_sd": 0.005889349954281477,
        "lift_ci": (0.06340941348955016, 0.08649653097037562),
        "p_value": 0.0,
    },
    {
        "args": (1000, 10.0, 9.5, 10.6, 1200, 10.5, 10.0, 11.2),
        "q": 0.5,
        "diff": 0.5,
        "diff_sd": 0.41509478706132397,
        "diff_ci": (-0.31401908918798704, 1.314019089187987),
        "diff_ci_larger": -0.18305805853717616,
        "lift": 0.05,
        "lift_sd": 0.042469646651942985,
        "lift_ci": (-0.033284840386691994, 0.133284840386692),
        "p_value": 0.22850901258370238,
    },
]  # fmt: skip


@pytest.mark.parametrize("case", GBSTATS)
def test_matches_gbstats(case):
    n_a, n_b = case["args"][0], case["args"][4]
    r = quantile_test_from_order_stats(*case["args"], q=case["q"])
    assert r.diff == pytest.approx(case["diff"], rel=1e-12)
    assert r.lift == pytest.approx(case["lift"], rel=1e-12)
    # gbstats' variance is ours times (n - 1) / n: with that factor the standard errors
    # are the same to rounding, so the order-statistic se formula is gbstats'
    gb = lambda n, se: (n - 1) / n * se**2  # noqa: E731
    diff_sd = math.sqrt(gb(n_a, r.se_a) + gb(n_b, r.se_b))
    assert diff_sd == pytest.approx(case["diff_sd"], rel=1e-12)
    lift_sd = math.sqrt(gb(n_b, r.se_b) / r.quantile_a**2
                        + r.quantile_b**2 * gb(n_a, r.se_a) / r.quantile_a**4)  # fmt: skip
    assert lift_sd == pytest.approx(case["lift_sd"], rel=1e-12)
    # without the factor and on the normal instead of t(Welch df, over 2,000 here), the
    # intervals and p-value agree to 1e-3 relative (a wrong z or se would be 10x off)
    assert r.lift_se == pytest.approx(case["lift_sd"], rel=1e-3)
    assert r.diff_ci == pytest.approx(case["diff_ci"], rel=1e-3)
    larger = quantile_test_from_order_stats(*case["args"], q=case["q"], alternative="larger")
    assert larger.diff_ci[0] == pytest.approx(case["diff_ci_larger"], rel=1e-3)
    delta = (r.lift - Z * r.lift_se, r.lift + Z * r.lift_se)  # gbstats' relative CI
    assert delta == pytest.approx(case["lift_ci"], rel=1e-3)
    assert r.p_value == pytest.approx(case["p_value"], abs=1e-3)


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_p_value_and_both_intervals_agree(alpha):
    rng = np.random.default_rng(11)
    a = rng.lognormal(0, 1, (400, 300))
    b = rng.lognormal(0, 1, (400, 300)) * rng.uniform(0.85, 1.2, (400, 1))
    two = quantile_test(a, b, q=0.9, alpha=alpha)
    up = quantile_test(a, b, q=0.9, alpha=alpha, alternative="greater")  # alias of larger
    down = quantile_test(a, b, q=0.9, alpha=alpha, alternative="less")
    assert up.alternative == "larger" and down.alternative == "smaller"
    reject = two.p_value < alpha
    assert 0 < reject.mean() < 1  # both outcomes occur
    assert np.array_equal(reject, (two.diff_ci[0] > 0) | (two.diff_ci[1] < 0))
    assert np.array_equal(reject, (two.lift_ci[0] > 0) | (two.lift_ci[1] < 0))
    assert np.array_equal(up.p_value < alpha, up.diff_ci[0] > 0)
    assert np.array_equal(up.p_value < alpha, up.lift_ci[0] > 0)
    assert np.all(np.isinf(up.diff_ci[1])) and np.all(np.isinf(up.lift_ci[1]))
    assert np.array_equal(down.p_value < alpha, down.diff_ci[1] < 0)
    assert np.array_equal(down.p_value < alpha, down.lift_ci[1] < 0)
    assert np.all(down.lift_ci[0] == -1.0)  # a lift's floor, -100%
    np.testing.assert_allclose(up.p_value + down.p_value, 1, rtol=1e-12)
    np.testing.assert_allclose(two.p_value, 2 * np.minimum(up.p_value, down.p_value), rtol=1e-12)


def test_zero_control_quantile_gives_nan_lift_with_a_warning():
    a = [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0]  # median 0
    b = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    with pytest.warns(DegenerateWarning, match="control quantile is 0"):
        r = quantile_test(a, b)
    assert r.diff == 4.0 and np.isfinite(r.p_value)
    assert np.isnan(r.lift) and np.isnan(r.lift_se) and all(np.isnan(r.lift_ci))


def test_no_spread_in_either_arm_gives_nan_with_a_warning():
    with pytest.warns(DegenerateWarning, match="no test is possible"):
        r = quantile_test([3.0] * 20, [3.0] * 20 + [4.0])
    assert np.isnan(r.statistic) and np.isnan(r.p_value) and all(np.isnan(r.diff_ci))
    assert all(np.isnan(r.lift_ci))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"q": 0}, "q"),
        ({"q": 1.0}, "q"),
        ({"q": 1.5}, "q"),
        ({"q": float("nan")}, "q"),
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.2}, "alpha"),
        ({"alternative": "bigger"}, "alternative"),
        ({"values_a": [1.0]}, "values_a"),
        ({"values_b": [1.0, float("nan"), 2.0]}, "values_b"),
        ({"values_a": []}, "values_a"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    args = {"values_a": [1.0, 2.0, 3.0], "values_b": [2.0, 3.0, 4.0], **kwargs}
    a, b = args.pop("values_a"), args.pop("values_b")
    with pytest.raises(ValueError, match=name):
        quantile_test(a, b, **args)


def test_bad_order_statistics_name_the_argument():
    ok = (100, 1.0, 0.9, 1.1, 100, 1.2, 1.1, 1.3)
    with pytest.raises(ValueError, match="lower_a"):
        quantile_test_from_order_stats(100, 1.0, 1.2, 1.1, *ok[4:])
    with pytest.raises(ValueError, match="n_b"):
        quantile_test_from_order_stats(*ok[:4], 1, 1.2, 1.1, 1.3)
    with pytest.raises(ValueError, match="n_a"):
        quantile_test_from_order_stats(10.5, *ok[1:])
    with pytest.raises(ValueError, match="n"):
        order_stat_ranks(1, 0.5)


@pytest.mark.parametrize(("q", "zero_share"), [(0.9, 0.0), (0.5, 0.3)])
def test_intervals_cover_at_the_nominal_rate(q, zero_share):
    # A reduced benchmarks/bench_quantile_calibration.py: 2,000 seeded experiments of
    # 200 units per arm, treatment values x 1.1 (every quantile x 1.1). The tolerance is
    # 4 binomial standard errors, 4 sqrt(.95 * .05 / 2000) = 0.0195 (at n = 200 the
    # intervals are a little conservative, 95.1-95.3% in 20,000 experiments, and this
    # seed's lift coverage of the zero-inflated median is 96.55%): an se off by 19% (a z
    # of 1.645 instead of 1.96 in it) covers 98% or 90% and fails, half the se 68%.
    rng = np.random.default_rng(2026)
    e, n = 2000, 200
    a = rng.lognormal(0, 1, (e, n))
    b = 1.1 * rng.lognormal(0, 1, (e, n))
    for x in (a, b):
        x[rng.random((e, n)) < zero_share] = 0.0
    truth = np.exp(sps.norm.ppf((q - zero_share) / (1 - zero_share)))  # control quantile
    r = quantile_test(a, b, q=q)
    tol = 4 * math.sqrt(0.95 * 0.05 / e)
    coverage = np.mean((r.diff_ci[0] <= 0.1 * truth) & (0.1 * truth <= r.diff_ci[1]))
    assert abs(coverage - 0.95) < tol
    coverage = np.mean((r.lift_ci[0] <= 0.1) & (0.1 <= r.lift_ci[1]))
    assert abs(coverage - 0.95) < tol
    # A/A: a second control arm; the false-positive rate at 5% within the same tolerance
    c = rng.lognormal(0, 1, (e, n))
    c[rng.random((e, n)) < zero_share] = 0.0
    assert abs(np.mean(quantile_test(a, c, q=q).p_value < 0.05) - 0.05) < tol


def test_too_few_values_for_the_quantile_give_nan_not_a_verdict():
    # seeded A/A simulations (lognormal values, 1,000 pairs per cell): below min_values the
    # rank interval is clipped at the sample's end and the 5% test rejected 20-43% (p90 at
    # 5-10 values per arm, p25 at 13). Below the bound the test is NaN with a warning; at it
    # the upper quantiles hold 5% (within 3 standard errors), the lower ones reject 6-9%
    # there and 4-7% at twice the bound (docstring of min_values)
    from abtest.stats.quantiles import min_values

    rng = np.random.default_rng(2026)
    limit = 0.05 + 3 * np.sqrt(0.05 * 0.95 / 1000)
    for q in (0.1, 0.25, 0.5, 0.9, 0.95):
        need = min_values(q)
        a, b = rng.lognormal(3, 1, (1000, need)), rng.lognormal(3, 1, (1000, need))
        p = quantile_test(a, b, q=q).p_value
        assert np.all(np.isfinite(p)) and (p < 0.05).mean() < (limit if q > 0.5 else 0.12)
        if q <= 0.5:
            a, b = rng.lognormal(3, 1, (1000, 2 * need)), rng.lognormal(3, 1, (1000, 2 * need))
            assert (quantile_test(a, b, q=q).p_value < 0.05).mean() < 0.085
        with pytest.warns(DegenerateWarning, match=f"it needs {need} per arm"):
            r = quantile_test(a[:, : need - 1], b[:, : need - 1], q=q)
        assert np.all(np.isnan(r.p_value)) and np.all(np.isnan(r.diff_ci[0]))
    # the bound: z^2 max(q / (1 - q), (1 - q) / q), z = 1.959964, or where the rounded
    # ranks stop being clipped if later (the median, 6; the 10th percentile, 45)
    assert [min_values(q) for q in (0.1, 0.25, 0.5, 0.75, 0.9, 0.95)] == [45, 16, 6, 12, 35, 73]
