"""Input checks shared by the stats functions.

Every check converts its input to a float array and raises a ``ValueError``
that names the argument, the offending value and, for array inputs, the index
of the first bad element, so a user with 10,000 comparisons knows which one is
wrong. Nothing here imports anything beyond numpy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from abtest import vocabulary

FloatArray = NDArray[np.float64]


def where(arr: NDArray[Any], bad: NDArray[np.bool_]) -> tuple[str, Any]:
    """Return ("[i, j]" or "", value) for the first True element of ``bad``."""
    if arr.ndim == 0:
        return "", _plain(arr[()])
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    label = "[" + ", ".join(str(i) for i in idx) + "]"
    return label, _plain(arr[idx])


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (objects of object arrays as they are)."""
    return value.item() if isinstance(value, np.generic) else value


def fail_where(name: str, arr: NDArray[Any], bad: NDArray[np.bool_], why: str) -> None:
    if np.any(bad):
        label, value = where(arr, bad)
        count = int(np.count_nonzero(bad))
        more = f" ({count} elements in all)" if count > 1 else ""
        raise ValueError(f"{name}{label} = {value!r}: {why}{more}")


# Up to 2**53 float64 holds every integer exactly; the stats compute on counts as
# floats, so a larger count would be silently rounded.
MAX_EXACT_COUNT = 2**53
_TOO_BIG = (
    f"a count above 2**53 = {MAX_EXACT_COUNT:,} cannot be represented exactly in the "
    "computation (float64); check the input for an overflow or a wrong column"
)


def _not_a_number(v: Any) -> bool:
    return v is None or isinstance(v, (str, bytes, bool, np.bool_, complex))


def as_raw(name: str, x: ArrayLike, *, allow_bool: bool = True) -> NDArray[Any]:
    """``x`` as numpy gives it, refusing text (``"10"`` would otherwise convert
    silently to 10.0), ``None`` (NaN), complex numbers, booleans where
    ``allow_bool`` is false (and always inside a list of objects), and empty arrays."""
    try:
        raw = np.asarray(x)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} must be numeric, got {x!r}") from exc
    kind = raw.dtype.kind
    if kind in "USOc":
        if kind == "O" or (kind in "US" and not isinstance(x, np.ndarray)):
            # a list mixing numbers and text became all text: find the text as given
            as_given = raw if kind == "O" else np.asarray(x, dtype=object)
            bad = np.asarray(np.frompyfunc(_not_a_number, 1, 1)(as_given), bool)
            if kind != "O" and (bad.shape != raw.shape or not np.any(bad)):
                bad = np.ones(raw.shape, bool)
        elif kind == "c" and np.any(raw.imag != 0):
            bad = raw.imag != 0
        else:
            bad = np.ones(raw.shape, bool)
        if np.any(bad):
            label, value = where(raw, bad)
            raise ValueError(f"{name}{label} must be numeric (a real number), got {value!r}")
    if not allow_bool and kind == "b":
        fail_where(name, raw, np.ones(raw.shape, bool), "must be a number, not a boolean")
    if raw.size == 0:
        raise ValueError(f"{name} is empty: give at least one value")
    return raw


def as_float(name: str, x: ArrayLike) -> FloatArray:
    """Convert to a float array; reject text, empty arrays, non-numeric input and NaN/inf."""
    raw = as_raw(name, x)
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{name} must be numeric, got {x!r}") from exc
    fail_where(name, arr, ~np.isfinite(arr), "must be a finite number")
    return arr


def counts(name: str, x: ArrayLike) -> FloatArray:
    """Non-negative whole counts (returned as floats for the math).

    Booleans are refused (``True`` is not a count), and so are counts above
    ``2**53``: beyond it float64 no longer holds every integer, so the
    computation could not represent the count exactly.
    """
    raw = as_raw(name, x, allow_bool=False)
    if raw.dtype.kind in "iuO":  # compare as given: 2**53 + 1 would round to 2**53
        with contextlib.suppress(TypeError):  # objects that do not compare: as_float says
            big = np.asarray(raw > MAX_EXACT_COUNT, dtype=bool)
            fail_where(name, raw, big, _TOO_BIG)
    arr = as_float(name, raw)
    fail_where(name, arr, arr < 0, "a count cannot be negative")
    fail_where(name, arr, arr != np.floor(arr), "a count must be a whole number")
    fail_where(name, arr, arr > MAX_EXACT_COUNT, _TOO_BIG)
    return arr


