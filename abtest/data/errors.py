"""Engine errors in the user's words: one line naming the file, the line or column, and what
to do.

DuckDB reads the user's files lazily, so a bad byte, an impossible date or a truncated
Parquet file surfaces as an engine exception from deep inside the query, with SQL and
internal view names in its text. :func:`explain` turns such an exception into a
``ValueError`` about the user's own file; :func:`csv_shape_problem` finds, by reading the
file with Python's ``csv`` module, the first row whose field count differs from the
header's (DuckDB's sniffer then mistakes the whole line for one column, or gives up without
a line number). Both run only after something failed: the happy path reads nothing twice.
"""

from __future__ import annotations

import csv
import fnmatch
import os
import re
from collections.abc import Mapping
from typing import Any

_VIEW = re.compile(r"(?:abtest)?_?(exposures|conversions|covariate)_\d+")
_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_QUOTED = re.compile(r'"([^"]*)"')
_COLUMN = re.compile(r"source column (\w+)")
#: DuckDB's CSV errors: the file they read and the column they could not convert
_FILE = re.compile(r"^\s*file = (.+?)\s*$", re.M)
_CONVERTING = re.compile(r'converting column "([^"]+)"\. Could not convert string "([^"]*)" to')
DELIMITERS = ",;\t|"


def describe(source: Any, role: str) -> str:
    """How to name a log in a message: its path, or "the exposures table"."""
    if isinstance(source, str | os.PathLike):
        return f"{role} file {os.fspath(source)}"
    if isinstance(source, tuple) and len(source) == 2:
        return f"{role} table {source[1]!r} of {os.fspath(source[0])}"
    return f"the {role} table"


def explain(err: Exception, sources: Mapping[str, Any], role: str | None = None) -> ValueError:
    """A one-line ``ValueError`` for an engine exception raised while reading the logs.

    ``sources`` maps each role (``exposures``, ``conversions``, ``covariate``) to what the
    user passed; the role at fault is ``role`` if known, else the one whose view the
    engine's message names.
    """
    text = str(err)
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    lower = text.lower()
    cast = "conversion error" in lower or type(err).__name__ == "ConversionException"
    value = _QUOTED.search(text)
    found = _VIEW.search(text)
    read = _FILE.search(text)  # the file a CSV error was in (the view's name may be cut)
    role = (
        role or (found.group(1) if found else None) or (read and _role_of(read.group(1), sources))
    )
    if role is None and cast and value:  # a timestamp cast in the query: the file holding it
        role = next((r for r, s in sources.items() if isinstance(s, str | os.PathLike)
                     and _line_holding(os.fspath(s), value.group(1))), None)  # fmt: skip
    source = sources.get(role) if role else None
    where = describe(source, role) if role else "the logs"
    path = os.fspath(source) if isinstance(source, str | os.PathLike) else None
    if read and role and os.path.isfile(read.group(1)):
        where, path = f"{role} file {read.group(1)}", read.group(1)  # one file of a glob
    number = _CONVERTING.search(text)
    if number:  # a value column read as numbers ('$12.50')
        line = _CSV_LINE.search(text)
        at = f" (line {line.group(1)})" if line else ""
        return ValueError(
            f"{where}: column {number.group(1)!r} holds {number.group(2)!r}{at}, which is not "
            "a number (write 12.5, without currency signs or thousands separators); fix or "
            "drop that row"
        )
    if "unicode" in lower or "utf-8" in lower or "utf8" in lower:
        line = _CSV_LINE.search(text)
        at = f" at line {line.group(1)}" if line else ""
        return ValueError(
            f"{where}: not UTF-8 text{at}; save it as UTF-8 (or read it with pandas and the "
            "right encoding, and pass the DataFrame)"
        )
    if any(k in lower for k in ("magic bytes", "too small to be a parquet", "invalid parquet")):
        return ValueError(
            f"{where}: not a readable Parquet file (empty or truncated: {_clean(first)}); "
            "export it again"
        )
    if cast:
        column = _COLUMN.search(text)
        shown = value.group(1) if value else "?"
        col = column.group(1) if column else "a column"
        line = _line_holding(path, shown) if path and value else None
        at = f" (line {line})" if line else ""
        return ValueError(
            f"{where}: column {col!r} holds {shown!r}{at}, which is not a valid date and "
            "time (write it like 2026-11-20 14:30:00); fix or drop that row"
        )
    if path and path.lower().endswith((".csv", ".tsv", ".txt")):
        shape = csv_shape_problem(path)
        if shape:
            return ValueError(f"{where}: {shape}")
    return ValueError(f"{where}: the engine could not read it: {_clean(first)}")


