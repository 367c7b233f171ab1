"""Safe YAML 1.2 parsing into plain data, with the line of every key.

PyYAML alone would silently keep the last of two duplicate keys, read ``no``
as ``False`` and ``1e-4`` as text, and build arbitrary Python objects from
``!!python/object`` tags with an unsafe loader. Here:

- :func:`make_loader` derives a loader from a safe one (``CSafeLoader`` when
  libyaml is available) that resolves scalars as the YAML 1.2 core schema does
  (what editors using the JSON Schema see): only ``true``/``false`` are
  booleans, ``1e-4`` is a number, ``on``/``no``/``=`` are text; ISO dates stay
  dates;
- :func:`build` walks the composed node tree itself and never constructs
  anything but plain data, recording the line and column of every mapping key
  and sequence item in a :class:`Document`, and reporting duplicate keys,
  tags, recursive aliases and alias bombs as problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from abtest.registry.checks import dotted
from abtest.registry.problems import Loc, Problem

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


class _Broken:
    """Stands for a value the loader already reported: no schema field accepts it, so
    the experiment does not validate, and the schema's own complaint is dropped."""

    def __repr__(self) -> str:
        return "<invalid value>"


BROKEN: Any = _Broken()


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


def build(doc: Document, node: Node, loader: Any) -> Any:
    """Plain data for the composed ``node`` (``loader`` constructs its scalars); marks and
    problems go to ``doc``."""
    return _Builder(doc, loader).build(node)


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
