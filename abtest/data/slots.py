"""The goal slots of the query: per event, the goals it feeds (its metric codes, value
columns and windows), the value and in-window expressions of a goal code, and the
per-unit aggregates each slot computes — in-window conversion, value sums, and the
flags of values that cannot be summed."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from abtest.data.clock import Clock
    from abtest.data.query import QueryPlan


class Slot:
    """Goal number ``i`` of each event: its column names and what it needs.

    The conversions are joined to the goals once per *event* (not once per goal): a
    purchase row carries both the "purchase" (binary) and the "revenue" (value) goal
    side by side, as slots 0 and 1, so the per-unit grouping has one row per
    (unit, event) instead of one per (unit, goal). A slot's columns on the rows of
    an event with fewer goals are never read.
    """

    def __init__(self, i: int, plan: QueryPlan) -> None:
        self.i = i
        self.m = f"m{i}"  # the goal's metric code on this event's rows (-1: none)
        self.val, self.v, self.conv = f"val{i}", f"v{i}", f"conv{i}"
        self.vsum, self.vsq, self.sum_xy = f"vsum{i}", f"vsq{i}", f"sum_xy{i}"
        self.negative, self.null_value = f"negative{i}", f"null_value{i}"
        self.cap, self.capped = f"cap{i}", f"capped{i}"  # capping.attach; per-unit cut 0/1
        here = {ev: ms[i] for ev, (_, ms) in enumerate(plan.events) if len(ms) > i}
        self.value_events = [ev for ev, m in here.items() if m in plan.value_columns]
        self.value_codes = [here[ev] for ev in self.value_events]
        self.values = bool(self.value_codes)

    def y(self, ev: Any, conv: Any, v: Any) -> Any:
        """A unit's metric in this slot: its value sum (value goals) or conversion 0/1."""
        import ibis

        if not self.values:
            return conv.cast("float64")
        return ibis.cases((ev.isin(self.value_events), v), else_=conv.cast("float64"))


def locate(plan: QueryPlan, codes: Any) -> dict[int, tuple[int, int]]:
    """Goal code (of ``codes``) -> (event code, slot) of its per-unit columns."""
    out = {}
    for ev, (_, ms) in enumerate(plan.events):
        for i, m in enumerate(ms):
            if m in codes:
                out[m] = (ev, i)
    return out


def goals_table(plan: QueryPlan) -> Any:
    """``event, ev, m0, m1, ...``: each goal event, its code and its goals' metric codes."""
    import ibis
    import pandas as pd

    n = len(plan.events)
    code = "int16" if max(n, len(plan.windows)) < 2**15 else "int32"
    cols: dict[str, Any] = {
        "event": [e for e, _ in plan.events],
        "ev": pd.array(range(n), dtype=code),
    }
    for i in range(plan.n_slots):
        cols[f"m{i}"] = pd.array([ms[i] if len(ms) > i else -1 for _, ms in plan.events], code)
    return ibis.memtable(pd.DataFrame(cols))


_LARGEST = sys.float_info.max


def unit_aggs(j: Any, after: Any, windows: dict, slots: list, packed: bool = False) -> dict:
    """Per unit and event: events before exposure, and per goal slot in-window
    conversion (0/1), value sum and the negative / missing value flags.

    ``windows`` is what :func:`drop_idle_rows` returns with the rows: per slot its
    window test, or None where every row passed it; a row counts for a slot when
    ``after`` and its window hold.

    Packed (DuckDB): the 0/1 flags are bits of one integer, OR-ed over the unit's rows
    (one column; the max of a 0/1 flag is its OR), which :func:`unpack` turns back into
    columns. DuckDB updates each aggregate's states in a pass of its own over the rows,
    so at 10M units one ``bit_or`` instead of four ``max`` takes this grouping from 2.5
    to 1.6 thread-seconds (docs/data.md "Performance"). ``before`` (not ``after``) and
    every other flag (each inside a window, so ``after``) exclude each other, so one
    ``CASE`` on ``after`` picks bit 0 or the others, whose tests then leave ``after``
    out (and a window the rows already passed): at 10M units that projection took
    0.6 thread-seconds with every test written out.
    """
    import ibis

    def inside(sl: Slot) -> Any:
        w = windows[sl.i]
        return after if w is None else after & w

    flags, sums = _slot_aggs(j, inside, slots)
    if _packs(slots, packed):
        later, _ = _slot_aggs(j, lambda sl: windows[sl.i], slots)
        zero = ibis.literal(0, "int64")
        bits = [ibis.literal(1 << k, "int64") if c is None else
                ibis.cases((c, ibis.literal(1 << k, "int64")), else_=zero)
                for k, c in enumerate(later.values(), start=1)]  # fmt: skip
        word = ibis.cases((after, sum(bits[1:], bits[0])), else_=ibis.literal(1, "int64"))
        return {FLAGS: word.bit_or(), **sums}
    one, zero = ibis.literal(1, "int64"), ibis.literal(0, "int64")
    flags = {"before": ~after, **flags}
    return {**{k: ibis.cases((c, one), else_=zero).max() for k, c in flags.items()}, **sums}


