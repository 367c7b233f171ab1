"""``abtest validate``, ``abtest schema`` and ``abtest plan EXPERIMENT_ID --registry``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from abtest.cli import main
from abtest.registry import json_schema
from abtest.stats import mde_proportions, plan_proportions


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args))


def test_examples_validate_clean(repo: Path) -> None:
    result = run("validate", str(repo / "experiments"))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "experiment files checked: no problems" in result.stderr


def test_problems_exit_1_one_line_each(write, valid_text) -> None:
    path = write(
        valid_text(edits={"weight: 0.5}": "wieght: 0.5}", "status: running": "status: runing"})
    )
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:5: status: 'runing' is not one of draft, running, stopped, concluded — did you "
        "mean 'running'?",
        f"{path}:11: variants[1]: unknown key 'wieght' — did you mean 'weight'?",
    ]
    assert result.stderr.strip() == "2 errors in 1 experiment file (1 with errors)"


def test_all_files_in_one_run(write, valid_text, tmp_path) -> None:
    write(valid_text("a", {"page: /pricing": "page: /a", "mde: 0.10": "mde: 0.01"}), name="a.yaml")
    write(
        valid_text("b", {"page: /pricing": "page: /b", "control: true": "control: yes"}),
        name="b.yaml",
    )
    write(valid_text("c", {"page: /pricing": "page: /c"}), name="c.yaml")
    result = run("validate", str(tmp_path / "a.yaml"), str(tmp_path))
    assert result.exit_code == 1
    assert [ln.split(":")[0] for ln in result.stdout.splitlines()] == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
    ]
    assert "3 experiment files" in result.stderr


def test_warnings_exit_0_unless_strict(write, valid_text) -> None:
    path = write(valid_text(edits={"  expected_daily_units: 6000\n": ""}))
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{path}:18: warning: analysis: cannot check the sample size")
    strict = run("validate", "--strict", str(path))
    assert strict.exit_code == 1
    assert strict.stdout.startswith(f"{path}:18: analysis: cannot check")


def test_github_format(write, valid_text) -> None:
    path = write(
        valid_text(edits={"weight: 0.5}": "wieght: 0.5}", "  expected_daily_units: 6000\n": ""})
    )
    result = run("validate", "--format", "github", str(path))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::error file={path},line=11,col=49,title=abtest validate::variants[1]: unknown key "
        "'wieght' — did you mean 'weight'?",
    ]


def test_github_format_escapes(write) -> None:
    from abtest.cli.validate import github_annotation
    from abtest.registry import Problem

    text = github_annotation(Problem("a,b:c.yaml", 3, "50% off\nnext", "warning", 2))
    assert (
        text == "::warning file=a%2Cb%3Ac.yaml,line=3,col=2,title=abtest validate::50%25 off%0Anext"
    )


def test_json_format(write, valid_text) -> None:
    path = write(valid_text(edits={"end: 2026-11-30": "end: 2026-10-30"}))
    result = run("validate", "--format", "json", str(path))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data == {
        "files": 1, "errors": 1, "warnings": 0,
        "problems": [{
            "file": str(path), "line": 7, "column": 1, "severity": "error", "code": "dates",
            "message": "end: 2026-10-30 is before start 2026-11-02; the end date must be on or "
            "after the start date",
        }],
    }  # fmt: skip


@pytest.mark.parametrize("args", [[], ["nope/"], ["--format", "xml", "experiments"]])
def test_usage_errors_exit_2(args: list[str], repo: Path, monkeypatch) -> None:
    monkeypatch.chdir(repo)
    assert run("validate", *args).exit_code == 2


def test_folder_without_experiments_is_a_usage_error(tmp_path) -> None:
    result = run("validate", str(tmp_path))
    assert result.exit_code == 2
    assert "no experiment files (*.yaml, *.yml)" in result.stderr


def test_schema_command(tmp_path) -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json_schema()
    out = tmp_path / "experiment.schema.json"
    assert run("schema", "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == json_schema()


def test_validate_imports_nothing_heavy(repo: Path) -> None:
    code = (
        "import sys\n"
        "from abtest.cli import main\n"
        "try:\n"
        "    main(['validate', '-q', 'experiments'])\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
        "heavy = {'pandas', 'scipy', 'statsmodels', 'matplotlib', 'duckdb', 'numpy'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert out.stdout.strip() == "[]", out.stdout


def test_plan_from_registry_matches_plan_proportions(repo: Path) -> None:
    result = run("plan", "cta-button-three-way", "--registry", str(repo / "experiments"))
    assert result.exit_code == 0, result.output
    ref = plan_proportions(0.025, 0.15, variants=3, weights=(0.34, 0.33, 0.33), daily_units=5500)
    text = result.stdout
    for n in ref.n_per_variant:
        assert f"{n:,} units" in text
    assert f"Duration: {ref.days} days" in text
    # MDE by 2026-12-20: 35 days x 5,500 units, 34% in the control, Bonferroni alpha 0.025
    mde = float(mde_proportions(0.025, 35 * 5500 * 0.34, alpha=0.025, ratio=0.33 / 0.34))
    assert f"MDE at the planned end (2026-12-20): {mde:+.1%} relative" in text
    assert "  variant 2  see-demo     See it in action" in text
    assert "Schedule: 2026-11-16 to 2026-12-20 (35 days); the sample is reached on " in text


def test_plan_of_a_decrease_names_the_least_powered_mde(repo: Path, tmp_path: Path) -> None:
    # alternative smaller with weights 0.5 / 0.3 / 0.2: the two comparisons detect
    # different decreases by the end; the schedule's MDE is the larger in size (the
    # one of see-demo, with 0.2 of the traffic). max() took the smaller decrease
    text = (repo / "experiments" / "cta-button-three-way.yaml").read_text()
    text = (
        text.replace("weight: 0.34,", "weight: 0.5,")
        .replace("weight: 0.33}", "weight: 0.3}", 1)
        .replace("weight: 0.33}", "weight: 0.2}", 1)
    )
    text = text.replace("  mde: 0.15", "  alternative: smaller\n  mde: 0.15")
    folder = tmp_path / "experiments"
    folder.mkdir()
    (folder / "cta-button-three-way.yaml").write_text(text)
    result = run("plan", "cta-button-three-way", "--registry", str(folder))
    assert result.exit_code == 0, result.output
    n_control = 35 * 5500 * 0.5
    mdes = [float(mde_proportions(0.025, n_control, alpha=0.025, alternative="smaller",
                                  ratio=r)) for r in (0.3 / 0.5, 0.2 / 0.5)]  # fmt: skip
    assert mdes[1] < mdes[0] < 0
    assert f"MDE at the planned end (2026-12-20): {mdes[1]:+.1%} relative" in result.stdout


def test_plan_sequential_shows_the_maximum_sample(repo: Path) -> None:
    result = run("plan", "onboarding-checklist", "--registry", str(repo / "experiments"))
    assert result.exit_code == 0, result.output
    assert "Sequential: 4 looks, obrien-fleming spending: at most" in result.stdout


def test_plan_infeasible_says_how_long(write, valid_text, tmp_path) -> None:
    write(valid_text(edits={"mde: 0.10": "mde: 0.05"}))
    result = run("plan", "pricing-cta", "--registry", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "the plan needs 52 days, 23 more than scheduled: move end to 2026-12-23" in result.stdout


def test_plan_unknown_id_suggests(repo: Path) -> None:
    result = run("plan", "pricing-cta-wordin", "--registry", str(repo / "experiments"))
    assert result.exit_code == 2
    assert "no experiment 'pricing-cta-wordin'" in result.stderr
    assert "did you mean 'pricing-cta-wording'?" in result.stderr


def test_plan_of_a_broken_entry_shows_its_problems(write, valid_text, tmp_path) -> None:
    path = write(valid_text(edits={"weight: 0.5}": "wieght: 0.5}"}))
    write("id: other\nbroken: [", name="other.yaml")
    result = run("plan", "pricing-cta", "--registry", str(tmp_path))
    assert result.exit_code == 2
    assert f"{path}:11: variants[1]: unknown key 'wieght'" in result.stderr
    assert "other.yaml" not in result.stderr


def test_plan_needs_baseline_and_mde(write, valid_text, tmp_path) -> None:
    write(valid_text(edits={"  mde: 0.10\n": ""}))
    result = run("plan", "pricing-cta", "--registry", str(tmp_path))
    assert result.exit_code == 2
    assert "add analysis.mde to plan 'pricing-cta'" in result.stderr
