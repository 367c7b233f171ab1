"""Group sequential designs against published boundaries, tables and the exact
multivariate normal probability of the boundaries."""

import numpy as np
import pytest
from scipy import optimize
from scipy import stats as sps

from abtest.stats import (
    DegenerateWarning,
    group_sequential_bounds,
    group_sequential_test,
    sample_size_proportions,
    sample_size_proportions_sequential,
    welch_test_from_sums,
)
from abtest.stats.power import _sample_size_proportions_exact
from abtest.stats.sequential_bounds import _crossing, _fractions, _inflation, spending_function

# R gsDesign::gsDesign(k=5, test.type=2, alpha=0.025, sfu=sfLDOF / sfLDPocock)$upper$bound
# and rpact::getDesignGroupSequential(kMax=5, alpha=0.05, sided=2, typeOfDesign="asOF"/"asP")
# $criticalValues, as printed (4 decimals) in the issue.
GSDESIGN_5 = {
    "obrien-fleming": [4.8769, 3.3570, 2.6803, 2.2898, 2.0310],
    "pocock": [2.4380, 2.4268, 2.4102, 2.3966, 2.3860],
}


@pytest.mark.parametrize("spending", sorted(GSDESIGN_5))
def test_five_equal_looks_match_gsdesign(spending):
    b = group_sequential_bounds(5, spending=spending)
    np.testing.assert_allclose(b.z, GSDESIGN_5[spending], atol=1e-4)
    assert b.alpha_spent[-1] == pytest.approx(0.05, abs=1e-15)
    np.testing.assert_allclose(b.information_fractions, [0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_allclose(b.nominal_p, 2 * sps.norm.sf(b.z), rtol=1e-12)


def test_spending_functions_closed_form():
    # Lan & DeMets (1983): per side a = alpha/2, OBF f(t) = 2 - 2 Phi(z_{1-a/2} / sqrt t),
    # Pocock f(t) = a log(1 + (e - 1) t); the design spends 2 f(t) in all.
    t = np.array([0.1, 0.5, 1.0])
    obf = 2 * 2 * sps.norm.sf(sps.norm.isf(0.025 / 2) / np.sqrt(t))
    poc = 2 * 0.025 * np.log(1 + (np.e - 1) * t)
    np.testing.assert_allclose(spending_function(t, 0.05, "obrien-fleming"), obf, rtol=1e-12)
    np.testing.assert_allclose(spending_function(t, 0.05, "pocock"), poc, rtol=1e-12)


@pytest.mark.parametrize("spending", ["obrien-fleming", "pocock"])
@pytest.mark.parametrize("t", [[0.2, 0.45, 0.7, 1.0], [0.5, 0.6, 1.0]])
def test_unequal_looks_spend_alpha_exactly(spending, t):
    # Independent check: P(|Z_j| < c_j for all j <= k) from scipy's multivariate normal
    # CDF (Genz), with corr(Z_i, Z_j) = sqrt(t_i / t_j); 1 - that is the alpha spent.
    b = group_sequential_bounds(t, spending=spending)
    t = np.asarray(t)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    for k in (2, t.size):
        mvn = sps.multivariate_normal(np.zeros(k), cov[:k, :k], abseps=1e-7, releps=0)
        inside = mvn.cdf(b.z[:k], lower_limit=-b.z[:k])
        assert 1 - inside == pytest.approx(b.alpha_spent[k - 1], abs=1e-6)
    assert b.alpha_spent[-1] == pytest.approx(spending_function(t[-1], 0.05, spending))


def _constant_for(alpha, k, shape):
    """Classical boundary c * shape solving P(cross) = alpha, by our recursion."""
    t = _fractions(k)

    def excess(c):
        up, low = _crossing(t, c * shape, -c * shape)
        return (up + low).sum() - alpha

    return optimize.brentq(excess, 1.0, 5.0, xtol=1e-10)


# Jennison & Turnbull (2000), Group Sequential Methods, Table 2.1 (Pocock C_P(K, 0.05))
# and Table 2.3 (O'Brien & Fleming C_B(K, 0.05)); printed to 3 decimals.
@pytest.mark.parametrize(
    ("kind", "k", "table"),
    [("pocock", 2, 2.178), ("pocock", 5, 2.413), ("pocock", 10, 2.555),
     ("obf", 2, 1.977), ("obf", 5, 2.040), ("obf", 10, 2.087)],
)  # fmt: skip
def test_classical_constants_match_jennison_turnbull(kind, k, table):
    shape = np.ones(k) if kind == "pocock" else np.sqrt(k / np.arange(1, k + 1))
    assert _constant_for(0.05, k, shape) == pytest.approx(table, abs=6e-4)


# Jennison & Turnbull (2000), Table 2.2 (R_P) and Table 2.4 (R_B): maximum sample size
# over fixed sample size, K = 5, alpha = 0.05 two-sided, power 0.8 and 0.9.
@pytest.mark.parametrize(
    ("kind", "power", "table"),
    [("pocock", 0.8, 1.229), ("pocock", 0.9, 1.207), ("obf", 0.8, 1.028), ("obf", 0.9, 1.026)],
)
def test_inflation_factor_matches_jennison_turnbull(kind, power, table):
    c = {"pocock": np.full(5, 2.413), "obf": 2.040 * np.sqrt(5 / np.arange(1, 6))}[kind]
    factor, _ = _inflation(_fractions(5), c, 0.05, power)
    assert factor == pytest.approx(table, abs=1.5e-3)  # the tables' c are rounded too


# Armitage, McPherson & Rowe (1969) / Jennison & Turnbull (2000) Table 1.1: the chance
# that repeated two-sided tests at nominal 5% reject a true H0 at some of K equal looks.
@pytest.mark.parametrize(
    ("k", "table"), [(2, 0.083), (3, 0.107), (5, 0.142), (10, 0.193), (20, 0.248)]
)
def test_naive_repeated_testing_error_rate(k, table):
    c = np.full(k, sps.norm.isf(0.025))
    up, low = _crossing(_fractions(k), c, -c)
    assert (up + low).sum() == pytest.approx(table, abs=6e-4)


def test_inflation_factor_gives_the_power():
    # At the drift (z_{a/2} + z_b) sqrt(IF) the design crosses its upper boundary with
    # probability `power`: checked with the multivariate normal CDF (lower crossings
    # are below 1e-9 at this drift).
    b = group_sequential_bounds(5, power=0.8)
    t = b.information_fractions
    drift = (sps.norm.isf(0.025) + sps.norm.isf(0.2)) * np.sqrt(b.inflation_factor)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mvn = sps.multivariate_normal(drift * np.sqrt(t), cov, abseps=1e-7, releps=0)
    assert 1 - mvn.cdf(b.z) == pytest.approx(0.8, abs=1e-6)
    assert 0.5 < b.expected_sample_fraction < 1  # stops early on average under H1


def test_single_look_is_the_fixed_design():
    b = group_sequential_bounds(1)
    assert b.z[0] == pytest.approx(sps.norm.isf(0.025), rel=1e-12)
    assert b.inflation_factor == pytest.approx(1.0, abs=1e-8)


def test_sequential_sample_size_is_fixed_size_times_inflation():
    assert sample_size_proportions(0.05, 0.055) == 31234  # R power.prop.test
    exact = _sample_size_proportions_exact(0.05, 0.055, 0.05, 0.8, "two-sided", 1.0)
    for spending in ("obrien-fleming", "pocock"):
        factor = group_sequential_bounds(5, spending=spending).inflation_factor
        seq = sample_size_proportions_sequential(0.05, 0.055, looks=5, spending=spending)
        assert seq == int(np.ceil(exact * factor))
    assert sample_size_proportions_sequential(0.05, [0.055, 0.06]).shape == (2,)


@pytest.mark.parametrize(
    ("looks", "message"),
    [
        (0, "looks = 0"),
        ([0.5, 0.4, 1.0], r"looks\[1\] = 0.4: information fractions must increase"),
        ([0.0, 1.0], r"looks\[0\] = 0.0: an information fraction must be in \(0, 1\]"),
        ([0.5, 1.2], r"looks\[1\] = 1.2"),
        ([[0.5, 1.0]], "1-D sequence"),
        ("five", "must be numeric"),
    ],
)
def test_bad_looks(looks, message):
    with pytest.raises(ValueError, match=message):
        group_sequential_bounds(looks)


def test_bad_alpha_and_spending():
    with pytest.raises(ValueError, match=r"alpha = 1\.5"):
        group_sequential_bounds(3, alpha=1.5)
    with pytest.raises(ValueError, match="spending='haybittle'"):
        group_sequential_bounds(3, spending="haybittle")


@pytest.mark.parametrize("drift", [0.0, 2.5])
def test_recursion_across_grid_step_changes_matches_the_multivariate_normal(drift):
    # Looks 0.3, 0.9, 0.91, 1.0: the step halves into look 2 (the narrow kernel of the
    # 0.01 step) and triples into look 3, so the convolution runs on both an upsampled
    # and a subsampled lattice. Independent check: scipy's multivariate normal CDF
    # (Genz) of Z with corr(Z_i, Z_j) = sqrt(t_i / t_j) and mean drift sqrt(t).
    from abtest.stats._sequential_recursion import _Recursion

    t = np.array([0.3, 0.9, 0.91, 1.0])
    rec = _Recursion(t)
    assert rec.down[1] == 2 and rec.up[2] == 3
    c = np.array([2.6, 2.3, 2.25, 2.1])
    up, low = _crossing(t, c, -c, drift)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    for k in (2, 3, 4):
        mvn = sps.multivariate_normal(drift * np.sqrt(t[:k]), cov[:k, :k], abseps=1e-7, releps=0)
        inside = mvn.cdf(c[:k], lower_limit=-c[:k])
        assert (up + low)[:k].sum() == pytest.approx(1 - inside, abs=1e-6)


# Siegmund (1985), *Sequential Analysis*, sec. 10.3 (Chernoff's constant; Siegmund's
# corrected diffusion approximation): a Brownian motion monitored at steps d crosses a
# boundary b with the chance it crosses b + rho sqrt(d) monitored continuously,
# rho = -zeta(1/2) / sqrt(2 pi) = 0.5826. The O'Brien-Fleming-type spending function
# is exactly the continuous crossing chance of the constant B-scale boundary
# z_{1 - alpha/4} (reflection principle: P(max_{s <= t} B(s) >= b) = 2 Phi(-b / sqrt t)),
# so with K equal looks c_k sqrt(t_k) is z_{1 - alpha/4} - rho / sqrt(K) to O(1/k).
RHO = 0.5826


@pytest.fixture(scope="module")
def thousand_looks():
    return group_sequential_bounds(1000)  # over 60 s before the convolution recursion


def test_a_thousand_looks_give_the_obrien_fleming_shape(thousand_looks):
    b, t = thousand_looks, thousand_looks.information_fractions
    assert b.alpha_spent[-1] == pytest.approx(0.05, abs=1e-15)
    np.testing.assert_allclose(b.alpha_spent, spending_function(t, 0.05, "obrien-fleming"))
    # the first looks spend less than 1e-300 per side (2 Phi(-70) at t = 0.001): no
    # boundary (inf); every other look has a finite one, strictly falling
    per_side = np.diff(b.alpha_spent, prepend=0.0) / 2
    finite = np.isfinite(b.z)
    assert finite.tolist() == (per_side > 1e-300).tolist() and finite[3:].all()
    assert np.all(np.diff(b.z[finite]) < 0)
    # Siegmund's corrected diffusion approximation, look by look (to O(1/k)) and at the end
    k = np.arange(1, 1001)
    siegmund = sps.norm.isf(0.05 / 4) - RHO / np.sqrt(1000)  # 2.22298
    assert np.all(np.abs(b.z * np.sqrt(t) - siegmund)[finite] < 0.5 / k[finite])
    assert b.z[-1] == pytest.approx(siegmund, abs=5e-4)
    assert 1 < b.inflation_factor < 1.1 and 0.5 < b.expected_sample_fraction < 1


def test_a_thousand_looks_reject_alpha_by_simulation(thousand_looks):
    # 40,000 random walks under H0, stopped at the first |Z_k| >= c_k: 5% reject
    # (SE 0.0011; 4 SE)
    rng = np.random.default_rng(21)
    b, t = thousand_looks, thousand_looks.information_fractions
    s = np.zeros(40_000)
    rejected = np.zeros(s.size, bool)
    for k in range(t.size):
        s += rng.normal(0.0, np.sqrt(1 / t.size), s.size)
        rejected |= np.abs(s) / np.sqrt(t[k]) >= b.z[k]
    assert rejected.mean() == pytest.approx(0.05, abs=0.0044)


# --- group_sequential_test -------------------------------------------------------------

N = np.array([1000, 2000, 3000, 4000])
SUM_A = np.array([50.0, 98.0, 151.0, 200.0])
SUM_B = np.array([58.0, 121.0, 185.0, 262.0])


def test_per_look_statistics_and_bounds():
    r = group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B)
    w = welch_test_from_sums(N, SUM_A, SUM_A, N, SUM_B, SUM_B)
    se = np.sqrt(
        w.mean_a * (1 - w.mean_a) * N / (N - 1) / N + w.mean_b * (1 - w.mean_b) * N / (N - 1) / N
    )
    np.testing.assert_allclose(r.statistic, w.diff / se, rtol=1e-12)
    np.testing.assert_allclose(r.fixed_p_value, 2 * sps.norm.sf(np.abs(r.statistic)), rtol=1e-12)
    np.testing.assert_allclose(r.information_fraction, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(r.boundary, group_sequential_bounds(4).z, rtol=1e-12)
    np.testing.assert_array_equal(r.crossed, np.abs(r.statistic) >= r.boundary)
    np.testing.assert_allclose(r.diff_ci[1] - r.diff, r.boundary * se, rtol=1e-12)


def test_max_n_and_planned_looks_set_the_fractions():
    r = group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B, max_n=16000)
    np.testing.assert_allclose(r.information_fraction, [0.125, 0.25, 0.375, 0.5])
    np.testing.assert_allclose(r.boundary, group_sequential_bounds([0.125, 0.25, 0.375, 0.5]).z)
    assert r.alpha_spent[-1] < 0.05 / 5  # half the information: little alpha spent so far
    r = group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B, looks=8)
    np.testing.assert_allclose(r.information_fraction, [0.125, 0.25, 0.375, 0.5])
    with pytest.raises(ValueError, match="max_n or looks, not both"):
        group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B, looks=8, max_n=16000)


