"""``abtest analyze`` and ``abtest report``: formats, one-line errors, atomic writes."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from abtest.cli import main

UDACITY_CSV = "variant,visitors,conversions\ncontrol,145274,17489\nnew,145310,17264\n"

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
  - {id: cta_click, event: cta_click, kind: micro}
analysis:
  method: frequentist
  mde: 0.1
  baseline: 0.1
  expected_daily_units: 2000
"""


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(r, code: int = 2) -> str:
    assert r.exit_code == code, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("abtest: error: "), r.stderr
    assert "Traceback" not in r.output
    return lines[0]


@pytest.fixture
def counts(tmp_path):
    path = tmp_path / "udacity.csv"
    path.write_text(UDACITY_CSV)
    return path


def test_analyze_counts_text(counts):
    r = run("analyze", "--counts", counts)
    assert r.exit_code == 0, r.output
    assert "Decision: No winner" in r.stdout
    assert "p = 0.1899" in r.stdout  # R prop.test(..., correct = FALSE): 0.18988


def test_analyze_counts_markdown(counts):
    r = run("analyze", "--counts", counts, "--format", "markdown")
    assert r.exit_code == 0
    assert "| new | 145,310 | 17,264 | 11.88% | -1.3% |" in r.stdout


def test_analyze_counts_json(counts):
    r = run("analyze", "--counts", counts, "--format", "json")
    assert r.exit_code == 0
    d = json.loads(r.stdout)
    assert d["winner"] is None and d["experiment"] == "udacity"
    new = d["results"][1]
    assert new["variant"] == "new" and round(new["p_value"], 5) == 0.18988
    assert new["n"] == 145310 and new["significant"] is False


def test_analyze_counts_html(counts):
    r = run("analyze", "--counts", counts, "--format", "html")
    assert r.exit_code == 0
    assert r.stdout.startswith("<!doctype html>") and "data:image/png;base64," in r.stdout
    r = run("analyze", "--counts", counts, "--format", "html", "--no-plots")
    assert "data:image" not in r.stdout


