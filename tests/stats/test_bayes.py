"""beta_binomial against exact references: Evan Miller's closed form for P(B > A),
Chris Stucchio's closed form for the expected loss, scipy's Beta quantiles and
numerical integration, and Monte Carlo runs of 2 million draws."""

import json

import numpy as np
import pytest
from scipy import integrate, special, stats

from abtest.stats import beta_binomial, prior_from_baseline

# --- outside references ---------------------------------------------------------


def log_beta(a, b):
    """log B(a, b) to ~1e-11 for arguments up to ~1e6. scipy's betaln computes
    lgamma(a) + lgamma(b) - lgamma(a + b) and loses ~1e-9 to cancellation at 1e5;
    for a, b >= 100 Stirling's series is arranged to cancel nothing:
    (a - 1/2) log(a/s) + (b - 1/2) log(b/s) - log(s)/2 + log(2 pi)/2 + w(a) + w(b) - w(s)."""
    a, b = np.broadcast_arrays(np.atleast_1d(np.asarray(a, float)), np.asarray(b, float))
    out = special.betaln(a, b)
    big = (a >= 100) & (b >= 100)
    if big.any():
        x, y = a[big], b[big]
        s = x + y

        def w(z):
            z2 = 1.0 / (z * z)
            return (1 / 12 - z2 * (1 / 360 - z2 * (1 / 1260 - z2 / 1680))) / z

        out[big] = (
            (x - 0.5) * np.log(x / s)
            + (y - 0.5) * np.log1p(-x / s)
            - 0.5 * np.log(s)
            + 0.5 * np.log(2 * np.pi)
            + w(x)
            + w(y)
            - w(s)
        )
    return out


def miller_prob_b_beats_a(a_a, b_a, a_b, b_b):
    """P(X_B > X_A), X ~ Beta, for integer a_b: E. Miller, "Formulas for Bayesian
    A/B testing" (evanmiller.org, 2015), eq. for pr_B_beats_A, summed in logs."""
    i = np.arange(int(a_b))
    terms = (
        log_beta(a_a + i, b_a + b_b) - np.log(b_b + i) - log_beta(1 + i, b_b) - log_beta(a_a, b_a)
    )
    return float(np.exp(terms).sum())


def stucchio_loss(a_a, b_a, a_b, b_b):
    """E[max(X_B - X_A, 0)], the loss of choosing A (C. Stucchio, "Bayesian A/B
    Testing at VWO", 2015, eq. 2): B(a_B+1, b_B)/B(a_B, b_B) h(a_A, b_A, a_B+1, b_B)
    - B(a_A+1, b_A)/B(a_A, b_A) h(a_A+1, b_A, a_B, b_B), h = P(second > first)."""
    m_a, m_b = a_a / (a_a + b_a), a_b / (a_b + b_b)
    return m_b * miller_prob_b_beats_a(a_a, b_a, a_b + 1, b_b) - m_a * miller_prob_b_beats_a(
        a_a + 1, b_a, a_b, b_b
    )


def quad_prob_b_beats_a(a_a, b_a, a_b, b_b):
    """P(X_B > X_A) = ∫ f_B F_A by scipy's adaptive quadrature (QUADPACK) over
    the central 1 - 2e-15 of B, with scipy's beta pdf and betainc."""
    lo, hi = special.betaincinv(a_b, b_b, 1e-15), special.betainccinv(a_b, b_b, 1e-15)
    m = a_b / (a_b + b_b)
    val, _ = integrate.quad(
        lambda x: stats.beta.pdf(x, a_b, b_b) * special.betainc(a_a, b_a, x),
        lo,
        hi,
        points=[m],
        epsabs=1e-13,
        epsrel=1e-12,
        limit=200,
    )
    return val


def ratio_cdf(a_i, b_i, a_c, b_c, r):
    """P(X_i / X_c <= r) = ∫ f_c(x) F_i(r x) dx by scipy's quad (reference)."""
    lo, hi = special.betaincinv(a_c, b_c, 1e-15), special.betainccinv(a_c, b_c, 1e-15)
    m = a_c / (a_c + b_c)
    val, _ = integrate.quad(
        lambda x: stats.beta.pdf(x, a_c, b_c) * special.betainc(a_i, b_i, min(r * x, 1.0)),
        lo,
        hi,
        points=[m],
        epsabs=1e-13,
        epsrel=1e-12,
        limit=200,
    )
    return val