def test_looks_without_new_units_and_past_the_maximum_spend_nothing():
    n = np.array([1000, 1000, 2000, 3000, 4000])
    s = np.array([50.0, 50.0, 98.0, 151.0, 200.0])
    r = group_sequential_test(n, s, s, n, s + 5, s + 5, max_n=6000)
    # look 2 repeats look 1; looks 4 and 5 are past max_n = 6000 units: the final boundary.
    np.testing.assert_allclose(r.information_fraction, [1 / 3, 1 / 3, 2 / 3, 1.0, 1.0])
    ref = group_sequential_bounds(3).z
    np.testing.assert_allclose(r.boundary, ref[[0, 0, 1, 2, 2]], rtol=1e-12)
    assert r.alpha_spent[-1] == pytest.approx(0.05)


def _exact_repeated_p(t, k, zabs, spending="obrien-fleming"):
    """Smallest level whose design has c_k <= |z_k| (root of a fine-grid boundary)."""

    def excess(level):
        return group_sequential_bounds(t[: k + 1], alpha=level, spending=spending).z[k] - zabs

    return optimize.brentq(excess, 1e-9, 0.99, xtol=1e-14)


@pytest.mark.parametrize("spending", ["obrien-fleming", "pocock"])
def test_repeated_p_value_inverts_the_boundary(spending):
    r = group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B, max_n=10000, spending=spending)
    t = r.information_fraction
    assert np.all(np.diff(r.statistic) > 0)  # so the running minimum is the look's own p
    for k in (1, 2, 3):
        exact = _exact_repeated_p(t, k, abs(r.statistic[k]), spending)
        assert r.p_value[k] == pytest.approx(exact, rel=5e-4)
    assert r.p_value[3] < 0.05 and r.rejected[3] and not r.rejected[2]


