"""Hostile inputs to the stats functions and ``abtest plan`` (issue 21, item 4).

Library calls: each impossible input raises one ``ValueError`` whose message names
the argument (and the index or value where there is one); none is accepted,
normalised away or turned into a NaN. The command line: each bad option gives one
``abtest: error:`` line naming the option, exit status 2, no traceback.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from abtest.stats import (
    adjust_p_values,
    chi2_omnibus,
    compare_means,
    compare_proportions,
    plan_proportions,
    proportion_test,
    srm_test,
    welch_test_from_sums,
)

# (call, the start of the message it must raise): the argument named, then its value
# or index where it has one. Each was accepted before the fix (or, for 1e20, turned
# into a wrong answer).
CASES = {
    # plan_proportions: weights not summing to 1 were silently normalised
    "plan weights sum 1.4": (
        lambda: plan_proportions(0.05, 0.1, weights=[0.7, 0.7]),
        r"weights sum to 1\.4, not 1",
    ),
    # daily_units = 0 meant "no duration" (falsy), a negative was refused only later
    "plan daily_units 0": (
        lambda: plan_proportions(0.05, 0.1, daily_units=0),
        r"daily_units = 0\.0: must be greater than 0",
    ),
    "plan daily_units -1": (
        lambda: plan_proportions(0.05, 0.1, daily_units=-1),
        r"daily_units = -1\.0: must be greater than 0",
    ),
    # allocation was checked only when daily_units was given
    "plan allocation 1.5": (
        lambda: plan_proportions(0.05, 0.1, allocation=1.5),
        r"allocation = 1\.5: must be a share in \(0, 1\]",
    ),
    # srm_test: weights were normalised, the threshold never checked
    "srm weights sum 2": (
        lambda: srm_test([100, 100], [1, 1]),
        r"weights sum to 2, not 1",
    ),
    "srm weights sum 0.9 in a batch": (
        lambda: srm_test([[100, 100], [50, 60]], [[0.5, 0.5], [0.45, 0.45]]),
        r"weights sum to 0\.9 \(row \[1\]\), not 1",
    ),
    "srm threshold 2": (
        lambda: srm_test([100, 100], [0.5, 0.5], threshold=2),
        r"threshold = 2: must be strictly between 0 and 1",
    ),
    "srm threshold 0": (
        lambda: srm_test([100, 100], [0.5, 0.5], threshold=0.0),
        r"threshold = 0\.0: must be strictly between 0 and 1",
    ),
    # adjust_p_values: out-of-range, NaN and empty families were all adjusted
    "adjust p 1.5": (
        lambda: adjust_p_values([0.5, 1.5]),
        r"p_values\[1\] = 1\.5: a p-value must be in \[0, 1\]",
    ),
    "adjust p negative": (
        lambda: adjust_p_values([-0.1, 0.5], "bh"),
        r"p_values\[0\] = -0\.1: a p-value must be in \[0, 1\]",
    ),
    "adjust p NaN": (
        lambda: adjust_p_values([0.01, float("nan"), 0.2]),
        r"p_values\[1\] = nan: a p-value cannot be NaN",
    ),
    "adjust p empty": (
        lambda: adjust_p_values([]),
        r"p_values is empty",
    ),
    # control=-1 was taken as Python's "last arm"
    "compare_proportions control -1": (
        lambda: compare_proportions([10, 20, 30], [100, 100, 100], control=-1),
        r"control=-1 is not an arm index \(there are 3 arms: 0\.\.2\)",
    ),
    "compare_means control -1": (
        lambda: compare_means([10, 10], [100.0, 110.0], [1100.0, 1300.0], control=-1),
        r"control=-1 is not an arm index",
    ),
    "compare_proportions control 1.0": (
        lambda: compare_proportions([10, 20], [100, 100], control=1.0),
        r"control=1\.0 is not an arm index",
    ),
    # impossible sums: sum_sq < sum^2 / n gave a variance clipped to 0
    "welch sum_sq below sum^2/n": (
        lambda: welch_test_from_sums(10, 100.0, 10.0, 10, 105.0, 1111.5),
        r"sum_sq_a = 10\.0 is below sum_a\*\*2 / n_a = 1000\.0: impossible sums",
    ),
    "welch sum_sq below sum^2/n at an index": (
        lambda: welch_test_from_sums(10, 100.0, 1002.25, 10, [105.0, 105.0], [1111.5, 1100.0]),
        r"sum_sq_b\[1\] = 1100\.0 is below sum_b\[1\]\*\*2 / n_b\[1\] = 1102\.5",
    ),
    # text converted silently to numbers; booleans to 0/1; empty arrays gave empty results
    "proportion_test text": (
        lambda: proportion_test("10", 100, 20, 100),
        r"conv_a must be numeric \(a real number\), got '10'",
    ),
    "proportion_test text in a list": (
        lambda: proportion_test(10, [100, "100"], 20, 100),
        r"n_a\[1\] must be numeric \(a real number\), got '100'",
    ),
    "proportion_test None": (
        lambda: proportion_test(10, 100, None, 100),
        r"conv_b must be numeric \(a real number\), got None",
    ),
    "proportion_test empty": (
        lambda: proportion_test([], [], [], []),
        r"conv_a is empty",
    ),
    "proportion_test boolean": (
        lambda: proportion_test(True, 100, 20, 100),
        r"conv_a = True: must be a number, not a boolean",
    ),
    "proportion_test boolean array": (
        lambda: proportion_test(10, 100, np.array([True, False]), 100),
        r"conv_b\[0\] = True: must be a number, not a boolean",
    ),
    "chi2_omnibus empty": (
        lambda: chi2_omnibus([], []),
        r"conversions is empty",
    ),
    # counts beyond 2**53 cannot be held exactly by the float64 computation
    "count 1e20": (
        lambda: proportion_test(10, 100, 20, 10**20),
        r"n_b = 100000000000000000000: a count above 2\*\*53",
    ),
    "count 1e20 as float in an array": (
        lambda: compare_proportions([10, 20], [100, 1e20]),
        r"visitors\[1\] = 1e\+20: a count above 2\*\*53",
    ),
    "count 2**53 + 1 as int64": (
        lambda: proportion_test(10, np.array([2**53 + 1], dtype=np.int64), 20, 100),
        r"n_a\[0\] = 9007199254740993: a count above 2\*\*53",
    ),
    "srm count 1e20": (
        lambda: srm_test([10**20, 10**20], [0.5, 0.5]),
        r"observed\[0\] = 100000000000000000000: a count above 2\*\*53",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_impossible_library_input_is_a_named_value_error(case):
    call, message = CASES[case]
    with pytest.raises(ValueError) as err:
        call()
    text = str(err.value)
    assert re.match(message, text), text
    assert "\n" not in text  # one line


# `abtest plan` options, named as typed; each was accepted before (exit 0 with a plan).
PLAN = ("plan", "--baseline", "0.05", "--mde", "0.1")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        (("--daily-visitors", "0"), "--daily-visitors 0"),
        (("--daily-visitors", "-100"), "--daily-visitors -100"),
        (("--daily-visitors", "4000", "--allocation", "0"), "--allocation 0"),
        (("--allocation", "0"), "--allocation 0"),
        (("--allocation", "1.5"), "--allocation 1.5"),  # no --daily-visitors: never checked
    ],
)
def test_plan_refuses_impossible_traffic(abtest_cli, one_line_error, options, needle):
    one_line_error(abtest_cli(*PLAN, *options), needle)


def test_plan_refuses_impossible_traffic_also_with_an_experiment(
    abtest_cli, one_line_error, tmp_path
):
    # the options are checked before the registry is read (an empty folder here)
    run = abtest_cli("plan", "some-id", "--registry", tmp_path, "--allocation", "2")
    one_line_error(run, "--allocation 2")
