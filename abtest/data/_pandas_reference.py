"""An idiomatic pandas implementation of ``summarize``'s core semantics.

Used as an independent oracle by the tests and as the baseline of
``benchmarks/bench_aggregate.py``. It covers totals (no segments, no days,
no CUPED): first-exposure assignment, multi-variant exclusion, attribution
window, binary and value goals, and events before exposure.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from abtest.data.model import INHERIT, EventMetric, parse_window


def summarize_pandas(
    exposures: pd.DataFrame,
    conversions: pd.DataFrame,
    goals: list[EventMetric],
    window: timedelta = timedelta(days=7),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(stats, exclusions)``: stats has experiment, variant, metric, n, sum, sum_sq;
    exclusions has experiment, variant, metric, reason, units (multiple_variants and
    before_exposure only)."""
    e = exposures.dropna(subset=["unit_id", "experiment", "variant", "timestamp"])
    e = e[["experiment", "unit_id", "variant", "timestamp"]]
    first = e.sort_values("timestamp", kind="stable").drop_duplicates(["experiment", "unit_id"])
    nvar = e.groupby(["experiment", "unit_id"])["variant"].nunique().rename("nvar")
    first = first.merge(nvar.reset_index(), on=["experiment", "unit_id"])
    kept = first[first["nvar"] == 1].rename(columns={"timestamp": "first_ts"})
    n = kept.groupby(["experiment", "variant"]).size().rename("n").reset_index()
    multi = first[first["nvar"] > 1].groupby(["experiment", "variant"]).size()
    excl = [
        pd.DataFrame(
            {
                "experiment": multi.index.get_level_values(0),
                "variant": multi.index.get_level_values(1),
                "metric": "",
                "reason": "multiple_variants",
                "units": multi.to_numpy(),
            }
        )
    ]
    c = conversions.dropna(subset=["unit_id", "event", "timestamp"])
    rows = []
    for g in goals:
        w = window if g.window is INHERIT else parse_window(g.window)
        ev = c[c["event"] == g.event]
        cols = ["unit_id", "timestamp"] + ([g.value] if g.value else [])
        j = ev[cols].merge(kept[["experiment", "unit_id", "variant", "first_ts"]], on="unit_id")
        after = j["timestamp"] >= j["first_ts"]
        inw = after if w is None else after & (j["timestamp"] < j["first_ts"] + w)
        keys = ["experiment", "variant", "unit_id"]
        before = j[~after].drop_duplicates(keys).groupby(["experiment", "variant"]).size()
        if len(before):
            excl.append(
                pd.DataFrame(
                    {
                        "experiment": before.index.get_level_values(0),
                        "variant": before.index.get_level_values(1),
                        "metric": g.id,
                        "reason": "before_exposure",
                        "units": before.to_numpy(),
                    }
                )
            )
        if g.value is None:
            per_unit = j[inw].drop_duplicates(keys).assign(y=1.0)
        else:
            ok = inw & (j[g.value] >= 0)
            per_unit = (
                j[ok].groupby(keys, as_index=False)[g.value].sum().rename(columns={g.value: "y"})
            )
        per_unit["y2"] = per_unit["y"] ** 2
        s = per_unit.groupby(["experiment", "variant"], as_index=False)[["y", "y2"]].sum()
        out = n.merge(s, on=["experiment", "variant"], how="left").fillna({"y": 0.0, "y2": 0.0})
        out["metric"] = g.id
        rows.append(out.rename(columns={"y": "sum", "y2": "sum_sq"}))
    stats = pd.concat(rows, ignore_index=True)[
        ["experiment", "variant", "metric", "n", "sum", "sum_sq"]
    ]
    stats["n"] = stats["n"].astype(np.int64)
    exclusions = pd.concat(excl, ignore_index=True)
    return stats, exclusions
