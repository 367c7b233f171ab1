"""``abtest report``: the weekly report over every running experiment of a registry.

Each experiment's data is looked up in SOURCE, in this order:
``SOURCE/<experiment-id>.csv`` (or ``.parquet``: a unit-level table),
``SOURCE/<experiment-id>/`` (a folder of exposure and conversion logs), or
SOURCE itself when it holds ``exposures.*`` and ``conversions.*`` logs for
all experiments (or SOURCE is one unit-level file with an ``experiment``
column). An experiment without data, or whose data cannot be analysed, gets a
"not analysed" section saying why; the report is still written.

Exit status, so that a scheduled job notices (:data:`EXIT_CODES`): 0 when every
experiment was analysed, 3 when the report was written but some experiments could not
be analysed (one line on stderr names them), 1 when a ``--fail-on`` condition holds
(SRM alarm, an experiment not analysed, a broken guardrail), 2 for bad input (nothing
written).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from abtest.cli._common import fail_usage, write_atomic
from abtest.cli.analyze import (
    TABLE_SUFFIXES,
    InputError,
    OneLineErrors,
    analyze_registry_experiment,
    load_registry_or_fail,
)
from abtest.data.readers import find_log

STATUSES = ("draft", "running", "stopped", "concluded")
FORMATS = {
    "html": (".html", ".htm"),
    "markdown": (".md", ".markdown"),
    "csv": (".csv",),
    "json": (".json",),
}
FAIL_ON = ("srm", "not-analysed", "guardrail")
EXIT_CODES = {
    0: "report written; every experiment analysed",
    1: "report written; a --fail-on condition holds",
    2: "bad input or usage; nothing written",
    3: "report written; some experiments could not be analysed",
}


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
@click.option(
    "--out", metavar="FILE", help="Write here (.html, .md, .csv or .json) instead of stdout."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="Default: from --out's suffix, else html. csv: one tidy row per experiment, "
    "goal and variant; json: every experiment's analysis.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Experiments with this status (repeatable; default running).",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    type=click.Choice(FAIL_ON),
    help="Exit 1 (after writing the report) when an experiment has an SRM alarm, could "
    "not be analysed, or breaks a guardrail. Repeatable; for CI.",
)
@click.option("--no-plots", is_flag=True, help="Leave the plots out.")
@click.option(
    "--quiet", is_flag=True, help="No progress on stderr (it shows only on a terminal anyway)."
)
def report(
    registry: str,
    source: str,
    week: str | None,
    out: str | None,
    fmt: str | None,
    statuses: tuple[str, ...],
    fail_on: tuple[str, ...],
    no_plots: bool,
    quiet: bool,
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
    Exit status: 0 every experiment analysed; 3 the report was written but some
    experiments could not be analysed (named on stderr); 1 a --fail-on condition
    holds; 2 bad input (nothing written).

    \b
    Example:
      abtest report experiments/ --data events/ --week 2026-W47 --out report.html
      abtest report experiments/ --data events/ --out results.csv --fail-on srm
    """
    from abtest.cli._common import (
        check_output,
        one_line_warnings,
        output_format,
        silence_progress,
    )
    from abtest.report.weekly import parse_week, weekly_report

    one_line_warnings()
    silence_progress(quiet)
    try:
        parsed_week = parse_week(week)
    except ValueError as e:
        fail_usage(f"--week: {e}")
    fmt = output_format(out, fmt, FORMATS, "html")
    check_output(out, [source, registry])
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
    table = _interactions(experiments, data, parsed_week.end)
    entries = [(e, _with_interactions(a, table, e.id)) for e, a in entries]
    with _progress(len(entries), "Rendering") as step:
        try:
            if fmt in ("csv", "json"):
                text = tidy_csv(entries) if fmt == "csv" else entries_json(entries)
                if out is not None:
                    write_atomic(out, text)
            else:
                text = weekly_report(
                    entries,
                    week=parsed_week.start,
                    fmt=fmt,
                    out_path=out,
                    plots=not no_plots,
                    on_progress=step,
                    interactions=table,
                )
        except OSError as e:
            fail_usage(f"cannot write {out}: {e.strerror or e}")
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
    raise SystemExit(_exit(entries, out, fail_on, parsed_week.end))


