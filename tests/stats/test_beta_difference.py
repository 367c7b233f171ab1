"""Quantiles of the difference of two posterior rates (Beta variables).

References: the exact ``P(B > A)`` of ``beta_binomial`` (itself checked against Evan
Miller's closed form to 1e-12) at d = 0, and a 2e6-draw Monte Carlo for quantiles."""

import numpy as np
import pytest

from abtest.stats import beta_binomial
from abtest.stats.beta_difference import beta_difference_cdf, beta_difference_quantiles


def test_cdf_at_zero_is_one_minus_the_exact_probability_to_beat_control():
    rng = np.random.default_rng(5)
    n = rng.integers(20, 200_000, (300, 2))
    x = rng.binomial(n, rng.uniform(0.01, 0.4, (300, 1)))
    r = beta_binomial(x, n)
    got = beta_difference_cdf(x[:, 0] + 1, n[:, 0] - x[:, 0] + 1, x[:, 1] + 1,
                              n[:, 1] - x[:, 1] + 1, 0.0)  # fmt: skip
    np.testing.assert_allclose(got, 1 - r.prob_beat_control[:, 1], atol=1e-8)


@pytest.mark.parametrize(
    ("a", "b"),
    [((1001, 9001), (1101, 8901)), ((0.5, 100.5), (3.5, 97.5)), ((50001, 950001), (6, 96))],
)
def test_quantiles_match_monte_carlo(a, b):
    rng = np.random.default_rng(9)
    draws = rng.beta(*b, 2_000_000) - rng.beta(*a, 2_000_000)
    q = np.array([0.025, 0.05, 0.5, 0.95, 0.975])
    got = beta_difference_quantiles(*a, *b, q)
    want = np.quantile(draws, q)
    # Monte Carlo error of a quantile: sqrt(q (1 - q) / N) / density, at most ~3e-5 here
    np.testing.assert_allclose(got, want, atol=4 * draws.std() * 3e-3)
    # the quantiles invert the CDF
    np.testing.assert_allclose(beta_difference_cdf(*a, *b, got), q, atol=1e-10)


def test_batches_broadcast_with_the_quantiles_last():
    out = beta_difference_quantiles([1001, 50001], [9001, 950001], [1101, 6], [8901, 96],
                                    [0.05, 0.95])  # fmt: skip
    assert out.shape == (2, 2)
    assert out[0].tolist() == pytest.approx(
        beta_difference_quantiles(1001, 9001, 1101, 8901, [0.05, 0.95]).tolist(), abs=1e-15
    )
