"""Interactions between concurrent experiments: the 2x2 contrast of relative lifts
(abtest.stats.interaction_test) against a hand computation and a seeded simulation with
a known truth, and the table built from one shared log in the engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abtest.analysis.interactions import COLUMNS, interaction_note, interactions
from abtest.assignment import variant_index
from abtest.registry import Experiment
from abtest.stats.interaction import interaction_test
from abtest.stats.sums import Sums


def test_contrast_by_hand():
    # cells (n, conversions): a0b0 1000/100, a1b0 1000/120, a0b1 800/80, a1b1 800/120
    # lift_b0 = 0.12/0.10 - 1 = 0.2; lift_b1 = 0.15/0.10 - 1 = 0.5; diff = 0.3
    # var(p) per unit = p(1-p) n/(n-1); var(lift) = r^2 (v1/(n1 p1^2) + v0/(n0 p0^2))
    def v(p, n):
        return p * (1 - p) * n / (n - 1)

    var_b0 = 1.2**2 * (v(0.12, 1000) / (1000 * 0.12**2) + v(0.10, 1000) / (1000 * 0.10**2))
    var_b1 = 1.5**2 * (v(0.15, 800) / (800 * 0.15**2) + v(0.10, 800) / (800 * 0.10**2))
    se = (var_b0 + var_b1) ** 0.5  # 0.1540...
    r = interaction_test(
        Sums(1000, 100, 100), Sums(1000, 120, 120), Sums(800, 80, 80), Sums(800, 120, 120)
    )
    assert float(r.diff) == pytest.approx(0.3, abs=1e-12)
    assert float(r.se) == pytest.approx(se, rel=1e-12)
    from scipy import stats

    assert float(r.p_value) == pytest.approx(2 * stats.norm.sf(0.3 / se), rel=1e-12)
    assert r.diff_ci.tolist() == pytest.approx([0.3 - 1.959964 * se, 0.3 + 1.959964 * se])


def test_calibrated_without_an_interaction_and_covers_a_known_one():
    # seeded simulation, 20,000 experiments of 4 cells x 2,000 units; no interaction:
    # A lifts 10% -> 12% where B is at control and 11% -> 13.2% at its treatment (+20% in
    # both); false positives must be 5% (binomial sd 0.0015: allow 0.006)
    rng = np.random.default_rng(11)
    n, e = 2000, 20_000

    def run(p):
        c = [rng.binomial(n, p[b][a], e) for b in (0, 1) for a in (0, 1)]
        return interaction_test(*(Sums(n, x, x) for x in c))

    null = run([[0.10, 0.12], [0.11, 0.132]])
    assert (null.p_value < 0.05).mean() == pytest.approx(0.05, abs=0.006)
    # a real interaction: +20% at B's control, +50% at its treatment (difference 0.3)
    alt = run([[0.10, 0.12], [0.10, 0.15]])
    covered = (alt.diff_ci[:, 0] <= 0.3) & (0.3 <= alt.diff_ci[:, 1])
    assert covered.mean() == pytest.approx(0.95, abs=0.006)
    # and its power is low, as the docs say: about 0.42 at 2,000 units per cell
    assert 0.38 < (alt.p_value < 0.05).mean() < 0.46


def _exp(i: str, ids: tuple[str, str]) -> Experiment:
    # two pages (a headline on /, a CTA on /signup): a visitor sees both tests
    return Experiment(
        id=i, name=i, hypothesis="h", owner="o", status="running", page=f"/{i}",
        start="2024-01-01",
        variants=[{"id": ids[0], "name": "A", "weight": 0.5, "control": True},
                  {"id": ids[1], "name": "B", "weight": 0.5}],
        goals=[{"id": "signup", "event": "signup", "kind": "macro", "primary": True}],
    )  # fmt: skip


def _logs(p_cells, units=40_000, seed=3):
    a, b = _exp("head", ("c", "h")), _exp("cta", ("c2", "t"))
    ids = np.arange(units)
    ia, ib = variant_index(ids, a), variant_index(ids, b)
    converted = np.random.default_rng(seed).random(units) < np.array(p_cells)[ib, ia]
    t = pd.Timestamp("2024-01-02")
    exposures = pd.concat([
        pd.DataFrame({"unit_id": ids, "experiment": "head",
                      "variant": np.array(["c", "h"])[ia], "timestamp": t}),
        pd.DataFrame({"unit_id": ids, "experiment": "cta",
                      "variant": np.array(["c2", "t"])[ib], "timestamp": t}),
    ])  # fmt: skip
    conversions = pd.DataFrame(
        {"unit_id": ids[converted], "event": "signup", "timestamp": t + pd.Timedelta("1h")}
    )
    return a, b, ia, ib, converted, exposures, conversions


def test_table_from_one_log_equals_the_cells_counted_by_hand():
    a, b, ia, ib, conv, exposures, conversions = _logs([[0.10, 0.12], [0.10, 0.15]])
    table = interactions([a, b], exposures, conversions)
    assert list(table.columns) == list(COLUMNS) and len(table) == 2
    row = table[table["experiment"] == "head"].iloc[0]

    def cell(x, y):
        m = (ia == x) & (ib == y)
        return Sums(int(m.sum()), int(conv[m].sum()), int(conv[m].sum()))

    r = interaction_test(cell(0, 0), cell(1, 0), cell(0, 1), cell(1, 1))
    assert row["diff"] == pytest.approx(float(r.diff), rel=1e-12)
    assert row["p_value"] == pytest.approx(float(r.p_value), rel=1e-9)
    assert row["units_both"] == 40_000
    # flag, p and interval agree: Holm over the 2 rows, the interval at the row's level
    for _, x in table.iterrows():
        excludes_zero = x["diff_low"] > 0 or x["diff_high"] < 0
        assert bool(x["significant"]) == excludes_zero == (x["p_adjusted"] < 0.05)
    assert "head's h lifts signup" in interaction_note(table)


def test_no_shared_units_no_rows():
    a, b, *_, exposures, conversions = _logs([[0.1, 0.1], [0.1, 0.1]])
    only_head = exposures[exposures["experiment"] == "head"]
    other = exposures[exposures["experiment"] == "cta"].assign(unit_id=lambda d: d.unit_id + 10**6)
    table = interactions([a, b], pd.concat([only_head, other]), conversions)
    assert table.empty and interaction_note(table) is None


def test_weekly_report_shows_the_interactions_of_a_shared_log(tmp_path):
    import json

    from click.testing import CliRunner

    from abtest.cli import main

    a, b, *_, exposures, conversions = _logs([[0.10, 0.12], [0.10, 0.15]])
    reg = tmp_path / "experiments"
    reg.mkdir()
    for exp in (a, b):
        text = exp.model_dump_json(exclude_defaults=True)
        (reg / f"{exp.id}.yaml").write_text(text)  # JSON is YAML
    data = tmp_path / "data"
    data.mkdir()
    exposures.to_parquet(data / "exposures.parquet")
    conversions.to_parquet(data / "conversions.parquet")
    for fmt in ("md", "json"):
        out = tmp_path / f"report.{fmt}"
        r = CliRunner().invoke(
            main, ["report", str(reg), "--data", str(data), "--week", "2024-W01", "--out", str(out)]
        )
        assert r.exit_code == 0, r.output
        text = out.read_text()
        if fmt == "md":
            assert "## Interactions between concurrent experiments" in text
            assert "lifts signup by" in text and "significant after Holm" in text
        else:
            head = next(e for e in json.loads(text) if e["experiment"] == "head")
            assert head["interactions"][0]["other"] == "cta"
