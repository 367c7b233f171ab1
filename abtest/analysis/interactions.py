"""Interactions between experiments that ran at once on the same units.

For every pair of experiments whose exposure logs share units, and each direction (A's
primary goal, its lift depending on B), the units in both are crossed into A's variant
by B's first variant in the engine (one grouping per pair: B's first variant per unit,
joined to A's exposures, then A's usual aggregation segmented by it), and
:func:`abtest.stats.interaction_test` compares A's lift where B showed its control with
A's lift where B showed a treatment. The rows of one call are one family: Holm (or the
given correction) across them, each row's interval at the level its decision was taken
at (:func:`abtest.stats.compatible_levels`), so flag, p-value and interval agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations
from typing import Any

import pandas as pd
from scipy import stats

from abtest.analysis.experiment import summarize_experiment
from abtest.data import checks, sources
from abtest.data.model import EXPOSURE_COLUMNS, ColumnMapping
from abtest.stats.compatible import compatible_levels
from abtest.stats.interaction import interaction_test
from abtest.stats.sums import Sums

OTHER = "_abtest_other_variant"
COLUMNS = (
    "experiment", "variant", "other", "other_variant", "metric", "units_both", "lift_other_control",
    "lift_other_variant", "diff", "diff_low", "diff_high", "p_value", "p_adjusted", "significant",
    "ci_level",
)  # fmt: skip


def interactions(
    experiments: Sequence[Any],
    exposures: Any,
    conversions: Any,
    *,
    as_of: Any = None,
    columns: Any = None,
    alpha: float = 0.05,
    correction: str = "holm",
) -> pd.DataFrame:
    """The interaction rows of every pair of ``experiments`` that share units in the
    logs (empty when none do): ``COLUMNS``, one row per (experiment, treatment, other
    experiment, other treatment). ``exposures``, ``conversions``, ``as_of`` and
    ``columns`` as for :func:`abtest.summarize` (one log for all the experiments)."""
    mapping = ColumnMapping.parse(columns)
    con, _ = sources.resolve_engine(None, exposures, conversions)
    logs = _Logs(
        con,
        sources.open_table(exposures, con, "exposures", (mapping.name("exposures", "timestamp"),)),
        sources.open_table(
            conversions, con, "conversions", (mapping.name("conversions", "timestamp"),)
        ),
        mapping,
    )  # opened once for every pair (DataFrames are registered on the engine once)
    rows = []
    for a, b in permutations(experiments, 2):
        rows += _pair(a, b, logs, as_of, columns)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    levels = compatible_levels(frame["p_value"].to_numpy(float), correction, alpha)
    z = stats.norm.ppf(1 - levels.level / 2)
    se = frame.pop("se").to_numpy(float)
    frame["diff_low"] = frame["diff"] - z * se
    frame["diff_high"] = frame["diff"] + z * se
    frame["p_adjusted"] = levels.p_adjusted
    frame["significant"] = levels.significant
    frame["ci_level"] = 1 - levels.level
    return frame[list(COLUMNS)]


@dataclass(frozen=True)
class _Logs:
    """The shared logs on their engine: raw tables (the user's column names) and the
    column mapping."""

    con: Any
    exposures: Any
    conversions: Any
    mapping: ColumnMapping


def _pair(a: Any, b: Any, logs: _Logs, as_of: Any, columns: Any) -> list:
    if getattr(a.primary_goal, "statistic", None) is not None:
        return []  # a quantile primary: the 2x2 contrast is of means (not tested)
    con, raw, mapping = logs.con, logs.exposures, logs.mapping
    canon = checks.prepare(raw, "exposures", mapping, EXPOSURE_COLUMNS).table
    first_b = (
        canon.filter(canon.experiment == b.id)
        .group_by("unit_id")
        .aggregate(**{OTHER: canon.variant.argmin(canon.timestamp)})
    )
    uid, exp_col = mapping.name("exposures", "unit_id"), mapping.name("exposures", "experiment")
    in_a = raw.filter(raw[exp_col] == a.id)
    both = in_a.inner_join(first_b, in_a[uid] == first_b.unit_id).select(*in_a.columns, OTHER)
    if int(con.execute(both.count())) == 0:
        return []
    summary = summarize_experiment(
        a, both, logs.conversions, as_of=as_of, daily=False, by=OTHER, columns=columns,
        engine=con, views=False,
    )  # fmt: skip
    f = summary.frame
    f = f[f["metric"] == a.primary_goal.id]
    # one Sums per (A's variant, B's variant): a handful of aggregate rows
    cell = {
        (v, o): Sums(n, s, q)
        for v, o, n, s, q in zip(f["variant"], f[OTHER], f["n"], f["sum"], f["sum_sq"], strict=True)
    }
    out = []
    a0, b0 = a.control.id, b.control.id
    for a1 in (v.id for v in a.treatments):
        for b1 in (v.id for v in b.treatments):
            keys = [(a0, b0), (a1, b0), (a0, b1), (a1, b1)]
            if any(k not in cell or cell[k].n < 2 for k in keys):
                continue
            r = interaction_test(*(cell[k] for k in keys))
            row = dict(experiment=a.id, variant=a1, other=b.id, other_variant=b1)
            row.update(metric=a.primary_goal.id, units_both=sum(int(cell[k].n) for k in keys))
            row.update(lift_other_control=float(r.lift_b0), lift_other_variant=float(r.lift_b1))
            row.update(diff=float(r.diff), se=float(r.se), p_value=float(r.p_value))
            out.append(row)
    return out


def interaction_note(table: pd.DataFrame) -> str | None:
    """One sentence for a report: the significant interactions, or that none are."""
    if table.empty:
        return None
    hits = table[table["significant"]]
    if hits.empty:
        worst = table.sort_values("p_value").iloc[0]
        return (
            f"no interaction between concurrent experiments found ({len(table)} tested, "
            f"Holm; smallest p = {worst['p_value']:.2g}); the test is weak, so this does not "
            "prove there is none"
        )
    h = hits.iloc[0]
    return (
        f"{h['experiment']}'s {h['variant']} lifts {h['metric']} by "
        f"{h['lift_other_control']:+.1%} where {h['other']} shows its control but "
        f"{h['lift_other_variant']:+.1%} where it shows {h['other_variant']} "
        f"(difference {h['diff']:+.1%}, p = {h['p_value']:.2g}, significant after Holm)"
    )
