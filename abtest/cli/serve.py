"""``abtest assign`` (variants for a file of unit ids) and ``abtest export``
(the running experiments' definitions for a website's GrowthBook SDK).

Ids are streamed: a Parquet file is read in row batches, a CSV in blocks, and each
batch is assigned and written before the next is read, so a file of any size fits.
The output is written next to its destination and renamed into place at the end.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from abtest.cli._common import (
    InputError,
    OneLineErrors,
    check_output,
    fail_usage,
    load_registry_or_fail,
    write_atomic,
)

ID_SUFFIXES = {"csv": (".csv",), "parquet": (".parquet", ".pq")}
BATCH = 1 << 20


def _kind(path: str, what: str) -> str:
    suffix = Path(path).suffix.lower()
    for kind, suffixes in ID_SUFFIXES.items():
        if suffix in suffixes:
            return kind
    fail_usage(f"{what} {path}: give a .csv or .parquet file")


def _batches(path: str, kind: str, column: str) -> Any:
    """The id column of ``path`` in batches (strings from CSV keep leading zeros)."""
    import pyarrow as pa

    if kind == "parquet":
        import pyarrow.parquet as pq

        file = pq.ParquetFile(path)
        names = file.schema_arrow.names
        if column not in names:
            raise InputError(f"--ids {path}: no column '{column}' (columns: {', '.join(names)})")
        for batch in file.iter_batches(batch_size=BATCH, columns=[column]):
            yield batch.column(0)
        return
    import pyarrow.csv as pacsv

    with open(path, "rb") as f:
        header = f.readline().decode("utf-8", "replace").rstrip("\r\n").split(",")
    names = [h.strip().strip('"') for h in header]
    if column not in names:
        raise InputError(f"--ids {path}: no column '{column}' (columns: {', '.join(names)})")
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=32 << 20),
        convert_options=pacsv.ConvertOptions(
            include_columns=[column], column_types={column: pa.string()}, strings_can_be_null=True
        ),
    )
    for batch in reader:
        yield batch.column(0)


def _csv_line(path: str, row: int) -> int:
    """The 1-based line of data row ``row`` (0-based) of a CSV file, as a text editor
    counts: Arrow's reader skips blank lines and a quoted field may span lines, so the
    row index alone does not say it. Only read to word an error."""
    import csv

    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f)
        next(reader, None)  # the header
        start, seen = reader.line_num + 1, -1
        for record in reader:
            if record:  # a blank line is no row (Arrow's ignore_empty_lines)
                seen += 1
                if seen == row:
                    return start
            start = reader.line_num + 1
    return row + 2


def _writer(path: str, kind: str, column: str) -> Any:
    import pyarrow as pa

    schema = pa.schema([(column, pa.string()), ("variant", pa.string())])
    if kind == "parquet":
        import pyarrow.parquet as pq

        return schema, pq.ParquetWriter(path, schema)
    import pyarrow.csv as pacsv

    return schema, pacsv.CSVWriter(path, schema)


@click.command(cls=OneLineErrors)
@click.argument("experiment_id")
@click.option("--registry", default="experiments", show_default=True, help="Registry folder.")
@click.option("--ids", "ids_path", required=True, help="CSV or Parquet file of unit ids.")
@click.option("--column", default="unit_id", show_default=True, help="The id column.")
@click.option("--out", required=True, help="CSV or Parquet file to write (id, variant).")
def assign(experiment_id: str, registry: str, ids_path: str, column: str, out: str) -> None:
    """Assign every unit id in a file to its variant, as the registry serves them.

    \b
    Writes one row per id: the id and its variant (empty where the unit is not in
    the experiment: outside coverage, its namespace slice, or in the holdout).
    Example:
      abtest assign pricing-cta-wording --ids users.parquet --column user_id --out v.parquet
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from abtest.assignment import variant_index

    if not Path(ids_path).is_file():
        what = (
            "not a regular file (a device, pipe or folder)"
            if Path(ids_path).exists()
            else ("no such file")
        )
        fail_usage(f"--ids {ids_path}: {what}; give a CSV or Parquet file of ids")
    in_kind, out_kind = _kind(ids_path, "--ids"), _kind(out, "--out")
    check_output(out, [ids_path])
    try:
        reg = load_registry_or_fail(registry)
        if experiment_id not in reg:
            raise InputError(
                f"no experiment {experiment_id!r} in {registry} (it has: {', '.join(sorted(reg))})"
            )
        exp = reg[experiment_id]
        names = pa.array([v.id for v in exp.variants] + [None], pa.string())
        target = Path(out)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        os.close(fd)
        try:
            schema, writer = _writer(tmp, out_kind, column)
            row = 0
            with writer:
                for ids in _batches(ids_path, in_kind, column):
                    if ids.null_count:
                        at = row + int(pc.index(pc.is_null(ids), True).as_py())
                        line = (
                            f"line {_csv_line(ids_path, at)}"
                            if in_kind == "csv"
                            else (f"row {at + 1}")
                        )
                        raise InputError(
                            f"--ids {ids_path}: {line}: column '{column}' is empty; every "
                            "unit needs an id (drop that row or give it one)"
                        )
                    index = variant_index(ids, exp)
                    variant = names.take(pa.array(index % len(names)))
                    text = ids.cast(pa.string())
                    writer.write_table(pa.table([text, variant], schema=schema))
                    row += len(ids)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except InputError as e:
        fail_usage(str(e))
    except (ValueError, OSError, pa.ArrowException) as e:
        fail_usage(f"--ids {ids_path}: {e}")
    click.echo(f"assigned {row:,} ids to {experiment_id}'s variants: {out}", err=True)


@click.command(cls=OneLineErrors)
@click.option("--registry", default="experiments", show_default=True, help="Registry folder.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["growthbook", "json"]),
    default="growthbook",
    show_default=True,
    help="growthbook: the SDK's Experiment objects; json: the registry's own words.",
)
@click.option(
    "--hash-attribute",
    default="id",
    show_default=True,
    help="The SDK user attribute holding the unit id (growthbook format).",
)
@click.option("--out", default=None, help="Write to this .json file instead of standard output.")
def export(registry: str, fmt: str, hash_attribute: str, out: str | None) -> None:
    """Export the running experiments for a website or edge function.

    \b
    The growthbook format is what a GrowthBook SDK's run(experiment) takes, so the
    site serves exactly the variants abtest assigns (docs/serving.md).
    """
    from abtest.assignment.export import export as build

    try:
        reg = load_registry_or_fail(registry)
    except InputError as e:
        fail_usage(str(e))
    text = json.dumps(build(reg.values(), fmt, hash_attribute), indent=2, ensure_ascii=False)
    if out is None:
        click.echo(text)
    else:
        check_output(out, [registry])
        write_atomic(out, text + "\n")
