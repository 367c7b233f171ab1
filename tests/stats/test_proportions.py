"""proportion_test and chi2_omnibus against R (prop.test, fisher.test, chisq.test),
statsmodels and published analyses of public datasets."""

import json
from pathlib import Path

import numpy as np
import pytest
from statsmodels.stats.proportion import proportions_ztest

from abtest.stats import DegenerateWarning, chi2_omnibus, proportion_test

R = json.loads((Path(__file__).parents[1] / "references" / "frequentist_r.json").read_text())
ALT = {"two.sided": "two-sided", "greater": "smaller", "less": "larger"}
# R's prop.test(c(x1, x2), ...) tests p1 - p2 with alternative "greater" meaning p1 > p2;
# our arm a is x1 and b is x2, and "larger" means rate_b > rate_a, i.e. R's "less".


@pytest.mark.filterwarnings("ignore::abtest.stats.DegenerateWarning")  # the 0/30 control
@pytest.mark.parametrize("ref", R["prop_test"], ids=lambda r: r["call"])
def test_prop_test_matches_r(ref):
    r = proportion_test(
        ref["x1"],
        ref["n1"],
        ref["x2"],
        ref["n2"],
        alternative=ALT[ref["alternative"]],
        continuity=ref["correct"],
    )
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-8, abs=1e-14)
    assert r.statistic**2 == pytest.approx(ref["statistic"], rel=1e-8, abs=1e-12)
    # R's interval is for p1 - p2 = -(diff): negate and swap.
    assert r.diff_ci[0] == pytest.approx(-ref["conf_high"], rel=1e-8, abs=1e-12)
    assert r.diff_ci[1] == pytest.approx(-ref["conf_low"], rel=1e-8, abs=1e-12)
    assert r.mean_a == pytest.approx(ref["estimate1"], rel=1e-12)


@pytest.mark.filterwarnings("ignore::abtest.stats.DegenerateWarning")
@pytest.mark.parametrize(
    "ref", [e for e in R["chisq_test"] if e["kind"] == "2x2"], ids=lambda r: r["call"]
)
def test_chi2_matches_r_chisq_test(ref):
    r = proportion_test(
        ref["x1"], ref["n1"], ref["x2"], ref["n2"], test="chi2", continuity=ref["correct"]
    )
    assert r.statistic == pytest.approx(ref["statistic"], rel=1e-8, abs=1e-12)
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-8, abs=1e-14)


@pytest.mark.filterwarnings("ignore::abtest.stats.DegenerateWarning")
@pytest.mark.parametrize("ref", R["fisher_test"], ids=lambda r: r["call"])
def test_fisher_matches_r(ref):
    # fisher.test(matrix(c(x1, n1-x1, x2, n2-x2), byrow=TRUE)): "greater" = odds of row 1 higher
    r = proportion_test(
        ref["x1"],
        ref["n1"],
        ref["x2"],
        ref["n2"],
        test="fisher",
        alternative=ALT[ref["alternative"]],
    )
    assert r.p_value == pytest.approx(ref["p_value"], rel=1e-7, abs=1e-14)


def test_vectorized_equals_elementwise():
    rng = np.random.default_rng(7)
    n_a = rng.integers(100, 10_000, 50)
    n_b = rng.integers(100, 10_000, 50)
    x_a = rng.binomial(n_a, 0.1)
    x_b = rng.binomial(n_b, 0.12)
    batch = proportion_test(x_a, n_a, x_b, n_b, continuity=True)
    for i in (0, 17, 49):
        one = proportion_test(x_a[i], n_a[i], x_b[i], n_b[i], continuity=True)
        assert batch.p_value[i] == one.p_value
        assert batch.lift_ci[0][i] == one.lift_ci[0]


def test_z_matches_statsmodels():
    rng = np.random.default_rng(1)
    n = rng.integers(1_000, 100_000, (20, 2))
    x = rng.binomial(n, 0.05)
    r = proportion_test(x[:, 0], n[:, 0], x[:, 1], n[:, 1])
    for i in range(20):
        z, p = proportions_ztest(x[i, ::-1], n[i, ::-1])
        assert r.statistic[i] == pytest.approx(z, rel=1e-10)
        assert r.p_value[i] == pytest.approx(p, rel=1e-10)


def test_public_datasets():
    # Udacity landing-page test (published analysis): two-sided p = 0.18988.
    r = proportion_test(17489, 145274, 17264, 145310)
    assert r.p_value == pytest.approx(0.18988, abs=5e-6)
    # Cookie Cats, 7-day retention gate_30 vs gate_40: p = 0.0015542.
    r = proportion_test(8502, 44700, 8279, 45489)
    assert r.p_value == pytest.approx(0.0015542, abs=5e-8)
    assert r.diff < 0


