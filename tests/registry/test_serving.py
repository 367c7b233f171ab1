"""The registry's assignment settings: namespaces, interactions, coverage, the holdout
file, and ``abtest validate --base REF`` for running experiments reshuffled since REF."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from abtest.cli import main
from abtest.registry import load_registry, validate_paths


def _lines(folder: Path) -> list[str]:
    return [f"{Path(p.file).name}:{p.line}: {p.severity}: {p.code}" for p in
            validate_paths([folder])]  # fmt: skip


def _exp(write, valid_text, name: str, extra: str = "", page: str = "/pricing") -> Path:
    edits = {"page: /pricing": f"page: {page}", "daily_units: 6000": "daily_units: 60000"}
    return write(valid_text(name, edits) + extra, name=f"{name}.yaml")


NS = "assignment:\n  namespace: {{name: pricing, range: [{lo}, {hi}]}}\n"


def test_one_namespace_disjoint_ranges_is_clean(write, valid_text, tmp_path):
    _exp(write, valid_text, "a", NS.format(lo=0, hi=0.5))
    _exp(write, valid_text, "b", NS.format(lo=0.5, hi=1))
    assert validate_paths([tmp_path]) == []


def test_overlapping_ranges_in_one_namespace_are_errors_at_the_range_line(
    write, valid_text, tmp_path
):
    _exp(write, valid_text, "a", NS.format(lo=0, hi=0.6))
    _exp(write, valid_text, "b", NS.format(lo=0.5, hi=1))
    # the namespace is on line 23 of each file (VALID has 21 lines, then 'assignment:'); the
    # page's shares (60% + 50%) are over 100% too, reported at 'page:' (line 8)
    assert _lines(tmp_path) == [
        "a.yaml:8: error: overlap",
        "a.yaml:23: error: namespace-overlap",
        "b.yaml:8: error: overlap",
        "b.yaml:23: error: namespace-overlap",
    ]
    first = validate_paths([tmp_path])[1].message
    assert "[0, 0.6) of 'pricing' overlaps [0.5, 1) of 'b'" in first


def test_same_page_without_namespace_warns_of_interaction(write, valid_text, tmp_path):
    _exp(write, valid_text, "a", "traffic: 0.5\n")
    _exp(write, valid_text, "b", "traffic: 0.5\n")
    assert _lines(tmp_path) == ["a.yaml:8: warning: interaction", "b.yaml:8: warning: interaction"]
    _exp(write, valid_text, "b", "traffic: 0.5\n", page="/other")  # another page: fine
    assert _lines(tmp_path) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("assignment:\n  coverage: 0\n", "assignment.coverage: must be greater than 0"),
        ("assignment:\n  coverage: 1.2\n", "assignment.coverage: must be at most 1"),
        ("assignment:\n  namespace: {name: p, range: [0.5, 0.5]}\n", "range [0.5, 0.5) is empty"),
        ("assignment:\n  hash_version: 3\n", "assignment.hash_version"),
        ("traffic: 0.8\n" + NS.format(lo=0, hi=0.5), "cannot come from the namespace slice"),
    ],
)
def test_bad_assignment_settings_are_errors(write, valid_text, tmp_path, extra, message):
    _exp(write, valid_text, "a", extra)
    problems = validate_paths([tmp_path])
    assert len(problems) == 1 and problems[0].is_error
    assert message in problems[0].message, problems[0].message


def test_holdout_file_is_checked_with_lines_and_loaded(write, valid_text, tmp_path):
    _exp(write, valid_text, "a")
    write("holdout:\n  fraction: 0\n  sed: x\n", name="_registry.yaml")
    assert [(Path(p.file).name, p.line) for p in validate_paths([tmp_path])] == [
        ("_registry.yaml", 2),
        ("_registry.yaml", 3),
    ]
    write("holdout:\n  fraction: 0.05\n", name="_registry.yaml")
    assert validate_paths([tmp_path]) == []
    reg = load_registry(tmp_path)
    assert reg["a"].holdout.fraction == 0.05 and reg["a"].holdout.seed == "abtest-holdout"
    assert len(reg) == 1  # _registry.yaml is not an experiment


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def repo_with_base(write, valid_text, tmp_path):
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.com")
    _git(tmp_path, "config", "user.name", "t")
    _exp(write, valid_text, "a", "assignment:\n  coverage: 0.2\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "base")
    return tmp_path


@pytest.mark.parametrize(
    ("edit", "changed"),
    [
        ({"weight: 0.5, control: true": "weight: 0.4, control: true",
          "name: Start my free trial, weight: 0.5": "name: Start my free trial, weight: 0.6"},
         "variants (order, ids and weights)"),
        ({"coverage: 0.2": "coverage: 0.2\n  seed: other"}, "seed"),
        ({"coverage: 0.2": "coverage: 0.2\n  hash_version: 1"}, "hash_version"),
        ({"coverage: 0.2": "coverage: 0.2\n  namespace: {name: n, range: [0, 1]}"}, "namespace"),
    ],
)  # fmt: skip
def test_base_reports_a_reshuffled_running_experiment(
    repo_with_base, write, valid_text, edit, changed
):
    text = (repo_with_base / "a.yaml").read_text()
    for old, new in edit.items():
        text = text.replace(old, new)
    (repo_with_base / "a.yaml").write_text(text)
    result = CliRunner().invoke(main, ["validate", "--base", "HEAD", str(repo_with_base)])
    assert result.exit_code == 1, result.output
    assert f"{changed} changed since HEAD while the experiment runs" in result.output


def test_base_says_raising_coverage_is_safe(repo_with_base):
    path = repo_with_base / "a.yaml"
    path.write_text(path.read_text().replace("coverage: 0.2", "coverage: 0.5"))
    result = CliRunner().invoke(main, ["validate", "--base", "HEAD", str(repo_with_base)])
    assert result.exit_code == 0, result.output
    assert "coverage raised from 0.2 to 0.5 since HEAD: safe" in result.output


def test_base_that_does_not_exist_is_a_usage_error(repo_with_base):
    result = CliRunner().invoke(main, ["validate", "--base", "nope", str(repo_with_base)])
    assert result.exit_code == 2
    assert "no such git revision" in result.output and "Traceback" not in result.output
