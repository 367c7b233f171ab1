"""``abtest analyze``: one experiment's data in, a report out.

Two ways in:

- ``abtest analyze --counts counts.csv``: aggregated counts, columns
  ``variant, visitors, conversions`` and optionally ``metric`` (one row per
  variant and metric; the first metric is the primary goal);
- ``abtest analyze EXPERIMENT_ID --registry experiments/ --data SOURCE``: the
  experiment's settings from the registry and its data from SOURCE (a
  unit-level CSV/Parquet file, or a folder of exposure and conversion logs).

Bad input is reported in one line on stderr (``abtest: error: ...``) with exit
status 2; nothing is written unless the analysis succeeds, and ``--out`` is
written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from abtest import vocabulary
from abtest.cli._common import (
    InputError,
    OneLineErrors,
    fail_usage,
    load_registry_or_fail,
    write_atomic,
)
from abtest.data.readers import read_counts, read_units

FORMATS = ("text", "markdown", "json", "html", "csv")
METHODS = vocabulary.METHODS
CORRECTIONS = vocabulary.spellings(vocabulary.CORRECTIONS, vocabulary.CORRECTION_ALIASES)
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


SUFFIXES = {
    "text": (".txt",),
    "markdown": (".md", ".markdown"),
    "json": (".json",),
    "html": (".html", ".htm"),
    "csv": (".csv",),
}


@click.command(cls=OneLineErrors)
@click.argument("experiment_id", required=False)
@click.option(
    "--counts",
    "counts_path",
    metavar="FILE.csv",
    help="Aggregated counts: columns variant, visitors, conversions [, metric].",
)
@click.option("--registry", metavar="DIR", help="Experiment registry (folder of YAML files).")
@click.option(
    "--data",
    "source",
    metavar="SOURCE",
    help="Unit-level CSV/Parquet file, or (with a registry experiment) a folder with "
    "exposures and conversions logs.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Cut event logs at the end of this day (YYYY-MM-DD), as the weekly report does.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: from --out's suffix, else text).",
)
@click.option("--out", metavar="FILE", help="Write the report here (atomically) instead of stdout.")
@click.option("--method", type=click.Choice(METHODS), help="Override the analysis method.")
@click.option("--alpha", type=float, help="Override the significance level (default 0.05).")
@click.option("--correction", type=click.Choice(CORRECTIONS), help="Multiple-testing correction.")
@click.option("--control", help="The control variant (counts: default 'control' or the first).")
@click.option(
    "--primary", help="The goal that decides (unit-level data or counts; default the first)."
)
@click.option("--no-plots", is_flag=True, help="HTML without the embedded plots.")
@click.option(
    "--quiet",
    is_flag=True,
    help="No progress on stderr while event logs are aggregated (shown only on a terminal).",
)
def analyze(
    experiment_id: str | None,
    counts_path: str | None,
    registry: str | None,
    source: str | None,
    as_of: str | None,
    fmt: str | None,
    out: str | None,
    method: str | None,
    alpha: float | None,
    correction: str | None,
    control: str | None,
    primary: str | None,
    no_plots: bool,
    quiet: bool,
) -> None:
    """Analyse one experiment and print (or write) its report.

    \b
    Three ways in:
      --counts FILE.csv           aggregated counts (variant, visitors, conversions
                                  [, metric]; the first metric is the primary goal)
      --data UNITS.csv            one row per unit: a variant column and 0/1 (or
                                  yes/no) conversion columns; --primary picks the goal
      EXPERIMENT --registry DIR --data SOURCE
                                  a registry experiment on a unit-level file or a
                                  folder of exposure and conversion logs

    \b
    Examples:
      abtest analyze --counts counts.csv
      abtest analyze --counts counts.csv --out result.json
      abtest analyze --data units.csv --primary signup
      abtest analyze homepage-headline --registry experiments/ --data events/ --as-of 2026-11-22
    """
    from abtest.cli._common import (
        check_output,
        one_line_warnings,
        output_format,
        silence_progress,
    )

    one_line_warnings()
    silence_progress(quiet)
    fmt = output_format(out, fmt, SUFFIXES, "text")
    check_output(out, [counts_path, source])
    cut = _as_of(as_of)
    overrides = {
        k: v
        for k, v in {"method": method, "alpha": alpha, "correction": correction}.items()
        if v is not None
    }
    try:
        if counts_path is not None:
            if experiment_id or registry or source:
                fail_usage(
                    "give either --counts FILE or EXPERIMENT_ID --registry DIR --data SOURCE"
                )
            analysis = analyze_counts(counts_path, control=control, primary=primary, **overrides)
        elif experiment_id is None and registry is None and source is not None:
            if cut is not None:
                fail_usage("--as-of cuts event logs: give it with EXPERIMENT --registry DIR")
            analysis = analyze_units(source, control=control, primary=primary, **overrides)
        else:
            if not experiment_id:
                fail_usage(
                    "give --counts FILE, --data UNITS.csv, or EXPERIMENT_ID with "
                    "--registry DIR --data SOURCE"
                )
            if not registry or not source:
                missing = " and ".join(
                    f"--{name}" for name, v in (("registry", registry), ("data", source)) if not v
                )
                fail_usage(f"experiment {experiment_id!r} needs {missing}")
            if primary is not None:
                fail_usage("--primary: a registry experiment declares its primary goal")
            experiment = load_experiment(registry, experiment_id)
            analysis = analyze_registry_experiment(
                experiment, source, control=control, as_of=cut, **overrides
            )
    except InputError as e:
        fail_usage(str(e))
    text = render(analysis, fmt, plots=not no_plots)
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        try:
            write_atomic(out, text)
        except OSError as e:
            fail_usage(f"cannot write {out}: {e.strerror or e}")


def _as_of(text: str | None) -> Any:
    """``--as-of YYYY-MM-DD`` as a date (the logs are cut at the end of that day)."""
    if text is None:
        return None
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail_usage(f"--as-of {text!r}: not a date; write it as YYYY-MM-DD, e.g. 2026-11-22")


# -- rendering -------------------------------------------------------------------------------
def render(analysis: Any, fmt: str, *, plots: bool = True) -> str:
    """The analysis in one of :data:`FORMATS` (HTML as a complete document)."""
    if fmt == "json":
        return json.dumps(analysis.to_dict(), indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return analysis.table().to_csv(index=False)
    if fmt == "markdown":
        from abtest.report.markdown import render_markdown

        return render_markdown(analysis)
    if fmt == "html":
        from abtest.report.html import render_html

        return render_html(analysis, plots=plots, standalone=True)
    from abtest.report.text import render_text

    return render_text(analysis)


# -- counts ----------------------------------------------------------------------------------
def analyze_counts(
    path: str | Path, *, control: str | None = None, primary: str | None = None, **settings: Any
) -> Any:
    """Analyse a counts CSV (see :func:`read_counts`)."""
    from abtest.analysis import analyze

    try:
        summary = read_counts(path)
        # the file's metric order is declared (Summary.goals): its first metric decides
        return analyze(summary, primary=primary, control=control, **settings)
    except ValueError as e:
        raise InputError(f"{path}: {e}") from None


def analyze_units(
    path: str | Path, *, control: str | None = None, primary: str | None = None, **settings: Any
) -> Any:
    """Analyse a unit-level CSV/Parquet file without a registry: a ``variant`` column and
    conversion columns (the goals :func:`abtest.analyze` chooses, said in the report)."""
    from abtest.analysis import analyze

    p = Path(path)
    if not p.exists():
        raise InputError(f"data file {p}: not found")
    if p.is_dir():
        raise InputError(
            f"--data {p}: a folder of event logs needs its experiment: "
            "abtest analyze EXPERIMENT --registry DIR --data FOLDER"
        )
    try:
        df = read_units(p)  # an empty, undecodable or ragged file: one line, not a traceback
        return analyze(df, primary=primary, control=control, **settings)
    except ValueError as e:
        said = " ".join(str(e).split())  # pandas' messages end in a newline
        raise InputError(said if said.startswith(f"data file {p}") else f"{p}: {said}") from None


# -- registry + data -------------------------------------------------------------------------
def load_experiment(registry: str | Path, experiment_id: str) -> Any:
    """The experiment ``experiment_id`` of the registry folder ``registry``."""
    reg = load_registry_or_fail(registry)
    if experiment_id not in reg:
        known = ", ".join(sorted(reg)) or "none"
        raise InputError(f"no experiment {experiment_id!r} in {registry} (it has: {known})")
    return reg[experiment_id]


def analyze_registry_experiment(
    experiment: Any,
    source: str | Path,
    *,
    control: str | None = None,
    as_of: Any = None,
    **overrides: Any,
) -> Any:
    """Analyse a registry experiment on the data at ``source``.

    ``source`` is a unit-level table (CSV or Parquet: a variant column and one
    column per goal id, 0/1 for conversions, numbers for values; an optional
    ``experiment`` column is filtered on), or a folder holding exposure and
    conversion logs (``exposures.*`` and ``conversions.*``), which
    :func:`abtest.summarize` aggregates (up to ``as_of`` when given).
    """
    from abtest.analysis.experiment import analyze_experiment as run

    if control is not None and control != experiment.control.id:
        raise InputError(
            f"--control {control!r}: experiment {experiment.id!r} configures "
            f"{experiment.control.id!r} as its control"
        )
    path = Path(source)
    if not path.exists():
        raise InputError(f"data source {source}: not found")
    try:
        data: Any = read_units(path, experiment.id) if path.is_file() else path
        return run(experiment, data, as_of=as_of, **overrides)
    except ValueError as e:
        raise InputError(f"{experiment.id}: {_message(e)}") from None


def _message(e: Exception) -> str:
    return str(e) or type(e).__name__