def test_repeated_p_value_is_one_below_every_boundary():
    # Look 1 of the OBF design: |z| = 0.79 is below even the alpha = 1 boundary (1.12).
    r = group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B, max_n=10000)
    assert abs(r.statistic[0]) < group_sequential_bounds([0.2], alpha=0.999).z[0]
    assert r.p_value[0] == 1.0


def test_rejected_iff_repeated_p_below_alpha():
    from abtest.stats.simulate import binary_looks

    s = binary_looks(np.random.default_rng(11), 400, 6, 400, rate=0.1, effect=0.02)
    for spending in ("obrien-fleming", "pocock"):
        r = group_sequential_test(*s, spending=spending)
        np.testing.assert_array_equal(r.rejected, r.p_value <= 0.05)
        assert 0.2 < r.rejected[:, -1].mean() < 0.95  # both outcomes occur
        first = np.where(r.rejected[:, -1], r.stop_look, 99)
        np.testing.assert_array_equal(first, np.where(r.crossed.any(1), r.crossed.argmax(1), 99))


def test_one_control_against_several_treatments_broadcasts():
    sb = np.stack([SUM_B, SUM_A + 1, SUM_A * 1.3])
    r = group_sequential_test(N, SUM_A, SUM_A, N, sb, sb, looks=4)
    assert r.statistic.shape == (3, 4) and r.stop_look.shape == (3,)
    one = group_sequential_test(N, SUM_A, SUM_A, N, sb[2], sb[2], looks=4)
    np.testing.assert_allclose(r.p_value[2], one.p_value, rtol=1e-12)


