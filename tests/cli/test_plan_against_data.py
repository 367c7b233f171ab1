"""``abtest plan EXPERIMENT --data``: the plan's baseline checked against the data (#19 item 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from click.testing import CliRunner

from abtest.cli import main

EXPERIMENT = """\
id: checkout
name: Express pay first
hypothesis: Express wallets above the card form complete more purchases.
owner: checkout@example.com
status: running
start: 2026-11-12
end: 2026-12-10
page: /checkout
variants:
  - {id: card-first, name: Card form first, weight: 0.5, control: true}
  - {id: express-first, name: Express pay first, weight: 0.5}
goals:
  - {id: purchase, event: order_completed, kind: macro, primary: true}
analysis:
  mde: 0.05
  baseline: BASELINE
  expected_daily_units: 2600
"""


def setup(tmp_path, baseline):
    reg = tmp_path / "experiments"
    reg.mkdir()
    (reg / "checkout.yaml").write_text(EXPERIMENT.replace("BASELINE", str(baseline)))
    rng = np.random.default_rng(4)
    n = 20_000
    v = np.where(rng.random(n) < 0.5, "express-first", "card-first")
    bought = rng.random(n) < np.where(v == "card-first", 0.17, 0.18)
    data = tmp_path / "checkout.csv"
    pd.DataFrame({"variant": v, "purchase": bought.astype(int)}).to_csv(data, index=False)
    return reg, data


def test_a_plan_the_data_contradicts_is_recomputed(tmp_path):
    reg, data = setup(tmp_path, 0.42)  # the control converts at about 17%
    r = CliRunner().invoke(main, ["plan", "checkout", "--registry", reg, "--data", data])
    assert r.exit_code == 0, r.output
    last = r.output.strip().splitlines()[-2:]
    assert last[0].startswith("Against the data (20,000 units so far): the control converts at")
    assert "the plan assumed 42.00%" in last[0]
    assert last[1].startswith("  The data contradicts the plan: at the observed rate the same MDE")


def test_a_plan_the_data_agrees_with_stands(tmp_path):
    reg, data = setup(tmp_path, 0.17)
    r = CliRunner().invoke(main, ["plan", "checkout", "--registry", reg, "--data", data])
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines()[-1].startswith("  The plan stands:")


def test_data_without_an_experiment_is_a_usage_error():
    r = CliRunner().invoke(main, ["plan", "--baseline", "0.1", "--mde", "0.1", "--data", "x"])
    assert r.exit_code == 2 and "--data checks a registry plan" in r.output
