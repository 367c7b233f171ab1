"""Wall time of the commands a user waits for: ``abtest demo`` and ``abtest analyze --counts``.

    python benchmarks/bench_cli.py [--repeat 3] [--no-demo]

Each command runs as a fresh process (interpreter start, imports, work, exit), best of
``--repeat`` runs (``timeit``'s rule: other load on the machine does not count). The
baseline, measured in the same run, is a fresh interpreter importing pandas (what any
data command pays before it starts); each command is printed with its ratio to it and
against its budget: the demo within 10 s, ``analyze --counts`` within 1 s. Exits 1 when a
budget is missed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGETS = {"demo": 10.0, "analyze --counts": 1.0}
COUNTS = "variant,visitors,conversions\ncontrol,145274,17489\nnew,145310,17264\n"


def best_wall(cmd: list[str], repeat: int, cwd: Path) -> float:
    walls = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-500:]}")
    return min(walls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true", help="time analyze --counts only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "counts.csv").write_text(COUNTS)
        py = [sys.executable]
        baseline = best_wall([*py, "-c", "import pandas"], args.repeat, folder)
        commands = {"analyze --counts": [*py, "-m", "abtest.cli", "analyze", "--counts",
                                         "counts.csv"]}  # fmt: skip
        if not args.no_demo:
            commands["demo"] = [*py, "-m", "abtest.cli", "demo", "--registry",
                                str(REPO / "experiments"), "--out", "demo"]  # fmt: skip
        print(f"baseline: fresh python importing pandas  {baseline:6.2f} s")
        missed = []
        for name, cmd in commands.items():
            wall = best_wall(cmd, args.repeat, folder)
            budget = BUDGETS[name]
            ok = wall <= budget
            missed += [] if ok else [name]
            print(
                f"{name:<22} {wall:6.2f} s  = {wall / baseline:5.1f}x the baseline; "
                f"budget {budget:g} s: {'met' if ok else 'NOT met'}"
            )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
