"""Bucketing 10M UUID-like unit ids: vectorised ``abtest.assignment.bucket`` against a
pure-Python loop of the same hash, measured in the same run.

    python benchmarks/bench_assign.py [--ids 1e7] [--sample 100000] [--repeat 3]

The ids are 36-character UUID-like strings in a pyarrow array (how they arrive from
Parquet). The baseline is the same hash as a plain Python loop, one id per call (what
GrowthBook's Python SDK does: a per-character FNV loop), timed on ``--sample`` ids and
scaled to all of them. Checked: the vectorised buckets
equal the loop's on the sample. Targets (exit 1 when missed): at least 50x faster, and
peak memory during bucketing at most 2x the ids' own size (the Arrow buffers: 36 bytes
of text and an 8-byte offset per id), measured as the process's RSS high-water mark
above its RSS before the call (Linux ``/proc/self/status`` VmHWM, reset through
``/proc/self/clear_refs``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from abtest.assignment import bucket

SPEEDUP = 50.0
MEMORY = 2.0


def fnv1a32(text: str) -> int:
    """32-bit FNV-1a, one character per step: the loop a Python SDK runs per id."""
    h = 0x811C9DC5
    for char in text:
        h = ((h ^ ord(char)) * 16777619) % 2**32
    return h


def loop_bucket(seed: str, value: str) -> float:
    """Version-2 bucket of one id (ASCII ids: code points are UTF-16 code units)."""
    return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000


def uuid_like(n: int, seed: int = 0) -> pa.Array:
    """``n`` random ids like ``58cdce0a-2dd8-fb14-bec4-a3701f41b230``, built in Arrow."""
    rng = np.random.default_rng(seed)
    hexchars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    columns = [i for i in range(36) if i not in (8, 13, 18, 23)]
    for begin in range(0, n, 1 << 20):  # in slices: the random nibbles stay small
        end = min(n, begin + (1 << 20))
        text[begin:end, columns] = hexchars[rng.integers(0, 16, (end - begin, 32), np.uint8)]
    offsets = np.arange(0, 36 * n + 1, 36, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text.reshape(-1))]
    )


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", type=float, default=1e7)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = int(args.ids)
    ids = uuid_like(n)
    size = ids.nbytes
    print(f"{n:,} UUID-like ids: {size / 1e6:,.0f} MB in Arrow")
    bucket("warm-up", ids[:1000])

    sample = ids[: args.sample].to_pylist()
    t0 = time.perf_counter()
    loop = [loop_bucket("bench-seed", v) for v in sample]
    loop_per_id = (time.perf_counter() - t0) / len(sample)

    walls, peak = [], 0
    measured = _reset_peak()
    for _ in range(args.repeat):
        before = _status("VmRSS")
        _reset_peak()
        t0 = time.perf_counter()
        got = bucket("bench-seed", ids)
        walls.append(time.perf_counter() - t0)
        peak = max(peak, _status("VmHWM") - before)
        del got
    got = bucket("bench-seed", ids[: args.sample])
    same = bool(np.array_equal(got, np.array(loop)))
    wall = min(walls)
    speedup = loop_per_id * n / wall
    print(f"pure-Python loop, one id per call: {loop_per_id * 1e6:.2f} us/id, "
          f"{loop_per_id * n:,.1f} s for {n:,} ids (timed on {len(sample):,}, scaled)")  # fmt: skip
    print(f"abtest bucket, vectorised: best of {args.repeat} {wall:.2f} s "
          f"({wall / n * 1e9:.0f} ns/id)")  # fmt: skip
    ok_speed = speedup >= SPEEDUP
    print(
        f"speed-up: {speedup:.0f}x (target >= {SPEEDUP:.0f}x: {'met' if ok_speed else 'NOT met'})"
    )
    ok_memory = True
    if measured:
        ratio = peak / size
        ok_memory = ratio <= MEMORY
        print(f"peak memory above the ids: {peak / 1e6:,.0f} MB = {ratio:.2f}x the ids' "
              f"{size / 1e6:,.0f} MB (target <= {MEMORY:.0f}x: "
              f"{'met' if ok_memory else 'NOT met'})")  # fmt: skip
    else:
        print("peak memory: not measured (needs Linux /proc/self/clear_refs)")
    print(f"identical buckets on the sample: {'yes' if same else 'NO'}")
    return 0 if (ok_speed and ok_memory and same) else 1


if __name__ == "__main__":
    sys.exit(main())
