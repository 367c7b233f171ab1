"""Exit codes a scheduled job can trust, formats that follow the file name, outputs that
never overwrite an input, ``--as-of``, and unit-level data without a registry."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from abtest.cli import main

EXPERIMENT = """\
id: {id}
name: {id}
hypothesis: b converts better
owner: growth@example.com
status: running
start: 2026-11-09
end: 2026-12-06
page: /{id}
variants:
  - {{id: control, name: Sign up, weight: 0.5, control: true}}
  - {{id: b, name: Start free, weight: 0.5}}
goals:
  - {{id: signup, event: signup, kind: macro, primary: true}}
  - {{id: bounce, event: bounce, kind: micro}}
guardrails:
  - {{goal: bounce, direction: decrease, margin: 0.02}}
"""


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def units(path, n=4000, b_share=0.5, bounce_b=0.40, seed=1):
    """One row per unit: signup 10% vs 13%, bounce 40% vs ``bounce_b``."""
    rng = np.random.default_rng(seed)
    v = np.where(rng.random(n) < b_share, "b", "control")
    pd.DataFrame(
        {
            "unit_id": range(n),
            "variant": v,
            "signup": (rng.random(n) < np.where(v == "b", 0.13, 0.10)).astype(int),
            "bounce": (rng.random(n) < np.where(v == "b", bounce_b, 0.40)).astype(int),
        }
    ).to_csv(path, index=False)
    return path


@pytest.fixture
def setup(tmp_path):
    reg, data = tmp_path / "experiments", tmp_path / "data"
    reg.mkdir()
    data.mkdir()
    for i in ("good", "skewed", "harmful"):
        (reg / f"{i}.yaml").write_text(EXPERIMENT.format(id=i))
    units(data / "good.csv")
    units(data / "skewed.csv", b_share=0.6)  # a 60/40 split against 50/50: SRM
    units(data / "harmful.csv", bounce_b=0.50, seed=2)  # bounce +25%: guardrail broken
    return reg, data


def report(reg, data, *more):
    return run("report", reg, "--data", data, "--week", "2026-W47", "--no-plots", *more)


def test_exit_0_when_every_experiment_is_analysed(setup, tmp_path):
    reg, data = setup
    r = report(reg, data, "--out", tmp_path / "r.html")
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith("abtest: wrote") and "3 analysed, 1 SRM alarm(s)" in r.stderr


def test_exit_3_and_a_summary_when_experiments_are_not_analysed(setup, tmp_path):
    reg, data = setup
    (reg / "nodata.yaml").write_text(EXPERIMENT.format(id="nodata"))
    r = report(reg, data, "--out", tmp_path / "r.html")
    assert r.exit_code == 3
    assert r.stderr.count("\n") == 1 and "not analysed: nodata (no data for nodata" in r.stderr
    assert (tmp_path / "r.html").exists()  # still written


@pytest.mark.parametrize(("fail_on", "code"), [("srm", 1), ("guardrail", 1), ("not-analysed", 0)])
def test_fail_on(setup, tmp_path, fail_on, code):
    reg, data = setup
    r = report(reg, data, "--out", tmp_path / "r.md", "--fail-on", fail_on)
    assert r.exit_code == code, r.output
    if code:
        assert f"--fail-on {fail_on}: exit 1" in r.stderr


def test_csv_is_a_tidy_table_and_json_every_analysis(setup, tmp_path):
    reg, data = setup
    (reg / "nodata.yaml").write_text(EXPERIMENT.format(id="nodata"))
    assert report(reg, data, "--out", tmp_path / "r.csv").exit_code == 3
    t = pd.read_csv(tmp_path / "r.csv")
    rows = t[t["experiment"] == "good"]
    assert len(rows) == 4 and set(rows["metric"]) == {"signup", "bounce"}
    assert {"p_value", "significant", "lift_low", "winner", "reason"} <= set(t.columns)
    assert t.loc[t["experiment"] == "nodata", "decision"].tolist() == ["not analysed"]
    assert report(reg, data, "--out", tmp_path / "r.json").exit_code == 3
    d = json.loads((tmp_path / "r.json").read_text())
    assert [x["analysed"] for x in d] == [True, True, False, True]
    assert d[2]["reason"].startswith("no data for nodata")


@pytest.mark.parametrize(
    ("out", "fmt", "message"),
    [
        ("r.txt", None, "give a file ending in .html"),
        ("r.csv", "html", "a .csv file cannot hold --format html"),
    ],
)
def test_the_format_follows_the_file_name_or_the_command_refuses(setup, tmp_path, out, fmt,
                                                                 message):  # fmt: skip
    reg, data = setup
    r = report(reg, data, "--out", tmp_path / out, *(["--format", fmt] if fmt else []))
    assert r.exit_code == 2 and message in r.stderr
    assert not (tmp_path / out).exists()


def test_analyze_refuses_to_write_over_its_input_or_into_a_folder(tmp_path):
    counts = tmp_path / "g.csv"
    text = "variant,visitors,conversions\ncontrol,1000,100\nb,1000,130\n"
    counts.write_text(text)
    r = run("analyze", "--counts", counts, "--out", counts)
    assert r.exit_code == 2 and "is an input of this command" in r.stderr
    assert counts.read_text() == text
    r = run("analyze", "--counts", counts, "--out", tmp_path, "--format", "json")
    assert r.exit_code == 2 and "is a folder" in r.stderr
    r = run("analyze", "--counts", counts, "--out", tmp_path / "res.csv")
    assert r.exit_code == 0
    assert pd.read_csv(tmp_path / "res.csv")["variant"].tolist() == ["control", "b"]


def test_analyze_unit_level_data_without_a_registry(tmp_path):
    path = tmp_path / "units.csv"
    pd.read_csv(units(path)).rename(columns={"unit_id": "user_id"}).to_csv(path, index=False)
    r = run("analyze", "--data", path)
    assert r.exit_code == 0, r.output
    # the goals chosen are said: the 0/1 columns, the first primary, the id never a goal
    assert "Goals       signup (primary), bounce; not analysed: user_id (identifier)" in (
        r.stdout.replace("\n           ", " ")
    )
    r = run("analyze", "--data", path, "--primary", "bounce", "--format", "json")
    assert json.loads(r.stdout)["primary_metric"] == "bounce"
    r = run("analyze", "--data", tmp_path)
    assert r.exit_code == 2 and "needs its experiment" in r.stderr
