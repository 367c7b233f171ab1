"""The broken-file corpus: each case produces exactly its expected diagnostics.

Each entry of ``corpus/`` (a file, or a folder checked as one registry) is one
mistake. ``corpus/expected.txt`` holds what ``abtest validate CASE`` prints
for it, run from the corpus folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from abtest.cli.validate import validate
from abtest.registry import validate_paths

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.name != "expected.txt")


def _expected() -> dict[str, list[str]]:
    lines = [
        ln
        for ln in (CORPUS / "expected.txt").read_text(encoding="utf-8").splitlines()
        if ln and not ln.startswith("#")
    ]
    out: dict[str, list[str]] = {case: [] for case in CASES}
    for ln in lines:
        case = next(c for c in CASES if ln.startswith((c + ":", c + "/")))
        out[case].append(ln)
    return out


EXPECTED = _expected()


def test_corpus_has_at_least_25_distinct_mistakes() -> None:
    assert len(CASES) >= 25
    assert all(EXPECTED[c] for c in CASES), [c for c in CASES if not EXPECTED[c]]


@pytest.mark.parametrize("case", CASES)
def test_case_reports_exactly_the_expected_problems(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    problems = validate_paths([case])
    assert [str(p) for p in problems] == EXPECTED[case]
    assert any(p.is_error for p in problems)


@pytest.mark.parametrize("case", CASES)
def test_cli_exit_1_and_no_traceback(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    result = CliRunner().invoke(validate, [case])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout.splitlines() == EXPECTED[case]


def test_every_problem_names_a_line_inside_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CORPUS)
    for case in CASES:
        for p in validate_paths([case]):
            n_lines = len(Path(p.file).read_text(encoding="utf-8").splitlines())
            assert 1 <= p.line <= max(n_lines, 1), p


def test_pure_python_yaml_gives_the_same_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without libyaml (``yaml.CSafeLoader`` missing) abtest falls back to ``SafeLoader``."""
    import yaml

    from abtest.registry import loader

    monkeypatch.setattr(loader, "_Loader", loader.make_loader(yaml.SafeLoader))
    monkeypatch.chdir(CORPUS)
    for case in CASES:
        assert [str(p) for p in validate_paths([case])] == EXPECTED[case]
    assert validate_paths([CORPUS.parents[2] / "experiments"]) == []
