"""srm_test against R chisq.test goodness of fit; multi-arm correction against statsmodels."""

import json
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from abtest.stats import (
    adjust_p_values,
    compare_means,
    compare_proportions,
    proportion_test,
    srm_test,
    welch_test,
)

R = json.loads((Path(__file__).parents[1] / "references" / "frequentist_r.json").read_text())


@pytest.mark.parametrize(
    "ref", [e for e in R["chisq_test"] if e["kind"] == "goodness_of_fit"], ids=lambda r: r["call"]
)
def test_srm_matches_r(ref):
    r = srm_test(ref["observed"], ref["p"])
    assert r.statistic == pytest.approx(ref["statistic"], rel=1e-10)
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-8)
    assert r.df == ref["df"]
    assert bool(r.mismatch) == (ref["p_value"] < 0.001)


def test_srm_batched_and_weights_checked():
    # Issue 21: weights not summing to 1 are refused, no longer normalised ([1, 1] was
    # accepted as 50/50 before; the expected counts below are unchanged).
    r = srm_test([[50123, 49877], [10000, 10600]], [0.5, 0.5])  # p = 0.437 and 2.9e-5
    assert r.mismatch.tolist() == [False, True]
    with pytest.raises(ValueError, match=r"weights sum to 2, not 1"):
        srm_test([[50123, 49877], [10000, 10600]], [1, 1])
    with pytest.raises(ValueError, match="observed has 3 variants but weights has 2"):
        srm_test([1, 2, 3], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"weights\[1\] = 0.0: must be greater than 0"):
        srm_test([1, 2], [1, 0])


@pytest.mark.parametrize("correction", ["holm", "bonferroni", "bh"])
def test_compare_proportions_corrections(correction):
    x, n = [50, 60, 45, 80], [1000, 1100, 900, 1000]
    r = compare_proportions(x, n, correction=correction)
    raw = proportion_test(50, 1000, np.array(x[1:]), np.array(n[1:])).p_value
    method = {"bh": "fdr_bh"}.get(correction, correction)
    np.testing.assert_allclose(r.p_value, raw, rtol=1e-14)
    np.testing.assert_allclose(r.p_adjusted, multipletests(raw, method=method)[1], rtol=1e-14)
    assert r.significant.tolist() == (r.p_adjusted < 0.05).tolist()
    # the omnibus is R's chisq.test on the 4 x 2 table (frequentist_r.json)
    assert r.omnibus_statistic == pytest.approx(11.148186107921633, rel=1e-10)
    ci_alpha = 0.05 if correction == "bh" else 0.05 / 3
    assert r.ci_alpha == pytest.approx(ci_alpha)
    single = proportion_test(50, 1000, 80, 1000, alpha=ci_alpha)
    assert r.comparison.diff_ci[0][2] == pytest.approx(single.diff_ci[0], rel=1e-12)


def test_compare_with_other_control():
    r = compare_proportions([120, 100, 140], [1000] * 3, control=1)
    assert r.treatment.tolist() == [0, 2]
    assert r.comparison.diff.tolist() == pytest.approx([0.02, 0.04])


def test_compare_means_welch():
    rng = np.random.default_rng(5)
    arms = [rng.normal(10 + d, 3, 400) for d in (0, 0.2, 0.8)]
    n = np.array([a.size for a in arms])
    s = np.array([a.sum() for a in arms])
    ss = np.array([(a**2).sum() for a in arms])
    r = compare_means(n, s, ss)
    one = welch_test(
        400,
        arms[0].mean(),
        arms[0].var(ddof=1),
        400,
        arms[2].mean(),
        arms[2].var(ddof=1),
        alpha=0.025,
    )
    assert r.p_value[1] == pytest.approx(one.p_value, rel=1e-9)
    assert r.comparison.diff_ci[1][1] == pytest.approx(one.diff_ci[1], rel=1e-9)
    assert 0 < r.omnibus_p_value < 1


def test_welch_anova_matches_r_oneway():
    # R: oneway.test(y ~ g, var.equal=FALSE) with
    # y = c(12.1,9.8,11.4,10.2,13.3, 13.2,11.9,12.4,14.1,10.8,12.9, 8,9,7.5,8.8)
    # g = factor(rep(1:3, c(5,6,4)))  ->  F = 26.506683189423, num df = 2,
    # denom df = 7.73238470171452, p-value = 0.000345919562252476 (R 4.2.2)
    groups = [[12.1, 9.8, 11.4, 10.2, 13.3], [13.2, 11.9, 12.4, 14.1, 10.8, 12.9], [8, 9, 7.5, 8.8]]
    n = np.array([len(g) for g in groups], dtype=float)
    s = np.array([sum(g) for g in groups])
    ss = np.array([sum(x * x for x in g) for g in groups])
    r = compare_means(n, s, ss)
    assert r.omnibus_statistic == pytest.approx(26.506683189423, rel=1e-10)
    assert r.omnibus_p_value == pytest.approx(0.000345919562252476, rel=1e-8)


