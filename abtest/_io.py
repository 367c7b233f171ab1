"""File writing shared by the CLI and the reports (no heavy imports)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write to a temporary file in the same folder, then rename over ``path``,
    so an existing file is never left half-written.

    The file gets the permissions a plain ``open(path, "w")`` would give it: those of
    the file it replaces, else ``0666`` less the umask (``0644`` under the usual
    ``022``), not the ``0600`` of a temporary file, so a report on a shared drive or a
    web server stays readable.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    if target.exists():
        permissions = stat.S_IMODE(target.stat().st_mode)
    else:
        permissions = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, permissions)
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
