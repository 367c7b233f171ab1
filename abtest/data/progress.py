"""Progress of a long ``summarize``: one line on a terminal, or in a Jupyter cell.

A call that runs longer than :data:`DELAY` seconds shows which stage runs (reading
the logs, aggregating, finishing), the time taken and, where DuckDB can estimate it, the
percentage of the running query (``DuckDBPyConnection.query_progress``, read from a
background thread; DuckDB 2.0 reports 0 throughout for abtest's main query, whose small
tables are Arrow scans, so that query shows the stage and the time only), e.g.
``abtest summarize: aggregating  14 s``. It is silent when the output is not a
terminal or a notebook, in CI (the ``CI`` environment variable, as GitHub Actions,
GitLab CI and most runners set it), with ``progress=False``, and inside :func:`quiet`
(the CLI's ``--quiet``). On a terminal the line is written to stderr and erased at the
end (stdout stays the report's); in a notebook it is one output updated in place
(``IPython.display``'s display handle) that ends saying how long the call took.

Written by hand rather than with tqdm or rich (neither is a dependency): their bars
count known steps, and here the work is three stages of unknown length, one of them a
single engine query polled from a thread.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, TextIO

#: Seconds a call runs before its progress is shown.
DELAY = 2.0
#: Seconds between two updates of the line.
INTERVAL = 0.25

_QUIET: ContextVar[bool] = ContextVar("abtest_progress_quiet", default=False)
_CI_VARIABLES = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "TF_BUILD", "JENKINS_URL")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No progress shown while the block runs (what the CLI's ``--quiet`` does)."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def display_mode(progress: bool | None, stream: TextIO | None = None) -> str | None:
    """Where progress goes: ``"notebook"``, ``"terminal"`` or None (silent).

    ``progress`` None decides by the surroundings (see the module docstring); True
    shows it (in a notebook, else on ``stream``) even outside a terminal; False never.
    """
    if progress is False or (progress is None and (_QUIET.get() or in_ci())):
        return None
    if in_notebook():
        return "notebook"
    stream = stream if stream is not None else sys.stderr
    if progress or _isatty(stream):
        return "terminal"
    return None


def in_ci() -> bool:
    """Whether a CI runner is running us (its usual environment variables)."""
    for name in _CI_VARIABLES:
        value = os.environ.get(name, "").strip().lower()
        if value and value not in ("0", "false", "no"):
            return True
    return False


def in_notebook() -> bool:
    """Whether we run in a Jupyter kernel (an IPython shell with a kernel)."""
    shell_mod = sys.modules.get("IPython")
    if shell_mod is None:
        return False
    try:
        shell = shell_mod.get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


LABEL = "abtest summarize"  # what the line starts with


class Progress:
    """The progress display of one call (see the module docstring); ``stage`` names
    what runs now. Use as a context manager; nothing is shown for a short call."""

    def __init__(
        self,
        con: Any,
        mode: str | None,
        *,
        stream: TextIO | None = None,
        delay: float | None = None,
    ) -> None:
        self.mode = mode
        self.stream = stream if stream is not None else sys.stderr
        self.delay = DELAY if delay is None else delay
        self._raw = con.con if getattr(con, "name", None) == "duckdb" else None
        self._stage = "reading the logs"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = 0  # characters of the line on the terminal
        self._handle: Any = None
        self._t0 = 0.0  # set on entering

    def stage(self, name: str) -> None:
        """Name the step that runs now (shown from the next update)."""
        self._stage = name

    def __enter__(self) -> Progress:
        self._t0 = time.perf_counter()
        if self.mode is not None:
            self._thread = threading.Thread(target=self._run, name="abtest-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.mode == "terminal" and self._shown:
            self._write("\r" + " " * self._shown + "\r")
        elif self._handle is not None:
            seconds = time.perf_counter() - self._t0
            self._notebook(f"{LABEL}: finished in {seconds:.0f} s")

    def line(self) -> str:
        """The text shown now."""
        pct = -1.0
        if self._raw is not None:
            with contextlib.suppress(Exception):  # no query running, or the engine closed
                pct = float(self._raw.query_progress())
        seconds = time.perf_counter() - self._t0
        bar = ""
        if pct > 0:  # -1: no query; 0 throughout where a source cannot tell (Arrow scans)
            filled = int(min(pct, 100.0) / 5)
            bar = f"  [{'#' * filled}{'.' * (20 - filled)}] {pct:3.0f}%"
        return f"{LABEL}: {self._stage}{bar}  {seconds:.0f} s"

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        while True:
            text = self.line()
            if self.mode == "terminal":
                pad = max(0, self._shown - len(text))
                self._write("\r" + text + " " * pad)
                self._shown = max(self._shown, len(text))
            else:
                self._notebook(text)
            if self._stop.wait(INTERVAL):
                return

    def _write(self, text: str) -> None:
        with contextlib.suppress(Exception):  # a closed stream: no progress, no error
            self.stream.write(text)
            self.stream.flush()

    def _notebook(self, text: str) -> None:
        with contextlib.suppress(Exception):
            from IPython.display import display

            if self._handle is None:
                self._handle = display({"text/plain": text}, raw=True, display_id=True)
            else:
                self._handle.update({"text/plain": text}, raw=True)
