"""Novelty: does the treatment's lift fade for units that met it later?

A novelty effect (visitors react to anything new, then get used to it) shows as a lift
that falls from the first exposure cohorts to the later ones. From the primary goal's
exposure-day cohorts (``Summary.cohorts``, counted in the engine: units first exposed on
a day and those that converted within the window), for each treatment and each day whose
windows have closed: the log ratio of the cohort's conversion rates,
``log(p_b / p_a)``, with its delta-method variance ``(1-p_b)/(n_b p_b) + (1-p_a)/(n_a
p_a)``; then the weighted least-squares trend of the log lift on the day
(:func:`abtest.stats.trend_test`, one-sided against the goal's good direction: a
decrease where higher is better, an increase where lower is, e.g. bounce with
``alternative="smaller"``). The lift is flagged as fading when that trend is significant
at the design's alpha, with at least two weeks of closed cohorts; the sentence compares
the pooled lift of the first week's cohorts with the last week's ("the lift fell from
+12% in week 1 to +3% in week 3", "rose from -30% ... to -2%" where lower is better).
Days where an arm has no conversions have no log ratio and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from abtest import formatting as fmt
from abtest.design import Design
from abtest.stats.trend import TrendResult, trend_test

MIN_DAYS = 14


@dataclass(frozen=True)
class Novelty:
    """One treatment's cohort lifts (``table``: day, lift, variance of the log lift) and
    the trend test; ``fading`` when the trend is significantly down."""

    variant: str
    table: pd.DataFrame
    trend: TrendResult | None
    fading: bool
    sentence: str | None


def novelty_checks(design: Design, cohorts: pd.DataFrame | None) -> list[Novelty]:
    """The novelty check of each treatment (empty without cohort counts)."""
    if cohorts is None or cohorts.empty:
        return []
    c = cohorts[(cohorts["experiment"] == design.experiment) & cohorts["closed"]]
    c = c[c["metric"] == design.primary]
    if c.empty:
        return []
    wide = c.pivot_table(index="day", columns="variant", values=["n", "converted"], aggfunc="sum")
    control = design.variants[0]
    out = []
    for v in design.variants[1:]:
        if (("n", v) not in wide.columns) or (("n", control) not in wide.columns):
            continue
        na, xa = wide[("n", control)].to_numpy(float), wide[("converted", control)].to_numpy(float)
        nb, xb = wide[("n", v)].to_numpy(float), wide[("converted", v)].to_numpy(float)
        days = (wide.index - wide.index.min()).days.to_numpy(float)
        out.append(_check(design, v, days, na, xa, nb, xb))
    return out


def _check(design: Design, v: str, days, na, xa, nb, xb) -> Novelty:
    with np.errstate(divide="ignore", invalid="ignore"):
        pa, pb = xa / na, xb / nb
        y = np.log(pb / pa)
        var = (1 - pb) / (nb * pb) + (1 - pa) / (na * pa)
    ok = np.isfinite(y) & np.isfinite(var) & (var > 0)
    table = pd.DataFrame({"day": days, "lift": np.exp(y) - 1, "var_log_lift": var})[ok]
    if ok.sum() < 3 or np.ptp(days[ok]) < MIN_DAYS - 1:
        return Novelty(v, table, None, False, None)
    # against the good direction: a benefit that wears off
    up = design.good_direction(design.primary) == "decrease"
    trend = trend_test(y[ok], var[ok], days[ok], alternative="larger" if up else "smaller")
    fading = trend.p_value < design.alpha
    sentence = None
    if fading:
        first = days[ok] < 7
        last_week = int(days[ok].max() // 7)
        last = days[ok] >= 7 * last_week

        def pooled(days_in: np.ndarray) -> float:  # the lift of those cohorts together
            rate_b = xb[ok][days_in].sum() / nb[ok][days_in].sum()
            return float(rate_b / (xa[ok][days_in].sum() / na[ok][days_in].sum()) - 1)

        early, late = pooled(first), pooled(last)
        sentence = (
            f"novelty: {v}'s lift {'rose' if up else 'fell'} from {fmt.pct(early, signed=True)} "
            f"in week 1 to "
            f"{fmt.pct(late, signed=True)} in week {last_week + 1} of exposure cohorts "
            f"(trend {fmt.p_equals(trend.p_value)})"
        )
    return Novelty(v, table, trend, fading, sentence)
