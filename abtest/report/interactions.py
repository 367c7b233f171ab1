"""The weekly report's section on interactions between concurrent experiments: the
table of :func:`abtest.analysis.interactions.interactions` as display strings."""

from __future__ import annotations

from typing import Any

from abtest import formatting as fmt
from abtest.report.view import Table

INTERACTION_METHOD = (
    "Among units exposed to both experiments: the first experiment's lift on its primary "
    "goal where the other showed its control, and where it showed the named variant; "
    "the difference is tested with a z-test (delta method), Holm across the rows, each "
    "interval at the level of its row's decision. The test is weak: it needs about four "
    "times the sample of the main effect to find an interaction of the same size."
)


def interaction_view(table: Any) -> dict[str, Any] | None:
    """The interactions section's note, table and method line (None without rows)."""
    if table is None or len(table) == 0:
        return None
    from abtest.analysis.interactions import interaction_note

    rows = tuple(
        (
            f"{r.experiment}: {r.variant}",
            f"{r.other}: {r.other_variant}",
            fmt.count(r.units_both),
            fmt.pct(r.lift_other_control, signed=True),
            fmt.pct(r.lift_other_variant, signed=True),
            f"{fmt.pct(r.diff, signed=True)} {fmt.interval(r.diff_low, r.diff_high)}",
            fmt.p_value(r.p_value),
            "interaction" if r.significant else "none found",
        )
        for r in table.itertuples()
    )
    header = ("lift of", "depends on", "units in both", "lift, other at control",
              "lift, other at variant", "difference [interval]", "p", "result")  # fmt: skip
    marks = tuple("alarm" if r.significant else "" for r in table.itertuples())
    return {
        "note": interaction_note(table),
        "table": Table(header, rows, ("l", "l", "r", "r", "r", "r", "r", "l"), marks),
        "method": INTERACTION_METHOD,
    }