def random_cases(seed, count, max_n=5000):
    """Two-arm cases across sizes 10..max_n and rates near 0, middle and 1."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        n_a = int(np.exp(rng.uniform(np.log(10), np.log(max_n))))
        n_b = max(1, int(n_a * np.exp(rng.uniform(-2, 2))))
        p = rng.choice([rng.uniform(0, 1), rng.uniform(0, 0.03), rng.uniform(0.97, 1)])
        x_a = rng.binomial(n_a, p)
        x_b = rng.binomial(n_b, min(1.0, p * rng.uniform(0.8, 1.25)))
        out.append((x_a, n_a, x_b, n_b))
    return out


# --- P(best), P(beat control) ---------------------------------------------------


def test_issue_reference_case():
    # The issue's reference value, Evan Miller's closed form evaluated exactly.
    r = beta_binomial([1000, 1100], [10000, 10000])
    assert r.prob_beat_control[1] == pytest.approx(0.989457354431657, abs=1e-12)
    assert r.prob_best[1] == pytest.approx(0.989457354431657, abs=1e-12)
    assert r.prob_best[0] == pytest.approx(1 - 0.989457354431657, abs=1e-12)
    assert r.prob_beat_control[0] == 0.5  # the control's own entry, by convention
    # The float64 evaluation of Miller's 1,101-term sum used below as the reference
    # for other cases reproduces the issue's value to ~1e-12.
    assert miller_prob_b_beats_a(1001, 9001, 1101, 8901) == pytest.approx(
        0.989457354431657, abs=1e-11
    )


def test_matches_miller_closed_form_over_random_cases():
    # 200 cases, 10 to 5,000 visitors, rates near 0, 1 and in between (uniform prior
    # keeps alpha an integer, as Miller's sum needs): absolute error below 1e-9.
    cases = random_cases(0, 200)
    x = np.array([[c[0], c[2]] for c in cases])
    n = np.array([[c[1], c[3]] for c in cases])
    r = beta_binomial(x, n)
    ref = np.array(
        [miller_prob_b_beats_a(1 + c[0], 1 + c[1] - c[0], 1 + c[2], 1 + c[3] - c[2]) for c in cases]
    )
    assert np.max(np.abs(r.prob_beat_control[:, 1] - ref)) < 1e-9


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([5, 7], [10**9, 10**9]),  # 1e9 visitors, few conversions
        ([0, 3], [10**9, 10**9]),
        ([0, 0], [10, 10**9]),  # 10 vs 1e9 visitors in one experiment
        ([2, 40], [10, 10**9]),
        ([0, 1], [10, 10]),
        ([0, 0], [10, 10]),  # no conversions at all
        ([0, 0], [1000, 1000]),
    ],
)
def test_extremes_near_zero_match_miller(x, n):
    # Few conversions keep Miller's sum short even at 1e9 visitors.
    r = beta_binomial(x, n)
    ref = miller_prob_b_beats_a(1 + x[0], 1 + n[0] - x[0], 1 + x[1], 1 + n[1] - x[1])
    assert r.prob_best[1] == pytest.approx(ref, abs=1e-9)
    assert np.all(np.isfinite(r.expected_loss)) and np.all(r.expected_loss >= 0)
    assert np.all(np.isfinite(r.lift_ci)) and np.all(np.isfinite(r.rate_ci))


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([10**9, 10**9 - 4], [10**9, 10**9]),  # all converted at 1e9 visitors
        ([10, 9], [10, 10]),  # all converted, tiny sample
        ([999_999_990, 10**9 - 3], [10**9, 10**9]),
    ],
)
def test_extremes_near_one_match_miller_by_symmetry(x, n):
    # 1 - X ~ Beta(b, a): P(X_B > X_A) = P(Y_A > Y_B), and b is a small integer.
    r = beta_binomial(x, n)
    ref = miller_prob_b_beats_a(1 + n[1] - x[1], 1 + x[1], 1 + n[0] - x[0], 1 + x[0])
    assert r.prob_best[1] == pytest.approx(ref, abs=1e-9)
    assert np.all(np.isfinite(r.lift_ci))


def test_large_balanced_arms_against_quadpack():
    # 1e6 and 1e9 visitors at 10%: scipy's QUADPACK on ∫ f_B F_A as the reference.
    for n, x in ((10**6, (100_000, 100_300)), (10**9, (100_000_000, 100_010_000))):
        r = beta_binomial(list(x), [n, n])
        ref = quad_prob_b_beats_a(1 + x[0], 1 + n - x[0], 1 + x[1], 1 + n - x[1])
        assert r.prob_best[1] == pytest.approx(ref, abs=2e-9)


def test_jeffreys_prior_against_quadpack():
    # Half-integer posteriors (Jeffreys), including a 0-conversion arm with its
    # x^(-1/2) density spike at 0.
    for x, n in (([0, 2], [50, 60]), ([3, 9], [200, 210]), ([0, 0], [30, 3000])):
        r = beta_binomial(x, n, prior="jeffreys")
        a = np.array(x) + 0.5
        b = np.array(n) - np.array(x) + 0.5
        assert r.prob_best[1] == pytest.approx(
            quad_prob_b_beats_a(a[0], b[0], a[1], b[1]), abs=1e-9
        )
        np.testing.assert_array_equal(r.posterior_alpha, a)


def test_jeffreys_random_cases_against_quadpack():
    # Half-integer posteriors, 10 to 1e6 visitors per arm, near 0, 1 and between
    # (QUADPACK cannot integrate next to the (1-x)^(-1/2) spike of an arm with no
    # non-conversions, so those cases are left to the symmetry tests).
    cases = [c for c in random_cases(5, 60, max_n=10**6) if c[0] < c[1] and c[2] < c[3]]
    x = np.array([[c[0], c[2]] for c in cases])
    n = np.array([[c[1], c[3]] for c in cases])
    r = beta_binomial(x, n, prior="jeffreys")
    a, b = r.posterior_alpha, r.posterior_beta
    ref = np.array([quad_prob_b_beats_a(a[i, 0], b[i, 0], a[i, 1], b[i, 1]) for i in range(len(x))])
    assert np.max(np.abs(r.prob_best[:, 1] - ref)) < 1e-9


def test_jeffreys_zero_conversions_across_scales():
    # A 0-conversion Jeffreys arm (density x^(-1/2) at 0) cut by the range of an
    # arm a million times larger: its density must stay resolved far from 0.
    # Reference: for X_B << 1, F_A(x) = 2 sqrt(x) / B(1/2, 10.5) (1 - 19/6 x + ...),
    # so P(A < B) = 2 E[sqrt(X_B)] / B(1/2, 10.5) to ~1e-13 (mpmath, 40 digits).
    r = beta_binomial([0, 0], [10, 10**9], prior="jeffreys")
    assert r.prob_best[1] == pytest.approx(6.4462411361198218e-05, abs=1e-9)
    for x, n in (([0, 0], [10, 10**5]), ([0, 1], [30, 10**6])):
        r = beta_binomial(x, n, prior="jeffreys")
        a, b = r.posterior_alpha, r.posterior_beta
        assert r.prob_best[1] == pytest.approx(
            quad_prob_b_beats_a(a[0], b[0], a[1], b[1]), abs=1e-9
        )


def test_priors_below_jeffreys_stay_finite():
    # Beta(0.1, 0.1) and Beta(0.3, 2) priors with tiny or huge arms: posteriors with
    # a < 1/2 pile up within 1e-30 of 0; the answer stays finite and sums to 1.
    for prior in ((0.1, 0.1), (0.3, 2.0)):
        for x, n in (([0, 0], [1, 1]), ([0, 0], [10, 10**9]), ([3, 0], [25, 10**9])):
            r = beta_binomial(x, n, prior=prior)
            assert np.all(np.isfinite(r.lift_ci)) and np.all(np.isfinite(r.rate_ci))
            assert r.prob_best.sum() == pytest.approx(1.0, abs=1e-6)


def test_informative_prior_from_baseline():
    # Beta(rate * n_eff, (1 - rate) * n_eff), here Beta(5, 45): integer, so Miller applies.
    prior = prior_from_baseline(0.1, 50)
    assert prior == pytest.approx((5.0, 45.0))
    r = beta_binomial([12, 20], [100, 110], prior=prior)
    ref = miller_prob_b_beats_a(5 + 12, 45 + 88, 5 + 20, 45 + 90)
    assert r.prob_best[1] == pytest.approx(ref, abs=1e-10)
    # The prior's weight pulls the posterior mean towards 0.1.
    assert r.rate_mean[0] == pytest.approx(17 / 150)


def test_prob_best_sums_to_one_and_respects_order():
    rng = np.random.default_rng(3)
    n = rng.integers(10, 200_000, size=(300, 4))
    x = rng.binomial(n, rng.uniform(0.001, 0.999, size=(300, 1)))
    r = beta_binomial(x, n)
    np.testing.assert_allclose(r.prob_best.sum(axis=1), 1.0, atol=1e-10)
    assert np.all((r.prob_best >= -1e-12) & (r.prob_best <= 1 + 1e-12))
    assert np.all(r.expected_loss >= -1e-15)


def test_swapping_arms_permutes_every_field():
    x, n = np.array([30, 45, 38]), np.array([1000, 1100, 900])
    r = beta_binomial(x, n, control=0)
    order = [2, 0, 1]
    s = beta_binomial(x[order], n[order], control=1)  # the same control, moved
    for field in ("prob_best", "prob_beat_control", "expected_loss", "rate_mean", "lift_mean"):
        np.testing.assert_allclose(getattr(s, field), getattr(r, field)[order], atol=1e-11)
    np.testing.assert_allclose(s.lift_ci, r.lift_ci[order], rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(s.rate_ci, r.rate_ci[order], rtol=1e-9, atol=1e-13)


def test_prob_beat_control_with_several_arms_is_pairwise():
    r = beta_binomial([100, 120, 90], [1000, 1000, 1000])
    for i in (1, 2):
        pair = beta_binomial([100, [120, 90][i - 1]], [1000, 1000])
        assert r.prob_beat_control[i] == pytest.approx(pair.prob_best[1], abs=1e-10)


# --- expected loss --------------------------------------------------------------


def test_expected_loss_matches_stucchio_closed_form():
    for x_a, n_a, x_b, n_b in random_cases(1, 40, max_n=3000):
        a_a, b_a, a_b, b_b = 1 + x_a, 1 + n_a - x_a, 1 + x_b, 1 + n_b - x_b
        r = beta_binomial([x_a, x_b], [n_a, n_b])
        # loss of A = E[(B - A)+]; loss of B = E[(A - B)+]
        assert r.expected_loss[0] == pytest.approx(stucchio_loss(a_a, b_a, a_b, b_b), abs=1e-10)
        assert r.expected_loss[1] == pytest.approx(stucchio_loss(a_b, b_b, a_a, b_a), abs=1e-10)


def test_expected_loss_self_check_two_arms():
    # E[(A - B)+] = E[A] - E[B] + E[(B - A)+]  (the issue's self-check)
    r = beta_binomial(
        [[1000, 1100], [3, 0], [10**8, 10**8 + 3000]], [[10000] * 2, [10] * 2, [10**9] * 2]
    )
    lhs = r.expected_loss[:, 1]
    rhs = r.rate_mean[:, 0] - r.rate_mean[:, 1] + r.expected_loss[:, 0]
    np.testing.assert_allclose(lhs, rhs, atol=1e-12)
    np.testing.assert_allclose(r.relative_loss, r.expected_loss / r.rate_mean[:, :1])


# --- credible intervals ---------------------------------------------------------


def test_rate_ci_matches_scipy_beta_quantiles():
    x, n = np.array([0, 3, 500, 10**8]), np.array([10, 1000, 1000, 10**9])
    for prior in ("uniform", "jeffreys"):
        r = beta_binomial(x, n, prior=prior, alpha=0.1)
        a, b = r.posterior_alpha, r.posterior_beta
        ref = np.stack([stats.beta.ppf(0.05, a, b), stats.beta.ppf(0.95, a, b)], axis=-1)
        sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        assert np.all(np.abs(r.rate_ci - ref) <= 1e-8 * sd[:, None])


@pytest.mark.parametrize(
    ("x", "n"),
    [
        ([1000, 1100], [10000, 10000]),
        ([5, 50], [100, 1000]),
        ([0, 3], [10, 10]),
        ([0, 0], [1000, 1000]),
    ],
)
def test_lift_ci_inverts_the_ratio_cdf(x, n):
    # The interval ends are the 2.5% and 97.5% points of rate_B / rate_A, checked
    # with QUADPACK on P(X_B <= r X_A) = ∫ f_A(x) F_B(r x) dx.
    r = beta_binomial(x, n)
    a, b = r.posterior_alpha, r.posterior_beta
    for q, lift in zip((0.025, 0.975), r.lift_ci[1], strict=True):
        assert ratio_cdf(a[1], b[1], a[0], b[0], 1 + lift) == pytest.approx(q, abs=1e-8)
    np.testing.assert_array_equal(r.lift_ci[0], [0.0, 0.0])  # the control against itself


def test_monte_carlo_two_million_draws():
    # Three arms, 2e6 posterior draws: P(best), expected loss, lift interval and
    # lift mean agree within Monte Carlo error (5 standard errors).
    rng = np.random.default_rng(20240601)
    x, n = np.array([120, 141, 128]), np.array([2000, 2050, 1980])
    r = beta_binomial(x, n)
    draws = rng.beta(1 + x, 1 + n - x, size=(2_000_000, 3))
    best = np.bincount(draws.argmax(axis=1), minlength=3) / len(draws)
    se = np.sqrt(best * (1 - best) / len(draws))
    assert np.all(np.abs(r.prob_best - best) < 5 * se + 1e-12)
    regret = draws.max(axis=1, keepdims=True) - draws
    loss_se = regret.std(axis=0) / np.sqrt(len(draws))
    assert np.all(np.abs(r.expected_loss - regret.mean(axis=0)) < 5 * loss_se)
    lift = draws[:, 1] / draws[:, 0] - 1
    np.testing.assert_allclose(r.lift_ci[1], np.quantile(lift, [0.025, 0.975]), atol=2e-3)
    assert r.lift_mean[1] == pytest.approx(lift.mean(), abs=5 * lift.std() / np.sqrt(len(lift)))


# --- shapes, batches, output ----------------------------------------------------


def test_batch_rows_equal_single_calls():
    x = np.array([[10, 12], [0, 5], [900, 1000], [7, 7]])
    n = np.array([[100, 100], [50, 60], [10_000, 10_000], [7, 9]])
    batch = beta_binomial(x, n)
    assert batch.prob_best.shape == (4, 2) and batch.lift_ci.shape == (4, 2, 2)
    assert batch.rate_ci.shape == (4, 2, 2) and batch.posterior_alpha.shape == (4, 2)
    for row in range(4):
        one = beta_binomial(x[row], n[row])
        for field in ("prob_best", "expected_loss", "lift_ci", "rate_ci", "lift_mean"):
            np.testing.assert_allclose(
                getattr(batch, field)[row], getattr(one, field), rtol=1e-12, atol=1e-14
            )


def test_ten_thousand_experiments_in_one_call():
    rng = np.random.default_rng(7)
    n = rng.integers(1000, 50_000, size=(10_000, 2))
    x = rng.binomial(n, [0.05, 0.052])
    r = beta_binomial(x, n)
    assert r.prob_best.shape == (10_000, 2)
    assert np.all(np.isfinite(r.lift_ci)) and np.all(np.isfinite(r.expected_loss))
    np.testing.assert_allclose(r.prob_best.sum(axis=1), 1.0, atol=1e-10)


def test_to_dict_is_json_ready():
    d = beta_binomial([10, 12], [100, 100]).to_dict()
    assert json.loads(json.dumps(d))["control"] == 0
    assert len(d["lift_ci"]) == 2 and len(d["lift_ci"][1]) == 2


def test_lift_mean_closed_form_and_infinite_case():
    # E[X_B / X_A] = E[X_B] (a_A + b_A - 1) / (a_A - 1); infinite for a_A <= 1.
    r = beta_binomial([10, 12], [100, 100])
    assert r.lift_mean[1] == pytest.approx(13 / 102 * (101 / 10) - 1)
    r0 = beta_binomial([0, 3], [100, 100])
    assert r0.lift_mean[1] == np.inf and r0.lift_mean[0] == 0


# --- input validation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"conversions": [5, 11], "visitors": [10, 10]},
            r"conversions\[1\] = 11.0 exceeds visitors\[1\]",
        ),
        (
            {"conversions": [-1, 2], "visitors": [10, 10]},
            r"conversions\[0\] = -1.0: a count cannot be negative",
        ),
        (
            {"conversions": [1.5, 2], "visitors": [10, 10]},
            r"conversions\[0\] = 1.5: a count must be a whole",
        ),
        (
            {"conversions": [1, 2], "visitors": [10, np.nan]},
            r"visitors\[1\] = nan: must be a finite",
        ),
        ({"conversions": [1], "visitors": [10]}, "at least 2 arms"),
        ({"conversions": np.ones((2, 2, 2)), "visitors": np.ones((2, 2, 2))}, "1-D .* or 2-D"),
        (
            {"conversions": [[1, 2], [3, 20]], "visitors": [[10, 10], [10, 10]]},
            r"conversions\[1, 1\] = 20.0",
        ),
        ({"prior": (0.0, 1.0)}, r"prior alpha = 0.0: must be greater than 0"),
        ({"prior": (1.0, -2.0)}, r"prior beta = -2.0: must be greater than 0"),
        ({"prior": "haldane"}, "prior='haldane' is not one of 'uniform', 'jeffreys'"),
        ({"prior": 3.0}, "prior must be 'uniform', 'jeffreys' or an"),
        ({"prior": ([1, 1, 1], [1, 1, 1])}, "do not broadcast"),
        ({"control": 2}, "control = 2 is out of range for 2 arms"),
        ({"control": "a"}, "control must be an arm index"),
        ({"alpha": 1.5}, "alpha = 1.5"),
    ],
)
def test_bad_input_names_the_argument(kwargs, message):
    args = {"conversions": [5, 6], "visitors": [10, 10]} | kwargs
    x, n = args.pop("conversions"), args.pop("visitors")
    with pytest.raises(ValueError, match=message):
        beta_binomial(x, n, **args)


def test_prior_from_baseline_validates():
    with pytest.raises(ValueError, match="rate"):
        prior_from_baseline(1.2, 100)
    with pytest.raises(ValueError, match="n_eff"):
        prior_from_baseline(0.1, 0)


# --- lower is better -------------------------------------------------------------


def test_inverse_ranks_from_the_lowest_rate_monte_carlo():
    # inverse=True (bounce, refunds): three arms, 2e6 seeded posterior draws; P(lowest),
    # E[rate_i - min_j rate_j] and P(rate_i < rate_control) agree within 5 standard
    # errors, and the rates and lift intervals are those of inverse=False
    rng = np.random.default_rng(20261204)
    x, n = np.array([520, 470, 505]), np.array([1000, 990, 1010])
    r = beta_binomial(x, n, inverse=True)
    up = beta_binomial(x, n)
    draws = rng.beta(1 + x, 1 + n - x, size=(2_000_000, 3))
    lowest = np.bincount(draws.argmin(axis=1), minlength=3) / len(draws)
    se = np.sqrt(lowest * (1 - lowest) / len(draws))
    assert np.all(np.abs(r.prob_best - lowest) < 5 * se + 1e-12)
    regret = draws - draws.min(axis=1, keepdims=True)
    loss_se = regret.std(axis=0) / np.sqrt(len(draws))
    assert np.all(np.abs(r.expected_loss - regret.mean(axis=0)) < 5 * loss_se)
    below = (draws[:, 1:] < draws[:, :1]).mean(axis=0)
    assert np.all(np.abs(r.prob_beat_control[1:] - below) < 5 * np.sqrt(below * (1 - below) / 2e6))
    np.testing.assert_allclose(r.relative_loss, r.expected_loss / r.rate_mean[0])
    np.testing.assert_array_equal(r.lift_ci, up.lift_ci)
    np.testing.assert_array_equal(r.rate_mean, up.rate_mean)


def test_inverse_two_arms_is_the_swapped_closed_form():
    # two arms: P(rate_B < rate_A) = 1 - P(rate_B > rate_A) (scipy's QUADPACK, as
    # above), and P(lowest) of the rates is P(highest) of the rates of not converting,
    # Beta(1 + n - x, 1 + x), i.e. beta_binomial on n - x with the prior swapped
    x, n = [30, 18], [400, 380]
    r = beta_binomial(x, n, inverse=True, prior=(2.0, 5.0))
    ref = quad_prob_b_beats_a(2 + x[0], 5 + n[0] - x[0], 2 + x[1], 5 + n[1] - x[1])
    assert r.prob_beat_control[1] == pytest.approx(1 - ref, abs=1e-9)
    assert r.prob_best[1] == pytest.approx(1 - ref, abs=1e-9)
    swapped = beta_binomial(np.subtract(n, x), n, prior=(5.0, 2.0))
    np.testing.assert_allclose(r.prob_best, swapped.prob_best, atol=1e-10)
    np.testing.assert_allclose(r.expected_loss, swapped.expected_loss, atol=1e-10)
