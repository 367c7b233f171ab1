"""Data-quality checks: column presence and types, time zones, nulls, unknown variants.

Each problem is either a clear error (naming the table, column, row or
variant at fault and what to do) or a counted exclusion that ends up in
``Summary.exclusions``; nothing is dropped silently and nothing the user gave
is modified (checks only read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from abtest.data.errors import describe
from abtest.data.model import ColumnMapping

#: Exclusion reasons, as they appear in ``Summary.exclusions["reason"]`` and as
#: ``excluded_<reason>`` columns of ``Summary.to_frame()``. The ``units`` count is
#: units, except for the ``null_*`` reasons where it counts rows (events).
REASONS = {
    "multiple_variants": "units exposed to more than one variant of the experiment "
    "(counted under the variant of their first exposure)",
    "unknown_variant": "units whose variant is not among the experiment's configured variants",
    "null_exposure": "exposure rows with an empty unit_id, timestamp, experiment or variant "
    "(rows, not units)",
    "null_conversion": "conversion rows of a goal event with an empty unit_id or timestamp "
    "(rows; not attributable to an experiment)",
    "before_exposure": "units with goal events before their first exposure "
    "(those events are ignored)",
}
# A value goal's in-window event with a missing, NaN, infinite or negative value is not an
# exclusion but an error (abtest.data.errors.refuse_unusable_values): summed as 0 it
# would turn into a confident, wrong verdict.


@dataclass(frozen=True)
class Prepared:
    """A source renamed to canonical columns, with what the checks learned."""

    table: Any
    tz_aware: bool


def prepare(
    table: Any,
    role: str,
    mapping: ColumnMapping,
    required: Sequence[str],
    extra: Iterable[str] = (),
    *,
    numeric: Iterable[str] = (),
) -> Prepared:
    """Select and rename ``required`` canonical columns (via ``mapping``) plus ``extra``
    user columns (kept under their own names); normalize ``timestamp``."""
    import ibis.expr.datatypes as dt

    cols = list(table.columns)
    wanted = {c: mapping.name(role, c) for c in required}
    extra = [e for e in dict.fromkeys(extra) if e not in wanted]
    for e in extra:
        wanted[e] = mapping.name(role, e)
    missing = {c: u for c, u in wanted.items() if u not in cols}
    if missing:
        said = ", ".join(
            f"{c!r}" if c == u else f"{c!r} (mapped to {u!r})" for c, u in missing.items()
        )
        raise ValueError(
            f"{role} has no column {said}; its columns are {', '.join(map(repr, cols))}. "
            f"Rename them or map them, e.g. columns={{'{role}': {{'{next(iter(missing))}': "
            f"'<your column>'}}}}"
        )
    out = table.select(**{c: table[u] for c, u in wanted.items()})
    for c in numeric:
        if c in wanted and _all_null(out[c].type()):  # empty on every row: no value yet
            out = out.mutate(**{c: out[c].cast("float64")})
        if c in wanted and not out[c].type().is_numeric():
            raise ValueError(
                f"{role} column {wanted[c]!r} holds {out[c].type()}, not numbers; "
                "a value goal needs a numeric column (e.g. revenue)"
            )
    tz_aware = False
    if "timestamp" in wanted:
        ts, tz_aware = _timestamp(out["timestamp"], role, wanted["timestamp"], out)
        out = out.mutate(timestamp=ts)
        if not isinstance(out["timestamp"].type(), dt.Timestamp):
            raise ValueError(f"{role} column {wanted['timestamp']!r} is not a timestamp")
    return Prepared(out, tz_aware)


def _timestamp(col: Any, role: str, name: str, table: Any) -> tuple[Any, bool]:
    typ = col.type()
    if typ.is_timestamp():
        if typ.timezone is not None:
            # aware: compare as UTC wall time (the default DuckDB session runs in UTC)
            return col.cast("timestamp"), True
        return col, False
    if typ.is_date():
        return col.cast("timestamp"), False
    if typ.is_string():
        con = table.get_backend()
        if con.name == "duckdb":
            has_offset = col.re_search(r"(Z|[+-]\d\d(:?\d\d)?)$")
            counts = con.execute(
                table.aggregate(with_tz=has_offset.sum(), without=(~has_offset).sum())
            )
            with_tz, without = (int(counts[c].iloc[0] or 0) for c in ("with_tz", "without"))
            if with_tz and without:
                raise ValueError(
                    f"{role} column {name!r} mixes timestamps with a time-zone offset "
                    f"({with_tz} rows) and without ({without} rows); abtest will not guess "
                    "the zone of the naive ones: write them all in UTC or all with an offset"
                )
            if with_tz:
                return col.cast("timestamp('UTC')").cast("timestamp"), True
        return col.cast("timestamp"), False
    raise ValueError(
        f"{role} column {name!r} holds {typ}, not timestamps; give datetimes (or ISO-8601 strings)"
    )


def _all_null(dtype: Any) -> bool:
    """A column of no values: Ibis' null type, or DuckDB's "NULL" type that Ibis does not
    know (a Parquet column written from an all-None pandas column)."""
    return dtype.is_null() or (dtype.is_unknown() and "NULL" in str(getattr(dtype, "raw_type", "")))


def check_compatible(
    exposures: Prepared,
    conversions: Prepared,
    mapping: ColumnMapping,
    sources: Mapping[str, Any] | None = None,
) -> None:
    """Same time-zone awareness and joinable unit_id types in both logs (``sources``, what
    the user passed per log, names the files in the message)."""
    if exposures.tz_aware != conversions.tz_aware:
        aware, naive = (
            ("exposures", "conversions") if exposures.tz_aware else ("conversions", "exposures")
        )
        raise ValueError(
            f"{aware}.{mapping.name(aware, 'timestamp')} has a time zone but "
            f"{naive}.{mapping.name(naive, 'timestamp')} is naive; abtest will not guess the "
            "zone of the naive one: make both UTC-aware (pd.to_datetime(..., utc=True)) or "
            "both naive UTC"
        )
    a, b = exposures.table["unit_id"].type(), conversions.table["unit_id"].type()
    if a.is_numeric() != b.is_numeric() or a.is_string() != b.is_string():
        given = sources or {}
        e, c = (describe(given[r], r) if r in given else r for r in ("exposures", "conversions"))
        text = a if a.is_string() else b
        raise ValueError(
            f"unit_id is {a} in {e} but {b} in {c}; they must match to be joined: find the "
            f"value of the {text} one that is not a number, or cast one of them (keeping "
            "leading zeros in mind)"
        )


def profile_exposures(exposures: Any, con: Any) -> pd.DataFrame:
    """Rows and rows with an empty unit_id or timestamp per (experiment, variant)."""
    return _profile(exposures, con, ["experiment", "variant"])


def profile_conversions(conversions: Any, con: Any, events: Sequence[str] | None) -> pd.DataFrame:
    """Rows and rows with an empty unit_id or timestamp per event (goal events only)."""
    t = conversions
    if events is not None:
        t = t.filter(t.event.isin(list(events)))
    return _profile(t, con, ["event"])


def _profile(t: Any, con: Any, keys: list[str]) -> pd.DataFrame:
    """``rows`` and ``null_rows`` per ``keys`` in one query.

    The empty-field rows are counted by two branches filtered on one ``IS NULL``
    each (not one ``OR``, nor a ``CASE`` over every row): an engine can answer those
    from file statistics (DuckDB skips every Parquet row group whose null count is
    0), so on clean data the profile costs one cheap grouped count.
    """
    import ibis

    zero = ibis.literal(0, "int64")
    rows = t.group_by(keys).aggregate(rows=t.count(), null_rows=zero)
    parts = [rows]
    for empty in (t.unit_id.isnull(), t.unit_id.notnull() & t.timestamp.isnull()):
        n = t.filter(empty)
        parts.append(n.group_by(keys).aggregate(rows=zero, null_rows=n.count()))
    df = con.execute(ibis.union(*parts))
    df = df.groupby(keys, as_index=False, dropna=False)[["rows", "null_rows"]].sum()
    df["rows"] = df["rows"].astype("int64")
    df["null_rows"] = df["null_rows"].astype("int64")
    return df


def arms_table(
    profile: pd.DataFrame,
    variants: Mapping[str, Sequence[str]] | None,
    unknown: str,
) -> pd.DataFrame:
    """One row per (experiment, variant) to analyse, with integer codes.

    ``exp`` numbers the experiments, ``vi`` the variants within an experiment (the
    query's codes) and ``arm`` the (experiment, variant) pairs; configured (known)
    arms come first, ``known`` tells them from the variants seen only in the data.
    Experiments not in ``variants`` are left out (not an exclusion: the log simply
    holds other experiments too).
    """
    seen = profile.dropna(subset=["experiment", "variant"])
    seen = seen.groupby(["experiment", "variant"], as_index=False)["rows"].sum()
    total, empty = int(profile["rows"].sum()), int(profile["null_rows"].sum())
    if not total:
        raise ValueError("the exposures log has no rows: nothing to analyse yet")
    if seen.empty or empty == total:
        what = "both an experiment and a variant" if seen.empty else "a unit_id and a timestamp"
        raise ValueError(
            f"the exposures log has {total:,} rows but none with {what}: check that those "
            "columns hold values (and, if they have other names, map them with columns=)"
        )
    if variants is None:
        config = {e: sorted(g["variant"]) for e, g in seen.groupby("experiment", sort=True)}
    else:
        config = {str(e): [str(v) for v in vs] for e, vs in variants.items()}
        if not config:
            raise ValueError("variants is empty: give {experiment: [variant ids]}")
        absent = [e for e in config if e not in set(seen["experiment"])]
        if len(absent) == len(config):
            have = sorted(map(str, set(seen["experiment"])))[:10]
            raise ValueError(
                f"no exposures for experiment(s) {', '.join(map(repr, absent))}; the exposures "
                f"log has {', '.join(map(repr, have)) or 'no experiments'}"
            )
    known_rows, unknown_rows = [], []
    for e, vs in config.items():
        for v in vs:
            known_rows.append((e, v))
        mine = seen[seen["experiment"] == e]
        extra = mine[~mine["variant"].isin(vs)]
        if len(mine) and len(extra) == len(mine):
            # not one exposure in a configured variant: the ids disagree, no result exists
            pairs = zip(extra["variant"], extra["rows"], strict=True)
            shown = ", ".join(f"{v!r} ({n:,} rows)" for v, n in pairs)
            raise ValueError(
                f"experiment {e!r}: none of its exposures is in a configured variant "
                f"({', '.join(map(repr, vs))}); the exposures log has {shown}. Fix the variant "
                "ids in the data or in the experiment's config"
            )
        for v, n in zip(extra["variant"], extra["rows"], strict=True):
            unknown_rows.append((e, str(v), int(n)))
    if unknown_rows and unknown == "error":
        e, v, n = unknown_rows[0]
        more = f" (and {len(unknown_rows) - 1} more)" if len(unknown_rows) > 1 else ""
        raise ValueError(
            f"experiment {e!r} has exposures to variant {v!r} ({n} rows), which is not one of "
            f"its configured variants {config[e]}{more}. Fix the variant ids in the config or "
            "the data, or pass unknown_variants='exclude' to count those units as excluded"
        )
    exps = list(config)
    rows = [(e, v, exps.index(e), True) for e, v in known_rows]
    rows += [(e, v, exps.index(e), False) for e, v, _ in unknown_rows]
    arms = pd.DataFrame(rows, columns=["experiment", "variant", "exp", "known"])
    arms["arm"] = range(len(arms))
    arms["exp"] = arms["exp"].astype("int64")
    arms["arm"] = arms["arm"].astype("int64")
    arms["vi"] = arms.groupby("exp").cumcount().astype("int64")
    return arms