def at_least(name: str, x: ArrayLike, minimum: float, why: str = "") -> FloatArray:
    arr = as_float(name, x)
    fail_where(name, arr, arr < minimum, why or f"must be at least {minimum:g}")
    return arr


def positive(name: str, x: ArrayLike) -> FloatArray:
    arr = as_float(name, x)
    fail_where(name, arr, arr <= 0, "must be greater than 0")
    return arr


def non_negative(name: str, x: ArrayLike) -> FloatArray:
    arr = as_float(name, x)
    fail_where(name, arr, arr < 0, "cannot be negative")
    return arr


def open_unit(name: str, x: ArrayLike) -> FloatArray:
    """A rate strictly inside (0, 1)."""
    arr = as_float(name, x)
    fail_where(name, arr, (arr <= 0) | (arr >= 1), "must be a rate strictly between 0 and 1")
    return arr


def not_above(name_small: str, small: FloatArray, name_big: str, big: FloatArray, why: str) -> None:
    """Raise if ``small > big`` anywhere (after broadcasting), naming both values."""
    s, b = np.broadcast_arrays(small, big)
    bad = s > b
    if np.any(bad):
        label, value = where(s, bad)
        _, limit = where(b, bad)
        raise ValueError(
            f"{name_small}{label} = {value!r} exceeds {name_big}{label} = {limit!r}: {why}"
        )


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}")
    return value


def unit_level(name: str, value: float, example: str) -> float:
    """A scalar probability strictly inside (0, 1): a level, a power, a threshold."""
    if _not_a_number(value):
        raise ValueError(
            f"{name} = {value!r}: must be a number strictly between 0 and 1 ({example})"
        )
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if not 0 < v < 1:  # NaN fails too
        raise ValueError(f"{name} = {value!r}: must be strictly between 0 and 1 ({example})")
    return v


def alpha_level(alpha: float) -> float:
    return unit_level("alpha", alpha, "e.g. 0.05")


def power_level(power: float) -> float:
    return unit_level("power", power, "e.g. 0.8")


# Configured weights (traffic shares) must sum to 1 within this absolute tolerance:
# the number of the registry's own check (abtest.registry.checks.WEIGHT_TOLERANCE,
# not imported: stats imports nothing of the stations above it), so weights that pass
# `abtest validate` always pass here. Looser than any decimal typo (0.33 + 0.33 + 0.33)
# and tighter than R chisq.test's sqrt(machine epsilon).
WEIGHT_SUM_TOLERANCE = 1e-9


def weights_sum_to_one(name: str, w: FloatArray) -> None:
    """Raise unless the weights (along the last axis) sum to 1, naming the sum."""
    total = np.sum(w, axis=-1)
    bad = np.abs(total - 1) > WEIGHT_SUM_TOLERANCE
    if np.any(bad):
        label, value = where(total, bad)
        row = f" (row {label})" if label else ""
        raise ValueError(
            f"{name} sum to {value:.10g}{row}, not 1: give each variant's share of the "
            f"traffic, e.g. [0.5, 0.5] (tolerance {WEIGHT_SUM_TOLERANCE:g})"
        )


def scalar_or_array(x: NDArray[Any]) -> Any:
    """0-d arrays become numpy scalars so scalar calls return scalars."""
    return x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x


ALTERNATIVES = vocabulary.ALTERNATIVES


def alternative(value: str) -> str:
    """The canonical alternative (:func:`abtest.vocabulary.alternative`: ``"greater"`` and
    ``"less"`` are ``"larger"`` and ``"smaller"``); callers use what it returns."""
    return vocabulary.alternative(value)


def apply_all(fn: Callable[..., Any], *arrays: NDArray[Any]) -> NDArray[Any]:
    """Elementwise ``fn`` over broadcast arrays, for the few scipy routines
    (Fisher's exact two-sided p-value) that have no vectorized form."""
    b = np.broadcast_arrays(*arrays)
    out = np.empty(b[0].shape, dtype=np.float64)
    for idx in np.ndindex(out.shape):
        out[idx] = fn(*(a[idx] for a in b))
    return out