def test_input_errors_name_the_argument_and_index():
    with pytest.raises(ValueError, match=r"n_a\[2\] = 1500.0: cumulative counts cannot decrease"):
        group_sequential_test(
            [1000, 2000, 1500], [5, 9, 12], [5, 9, 12], N[:3], SUM_B[:3], SUM_B[:3]
        )
    with pytest.raises(ValueError, match=r"n_b\[0\] = 1.0"):
        group_sequential_test(N, SUM_A, SUM_A, [1, 2, 3, 4], [0, 1, 1, 2], [0, 1, 1, 2])
    with pytest.raises(ValueError, match="looks = 0"):
        group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B, looks=0)
    with pytest.raises(ValueError, match="max_n = -5"):
        group_sequential_test(N, SUM_A, SUM_A, N, SUM_B, SUM_B, max_n=-5)


def test_zero_variance_look_is_nan_with_warning():
    n = np.array([100, 200])
    with pytest.warns(DegenerateWarning, match="zero variance"):
        # look 1: every unit converted in both arms; look 2: some did not.
        r = group_sequential_test(n, [100, 195], [100, 195], n, [100, 190], [100, 190])
    assert np.isnan(r.statistic[0]) and not r.crossed[0] and np.isfinite(r.statistic[1])


# -- one-sided designs ------------------------------------------------------------------------
@pytest.mark.parametrize("spending", ["obrien-fleming", "pocock"])
@pytest.mark.parametrize("t", [[0.2, 0.4, 0.6, 0.8, 1.0], [0.15, 0.5, 0.7, 1.0]])
def test_one_sided_bounds_spend_alpha_by_the_exact_mvn_probability(spending, t):
    # One-sided (gsDesign test.type=1): alpha spent by look k is
    # 1 - P(Z_1 < c_1, ..., Z_k < c_k), with no lower boundary.
    b = group_sequential_bounds(t, alpha=0.05, spending=spending, alternative="larger")
    t = np.asarray(t)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    per_side = spending_function(t, 0.05, spending, "larger")
    assert per_side[-1] == pytest.approx(0.05)
    for k in range(1, t.size + 1):
        mvn = sps.multivariate_normal(np.zeros(k), cov[:k, :k], abseps=1e-8, releps=0)
        assert 1 - mvn.cdf(b.z[:k]) == pytest.approx(per_side[k - 1], abs=2e-6)
    assert b.nominal_p == pytest.approx(sps.norm.sf(b.z), rel=1e-12)
    # not the two-sided design at the same alpha: its boundaries are higher
    assert np.all(b.z < group_sequential_bounds(t, alpha=0.05, spending=spending).z)


