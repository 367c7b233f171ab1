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


def _read(text: str) -> float:
    """The probability a reader takes from the text ("<0.01%" as 0.00005)."""
    bound = float(text.strip("<>%")) / 100
    return bound + {"<": -5e-5, ">": 5e-5}.get(text[0], 0.0)


def test_a_probability_is_never_printed_onto_the_threshold():
    # 0.94996 < 0.95 was printed "P(best) = 95.0% < 95%", a reason false of its own
    # numbers; and 0.9996 as "100.0%", a certainty. The rule is abtest.formatting's
    # probability (the tables'); stats keeps its own copy, held to the same text here
    import numpy as np

    from abtest.formatting import probability
    from abtest.stats.bayes_decision import _percent

    d = bayes_decision([0.05004, 0.94996], [0.01, 0.0001])
    assert d.reason == "no winner yet: the leader arm 1 has P(best) = 94.99% < 95%"
    d = bayes_decision([0.0004, 0.9996], [0.01, 0.0001])
    assert d.reason.startswith("ship arm 1: P(best) = 99.96% >= 95%")
    # a threshold of 0.975 was printed "98%": "P(best) = 97.6% >= 98%"
    d = bayes_decision([0.024, 0.976], [0.01, 0.0001], threshold=0.975)
    assert d.reason.startswith("ship arm 1: P(best) = 97.6% >= 97.5%")
    # thresholds of five digits print all of them, and the '>99.99%' shortcut gives way to
    # a threshold above it (it said "P(best) > 99.99% >= 100%"; a review helper's case)
    d = bayes_decision([1e-6, 1 - 1e-6], [0.01, 0.0001], threshold=0.99999)
    assert d.reason.startswith("ship arm 1: P(best) = 100.00% >= 99.999%")
    d = bayes_decision([0.00006, 0.99994], [0.01, 0.0001], threshold=0.99995)
    assert d.reason == "no winner yet: the leader arm 1 has P(best) = 99.99% < 99.995%"
    d = bayes_decision([0.00104, 0.99896], [0.01, 0.0001], threshold=0.999)
    assert d.reason == "no winner yet: the leader arm 1 has P(best) = 99.896% < 99.9%"
    grid = np.concatenate([np.linspace(0, 1, 20001), [0.94996, 0.97496, 0.9999999, 1e-9]])
    rng = np.random.default_rng(5)
    for p in np.concatenate([grid, rng.uniform(0, 1, 2000)]):
        for level in (0.9, 0.95, 0.975, 0.99, 0.999, 0.9123):  # the side of every threshold
            assert _percent(float(p), level) == probability(float(p), against=level)
            shown = _read(probability(float(p), against=level))
            assert (shown >= level) == (p >= level)
        for level in (0.9, 0.95, 0.975, 0.99):  # at half-percent levels, without `against`
            shown = _read(probability(float(p)))
            assert (shown >= level) == (p >= level)
