"""``abtest validate`` over 200 experiment files, timed end to end.

    python benchmarks/bench_validate.py [--files 200] [--repeat 7] [--budget 0.5]

Writes ``--files`` experiment files to a temporary folder (copies of the
example registry in ``experiments/``, each with its own id and page so they
neither collide nor compete for traffic), then times a fresh
``python -m abtest.cli validate -q FOLDER`` process: interpreter start,
imports, parsing, schema and lint checks, exit. Reports the best and the
median wall time of ``--repeat`` runs, and the CPU time (user + system) of the
best run, and fails (exit 1) when the best run is over ``--budget`` seconds
(best-of-N, as ``timeit`` does, so other load on the machine does not count)
or the files do not validate clean.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET = 0.5


def generate(folder: Path, n: int, source: Path = REPO / "experiments") -> list[Path]:
    """Write ``n`` valid experiment files to ``folder``, cycling through ``source``."""
    templates = [p.read_text(encoding="utf-8") for p in sorted(source.glob("*.yaml"))]
    if not templates:
        raise SystemExit(f"no example experiments in {source}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        text = templates[i % len(templates)]
        old_id = re.search(r"^id: (\S+)", text, re.M)
        assert old_id is not None
        new_id = f"{old_id.group(1)}-{i:04d}"
        text = re.sub(r"^id: \S+", f"id: {new_id}", text, count=1, flags=re.M)
        text = re.sub(r"^page: (\S+)", rf"page: /bench/{i:04d}\1", text, count=1, flags=re.M)
        text = re.sub(r"namespace: \{name: (\S+),", rf"namespace: {{name: \1-{i:04d},", text)
        path = folder / f"{new_id}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def time_validate(
    folder: Path, repeat: int
) -> tuple[list[float], list[float], subprocess.CompletedProcess]:
    """Wall and CPU times of ``repeat`` fresh ``abtest validate`` processes (and the last
    result)."""
    cmd = [sys.executable, "-m", "abtest.cli", "validate", "-q", str(folder)]
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        before = os.times()
        t0 = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - t0)
        after = os.times()
        cpus.append(
            (after.children_user - before.children_user)
            + (after.children_system - before.children_system)
        )
    assert result is not None
    return walls, cpus, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="experiment files")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs")
    parser.add_argument("--budget", type=float, default=BUDGET, help="seconds, best wall")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "experiments"
        generate(folder, args.files)
        times, cpus, result = time_validate(folder, args.repeat)
        one = time_validate(next(folder.iterdir()), 3)[0]
    if result.returncode != 0:
        print(result.stdout + result.stderr)
        print(f"FAIL: the generated files did not validate clean (exit {result.returncode})")
        return 1
    best, median = min(times), statistics.median(times)
    cpu = cpus[times.index(best)]
    print(
        f"abtest validate, {args.files} files: best {best:.3f} s wall ({cpu:.3f} s CPU), "
        f"median {median:.3f} s over {args.repeat} runs; one file: {min(one):.3f} s "
        f"(interpreter start and imports); budget {args.budget:.2f} s"
    )
    ok = best <= args.budget
    print("OK" if ok else "FAIL: over budget")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
