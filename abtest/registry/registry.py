"""The registry: a folder of experiment files, loaded and checked together.

:func:`load_registry` is the library path: it returns a :class:`Registry` or
raises :class:`RegistryError` listing every problem, so no caller ever holds a
half-valid registry. :func:`validate_paths` is the CI path behind
``abtest validate``: it reports every problem of every file without raising.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from abtest.registry import lint as _lint
from abtest.registry.findings import Finding, did_you_mean
from abtest.registry.lint import located
from abtest.registry.loader import Document, read_document
from abtest.registry.messages import describe, misplaced_key, translate_all
from abtest.registry.partial import partial_findings
from abtest.registry.problems import Problem, RegistryError, sort_problems
from abtest.registry.schema import Experiment
from abtest.registry.schema_types import FINDINGS
from abtest.registry.serving import SETTINGS_FILE, RegistrySettings
from abtest.registry.settings import load_settings, settings_files

SUFFIXES = (".yaml", ".yml")
_READ_PAST = frozenset({"yaml-syntax", "duplicate-key"})  # errors the loader read past


@dataclass
class FileResult:
    """One file after loading: the experiment (when it validated) and its problems."""

    path: Path
    experiment: Experiment | None = None
    problems: list[Problem] = field(default_factory=list)
    raw_id: str | None = None

    @property
    def ok(self) -> bool:
        """The file has no errors (warnings allowed)."""
        return self.experiment is not None and not any(p.is_error for p in self.problems)

    @property
    def lintable(self) -> bool:
        """The content validated, rules included: its only errors, if any, are a key the
        loader lined up or a duplicate key it dropped, so its sample size and warnings are
        still news in the same run."""
        return self.experiment is not None and all(
            p.code in _READ_PAST for p in self.problems if p.is_error
        )


def find_experiment_files(path: str | os.PathLike[str]) -> list[Path]:
    """The experiment files at ``path``.

    Parameters
    ----------
    path : str or PathLike
        A file (returned as is, whatever its extension) or a folder, searched
        recursively for ``*.yaml`` and ``*.yml``; hidden files and folders
        (``.github/``) are skipped, and so is ``_registry.yaml`` (the registry's
        settings, :mod:`abtest.registry.settings`).

    Returns
    -------
    list of Path
        Sorted.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    """
    root = Path(path)
    if root.is_file():
        return [root]
    if not root.is_dir():
        if root.exists():  # a device (/dev/null), a FIFO, a socket: nothing to read safely
            raise NotRegularFile(
                f"{os.fspath(path)}: not a regular file or folder (a device, pipe or socket); "
                "give experiment YAML files or the folder holding them"
            )
        raise FileNotFoundError(f"no such file or folder: {os.fspath(path)}")
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [
            Path(dirpath, f)
            for f in filenames
            if f.endswith(SUFFIXES) and not f.startswith(".") and f != SETTINGS_FILE
        ]
    return sorted(found)


def _place(doc: Document, finding: Finding) -> Problem:
    line, column = doc.mark(finding.loc)
    message = located(finding) + doc.origin(finding.loc)
    return Problem(doc.path, line, message, finding.severity, column, finding.code)


def _under(loc: tuple[Any, ...], broken: set[tuple[Any, ...]]) -> bool:
    return any(loc[: len(b)] == b for b in broken)


def _key_above(doc: Document, loc: tuple[Any, ...]) -> str | None:
    """The key just above ``loc``'s in the same mapping (by line), or None."""
    here = doc.marks.get(loc)
    if here is None:
        return None
    above = [
        (mark, other[-1])
        for other, mark in doc.marks.items()
        if len(other) == len(loc) and other[:-1] == loc[:-1] and mark < here
    ]
    return str(max(above)[1]) if above else None


