"""On an SRM alarm, the logged variants are checked against the registry's assignment,
and the decision, the report's SRM line and the JSON say where the split broke."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abtest.assignment import variant_index
from abtest.registry import Experiment


def experiment() -> Experiment:
    return Experiment(
        id="cta", name="CTA", hypothesis="h", owner="o", status="running", page="/",
        start="2026-11-02",
        variants=[{"id": "a", "name": "A", "weight": 0.5, "control": True},
                  {"id": "b", "name": "B", "weight": 0.5}],
        goals=[{"id": "signup", "event": "signup", "kind": "macro", "primary": True}],
    )  # fmt: skip


def logs(variants: np.ndarray, ids: np.ndarray):
    exposures = pd.DataFrame({
        "unit_id": ids, "experiment": "cta", "variant": variants,
        "timestamp": pd.Timestamp("2026-11-03 10:00"),
    })  # fmt: skip
    conversions = pd.DataFrame({
        "unit_id": ids[::10], "event": "signup", "timestamp": pd.Timestamp("2026-11-03 11:00")
    })  # fmt: skip
    return exposures, conversions


def test_lost_exposures_the_assignment_is_right():
    exp = experiment()
    ids = np.arange(20_000)
    served = np.array(["a", "b"])[variant_index(ids, exp)]
    # 10% of b's exposures never reach the log: SRM, yet every logged unit is as assigned
    keep = (served == "a") | (ids % 10 != 0)
    a = exp.analyze(logs(served[keep], ids[keep]))
    assert bool(a.srm.mismatch)
    n_logged = int(keep.sum())
    assert a.assignment_audit.units == n_logged and a.assignment_audit.mismatched == 0
    assert f"all {n_logged:,} logged units are in the variant the registry assigns" in a.reason
    from abtest.report.checks import _srm_check

    assert "the assignment is right" in _srm_check(a).text
    audit = a.to_dict()["srm"]["assignment_audit"]
    assert [r["other_variant"] for r in audit] == [0, 0]


def test_a_site_serving_other_weights_is_named():
    exp = experiment()
    ids = np.arange(20_000)
    # the site splits 60/40 by its own draw, not the registry's hash
    served = np.where(np.random.default_rng(1).random(len(ids)) < 0.6, "a", "b")
    a = exp.analyze(logs(served, ids))
    assert bool(a.srm.mismatch)
    audit = a.assignment_audit
    # about half of the units land where the registry would not put them
    assert 0.45 < audit.mismatched / audit.units < 0.55
    assert "so the site does not serve the registry's split" in a.reason


def test_no_audit_without_an_alarm():
    exp = experiment()
    ids = np.arange(20_000)
    served = np.array(["a", "b"])[variant_index(ids, exp)]
    a = exp.analyze(logs(served, ids))
    assert not bool(a.srm.mismatch) and a.assignment_audit is None
