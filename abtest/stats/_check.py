"""Input checks shared by the stats functions.

Every check converts its input to a float array and raises a ``ValueError``
that names the argument, the offending value and, for array inputs, the index
of the first bad element, so a user with 10,000 comparisons knows which one is
wrong. Nothing here imports anything beyond numpy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def _where(arr: NDArray[Any], bad: NDArray[np.bool_]) -> tuple[str, Any]:
    """Return ("[i, j]" or "", value) for the first True element of ``bad``."""
    if arr.ndim == 0:
        return "", arr.item()
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    label = "[" + ", ".join(str(i) for i in idx) + "]"
    return label, arr[idx].item()


def fail_where(name: str, arr: NDArray[Any], bad: NDArray[np.bool_], why: str) -> None:
    if np.any(bad):
        label, value = _where(arr, bad)
        count = int(np.count_nonzero(bad))
        more = f" ({count} elements in all)" if count > 1 else ""
        raise ValueError(f"{name}{label} = {value!r}: {why}{more}")


def as_float(name: str, x: ArrayLike) -> FloatArray:
    """Convert to a float array; reject non-numeric input and NaN/inf."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {x!r}") from exc
    fail_where(name, arr, ~np.isfinite(arr), "must be a finite number")
    return arr


def counts(name: str, x: ArrayLike) -> FloatArray:
    """Non-negative whole counts (returned as floats for the math)."""
    arr = as_float(name, x)
    fail_where(name, arr, arr < 0, "a count cannot be negative")
    fail_where(name, arr, arr != np.floor(arr), "a count must be a whole number")
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
        label, value = _where(s, bad)
        _, limit = _where(b, bad)
        raise ValueError(
            f"{name_small}{label} = {value!r} exceeds {name_big}{label} = {limit!r}: {why}"
        )


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r} is not one of {', '.join(map(repr, allowed))}")
    return value


def alpha_level(alpha: float) -> float:
    a = float(alpha)
    if not 0 < a < 1:
        raise ValueError(f"alpha = {alpha!r}: must be strictly between 0 and 1 (e.g. 0.05)")
    return a


def power_level(power: float) -> float:
    p = float(power)
    if not 0 < p < 1:
        raise ValueError(f"power = {power!r}: must be strictly between 0 and 1 (e.g. 0.8)")
    return p


def scalar_or_array(x: NDArray[Any]) -> Any:
    """0-d arrays become numpy scalars so scalar calls return scalars."""
    return x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x


ALTERNATIVES = ("two-sided", "larger", "smaller")


def alternative(value: str) -> str:
    return choice("alternative", value, ALTERNATIVES)


def apply_all(fn: Callable[..., Any], *arrays: NDArray[Any]) -> NDArray[Any]:
    """Elementwise ``fn`` over broadcast arrays, for the few scipy routines
    (Fisher's exact two-sided p-value) that have no vectorized form."""
    b = np.broadcast_arrays(*arrays)
    out = np.empty(b[0].shape, dtype=np.float64)
    for idx in np.ndindex(out.shape):
        out[idx] = fn(*(a[idx] for a in b))
    return out
