"""Guardrails of a sequential design: always-valid bounds, not a fixed-horizon test read
at every look."""

import numpy as np
import pandas as pd
import pytest

import abtest
from abtest.analysis import GuardrailSpec
from abtest.analysis.guardrails import sequential_guardrails
from abtest.analysis.metrics import metric_sums
from abtest.stats.wald import wald_test

DAYS, PER_DAY = 20, 400


def daily_frame(bounce: np.ndarray, signup: np.ndarray) -> pd.DataFrame:
    """Cumulative daily rows of two arms from (arm, day) counts of each goal."""
    n = PER_DAY * np.arange(1, DAYS + 1)
    days = pd.date_range("2024-01-01", periods=DAYS)
    rows = [
        {"experiment": "e", "variant": v, "metric": metric, "kind": "binary", "n": n[d],
         "sum": c[i, d], "sum_sq": c[i, d], "day": days[d]}
        for metric, counts in (("bounce", bounce), ("signup", signup))
        for c in [np.cumsum(counts, axis=1)]
        for i, v in enumerate(("control", "b"))
        for d in range(DAYS)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_a_sequential_guardrail_claims_holds_no_more_often_than_alpha():
    # Seeded simulation with a known truth: bounce 40% in the control and 42% in b, a
    # +5% rise, exactly the guardrail's margin (must not rise by more than 5%). "holds"
    # is then a false claim, which a valid test makes at most alpha = 5% of the time
    # at whichever look it is read (a sequential design reads a guardrail where its
    # row's test stopped, a look the data choose). Read at each of 20 daily looks, the
    # fixed-horizon one-sided Fieller bound (the test the guardrail used before) claims
    # it at some look in 19.25% of these 400 experiments; the always-valid sequence's
    # bound (what sequential_guardrails reads) at some look in 0.75% (3; conservative)
    from abtest.stats.always_valid import DEFAULT_N_OPT, always_valid_test

    rng = np.random.default_rng(2024)
    sims = 400
    bounce = rng.binomial(PER_DAY, [[0.40], [0.42]], size=(sims, 2, DAYS))
    n = PER_DAY * np.arange(1, DAYS + 1)
    conv = np.cumsum(bounce, axis=2)
    rate = conv / n
    upper = wald_test(n, rate[:, 0], rate[:, 0] * (1 - rate[:, 0]), n, rate[:, 1],
                      rate[:, 1] * (1 - rate[:, 1]), reference="normal",
                      alternative="smaller").lift_ci[1]  # fmt: skip
    assert np.mean((upper < 0.05).any(axis=1)) == pytest.approx(0.1925)
    nn = np.broadcast_to(n, conv[:, 0].shape)
    seq = always_valid_test(nn, conv[:, 0], conv[:, 0], nn, conv[:, 1], conv[:, 1],
                            alpha=0.05, n_opt=DEFAULT_N_OPT, intersect=False)  # fmt: skip
    held = (seq.lift_ci[1] < 0.05).any(axis=1)
    assert held.mean() == pytest.approx(0.0075) and held.mean() <= 0.05
    # and sequential_guardrails reads that sequence, at the look the table reads the
    # bounce row at, on one of the 3
    k = int(np.flatnonzero(held)[0])
    signup = rng.binomial(PER_DAY, 0.1, size=(2, DAYS))
    s = abtest.Summary(daily_frame(bounce[k], signup))
    guard = (GuardrailSpec("bounce", direction="decrease", margin=0.05),)
    a = abtest.analyze(s, metrics=["signup", "bounce"], guardrails=guard, method="sequential")
    data = metric_sums(s, "e", ["control", "b"], ["signup", "bounce"])
    (check,) = sequential_guardrails(a.design, data, s, a.results)
    assert check == a.decision.guardrails[0] and check.test == "always-valid"
    days = s.cumulative("bounce", ["control", "b"])[0]
    look = days.index(a.results.set_index(["metric", "variant"]).loc[("bounce", "b"), "look_day"])
    assert check.bound == pytest.approx(seq.lift_ci[1][k, look], rel=1e-9)


def test_a_sequential_design_reads_its_guardrails_always_valid():
    # b is a clear winner on signup (10% -> 13%) and bounces as much as the control
    # (40%): the guardrail (margin 10%) holds by its always-valid bound, which is wider
    # than the fixed-horizon one on the same data, and the sentence names it
    rng = np.random.default_rng(7)
    bounce = rng.binomial(PER_DAY, [[0.40], [0.40]], size=(2, DAYS))
    signup = rng.binomial(PER_DAY, [[0.10], [0.13]], size=(2, DAYS))
    s = abtest.Summary(daily_frame(bounce, signup))
    guard = (GuardrailSpec("bounce", direction="decrease", margin=0.10),)
    seq = abtest.analyze(s, metrics=["signup", "bounce"], guardrails=guard, method="sequential")
    fixed = abtest.analyze(s, metrics=["signup", "bounce"], guardrails=guard)
    (g,) = seq.decision.guardrails
    (f,) = fixed.decision.guardrails
    assert g.test == "always-valid" and f.test == "one-sided"
    assert g.lift == pytest.approx(f.lift, rel=1e-12)
    assert f.bound < g.bound < 0.10 and g.status == "holds"
    assert seq.winner == "b" and "guardrails hold" in seq.reason
    assert "always-valid 95% bound" in g.sentence


def two_looks(bounce_b: tuple[int, int]) -> abtest.Summary:
    """Cumulative counts at two looks (400 then 4,000 units per arm): signup 10% -> 13%,
    bounce 40% in the control, ``bounce_b`` in b."""
    rows = []
    for day, n, i in (("2024-01-01", 400, 0), ("2024-01-02", 4000, 1)):
        for v, signup, bounce in (
            ("control", n // 10, n * 4 // 10),
            ("b", n * 13 // 100, bounce_b[i]),
        ):
            for metric, c in (("signup", signup), ("bounce", bounce)):
                rows.append(
                    {
                        "experiment": "e",
                        "variant": v,
                        "metric": metric,
                        "kind": "binary",
                        "n": n,
                        "sum": c,
                        "sum_sq": c,
                        "day": pd.Timestamp(day),
                    }
                )
    return abtest.Summary(pd.DataFrame(rows))  # fmt: skip


@pytest.mark.parametrize(("bounce_b", "status"), [((240, 1300), "broken"), ((80, 2000), "holds")])
def test_a_guardrail_is_read_where_its_row_is(bounce_b, status):
    # A bounce rate that changes over time (a review helper's cases): b's bounce test
    # stops at the first look (60% or 20% against 40%), where the table reads its row.
    # The running intersection of the looks' intervals was then empty, and the guardrail
    # said "holds" beside a row of +50% [+17.1%, +97.3%] ("b is significantly worse on
    # bounce (within its guardrail's margin)"). It is now read at the row's look, from
    # that look's always-valid interval: the sentence is of the row's data
    guard = (GuardrailSpec("bounce", direction="decrease", margin=0.05),)
    a = abtest.analyze(two_looks(bounce_b), metrics=["signup", "bounce"], guardrails=guard,
                       method="sequential")  # fmt: skip
    row = a.results.set_index(["metric", "variant"]).loc[("bounce", "b")]
    (g,) = a.decision.guardrails
    assert str(row["look_day"].date()) == "2024-01-01" and bool(row["significant"])
    assert g.lift == pytest.approx(row["lift"], rel=1e-12) and g.status == status
    if status == "broken":  # +50%: its lower bound above +5%
        assert g.far == pytest.approx(row["lift_low"], rel=1e-12) and g.far > 0.05
        assert a.winner is None and "guardrail bounce broken" in a.reason
        assert "within its guardrail's margin" not in a.reason
    else:  # -50%: its upper bound below +5%
        assert g.bound == pytest.approx(row["lift_high"], rel=1e-12) and g.bound < 0.05
        assert a.winner == "b" and "guardrails hold" in a.reason
