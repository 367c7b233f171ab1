"""An idiomatic pandas implementation of ``summarize``'s core semantics.

Used as an independent oracle by the tests and as the baseline of
``benchmarks/bench_aggregate.py``. It covers totals (no segments, no days,
no CUPED): first-exposure assignment, multi-variant exclusion, attribution
window, binary and value goals, events before exposure, and capped value goals
(the cap by ``np.quantile``, numpy's default linear interpolation, over every
analysed unit of the experiment with the zeros written out).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from abtest.data.model import INHERIT, EventMetric, parse_window


def summarize_pandas(
    exposures: pd.DataFrame,
    conversions: pd.DataFrame,
    goals: list[EventMetric],
    window: timedelta = timedelta(days=7),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(stats, exclusions)``: stats has experiment, variant, metric, n, sum, sum_sq
    (and cap, capped when a goal is capped: NaN on the others); exclusions has
    experiment, variant, metric, reason, units (multiple_variants and
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
        caps = None
        if g.value is not None and g.capping is not None:
            per_unit, caps = _capped(per_unit, n, g.capping)
        per_unit["y2"] = per_unit["y"] ** 2
        s = per_unit.groupby(["experiment", "variant"], as_index=False)[["y", "y2"]].sum()
        out = n.merge(s, on=["experiment", "variant"], how="left").fillna({"y": 0.0, "y2": 0.0})
        out["metric"] = g.id
        if caps is not None:
            cut = per_unit.groupby(["experiment", "variant"])["cut"].sum().rename("capped")
            out = out.merge(cut.reset_index(), on=["experiment", "variant"], how="left")
            out["capped"] = out["capped"].fillna(0).astype(float)
            out["cap"] = out["experiment"].map(caps).astype(float)
        rows.append(out.rename(columns={"y": "sum", "y2": "sum_sq"}))
    cols = ["experiment", "variant", "metric", "n", "sum", "sum_sq"]
    stats = pd.concat(rows, ignore_index=True)
    stats = stats[cols + [c for c in ("cap", "capped") if c in stats.columns]]
    stats["n"] = stats["n"].astype(np.int64)
    exclusions = pd.concat(excl, ignore_index=True)
    return stats, exclusions


def _capped(per_unit: pd.DataFrame, n: pd.DataFrame, capping: Any) -> tuple[pd.DataFrame, dict]:
    """Each unit's ``y`` cut at its experiment's cap (and ``cut``: 1 where it was), and
    the caps per experiment: ``np.quantile`` of every analysed unit's value, the units
    without a row written out as zeros (left out with ``ignore_zeros``)."""
    caps = {}
    for exp, units in n.groupby("experiment")["n"].sum().items():
        y = per_unit.loc[per_unit["experiment"] == exp, "y"].to_numpy(float)
        if capping.value is not None:
            caps[exp] = capping.value
            continue
        y = y[y > 0] if capping.ignore_zeros else np.concatenate([y, np.zeros(units - len(y))])
        caps[exp] = float(np.quantile(y, capping.percentile)) if len(y) else np.nan
    cap = per_unit["experiment"].map(caps).to_numpy(float)
    y = per_unit["y"].to_numpy(float)
    return per_unit.assign(y=np.minimum(y, cap), cut=(y > cap).astype(int)), caps
