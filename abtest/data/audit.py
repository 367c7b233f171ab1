"""Which variant each unit was logged in, checked against the registry's assignment.

When the split of an experiment does not match its weights (sample ratio mismatch), the
first question is where it broke: did the site serve other variants than the registry
assigns (weights, seed or ramp-up out of step), or were the right variants served and
exposures lost or duplicated on the way to the logs? :func:`audit_assignment` answers it
from the exposure log: each unit's first logged variant, compared with
:func:`abtest.assignment.variant_index` for its id.

It reads one row per unit out of the engine (the grouping runs there), so it is run only
when the SRM alarm fires, not on every analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abtest.assignment import variant_index
from abtest.data import checks, clock, sources
from abtest.data.aggregate import time_bound
from abtest.data.model import EXPOSURE_COLUMNS, ColumnMapping


@dataclass(frozen=True)
class AssignmentAudit:
    """Units per logged variant, and how many of them the registry assigns elsewhere.

    ``table``: ``variant, units, as_assigned, other_variant, not_assigned`` (units whose
    first logged variant is the assigned one; assigned to another variant; assigned to
    none: outside coverage, namespace or in the holdout).
    """

    table: pd.DataFrame

    @property
    def units(self) -> int:
        return int(self.table["units"].sum())

    @property
    def mismatched(self) -> int:
        return int(self.table["other_variant"].sum() + self.table["not_assigned"].sum())

    def sentence(self) -> str:
        """What the audit says about the SRM, in one sentence."""
        if self.units == 0:
            return "no exposures to check against the registry's assignment"
        if self.mismatched == 0:
            return (
                f"all {self.units:,} logged units are in the variant the registry assigns "
                "them, so the assignment is right and exposures were lost or duplicated "
                "between serving and the logs (check the tracking of the variant with "
                "fewer units than its weight)"
            )
        share = self.mismatched / self.units
        worst = self.table.assign(off=self.table["other_variant"] + self.table["not_assigned"])
        worst = worst.sort_values("off", ascending=False).iloc[0]
        return (
            f"{self.mismatched:,} of {self.units:,} logged units ({share:.1%}) are not in the "
            f"variant the registry assigns them (most in '{worst['variant']}'), so the site "
            "does not serve the registry's split: compare its weights, seed, coverage and "
            "namespace with abtest export"
        )


def audit_assignment(
    experiment: Any,
    exposures: Any,
    *,
    columns: Any = None,
    as_of: Any = None,
    engine: Any = None,
) -> AssignmentAudit:
    """Each unit's first logged variant in ``exposures`` against the registry's.

    ``exposures``, ``columns``, ``as_of`` and ``engine`` as for :func:`abtest.summarize`.
    """
    mapping = ColumnMapping.parse(columns)
    con, _ = sources.resolve_engine(engine, exposures)
    raw = sources.open_table(exposures, con, "exposures", (mapping.name("exposures", "timestamp"),))
    t = checks.prepare(raw, "exposures", mapping, EXPOSURE_COLUMNS).table
    t = t.filter(t.experiment == experiment.id)
    cut = time_bound(as_of, "as_of", end_of_day=True)
    if cut is not None:
        # exclusive, as summarize's as_of (it was <=: an exposure at the cut counted here only)
        t = t.filter(clock.before(t.timestamp, cut, con.name))
    first = t.group_by("unit_id").aggregate(variant=t.variant.argmin(t.timestamp))
    units = con.execute(first)
    ids = units["unit_id"].astype(str).to_numpy()
    assigned = variant_index(ids, experiment)
    names = np.array([v.id for v in experiment.variants] + [""], dtype=object)
    given = names[assigned]  # "" where the registry assigns none
    logged = units["variant"].astype(str).to_numpy()
    frame = pd.DataFrame({"variant": logged, "given": given})
    table = (
        frame.assign(
            units=1,
            as_assigned=frame["variant"] == frame["given"],
            other_variant=(frame["given"] != "") & (frame["variant"] != frame["given"]),
            not_assigned=frame["given"] == "",
        )
        .groupby("variant", sort=True)[["units", "as_assigned", "other_variant", "not_assigned"]]
        .sum()
        .astype(int)
        .reset_index()
    )
    return AssignmentAudit(table)
