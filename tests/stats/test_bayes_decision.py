"""bayes_decision: the configurable "P(best) >= 0.95 and expected loss below the
threshold of caring" rule, and its reasons."""

import numpy as np
import pytest

from abtest.stats import bayes_decision, beta_binomial


def test_ships_a_clear_winner():
    r = beta_binomial([1000, 1100], [10000, 10000])
    d = bayes_decision(r.prob_best, r.relative_loss, names=["control", "B"], control=0)
    # P(best) 0.98946 and relative loss 1.6e-4 (below GrowthBook's 0.25%)
    assert d.winner_index == 1 and d.ship and d.best_index == 1
    assert d.reason == "ship B: P(best) = 98.9% >= 95% and expected loss 0.00016 <= 0.0025"


def test_not_sure_enough():
    d = bayes_decision([0.3, 0.7], [0.01, 0.002])
    assert d.winner_index is None and not d.ship and d.best_index == 1
    assert d.reason == "no winner yet: the leader arm 1 has P(best) = 70.0% < 95%"


def test_sure_but_the_loss_is_above_the_threshold_of_caring():
    d = bayes_decision([0.01, 0.99], [0.05, 0.004], names=["A", "B"])
    assert d.winner_index is None
    assert "B has P(best) = 99.0% but its expected loss 0.004 is above" in d.reason
    # Without the loss criterion the same numbers ship B.
    assert bayes_decision([0.01, 0.99], [0.05, 0.004], loss_threshold=None).winner_index == 1


def test_undefined_loss_never_ships():
    # bayes_means gives a NaN relative loss when the control's mean is 0.
    d = bayes_decision([0.01, 0.99], [np.nan, np.nan])
    assert d.winner_index is None and d.reason.endswith("its expected loss is undefined")


def test_control_best_is_kept():
    d = bayes_decision([0.97, 0.03], [0.0001, 0.02], control=0, names=["control", "B"])
    assert d.winner_index == 0 and d.reason.startswith("keep control (the control)")


def test_batch_decisions():
    d = bayes_decision([[0.02, 0.98], [0.5, 0.5]], [[0.01, 0.001], [0.001, 0.001]], threshold=0.9)
    np.testing.assert_array_equal(d.winner_index, [1, -1])
    np.testing.assert_array_equal(d.ship, [True, False])
    assert len(d.reason) == 2 and d.to_dict()["winner_index"] == [1, -1]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([0.5, 1.5], [0, 0]), {}, r"prob_best\[1\] = 1.5: must be a probability"),
        (([0.5, 0.5], [0, -1]), {}, r"expected_loss\[1\] = -1.0: cannot be negative"),
        (([0.5, 0.5], [0, 0, 0]), {}, "same shape"),
        (([0.5, 0.5], [0, 0]), {"threshold": 0}, "threshold = 0"),
        (([0.5, 0.5], [0, 0]), {"loss_threshold": -1}, "loss_threshold = -1"),
        (([0.5, 0.5], [0, 0]), {"names": ["a"]}, "names has 1 entries for 2 arms"),
    ],
)
def test_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        bayes_decision(*args, **kwargs)
