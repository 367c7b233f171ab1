"""One-arm intervals against statsmodels and scipy; the named interval shape."""

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from abtest.stats import Interval, beta_curves, mean_interval, rate_interval


def test_rate_interval_is_statsmodels_wilson():
    x, n = np.array([0, 3, 50, 990]), np.array([10, 40, 1000, 1000])
    low, high = proportion_confint(x, n, alpha=0.1, method="wilson")
    r = rate_interval(x, n, 0.1)
    np.testing.assert_allclose(r.low, low, rtol=1e-12)
    np.testing.assert_allclose(r.high, high, rtol=1e-12)


def test_mean_interval_is_scipy_t():
    r = mean_interval([5, 30], [2.0, -1.0], [1.5, 9.0], 0.05)
    for i, (n, m, v) in enumerate([(5, 2.0, 1.5), (30, -1.0, 9.0)]):
        lo, hi = sps.t.interval(0.95, n - 1, loc=m, scale=np.sqrt(v / n))
        assert (r.low[i], r.high[i]) == pytest.approx((lo, hi), rel=1e-12)


def test_beta_curves_are_scipy_beta_densities():
    x, y = beta_curves([11.0, 3.0], [91.0, 40.0])
    np.testing.assert_allclose(y[0], sps.beta.pdf(x, 11, 91), rtol=1e-10)
    np.testing.assert_allclose(y[1], sps.beta.pdf(x, 3, 40), rtol=1e-10)
    assert x[0] == pytest.approx(min(sps.beta.ppf(0.0005, [11, 3], [91, 40])), rel=1e-10)


def test_an_interval_unpacks_like_a_tuple_and_names_its_ends():
    low, high = Interval(1.0, 2.0)
    assert (low, high) == (1.0, 2.0) and Interval(1.0, 2.0).high == 2.0
