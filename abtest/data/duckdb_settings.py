"""Set DuckDB settings for the length of a block and put the user's back afterwards.

abtest changes a few settings of the DuckDB engine it runs on: the join build side
(:func:`abtest.data.sources.joins_as_written`), the memory budget, the spill folder and
the progress display (:func:`abtest.data.engine_settings.applied`). On a connection
the user passed, each is put back as it was when the block ends, error or not; that
save-set-restore is written once, here. DuckDB has no "push/pop" of settings, and it
shows some values rounded (a memory limit of 5GB reads "4.6 GiB"), which
:func:`put_back` allows for.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterable, Iterator
from typing import Any


def sql_str(text: str) -> str:
    """``text`` as a SQL string literal (quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def current(raw: Any, key: str) -> str:
    """The value of setting ``key`` as DuckDB shows it."""
    ((value,),) = raw.execute(f"SELECT current_setting({sql_str(key)})").fetchall()
    return str(value)


@contextlib.contextmanager
def temporarily(
    raw: Any, wanted: dict[str, str], *, restore: bool = True, optional: Iterable[str] = ()
) -> Iterator[None]:
    """While the block runs, the settings ``wanted`` hold on the DuckDB connection
    ``raw``; with ``restore`` each one that was set is put back afterwards, error or
    not (a setting never changed is left alone). A setting in ``optional`` that DuckDB
    refuses or does not know is skipped; any other refusal is raised, after what was
    already set has been put back. Settings are put back in the reverse order they were
    set, then each is read again (DuckDB 2.0's ``RESET progress_bar_time`` also turns
    ``enable_progress_bar`` off) and put back once more where it does not show its old
    value. One that still cannot be put back is said, never left changed in silence: in
    a note on the block's own error if it raised, else in a :class:`RuntimeWarning`
    naming the setting and its value before (a warning: the block's work is done and
    right; only the connection's setting is not)."""
    changed: dict[str, str] = {}
    skip = set(optional)
    error: BaseException | None = None
    try:
        for key, value in wanted.items():
            try:
                before = current(raw, key) if restore else ""
                raw.execute(f"SET {key} = {sql_str(value)}")
            except Exception:
                if key not in skip:
                    raise
                continue
            if restore:
                changed[key] = before
        yield
    except BaseException as err:
        error = err
        raise
    finally:
        for key, v in reversed(changed.items()):
            put_back(raw, key, v)
        failed = [
            f"{key} = {sql_str(_settable(v))}"
            for key, v in changed.items()
            if not _shows(raw, key, v) and not put_back(raw, key, v)
        ]
        if failed:
            text = (
                f"abtest could not put back DuckDB's {', '.join(failed)} on the connection "
                "it ran on; set it again there (SET name = 'value')"
            )
            if error is None or isinstance(error, GeneratorExit):
                warnings.warn(text, RuntimeWarning, stacklevel=3)
            else:
                error.add_note(text)


def _shows(raw: Any, key: str, value: str) -> bool:
    """Whether setting ``key`` shows ``value`` (False when it cannot be read)."""
    try:
        return current(raw, key) == value
    except Exception:
        return False


#: How DuckDB shows a memory limit of -1 (none): 2^64 bytes, which it will not parse back
_UNLIMITED = re.compile(r"^16383\.\d+ ?PiB$")


def _settable(shown: str) -> str:
    """A value DuckDB shows, as it can be set: "-1" for an unlimited memory limit."""
    return "-1" if _UNLIMITED.match(shown.strip()) else shown


def put_back(raw: Any, key: str, value: str) -> bool:
    """Set ``key`` back to ``value`` as DuckDB showed it; whether it shows so again. A
    RESET gives DuckDB's default back exactly when that was it; a memory limit of the
    user's is shown cut to one decimal ("4.6 GiB" for 5GB) and is set to the middle of
    what shows so ("4.65GiB", within 0.05 of the unit of the original; DuckDB does not
    show the bytes); no limit ("16383.9 PiB", which DuckDB will not parse) is set as
    -1. DuckDB's own errors here are not raised (the caller says what could not be put
    back, beside the block's own error if there is one)."""
    try:
        raw.execute(f"RESET {key}")
        for candidate in dict.fromkeys((_settable(value), _middle(value))):
            if current(raw, key) == value:
                return True
            raw.execute(f"SET {key} = {sql_str(candidate)}")
        return current(raw, key) == value
    except Exception:
        return False


def _middle(shown: str) -> str:
    """The middle of the amounts DuckDB shows as ``shown`` ("4.6 GiB" -> "4.65GiB")."""
    m = re.match(r"^(\d+)(?:\.(\d+))? ?([A-Za-z]+)$", shown.strip())
    if not m:
        return shown
    whole, decimals, unit = m.groups()
    places = len(decimals or "")
    middle = float(f"{whole}.{decimals or 0}") + 10.0**-places / 2
    return f"{round(middle, places + 1)}{unit}"
