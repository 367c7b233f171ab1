"""The memory budget and spill folder of abtest's DuckDB engine.

``summarize(memory_limit=..., temp_directory=...)`` (or the environment variables
:data:`ENV_MEMORY` and :data:`ENV_TEMP`) bound what DuckDB keeps in memory: past the
budget its hash aggregations and joins write partitions to the spill folder instead
of growing until the machine swaps or the process is killed. The settings are
DuckDB's own (``memory_limit``, ``temp_directory``; DuckDB docs, "Configuration" and
"Memory Management in DuckDB", 2024); other engines (a warehouse, Spark) manage their
memory themselves and are left alone.

- On the engine abtest creates (:func:`abtest.data.sources.default_engine`) the
  budget is the argument, else :data:`ENV_MEMORY`, else :data:`DEFAULT_FRACTION` of
  the machine's RAM, or of a container's memory limit when lower (DuckDB's own
  default, 80%, leaves too little for Python and the other programs of a shared
  machine); the spill folder is the argument, else
  :data:`ENV_TEMP`, else a new folder under the system's temporary folder (DuckDB's
  default, ``.tmp`` in the working directory, would write into the user's project).
  DuckDB deletes its spill files when the query ends and the folder when the engine
  closes.
- On a DuckDB connection the user passed, only an explicit budget or folder
  (argument or environment variable) applies, while abtest's queries run; every
  setting is put back afterwards, error or not (as
  :func:`abtest.data.sources.joins_as_written` does).
- A budget too small for the query gives :class:`MemoryBudgetError`, one line
  naming what to raise, instead of DuckDB's exception.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from abtest.data import duckdb_settings

#: Environment variable of the default memory budget (e.g. ``8GB``).
ENV_MEMORY = "ABTEST_MEMORY_LIMIT"
#: Environment variable of the default spill folder.
ENV_TEMP = "ABTEST_TEMP_DIRECTORY"
#: The budget of abtest's own engine when none is given: this share of the RAM.
DEFAULT_FRACTION = 0.25

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")
_COUNTER = itertools.count()


# DuckDB's progress-bar settings (best effort: see applied)
_DISPLAY = ("enable_progress_bar", "enable_progress_bar_print", "progress_bar_time")


class MemoryBudgetError(MemoryError, ValueError):
    """abtest's DuckDB engine could not finish within its memory budget (a
    ``MemoryError``; also a ``ValueError``, a setting to change, as the CLI reports)."""


@dataclass(frozen=True)
class EngineSettings:
    """What to set on a DuckDB engine (None: leave DuckDB's setting alone)."""

    memory_limit: int | None  # bytes
    temp_directory: str | None
    explicit_memory: bool  # given by the user (argument or environment variable)
    explicit_temp: bool


def parse_memory(value: Any, name: str = "memory_limit") -> int:
    """Bytes of a budget such as ``"8GB"``, ``"512MB"``, ``"1.5GiB"`` or an integer
    number of bytes. KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB (and K/M/G/T, as
    DuckDB reads them) powers of 1024. Anything else is a one-line ValueError naming
    ``name``."""
    example = f"{name} = {value!r}: give an amount of memory such as '8GB' or '512MB'"
    if isinstance(value, bool):
        raise ValueError(example)
    if isinstance(value, int | float):
        number, unit = float(value), ""
    elif isinstance(value, str) and (m := _AMOUNT.match(value)):
        number, unit = float(m.group(1)), m.group(2).lower()
    else:
        raise ValueError(example)
    if unit not in _UNITS:
        raise ValueError(example)
    size = int(number * _UNITS[unit])
    if size < 10**6:
        raise ValueError(f"{example} (at least 1MB)")
    return size


def format_bytes(size: int) -> str:
    """``size`` as DuckDB reads it back and a person reads it (``"8.0GB"``)."""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if size >= scale:
            return f"{size / scale:.1f}{unit}"
    return f"{size}B"


def total_memory() -> int | None:
    """The memory this process may use, in bytes: the machine's RAM (``os.sysconf``, else
    psutil if installed), or less when its control group caps it (a container's
    ``--memory``, :func:`cgroup_limit`); None when neither says."""
    ram = None
    try:
        ram = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        try:
            import psutil  # type: ignore[import-untyped]

            ram = int(psutil.virtual_memory().total)
        except Exception:  # not installed, or no answer
            pass
    cap = cgroup_limit()
    return min(x for x in (ram, cap) if x is not None) if ram or cap else None


#: Above this a control group's limit means "no limit" (cgroup v1 writes 2^63 rounded down
#: to a page).
_NO_LIMIT = 1 << 60


def cgroup_limit(proc: str = "/proc/self/cgroup", root: str = "/sys/fs/cgroup") -> int | None:
    """The smallest memory limit of the process's control group and its ancestors, in
    bytes, or None (no limit, not Linux). Linux kernel docs, "Control Group v2"
    (``memory.max``, ``max`` when unlimited) and cgroup v1 "Memory Resource Controller"
    (``memory.limit_in_bytes``); in a container the group is usually the root, and
    Docker's ``--memory`` is written there. The machine's RAM (``SC_PHYS_PAGES``)
    ignores it, so a budget taken from the RAM alone would let DuckDB grow until the
    container is killed.
    """
    try:
        with open(proc, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    files = []
    for line in lines:
        fields = line.split(":", 2)  # hierarchy-ID:controllers:path
        if len(fields) != 3:
            continue
        _, controllers, path = fields
        if controllers == "":  # v2: one unified hierarchy
            bases, name = [root], "memory.max"
        elif "memory" in controllers.split(","):
            # v1: mounted as memory/, or under the controllers co-mounted with it (cpu,memory/)
            bases = list(
                dict.fromkeys([os.path.join(root, "memory"), os.path.join(root, controllers)])
            )
            name = "memory.limit_in_bytes"
        else:
            continue
        parts = [p for p in path.strip().split("/") if p]
        if ".." in parts:  # a group outside the cgroup namespace: only its root is mounted
            parts = []
        files += [
            os.path.join(b, *parts[:k], name) for b in bases for k in range(len(parts), -1, -1)
        ]
    limits = []
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < _NO_LIMIT:
            limits.append(int(text))
    return min(limits) if limits else None


def resolve(memory_limit: Any = None, temp_directory: Any = None) -> EngineSettings:
    """The settings to apply: each argument, else its environment variable, else the
    default of abtest's own engine (see the module docstring). Bad values raise a
    one-line ValueError naming the argument or the environment variable."""
    explicit_memory = memory_limit is not None or bool(os.environ.get(ENV_MEMORY, "").strip())
    if memory_limit is not None:
        limit: int | None = parse_memory(memory_limit, "memory_limit")
    elif explicit_memory:
        limit = parse_memory(os.environ[ENV_MEMORY], ENV_MEMORY)
    else:
        total = total_memory()
        limit = int(total * DEFAULT_FRACTION) if total else None
    explicit_temp = temp_directory is not None or bool(os.environ.get(ENV_TEMP, "").strip())
    if temp_directory is not None:
        folder = _folder(temp_directory, "temp_directory")
    elif explicit_temp:
        folder = _folder(os.environ[ENV_TEMP], ENV_TEMP)
    else:
        folder = os.path.join(tempfile.gettempdir(), f"abtest-spill-{os.getpid()}-{next(_COUNTER)}")
    return EngineSettings(limit, folder, explicit_memory, explicit_temp)


def _folder(value: Any, name: str) -> str:
    if not isinstance(value, str | os.PathLike) or not str(value).strip():
        raise ValueError(f"{name} = {value!r}: give a folder to spill to, e.g. '/tmp/abtest'")
    path = os.fspath(value)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{name} = {value!r} is a file; give a folder to spill to")
    return path


def _sets_memory(settings: EngineSettings, own: bool) -> bool:
    """Whether abtest sets the memory budget: on its own engine, or when the user gave
    one (a user's connection keeps its own limit otherwise)."""
    return settings.memory_limit is not None and (own or settings.explicit_memory)


def connection_limit(con: Any, settings: EngineSettings, *, own: bool) -> str | None:
    """The memory limit of a user's DuckDB connection as DuckDB shows it, when abtest
    left it alone (:func:`_sets_memory`); else None."""
    if own or _sets_memory(settings, own) or getattr(con, "name", None) != "duckdb":
        return None
    try:
        return duckdb_settings.current(con.con, "memory_limit")
    except Exception:  # the error being explained matters more than this detail
        return None


@contextlib.contextmanager
def applied(
    con: Any, settings: EngineSettings, *, own: bool, progress: bool = False
) -> Iterator[None]:
    """While the block runs, ``settings`` hold on the DuckDB engine ``con`` (``own``:
    the engine abtest created; else the user's connection, on which only explicit
    settings apply and everything is put back afterwards). ``progress``: abtest shows
    the queries' progress (:mod:`abtest.data.progress`). Other engines: nothing."""
    if getattr(con, "name", None) != "duckdb":
        yield
        return
    raw = con.con
    wanted: dict[str, str] = {}
    if _sets_memory(settings, own):
        wanted["memory_limit"] = f"{settings.memory_limit}B"
    if settings.temp_directory is not None and (own or settings.explicit_temp):
        wanted["temp_directory"] = settings.temp_directory
    # DuckDB's own bar prints to stdout, even into a pipe or a report abtest writes there
    # (on a user's connection too, where it is on by default): off while abtest runs
    wanted["enable_progress_bar_print"] = "false"
    if own or progress:
        # abtest shows progress itself (abtest.data.progress), which needs DuckDB to track
        # it from the query's start
        wanted["enable_progress_bar"] = "true" if progress else "false"  # else: not tracked
        if progress:
            wanted["progress_bar_time"] = "0"
    with duckdb_settings.temporarily(raw, wanted, restore=not own, optional=_DISPLAY):
        # in Jupyter without ipywidgets DuckDB refuses any change to its progress bar: the
        # display settings are a nicety (skipped then), the memory ones are not
        yield


class Run:
    """The settings and the progress display of one ``summarize`` call, opened by
    :meth:`start` and closed by :meth:`stop` (in a ``finally``)."""

    def __init__(
        self, con: Any, settings: EngineSettings, *, own: bool, progress: bool | None
    ) -> None:
        from abtest.data.progress import Progress, display_mode

        mode = display_mode(progress)
        self.progress = Progress(con, mode)
        self._stack = contextlib.ExitStack()
        self._applied = applied(con, settings, own=own, progress=mode is not None)

    def start(self) -> Run:
        self._stack.enter_context(self._applied)
        self._stack.enter_context(self.progress)
        return self

    def stage(self, name: str) -> None:
        """Name the step that runs now (in the progress line)."""
        self.progress.stage(name)

    def stop(self) -> None:
        """Close what :meth:`start` opened. Called in a ``finally``, it hands them the
        error in flight, if any: a setting that cannot be put back is then said in a
        note on that error instead of replacing it (:func:`duckdb_settings.temporarily`)."""
        self._stack.__exit__(*sys.exc_info())


def out_of_memory(err: BaseException) -> bool:
    """Whether DuckDB stopped because it could not stay within its memory budget (or
    could not spill: the folder full or not writable)."""
    return type(err).__name__ == "OutOfMemoryException" and "duckdb" in (type(err).__module__ or "")


def budget_error(
    err: BaseException, settings: EngineSettings, connection_limit: str | None = None
) -> MemoryBudgetError:
    """The one-line error of a query that did not fit its budget: ``settings``' when
    abtest applied it, else the user's connection's own (``connection_limit``, as DuckDB
    shows it: abtest leaves a connection's limit alone unless memory_limit is given)."""
    if connection_limit is not None:
        shown, suggestion = f"the connection's own memory_limit ({connection_limit})", "8GB"
    else:
        limit = settings.memory_limit
        shown = format_bytes(limit) if limit else "DuckDB's default"
        suggestion = format_bytes(2 * limit) if limit else "8GB"
    detail = " ".join(str(err).split())
    detail = detail.removeprefix("Out of Memory Error: ").split(" Possible solutions")[0]
    if len(detail) > 160:
        detail = detail[:159] + "…"
    return MemoryBudgetError(
        f"the aggregation needs more memory than its budget of {shown}: raise memory_limit "
        f"(or {ENV_MEMORY}), e.g. memory_limit='{suggestion}', or give temp_directory "
        f"(or {ENV_TEMP}) a folder with more free disk to spill to (DuckDB: {detail})"
    )
