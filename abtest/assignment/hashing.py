"""GrowthBook's bucketing hash, for one id or millions at once.

The SDK spec (GrowthBook ``packages/sdk-js/src/util.ts``, ``hash``) maps a seed and a
unit id to a number in [0, 1):

- version 2: ``fnv1a32(str(fnv1a32(seed + value))) % 10000 / 10000``
- version 1: ``fnv1a32(value + seed) % 1000 / 1000`` (the original, slightly biased hash,
  kept for buckets that already exist)

``fnv1a32`` is the 32-bit FNV-1a hash (offset basis 0x811C9DC5, prime 16777619) over the
string's **UTF-16 code units**, because the JavaScript SDK reads ``str.charCodeAt(i)``.
For ASCII ids that is one unit per byte; ``"é"`` is the single unit 0x00E9 (not its two
UTF-8 bytes) and ``"😀"`` is the surrogate pair 0xD83D 0xDE00. Python's ``str`` holds
code points, so this module encodes to UTF-16 before hashing.

Why by hand: no maintained Python library hashes the way the JavaScript SDK does
(``fnv`` packages hash UTF-8 bytes), and GrowthBook's own Python SDK hashes one id per
call in a Python loop. Here an array of ids is hashed column by column over all ids at
once (one numpy operation per character position and chunk of ids, never one Python
step per id), in chunks so that the working memory stays a small fraction of the ids'.
"""

from __future__ import annotations

import collections
import functools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

OFFSET = 0x811C9DC5
PRIME = 16777619
VERSIONS = (1, 2)
CHUNK = 1 << 18
"""Ids hashed per step: 262,144 ids of 36 characters need about 20 MB of work arrays."""

_MASK = 0xFFFFFFFF


def fnv1a32(text: str, state: int = OFFSET) -> int:
    """32-bit FNV-1a of ``text``'s UTF-16 code units, continuing from ``state``."""
    units = np.frombuffer(text.encode("utf-16-le"), dtype="<u2")
    for unit in units.tolist():
        state = ((state ^ unit) * PRIME) & _MASK
    return state


def check_version(version: Any) -> int:
    """The hash version, 1 or 2 (``ValueError`` naming ``version`` otherwise; the SDK
    silently returns null and skips the experiment)."""
    if isinstance(version, bool) or version not in VERSIONS:
        raise ValueError(f"version must be 1 or 2 (GrowthBook's hash versions), not {version!r}")
    return int(version)


def bucket(seed: str, values: Any, version: int = 2) -> Any:
    """GrowthBook's ``hash(seed, value, version)``: each id's position in [0, 1).

    Parameters
    ----------
    seed : str
        The experiment's seed (GrowthBook: ``experiment.seed || experiment.key``).
    values : str or array-like
        One id, or an array of ids (numpy, pandas, pyarrow, list). Integer ids are
        hashed as their decimal text (``123`` as ``"123"``, as the SDKs do with a
        number attribute); floats only when every one is a whole number. Missing ids
        (None, NaN, null) and booleans raise ``ValueError``.
    version : {1, 2}
        The hash version (2: GrowthBook's default for new experiments).

    Returns
    -------
    float or numpy.ndarray
        A float for one string id, else a float64 array of the ids' buckets. Version 2
        gives multiples of 1/10000, version 1 multiples of 1/1000.

    Examples
    --------
    >>> bucket("seed", "a"), bucket("", "a", version=1)   # GrowthBook cases.json "hash"
    (0.0505, 0.22)
    >>> bucket("seed", ["a", "b"]).tolist()
    [0.0505, 0.2696]
    """
    version = check_version(version)
    if not isinstance(seed, str):
        raise ValueError(f"seed must be text, not {type(seed).__name__}")
    if isinstance(values, str):
        return _finish(np.array([_first(seed, values, version)], dtype=np.uint32), version)[
            0
        ].item()
    parts = list(
        _map(lambda chunk: _finish(_first_many(seed, chunk, version), version), iter_chunks(values))
    )
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)


