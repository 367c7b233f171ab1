"""``abtest report``: the weekly report over every running experiment of a registry.

Each experiment's data is looked up in SOURCE, in this order:
``SOURCE/<experiment-id>.csv`` (or ``.parquet``: a unit-level table),
``SOURCE/<experiment-id>/`` (a folder of exposure and conversion logs), or
SOURCE itself when it holds ``exposures.*`` and ``conversions.*`` logs for
all experiments (or SOURCE is one unit-level file with an ``experiment``
column). An experiment without data, or whose data cannot be analysed, gets a
"not analysed" section saying why; the report is still written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from abtest.analysis.experiment import find_log
from abtest.cli._common import fail_usage
from abtest.cli.analyze import (
    TABLE_SUFFIXES,
    InputError,
    OneLineErrors,
    analyze_experiment,
    load_registry_or_fail,
)

STATUSES = ("draft", "running", "stopped", "concluded")


@click.command(cls=OneLineErrors)
@click.argument("registry", metavar="REGISTRY")
@click.option(
    "--data",
    "source",
    required=True,
    metavar="SOURCE",
    help="Folder (or file) holding the experiments' data (lookup order below).",
)
@click.option(
    "--week",
    metavar="YYYY-Www",
    help="ISO week of the report, e.g. 2026-W47 (default: this week); event logs are "
    "cut at its Sunday.",
)
@click.option("--out", metavar="FILE", help="Write here (.html or .md) instead of stdout.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown"]),
    help="Default: from --out's suffix (.md -> markdown), else html.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Experiments with this status (repeatable; default running).",
)
@click.option("--no-plots", is_flag=True, help="Leave the plots out.")
def report(
    registry: str,
    source: str,
    week: str | None,
    out: str | None,
    fmt: str | None,
    statuses: tuple[str, ...],
    no_plots: bool,
) -> None:
    """Weekly report over the running experiments of REGISTRY.

    \b
    Shows, per experiment: status, days running, sample collected against the
    plan, SRM alarms, current results and decision, and plots. HTML is one
    self-contained file; Markdown writes its images into <name>_files/.

    \b
    Data lookup per experiment (first match):
      SOURCE/<id>.csv|.parquet   unit-level table (variant + one column per goal)
      SOURCE/<id>/               exposures.* and conversions.* logs
      SOURCE                     logs for all experiments, or one unit-level
                                 file with an experiment column

    \b
    Example:
      abtest report experiments/ --data events/ --week 2026-W47 --out report.html
    """
    from abtest.report.weekly import parse_week, weekly_report

    try:
        parsed_week = parse_week(week)
    except ValueError as e:
        fail_usage(f"--week: {e}")
    if fmt is None:
        fmt = "markdown" if out and Path(out).suffix.lower() in (".md", ".markdown") else "html"
    data = Path(source)
    if not data.exists():
        fail_usage(f"--data {source}: not found")
    try:
        reg = load_registry_or_fail(registry)
    except InputError as e:
        fail_usage(str(e))
    wanted = set(statuses or ("running",))
    experiments = [reg[k] for k in sorted(reg) if str(reg[k].status) in wanted]
    if not experiments:
        fail_usage(f"no experiment in {registry} has status {' or '.join(sorted(wanted))}")

    entries: list[tuple[Any, Any]] = []
    with _progress(len(experiments), "Analysing") as step:
        for exp in experiments:
            entries.append((exp, _analysis_or_reason(exp, data, parsed_week.end)))
            step(exp.id)
    with _progress(len(entries), "Rendering") as step:
        try:
            text = weekly_report(
                entries,
                week=parsed_week.start,
                fmt=fmt,
                out_path=out,
                plots=not no_plots,
                on_progress=step,
            )
        except OSError as e:
            fail_usage(f"cannot write {out}: {e.strerror or e}")
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        n_alarm = sum(
            1 for _, a in entries if not isinstance(a, str | None) and bool(a.srm.mismatch)
        )
        click.echo(f"wrote {out}: {len(entries)} experiment(s), {n_alarm} SRM alarm(s)", err=True)


def _analysis_or_reason(experiment: Any, data: Path, as_of: Any) -> Any:
    """The experiment's Analysis on the data up to ``as_of`` (event logs only), or a
    one-line reason why there is none."""
    source = locate_data(data, experiment.id)
    if source is None:
        return f"no data for {experiment.id} in {data}"
    try:
        return analyze_experiment(experiment, source, as_of=as_of)
    except InputError as e:  # bad data, or a method this build lacks: report, don't stop
        return str(e)


def locate_data(data: Path, experiment_id: str) -> Path | None:
    """Where one experiment's data is under ``data`` (see the module docstring)."""
    if data.is_file():
        return data
    for suffix in TABLE_SUFFIXES:
        if (data / f"{experiment_id}{suffix}").is_file():
            return data / f"{experiment_id}{suffix}"
    if (data / experiment_id).is_dir():
        return data / experiment_id
    if find_log(data, "exposures") is not None:
        return data
    return None


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty() or total < 2:
        yield lambda _item: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda _item: bar.update(1)
