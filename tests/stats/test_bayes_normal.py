"""bayes_means against GrowthBook's published gbstats test cases, closed forms
for two arms and a 2-million-draw Monte Carlo run for three."""

import numpy as np
import pytest
from scipy import stats

from abtest.stats import DegenerateWarning, bayes_means, bayes_means_from_sums
from abtest.stats.bayes_normal import normal_best

# gbstats rounds its expected values to 5 decimals: agree to half a unit there.
GB = 5e-6
CONTROL = (10, 100.0, 1002.25)  # SampleMeanStatistic(n=10, sum=100, sum_squares=1002.25)
TREATMENT = (10, 105.0, 1111.5)  # SampleMeanStatistic(n=10, sum=105, sum_squares=1111.5)


def growthbook_pair(**kwargs):
    n, s, ss = zip(CONTROL, TREATMENT, strict=True)
    return bayes_means_from_sums(list(n), list(s), list(ss), **kwargs)


def test_growthbook_gaussian_flat_prior():
    # gbstats packages/stats/tests/bayesian/test_tests.py, TestNorm.test_bayesian_gaussian_ab_test
    # (EffectBayesianABTest, flat prior, relative): expected 0.05, ci [-0.02, 0.12],
    # uplift stddev 0.03572, chance_to_win 0.91923, risk [0.05131, 0.00131].
    r = growthbook_pair()
    assert r.lift[1] == pytest.approx(0.05, abs=GB)
    assert r.lift_sd[1] == pytest.approx(0.03572, abs=GB)
    np.testing.assert_allclose(r.lift_ci[1], [-0.02, 0.12], atol=GB)
    assert r.prob_beat_control[1] == pytest.approx(0.91923, abs=GB)
    np.testing.assert_allclose(r.risk[1], [0.05131, 0.00131], atol=GB)


def test_growthbook_gaussian_informative_prior():
    # Same file, test_bayesian_gaussian_ab_test_informative: GaussianPrior(mean=0.1,
    # variance=0.1, proper=True): expected 0.05063, ci [-0.01893, 0.12019], stddev
    # 0.03549, chance_to_win 0.92315, risk [0.05186, 0.00123].
    r = growthbook_pair(prior=(0.1, 0.1))
    assert r.lift[1] == pytest.approx(0.05063, abs=GB)
    assert r.lift_sd[1] == pytest.approx(0.03549, abs=GB)
    np.testing.assert_allclose(r.lift_ci[1], [-0.01893, 0.12019], atol=GB)
    assert r.prob_beat_control[1] == pytest.approx(0.92315, abs=GB)
    np.testing.assert_allclose(r.risk[1], [0.05186, 0.00123], atol=GB)


def test_growthbook_binomial_through_the_effect_model():
    # Same file, TestBinom.test_bayesian_binomial_ab_test: ProportionStatistic 49/100 vs
    # 51/100 (variance p (1 - p)): expected 0.04082, ci [-0.24779, 0.32943], stddev
    # 0.14725, chance_to_win 0.60918, risk [0.0814, 0.04058].
    p = np.array([0.49, 0.51])
    r = bayes_means([100, 100], p, p * (1 - p))
    assert r.lift[1] == pytest.approx(0.04082, abs=GB)
    assert r.lift_sd[1] == pytest.approx(0.14725, abs=GB)
    np.testing.assert_allclose(r.lift_ci[1], [-0.24779, 0.32943], atol=GB)
    assert r.prob_beat_control[1] == pytest.approx(0.60918, abs=GB)
    np.testing.assert_allclose(r.risk[1], [0.0814, 0.04058], atol=GB)