def _map(work: Any, chunks: Iterator[Any]) -> Iterator[Any]:
    """``work`` over the chunks, in order, on as many threads as there are cores (numpy
    releases the GIL inside each operation), with at most two chunks per thread in
    flight so that memory stays bounded whatever the number of ids."""
    workers = os.cpu_count() or 1
    if workers == 1:
        yield from map(work, chunks)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: collections.deque[Any] = collections.deque()
        for chunk in chunks:
            pending.append(pool.submit(work, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _first(seed: str, value: str, version: int) -> int:
    if version == 2:
        return fnv1a32(value, fnv1a32(seed))
    return fnv1a32(seed, fnv1a32(value))


def _finish(first: np.ndarray, version: int) -> np.ndarray:
    """From the first FNV pass to the bucket: version 2 hashes the decimal text of the
    first hash again and keeps 4 digits; version 1 keeps 3 digits of the first."""
    if version == 1:
        return (first % 1000).astype(np.float64) / 1000
    # the state after every digit but the last five comes from a table (at most 42,950
    # prefixes of a uint32); the last five are hashed column by column
    h = _prefix_table()[first // 100000]
    tail = first % 100000
    prime = np.uint32(PRIME)
    for place in (10000, 1000, 100, 10, 1):
        np.bitwise_xor(h, (tail // place) % 10 + np.uint32(48), out=h)
        np.multiply(h, prime, out=h)
    short = np.flatnonzero(first < 100000)  # fewer than six digits: about 1 id in 43,000
    if short.size:
        h[short] = _decimal_fnv(first[short])
    return (h % 10000).astype(np.float64) / 10000


def _decimal_fnv(numbers: np.ndarray) -> np.ndarray:
    """FNV-1a of each number's decimal text (no leading zeros), for any uint32 array.

    The text is read right-aligned in 10 places: before its first digit a number's
    state stays at the offset basis.
    """
    h = np.full(numbers.shape, OFFSET, dtype=np.uint32)
    prime = np.uint32(PRIME)
    for place in range(9, -1, -1):
        scale = np.uint32(10**place)
        step = (h ^ ((numbers // scale) % 10 + np.uint32(48))) * prime
        h = step if place == 0 else np.where(numbers >= scale, step, h)
    return h


@functools.cache
def _prefix_table() -> np.ndarray:
    """FNV-1a state after the decimal text of each prefix 0..42949 (``first // 100000``);
    prefix 0 stands for "no digits yet" (the offset basis)."""
    table = _decimal_fnv(np.arange(2**32 // 100000 + 1, dtype=np.uint32))
    table[0] = OFFSET
    return table


def _first_many(seed: str, units: tuple[np.ndarray, np.ndarray], version: int) -> np.ndarray:
    """The first FNV pass over a chunk of ids given as (code units, per-id offsets).

    Ids of one length are hashed together, one character position at a time over all
    of them (a transposed copy makes each position contiguous): the loops run over
    lengths and positions, never over ids.
    """
    data, offsets = units
    n = len(offsets) - 1
    h = np.full(n, fnv1a32(seed) if version == 2 else OFFSET, dtype=np.uint32)
    prime = np.uint32(PRIME)
    lengths = np.diff(offsets)
    for length in np.unique(lengths).tolist():
        if length == 0:
            continue
        rows = (
            np.flatnonzero(lengths == length)
            if len(lengths) and (lengths[0] != length or lengths.min() != lengths.max())
            else None
        )
        if rows is None:  # every id in the chunk has this length: contiguous already
            grid = data.reshape(n, length).T.copy()
            part = h
        else:
            grid = data[offsets[rows][None, :] + np.arange(length)[:, None]]
            part = h[rows]
        for column in grid:
            np.bitwise_xor(part, column, out=part)
            np.multiply(part, prime, out=part)
        if rows is not None:
            h[rows] = part
    if version == 1:
        for unit in np.frombuffer(seed.encode("utf-16-le"), dtype="<u2").tolist():
            h = (h ^ np.uint32(unit)) * prime
    return h


def iter_chunks(values: Any, size: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The ids as chunks of ``size`` (default :data:`CHUNK`) ids: (UTF-16 code units,
    offsets of each id's units)."""
    from abtest.assignment.ids import as_text_array

    array = as_text_array(values)
    size = size or CHUNK
    for begin in range(0, len(array), size):
        yield _units(array.slice(begin, size))


def _units(chunk: Any) -> tuple[np.ndarray, np.ndarray]:
    """Code units and offsets of one chunk of a pyarrow string array.

    ASCII text (nearly every id) is read straight from Arrow's buffer, one unit per
    byte; other text goes through numpy's vectorised UTF-16 encoder.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chunk = chunk.cast(pa.large_string())
    if len(chunk) == 0:
        return np.zeros(0, np.uint32), np.zeros(1, np.int64)
    if pc.all(pc.string_is_ascii(chunk)).as_py():
        _, offsets_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(offsets_buf, dtype=np.int64)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        first, last = int(offsets[0]), int(offsets[-1])
        if data_buf is None or last == first:
            return np.zeros(0, np.uint8), offsets - first
        # only this chunk's bytes (a slice shares the whole array's buffer)
        return np.frombuffer(data_buf, dtype=np.uint8)[first:last], offsets - first
    text = np.asarray(chunk.to_numpy(zero_copy_only=False), dtype=str)
    # code units per id: one per code point, two for those beyond the BMP (a surrogate
    # pair). The code points are Arrow's count: numpy's str drops an id's trailing NULs,
    # which then come back as the grid's zero padding (a NUL's code unit is 0)
    points = text.view(np.uint32).reshape(len(text), -1)  # a non-ASCII chunk: width >= 1
    code_points = np.asarray(pc.utf8_length(chunk), dtype=np.int64)
    lengths = code_points + (points > 0xFFFF).sum(axis=1)
    encoded = np.char.encode(text, "utf-16-be")
    width = max(int(lengths.max()), 1)
    encoded = encoded.astype(f"S{2 * width}")  # fixed width: the buffer keeps every byte
    grid = np.frombuffer(encoded.tobytes(), dtype=">u2").reshape(len(text), width)
    live = np.arange(width) < lengths[:, None]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return grid[live].astype(np.uint16), offsets
