"""Reading the files a user points abtest at, before any query: a counts CSV, a
unit-level table, a folder of logs, and the column names a log has.

Every problem is a ``ValueError`` naming the file (and the line where there is one);
the command line prints it as one line. Nothing here changes a file.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from abtest.data.summary import Summary

COUNT_COLUMNS = ("variant", "visitors", "conversions")
LOG_SUFFIXES = (".parquet", ".pq", ".csv")


def read_counts(path: str | os.PathLike[str]) -> Summary:
    """A :class:`~abtest.data.Summary` from a counts CSV (``variant, visitors,
    conversions [, metric]``); every problem names the file and line."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [(h or "").strip().lower() for h in reader.fieldnames or []]
            lines = list(reader)
    except FileNotFoundError:
        raise ValueError(f"counts file {p}: not found") from None
    except IsADirectoryError:
        raise ValueError(f"counts file {p}: is a folder, expected a CSV file") from None
    except UnicodeDecodeError:
        raise ValueError(f"counts file {p}: not a UTF-8 text (CSV) file") from None
    except (OSError, csv.Error) as e:
        raise ValueError(f"counts file {p}: {e}") from None
    if not header:
        raise ValueError(f"{p}: empty file; expected a header {', '.join(COUNT_COLUMNS)}")
    missing = [c for c in COUNT_COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"{p}:1: missing column(s) {', '.join(missing)}; expected "
            f"{', '.join(COUNT_COLUMNS)} [, metric], found {', '.join(h for h in header if h)}"
        )
    if not lines:
        raise ValueError(f"{p}: no rows after the header")
    rows = []
    seen: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(lines, start=2):
        r = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        where = f"{p}:{i}"
        # fields beyond the header's (csv.DictReader's restkey); a trailing empty one, as
        # spreadsheets export, is no field
        extra = [x for x in raw.get(None) or () if x.strip()]
        if extra:
            raise ValueError(
                f"{where}: {len(extra)} more field(s) than the header has ({', '.join(extra)}); "
                "remove them or name their column in the header"
            )
        variant = r["variant"]
        if not variant:
            raise ValueError(f"{where}: empty variant")
        metric = r.get("metric") or "conversion"
        visitors = _whole(r["visitors"], "visitors", where)
        conversions = _whole(r["conversions"], "conversions", where)
        if conversions > visitors:
            raise ValueError(f"{where}: conversions {conversions} exceed visitors {visitors}")
        key = (variant, metric)
        if key in seen:
            raise ValueError(
                f"{where}: variant {variant!r}, metric {metric!r} repeats line {seen[key]}"
            )
        seen[key] = i
        rows.append(
            {
                "experiment": p.stem,
                "variant": variant,
                "metric": metric,
                "kind": "binary",
                "n": visitors,
                "sum": float(conversions),
                "sum_sq": float(conversions),
            }
        )
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    for metric in dict.fromkeys(r["metric"] for r in rows):
        have = {r["variant"] for r in rows if r["metric"] == metric}
        lacking = [v for v in variants if v not in have]
        if lacking:
            raise ValueError(
                f"{p}: metric {metric!r} has no row for variant(s) {', '.join(lacking)}"
            )
    if len(variants) < 2:
        raise ValueError(f"{p}: need at least two variants, found {', '.join(variants)}")
    # each metric's counts through Summary.from_counts (one definition of valid counts)
    frames = []
    for metric in dict.fromkeys(r["metric"] for r in rows):
        counts = {r["variant"]: (int(r["sum"]), r["n"]) for r in rows if r["metric"] == metric}
        frames.append(Summary.from_counts(counts, metric, experiment=p.stem).frame)
    order = tuple(dict.fromkeys(r["metric"] for r in rows))  # the file's order decides
    return Summary(pd.concat(frames, ignore_index=True), goals=order)


def _whole(text: str, column: str, where: str) -> int:
    try:
        value = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise ValueError(f"{where}: {column} = {text!r} is not a number") from None
    if not math.isfinite(value) or value != int(value) or value < 0:
        raise ValueError(f"{where}: {column} = {text!r} must be a whole number >= 0")
    return int(value)


def read_units(path: str | os.PathLike[str], experiment_id: str | None = None) -> pd.DataFrame:
    """A unit-level frame from a CSV or Parquet file (rows of other experiments dropped
    when the file has an ``experiment`` column)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"data file {path}: not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            df = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            raise ValueError(f"data file {path}: expected .csv or .parquet")
    except UnicodeDecodeError:  # (a ValueError: before it)
        raise ValueError(f"data file {path}: not UTF-8 text; save it as UTF-8") from None
    except (ValueError, OSError, pd.errors.ParserError) as e:
        if str(e).startswith("data file "):
            raise
        said = " ".join(str(e).split())  # one line: pandas' messages end in a newline
        raise ValueError(f"data file {path}: cannot read it ({said})") from None
    if experiment_id is not None and "experiment" in df.columns:
        df = df[df["experiment"].astype(str) == experiment_id].drop(columns="experiment")
        if df.empty:
            raise ValueError(f"data file {path}: no rows for experiment {experiment_id!r}")
    return df


def find_log(folder: str | os.PathLike[str], name: str) -> Path | None:
    """``folder/name.parquet`` (or ``.csv``), or a folder ``folder/name/`` of such files."""
    folder = Path(folder)
    for suffix in LOG_SUFFIXES:
        if (folder / f"{name}{suffix}").is_file():
            return folder / f"{name}{suffix}"
    if (folder / name).is_dir():
        return folder / name
    return None


def lacks_mapped_columns(mapping: dict[str, Any], *sources: Any) -> bool:
    """Whether a log lacks a column the mapping names while it has the canonical one
    (read from the file's header or schema, not the data); False when unknown."""
    flat = {k: v for k, v in mapping.items() if isinstance(v, str)}
    for source in sources:
        names = column_names(source)
        if names is None:
            continue
        for canonical, mapped in flat.items():
            if mapped not in names and canonical in names:
                return True
    return False


def column_names(source: Any) -> set[str] | None:
    """The column names of a log: a DataFrame's, a Parquet file's schema, a CSV file's
    header (the first file of a folder); None for other sources (Ibis tables, globs)."""
    if isinstance(source, pd.DataFrame):
        return {str(c) for c in source.columns}
    if not isinstance(source, str | Path):
        return None
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in LOG_SUFFIXES)
        if not files:
            return None
        path = files[0]
    if not path.is_file():
        return None
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return set(pq.read_schema(path).names)
        if path.suffix.lower() == ".csv":
            import csv

            with path.open(newline="", encoding="utf-8-sig") as fh:
                return {c.strip() for c in next(csv.reader(fh), [])}
    except (OSError, ValueError, UnicodeDecodeError):
        return None  # the data layer reports an unreadable file with its own message
    return None