def test_absolute_scale_and_k_arm_loss_match_the_older_gbstats_case():
    # The older gbstats GaussianBayesianABTest on the same data reported absolute risk
    # [0.51256, 0.01256]: E[(mu_B - mu_A)+] and E[(mu_A - mu_B)+] with flat priors,
    # which is the two-arm expected loss here.
    r = growthbook_pair(scale="absolute")
    np.testing.assert_allclose(r.expected_loss, [0.51256, 0.01256], atol=GB)
    np.testing.assert_allclose(r.risk[1], [0.51256, 0.01256], atol=GB)
    se = np.sqrt(0.25 / 10 + 1.0 / 10)
    assert r.prob_beat_control[1] == pytest.approx(stats.norm.cdf(0.5 / se), abs=1e-14)
    np.testing.assert_allclose(r.effect_ci[1], 0.5 + np.array([-1, 1]) * 1.959963984540054 * se)
    # Two arms, flat priors: P(best) is the chance to win on the absolute scale.
    assert r.prob_best[1] == pytest.approx(stats.norm.cdf(0.5 / se), abs=1e-12)


def test_prior_scales_are_consistent():
    # A relative prior N(0.1, 0.1) is the absolute prior N(0.1 m_c, 0.1 m_c^2).
    rel = growthbook_pair(prior=(0.1, 0.1), scale="absolute")
    ab = growthbook_pair(prior=(1.0, 10.0), prior_scale="absolute", scale="absolute")
    np.testing.assert_allclose(rel.effect, ab.effect)
    np.testing.assert_allclose(rel.effect_ci, ab.effect_ci)


def test_normal_best_two_arms_closed_form():
    rng = np.random.default_rng(5)
    mean = rng.normal(size=(500, 2))
    sd = np.exp(rng.uniform(-6, 1, size=(500, 2)))
    pb, loss = normal_best(mean, sd)
    s = np.hypot(sd[:, 0], sd[:, 1])
    d = mean[:, 1] - mean[:, 0]
    # P(B best) = Φ(d / s); E[(B - A)+] = d Φ(d/s) + s φ(d/s)
    np.testing.assert_allclose(pb[:, 1], stats.norm.cdf(d / s), atol=1e-11)
    np.testing.assert_allclose(pb.sum(axis=1), 1.0, atol=1e-11)
    ref_loss_a = d * stats.norm.cdf(d / s) + s * stats.norm.pdf(d / s)
    assert np.all(np.abs(loss[:, 0] - ref_loss_a) <= 1e-11 * (1 + s))


def test_normal_best_three_arms_monte_carlo():
    rng = np.random.default_rng(11)
    mean, sd = np.array([[1.0, 1.05, 1.02]]), np.array([[0.03, 0.04, 0.01]])
    pb, loss = normal_best(mean, sd)
    draws = rng.normal(mean[0], sd[0], size=(2_000_000, 3))
    best = np.bincount(draws.argmax(axis=1), minlength=3) / len(draws)
    se = np.sqrt(best * (1 - best) / len(draws))
    assert np.all(np.abs(pb[0] - best) < 5 * se + 1e-12)
    regret = draws.max(axis=1, keepdims=True) - draws
    assert np.all(np.abs(loss[0] - regret.mean(axis=0)) < 5 * regret.std(axis=0) / 1414.2)


def test_point_mass_arms():
    # No revenue at all in an arm: variance 0, a point mass at 0.
    pb, loss = normal_best(np.array([[0.0, 0.5, 0.0]]), np.array([[0.0, 0.1, 0.0]]))
    p_low = stats.norm.cdf(-5)  # P(arm 1 < 0)
    np.testing.assert_allclose(pb[0], [p_low / 2, 1 - p_low, p_low / 2], atol=1e-12)
    # Arm 1 loses only when it falls below 0: E[(0 - X)+] = s φ(5) - 0.5 Φ(-5).
    assert loss[0, 1] == pytest.approx(0.1 * stats.norm.pdf(5) - 0.5 * p_low, rel=1e-9)
    assert loss[0, 0] == pytest.approx(0.5 + loss[0, 1], rel=1e-12)


def test_batch_and_k_arms():
    n = np.array([[100, 120, 90], [1000, 1000, 1000]])
    m = np.array([[5.0, 5.5, 4.8], [2.0, 2.1, 2.05]])
    v = np.array([[4.0, 5.0, 3.0], [1.0, 1.2, 1.1]])
    r = bayes_means(n, m, v, control=0)
    assert r.lift_ci.shape == (2, 3, 2) and r.prob_best.shape == (2, 3)
    one = bayes_means(n[1], m[1], v[1])
    np.testing.assert_allclose(r.lift_ci[1], one.lift_ci)
    np.testing.assert_allclose(r.prob_best[1], one.prob_best)
    assert r.prob_beat_control[0, 0] == 0.5 and np.all(r.effect_ci[:, 0] == 0)
    np.testing.assert_allclose(r.relative_loss, r.expected_loss / m[:, :1])


