"""Reading one experiment file into a :class:`~abtest.registry.yamldata.Document`.

First what is not an experiment file at all is turned away (too large,
binary, not UTF-8, control characters, empty); then the text is parsed with
the safe YAML 1.2 loader of :mod:`abtest.registry.yamldata` (libyaml's
``CSafeLoader`` when available, else PyYAML's ``SafeLoader``: both give the
same diagnostics), and YAML syntax errors become one problem on the line at
fault, with a hint that says what to fix.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node

from abtest.registry.indent import misaligned
from abtest.registry.yamldata import MAX_DEPTH, Document, build, make_loader

MAX_BYTES = 1_000_000
"""Largest experiment file read (an experiment is a few KB of YAML)."""


_Loader = make_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def read_document(path: str | Path, display: str | None = None) -> Document:
    """Read one experiment file into a :class:`Document`; never raises for bad content.

    Parameters
    ----------
    path : str or Path
        The file to read.
    display : str, optional
        How problems name the file (default: ``str(path)``).

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "x.yaml")
    ...     _ = open(p, "w").write("id: a\\nid: b\\nflag: on\\n")
    ...     doc = read_document(p, display="x.yaml")
    >>> doc.data, doc.marks[("flag",)]
    ({'id': 'a', 'flag': 'on'}, (3, 1))
    >>> print(doc.problems[0].line, doc.problems[0].message[:40])
    2 duplicate key 'id' (first set on line 1)
    """
    path = Path(path)
    doc = Document(display if display is not None else str(path))
    raw = _read_bytes(path, doc)
    if raw is None:
        doc.fatal = True
        return doc
    text = _decode(raw, doc)
    if text is None:
        doc.fatal = True
        return doc
    node = _parse(text, doc)
    if node is None:
        doc.fatal = True
        return doc
    doc.data = build(doc, node.root, node.loader)
    return doc


def _read_bytes(path: Path, doc: Document) -> bytes | None:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError
        if not stat.S_ISREG(info.st_mode):  # opening a FIFO would wait for a writer forever
            doc.fail(
                1,
                "not a regular file (a device, pipe or socket), so it is not read; "
                "remove it from the registry folder or rename it without .yaml/.yml",
                "unreadable",
            )
            return None
        size = info.st_size
        if size > MAX_BYTES:
            doc.fail(
                1,
                f"file is {size / 1e6:.1f} MB, over the {MAX_BYTES / 1e6:.0f} MB limit for an "
                "experiment file (a few KB of YAML); is this the right file?",
                "too-large",
            )
            return None
        with open(path, "rb") as fh:
            return fh.read(MAX_BYTES + 1)
    except IsADirectoryError:
        doc.fail(1, "is a folder, not an experiment file", "unreadable")
    except FileNotFoundError:  # found while walking a folder: a link to nothing, or gone
        if path.is_symlink():
            message = f"a symbolic link to '{os.readlink(path)}', which does not exist; "
            message += "fix or remove the link"
        else:
            message = "the file disappeared while it was being checked; run again"
        doc.fail(1, message, "unreadable")
    except OSError as exc:
        doc.fail(1, f"cannot read the file: {exc.strerror or exc}", "unreadable")
    return None


def _line_at(data: bytes | str, offset: int) -> int:
    return data[:offset].count(b"\n" if isinstance(data, bytes) else "\n") + 1


def _decode(raw: bytes, doc: Document) -> str | None:
    if b"\x00" in raw:
        doc.fail(
            1,
            "binary content (NUL bytes), not a YAML text file; "
            "check the file name or remove the file from the registry",
            "not-text",
        )
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        doc.fail(
            _line_at(raw, exc.start),
            f"not UTF-8 text (byte 0x{bad}); save the file with UTF-8 encoding",
            "not-text",
        )
        return None
    ctrl = _CONTROL.search(text)
    if ctrl:
        doc.fail(
            _line_at(text, ctrl.start()),
            f"control character U+{ord(ctrl.group()):04X} is not allowed in YAML; remove it",
            "not-text",
        )
        return None
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        doc.fail(
            1,
            "the file is empty: write an experiment (id, name, hypothesis, owner, status, "
            "page, variants, goals...) or delete the file",
            "empty-file",
        )
        return None
    return text


@dataclass
class _Parsed:
    root: Node
    loader: Any


MAX_REALIGNED = 10
"""Most keys out of line lined up in one file before its syntax error is said as is."""


def _parse(text: str, doc: Document) -> _Parsed | None:
    realigned: set[int] = set()
    while True:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            break
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            found = None
            if mark is not None and len(realigned) < MAX_REALIGNED:
                found = misaligned(text, mark.line + 1, exc.problem or "")
            if found is None or found.line in realigned:
                _syntax_problem(text, exc, doc)
                return None
            # said at the key's own line; the rest of the file is read with the key lined up
            realigned.add(found.line)
            doc.fail(found.line, found.message, "yaml-syntax", found.column)
            text = found.text
        except yaml.YAMLError as exc:
            doc.fail(1, f"YAML syntax error: {exc}", "yaml-syntax")
            return None
        except RecursionError:
            doc.fail(1, f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)", "too-deep")
            return None
    if root is None:  # only '---' or comments: caught by _decode, but be safe
        doc.fail(1, "the file is empty: write an experiment or delete the file", "empty-file")
        return None
    return _Parsed(root, loader)


_SYNTAX_HINTS = [
    (
        "mapping values are not allowed",
        "a ':' where a value was expected; check this line's indentation, or quote a "
        "value that contains ': '",
    ),
    (
        "could not find expected ':'",
        "expected 'key: value'; a colon is missing or the indentation is off",
    ),
    (
        "did not find expected key",
        "a key is out of line; keys of one mapping start in the same column",
    ),
    ("did not find expected '-' indicator", "list items must line up, each starting with '- '"),
    (
        "document start>",
        "the lines above this one are indented more than it; the file's top-level keys "
        "start in column 1",
    ),
    ("did not find expected node content", "a value is missing or a bracket is never closed"),
    ("expected ',' or ']'", "a '[' list is not closed with ']' (or a ',' is missing)"),
    ("expected ',' or '}'", "a '{' mapping is not closed with '}' (or a ',' is missing)"),
    ("found unexpected end of stream", "a quote is never closed"),
]
_UNCLOSED = ("while parsing a flow", "while scanning a quoted", "while scanning a double")


def _syntax_problem(text: str, exc: yaml.MarkedYAMLError, doc: Document) -> None:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else None
    problem = exc.problem or "invalid YAML"
    if "another document" in problem:
        doc.fail(line, "more than one YAML document ('---'): one experiment per file",
                 "yaml-syntax", column)  # fmt: skip
        return
    lines = text.splitlines()
    tab_lines = [
        i for i, ln in enumerate(lines, start=1) if "\t" in ln[: len(ln) - len(ln.lstrip())]
    ]
    for i in tab_lines:
        doc.fail(i, "tab character in the indentation: YAML indents with spaces only; "
                 "replace the tab with spaces", "tab")  # fmt: skip
    if line in tab_lines or "'\\t'" in problem:
        return
    if "expected <block end>" in problem:  # PyYAML's words for libyaml's two below
        block = "block mapping" in (exc.context or "")
        problem = "did not find expected key" if block else "did not find expected '-' indicator"
    hint = next((h for key, h in _SYNTAX_HINTS if key in problem), None)
    anchor = re.search(r"'([^']*)'", problem + " " + (exc.context or ""))
    name = anchor.group(1) if anchor else "name"
    if "found undefined alias" in problem:
        hint = (
            f"the alias *{name} refers to no anchor: write &{name} on a value above it "
            "(an anchor comes before its aliases)"
        )
    elif "duplicate anchor" in (exc.context or ""):
        first = exc.context_mark.line + 1 if exc.context_mark is not None else None
        hint = (
            f"the anchor &{name} is defined twice (first on line {first}); "
            "give each anchor its own name"
        )
    if "cannot start any token" in problem and mark is not None and line <= len(lines):
        char = lines[line - 1][mark.column : mark.column + 1]
        hint = f"a plain value cannot start with '{char}'; put the value in quotes"
    message = f"YAML syntax error: {hint or problem}"  # the hint reads the same for both parsers
    start = exc.context_mark
    if start is not None and (exc.context or "").startswith(_UNCLOSED) and start.line + 1 != line:
        message += f" (the parser gave up on line {line})"
        line, column = start.line + 1, start.column + 1
    if line > len(lines):  # libyaml places the end of the stream after the last line
        line, column = max(len(lines), 1), None
    doc.fail(line, message, "yaml-syntax", column)
