"""Planning against R power.prop.test and power.t.test (tol=1e-12, see frequentist.R)."""

import json
from pathlib import Path

import numpy as np
import pytest

from abtest.stats import (
    duration_days,
    mde_proportions,
    plan_proportions,
    power_means,
    power_proportions,
    proportion_test,
    sample_size_means,
    sample_size_proportions,
)
from abtest.stats.power import _sample_size_means_exact, _sample_size_proportions_exact

R = json.loads((Path(__file__).parents[1] / "references" / "frequentist_r.json").read_text())
ALT = {"two.sided": "two-sided", "one.sided": "larger"}


def _cases(section, solve_for):
    return [e for e in R[section] if e["solve_for"] == solve_for]


@pytest.mark.parametrize("ref", _cases("power_prop_test", "n"), ids=lambda r: r["call"])
def test_sample_size_proportions_matches_r(ref):
    args = (ref["p1"], ref["p2"], ref["sig_level"], ref["power"], ALT[ref["alternative"]], 1.0)
    assert _sample_size_proportions_exact(*args) == pytest.approx(ref["n"], rel=1e-9)
    assert sample_size_proportions(
        ref["p1"],
        ref["p2"],
        alpha=ref["sig_level"],
        power=ref["power"],
        alternative=ALT[ref["alternative"]],
    ) == int(np.ceil(ref["n"]))


@pytest.mark.parametrize("ref", _cases("power_prop_test", "power"), ids=lambda r: r["call"])
def test_power_proportions_matches_r(ref):
    got = power_proportions(
        ref["p1"], ref["p2"], ref["n"], alpha=ref["sig_level"], alternative=ALT[ref["alternative"]]
    )
    assert got == pytest.approx(ref["power"], rel=1e-10)


@pytest.mark.parametrize("ref", _cases("power_prop_test", "p2"), ids=lambda r: r["call"])
def test_mde_matches_r(ref):
    alt = ALT[ref["alternative"]]
    absolute = mde_proportions(ref["p1"], ref["n"], relative=False, alternative=alt)
    assert ref["p1"] + absolute == pytest.approx(ref["p2"], rel=1e-9)
    relative = mde_proportions(ref["p1"], ref["n"], alternative=alt)
    assert relative == pytest.approx(ref["p2"] / ref["p1"] - 1, rel=1e-8)


@pytest.mark.parametrize("ref", _cases("power_t_test", "n"), ids=lambda r: r["call"])
def test_sample_size_means_matches_r(ref):
    alt = ALT[ref["alternative"]]
    exact = _sample_size_means_exact(ref["delta"], ref["sd"], ref["sig_level"], ref["power"], alt)
    assert exact == pytest.approx(ref["n"], rel=1e-8)
    assert sample_size_means(
        ref["delta"], ref["sd"], alpha=ref["sig_level"], power=ref["power"], alternative=alt
    ) == int(np.ceil(ref["n"]))


@pytest.mark.parametrize("ref", _cases("power_t_test", "power"), ids=lambda r: r["call"])
def test_power_means_matches_r(ref):
    got = power_means(ref["delta"], ref["sd"], ref["n"], alternative=ALT[ref["alternative"]])
    assert got == pytest.approx(ref["power"], rel=1e-9)


@pytest.mark.parametrize(
    ("p2", "n", "alpha", "power", "p1"),
    [
        # R 4.2.2: power.prop.test(n=, p2=, power=, sig.level=, alternative="one.sided",
        # tol=1e-12)$p1 -- R solves for p1 below p2, i.e. the detectable decrease
        (0.05, 31234, 0.05, 0.8, 0.045752007947008067),
        (0.2, 5000, 0.01, 0.9, 0.17193133437913927),
    ],
)
def test_mde_of_a_decrease_matches_r(p2, n, alpha, power, p1):
    rel = mde_proportions(p2, n, alpha=alpha, power=power, alternative="smaller")
    assert p2 * (1 + rel) == pytest.approx(p1, rel=1e-9)


