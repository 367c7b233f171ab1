"""The sample collected against the plan, and the plan's baseline checked against the
data: how far an experiment is, how many days are left, and whether the plan must be
redone at the observed rate (:func:`plan_progress`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from abtest.analysis.decision_model import Progress
from abtest.analysis.metrics import MetricSums
from abtest.data.summary import Summary
from abtest.design import Design
from abtest.stats import duration_days, plan_proportions

BASELINE_CHECK = 0.99  # the level of the control rate's interval the plan's baseline must lie in
# how far the sample needed at the observed rate must be from the plan's to replan: a
# material difference, not the few percent by which a rate still maturing (units whose
# attribution window has not closed yet) falls short of the full-window rate
REPLAN_FACTOR = 1.25


def _immature_share(design: Design, summary: Summary, first: MetricSums) -> float:
    """Share of the control's units exposed within the primary goal's attribution window
    of the data's last day: their windows are still open, so they have not finished
    converting. 0 without daily data or a known window (nothing to go on)."""
    spec = next((m for m in design.metrics or () if m.id == first.metric), None)
    if not summary.has_daily or spec is None or spec.window is None:
        return 0.0
    from abtest.vocabulary import parse_duration

    f = summary.frame
    rows = f[
        (f["experiment"] == design.experiment)
        & (f["metric"] == first.metric)
        & (f["variant"] == design.variants[0])
    ]
    if rows.empty or rows["n"].max() <= 0:
        return 0.0
    days = pd.to_datetime(rows["day"])
    # units first exposed on day d have a closed window at the end of the last day L
    # when d <= L - window (days are whole; the cumulative n counts units by exposure day)
    cutoff = days.max() - pd.Timedelta(parse_duration(spec.window, "attribution_window"))
    closed = rows.loc[days <= cutoff, "n"]
    return 1.0 - float(closed.max() if len(closed) else 0.0) / float(rows["n"].max())


def plan_progress(design: Design, summary: Summary, first: MetricSums) -> Progress | None:
    """Sample collected against the plan (needs ``baseline`` and ``mde``).

    The plan's baseline is checked against the data: when the primary goal is a
    conversion, the assumed rate lies outside the 99% Wilson interval of the control's
    observed rate (statsmodels ``proportion_confint``; its upper end raised for the
    units whose attribution window is still open, :func:`_immature_share`, which can
    only have lowered the rate) and the sample the same relative
    MDE needs at the observed rate differs from the plan's by a factor of at least
    :data:`REPLAN_FACTOR`, the requirement is recomputed with the observed rate (same
    MDE, power and split), and it decides whether the sample is reached and how many
    days are left.
    """
    if design.baseline is None or design.mde is None:
        return None

    def plan(baseline: float) -> tuple[np.ndarray, np.ndarray]:
        p = plan_proportions(
            baseline,
            design.mde,
            variants=len(design.variants),
            weights=design.weights,
            alpha=design.alpha,
            power=design.power,
            alternative=design.alternative,
        )
        return np.array(p.n_per_variant, dtype=float), np.array(p.weights)

    planned, share = plan(design.baseline)
    configured, observed_rate, interval, replanned = None, None, None, False
    if first.kind == "binary" and first.sums.n[0] > 0:
        from statsmodels.stats.proportion import proportion_confint

        observed_rate = float(first.sums.mean[0])
        low, high = proportion_confint(
            first.sums.sum[0], first.sums.n[0], alpha=1 - BASELINE_CHECK, method="wilson"
        )
        interval = (float(low), float(high))
        # units still in their window lower the observed rate: with a share s of them,
        # the full-window rate is at most observed / (1 - s), so a plan above the
        # interval is contradicted only beyond high / (1 - s)
        open_share = _immature_share(design, summary, first)
        ceiling = float(high) / (1 - open_share) if open_share < 1 else math.inf
        target = observed_rate * (1 + design.mde)
        contradicted = design.baseline < low or design.baseline > ceiling
        if contradicted and 0 < observed_rate and 0 < target < 1:
            needed, needed_share = plan(observed_rate)
            factor = float(np.max(needed / planned))
            if factor >= REPLAN_FACTOR or factor <= 1 / REPLAN_FACTOR:
                configured = tuple(int(x) for x in planned)
                planned, share, replanned = needed, needed_share, True
    observed = first.sums.n
    fraction = float(np.min(observed / planned))
    daily = None
    if summary.has_daily:
        days = summary.frame.loc[summary.frame["experiment"] == design.experiment, "day"].nunique()
        daily = float(observed.sum()) / max(days, 1)
    expected = design.expected_daily_units * design.traffic if design.expected_daily_units else None
    rate = daily or expected
    days_left = None
    if rate:
        # each variant's missing units at its share of the traffic; the slowest decides
        days_left = int(np.max(duration_days(np.maximum(planned - observed, 0) / share, rate)))
    return Progress(
        tuple(int(x) for x in planned),
        tuple(int(x) for x in observed),
        fraction,
        days_left,
        daily,
        assumed_baseline=design.baseline,
        observed_baseline=observed_rate,
        observed_interval=interval,
        replanned=replanned,
        configured_per_variant=configured,
    )