def test_analyze_counts_several_metrics_and_options(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(
        "variant,visitors,conversions,metric\n"
        "a,10000,1000,signup\nb,10000,1200,signup\na,10000,3000,click\nb,10000,3100,click\n"
    )
    r = run("analyze", "--counts", path, "--format", "json", "--control", "b", "--alpha", "0.01")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["control"] == "b" and d["alpha"] == 0.01 and d["primary_metric"] == "signup"
    assert {(x["metric"], x["variant"]) for x in d["results"]} == {
        ("signup", "a"),
        ("signup", "b"),
        ("click", "a"),
        ("click", "b"),
    }


def test_analyze_out_is_atomic_and_leaves_no_temp_files(counts, tmp_path):
    out = tmp_path / "out" / "result.json"
    r = run("analyze", "--counts", counts, "--format", "json", "--out", out)
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads(out.read_text())["winner"] is None
    assert sorted(p.name for p in out.parent.iterdir()) == ["result.json"]
    # a failing run leaves the existing file untouched
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,visitors\na,10\n")
    before = out.read_text()
    one_line_error(run("analyze", "--counts", bad, "--format", "json", "--out", out))
    assert out.read_text() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["result.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("variant,visitors\na,10\n", "bad.csv:1: missing column(s) conversions"),
        ("variant,visitors,conversions\na,10,x\nb,10,1\n", "bad.csv:2: conversions = 'x'"),
        ("variant,visitors,conversions\na,10,1\nb,10,11\n", "bad.csv:3: conversions 11 exceed"),
        ("variant,visitors,conversions\na,10,1\nb,-3,1\n", "bad.csv:3: visitors = '-3' must"),
        ("variant,visitors,conversions\na,10,1\na,10,1\n", "bad.csv:3: variant 'a', metric"),
        ("variant,visitors,conversions\na,10,1\n", "need at least two variants"),
        ("variant,visitors,conversions\n", "no rows after the header"),
        # an extra field was dropped in silence (a review helper's case)
        ("variant,visitors,conversions\na,10,1,999\nb,10,1\n", "bad.csv:2: 1 more field(s)"),
        # (a trailing empty field, as spreadsheets export, is no field: test_cli_counts_...)
        ("", "empty file"),
        (b"\xff\xfe\x00\x01", "not a UTF-8"),
    ],
)
def test_analyze_bad_counts_one_line(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    line = one_line_error(run("analyze", "--counts", path))
    assert message in line


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "bad.csv: cannot read it (No columns to parse from file)"),
        (b"variant,signup\ncontr\xf4l,0\nb,1\n", "bad.csv: not UTF-8 text; save it as UTF-8"),
        ("variant,signup\ncontrol,0\nb,1,7,8\n", "Expected 2 fields in line 3, saw 4)"),
    ],
)
def test_analyze_unreadable_unit_file_one_line(tmp_path, content, message):
    # these printed a Python traceback (exit 1): read_units ran outside the error handling
    path = tmp_path / "bad.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = run("analyze", "--data", path)
    assert result.exit_code == 2 and message in one_line_error(result)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--counts", "missing.csv"], "missing.csv: not found"),
        (["--counts", "{counts}", "--format", "xml"], "'xml' is not one of"),
        (["--counts", "{counts}", "--alpha", "2"], "alpha = 2.0: must be strictly between"),
        (["--counts", "{counts}", "--control", "nope"], "control='nope' is not a variant"),
        ([], "give --counts FILE, --data UNITS.csv, or EXPERIMENT_ID"),
        (["hero-cta"], "needs --registry and --data"),
        (["--counts", "{counts}", "hero-cta"], "give either --counts FILE or"),
    ],
)
def test_analyze_usage_errors_one_line(counts, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    line = one_line_error(run("analyze", *[a.format(counts=counts) for a in args]))
    assert message in line


@pytest.fixture
def registry(tmp_path):
    reg = tmp_path / "experiments"
    reg.mkdir()
    (reg / "hero-cta.yaml").write_text(EXPERIMENT_YAML)
    other = (
        EXPERIMENT_YAML.replace("id: hero-cta", "id: pricing-page")
        .replace("name: Hero CTA wording", "name: Pricing page")
        .replace("page: /", "page: /pricing")
    )
    (reg / "pricing-page.yaml").write_text(other)
    return reg


@pytest.fixture
def units_csv(tmp_path):
    rng = np.random.default_rng(3)
    n = 6000
    v = rng.choice(["control", "start-free"], n)
    path = tmp_path / "data" / "hero-cta.csv"
    path.parent.mkdir()
    pd.DataFrame(
        {
            "unit_id": range(n),
            "variant": v,
            "signup": (rng.random(n) < np.where(v == "control", 0.10, 0.13)).astype(int),
            "cta_click": (rng.random(n) < 0.3).astype(int),
        }
    ).to_csv(path, index=False)
    return path


def test_analyze_registry_experiment_on_unit_table(registry, units_csv):
    r = run("analyze", "hero-cta", "--registry", registry, "--data", units_csv)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Hero CTA wording\n")
    assert 'control "Sign up" 50% · start-free "Start free" 50%' in r.stdout
    assert "no winner yet" in r.stdout and "of the planned sample" in r.stdout
    assert r.stdout.index("Micro-conversions") < r.stdout.index("Macro-conversions")


def test_analyze_registry_errors(registry, units_csv, tmp_path):
    assert "no experiment 'nope'" in one_line_error(
        run("analyze", "nope", "--registry", registry, "--data", units_csv)
    )
    assert "not found" in one_line_error(
        run("analyze", "hero-cta", "--registry", tmp_path / "none", "--data", units_csv)
    )
    assert "data source" in one_line_error(
        run("analyze", "hero-cta", "--registry", registry, "--data", tmp_path / "none.csv")
    )
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "x.yaml").write_text(EXPERIMENT_YAML.replace("weight: 0.5, control", "weight: 2"))
    line = one_line_error(run("analyze", "hero-cta", "--registry", broken, "--data", units_csv))
    assert "registry has errors: " in line and "x.yaml:" in line
    # data that does not match the experiment: one line naming the problem
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,variant,signup\n1,control,1\n2,other,0\n")
    line = one_line_error(run("analyze", "hero-cta", "--registry", registry, "--data", bad))
    assert "'other'" in line