def test_vectorized_planning():
    n = sample_size_proportions([0.05, 0.10], [0.055, 0.12])
    assert n.tolist() == [sample_size_proportions(0.05, 0.055), sample_size_proportions(0.10, 0.12)]
    mde = mde_proportions(np.array([0.05, 0.1]), 31234)
    assert mde.shape == (2,)


def test_unequal_allocation_reaches_power():
    # With ratio r the control needs n_a and the treatment r * n_a; plugging those sizes
    # back into the power formula gives the target power (self-consistency), and the
    # total is larger than with an even split (an even split minimises the total).
    n_a = _sample_size_proportions_exact(0.1, 0.12, 0.05, 0.8, "two-sided", 3.0)
    assert power_proportions(0.1, 0.12, n_a, ratio=3.0) == pytest.approx(0.8, rel=1e-10)
    even = _sample_size_proportions_exact(0.1, 0.12, 0.05, 0.8, "two-sided", 1.0)
    assert n_a * 4 > even * 2


def test_unequal_allocation_by_simulation():
    # Power of the planned design by simulation of the z-test: 20,000 seeded experiments.
    rng = np.random.default_rng(11)
    n_a = int(sample_size_proportions(0.1, 0.12, ratio=2.0))
    xa = rng.binomial(n_a, 0.10, 20_000)
    xb = rng.binomial(2 * n_a, 0.12, 20_000)
    power = np.mean(proportion_test(xa, n_a, xb, 2 * n_a).p_value < 0.05)
    assert power == pytest.approx(0.8, abs=0.012)  # 4 standard errors of 0.0028


def test_plan_multi_arm_bonferroni():
    p = plan_proportions(0.05, 0.10, variants=3, daily_units=4000)
    assert p.alpha_per_comparison == pytest.approx(0.025)
    # R: ceiling(power.prop.test(p1=0.05, p2=0.055, power=0.8, sig.level=0.025)$n) = 37824
    assert p.n_per_variant == (37824,) * 3
    assert p.n_per_variant[0] == sample_size_proportions(0.05, 0.055, alpha=0.025)
    assert p.days == 29  # ceil(113472 / 4000)


def test_plan_unequal_weights():
    p = plan_proportions(0.05, 0.10, weights=[0.5, 0.25, 0.25], variants=3)
    n_c = _sample_size_proportions_exact(0.05, 0.055, 0.025, 0.8, "two-sided", 0.5)
    assert p.n_per_variant[0] == int(np.ceil(n_c))
    assert p.n_per_variant[1] == int(np.ceil(n_c / 2))


def test_duration():
    assert duration_days(62468, 4000) == 16
    assert duration_days(62468, 4000, allocation=0.5) == 32
    with pytest.raises(ValueError, match="allocation = 0"):
        duration_days(100, 10, allocation=0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sample_size_proportions(0.05, 0.05), r"p_b = 0.05: equals p_a"),
        (lambda: sample_size_proportions(0, 0.05), r"p_a = 0.0: must be a rate strictly"),
        (lambda: sample_size_proportions([0.1, 1.2], 0.05), r"p_a\[1\] = 1.2"),
        (lambda: sample_size_proportions(0.1, 0.2, power=1.0), r"power = 1.0"),
        (lambda: mde_proportions(0.5, 3), r"n_per_arm = 3.0: too few units"),
        (lambda: sample_size_means(0, 1), r"delta = 0.0: a zero difference"),
        (lambda: plan_proportions(0.5, 1.5), r"outside \(0, 1\)"),
        (lambda: plan_proportions(0.05, 0.1, variants=1), r"variants = 1"),
    ],
)
def test_planning_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sample_size_means_huge_effect_is_two():
    # power at n = 2 per arm already exceeds 80% for delta/sd = 6: no root above 2.
    assert power_means(6, 1, 2) > 0.8
    assert sample_size_means(6, 1) == 2
    assert sample_size_means([1, 6], [2, 1]).tolist() == [64, 2]


