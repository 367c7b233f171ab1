"""Keys out of line with their mapping (#14 item 9): each is reported at its own line (the
parser stops on the line after a dedented key, or says "list items must line up"), and
lined up in memory so that the rest of the file is still checked in the same run.

These shapes are recognised, all in block mappings (flow ``{...}`` mappings are left to
the parser's own message):

- a key dedented with a deeper line below it (the parser stops on that line)::

      analysis:
        mde: 0.10
      baseline: 0.04            <- here
        expected_daily_units: 6000

- a key dedented below its mapping's column, where the parser stops on the key itself::

        - id: free-trial
          name: Start my free trial
        weight: 0.5             <- here

- a key indented deeper than the key above it, whose value is plain text::

        mde: 0.10
          baseline: 0.04        <- here

- a block's first key indented unlike the keys after it, which agree with each other
  (the parser stops on the second key, but the first is the one out of line)::

      analysis:
         method: sequential     <- here
        looks: 5

- the file's first key indented while the keys after it start in column 1.

Where the line could belong to either of two mappings (a key one column left of its
siblings and one column right of the enclosing keys), or a parent key (``data:``) is out
of line, nothing is guessed: the parser's own message stands, on the line it names.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_KEY = re.compile(r"^( *)((?:- +)*)([A-Za-z_][\w-]*):(?: +(\S.*))?$")
_KEY_VALUE = re.compile(r"^(\s*)([A-Za-z_][\w-]*):\s+\S")


class Misaligned(NamedTuple):
    """A key out of line: where it is, what to say, and the text with it lined up."""

    line: int
    column: int
    message: str
    text: str


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip())


def _content(lines: list[str], i: int) -> bool:
    return bool(lines[i - 1].strip()) and not lines[i - 1].lstrip().startswith("#")


def _above(lines: list[str], line: int, n: int) -> list[int]:
    return [i for i in range(line - 1, 0, -1) if _content(lines, i)][:n]


def _moved(lines: list[str], line: int, column: int) -> str:
    out = list(lines)
    out[line - 1] = " " * column + lines[line - 1].lstrip()
    return "\n".join(out) + "\n"


def _column(found: re.Match[str]) -> int:
    """The column a ``_KEY`` match's key starts in (after any ``- ``)."""
    return len(found.group(1)) + len(found.group(2))


def _parent(text: str) -> bool:
    """``key:`` with its value on the lines below (or ``- key:``)."""
    found = _KEY.match(text)
    return found is not None and not found.group(4)


def _dedented_above(lines: list[str], line: int) -> Misaligned | None:
    """A key dedented out of its mapping: the parser stops on the line after it (``a ':'
    where a value was expected``), which is indented deeper than that key, while the line
    before the key is a sibling in the line below's column, or the block's parent (the key
    was its first)."""
    if not 2 <= line <= len(lines):
        return None
    above = _above(lines, line, 2)
    if len(above) < 2:
        return None
    key_line, before = above
    found = _KEY_VALUE.match(lines[key_line - 1])
    here, at = _indent(lines[line - 1]), _indent(lines[key_line - 1])
    if found is None or at >= here:
        return None
    prior, sibling = lines[before - 1], _KEY.match(lines[before - 1])
    if not ((sibling is not None and _column(sibling) == here) or
            (_indent(prior) == at and _parent(prior))):  # fmt: skip
        return None
    return Misaligned(
        key_line,
        1 + at,
        f"YAML syntax error: '{found.group(2)}' is indented less than the keys of its mapping "
        f"(line {line} below it is deeper): keys of one mapping start in the same column",
        _moved(lines, key_line, here),
    )


def _out_of_line(lines: list[str], line: int) -> Misaligned | None:
    """The key on ``line`` starts left or right of the key above it, a ``key: text`` line
    of the same block mapping (the parser stopped on the key itself). When that key was
    its block's first and the keys after this line agree with this one, it is the key
    above that is out of line."""
    if not 2 <= line <= len(lines):
        return None
    key = _KEY.match(lines[line - 1])
    above = _above(lines, line, 1)
    # a parent key ('data:') out of line may open a block of the enclosing mapping: a guess
    if key is None or key.group(2) or not key.group(4) or not above:
        return None
    sibling = _KEY.match(lines[above[0] - 1])
    if sibling is None or not sibling.group(4) or sibling.group(4).startswith(("|", ">", "&")):
        return None
    here, column = len(key.group(1)), _column(sibling)
    if here == column or not _settled(lines, above[0], column):
        return None
    first = _above(lines, above[0], 1)
    if _agrees_below(lines, line, here) and (
        sibling.group(2) or (first and _parent(lines[first[0] - 1]))
    ):  # the block's first key is the odd one out: the keys after it agree with this one
        way = "less" if column < here else "more"
        what = (
            "the first key of its list item" if sibling.group(2) else "the first key of its block"
        )
        return Misaligned(
            above[0],
            column + 1,
            f"YAML syntax error: '{sibling.group(3)}' ({what}) is indented {way} than the keys "
            f"after it ('{key.group(3)}' on line {line}): keys of one mapping start in the same "
            "column",
            _moved(lines, above[0], _indent(lines[above[0] - 1]) + here - column),
        )
    if here < column and not _nearer_sibling(lines, above[0], here, column):
        return None
    way = "less" if here < column else "more"
    return Misaligned(
        line,
        here + 1,
        f"YAML syntax error: '{key.group(3)}' is indented {way} than the key above it "
        f"('{sibling.group(3)}' on line {above[0]}): keys of one mapping start in the same "
        "column",
        _moved(lines, line, column),
    )


