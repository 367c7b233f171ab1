"""Unit ids as text: what ``bucket`` and ``assign`` accept, and the one-line refusals.

GrowthBook's SDKs hash an attribute's text, so every id becomes a string the way the
JavaScript SDK would write it: text stays as it is, whole numbers become their decimal
digits (``42`` -> ``"42"``, ``42.0`` -> ``"42"``). What has no single text form is
refused with the position of the first offender: a missing id (None, NaN, null), a
boolean, a fraction (``1.5``), or bytes and other objects.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_text_array(values: Any) -> Any:
    """``values`` as a pyarrow string array without nulls (``ValueError`` otherwise)."""
    import pyarrow as pa

    if isinstance(values, (str, bytes)):
        values = [values]
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = _from_python(values)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if len(values) == 0:
        return pa.array([], pa.string())
    if values.null_count:
        _missing(values)
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return values
    if pa.types.is_string_view(kind):
        return values.cast(pa.large_string())
    if pa.types.is_integer(kind):
        return values.cast(pa.string())
    if pa.types.is_floating(kind):
        floats = values.to_numpy(zero_copy_only=False)
        whole = np.isfinite(floats) & (floats == np.round(floats))
        if not whole.all():
            at = int(np.flatnonzero(~whole)[0])
            raise ValueError(
                f"unit id {float(floats[at])!r} at position {at} is not a whole number; ids are "
                "hashed as text: pass them as text or integers"
            )
        # above 2**53 a float holds no longer every whole number: its digits may not be
        # the id's (and past 2**63 no integer type holds it)
        inexact = np.abs(floats) > 2.0**53
        if inexact.any():
            at = int(np.flatnonzero(inexact)[0])
            raise ValueError(
                f"unit id {float(floats[at])!r} at position {at} is a float above 2**53, where "
                "floats skip whole numbers: its digits may not be the id's. Pass ids as "
                "text or integers"
            )
        return pa.array(floats.astype(np.int64)).cast(pa.string())
    raise ValueError(
        f"unit ids of type {kind} cannot be hashed; pass text (or whole numbers), "
        "e.g. ids.astype(str)"
    )


def _from_python(values: Any) -> Any:
    import pyarrow as pa

    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise ValueError(
            "unit ids mix text, numbers or other objects and cannot be hashed as one kind; "
            f"convert them first, e.g. ids.astype(str) ({exc})"
        ) from None
    if pa.types.is_boolean(array.type):
        raise ValueError("unit ids are booleans; pass the ids themselves (text or integers)")
    return array


def _missing(values: Any) -> None:
    import pyarrow.compute as pc

    at = int(pc.index(pc.is_null(values), True).as_py())
    raise ValueError(
        f"unit id at position {at} is missing (None, NaN or null); every unit needs an id "
        "(drop those rows or give them one)"
    )
