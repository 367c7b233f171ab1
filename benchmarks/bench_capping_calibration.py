"""Capped revenue per visitor (winsorization at the p99 of all units), by simulation.

    python benchmarks/bench_capping_calibration.py [--experiments 2000] [--seed 7] [--quick]

Seeded, vectorized simulations of revenue per visitor with a heavy tail: 100,000 units
per arm, 3% buy, an order is lognormal (median $45, sigma 1), and about one unit in
10,000 places a $20,000 order (the order that can flip a checkout test). Each
experiment is analysed twice with the unpooled Welch test the analysis uses on value
goals (:func:`abtest.stats.wald_test`, ``reference="welch"``): on the raw values, and
with every unit's value cut at the experiment's own 99th percentile of the per-unit
values of both arms together (R type 7, as ``summarize``'s ``capping: {percentile:
0.99}`` computes it in the engine).

Printed: under A/A (the same distribution in both arms) the false-positive rate at 5%
(two-sided) of each, and the ratio of the mean interval widths (capped / raw); with a
+5% effect (every treatment order x 1.05, large orders included) the power of each.
Rates with 1.96 binomial standard errors. Markdown table, for docs/metrics.md.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from abtest.stats import wald_test

N = 100_000
BUY = 0.03
WHALE = 1e-4
WHALE_VALUE = 20_000.0
CHUNK = 20  # experiments per chunk: 20 x 200,000 float64 = 32 MB


def draw(rng: np.random.Generator, e: int, effect: float) -> np.ndarray:
    """(e, 2, N) revenue per unit: arm 0 control, arm 1 treatment (orders x effect)."""
    x = np.where(rng.random((e, 2, N)) < BUY, rng.lognormal(math.log(45.0), 1.0, (e, 2, N)), 0.0)
    x[rng.random((e, 2, N)) < WHALE] = WHALE_VALUE
    x[:, 1] *= effect
    return x


def tests(x: np.ndarray, cap: bool) -> tuple[np.ndarray, np.ndarray]:
    """p-values and 95% interval widths (difference of means) of each experiment."""
    if cap:
        limit = np.quantile(x.reshape(len(x), -1), 0.99, axis=1)  # numpy's default: type 7
        x = np.minimum(x, limit[:, None, None])
    n = np.full(len(x), float(N))
    m, v = x.mean(axis=2), x.var(axis=2, ddof=1)
    r = wald_test(n, m[:, 0], v[:, 0], n, m[:, 1], v[:, 1], reference="welch")
    ci = np.asarray(r.diff_ci, dtype=float)
    return np.asarray(r.p_value, dtype=float), ci[1] - ci[0]


def run(rng: np.random.Generator, experiments: int, effect: float) -> dict[str, np.ndarray]:
    out: dict[str, list[np.ndarray]] = {"p_raw": [], "w_raw": [], "p_cap": [], "w_cap": []}
    for begin in range(0, experiments, CHUNK):
        x = draw(rng, min(CHUNK, experiments - begin), effect)
        for name, cap in (("raw", False), ("cap", True)):
            p, w = tests(x, cap)
            out[f"p_{name}"].append(p)
            out[f"w_{name}"].append(w)
    return {k: np.concatenate(v) for k, v in out.items()}


def rate(hits: np.ndarray) -> str:
    p = float(hits.mean())
    return f"{p:.4f} ± {1.96 * math.sqrt(max(p * (1 - p), 1e-12) / len(hits)):.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="200 experiments")
    args = parser.parse_args()
    e = 200 if args.quick else args.experiments
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    aa = run(rng, e, 1.0)
    ab = run(rng, e, 1.05)
    ratio = float(np.mean(aa["w_cap"]) / np.mean(aa["w_raw"]))
    print(f"{e:,} experiments per scenario, {N:,} units per arm, seed {args.seed}, "
          f"{time.perf_counter() - t0:.0f} s\n")  # fmt: skip
    print("| revenue per visitor | A/A false positives (5%) | +5% effect: power | "
          "interval width (A/A, mean) |")  # fmt: skip
    print("|---|---|---|---|")
    print(f"| raw | {rate(aa['p_raw'] < 0.05)} | {rate(ab['p_raw'] < 0.05)} | "
          f"{np.mean(aa['w_raw']):.3f} |")  # fmt: skip
    capped = f"{np.mean(aa['w_cap']):.3f} ({ratio:.2f}x raw)"
    print(f"| capped at p99 of all units | {rate(aa['p_cap'] < 0.05)} | "
          f"{rate(ab['p_cap'] < 0.05)} | {capped} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
