"""Reading one experiment file: safe YAML with line marks and loud duplicates.

PyYAML alone would silently keep the last of two duplicate keys, read ``no``
as ``False`` and ``1e-4`` as text, and build arbitrary Python objects from
``!!python/object`` tags with an unsafe loader. This module:

- parses with a ``SafeLoader`` subclass (``CSafeLoader`` when libyaml is
  available) and never constructs anything but plain data;
- resolves scalars as the YAML 1.2 core schema does (what editors using the
  JSON Schema see): only ``true``/``false`` are booleans, ``1e-4`` is a number,
  ``on``/``no``/``=`` are strings; ISO dates stay dates;
- walks the node tree itself, recording the line and column of every mapping
  key and sequence item (``marks``), reporting duplicate keys, disallowed tags
  and recursive aliases as :class:`~abtest.registry.problems.Problem` objects;
- rejects before parsing what is not an experiment file at all: too large,
  binary, not UTF-8, empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from abtest.registry.checks import dotted
from abtest.registry.problems import Loc, Problem

MAX_BYTES = 1_000_000
"""Largest experiment file read (an experiment is a few KB of YAML)."""

MAX_VALUES = 100_000
"""Most values one file may expand to (guards against alias bombs)."""

MAX_DEPTH = 64

_Y = "tag:yaml.org,2002:"
_MAP, _SEQ, _MERGE = _Y + "map", _Y + "seq", _Y + "merge"
_SCALAR_TAGS = frozenset(_Y + t for t in ("str", "int", "float", "bool", "null", "timestamp"))

_STR = _Y + "str"
_DEFAULT_TAGS = {ScalarNode: _STR, SequenceNode: _SEQ, MappingNode: _MAP}
_YAML_1_2 = [
    (_Y + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (_Y + "int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"), "-+0123456789"),
    (
        _Y + "float",
        re.compile(
            r"""^(?:[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)(?:[eE][-+]?[0-9]+)?
                |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""",
            re.X,
        ),
        "-+0123456789.",
    ),
]


def make_loader(base: type) -> type:
    """A loader class: ``base`` (a safe loader) with YAML 1.2 core scalars.

    Starts from the safe resolvers, drops YAML 1.1's bool/int/float/value rules
    (yes/no/on/off booleans, sexagesimal and octal ints, '=' values), adds the
    YAML 1.2 core ones, and replaces ``resolve`` with a lean version (libyaml
    calls it for every node; abtest has no path resolvers).
    """
    rules = {
        first: [(tag, rx) for tag, rx in found if tag[len(_Y) :] not in {"bool", "int", "float",
                                                                          "value"}]
        for first, found in base.yaml_implicit_resolvers.items()
    }  # fmt: skip
    for tag, rx, firsts in _YAML_1_2:
        for first in firsts:
            rules.setdefault(first, []).append((tag, rx))
    assert None not in rules and not base.yaml_path_resolvers

    def resolve(self: Any, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            assert value is not None
            for tag, rx in rules.get(value[0] if value else "", ()):
                if rx.match(value):
                    return tag
        return _DEFAULT_TAGS[kind]

    def no_path(*args: Any) -> None:
        return None

    namespace = {
        "yaml_implicit_resolvers": rules,
        "resolve": resolve,
        "descend_resolver": no_path,
        "ascend_resolver": no_path,
        "__doc__": f"{base.__name__} with YAML 1.2 core scalars.",
    }
    return type(f"Abtest{base.__name__}", (base,), namespace)


_Loader = make_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


class _Broken:
    """Stands for a value the loader already reported: no schema field accepts it, so
    the experiment does not validate, and the schema's own complaint is dropped."""

    def __repr__(self) -> str:
        return "<invalid value>"


BROKEN: Any = _Broken()

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Document:
    """One file's content as plain data, with where each key sits.

    ``data`` is ``None`` when the file could not be read as YAML at all
    (``fatal``). ``marks`` maps a location such as ``("variants", 1, "weight")``
    to the 1-based ``(line, column)`` of that key (or sequence item).
    ``broken`` holds the locations the loader already reported, so schema
    errors that merely echo them are not repeated.
    """

    path: str
    data: Any = None
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    broken: set[Loc] = field(default_factory=set)
    fatal: bool = False

    def mark(self, loc: Loc) -> tuple[int, int]:
        """``(line, column)`` of ``loc``, or of its closest marked parent (1, 1 at worst).

        >>> Document("a.yaml", marks={("goals",): (9, 1)}).mark(("goals", 2, "kind"))
        (9, 1)
        """
        for end in range(len(loc), 0, -1):
            hit = self.marks.get(loc[:end])
            if hit is not None:
                return hit
        return (1, 1)

    def fail(self, line: int, message: str, code: str, column: int | None = None) -> None:
        self.problems.append(Problem(self.path, line, message, "error", column, code))


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
    doc.data = _Builder(doc, node.loader).build(node.root)
    return doc


def _read_bytes(path: Path, doc: Document) -> bytes | None:
    try:
        size = path.stat().st_size
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


def _parse(text: str, doc: Document) -> _Parsed | None:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        _syntax_problem(text, exc, doc)
        return None
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
    ("found undefined alias", "an alias (*name) refers to no anchor (&name)"),
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
    hint = next((h for key, h in _SYNTAX_HINTS if key in problem), None)
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


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_Y) :] if tag.startswith(_Y) else tag