def test_analyze_registry_experiment_on_event_logs(registry, tmp_path):
    from abtest.data.synthetic import generate_traffic

    spec = {
        "id": "hero-cta",
        "variants": {"control": 0.5, "start-free": 0.5},
        "goals": [
            {"event": "signup", "rates": {"control": 0.10, "start-free": 0.12}},
            {"event": "cta_click", "rates": {"control": 0.30, "start-free": 0.30}},
        ],
    }
    exposures, conversions, _ = generate_traffic(
        [spec], units=4000, days=10, seed=5, start="2026-11-09"
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    exposures.to_csv(logs / "exposures.csv", index=False)
    conversions.to_parquet(logs / "conversions.parquet")
    r = run("analyze", "hero-cta", "--registry", registry, "--data", logs, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert {x["metric"] for x in d["results"]} == {"signup", "cta_click"}
    assert d["looks"] is None and d["progress"]["planned_per_variant"]


def test_report_html_over_registry(registry, units_csv, tmp_path):
    out = tmp_path / "report.html"
    r = run("report", registry, "--data", units_csv.parent, "--week", "2026-W47", "--out", out)
    # written, but pricing-page has no data: exit 3 (a scheduled job notices), and the
    # one summary line names it (not a terminal: no progress bar)
    assert r.exit_code == 3, r.output
    (line,) = r.stderr.splitlines()
    assert line.startswith(
        f"abtest: wrote {out}: 2 experiment(s), 1 analysed, 0 SRM alarm(s); not analysed: "
        "pricing-page (no data for pricing-page"
    )
    html = out.read_text()
    assert "Weekly experiment report: 2026-W47" in html
    assert 'id="exp-hero-cta"' in html and 'id="exp-pricing-page"' in html
    assert "not analysed: no data for pricing-page" in html
    assert "day 14 of 28" in html and html.count("data:image/png;base64,") == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["report.html"]


def test_report_markdown_with_images(registry, units_csv, tmp_path):
    out = tmp_path / "weekly.md"
    r = run("report", registry, "--data", units_csv.parent, "--week", "2026-W47", "--out", out)
    assert r.exit_code == 3, r.output  # pricing-page has no data
    assert (tmp_path / "weekly_files" / "hero-cta-lift.png").exists()
    assert "](weekly_files/hero-cta-lift.png)" in out.read_text()


def test_report_to_stdout_and_status_filter(registry, units_csv):
    r = run(
        "report",
        registry,
        "--data",
        units_csv.parent,
        "--format",
        "markdown",
        "--week",
        "2026-W47",
        "--no-plots",
    )
    assert r.exit_code == 3  # pricing-page has no data
    assert r.stdout.startswith("# Weekly experiment report: 2026-W47")
    one_line_error(run("report", registry, "--data", units_csv.parent, "--status", "draft"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "47"], "--week: week '47' is not an ISO week"),
        (["--data", "missing"], "--data missing: not found"),
    ],
)
def test_report_usage_errors(registry, units_csv, args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = ["report", registry, "--data", units_csv.parent]
    line = one_line_error(run(*base, *args))
    assert message in line


def test_report_requires_data(registry):
    assert "--data" in one_line_error(run("report", registry))


def test_help_texts():
    for cmd in ("analyze", "report"):
        r = run(cmd, "--help")
        assert r.exit_code == 0 and "Example" in r.stdout
    assert textwrap.dedent("--counts FILE.csv") in run("analyze", "--help").stdout


def test_a_trailing_empty_field_in_a_counts_file_is_no_field(tmp_path):
    # 'control,1000,100,' (a spreadsheet export) is the row without the empty field
    path = tmp_path / "trail.csv"
    path.write_text("variant,visitors,conversions\ncontrol,1000,100,\nb,1000,130,\n")
    result = run("analyze", "--counts", path, "--format", "json")
    assert result.exit_code == 0, result.output
