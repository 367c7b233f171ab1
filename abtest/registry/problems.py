"""What the registry reports: :class:`Problem` (one ``FILE:LINE: message``) and
:class:`RegistryError` (raised by :func:`abtest.load_registry` when a file has errors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One finding about one experiment file.

    Parameters
    ----------
    file : str
        The file, as it was found (relative paths stay relative, so CI
        annotations point at the right file).
    line : int
        1-based line of the offending key (1 for problems with the whole file).
    message : str
        What is wrong and how to fix it.
    severity : {"error", "warning"}
        Errors fail ``abtest validate`` (exit 1); warnings are printed and fail
        only with ``--strict``.
    column : int, optional
        1-based column of the offending key, when known.
    code : str, optional
        A short stable name of the rule (``"unknown-key"``, ``"weights-sum"``...).

    Examples
    --------
    >>> str(Problem("experiments/a.yaml", 7, "variants[1]: unknown key 'wieght'"))
    "experiments/a.yaml:7: variants[1]: unknown key 'wieght'"
    >>> str(Problem("a.yaml", 3, "no spend for variant 'b'", severity="warning"))
    "a.yaml:3: warning: no spend for variant 'b'"
    """

    file: str
    line: int
    message: str
    severity: Severity = "error"
    column: int | None = None
    code: str | None = None

    def __str__(self) -> str:
        tag = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {tag}{self.message}"

    @property
    def is_error(self) -> bool:
        """True for ``severity == "error"``."""
        return self.severity == "error"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready fields (the ``--format json`` record)."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def where(exp: Any) -> str:
    """How problems name an experiment's file (``<id>`` when built in Python)."""
    return str(exp.path) if exp.path is not None else f"<{exp.id}>"


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in reading order: by file, then line, then column (stable otherwise)."""
    return sorted(problems, key=lambda p: (p.file, p.line, p.column or 0))


class RegistryError(ValueError):
    """The registry has errors; ``problems`` lists them all (warnings included).

    ``str()`` shows every problem as ``FILE:LINE: message``, one per line.

    Examples
    --------
    >>> err = RegistryError([Problem("a.yaml", 4, "weights sum to 0.9, not 1")])
    >>> print(err)
    1 error in the experiment registry:
    a.yaml:4: weights sum to 0.9, not 1
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sort_problems(problems)
        n = sum(p.is_error for p in self.problems)
        head = f"{n} error{'s' if n != 1 else ''} in the experiment registry:"
        super().__init__("\n".join([head, *(str(p) for p in self.problems)]))
