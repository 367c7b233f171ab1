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

from yaml.composer import Composer, ComposerError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from abtest.registry.findings import dotted
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


class AliasRef:
    """One use of an alias (``*name``): the anchored node, and where the alias is written
    (problems inside the repeated value are said on the alias's line, not the anchor's)."""

    __slots__ = ("mark", "name", "node")

    def __init__(self, node: Node, mark: Any, name: str = "") -> None:
        self.node = node
        self.mark = mark
        self.name = name

    @property
    def origin(self) -> str:
        """`` (through the alias *name of line N)``: how a message says where the value
        it complains about was written."""
        line = self.node.start_mark.line + 1
        return f" (the value of the alias *{self.name}, anchored on line {line})"


class _AliasComposer(Composer):
    """PyYAML's composer (over libyaml's events when ``base`` is the C loader) that keeps
    each alias as an :class:`AliasRef` instead of the anchored node itself."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.get_event()
            if event.anchor not in self.anchors:
                raise ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            return AliasRef(self.anchors[event.anchor], event.start_mark, event.anchor)
        return super().compose_node(parent, index)


def make_loader(base: type) -> type:
    """A loader class: ``base`` (a safe loader) with YAML 1.2 core scalars.

    Starts from the safe resolvers, drops YAML 1.1's bool/int/float/value rules
    (yes/no/on/off booleans, sexagesimal and octal ints, '=' values), adds the
    YAML 1.2 core ones, and replaces ``resolve`` with a lean version (libyaml
    calls it for every node; abtest has no path resolvers). Nodes are composed by
    PyYAML's composer (on libyaml's events with the C loader), which keeps where each
    alias is written (:class:`AliasRef`).
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

    def init(self: Any, stream: Any) -> None:
        base.__init__(self, stream)
        self.anchors = {}  # Composer's state: libyaml's loader never ran Composer.__init__

    namespace = {
        "__init__": init,
        "yaml_implicit_resolvers": rules,
        "resolve": resolve,
        "descend_resolver": no_path,
        "ascend_resolver": no_path,
        "__doc__": f"{base.__name__} with YAML 1.2 core scalars.",
    }
    return type(f"Abtest{base.__name__}", (_AliasComposer, base), namespace)


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
    aliases: dict[Loc, AliasRef] = field(default_factory=dict)

    def origin(self, loc: Loc) -> str:
        """`` (the value of the alias *name, ...)`` when ``loc`` is inside a value written
        through an alias, else ``""``: a message about it says where the value came from.

        >>> Document("a.yaml").origin(("owner",))
        ''
        """
        for end in range(1, len(loc) + 1):
            ref = self.aliases.get(loc[:end])
            if ref is not None:
                return ref.origin
        return ""

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
        self.alias: Any = None  # inside an alias's value: where the (outermost) alias is

    def at(self, node: Node | AliasRef) -> tuple[int, int]:
        """1-based (line, column) where ``node`` is written: inside an alias's value, the
        alias's own position (the anchor's lines are somewhere else in the file)."""
        m = self.alias or (node.mark if isinstance(node, AliasRef) else node.start_mark)
        return m.line + 1, m.column + 1

    def bad(self, node: Node, loc: Loc, message: str, code: str) -> None:
        line, column = self.at(node)
        where = dotted(loc)
        if code != "recursive-alias":  # that message is about the alias already
            message += self.doc.origin(loc)
        self.doc.fail(line, f"{where}: {message}" if where else message, code, column)
        self.doc.broken.add(loc)

    def build(self, node: Node | AliasRef, loc: Loc = ()) -> Any:
        if isinstance(node, AliasRef):
            self.doc.aliases.setdefault(loc, node)
            outer = self.alias
            self.alias = outer or node.mark
            try:
                return self.build(node.node, loc)
            finally:
                self.alias = outer
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
                    self.doc.marks[(*loc, i)] = self.at(item)
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

    def key(self, node: Node | AliasRef, loc: Loc) -> str | None:
        node = _target(node)
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
            if _target(key_node).tag == _MERGE:
                self.merge(value_node, loc, merged)
        explicit: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if _target(key_node).tag == _MERGE:
                continue
            name = self.key(key_node, loc)
            if name is None:
                continue
            line, column = self.at(key_node)
            if name in first_line:
                self.doc.fail(
                    line,
                    f"duplicate key '{name}' (first set on line {first_line[name]}): YAML would "
                    "silently keep the last one; remove one of them",
                    "duplicate-key",
                    column,
                )
                continue
            first_line[name] = line
            self.doc.marks[(*loc, name)] = (line, column)
            if name in merged and not isinstance(value_node, AliasRef):
                self.doc.aliases.pop((*loc, name), None)  # written here, not merged
            explicit[name] = self.build(value_node, (*loc, name))
        return {**merged, **explicit}

    def merge(self, value: Node | AliasRef, loc: Loc, into: dict[str, Any]) -> None:
        target = _target(value)
        sources = target.value if isinstance(target, SequenceNode) else [value]
        for ref in sources:
            src = _target(ref)
            outer = self.alias
            # the merged keys are written where the '<<' (or its alias) is
            self.alias = outer or (ref.mark if isinstance(ref, AliasRef) else None)
            try:
                if not isinstance(src, MappingNode) or src.tag != _MAP:
                    self.bad(src, loc, "'<<' merges a mapping (or a list of mappings) only",
                             "merge")  # fmt: skip
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
                    if isinstance(ref, AliasRef):
                        self.doc.aliases.setdefault((*loc, name), ref)
            finally:
                self.alias = outer


def _target(node: Node | AliasRef) -> Node:
    """The node itself, or the anchored node an alias repeats."""
    return node.node if isinstance(node, AliasRef) else node
