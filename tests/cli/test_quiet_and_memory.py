"""``--quiet`` of ``abtest analyze`` / ``abtest report`` on event logs, and the memory
budget's errors through the CLI (one line, no traceback)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from abtest.cli import main
from abtest.data import progress
from abtest.data.synthetic import generate_traffic

EXPERIMENT_YAML = """\
id: hero-cta
name: Hero CTA wording
hypothesis: Saying "Start free" gets more signups than "Sign up".
owner: growth@example.com
status: running
start: 2026-11-09
end: 2026-12-06
page: /
variants:
  - {id: control, name: Sign up, weight: 0.5, control: true}
  - {id: start-free, name: Start free, weight: 0.5}
goals:
  - {id: signup, event: signup, kind: macro, primary: true}
analysis:
  method: frequentist
  mde: 0.1
  baseline: 0.1
  expected_daily_units: 2000
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A registry of one experiment, its event logs, and stderr taken for a terminal
    (CliRunner's is not one) so that progress would show."""
    reg = tmp_path / "experiments"
    reg.mkdir()
    (reg / "hero-cta.yaml").write_text(EXPERIMENT_YAML)
    spec = {
        "id": "hero-cta",
        "variants": {"control": 0.5, "start-free": 0.5},
        "goals": [{"event": "signup", "rates": {"control": 0.10, "start-free": 0.12}}],
    }
    e, c, _ = generate_traffic([spec], units=3000, days=10, seed=5, start="2026-11-09")
    logs = tmp_path / "logs"
    logs.mkdir()
    e.to_parquet(logs / "exposures.parquet")
    c.to_parquet(logs / "conversions.parquet")
    for name in progress._CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ABTEST_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "_isatty", lambda stream: True)
    return reg, logs


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_analyze_shows_progress_unless_quiet(setup):
    reg, logs = setup
    args = ("analyze", "hero-cta", "--registry", reg, "--data", logs, "--as-of", "2026-11-20")
    shown = run(*args)
    assert shown.exit_code == 0, shown.output
    assert "abtest summarize: " in shown.stderr
    assert "abtest summarize" not in shown.stdout  # the report alone on stdout
    quiet = run(*args, "--quiet")
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == "" and quiet.stdout == shown.stdout
    assert not progress._QUIET.get()  # --quiet ends with the command


def test_report_quiet(setup, tmp_path):
    reg, logs = setup
    out = tmp_path / "r.csv"
    r = run("report", reg, "--data", logs, "--week", "2026-W47", "--out", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert "abtest summarize" not in r.stderr
    assert r.stderr.startswith("abtest: wrote ")  # the one summary line stays


def test_memory_budget_errors_are_one_line(setup, monkeypatch):
    reg, logs = setup
    args = ("analyze", "hero-cta", "--registry", reg, "--data", logs, "--quiet")
    for value, words in (
        ("plenty", "ABTEST_MEMORY_LIMIT = 'plenty'"),
        ("1MB", "raise memory_limit"),
    ):
        monkeypatch.setenv("ABTEST_MEMORY_LIMIT", value)
        r = run(*args)
        assert r.exit_code == 2, r.output
        (line,) = r.stderr.strip().splitlines()
        assert line.startswith("abtest: error: ") and words in line and "Traceback" not in r.output