class _Builder:
    """Plain Python data from a composed node tree, recording marks and problems."""

    def __init__(self, doc: Document, loader: Any) -> None:
        self.doc = doc
        self.loader = loader
        self.count = 0
        self.active: set[int] = set()  # ids of nodes on the current path (recursion guard)

    def bad(self, node: Node, loc: Loc, message: str, code: str) -> None:
        m = node.start_mark
        where = dotted(loc)
        self.doc.fail(m.line + 1, f"{where}: {message}" if where else message, code, m.column + 1)
        self.doc.broken.add(loc)

    def build(self, node: Node, loc: Loc = ()) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            if self.count == MAX_VALUES + 1:
                self.bad(
                    node,
                    loc,
                    f"the file expands to more than {MAX_VALUES:,} values "
                    "(through YAML aliases?); write the experiment out plainly",
                    "too-large",
                )
            return BROKEN
        if len(loc) > MAX_DEPTH:
            self.bad(node, loc, f"nested more than {MAX_DEPTH} levels deep", "too-deep")
            return BROKEN
        if id(node) in self.active:
            self.bad(
                node,
                loc,
                "an alias refers to a mapping or list that contains it "
                "(a recursive structure); write the value out plainly",
                "recursive-alias",
            )
            return BROKEN
        if isinstance(node, ScalarNode):
            return self.scalar(node, loc)
        expected = _MAP if isinstance(node, MappingNode) else _SEQ
        if node.tag != expected:
            self.bad(
                node,
                loc,
                f"the tag '{_tag_name(node.tag)}' is not allowed: experiment "
                "files hold plain data (text, numbers, dates, lists, mappings); "
                "remove the tag",
                "tag",
            )
            return BROKEN
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                out = []
                for i, item in enumerate(node.value):
                    self.doc.marks[(*loc, i)] = (
                        item.start_mark.line + 1,
                        item.start_mark.column + 1,
                    )
                    out.append(self.build(item, (*loc, i)))
                return out
            return self.mapping(node, loc)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, loc: Loc) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.bad(
                node,
                loc,
                f"the tag '{_tag_name(node.tag)}' is not allowed: experiment "
                "files hold plain data (text, numbers, dates, lists, mappings); "
                "remove the tag",
                "tag",
            )
            return BROKEN
        if node.tag == _STR:
            return node.value
        try:
            return self.loader.yaml_constructors[node.tag](self.loader, node)
        except (ValueError, TypeError, OverflowError) as exc:
            if node.tag.endswith("timestamp"):
                fix = "write a real calendar date as YYYY-MM-DD"
                what = "date"
            else:
                fix = "fix the value or quote it to keep it as text"
                what = _tag_name(node.tag)[2:]
            self.bad(node, loc, f"'{node.value}' is not a valid {what} ({exc}); {fix}", "type")
            return BROKEN

    def key(self, node: Node, loc: Loc) -> str | None:
        if isinstance(node, ScalarNode) and node.tag in _SCALAR_TAGS:
            return node.value  # keys stay text: 'no', '1' or 'on' are names here
        what = "a list" if isinstance(node, SequenceNode) else "a mapping"
        if isinstance(node, ScalarNode):
            what = f"a value tagged '{_tag_name(node.tag)}'"
        self.bad(node, loc, f"a key must be a plain name, not {what}", "key")
        return None

    def mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:  # merges first: explicit keys (and marks) win
            if key_node.tag == _MERGE:
                self.merge(value_node, loc, merged)
        explicit: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            name = self.key(key_node, loc)
            if name is None:
                continue
            line = key_node.start_mark.line + 1
            if name in first_line:
                self.doc.fail(
                    line,
                    f"duplicate key '{name}' (first set on line {first_line[name]}): YAML would "
                    "silently keep the last one; remove one of them",
                    "duplicate-key",
                    key_node.start_mark.column + 1,
                )
                continue
            first_line[name] = line
            self.doc.marks[(*loc, name)] = (line, key_node.start_mark.column + 1)
            explicit[name] = self.build(value_node, (*loc, name))
        return {**merged, **explicit}

    def merge(self, value: Node, loc: Loc, into: dict[str, Any]) -> None:
        sources = value.value if isinstance(value, SequenceNode) else [value]
        for src in sources:
            if not isinstance(src, MappingNode) or src.tag != _MAP:
                self.bad(src, loc, "'<<' merges a mapping (or a list of mappings) only", "merge")
                continue
            if id(src) in self.active:
                self.bad(
                    src,
                    loc,
                    "'<<' merges a mapping into itself; write the keys out",
                    "recursive-alias",
                )
                continue
            for name, item in self.mapping(src, loc).items():
                into.setdefault(name, item)
