"""Step 1 of the query (:mod:`abtest.data.query`): per (experiment, unit) the first
exposure, the variant it showed, and whether the unit saw more than one variant.

This grouping of every exposure row into (experiment, unit) pairs is most of the
query's time (at 10M units about 30M rows into 20M pairs; docs/data.md
"Performance"), so on DuckDB it keeps as little state per pair as found to work:
one packed integer and one narrow bit set (:func:`assign`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from abtest.data import clock as times
from abtest.data.query_columns import MISSING_SEGMENT

if TYPE_CHECKING:
    from abtest.data.query import QueryPlan

# the packed path's own columns (the user's segment columns reach this table renamed,
# abtest.data.query_columns)
VKEY, SEEN, KEY = "_abtest_vkey", "_abtest_seen", "_abtest_key"


def packed_arms(arms: Any, plan: QueryPlan) -> Any:
    """The arms with what the packed assignment adds per exposure row, worked out once
    per arm instead of on every row: :data:`VKEY`, the variant index as the 64-bit integer
    packed beside the time, and :data:`SEEN`, its bits and its complement's (:func:`assign`).
    """
    mask = (1 << plan.bits) - 1
    vi = arms.vi.cast("int64")
    seen = (vi + (mask - vi) * (1 << plan.bits)).cast("int32")
    return arms.mutate(**{VKEY: vi, SEEN: seen})


def assign(e: Any, plan: QueryPlan, clock: times.Clock, backend: str) -> tuple[Any, Any]:
    """Per (exp, unit_id): ``first`` exposure (in ``clock`` units), ``vi`` of the first
    exposure, ``multi`` (more than one variant seen), the segments at the first exposure;
    and per (exp, vi) the multi-variant units by their first variant (None when ``vi``
    already holds it for them too).

    Packed (DuckDB): two aggregates per unit. ``min(t · 2^bits + vi)`` is the first time
    and, on a tie of times, the lowest variant index; ``bit_or(vi | (mask - vi) << bits)``
    collects the bits set in any vi (low half) and in any complement (high half), and a
    bit is in both exactly when two variants differ in it, i.e. when the unit saw more
    than one variant. The packed variant and its bit set are per-arm constants, joined
    in from :func:`packed_arms` (computing them on each of 30M rows took 0.6
    thread-seconds at 10M units). At 10M units this grouping takes 2.3 s, against 2.6-2.8 s for
    ``min(time), min(vi), max(vi)`` (DuckDB pays about 0.6 s for each 64-bit aggregate
    state over 20M groups, 0.2 s for a narrow one), which then need the look-back
    (+0.7 s). ``multi`` is exact; times must stay within ±2^(63 - bits) µs of 1970,
    else DuckDB raises an overflow and summarize reruns the portable form.

    Portable: ``min(time)``, ``min(vi)``, ``max(vi)`` (equal ⇔ one variant); the
    variant of the first exposure of the few multi-variant units is found by a second,
    semi-joined look at their exposures (cheaper than an argmin over every unit).
    """
    # the segment at the first exposure, "(missing)" when that one has none or an empty
    # one (DuckDB's arg_min skips NULL values: it took a later exposure's segment instead)
    seg = {s: e[s].cast("string").nullif("").fill_null(MISSING_SEGMENT) for s in plan.segments}
    seg_aggs = {s: times.argmin(v, e.timestamp, backend) for s, v in seg.items()}
    if plan.packed:
        mask = (1 << plan.bits) - 1
        key = clock.of(e.timestamp) * (1 << plan.bits) + e[VKEY]
        aggs = {KEY: key.min(), SEEN: e[SEEN].bit_or()}
        g = e.group_by(["exp", "unit_id"]).aggregate(**aggs, **seg_aggs)
        a = g.select(
            "exp",
            "unit_id",
            *plan.segments,
            vi=(g[KEY] & mask).cast(e.vi.type()),
            first=g[KEY] >> plan.bits,
            multi=((g[SEEN] & mask) & (g[SEEN] >> plan.bits)) != 0,
        )
        return a, None
    keys = ["exp", "unit_id"]
    # SQLite's argmin is its bare-column rule (the value on the row of the grouping's
    # MIN), which with several MIN/MAX in one grouping may take another one's row: there,
    # each segment in a grouping of its own
    alone = backend == "sqlite"
    g = e.group_by(keys).aggregate(
        first=clock.of(e.timestamp).min(), lo=e.vi.min(), hi=e.vi.max(),
        **({} if alone else seg_aggs),
    )  # fmt: skip
    if alone:
        for s, agg in seg_aggs.items():
            g = g.join(e.group_by(keys).aggregate(**{s: agg}), keys)
    a = g.select("exp", "unit_id", *plan.segments, "first", vi=g.lo, multi=g.lo != g.hi)
    several = g.filter(g.lo != g.hi).select("exp", "unit_id")
    back = e.semi_join(several.select("unit_id"), "unit_id").join(several, ["exp", "unit_id"])
    first = back.group_by(["exp", "unit_id"]).aggregate(
        vi=times.argmin(back.vi, back.timestamp, backend)
    )
    multi = first.group_by(["exp", "vi"]).aggregate(multi=first.count())
    return a, multi
