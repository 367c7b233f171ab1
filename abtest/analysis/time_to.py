"""Time to conversion per variant: Kaplan-Meier medians and the log-rank test.

From ``Summary.time_to`` (counted in the engine: :mod:`abtest.data.time_to`), for each
goal: per variant the units, conversions, the median time from first exposure to the
goal with its 95% interval (:func:`abtest.stats.kaplan_meier`, R ``survfit``: Greenwood
variance, log-transformed interval; NaN where the curve does not reach 0.5, as R says
NA), and across the variants the log-rank test (:func:`abtest.stats.logrank_test`,
R ``survdiff``). Units that have not converted are censored at the analysis end or at
the goal's attribution window, whichever comes first. Times are in hours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abtest.design import Design
from abtest.stats.logrank import logrank_test
from abtest.stats.survival import kaplan_meier

COLUMNS = (
    "metric", "variant", "units", "conversions", "median_hours", "median_low", "median_high",
    "logrank_statistic", "logrank_p_value",
)  # fmt: skip


def time_to_table(design: Design, time_to: pd.DataFrame | None) -> pd.DataFrame | None:
    """One row per (goal, variant): ``COLUMNS`` (None without time-to data)."""
    if time_to is None or time_to.empty:
        return None
    rows = time_to[time_to["experiment"] == design.experiment]
    out, curves = [], {}
    for metric, part in rows.groupby("metric", sort=False):
        part = part[part["count"] > 0]
        test = (
            logrank_test(part["time"], part["event"], part["variant"], count=part["count"])
            if part["variant"].nunique() >= 2 and (part["event"] == 1).any()
            else None
        )
        for v in design.variants or sorted(part["variant"].unique()):
            arm = part[part["variant"] == v]
            if arm.empty:
                continue
            km = kaplan_meier(arm["time"], arm["event"], count=arm["count"])
            curves[(metric, v)] = km
            low, high = np.asarray(km.median_ci, dtype=float)
            out.append(
                {
                    "metric": metric,
                    "variant": v,
                    "units": int(arm["count"].sum()),
                    "conversions": int(arm.loc[arm["event"] == 1, "count"].sum()),
                    "median_hours": float(km.median),
                    "median_low": low,
                    "median_high": high,
                    "logrank_statistic": np.nan if test is None else float(test.statistic),
                    "logrank_p_value": np.nan if test is None else float(test.p_value),
                }
            )
    if not out:
        return None
    frame = pd.DataFrame(out, columns=list(COLUMNS))
    # the Kaplan-Meier results per (goal, variant), for the plot (reports draw, not compute)
    frame.attrs["curves"] = curves
    return frame