def _role_of(path: str, sources: Mapping[str, Any]) -> str | None:
    """Which log ``path`` belongs to: the source that is that file, a folder holding it,
    or a glob matching it."""
    target = os.path.abspath(path)
    for role, source in sources.items():
        if not isinstance(source, str | os.PathLike):
            continue
        given = os.path.abspath(os.fspath(source))
        if target == given or target.startswith(given.rstrip(os.sep) + os.sep):
            return role
        if fnmatch.fnmatch(target, given):
            return role
    return None


def csv_shape_problem(path: str | os.PathLike[str]) -> str | None:
    """The first row of a CSV file whose number of fields differs from the header's (or a
    line that is not UTF-8), said as ``line 7 has 6 fields, the header has 4 ...``."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            head = fh.readline()
            counts = {d: head.count(d) for d in DELIMITERS}
            delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
            fh.seek(0)
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, [])
            for row in reader:
                if row and len(row) != len(header):
                    return (
                        f"line {reader.line_num} has {len(row)} fields, the header has "
                        f"{len(header)}; fix that row (a {delimiter!r} inside a value needs "
                        "quotes)"
                    )
    except UnicodeDecodeError as err:
        return f"not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8"
    except (OSError, csv.Error):
        return None
    return None


def _line_holding(path: str, value: str) -> int | None:
    """The first line of a text file containing ``value`` (for CSV errors), or None."""
    if not path.lower().endswith((".csv", ".tsv", ".txt")) or not value:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if value in line:
                    return number
    except OSError:
        return None
    return None


def _clean(message: str) -> str:
    """The engine's first line without its error-class prefix and internal view names."""
    message = re.sub(r"^[A-Za-z ]*Error:\s*", "", message)
    return _VIEW.sub("the data", message).strip()


UNUSABLE = {"null_value": "missing, NaN or infinite", "negative_value": "negative"}


def refuse_unusable_values(
    summary: Any, goals: Any, conversions: Any, exposures: Any, con: Any, source: Any, mapping: Any
) -> None:
    """Refuse a value goal whose in-window events carry a missing, NaN, infinite or
    negative value: summed as 0 (or ignored), such values turn into a confident and
    wrong verdict (all of a variant's purchases without a value read as a -100% loss).

    Raises a ``ValueError`` naming the conversions log, the goal, its event and value
    column (as the user calls it), the units per variant and one example row (unit id,
    timestamp, value) found by a small query on the error path: the earliest such event
    at or after an exposure of its unit (an event before any exposure is not counted, and
    naming it would send the user to the wrong row).
    """
    ex = summary.exclusions
    bad = ex[ex["reason"].isin(list(UNUSABLE))]
    if bad.empty:
        return
    goal = next(g for g in goals if g.id == bad["metric"].iloc[0])
    part = bad[bad["metric"] == goal.id]
    said = []
    for reason, what in UNUSABLE.items():
        rows = part[part["reason"] == reason]
        if len(rows):
            per = ", ".join(f"{v} {int(u)}" for v, u in zip(rows["variant"], rows["units"],
                                                            strict=True))  # fmt: skip
            said.append(f"{int(rows['units'].sum())} with a {what} value ({per})")
    column = mapping.name("conversions", goal.value)
    example = _example(conversions, exposures, con, goal)
    raise ValueError(
        f"{describe(source, 'conversions')}: value goal {goal.id!r} (event {goal.event!r}, "
        f"column {column!r}) has units whose in-window events cannot be summed: "
        f"{'; '.join(said)}{example}; abtest never counts such a value as 0: fill or drop "
        "those events (record refunds as their own event, not as negative purchases)"
    )


def _example(conversions: Any, exposures: Any, con: Any, goal: Any) -> str:
    """``, e.g. unit u7 at 2026-11-02 10:00:00 (value nan)`` from the log, or ''."""
    import sys

    t = conversions
    try:
        col = t[goal.value]
        unusable = col.isnull() | (col < 0) | ~(col <= sys.float_info.max)
        bad = t.filter((t.event == goal.event) & unusable).select("unit_id", "timestamp", value=col)
        seen = exposures.select(unit_id=exposures.unit_id, at=exposures.timestamp)
        exposed = bad.semi_join(seen, [bad.unit_id == seen.unit_id, seen.at <= bad.timestamp])
        row = con.execute(exposed.order_by("timestamp").limit(1))
    except Exception:  # the example is a courtesy: the counts above are the message
        return ""
    if row.empty:
        return ""
    r = row.iloc[0]
    return f", e.g. unit {r['unit_id']} at {r['timestamp']} (value {r['value']})"
