"""``_registry.yaml``: the registry-wide settings file, read and checked like an
experiment file (every problem with its line; never a traceback)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from abtest.registry.loader import read_document
from abtest.registry.messages import describe, translate_all
from abtest.registry.problems import Problem
from abtest.registry.serving import SETTINGS_FILE, RegistrySettings


def settings_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The ``_registry.yaml`` of each folder in ``paths`` (or given by name), each once."""
    out: list[Path] = []
    for p in map(Path, paths):
        candidate = p / SETTINGS_FILE if p.is_dir() else p
        if candidate.name == SETTINGS_FILE and candidate.is_file() and candidate not in out:
            out.append(candidate)
    return out


def load_settings(path: str | os.PathLike[str]) -> tuple[RegistrySettings | None, list[Problem]]:
    """The settings in ``path`` and the problems found (the settings are None on errors)."""
    doc = read_document(path)
    problems = list(doc.problems)
    if doc.fatal:
        return None, problems
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        problems.append(
            Problem(
                doc.path,
                1,
                f"{SETTINGS_FILE} is a mapping of registry settings (holdout: ...), "
                f"not {describe(data)}",
                "error",
                None,
                "type",
            )
        )
        return None, problems
    try:
        settings = RegistrySettings.model_validate(data)
    except ValidationError as exc:
        for loc, point, message, code in translate_all(
            exc.errors(include_url=False), RegistrySettings
        ):
            if any(loc[: len(b)] == b for b in doc.broken):
                continue
            line, column = doc.mark(point)
            problems.append(Problem(doc.path, line, message, "error", column, code))
        return None, problems
    return settings, problems