def load_file(path: str | os.PathLike[str]) -> FileResult:
    """Read and validate one experiment file; every problem becomes a :class:`Problem`.

    Never raises for bad content: an unexpected failure is reported as an
    ``internal`` problem on line 1 rather than a traceback.
    """
    result = FileResult(Path(path))
    try:
        _load_into(result)
    except Exception as exc:
        result.experiment = None
        result.problems.append(
            Problem(
                str(path),
                1,
                f"internal error while checking this file ({type(exc).__name__}: "
                f"{exc}); please report it to the abtest maintainers",
                "error",
                None,
                "internal",
            )
        )
    result.problems = sort_problems(result.problems)
    return result


def _load_into(result: FileResult) -> None:
    doc = read_document(result.path, display=str(result.path))
    result.problems += doc.problems
    if doc.fatal:
        return
    if not isinstance(doc.data, dict):
        result.problems.append(
            Problem(
                doc.path,
                1,
                "an experiment file is a mapping of keys (id: ..., name: ..., "
                f"variants: ...), not {describe(doc.data)}",
                "error",
                None,
                "type",
            )
        )
        return
    if isinstance(doc.data.get("id"), str):
        result.raw_id = doc.data["id"]
    sink: list[Finding] = []
    try:
        exp = Experiment.model_validate(doc.data, context={FINDINGS: sink})
    except ValidationError as exc:
        exp = None
        failed = []
        said = translate_all(exc.errors(include_url=False))
        # a key dedented out of the end of its block: said once, as such
        moved = {
            loc: (hint, (*loc[:-1], above), loc[-1])
            for loc, _, _, code in said
            if code == "unknown-key"
            and (hint := misplaced_key(loc, above := _key_above(doc, loc))) is not None
        }
        for loc, point, message, code in said:
            failed.append(loc)
            if _under(loc, doc.broken) or (
                code == "missing-key"
                and any(loc[-1] == key and _under(loc, {block}) for _, block, key in moved.values())
            ):
                continue
            if loc in moved:
                message = moved[loc][0]
            message += doc.origin(loc)
            line, column = doc.mark(point)
            result.problems.append(Problem(doc.path, line, message, "error", column, code))
        # every independent problem in one run: the rules across fields on what parsed
        said = {(f.loc, f.code) for f in sink}
        sink += [
            f
            for f in partial_findings(doc.data, sink)
            if (f.loc, f.code) not in said and not _under(f.loc, {*failed})
        ]
    result.problems += [_place(doc, f) for f in sink if not _under(f.loc, doc.broken)]
    if exp is not None:
        exp._path = result.path
        exp._marks = doc.marks
        result.experiment = exp


def check_files(files: Iterable[Path]) -> tuple[list[FileResult], list[Problem]]:
    """Load every file, then lint the ones that loaded; returns results and all problems."""
    results = [load_file(f) for f in files]
    problems = [p for r in results for p in r.problems]
    problems += _lint.lint(r.experiment for r in results if r.lintable)
    return results, sort_problems(problems)


def validate_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Problem]:
    """Every problem in the files and folders ``paths``, checked together.

    What ``abtest validate`` runs: schema errors, rule violations and lint
    findings (errors and warnings) of every file, plus the checks across files
    (duplicate ids, traffic overlaps) among all the files given.

    Parameters
    ----------
    paths : iterable of str or PathLike
        Experiment files and folders (searched recursively for ``*.yaml`` and
        ``*.yml``); a file reached twice is checked once.

    Returns
    -------
    list of Problem
        Sorted by file, line and column; empty when everything is clean.

    Raises
    ------
    FileNotFoundError
        When a path does not exist. Bad content never raises.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d, "x.yaml")
    ...     _ = path.write_text("id: x\\nname: X\\n")
    ...     problems = validate_paths([path])
    >>> problems[0].line, problems[0].message
    (1, "missing required key 'hypothesis' (What you expect to change, and why.)")
    """
    paths = list(paths)
    _, problems = check_files(collect_files(paths))
    return sort_problems(problems + settings_problems(paths))