def test_plan_traffic_arguments():
    # no daily_units: no duration, but the allocation is still a share in (0, 1]
    assert plan_proportions(0.05, 0.10).days is None
    with pytest.raises(ValueError, match=r"allocation = 0: must be a share in \(0, 1\]"):
        plan_proportions(0.05, 0.10, allocation=0)
    # ceil(62468 / (4000 * 0.5)) = 32 days (the 31,234 per arm of R power.prop.test)
    p = plan_proportions(0.05, 0.10, daily_units=4000, allocation=0.5)
    assert (p.days, p.daily_units, p.allocation) == (32, 4000.0, 0.5)
    # weights are shares: 1/3 each sums to 1 only to rounding and is accepted;
    # R: ceiling(power.prop.test(p1=0.05, p2=0.055, power=0.8, sig.level=0.025)$n) = 37824
    thirds = plan_proportions(0.05, 0.10, variants=3, weights=[1 / 3] * 3)
    assert thirds.n_per_variant == (37824, 37824, 37824)


def test_one_sided_planning_looks_one_way():
    # A test for an increase cannot see a decrease. The power of the one-sided z-test
    # at the signed difference: Φ((sqrt(n) (p_b - p_a) - z_0.95 null_sd) / alt_sd), which
    # for a decrease of 5% -> 4.5% at 22,377 per arm is 1.8e-5 (it said 0.80, R's
    # power.prop.test(..., "one.sided") taking |p_b - p_a|, which names no direction);
    # the same test for a decrease has the 0.80 R gives
    from scipy import stats

    pa, pb, n = 0.05, 0.045, 22377
    pbar = (pa + pb) / 2
    null_sd, alt_sd = np.sqrt(2 * pbar * (1 - pbar)), np.sqrt(pa * (1 - pa) + pb * (1 - pb))
    z = stats.norm.ppf(0.95)
    wrong = stats.norm.cdf((np.sqrt(n) * (pb - pa) - z * null_sd) / alt_sd)
    assert power_proportions(pa, pb, n, alternative="larger") == pytest.approx(wrong, rel=1e-12)
    assert wrong < 1e-4
    right = power_proportions(pa, pb, n, alternative="smaller")
    assert right == pytest.approx(stats.norm.cdf((np.sqrt(n) * (pa - pb) - z * null_sd) / alt_sd))
    assert right == pytest.approx(0.8, abs=1e-4)
    with pytest.raises(ValueError, match=r"p_b = 0.045: is below p_a, but alternative 'larger'"):
        sample_size_proportions(pa, pb, alternative="larger")
    # R's power.t.test keeps the sign of a one-sided delta: power.t.test(n=20, delta=-1,
    # sd=2, alternative="one.sided")$power is the noncentral t's tail at ncp -sqrt(10)/2
    t_wrong = stats.nct.sf(stats.t.isf(0.05, 38), 38, -np.sqrt(10) / 2)
    assert power_means(-1, 2, 20, alternative="larger") == pytest.approx(t_wrong, rel=1e-9)
    assert power_means(-1, 2, 20, alternative="smaller") == pytest.approx(
        power_means(1, 2, 20, alternative="larger"), rel=1e-12
    )
    with pytest.raises(ValueError, match=r"delta = -1.0: is a decrease, but alternative 'larger'"):
        sample_size_means(-1, 2, alternative="larger")


def test_scipy_spellings_plan_the_same_way():
    # "less" is "smaller": the MDE of a decrease, not of an increase at a one-sided level
    # (it gave +0.0885 where R's decrease is -0.0850)
    assert mde_proportions(0.05, 31234, alternative="less") == mde_proportions(
        0.05, 31234, alternative="smaller"
    )
    plan = plan_proportions(0.05, -0.1, alternative="less")
    assert plan.alternative == "smaller"
    assert plan.n_per_variant == plan_proportions(0.05, -0.1, alternative="smaller").n_per_variant


def test_duration_is_not_a_day_longer_for_rounding():
    # 3,850 units at 5,500 a day of which 70% enter: exactly 1 day (5500 · 0.7 is
    # 3849.9999999999995 in floating point, and the ceiling said 2)
    assert duration_days(3850, 5500, 0.7) == 1
    assert duration_days(3851, 5500, 0.7) == 2
    assert duration_days(38500, 5500, 0.7) == 10
