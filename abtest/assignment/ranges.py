"""Bucket ranges, the variant a bucket falls in, and namespaces (GrowthBook's SDK spec).

Semantics of GrowthBook ``packages/sdk-js/src/util.ts``: ``getBucketRanges``,
``chooseVariation`` and ``inNamespace``, checked against the spec's ``cases.json``. One
deliberate difference: input the SDK silently repairs (a coverage outside [0, 1],
weights of the wrong length or not summing to 1 within 0.01) raises ``ValueError``
here, because a registry that says one thing while the site serves another is exactly
how sample ratio mismatch starts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from abtest.assignment.hashing import bucket

Range = tuple[float, float]
WEIGHT_TOLERANCE = 0.01
"""Weights may sum to 1 within this (the SDK's own 0.99..1.01 acceptance)."""


def bucket_ranges(
    n_variants: int, coverage: float = 1.0, weights: Sequence[float] | None = None
) -> list[Range]:
    """The [lo, hi) slice of [0, 1) each variant takes.

    Variant ``i`` starts where the weights before it end and covers ``coverage`` of its
    weight: ``[sum(w[:i]), sum(w[:i]) + coverage * w[i])``. Raising ``coverage`` (a
    ramp-up from 0.2 to 0.5) only widens each range, so a unit already in keeps its
    variant; changing the weights moves the starts, which reshuffles units.

    Examples
    --------
    >>> bucket_ranges(3, 0.2, [0.2, 0.3, 0.5])  # cases.json getBucketRange, rounded
    [(0.0, 0.04000000000000001), (0.2, 0.26), (0.5, 0.6)]
    """
    if isinstance(n_variants, bool) or not isinstance(n_variants, (int, np.integer)):
        raise ValueError(f"n_variants must be a whole number, not {n_variants!r}")
    if n_variants < 1:
        raise ValueError(f"n_variants must be at least 1, not {n_variants}")
    coverage = _unit_float(coverage, "coverage")
    if weights is None:
        weights = [1.0 / n_variants] * n_variants
    weights = [float(w) for w in weights]
    if len(weights) != n_variants:
        raise ValueError(
            f"weights has {len(weights)} entries for {n_variants} variants; give one "
            "weight per variant"
        )
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError(f"weights must be finite and not negative, not {weights}")
    total = sum(weights)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"weights must sum to 1 (within 0.01); {weights} sum to {total:g}")
    out, cumulative = [], 0.0
    for w in weights:
        start = cumulative
        cumulative += w
        out.append((start, start + coverage * w))
    return out


def choose_variant(bucket_value: Any, ranges: Sequence[Range]) -> Any:
    """The index of the range holding each bucket (``lo <= b < hi``), or -1 for none.

    ``bucket_value`` is one number (an int is returned) or an array (an int64 array).
    The first matching range wins, as in the SDK's loop.
    """
    b = np.asarray(bucket_value, dtype=np.float64)
    out = np.full(b.shape, -1, dtype=np.int64)
    for i, (lo, hi) in reversed(list(enumerate(ranges))):
        out[(b >= lo) & (b < hi)] = i
    return int(out) if out.ndim == 0 else out


def in_namespace(unit_id: Any, namespace: tuple[str, float, float]) -> Any:
    """Whether each unit falls in the namespace's slice ``[lo, hi)``.

    GrowthBook's ``inNamespace``: the unit's version-1 bucket with seed ``"__" + name``.
    Experiments sharing a namespace with disjoint slices never share a unit.
    ``unit_id`` is one id (a bool is returned) or an array of ids (a bool array).
    """
    name, lo, hi = namespace
    if not isinstance(name, str) or not name:
        raise ValueError(f"namespace name must be non-empty text, not {name!r}")
    lo, hi = _unit_float(lo, "namespace lo"), _unit_float(hi, "namespace hi")
    if lo > hi:
        raise ValueError(f"namespace range [{lo}, {hi}) is empty: lo must not exceed hi")
    n = bucket("__" + name, unit_id, version=1)
    inside = (n >= lo) & (n < hi)
    return bool(inside) if np.ndim(inside) == 0 else inside


def _unit_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a number in [0, 1], not {value!r}")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], not {value:g}")
    return value
