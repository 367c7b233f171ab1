"""Reading experiment files: safe YAML, line marks, and files that are not YAML at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from abtest.cli.validate import validate
from abtest.registry import validate_paths
from abtest.registry.loader import MAX_BYTES, read_document


def _messages(path: Path) -> list[str]:
    return [f"{p.line}: {p.message}" for p in validate_paths([path])]


def test_marks_record_the_line_and_column_of_every_key_and_item(write) -> None:
    path = write("id: a\nvariants:\n  - id: control\n    weight: 0.5\n  - {id: b, weight: 0.5}\n")
    doc = read_document(path)
    assert doc.marks[("id",)] == (1, 1)
    assert doc.marks[("variants", 0)] == (3, 5)
    assert doc.marks[("variants", 0, "weight")] == (4, 5)
    assert doc.marks[("variants", 1, "weight")] == (5, 13)
    assert doc.mark(("variants", 1, "missing")) == (5, 5)  # closest marked parent
    assert doc.mark(("nowhere",)) == (1, 1)


def test_scalars_follow_yaml_1_2_core(write) -> None:
    text = (
        "a: no\nb: on\nc: yes\nd: true\ne: False\nf: 1e-4\ng: 1_000\nh: 0x1F\ni: .5\n"
        "j: 2026-11-02\nk: ~\nl: =\nm: 1:30\n"
    )
    data = read_document(write(text)).data
    assert data == {
        "a": "no", "b": "on", "c": "yes", "d": True, "e": False, "f": 1e-4, "g": 1000,
        "h": 31, "i": 0.5, "j": dt.date(2026, 11, 2), "k": None, "l": "=", "m": "1:30",
    }  # fmt: skip


def test_keys_stay_text(write) -> None:
    data = read_document(write("per_variant: {no: 1, 1: 2, on: 3, true: 4}\n")).data
    assert data == {"per_variant": {"no": 1, "1": 2, "on": 3, "true": 4}}


def test_duplicate_keys_are_reported_at_every_depth(write) -> None:
    doc = read_document(write("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n"))
    assert [(p.line, p.code) for p in doc.problems] == [(4, "duplicate-key"), (5, "duplicate-key")]
    assert doc.data == {"a": 1, "b": {"c": 1}}


def test_merge_keys_work_and_explicit_keys_win(write) -> None:
    doc = read_document(write("base: &b {x: 1, y: 2}\nm:\n  x: 5\n  <<: *b\n"))
    assert doc.problems == []
    assert doc.data["m"] == {"x": 5, "y": 2}
    assert doc.marks[("m", "x")] == (3, 3)


def test_python_tags_are_refused_and_nothing_is_constructed(write, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"a: !!python/object/apply:os.system ['touch {marker}']\nb: !!python/name:os.system\n"
    doc = read_document(write(text))
    assert [p.line for p in doc.problems] == [1, 2]
    assert all("is not allowed" in p.message for p in doc.problems)
    assert not marker.exists()


def test_alias_bomb_is_cut_short(write) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    doc = read_document(write("\n".join(lines) + "\n"))
    assert [p.code for p in doc.problems] == ["too-large"]


def test_deep_nesting_is_reported(write) -> None:
    doc = read_document(write("a: " + "[" * 200 + "]" * 200 + "\n"))
    assert [p.code for p in doc.problems] in (["too-deep"],)


def test_zero_byte_file(write) -> None:
    path = write("")
    assert _messages(path) == [
        "1: the file is empty: write an experiment (id, name, hypothesis, owner, status, "
        "page, variants, goals...) or delete the file"
    ]


def test_binary_file(write) -> None:
    path = write(bytes(range(256)) * 4, name="logo.yaml")
    assert _messages(path) == [
        "1: binary content (NUL bytes), not a YAML text file; check the file name or remove "
        "the file from the registry"
    ]


def test_ten_megabyte_file_is_refused_without_reading_it(write) -> None:
    path = write("# padding\n" * 1_000_000)
    assert path.stat().st_size == 10_000_000 > MAX_BYTES
    assert _messages(path) == [
        "1: file is 10.0 MB, over the 1 MB limit for an experiment file (a few KB of YAML); "
        "is this the right file?"
    ]


def test_latin1_file(write, valid_text) -> None:
    path = write(valid_text(edits={"name: Pricing": "name: Préçing"}).encode("latin-1"))
    assert _messages(path) == ["2: not UTF-8 text (byte 0xe9); save the file with UTF-8 encoding"]


def test_utf8_bom_is_accepted(write, valid_text) -> None:
    path = write(b"\xef\xbb\xbf" + valid_text().encode())
    assert _messages(path) == []


def test_control_character(write, valid_text) -> None:
    path = write(valid_text(edits={"name: Pricing": "name: \x1bPricing"}))
    assert _messages(path) == ["2: control character U+001B is not allowed in YAML; remove it"]


def test_a_folder_named_like_a_file_is_searched_not_read(write, valid_text, tmp_path) -> None:
    write(valid_text(), name="odd.yaml/pricing-cta.yaml")
    assert validate_paths([tmp_path / "odd.yaml"]) == []


def test_hidden_files_and_folders_are_skipped(write, tmp_path) -> None:
    write("not: [valid", name=".github/broken.yaml")
    write("not: [valid", name=".draft.yaml")
    write("{", name="notes.txt")
    assert validate_paths([tmp_path]) == []


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x01\x02", b"\xff\xfe\x00", b"a: b: c", b"[", b"- 1\n- 2\n", b"42\n",
     b"---\n...\n", b"? [a, b]\n: c\n", b"a: &x\n  <<: *x\n", b"\t- x\n"],
)  # fmt: skip
def test_no_traceback_for_odd_files(content: bytes, write, tmp_path) -> None:
    write(content)
    result = CliRunner().invoke(validate, [str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
