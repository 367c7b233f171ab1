"""Sufficient statistics as values: Sums / CovariateSums, and the two-arm tests on them.

References: numpy's mean and var (ddof=1) of the unit rows the sums come from; the
array forms of each test (checked against R, statsmodels and gbstats in their own test
files) give the same numbers as the value forms.
"""

from __future__ import annotations

import numpy as np
import pytest

from abtest.stats import (
    always_valid_test,
    cuped_sums,
    cuped_test,
    group_sequential_test,
    ratio_test,
    welch_test_from_sums,
)
from abtest.stats.sums import CovariateSums, Sums, TwoArms


def _rows(seed: int, n: int, effect: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 5.0, n)
    y = 0.6 * x + rng.normal(effect, 3.0, n)
    return x, y


def _sums(x: np.ndarray, y: np.ndarray) -> CovariateSums:
    return CovariateSums(len(y), y.sum(), (y * y).sum(), x.sum(), (x * x).sum(), (x * y).sum())


def test_mean_and_var_are_those_of_the_unit_rows():
    x, y = _rows(1, 500)
    s = _sums(x, y)
    assert s.mean == pytest.approx(np.mean(y), rel=1e-12)
    assert s.var == pytest.approx(np.var(y, ddof=1), rel=1e-10)
    assert s.covariate.mean == pytest.approx(np.mean(x), rel=1e-12)
    assert s.covariate.var == pytest.approx(np.var(x, ddof=1), rel=1e-10)
    # fewer than two units have no sample variance
    assert np.isnan(Sums(1, 3.0, 9.0).var)


def test_adding_two_days_is_the_sums_of_all_their_units():
    x, y = _rows(2, 700)
    day1, day2 = _sums(x[:300], y[:300]), _sums(x[300:], y[300:])
    both = day1 + day2
    assert isinstance(both, CovariateSums)
    for got, want in zip(both.arrays, _sums(x, y).arrays, strict=True):
        assert got == pytest.approx(want, rel=1e-12)
    assert both.var == pytest.approx(np.var(y, ddof=1), rel=1e-10)
    with pytest.raises(TypeError):
        _ = day1 + Sums(1, 1.0, 1.0)  # a covariate cannot be dropped silently


def test_indexing_and_cumsum_work_field_by_field():
    daily = Sums(np.array([[10, 20, 30], [11, 21, 31]]), np.ones((2, 3)), np.ones((2, 3)))
    assert daily[1].n.tolist() == [11, 21, 31]
    assert daily[..., 1:].shape == (2, 2)
    assert daily.cumsum().n.tolist() == [[10, 30, 60], [11, 32, 63]]
    assert daily.cumsum().sum.tolist() == [[1, 2, 3], [1, 2, 3]]
    # a scalar field broadcasts to the shape of the others
    assert Sums(5, np.arange(3.0), np.arange(3.0))[2].n == 5


def test_every_two_arm_test_gives_the_same_answer_on_values_and_on_arrays():
    (xa, ya), (xb, yb) = _rows(3, 400), _rows(4, 450, effect=0.5)
    a, b = _sums(xa, ya), _sums(xb, yb)
    pairs = [
        (welch_test_from_sums(a.outcome, b.outcome), welch_test_from_sums(*a.outcome.arrays,
                                                                          *b.outcome.arrays)),
        (cuped_test(a, b), cuped_test(*a.arrays, *b.arrays)),
        (ratio_test(a, b), ratio_test(*a.arrays, *b.arrays)),
    ]  # fmt: skip
    for on_values, on_arrays in pairs:
        assert on_values.diff == on_arrays.diff
        assert on_values.p_value == on_arrays.p_value
        assert tuple(on_values.lift_ci) == tuple(on_arrays.lift_ci)
    # cuped_sums as values: Welch's test on its arms is cuped_test
    c = cuped_sums(a, b)
    w = welch_test_from_sums(*c)
    assert w.diff == pytest.approx(cuped_test(a, b).diff, rel=1e-12)
    assert w.p_value == pytest.approx(cuped_test(a, b).p_value, rel=1e-9)
    # plain Sums: no covariate, the unadjusted Welch test
    plain = cuped_test(a.outcome, b.outcome)
    assert not plain.adjusted
    assert plain.diff == pytest.approx(float(np.mean(yb) - np.mean(ya)), rel=1e-12)


def test_sequential_tests_take_looks_as_sums():
    n = np.array([2000, 4000, 6000])
    conv_a, conv_b = np.array([100, 200, 300.0]), np.array([120, 250, 380.0])
    arms = TwoArms(Sums(n, conv_a, conv_a), Sums(n, conv_b, conv_b))
    # the docstring example of always_valid_test (array form): p = 1.0, 0.2414, 0.039
    r = always_valid_test(*arms)
    assert [round(float(p), 4) for p in r.p_value] == [1.0, 0.2414, 0.039]
    ref = group_sequential_test(*arms.args, max_n=40000)
    got = group_sequential_test(*arms, max_n=40000)
    np.testing.assert_array_equal(got.statistic, ref.statistic)
    np.testing.assert_array_equal(got.p_value, ref.p_value)


def test_wrong_arguments_say_what_the_test_takes():
    a = Sums(10, 4.0, 4.0)
    with pytest.raises(TypeError, match=r"two Sums values, or the 6 per-arm arrays"):
        welch_test_from_sums(a, a, a)
    with pytest.raises(TypeError, match="CovariateSums for both arms"):
        ratio_test(a, a)
    cov = CovariateSums(10, 4.0, 4.0, 5.0, 5.0, 3.0)
    with pytest.raises(TypeError, match="both arms or of neither"):
        cuped_test(cov, a)
    with pytest.raises(ValueError, match="sum_x_b, sum_x_sq_b, sum_xy_b missing"):
        cuped_test(10, 4.0, 4.0, 5.0, 5.0, 3.0, 10, 4.0, 4.0, None, None, None)
