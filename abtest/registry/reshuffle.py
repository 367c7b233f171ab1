"""``abtest validate --base REF``: running experiments whose assignment changed since REF.

A unit's variant is a function of the experiment's variants (their order, ids and
weights), ``seed``, ``hash_version`` and ``namespace``. Changing any of them while the
experiment runs moves units already exposed to another variant (or out of the test), so
the pooled estimate mixes two assignments and sample ratio mismatch follows. Raising
``coverage`` alone only adds units: everyone already in keeps their variant (see
:func:`abtest.assignment.bucket_ranges`), so that change is reported as safe.

The file at REF is read with ``git show REF:PATH`` (the revision CI compares against,
e.g. ``origin/main``); a file new since REF or not running at REF is not compared.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from abtest.registry.problems import Problem, where
from abtest.registry.schema import Experiment


class BaseUnavailable(ValueError):
    """REF cannot be read (not a git work tree, or an unknown revision)."""


def assignment_key(exp: Experiment) -> dict[str, Any]:
    """What decides each unit's variant, in a form two versions can be compared by."""
    ns = exp.assignment.namespace
    return {
        "variants (order, ids and weights)": [(v.id, v.weight) for v in exp.variants],
        "seed": exp.seed,
        "hash_version": exp.assignment.hash_version,
        "namespace": None if ns is None else (ns.name, tuple(ns.range)),
    }


def _at_base(path: Path, ref: str) -> Experiment | None:
    """The experiment ``path`` held at ``ref`` (None when new since then or unreadable)."""
    folder = path.resolve().parent
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BaseUnavailable(f"--base {ref}: {path} is not in a git work tree") from exc
    rel = path.resolve().relative_to(Path(top).resolve()).as_posix()
    check = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=folder,
        capture_output=True, text=True,
    )  # fmt: skip
    if check.returncode != 0:
        raise BaseUnavailable(
            f"--base {ref}: no such git revision (fetch it first, e.g. git fetch origin main)"
        )
    shown = subprocess.run(
        ["git", "show", f"{ref}:{rel}"], cwd=folder, capture_output=True, text=True
    )
    if shown.returncode != 0:
        return None  # the file is new since ref
    try:
        return Experiment.model_validate(yaml.safe_load(shown.stdout))
    except Exception:  # invalid at ref: nothing trustworthy to compare with
        return None


def changes_since(experiments: list[Experiment], ref: str) -> tuple[list[Problem], list[str]]:
    """(errors for reshuffled running experiments, notes for safe ramp-ups)."""
    problems, notes = [], []
    for exp in experiments:
        if exp.status != "running" or exp.path is None:
            continue
        old = _at_base(exp.path, ref)
        if old is None or old.status != "running":
            continue
        before, now = assignment_key(old), assignment_key(exp)
        changed = [k for k in now if now[k] != before[k]]
        if changed:
            line, column = exp._mark(
                ("assignment",) if "variants" not in changed[0] else ("variants",)
            )
            problems.append(
                Problem(
                    where(exp),
                    line,
                    f"{', '.join(changed)} changed since {ref} while the experiment runs: "
                    "units already exposed move to another variant and the pooled result "
                    "mixes two assignments; put the change back, or stop this experiment "
                    "and start a new one (new id) with it",
                    "error",
                    column,
                    "reshuffle",
                )
            )
        elif exp.coverage > old.coverage:
            notes.append(
                f"{where(exp)}: coverage raised from {old.coverage:g} to {exp.coverage:g} "
                f"since {ref}: safe, every unit already in keeps its variant"
            )
        elif exp.coverage < old.coverage:
            notes.append(
                f"{where(exp)}: coverage lowered from {old.coverage:g} to {exp.coverage:g} "
                f"since {ref}: units already in keep their variant or leave the test; "
                "their exposures so far stay in the analysis"
            )
    return problems, notes
