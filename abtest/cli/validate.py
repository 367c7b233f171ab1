"""``abtest validate`` (check experiment files, for CI) and ``abtest schema``.

Only click, PyYAML and pydantic are imported on this path: no numpy, pandas,
scipy or matplotlib, so a pre-commit hook or CI step starts in a fraction of a
second.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from abtest.cli._common import fail_usage, write_atomic
from abtest.registry.problems import Problem


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem) -> str:
    """One GitHub Actions workflow command (``::error file=...,line=...::message``).

    >>> github_annotation(Problem("experiments/a.yaml", 7, "weights sum to 0.9, not 1"))
    '::error file=experiments/a.yaml,line=7,title=abtest validate::weights sum to 0.9, not 1'
    """
    props = [f"file={_escape_property(problem.file)}", f"line={problem.line}"]
    if problem.column is not None:
        props.append(f"col={problem.column}")
    props.append("title=abtest validate")
    return f"::{problem.severity} {','.join(props)}::{_escape_data(problem.message)}"


def _summary(problems: Sequence[Problem], n_files: int) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    bad_files = len({p.file for p in problems if p.is_error})

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if not problems:
        return f"{plural(n_files, 'experiment file')} checked: no problems"
    parts = [plural(errors, "error")] + ([plural(warnings, "warning")] if warnings else [])
    return f"{', '.join(parts)} in {plural(n_files, 'experiment file')}" + (
        f" ({bad_files} with errors)" if errors else ""
    )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="text: FILE:LINE: message; github: Actions annotations; json: for tools.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option(
    "--base",
    "base",
    metavar="REF",
    default=None,
    help="A git revision (e.g. origin/main): also report running experiments whose "
    "variants, weights, seed, hash version or namespace changed since REF.",
)
@click.option("-q", "--quiet", is_flag=True, help="No summary line on stderr.")
def validate(paths: tuple[str, ...], fmt: str, strict: bool, quiet: bool, base: str | None) -> None:
    """Check experiment YAML files (folders are searched for *.yaml and *.yml).

    \b
    Every problem of every file is reported, one per line:
      experiments/pricing.yaml:12: variants[1]: unknown key 'wieght' — did you mean 'weight'?
    Files are checked together: experiment ids must be unique, running
    experiments on one page must not share more than 100% of its traffic, and
    experiments in one namespace must not overlap. With --base REF (CI: the
    target branch), a running experiment whose assignment changed since REF is
    an error (raising coverage alone is safe, and a note says so).

    \b
    Exit status: 0 no errors (warnings are printed), 1 errors found
    (or warnings with --strict), 2 usage error.
    """
    from dataclasses import replace

    from abtest.registry.problems import sort_problems
    from abtest.registry.registry import check_files, collect_files, settings_problems

    try:
        files = collect_files(paths)
    except (FileNotFoundError, ValueError) as exc:  # missing, or a device / pipe / socket
        fail_usage(str(exc))
    if not files:
        fail_usage(f"no experiment files (*.yaml, *.yml) in {', '.join(paths)}")
    results, problems = check_files(files)
    problems = sort_problems(problems + settings_problems(paths))
    if base is not None:
        from abtest.registry.reshuffle import BaseUnavailable, changes_since

        try:
            moved, notes = changes_since([r.experiment for r in results if r.ok], base)
        except BaseUnavailable as exc:
            fail_usage(str(exc))
        problems = sort_problems(problems + moved)
        if not quiet:
            for note in notes:
                click.echo(f"note: {note}", err=True)
    if strict:
        problems = [replace(p, severity="error") for p in problems]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "files": len(files),
                    "errors": sum(p.is_error for p in problems),
                    "warnings": sum(not p.is_error for p in problems),
                    "problems": [p.to_dict() for p in problems],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for p in problems:
            click.echo(github_annotation(p) if fmt == "github" else str(p))
        if not quiet:
            click.echo(_summary(problems, len(files)), err=True)
    if any(p.is_error for p in problems):
        raise SystemExit(1)


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write to this file instead of standard output.",
)
def schema(output: str | None) -> None:
    """Print the JSON Schema of an experiment file (for editor autocompletion).

    \b
    For VS Code's YAML extension, in .vscode/settings.json:
      "yaml.schemas": {"./experiment.schema.json": "experiments/*.yaml"}
    after: abtest schema -o experiment.schema.json
    """
    from abtest.registry.schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