def test_zero_control_mean_is_degenerate_not_silent():
    with pytest.warns(DegenerateWarning, match="control mean is 0"):
        r = bayes_means([100, 100], [0.0, 0.3], [1.0, 1.0])
    assert np.isnan(r.lift[1]) and np.isnan(r.prob_beat_control[1])
    assert r.effect[1] == pytest.approx(0.3)  # the absolute effect is still defined
    assert np.isfinite(r.prob_best).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": [0, 10]}, r"n\[0\] = 0.0"),
        ({"var": [-1.0, 1.0]}, r"var\[0\] = -1.0: cannot be negative"),
        ({"mean": [np.inf, 1.0]}, r"mean\[0\] = inf"),
        ({"prior": (0.0, -1.0)}, "prior variance = -1.0"),
        ({"prior": 0.5}, "prior must be None or a"),
        ({"scale": "ratio"}, "scale='ratio' is not one of"),
        ({"n": [10], "mean": [1.0], "var": [1.0]}, "at least 2 arms"),
    ],
)
def test_bad_input(kwargs, message):
    args = {"n": [10, 10], "mean": [1.0, 1.1], "var": [1.0, 1.0]} | kwargs
    with pytest.raises(ValueError, match=message):
        bayes_means(args.pop("n"), args.pop("mean"), args.pop("var"), **args)


def test_lift_best_two_arms_is_the_chance_to_win():
    # Two arms: the treatment is best exactly when its lift is above 0, so P(best) is
    # Φ(lift / sd) with sd² = shared² + own² (gbstats' chance to win), and the losses
    # are gbstats' risks E[(L)+] (keeping the control) and E[(-L)+] (shipping). Own
    # spreads from 1e-4 to 1e4 times the shared one: the crossing the z-integral is cut
    # at gets as sharp as a step
    from abtest.stats.best_arm import lift_best

    rng = np.random.default_rng(3)
    E = 200
    mu = rng.normal(0, 0.1, E)
    shared = np.exp(rng.uniform(-9, 0, E)) * rng.choice([-1, 1], E)
    own = np.exp(rng.uniform(-9, 0, E))
    zero = np.zeros(E)
    sd = np.hypot(shared, own)
    keep = mu * stats.norm.cdf(mu / sd) + sd * stats.norm.pdf(mu / sd)
    two = lift_best(*(np.stack([zero, x], 1) for x in (mu, shared, own)))
    # a third arm 50 below the second is never best: the integral over the shared
    # draw (the k >= 3 path) must give the same two-arm numbers
    three = lift_best(*(np.stack([zero, x, y], 1) for x, y in
                        ((mu, mu - 50), (shared, shared), (own, own))))  # fmt: skip
    for pb, loss in (two, three):
        np.testing.assert_allclose(pb[:, 1], stats.norm.cdf(mu / sd), rtol=0, atol=1e-10)
        np.testing.assert_allclose(pb.sum(axis=1), 1.0, rtol=0, atol=1e-10)
        assert np.all(np.abs(loss[:, 0] - keep) <= 1e-9 * sd)
        assert np.all(np.abs(loss[:, 1] - (keep - mu)) <= 1e-9 * sd)
    assert np.all(three[0][:, 2] < 1e-12)


