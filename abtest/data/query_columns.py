"""The user's segment and value columns as the query reads them: under names of its own.

The query adds columns beside the logs' (``first``, ``vi``, ``exp``, ``multi``, ``t``,
``ev``, ``m0``, ``val0``, ``day``, ...; :mod:`abtest.data.query`), and the small tables it
joins in carry more (``slot``, ``metric``; ``arm`` and ``known`` in
:mod:`abtest.data.assemble`). A segment or value column bearing one of those names was
read in its place — a value goal on a column called ``ev`` summed to 0, one on ``m1`` to
the wrong goal's values — or stopped the query with an engine error that named no column
of the user's. So the query gets only the columns it reads, the segment columns renamed
``_abtest_seg<i>`` and the value columns ``_abtest_val<i>`` (:func:`for_query`), and
:func:`abtest.data.assemble.assemble` gives the segments their names back.

What is left: a segment cannot bear a name the Summary keeps for itself (its columns,
``excluded_<reason>`` in ``to_frame()``), nor ``unit_id`` or ``timestamp``
(:func:`abtest.vocabulary.segment_name_problem`), nor be named twice; :func:`check_segments`
says so in one line, with the rename that gets around it, and ``abtest validate`` says the same of a
registry's ``data.segments`` (:mod:`abtest.registry.data_rules`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

from abtest.data.model import CONVERSION_COLUMNS, EXPOSURE_COLUMNS
from abtest.vocabulary import segment_alias, segment_name_problem

#: A unit's segment when its first exposure has no value in the segment column.
MISSING_SEGMENT = "(missing)"


def segments_of(by: Any) -> tuple[str, ...]:
    """``summarize``'s ``by`` (None, a column name or a list of them) as the segment
    columns, checked (:func:`check_segments`); anything else is refused in one line."""
    if by is None:
        return ()
    ordered = isinstance(by, Iterable) and not isinstance(by, Mapping | Set)
    names = (by,) if isinstance(by, str) else tuple(by) if ordered else None
    if names is None or not all(isinstance(n, str) for n in names):
        raise TypeError(f"by = {by!r}: give an exposure column name or a list of them")
    check_segments(names)
    return tuple(str(n) for n in names)


def check_segments(segments: Sequence[str]) -> None:
    """Refuse, in one line, a segment name the Summary cannot keep
    (:func:`abtest.vocabulary.segment_name_problem`), with the rename around it."""
    for i, name in enumerate(segments):
        if name in segments[:i]:
            raise ValueError(f"by: {name!r} is named twice; give each segment column once")
        problem = segment_name_problem(name)
        if problem is None:
            continue
        alias = segment_alias(name)
        raise ValueError(
            f"by: {name!r} {problem}, so a segment cannot take it; read the column under "
            f"another name, e.g. {alias!r} with columns={{'exposures': {{{alias!r}: {name!r}}}}}"
        )


def segment_names(n: int) -> tuple[str, ...]:
    """The query's names of the first ``n`` segment columns."""
    return tuple(f"_abtest_seg{i}" for i in range(n))


def value_names(values: Sequence[str]) -> dict[str, str]:
    """Value column (the user's name) -> the query's name for it."""
    return {v: f"_abtest_val{i}" for i, v in enumerate(dict.fromkeys(values))}


def for_query(
    exposures: Any, conversions: Any, segments: Sequence[str], values: Sequence[str]
) -> tuple[Any, Any, dict[str, str]]:
    """The prepared logs (canonical columns, segment and value columns under the user's
    names; :func:`abtest.data.checks.prepare`) with only the columns the query reads:
    the canonical ones, and the segment and value columns under the query's names
    (:func:`segment_names`, :func:`value_names`), and the value columns' names there."""
    seg = dict(zip(segment_names(len(segments)), segments, strict=True))
    e = exposures.select(*EXPOSURE_COLUMNS, **{a: exposures[s] for a, s in seg.items()})
    val = value_names(values)
    c = conversions.select(*CONVERSION_COLUMNS, **{a: conversions[v] for v, a in val.items()})
    return e, c, val
