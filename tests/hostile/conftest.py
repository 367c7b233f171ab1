"""The hostile-input corpus: bad data, bad files and impossible arguments, each run as
a user would (the ``abtest`` command in a child process, or the public Python call).

Every case asserts the exit status, that no traceback reached the user, that the
message names the file / line / column / argument at fault, and that no input file
changed. Inputs are generated in ``tmp_path`` at run time; nothing large is committed.

Fixtures (conftest helpers are not importable under ``--import-mode=importlib``):

- ``abtest_cli(*args, cwd=None)`` runs ``python -m abtest.cli ARGS`` and returns a
  :class:`CliRun` (``code``, ``out``, ``err``);
- ``one_line_error(run, *needles, code=2)`` asserts a one-line ``abtest: error:`` on
  stderr holding every needle, the exit status, and no traceback;
- ``unchanged(*paths)`` is a context manager asserting the files' bytes and modes
  are the same after the block.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def abtest_cli() -> Callable[..., CliRun]:
    def run(*args: object, cwd: str | os.PathLike[str] | None = None) -> CliRun:
        env = dict(os.environ)
        # the checkout under test, also when it is not the installed one (a worktree)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        env.setdefault("MPLBACKEND", "Agg")
        proc = subprocess.run(
            [sys.executable, "-m", "abtest.cli", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=300,
        )
        return CliRun(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def one_line_error() -> Callable[..., None]:
    def check(run: CliRun, *needles: str, code: int = 2) -> None:
        assert "Traceback" not in run.err + run.out, run.err
        assert run.code == code, (run.code, run.err)
        lines = [line for line in run.err.splitlines() if line.strip()]
        assert len(lines) == 1, run.err
        assert lines[0].startswith("abtest: error: "), lines[0]
        for needle in needles:
            assert needle in lines[0], (needle, lines[0])

    return check


def _fingerprint(path: Path) -> tuple[bytes, int] | None:
    if not path.exists():
        return None
    if path.is_dir():
        parts = sorted(
            (str(p.relative_to(path)), _fingerprint(p)) for p in path.rglob("*") if p.is_file()
        )
        return hashlib.sha256(repr(parts).encode()).digest(), path.stat().st_mode
    return hashlib.sha256(path.read_bytes()).digest(), path.stat().st_mode


@pytest.fixture
def unchanged() -> Callable[..., contextlib.AbstractContextManager[None]]:
    @contextlib.contextmanager
    def guard(*paths: str | os.PathLike[str]) -> Iterator[None]:
        before = {Path(p): _fingerprint(Path(p)) for p in paths}
        yield
        after = {p: _fingerprint(p) for p in before}
        changed = [str(p) for p in before if before[p] != after[p]]
        assert not changed, f"input file(s) changed: {', '.join(changed)}"

    return guard
