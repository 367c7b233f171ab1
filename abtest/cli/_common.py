"""Small helpers shared by the CLI commands (no heavy imports here)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import click

from abtest._io import write_atomic

__all__ = [
    "InputError",
    "OneLineErrors",
    "UsageProblem",
    "check_output",
    "fail_usage",
    "load_registry_or_fail",
    "one_line_warnings",
    "output_format",
    "write_atomic",
]


class UsageProblem(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


class OneLineErrors(click.Command):
    """A command whose usage errors (bad option values, missing arguments) print one
    line, ``abtest: error: ...``, and exit with status 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as e:
            fail_usage(f"{e.format_message()} (see abtest {self.name} --help)")


class InputError(Exception):
    """Bad input data: reported in one line, exit status 2."""


def load_registry_or_fail(path: str | os.PathLike[str]) -> Any:
    """Load the registry, turning its errors into one-line :class:`InputError`."""
    from abtest.registry import RegistryError, load_registry

    if not Path(path).exists():
        raise InputError(f"registry {path}: not found")
    try:
        return load_registry(path)
    except RegistryError as e:
        problems = [p for p in e.problems if p.is_error]
        more = (
            f" (and {len(problems) - 1} more; run abtest validate {path})"
            if len(problems) > 1
            else ""
        )
        raise InputError(f"registry has errors: {problems[0]}{more}") from None
    except (OSError, ValueError) as e:
        raise InputError(f"registry {path}: {str(e) or type(e).__name__}") from None


def fail_usage(message: str) -> NoReturn:
    click.echo(f"abtest: error: {message}", err=True)
    raise SystemExit(2)


def output_format(
    out: str | None, fmt: str | None, suffixes: Mapping[str, tuple[str, ...]], default: str
) -> str:
    """The format of a report: ``--format`` if given, else the one ``--out``'s suffix
    names (``suffixes``: format -> suffixes), else ``default``. A suffix that names
    another format than ``--format``, or none of them, is refused: a ``.csv`` file
    never receives text."""
    if out is None:
        return fmt or default
    suffix = Path(out).suffix.lower()
    named = next((f for f, sfx in suffixes.items() if suffix in sfx), None)
    if fmt is not None and named is not None and named != fmt:
        fail_usage(f"--out {out}: a {suffix} file cannot hold --format {fmt}; name it *.{fmt}")
    if fmt is None and named is None:
        known = ", ".join(s for sfx in suffixes.values() for s in sfx)
        fail_usage(f"--out {out}: give a file ending in {known}, or say --format")
    return fmt or str(named)


def check_output(out: str | None, inputs: Iterable[str | os.PathLike[str] | None]) -> None:
    """Refuse an ``--out`` that is a folder or one of the command's own inputs (a report
    written over its data would destroy it)."""
    if out is None:
        return
    target = Path(out)
    if target.is_dir() or out.endswith(("/", os.sep)):
        fail_usage(f"--out {out}: is a folder; give a file name, e.g. {Path(out) / 'report'}")
    for given in inputs:
        if given is None or not target.exists():
            continue
        source = Path(given)
        files = [source] if source.is_file() else list(source.rglob("*")) if source.is_dir() else []
        for f in files:
            if f.is_file() and os.path.samefile(f, target):
                fail_usage(f"--out {out}: is an input of this command ({f}); write elsewhere")


def one_line_warnings() -> None:
    """Show warnings as ``abtest: warning: ...`` lines on stderr, each once, without the
    source line Python prints by default."""
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = f"abtest: warning: {message}"
        if text not in seen:
            seen.add(text)
            click.echo(text, err=True)

    warnings.showwarning = show


def silence_progress(quiet: bool) -> None:
    """``--quiet``: no progress from summarize (nor report bars) until the command ends."""
    if quiet:
        from abtest.data.progress import quiet as no_progress

        click.get_current_context().with_resource(no_progress())
