"""The standard-library plan used by ``abtest validate`` agrees with abtest.stats exactly."""

from __future__ import annotations

import itertools

import pytest

from abtest.registry.planning import plan
from abtest.stats import duration_days, plan_proportions, sample_size_proportions

WEIGHTS = [(0.5, 0.5), (0.34, 0.33, 0.33), (0.2, 0.8), (0.25,) * 4, (0.6, 0.2, 0.2)]
GRID = [
    (b, m, a, pw, alt, w)
    for b, m, a, pw, alt, w in itertools.product(
        [0.003, 0.02, 0.04, 0.11, 0.3, 0.6],
        [0.01, 0.05, 0.1, 0.25, 0.5],
        [0.01, 0.05, 0.1],
        [0.8, 0.9],
        ["two-sided", "larger", "smaller"],
        WEIGHTS,
    )
    if b * (1 + m) < 1
]


def test_grid_matches_plan_proportions_exactly() -> None:
    assert len(GRID) > 2000
    for b, size, a, pw, alt, w in GRID:
        m = -size if alt == "smaller" else size  # a test for a decrease plans a decrease
        ref = plan_proportions(
            b, m, variants=len(w), weights=w, alpha=a, power=pw, alternative=alt,
            daily_units=1234.5, allocation=0.7,
        )  # fmt: skip
        got = plan(b, m, w, alpha=a, power=pw, alternative=alt, daily_units=1234.5, allocation=0.7)
        assert (got.n_per_variant, got.total_units, got.days) == (
            ref.n_per_variant, ref.total_units, ref.days,
        ), (b, m, a, pw, alt, w)  # fmt: skip


@pytest.mark.parametrize(("p_a", "mde"), [(0.05, 0.1), (0.01, 0.2), (0.5, 0.02)])
def test_two_arms_equal_sample_size_proportions(p_a: float, mde: float) -> None:
    n = int(sample_size_proportions(p_a, p_a * (1 + mde)))
    got = plan(p_a, mde, [0.5, 0.5], daily_units=4000)
    assert got.n_per_variant == (n, n)
    assert got.days == int(duration_days(2 * n, 4000))


def test_no_traffic_no_days() -> None:
    assert plan(0.05, 0.1, [0.5, 0.5]).days is None


def test_one_sided_decrease_plans_for_a_decrease(valid_text, write) -> None:
    """``alternative: smaller``: mde is the size of a decrease (the registry's mde is
    positive), in the design, the registry plan and the lint check alike."""
    from abtest.cli._registry_plan import plan_text
    from abtest.registry import load_registry
    from abtest.stats import plan_proportions

    text = valid_text(edits={"  mde: 0.10\n": "  mde: 0.10\n  alternative: smaller\n"})
    exp = load_registry(write(text).parent)["pricing-cta"]
    assert exp.analysis.signed_mde == -0.10
    assert exp.to_design().mde == -0.10
    ref = plan_proportions(0.04, -0.10, alpha=0.05, alternative="smaller")
    assert ref.target_rate == pytest.approx(0.036)
    assert f"{ref.n_per_variant[0]:,}" in plan_text(exp)
    light = plan(0.04, exp.analysis.signed_mde, [0.5, 0.5], alternative="smaller")
    assert light.n_per_variant == ref.n_per_variant
    # not the mirrored increase: a decrease from 4% needs fewer units than +10%
    up = plan_proportions(0.04, 0.10, alpha=0.05, alternative="larger")
    assert ref.n_per_variant[0] < up.n_per_variant[0]
