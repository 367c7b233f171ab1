"""The query's small result table turned into a :class:`~abtest.data.summary.Summary`: the
grid of every known (experiment, variant, metric[, segment][, day]), cumulative days, and
the exclusions counted per reason."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abtest.data import query
from abtest.data.model import EventMetric
from abtest.data.summary import Summary


def assemble(
    result: pd.DataFrame,
    arms: pd.DataFrame,
    goals: list[EventMetric],
    exp_profile: pd.DataFrame,
    conv_profile: pd.DataFrame,
    plan: query.QueryPlan,
    segments: Sequence[str],
) -> Summary:
    """The Summary of the query's ``result``; ``segments`` are the user's names of the
    query's segment columns (``plan.segments``, :mod:`abtest.data.query_columns`), which
    the frame and the quantiles table take back."""
    segs = list(plan.segments)
    names = dict(zip(segs, segments, strict=True))
    keys = [*segs, *(["day"] if plan.daily else [])]
    if plan.daily:
        result = result.assign(day=pd.to_datetime(result["day"]).astype("datetime64[ns]"))
    # (exp, vi) -> arm; units of a variant that is not configured are "unknown" (their
    # events, summed by the query like any other, are left out here)
    result = result.merge(arms[["exp", "vi", "arm", "known"]], on=["exp", "vi"], how="inner")
    unknown = result["part"].eq("units") & ~result["known"]
    result = result.assign(
        unknown=np.where(unknown, result["n"], 0), n=np.where(unknown, 0, result["n"])
    )
    units = result[result["part"] == "units"]
    per_arm = result[result["part"].isin(["units", "multi"])]
    metric = result[(result["part"] == "metric") & result["known"]]
    arm_info = arms.set_index("arm")
    known = arms[arms["known"]]
    metrics = pd.DataFrame(
        {
            "metric": np.arange(len(goals), dtype="int64"),
            "metric_id": [g.id for g in goals],
            "kind": [g.kind for g in goals],
        }
    )

    # the grid: every known arm (of an experiment with data) x segment x day x metric
    ucols = ["n", "sum_x", "sum_x_sq"]
    mcols = ["conv", "vsum", "vsq", "sum_xy", "capped"]
    u_known = units[units["arm"].isin(known["arm"])]
    if plan.daily:
        u_known = u_known.dropna(subset=["day"])
        mrows = metric.dropna(subset=["day"])
    else:
        mrows = metric
    have_exp = set(arm_info.loc[u_known["arm"], "exp"]) if len(u_known) else set()
    if not segs:
        combos = known[known["exp"].isin(have_exp)][["arm"]]
    else:
        combos = u_known[["arm", *segs]].drop_duplicates()
    if plan.daily:
        combos = _with_days(combos, u_known, mrows, arm_info)
    grid = combos.merge(metrics, how="cross")
    grid = grid.merge(
        u_known.groupby(["arm", *keys], as_index=False)[ucols].sum(), on=["arm", *keys], how="left"
    )
    grid = grid.merge(
        mrows[["arm", "metric", *keys, *mcols]], on=["arm", "metric", *keys], how="left"
    )
    grid[ucols + mcols] = grid[ucols + mcols].fillna(0)
    if plan.daily:
        grid = grid.sort_values(["arm", "metric", *segs, "day"], kind="stable")
        grid[ucols + mcols] = grid.groupby(["arm", "metric", *segs])[ucols + mcols].cumsum()
    binary = grid["kind"] == "binary"
    frame = pd.DataFrame(
        {
            "experiment": arm_info.loc[grid["arm"], "experiment"].to_numpy(),
            "variant": arm_info.loc[grid["arm"], "variant"].to_numpy(),
            "metric": grid["metric_id"].to_numpy(),
            "kind": grid["kind"].to_numpy(),
            **{k: grid[k].to_numpy() for k in segs},
            "n": grid["n"].to_numpy(dtype="int64"),
            "sum": np.where(binary, grid["conv"], grid["vsum"]).astype(float),
            "sum_sq": np.where(binary, grid["conv"], grid["vsq"]).astype(float),
        }
    )
    if plan.daily:
        frame.insert(4 + len(segs), "day", grid["day"].to_numpy())
    if plan.covariate:
        frame["sum_x"] = grid["sum_x"].to_numpy(float)
        frame["sum_x_sq"] = grid["sum_x_sq"].to_numpy(float)
        frame["sum_xy"] = grid["sum_xy"].to_numpy(float)
    if plan.caps:
        _add_caps(frame, grid, metric, arm_info, goals)
    var_order = {
        (e, v): i for i, (e, v) in enumerate(zip(arms["experiment"], arms["variant"], strict=True))
    }
    met_order = {g.id: i for i, g in enumerate(goals)}
    frame["_v"] = [var_order[ev] for ev in zip(frame["experiment"], frame["variant"], strict=True)]
    frame["_m"] = frame["metric"].map(met_order)
    order = ["_v", "_m", *segs, *(["day"] if plan.daily else [])]
    frame = frame.sort_values(order, kind="stable").drop(columns=["_v", "_m"])
    exclusions = _exclusions(per_arm, metric, arm_info, goals, exp_profile, conv_profile)
    frame = frame.reset_index(drop=True).rename(columns=names)
    summary = Summary(frame, exclusions=exclusions, segments=list(names.values()))
    if plan.quantiles:
        summary.quantiles = _quantiles(result, arm_info, goals, segs).rename(columns=names)
    return summary


def _quantiles(
    result: pd.DataFrame, arm_info: pd.DataFrame, goals: list[EventMetric], segs: list[str]
) -> pd.DataFrame:
    """The quantile goals' order statistics (:mod:`abtest.data.order_stats`) per known
    (experiment, variant): the overall rows (segments empty) first, then per value of
    each segment column (the other segment columns empty)."""
    rows = result[result["part"].isin(["quantile", "quantile_segment"]) & result["known"]]
    rows = rows.sort_values(["part", "arm", "metric", *segs], kind="stable")
    spec = [goals[int(m)].statistic for m in rows["metric"]]
    out = pd.DataFrame(
        {
            "experiment": arm_info.loc[rows["arm"], "experiment"].to_numpy(),
            "variant": arm_info.loc[rows["arm"], "variant"].to_numpy(),
            "metric": [goals[int(m)].id for m in rows["metric"]],
            **{k: rows[k].to_numpy(dtype=object) for k in segs},
            "q": [s.q for s in spec],
            "among": [s.among for s in spec],
            "n": rows["n"].to_numpy(dtype="int64"),
            "quantile": rows["qv"].to_numpy(dtype=float),
            "lower": rows["qlo"].to_numpy(dtype=float),
            "upper": rows["qhi"].to_numpy(dtype=float),
        }
    )
    return out.reset_index(drop=True)


def _add_caps(
    frame: pd.DataFrame,
    grid: pd.DataFrame,
    metric: pd.DataFrame,
    arm_info: pd.DataFrame,
    goals: list[EventMetric],
) -> None:
    """``cap`` (the threshold of the row's experiment and goal, carried on the query's
    metric rows) and ``capped`` (units whose value was cut) on the rows of capped goals;
    NaN on the others. An experiment without a metric row for the goal has no unit with
    a value: its cap is the fixed value, else 0 (NaN with ignore_zeros: no values)."""
    rows = metric.assign(exp=arm_info.loc[metric["arm"], "exp"].to_numpy())
    cap_of = rows.groupby(["exp", "metric"])["cap"].max().to_dict()
    exp = arm_info.loc[grid["arm"], "exp"].to_numpy()
    caps = []
    for e, m in zip(exp, grid["metric"], strict=True):
        c = goals[int(m)].capping
        if c is None:
            caps.append(np.nan)
        elif c.value is not None:
            caps.append(c.value)
        else:
            caps.append(cap_of.get((e, m), np.nan if c.ignore_zeros else 0.0))
    is_capped = np.array([goals[int(m)].capping is not None for m in grid["metric"]], bool)
    frame["cap"] = np.array(caps, float)
    frame["capped"] = np.where(is_capped, grid["capped"].to_numpy(float), np.nan)


def _with_days(
    combos: pd.DataFrame, units: pd.DataFrame, metric: pd.DataFrame, arm_info: pd.DataFrame
) -> pd.DataFrame:
    """Cross each (arm, segments) with every day of its experiment's data."""
    days = pd.concat([units[["arm", "day"]], metric[["arm", "day"]]])
    days["exp"] = arm_info.loc[days["arm"], "exp"].to_numpy()
    span = days.groupby("exp")["day"].agg(["min", "max"])
    out = []
    combos = combos.assign(exp=arm_info.loc[combos["arm"], "exp"].to_numpy())
    for exp, part in combos.groupby("exp"):
        lo, hi = span.loc[exp, "min"], span.loc[exp, "max"]
        grid = pd.DataFrame({"day": pd.date_range(lo, hi, freq="D").astype("datetime64[ns]")})
        out.append(part.merge(grid, how="cross"))
    if not out:
        return combos.assign(day=pd.Series(dtype=object)).drop(columns="exp")
    return pd.concat(out, ignore_index=True).drop(columns="exp")