def _exit(
    entries: list[tuple[Any, Any]], out: str | None, fail_on: tuple[str, ...], week_end: Any
) -> int:
    """The exit status (:data:`EXIT_CODES`), with one summary line on stderr. An
    experiment that starts after the report's week has no data to miss: not counted as
    not analysed (it made the report exit 3)."""
    analysed = [(e, a) for e, a in entries if not isinstance(a, str | None)]
    later = {e.id for e, a in entries if e.start is not None and e.start > week_end}
    absent = [(e, a) for e, a in entries if isinstance(a, str | None) and e.id not in later]
    missing = [(e.id, a or "no data") for e, a in absent]
    alarms = [e.id for e, a in analysed if bool(a.srm.mismatch)]
    broken = sorted(
        {e.id for e, a in analysed for g in a.decision.guardrails if g.status == "broken"}
    )
    where = f"wrote {out}" if out else "report"
    summary = (
        f"{where}: {len(entries)} experiment(s), {len(analysed)} analysed, "
        f"{len(alarms)} SRM alarm(s)"
    )
    if missing:
        summary += "; not analysed: " + "; ".join(f"{i} ({_short(why)})" for i, why in missing)
    if out or missing:
        click.echo(f"abtest: {summary}", err=True)
    failed = [
        name
        for name, hit in (("srm", alarms), ("not-analysed", missing), ("guardrail", broken))
        if name in fail_on and hit
    ]
    if failed:
        click.echo(f"abtest: --fail-on {', '.join(failed)}: exit 1", err=True)
        return 1
    return 3 if missing else 0


def _short(text: str, width: int = 80) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def tidy_csv(entries: list[tuple[Any, Any]]) -> str:
    """One row per (experiment, goal, variant) of every analysed experiment, with the
    experiment's decision; a not-analysed experiment is one row saying why."""
    import pandas as pd

    frames = []
    for experiment, analysis in entries:
        if isinstance(analysis, str | None):
            frames.append(
                pd.DataFrame(
                    {
                        "experiment": [experiment.id],
                        "decision": "not analysed",
                        "reason": [analysis or "no data"],
                    }
                )
            )
            continue
        t = analysis.table()
        t.insert(0, "experiment", experiment.id)
        t["winner"] = analysis.winner
        t["decision"] = "winner" if analysis.winner is not None else "no winner"
        t["reason"] = analysis.reason
        t["srm_p_value"] = float(analysis.srm.p_value)
        frames.append(t)
    return pd.concat(frames, ignore_index=True).to_csv(index=False)


def entries_json(entries: list[tuple[Any, Any]]) -> str:
    """Every experiment's :meth:`Analysis.to_dict`, or why it was not analysed."""
    import json

    out = [
        {"experiment": e.id, "analysed": False, "reason": a or "no data"}
        if isinstance(a, str | None)
        else {"analysed": True, **a.to_dict()}
        for e, a in entries
    ]
    return json.dumps(out, indent=2, allow_nan=False) + "\n"


def _analysis_or_reason(experiment: Any, data: Path, as_of: Any) -> Any:
    """The experiment's Analysis on the data up to ``as_of`` (event logs only), or a
    one-line reason why there is none."""
    source = locate_data(data, experiment.id)
    if source is None:
        return f"no data for {experiment.id} in {data}"
    try:
        return analyze_registry_experiment(experiment, source, as_of=as_of)
    except InputError as e:  # bad data, or a method this build lacks: report, don't stop
        return str(e)


def _interactions(experiments: list[Any], data: Path, as_of: Any) -> Any:
    """With one shared log for the experiments (a folder with exposures and conversions):
    the interactions between those that share units; else None."""
    if not data.is_dir() or len(experiments) < 2:
        return None
    exposures, conversions = find_log(data, "exposures"), find_log(data, "conversions")
    if exposures is None or conversions is None:
        return None
    from abtest.analysis.interactions import interactions

    try:
        return interactions(experiments, str(exposures), str(conversions), as_of=as_of)
    except (ValueError, OSError) as e:
        click.echo(f"abtest: warning: interactions not checked: {e}", err=True)
        return None


def _with_interactions(analysis: Any, table: Any, experiment_id: str) -> Any:
    if table is None or isinstance(analysis, str | None):
        return analysis
    import dataclasses

    mine = table[table["experiment"] == experiment_id].reset_index(drop=True)
    return dataclasses.replace(analysis, interactions=mine)


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
    """A progress bar on stderr when it is a terminal; silent otherwise (also in CI and
    with --quiet: :func:`abtest.data.progress.display_mode`)."""
    from abtest.data.progress import display_mode, quiet

    if total < 2 or display_mode(None) != "terminal":
        yield lambda _item: None
        return
    # one display at a time: summarize's own line would write over the bar
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar, quiet():
        yield lambda _item: bar.update(1)
