"""Vectorized proportion_test vs a Python loop over statsmodels' proportions_ztest.

    python benchmarks/bench_stats.py [--n 10000] [--repeat 5]

10,000 seeded two-arm comparisons (n per arm from 1e3 to 1e6, log-uniform;
rates 1%-20%) through one ``proportion_test`` call, against the same through
``statsmodels.stats.proportion.proportions_ztest`` one at a time. Both are
timed in this run (best of ``--repeat``); the results are checked equal first.
Target: the vectorized path at least 50x faster.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from statsmodels.stats.proportion import proportions_ztest

from abtest.stats import proportion_test

TARGET = 50.0


def make_inputs(n: int, seed: int = 2026) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n_a = np.floor(10 ** rng.uniform(3, 6, n)).astype(np.int64)
    n_b = np.floor(10 ** rng.uniform(3, 6, n)).astype(np.int64)
    rate = rng.uniform(0.01, 0.20, n)
    x_a = rng.binomial(n_a, rate)
    x_b = rng.binomial(n_b, rate * rng.uniform(0.9, 1.1, n))
    return x_a, n_a, x_b, n_b


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="comparisons")
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (best is kept)")
    args = parser.parse_args()
    x_a, n_a, x_b, n_b = make_inputs(args.n)

    def loop() -> np.ndarray:
        return np.array(
            [proportions_ztest([x_b[i], x_a[i]], [n_b[i], n_a[i]])[1] for i in range(args.n)]
        )

    t_vec, res = best_of(args.repeat, lambda: proportion_test(x_a, n_a, x_b, n_b))
    t_loop, p_loop = best_of(max(1, args.repeat // 2), loop)
    err = float(np.max(np.abs(res.p_value - p_loop)))
    ratio = t_loop / t_vec
    print(f"comparisons                 {args.n:,}")
    print(f"abtest proportion_test      {t_vec * 1e3:9.2f} ms (one call)")
    print(f"statsmodels loop            {t_loop * 1e3:9.2f} ms")
    print(f"max |p difference|          {err:.2e}")
    print(
        f"speed-up                    {ratio:9.1f}x   (target >= {TARGET:.0f}x: "
        f"{'met' if ratio >= TARGET else 'NOT met'})"
    )
    if err > 1e-10:
        print("ERROR: p-values differ from statsmodels")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