def settings_problems(paths: Iterable[str | os.PathLike[str]]) -> list[Problem]:
    """The problems of the ``_registry.yaml`` in the folders ``paths``."""
    return [p for f in settings_files(paths) for p in load_settings(f)[1]]


class NotRegularFile(ValueError):
    """A path that exists but is neither a file nor a folder."""


def collect_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The experiment files under ``paths`` (see :func:`find_experiment_files`), each once."""
    seen: set[Path] = set()
    files = []
    for p in paths:
        for f in find_experiment_files(p):
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append(f)
    return files


class Registry(Mapping[str, Experiment]):
    """Experiments by id: ``registry[experiment_id]``, ``in``, iteration, ``len``.

    Build one with :func:`load_registry`, or from experiments made in Python.

    Examples
    --------
    >>> from abtest.registry.schema import Experiment
    >>> exp = Experiment(
    ...     id="cta", name="CTA", hypothesis="Shorter converts more", owner="growth",
    ...     status="draft", page="/", variants=[
    ...         {"id": "a", "name": "Now", "weight": 0.5, "control": True},
    ...         {"id": "b", "name": "Go", "weight": 0.5}],
    ...     goals=[{"id": "signup", "event": "signup", "kind": "macro", "primary": True}])
    >>> reg = Registry([exp])
    >>> "cta" in reg, len(reg), reg["cta"].control.id
    (True, 1, 'a')
    >>> [str(p) for p in reg.validate()]
    ['<cta>:1: warning: analysis: cannot check the sample size: add analysis.baseline, \
analysis.mde, analysis.expected_daily_units']
    """

    def __init__(
        self, experiments: Iterable[Experiment] = (), settings: RegistrySettings | None = None
    ) -> None:
        self._all = list(experiments)
        self.settings = settings
        """The registry-wide settings (``_registry.yaml``: the holdout), or None."""
        self._by_id: dict[str, Experiment] = {}
        for exp in self._all:
            exp._settings = settings
            self._by_id.setdefault(exp.id, exp)

    def __getitem__(self, experiment_id: str) -> Experiment:
        try:
            return self._by_id[experiment_id]
        except KeyError:
            hint = did_you_mean(str(experiment_id), list(self._by_id))
            raise KeyError(f"no experiment '{experiment_id}' in the registry{hint}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __repr__(self) -> str:
        ids = ", ".join(self._by_id)
        return f"Registry({len(self)} experiments: {ids})"

    def validate(self) -> list[Problem]:
        """Lint problems across the registry (errors and warnings), sorted by file and line.

        A registry from :func:`load_registry` has no errors (loading raised
        otherwise), so this returns its warnings.
        """
        return sort_problems(_lint.lint(self._all))


def load_registry(path: str | os.PathLike[str]) -> Registry:
    """Load a folder of experiment YAML files (or one file) into a :class:`Registry`.

    Parameters
    ----------
    path : str or PathLike
        A folder (searched recursively for ``*.yaml`` and ``*.yml``) or one file.
        A ``_registry.yaml`` in the folder holds the registry-wide settings (the
        holdout; :class:`abtest.registry.serving.RegistrySettings`).

    Returns
    -------
    Registry
        Every experiment, by id.

    Raises
    ------
    RegistryError
        When any file has an error; ``.problems`` lists them all (as ``abtest
        validate`` would) and ``str()`` shows them as ``FILE:LINE: message``.
    FileNotFoundError
        When ``path`` does not exist.

    Examples
    --------
    >>> from pathlib import Path
    >>> import abtest
    >>> reg = load_registry(Path(abtest.__file__).parents[1] / "experiments")
    >>> reg["pricing-cta-wording"].variant_ids
    ('control', 'free-trial')
    """
    results, problems = check_files(find_experiment_files(path))
    found = settings_files([path])
    settings, more = load_settings(found[0]) if found else (None, [])
    problems = sort_problems(problems + more)
    if any(p.is_error for p in problems):
        raise RegistryError(problems)
    return Registry((r.experiment for r in results if r.experiment is not None), settings)
