"""The exclusions as ``excluded_<reason>`` columns of ``Summary.to_frame()``, and back.

``to_frame`` puts each exclusion count on the rows it belongs to: a unit-level reason
(units in several variants, of an unknown variant; empty exposure rows) on every row of
its (experiment, variant), a goal-level reason (units with events before exposure) on
every row of its (experiment, variant, goal). Segment and day rows repeat the count.
A frame read back into a ``Summary`` turns the columns into exclusions again (one count
per key, as written), so a Summary saved as a table keeps its warnings. Counts without
an experiment and variant (conversion rows with an empty unit_id or timestamp; exposure
rows with an empty experiment) have no row to sit on and are not in the frame.
"""

from __future__ import annotations

import pandas as pd

from abtest.vocabulary import EXCLUDED_PREFIX as PREFIX

#: The reasons counted per (experiment, variant), whatever the goal (the others are per
#: goal); see :data:`abtest.data.checks.REASONS`.
UNIT_REASONS = ("multiple_variants", "unknown_variant", "null_exposure")
UNIT_KEYS = ["experiment", "variant"]
GOAL_KEYS = ["experiment", "variant", "metric"]


def widen(frame: pd.DataFrame, exclusions: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with one ``excluded_<reason>`` column per reason (0 where none)."""
    df = frame.copy()
    if not len(exclusions):
        return df
    ex = exclusions
    unit_level = ex[ex["metric"].isna() | (ex["metric"] == "")]
    goal_level = ex[~ex.index.isin(unit_level.index)]
    for keys, part in ((UNIT_KEYS, unit_level), (GOAL_KEYS, goal_level)):
        if len(part):
            wide = part.pivot_table(
                index=keys, columns="reason", values="units", aggfunc="sum"
            ).add_prefix(PREFIX)
            df = df.merge(wide.reset_index(), on=keys, how="left")
    cols = [c for c in df.columns if c.startswith(PREFIX)]
    df[cols] = df[cols].fillna(0).astype("int64")
    return df


def narrow(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``frame`` without the ``excluded_<reason>`` columns, and the exclusions they hold
    (``experiment, variant, metric, reason, units``; ``metric`` empty for the
    :data:`UNIT_REASONS`). Segment and day rows repeat a count: it is taken once."""
    rows = []
    for col in [c for c in frame.columns if str(c).startswith(PREFIX)]:
        reason = str(col)[len(PREFIX) :]
        if reason in UNIT_REASONS:
            counts = frame.groupby(UNIT_KEYS, sort=False)[col].max().reset_index()
            counts["metric"] = ""
        else:
            counts = frame.groupby(GOAL_KEYS, sort=False)[col].max().reset_index()
        counts = counts[counts[col] > 0]
        rows.append(counts.assign(reason=reason).rename(columns={col: "units"}))
    rest = frame.drop(columns=[c for c in frame.columns if str(c).startswith(PREFIX)])
    if not rows:
        return rest, pd.DataFrame(columns=columns)
    ex = pd.concat(rows, ignore_index=True)
    ex["units"] = ex["units"].astype("int64")
    return rest, ex[columns]
