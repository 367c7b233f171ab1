"""Impossible arguments to abtest.analyze (#21 item 4): a ValueError naming the argument."""

import pytest

import abtest


def test_weights_that_do_not_sum_to_one_are_refused():
    # once silently normalised into a 50/50 split
    counts = abtest.Summary.from_counts({"control": (10, 100), "b": (12, 100)})
    with pytest.raises(ValueError, match=r"^weights sum to 1\.8, not 1"):
        abtest.analyze(counts, weights=[0.9, 0.9])


def test_a_primary_goal_that_is_not_analysed_is_named():
    counts = abtest.Summary.from_counts({"control": (10, 100), "b": (12, 100)})
    with pytest.raises(ValueError, match=r"primary='signup' is not among the goals analysed"):
        abtest.analyze(counts, primary="signup")