def test_relative_lift_delta_method():
    # Hand formula (gbstats frequentist_variance, relative=True):
    # var = pb(1-pb)/(pa^2 nb) + pa(1-pa) pb^2/(pa^4 na)
    pa, pb, na, nb = 0.10, 0.12, 1000, 1000
    r = proportion_test(100, na, 120, nb)
    se = np.sqrt(pb * (1 - pb) / (pa**2 * nb) + pa * (1 - pa) * pb**2 / (pa**4 * na))
    assert r.lift == pytest.approx(0.2, rel=1e-12)
    assert r.lift_ci[0] == pytest.approx(0.2 - 1.959963984540054 * se, rel=1e-10)
    assert r.lift_ci[1] == pytest.approx(0.2 + 1.959963984540054 * se, rel=1e-10)
    # It is wider than the absolute interval divided by the control rate.
    assert r.lift_ci[1] - r.lift_ci[0] > (r.diff_ci[1] - r.diff_ci[0]) / pa


def test_one_sided_intervals_are_open():
    r = proportion_test(100, 1000, 130, 1000, alternative="larger")
    assert r.diff_ci[1] == 1.0 and r.lift_ci[1] == np.inf
    assert r.diff_ci[0] > 0  # p = 0.02 one-sided: interval excludes 0
    r = proportion_test(100, 1000, 130, 1000, alternative="smaller")
    assert r.diff_ci[0] == -1.0 and r.p_value > 0.95


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((11, 10, 5, 10), r"conv_a = 11.0 exceeds n_a = 10.0"),
        ((-1, 10, 5, 10), r"conv_a = -1.0: a count cannot be negative"),
        ((1.5, 10, 5, 10), r"conv_a = 1.5: a count must be a whole number"),
        ((1, 10, 5, 0), r"n_b = 0.0: an arm needs at least one unit"),
        (([1, 2, 30], [10, 10, 10], 5, 10), r"conv_a\[2\] = 30.0 exceeds n_a\[2\] = 10.0"),
        (([1, np.nan], 10, 5, 10), r"conv_a\[1\] = nan: must be a finite number"),
        (("x", 10, 5, 10), r"conv_a must be numeric"),
    ],
)
def test_bad_input_names_argument_and_index(args, message):
    with pytest.raises(ValueError, match=message):
        proportion_test(*args)


def test_bad_options():
    with pytest.raises(ValueError, match="test='t' is not one of"):
        proportion_test(1, 10, 2, 10, test="t")
    with pytest.raises(ValueError, match="alternative='bigger' is not one of"):
        proportion_test(1, 10, 2, 10, alternative="bigger")
    # scipy's spelling is an alias (#20): "greater" is "larger", the same test of b > a
    assert proportion_test(1, 10, 4, 10, alternative="greater") == proportion_test(
        1, 10, 4, 10, alternative="larger"
    )
    with pytest.raises(ValueError, match=r"alpha = 1\.5"):
        proportion_test(1, 10, 2, 10, alpha=1.5)


def test_degenerate_cases_warn_not_silent():
    with pytest.warns(DegenerateWarning, match="both arms convert at 0%"):
        with pytest.warns(DegenerateWarning, match="control mean is 0"):
            r = proportion_test(0, 100, 0, 100)
    assert np.isnan(r.p_value)
    with pytest.warns(DegenerateWarning, match=r"control mean is 0 at index 1"):
        r = proportion_test([5, 0], [100, 100], [7, 3], [100, 100])
    assert np.isnan(r.lift[1]) and np.isfinite(r.lift[0])
    assert np.isfinite(r.p_value).all()


@pytest.mark.parametrize(
    "ref", [e for e in R["chisq_test"] if e["kind"] == "omnibus"], ids=lambda r: r["call"]
)
def test_omnibus_matches_r(ref):
    stat, p, df = chi2_omnibus(ref["conversions"], ref["n"])
    assert stat == pytest.approx(ref["statistic"], rel=1e-10)
    assert p == pytest.approx(ref["p_value"], rel=1e-8)
    assert df == ref["df"]


def test_omnibus_batched():
    x = np.array([[100, 120, 140], [50, 50, 51]])
    n = np.full_like(x, 1000)
    stat, _p, _ = chi2_omnibus(x, n)
    assert stat.shape == (2,)
    assert stat[0] == pytest.approx(chi2_omnibus(x[0], n[0])[0], rel=1e-12)


def test_counts_up_to_2_53_are_taken_exactly():
    # 2**53 is the largest count float64 holds with every integer below it; the test
    # runs there (equal rates, z = 0) and refuses one more (see tests/hostile)
    big = 2**53
    r = proportion_test(big // 4, big, big // 4, big)
    assert r.p_value == 1.0 and r.mean_a == 0.25
    with pytest.raises(ValueError, match=r"n_a = 9007199254740993: a count above 2\*\*53"):
        proportion_test(1, big + 1, 1, 10)