def test_holm_equals_statsmodels_on_random_families():
    # abtest writes Holm out (statsmodels' runs gc.collect() per call); it must agree,
    # ties, p-values near 1 and single tests included
    rng = np.random.default_rng(3)
    for m in (2, 3, 5, 12, 40):
        for _ in range(4):  # few: each statsmodels Holm call runs a full gc.collect()
            p = rng.uniform(0, 1, m) ** rng.uniform(0.5, 4)
            p[rng.integers(0, m)] = p[0]  # a tie
            ref = multipletests(p, method="holm")[1]
            np.testing.assert_allclose(adjust_p_values(p, "holm"), ref, rtol=1e-15, atol=0)


def test_adjust_p_values():
    assert adjust_p_values([0.01, 0.04, 0.03], "none").tolist() == [0.01, 0.04, 0.03]
    with pytest.raises(ValueError, match="correction='sidak' is not one of"):
        adjust_p_values([0.1], "sidak")
    with pytest.raises(ValueError, match="control=5 is not an arm index"):
        compare_proportions([1, 2], [10, 10], control=5)


def test_srm_weight_tolerance_is_the_registry_one():
    # A registry that passes `abtest validate` (|sum - 1| <= its WEIGHT_TOLERANCE) must
    # never fail srm_test or plan_proportions: stats holds the same number (it cannot
    # import the registry, which imports stats).
    from abtest.registry.checks import WEIGHT_TOLERANCE
    from abtest.stats import _check, plan_proportions

    assert _check.WEIGHT_SUM_TOLERANCE == WEIGHT_TOLERANCE
    thirds = [1 / 3] * 3  # sums to 1 only to rounding
    assert srm_test([100, 100, 100], thirds).p_value == pytest.approx(1.0)
    edge = [0.5, 0.5 + 0.9 * WEIGHT_TOLERANCE]
    r = srm_test([1000, 1100], edge)
    # R: chisq.test(c(1000, 1100), p = c(0.5, 0.5)) X-squared = 100^2 / 2100 = 4.7619 (the
    # tiny excess is normalised away once accepted, moving it by 4e-8)
    assert r.statistic == pytest.approx(4.761904761904762, rel=1e-6)
    assert plan_proportions(0.05, 0.1, weights=edge).n_per_variant == (31234, 31234)
    with pytest.raises(ValueError, match=r"weights sum to 1\.000000002"):
        srm_test([1000, 1100], [0.5, 0.5 + 2 * WEIGHT_TOLERANCE])


def test_adjust_p_values_nan_policy():
    p = [0.04, float("nan"), 0.01, 0.03]
    with pytest.raises(ValueError, match=r"p_values\[1\] = nan"):
        adjust_p_values(p, "holm")
    # "omit": the NaN stays NaN and the others are adjusted as a family of three
    out = adjust_p_values(p, "holm", nan_policy="omit")
    assert np.isnan(out[1])
    ref = multipletests([0.04, 0.01, 0.03], method="holm")[1]
    np.testing.assert_allclose(out[[0, 2, 3]], ref, rtol=1e-15)
    # bounds are checked under "omit" too; the ends 0 and 1 are p-values
    with pytest.raises(ValueError, match=r"p_values\[0\] = 1.5: a p-value must be in \[0, 1\]"):
        adjust_p_values([1.5, float("nan")], nan_policy="omit")
    assert adjust_p_values([0.0, 1.0], "bonferroni").tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="nan_policy='propagate' is not one of"):
        adjust_p_values([0.1], nan_policy="propagate")


@pytest.mark.filterwarnings("ignore::abtest.stats.DegenerateWarning")
def test_degenerate_arm_is_left_out_of_the_family():
    # arm 1 converts at 0% like the control: its comparison is NaN (warned) and the
    # correction covers the one remaining comparison, as before nan_policy existed
    r = compare_proportions([0, 0, 20], [100, 100, 100])
    assert np.isnan(r.p_adjusted[0])
    assert r.p_adjusted[1] == pytest.approx(r.p_value[1], rel=1e-15)


def test_control_is_an_index_from_zero():
    r = compare_proportions([120, 100, 140], [1000] * 3, control=np.int64(2))
    assert r.control == 2 and r.treatment.tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"control=True is not an arm index"):
        compare_proportions([120, 100], [1000] * 2, control=True)