def _exclusions(
    units: pd.DataFrame,
    metric: pd.DataFrame,
    arm_info: pd.DataFrame,
    goals: list[EventMetric],
    exp_profile: pd.DataFrame,
    conv_profile: pd.DataFrame,
) -> pd.DataFrame:
    rows: list[tuple[str, str, str, str, int]] = []

    def label(arm: int) -> tuple[str, str]:
        r = arm_info.loc[arm]
        return str(r["experiment"]), str(r["variant"])

    by_arm = units.groupby("arm")[["multi", "unknown"]].sum()
    for arm, r in by_arm.iterrows():
        e, v = label(int(arm))
        if r["multi"]:
            rows.append((e, v, "", "multiple_variants", int(r["multi"])))
        if r["unknown"]:
            rows.append((e, v, "", "unknown_variant", int(r["unknown"])))
    analysed = set(arm_info["experiment"])
    for _, r in exp_profile.iterrows():
        if not (pd.isna(r["experiment"]) or r["experiment"] in analysed):
            continue
        # every row of an empty experiment or variant, else those without unit or time (the
        # rows of an empty variant vanished uncounted, and the SRM alarm blamed the split)
        empty = pd.isna(r["experiment"]) or pd.isna(r["variant"])
        n = int(r["rows"] if empty else r["null_rows"])
        if n:
            e = "" if pd.isna(r["experiment"]) else str(r["experiment"])
            v = "" if pd.isna(r["variant"]) else str(r["variant"])
            rows.append((e, v, "", "null_exposure", n))
    by_event = dict(zip(conv_profile["event"], conv_profile["null_rows"], strict=True))
    for g in goals:
        if by_event.get(g.event, 0):
            rows.append(("", "", g.id, "null_conversion", int(by_event[g.event])))
    flags = metric.groupby(["arm", "metric"])[["before", "negative", "null_value"]].sum()
    names = {"before": "before_exposure", "negative": "negative_value", "null_value": "null_value"}
    for (arm, m), r in flags.iterrows():
        e, v = label(int(arm))
        for col, reason in names.items():
            if r[col]:
                rows.append((e, v, goals[int(m)].id, reason, int(r[col])))
    return pd.DataFrame(rows, columns=["experiment", "variant", "metric", "reason", "units"])
