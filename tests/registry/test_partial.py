"""The rules on the parts of a file that parsed (#14 item 9): every independent problem in
one run, and never a rule's complaint that only echoes a schema error."""

from __future__ import annotations

from pathlib import Path

import pytest

from abtest.registry import validate_paths
from abtest.registry.loader import read_document
from abtest.registry.partial import partial_findings, salvage
from abtest.registry.schema import Experiment

EXPERIMENTS = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.yaml"))
SCHEMA_CODES = {"unknown-key", "missing-key"}


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_a_valid_file_salvages_whole_and_no_rule_fires(path: Path) -> None:
    data = read_document(path).data
    _, whole = salvage(Experiment, data)
    assert whole == set(data)
    assert partial_findings(data) == []


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_a_misspelled_key_is_never_followed_by_a_rule_on_its_default(
    path: Path, tmp_path: Path
) -> None:
    # every key of every example misspelled in turn ('control' -> 'cntrol', 'start' ->
    # 'sart'...): only the typo may be reported, never a rule that read the missing key's
    # default ('no variant is the control', "'running' needs a start date") or a guess
    lines = path.read_text(encoding="utf-8").splitlines()
    marks = read_document(path).marks
    free = {"columns", "per_variant", "per_source"}  # names of the user's choosing, not schema keys
    keys = [
        loc
        for loc in marks
        if isinstance(loc[-1], str) and len(loc[-1]) > 3 and not free & set(loc[:-1])
    ]
    assert len(keys) > 20
    for loc in keys:
        line, column = marks[loc]
        text, key = lines[line - 1], str(loc[-1])
        at = column - 1
        assert text[at : at + len(key)] == key, (loc, text)
        typo = key[0] + key[2:]  # its second letter dropped
        broken = [*lines[: line - 1], text[:at] + typo + text[at + len(key) :], *lines[line:]]
        target = tmp_path / path.name
        target.write_text("\n".join(broken) + "\n", encoding="utf-8")
        errors = [p for p in validate_paths([target]) if p.is_error]
        assert errors, loc
        assert {p.code for p in errors} <= SCHEMA_CODES, (loc, [str(p) for p in errors])