def test_lift_best_three_arms_monte_carlo():
    # The delta-method lifts drawn jointly (one control draw shared by both treatments,
    # seeded): L_i = m_i / m_c - 1 - (m_i / m_c²)(X_c - m_c) + (X_i - m_i) / m_c
    rng = np.random.default_rng(17)
    n, m, v = np.array([1000, 1100, 900]), np.array([5.0, 5.3, 5.25]), np.array([40.0, 30, 60])
    r = bayes_means(n, m, v)
    draws = 2_000_000
    sd = np.sqrt(v / n)
    dc = rng.normal(0, sd[0], draws)
    lifts = [np.zeros(draws)]
    for i in (1, 2):
        own = rng.normal(0, sd[i], draws)
        lifts.append(m[i] / m[0] - 1 - m[i] / m[0] ** 2 * dc + own / m[0])
    L = np.stack(lifts, axis=1)
    best = np.bincount(L.argmax(axis=1), minlength=3) / draws
    se = np.sqrt(best * (1 - best) / draws)
    assert np.all(np.abs(r.prob_best - best) < 5 * se)
    regret = L.max(axis=1, keepdims=True) - L
    assert np.all(np.abs(r.relative_loss - regret.mean(axis=0)) < 5 * regret.std(axis=0) / 1414.2)
    np.testing.assert_allclose(r.expected_loss, r.relative_loss * m[0])
    # best is a sharper claim than beating the control, on the same posterior
    assert np.all(r.prob_best[1:] <= r.prob_beat_control[1:])


def test_relative_prob_best_is_the_chance_to_win_for_two_arms():
    # GrowthBook's pair: P(best) of the lifts equals the chance to win 0.91923, and the
    # relative expected losses are the risks [0.05131, 0.00131]
    r = growthbook_pair()
    assert r.prob_best[1] == pytest.approx(r.prob_beat_control[1], abs=1e-12)
    np.testing.assert_allclose(r.prob_best[1], 0.91923, atol=GB)
    np.testing.assert_allclose(r.relative_loss, r.risk[1], atol=1e-12)
    np.testing.assert_allclose(r.relative_loss, [0.05131, 0.00131], atol=GB)


def test_inverse_is_growthbooks_pair_read_the_other_way():
    # lower is better on GrowthBook's pair: the chance to win is P(lift < 0) =
    # 1 - 0.91923, the risks swap ([0.00131, 0.05131]: keeping the control now loses
    # little), and P(best) of the lifts is that chance to win; effects do not change
    r = growthbook_pair(inverse=True)
    up = growthbook_pair()
    assert r.prob_beat_control[1] == pytest.approx(1 - 0.91923, abs=GB)
    np.testing.assert_allclose(r.risk[1], [0.00131, 0.05131], atol=GB)
    assert r.prob_best[1] == pytest.approx(r.prob_beat_control[1], abs=1e-12)
    np.testing.assert_allclose(r.relative_loss, [0.00131, 0.05131], atol=GB)
    np.testing.assert_array_equal(r.lift_ci, up.lift_ci)


def test_inverse_three_arms_monte_carlo():
    # the joint delta-method lifts of test_lift_best_three_arms_monte_carlo, seeded:
    # P(lowest lift) and E[L_i - min_j L_j] within 5 standard errors; on the absolute
    # scale the independent means' P(lowest) likewise
    rng = np.random.default_rng(4)
    n, m, v = np.array([1000, 1100, 900]), np.array([5.0, 4.8, 4.75]), np.array([40.0, 30, 60])
    r = bayes_means(n, m, v, inverse=True)
    draws = 2_000_000
    sd = np.sqrt(v / n)
    dc = rng.normal(0, sd[0], draws)
    lifts = [np.zeros(draws)]
    for i in (1, 2):
        lifts.append(m[i] / m[0] - 1 - m[i] / m[0] ** 2 * dc + rng.normal(0, sd[i], draws) / m[0])
    L = np.stack(lifts, axis=1)
    lowest = np.bincount(L.argmin(axis=1), minlength=3) / draws
    assert np.all(np.abs(r.prob_best - lowest) < 5 * np.sqrt(lowest * (1 - lowest) / draws))
    regret = L - L.min(axis=1, keepdims=True)
    assert np.all(np.abs(r.relative_loss - regret.mean(axis=0)) < 5 * regret.std(axis=0) / 1414.2)
    assert np.all(r.prob_best[1:] <= r.prob_beat_control[1:])
    a = bayes_means(n, m, v, inverse=True, scale="absolute")
    means = m + rng.normal(0, 1, (draws, 3)) * sd
    low = np.bincount(means.argmin(axis=1), minlength=3) / draws
    assert np.all(np.abs(a.prob_best - low) < 5 * np.sqrt(low * (1 - low) / draws))
