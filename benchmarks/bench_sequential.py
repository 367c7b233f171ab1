"""Group sequential designs with many looks: ``group_sequential_bounds`` wall time.

    python benchmarks/bench_sequential.py [--looks 10 100 1000] [--repeat 3]

Times ``group_sequential_bounds(K)`` (boundaries and the inflation factor at 80%
power: one recursion for the boundaries and about eight for the power) for
O'Brien-Fleming and Pocock spending, two-sided and one-sided, best of
``--repeat``. Issue 21 item 6: 1000 looks took over 60 s with the dense
transition matrix; the recursion on the score scale is a convolution
(``numpy.convolve``), about 5 s. O'Brien-Fleming rows also print Siegmund's
corrected diffusion approximation of the final boundary, ``z_{1 - alpha/4} -
0.5826 / sqrt(K)`` two-sided, ``z_{1 - alpha/2} - 0.5826 / sqrt(K)`` one-sided
(tests/stats/test_sequential.py).
"""

from __future__ import annotations

import argparse
import time

from scipy import stats as sps

from abtest.stats import group_sequential_bounds

BUDGET_1000 = 10.0  # seconds for 1000 looks, two-sided O'Brien-Fleming


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--looks", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    args = parser.parse_args()
    print(f"{'looks':>6} {'spending':<15} {'alternative':<11} {'seconds':>8} {'z[-1]':>8}  note")
    worst = 0.0
    for looks in args.looks:
        for spending in ("obrien-fleming", "pocock"):
            for alternative in ("two-sided", "larger"):
                best, design = float("inf"), None
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    design = group_sequential_bounds(
                        looks, spending=spending, alternative=alternative
                    )
                    best = min(best, time.perf_counter() - t0)
                assert design is not None
                note = ""
                if spending == "obrien-fleming":
                    # one-sided at alpha is the two-sided design's side at 2 alpha
                    sides = 4 if alternative == "two-sided" else 2
                    siegmund = sps.norm.isf(0.05 / sides) - 0.5826 / looks**0.5
                    note = f"Siegmund {siegmund:.4f}"
                    if looks == 1000 and alternative == "two-sided":
                        worst = best
                print(
                    f"{looks:>6} {spending:<15} {alternative:<11} {best:>8.3f} "
                    f"{float(design.z[-1]):>8.4f}  {note}"
                )
    if 1000 in args.looks:
        verdict = "ok" if worst <= BUDGET_1000 else "OVER BUDGET"
        print(f"1000 looks, O'Brien-Fleming two-sided: {worst:.2f} s (budget {BUDGET_1000:g} s)")
        print(verdict)
        return 0 if worst <= BUDGET_1000 else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