def test_one_sided_inflation_gives_the_planned_power():
    b = group_sequential_bounds(5, alpha=0.05, alternative="larger", power=0.9)
    t = b.information_fractions
    drift = (sps.norm.isf(0.05) + sps.norm.isf(0.1)) * np.sqrt(b.inflation_factor)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    mvn = sps.multivariate_normal(drift * np.sqrt(t), cov, abseps=1e-8, releps=0)
    assert 1 - mvn.cdf(b.z) == pytest.approx(0.9, abs=1e-6)
    assert group_sequential_bounds(1, alternative="larger").z[0] == pytest.approx(
        sps.norm.isf(0.05), rel=1e-12
    )


def test_one_sided_test_rejects_on_its_side_only():
    n = [5000, 10000, 15000]
    ca, cb = [250, 500, 750], [300, 610, 905]
    up = group_sequential_test(n, ca, ca, n, cb, cb, max_n=40000, alternative="larger")
    down = group_sequential_test(n, ca, ca, n, cb, cb, max_n=40000, alternative="smaller")
    # mirrored: b below a with "smaller" is a above b with "larger"
    mirror = group_sequential_test(n, cb, cb, n, ca, ca, max_n=40000, alternative="smaller")
    two = group_sequential_test(n, ca, ca, n, cb, cb, max_n=40000)
    ref = group_sequential_bounds([0.25, 0.5, 0.75], alpha=0.05, alternative="larger")
    # the boundaries of looks 1-3 are those of a design whose first three looks are these
    assert up.boundary[:1] == pytest.approx(ref.z[:1], rel=1e-9)
    assert np.all(up.boundary < two.boundary)
    assert up.rejected.tolist() == (up.statistic >= up.boundary).tolist() == [False, True, True]
    assert not down.rejected.any() and np.all(down.p_value == 1.0)
    assert mirror.rejected.tolist() == up.rejected.tolist()
    assert mirror.p_value == pytest.approx(up.p_value, rel=1e-9)
    assert np.all(np.isinf(up.diff_ci[1])) and np.all(np.isinf(down.diff_ci[0]))
    assert up.diff_ci[0] == pytest.approx(up.diff - up.boundary * (up.diff / up.statistic))
    assert ((up.p_value <= 0.05) == up.rejected).all()
    # fixed-horizon one-sided p of each look
    assert up.fixed_p_value == pytest.approx(sps.norm.sf(up.statistic), rel=1e-12)


def test_one_sided_single_look_is_the_fixed_one_sided_test():
    r = group_sequential_test([4000], [200], [200], [4000], [245], [245], looks=1,
                              alternative="larger")  # fmt: skip
    assert r.boundary[0] == pytest.approx(sps.norm.isf(0.05), rel=1e-12)
    assert r.p_value[0] == pytest.approx(sps.norm.sf(r.statistic[0]), rel=1e-3)