def _slot_aggs(j: Any, inside: Any, slots: list) -> tuple[dict, dict]:
    """Per slot (in :func:`_flag_names`' order, ``before`` left out) the 0/1 flags'
    conditions, and the value sums, with ``inside(slot)`` its in-window test (None: every
    row is in its window, and a condition None holds on every row)."""
    import ibis

    flags, sums = {}, {}
    for sl in slots:
        w = inside(sl)

        def within(cond: Any, w: Any = w) -> Any:
            return cond if w is None else w & cond

        flags[sl.conv] = w
        if sl.values:
            val = j[sl.val]
            # a usable value: present, not negative, finite. NaN is NULL on SQLite and the
            # largest value on DuckDB and Spark, so "at most the largest double" excludes
            # it and +inf on every engine, with no isnan (SQLite cannot compile it)
            finite = val.notnull() & (val >= 0) & (val <= _LARGEST)
            is_value = j[sl.m].isin(sl.value_codes)
            sums[sl.v] = ibis.cases((within(finite), val), else_=0.0).sum()
            flags[sl.negative] = within(val < 0)
            # missing, NaN or +inf: never summed as 0 (summarize refuses them)
            unusable = is_value & (val.isnull() | ~(val < 0) & ~(val <= _LARGEST))
            flags[sl.null_value] = within(unusable)
    return flags, sums


#: The most 0/1 flags :func:`unit_aggs` packs into one BIGINT, bits 0-62 (more: one
#: max each).
_FLAG_BITS = 63
#: The packed flags' column (``_abtest_``: the query's own names; the user's segment and
#: value columns reach it renamed, :mod:`abtest.data.query_columns`).
FLAGS = "_abtest_flags"


def unpack(u: Any, slots: list, *, packed: bool) -> Any:
    """The per-unit table of :func:`unit_aggs` (called with the same ``packed``) with its
    flag bits back as the 0/1 columns ``before``, ``conv<i>``, ``negative<i>``,
    ``null_value<i>``."""
    if not _packs(slots, packed):
        return u
    cols = {n: (u[FLAGS] >> k) & 1 for k, n in enumerate(_flag_names(slots))}
    return u.mutate(**cols).drop(FLAGS)


def _packs(slots: list, packed: bool) -> bool:
    """Whether :func:`unit_aggs` packs the flags (and :func:`unpack` has bits to read)."""
    return packed and len(_flag_names(slots)) <= _FLAG_BITS


def _flag_names(slots: list) -> list[str]:
    """The per-unit 0/1 columns, in the order of their bits in ``flags``."""
    names = ["before"]
    for sl in slots:
        names += [sl.conv, *([sl.negative, sl.null_value] if sl.values else [])]
    return names


def value(c: Any, metric: Any, plan: QueryPlan) -> Any:
    """The value column of the goal with code ``metric`` (NULL for binary goals)."""
    import ibis

    if not plan.value_columns:
        return ibis.null("float64")
    cases = [(metric == code, c[col].cast("float64")) for code, col in plan.value_columns.items()]
    return ibis.cases(*cases, else_=ibis.null("float64"))


def in_window(j: Any, metric: Any, plan: QueryPlan, clock: Clock) -> Any:
    """``t < first + window`` of the goal with code ``metric`` (window None: before the
    analysis end; no goal: false)."""
    import ibis

    by_window: dict[timedelta | None, list[int]] = {}
    for code, w in plan.windows.items():
        by_window.setdefault(w, []).append(code)
    conds = []
    for w, codes in by_window.items():
        if w is None:
            end = plan.analysis_end
            cond = ibis.literal(True) if end is None else clock.before(j.t, end)
        else:
            cond = clock.within(j.t, j.first, w)
        conds.append((metric.isin(codes), cond))
    if len(conds) == 1:  # one window for every goal (rows of other codes are never read)
        return conds[0][1]
    return ibis.cases(*conds, else_=ibis.literal(False))


def drop_idle_rows(j: Any, slots: list, plan: QueryPlan, clock: Clock) -> tuple[Any, dict]:
    """The joined (unit, goal event) rows that count for something: before the first
    exposure (the ``before`` flag) or inside a window of one of the event's goals; and
    per slot the window test those rows still need (None: every row passed it), what
    :func:`unit_aggs` takes.

    A row after every window adds 0 to each per-unit aggregate (conversion, value, the
    flags) and to the caps' and quantiles' positive values, so it leaves before the
    per-unit grouping (at 10M units in the benchmark, a quarter of the joined rows).
    When a goal counts every later event (window None with no analysis end) no row is
    idle and the table is returned as it is.

    The test is written as the engine should evaluate it: ``t < first`` or ``t`` inside
    a slot's window, without the ``t >= first`` each window test would repeat; when every
    window is finite ``t < first`` goes too (a window is positive, so it is inside slot
    0's, which every event has), and slots with the same test (one window for all goals)
    test once. With one window the filter is ``t < first + window`` (at 10M units in the
    benchmark about 4% of the query; docs/data.md "Performance"), the test of every slot,
    which the rows then need no more.
    """
    import ibis

    tests = {sl.i: in_window(j, j[sl.m], plan, clock) for sl in slots}
    if plan.analysis_end is None and None in plan.windows.values():
        return j, tests
    checks = list(tests.values())
    if None in plan.windows.values():  # t < first implies t < the analysis end too, as
        # summarize sets it (after every first exposure); kept so the filter does not rest on it
        checks.insert(0, j.t < j.first)
    distinct = [op.to_expr() for op in dict.fromkeys(t.op() for t in checks)]
    kept = j.filter(ibis.or_(*distinct))
    if len(distinct) == 1:  # one test, every slot's: the kept rows all pass it
        return kept, dict.fromkeys(tests)
    return kept, tests
