"""docs/registry.md's CI recipe works for a team whose repository holds only experiments/
(#14 item 8): the workflow parses, installs abtest's own distribution (not the unrelated
"abtest" on PyPI) from a pinned source, and its commands pass on such a repository."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "registry.md").read_text()
DISTRIBUTION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]


def block_after(marker: str) -> str:
    """The first fenced block after ``marker`` in docs/registry.md."""
    tail = DOC[DOC.index(marker) :]
    found = re.search(r"```[a-z]*\n(.*?)```", tail, re.S)
    assert found, marker
    return found.group(1)


def test_the_distribution_is_not_the_unrelated_abtest_on_pypi():
    # `pip index versions abtest` lists 0.0.1-0.0.7 of another project; abtest-cro is free
    assert DISTRIBUTION == "abtest-cro"
    from abtest.cli import DISTRIBUTION as cli_name

    assert cli_name == DISTRIBUTION


def test_the_workflow_installs_this_distribution_from_a_pinned_source():
    workflow = yaml.safe_load(block_after("`.github/workflows/experiments.yml`:"))
    steps = workflow["jobs"]["validate"]["steps"]
    installs = [s["run"] for s in steps if str(s.get("run", "")).startswith("pip install")]
    assert len(installs) == 1
    spec = installs[0].removeprefix("pip install").strip().strip('"')
    req = Requirement(spec)
    assert req.name == DISTRIBUTION
    assert req.url and req.url.startswith("git+https://") and "@" in req.url.split("//")[1]
    # the documented alternatives name the same distribution
    alternatives = block_after("repository holds only `experiments/`")
    names = {
        Requirement(line.split("pip install ", 1)[1].split("#")[0].strip().strip('"')).name
        for line in alternatives.splitlines()
        if "abtest-cro @" in line
    }
    assert names == {DISTRIBUTION}
    assert "abtest_cro-0.1.0-py3-none-any.whl" in alternatives


@pytest.fixture
def team_repo(tmp_path):
    """A team's repository: only a copy of the example experiments/."""
    import shutil

    shutil.copytree(REPO / "experiments", tmp_path / "experiments")
    return tmp_path


def run_step(command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        command.replace("abtest ", f"{sys.executable} -m abtest.cli ", 1),
        shell=True,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )


def test_the_workflow_commands_pass_on_a_repository_of_experiments_only(team_repo):
    workflow = yaml.safe_load(block_after("`.github/workflows/experiments.yml`:"))
    runs = [s["run"] for s in workflow["jobs"]["validate"]["steps"] if "run" in s]
    validate = next(r for r in runs if r.startswith("abtest validate"))
    done = run_step(validate, team_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    # the schema step: a committed schema that is up to date diffs clean
    schema = run_step("abtest schema", team_repo)
    (team_repo / "experiment.schema.json").write_text(schema.stdout)
    step = next(r for r in runs if r.startswith("abtest schema"))
    assert run_step(step, team_repo).returncode == 0


def test_the_pre_commit_hook_runs_on_the_whole_registry(team_repo):
    config = yaml.safe_load(block_after("`.pre-commit-config.yaml`"))
    hook = config["repos"][0]["hooks"][0]
    assert hook["pass_filenames"] is False
    assert re.search(hook["files"], "experiments/pricing-cta-wording.yaml")
    done = run_step(hook["entry"], team_repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_documented_wheel_is_the_one_pip_wheel_builds():
    # a wheel's file name is the normalised distribution name and the version (PEP 427,
    # PEP 503 normalisation with '_'): the doc's example must be what `pip wheel .` writes
    from packaging.utils import canonicalize_name

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wheel = f"{canonicalize_name(project['name']).replace('-', '_')}-{project['version']}"
    assert f"{wheel}-py3-none-any.whl" in block_after("repository holds only `experiments/`")
    assert project["scripts"]["abtest"] == "abtest.cli:main"  # the command stays abtest
    import abtest

    assert abtest.__version__ == project["version"]


def test_the_readme_names_the_same_pinned_requirement():
    readme = (REPO / "README.md").read_text()
    specs = re.findall(r'pip install "([^"]+ @ git\+[^"]+)"', readme)
    assert specs, "the README's install line for a repository of experiments only"
    for spec in specs:
        req = Requirement(spec)
        assert req.name == DISTRIBUTION and req.url.startswith("git+https://")


def test_version_names_the_distribution_and_never_fails(monkeypatch):
    from importlib import metadata

    from click.testing import CliRunner

    from abtest.cli import main

    run = CliRunner().invoke(main, ["--version"])
    assert run.exit_code == 0
    assert run.output.startswith(f"abtest ({DISTRIBUTION}) ")

    # run from a source checkout that was never installed: click's version_option raised
    # RuntimeError ("'abtest-cro' is not installed"), a traceback
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    run = CliRunner().invoke(main, ["--version"])
    assert run.exit_code == 0, run.output
    assert run.output.strip().endswith("(a source checkout, not installed)")
