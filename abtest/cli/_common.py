"""Small helpers shared by the CLI commands (no heavy imports here)."""

from __future__ import annotations

from typing import NoReturn

import click

from abtest._io import write_atomic

__all__ = ["UsageProblem", "fail_usage", "write_atomic"]


class UsageProblem(Exception):
    """Bad command-line input: reported in one line, exit status 2."""


def fail_usage(message: str) -> NoReturn:
    click.echo(f"abtest: error: {message}", err=True)
    raise SystemExit(2)