def _agrees_below(lines: list[str], line: int, here: int) -> bool:
    """The next line after ``line`` not nested deeper than ``here`` is a key in that column."""
    for i in range(line + 1, len(lines) + 1):
        if _content(lines, i) and _indent(lines[i - 1]) <= here:
            found = _KEY.match(lines[i - 1])
            return found is not None and not found.group(2) and _column(found) == here
    return False


def _nearer_sibling(lines: list[str], line: int, here: int, column: int) -> bool:
    """A key dedented to ``here`` belongs to the mapping of the key on ``line`` (at
    ``column``) rather than to the enclosing one: it sits under the ``- `` that opens that
    mapping, or nearer its column than the enclosing mapping's."""
    for i in range(line, 0, -1):
        found = _KEY.match(lines[i - 1]) if _content(lines, i) else None
        if found is None or _column(found) > column:
            continue
        if _column(found) == column:
            if found.group(2):  # '- id: ...' opens the mapping: a key under its '-'
                return len(found.group(1)) == here
            continue
        return column - here < here - _column(found)
    return False


def _indented_first(lines: list[str], line: int) -> Misaligned | None:
    """The file's first key is indented and the parser met a key in column 1 after it."""
    first = next((i for i in range(1, len(lines) + 1) if _content(lines, i)), None)
    if first is None or not 1 <= line <= len(lines) or first >= line:
        return None
    key, stop = _KEY.match(lines[first - 1]), _KEY.match(lines[line - 1])
    if key is None or key.group(2) or not key.group(1) or stop is None or stop.group(1):
        return None
    return Misaligned(
        first,
        1 + len(key.group(1)),
        f"YAML syntax error: '{key.group(3)}' is indented, but the file's keys start in "
        f"column 1 (as '{stop.group(3)}' on line {line} does); remove the spaces before it",
        _moved(lines, first, 0),
    )


def _settled(lines: list[str], line: int, column: int) -> bool:
    """The key on ``line`` (at ``column``) is where its mapping is: the nearest line above
    it that is not nested deeper is a key in the same column, or the block's parent left
    of it (``key:`` or ``- key:``). Not when the line just above is a ``key:`` with nothing
    under it in the same column (then this key is more likely its dedented first child),
    nor for an indented first key of the file."""
    previous = _above(lines, line, 1)
    if not previous:
        return column == 0
    found = _KEY.match(lines[previous[0] - 1])
    if found is not None and _column(found) == column and not found.group(4):
        return False
    for i in range(line - 1, 0, -1):
        text = lines[i - 1]
        if not _content(lines, i) or _indent(text) > column:
            continue  # nested content of a sibling above
        found = _KEY.match(text)
        if found is not None and _column(found) == column:
            return True
        return _indent(text) < column and (
            text.rstrip().endswith(":") or (found is not None and bool(found.group(2)))
        )
    return column == 0


def misaligned(text: str, line: int, problem: str) -> Misaligned | None:
    """The key out of line that made the parser stop on ``line`` with ``problem``, or None.

    >>> text = "analysis:\\n  mde: 0.1\\nbaseline: 0.04\\n  power: 0.8\\n"
    >>> m = misaligned(text, 4, "mapping values are not allowed here")
    >>> m.line, m.message[19:63]
    (3, "'baseline' is indented less than the keys of")
    >>> m.text.splitlines()[2]
    '  baseline: 0.04'
    >>> m = misaligned("a:\\n    b: 1\\n   c: 2\\n", 3, "did not find expected key")
    >>> m.line, m.column, m.text.splitlines()[2]
    (3, 4, '    c: 2')
    >>> print(misaligned("a:\\n  b: 1\\n c: 2\\n", 3, "did not find expected key"))  # a's or b's?
    None
    """
    lines = text.splitlines()
    if "document start" in problem:
        return _indented_first(lines, line)
    if any(
        p in problem
        for p in ("mapping values are not allowed", "did not find expected", "expected <block end>")
    ):
        return _dedented_above(lines, line) or _out_of_line(lines, line)
    return None
