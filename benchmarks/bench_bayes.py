"""Benchmark abtest's exact Beta-Binomial engine against bayesian-testing.

    python benchmarks/bench_bayes.py               # 10,000 two-arm experiments
    python benchmarks/bench_bayes.py --n 100000    # a bigger batch
    python benchmarks/bench_bayes.py --loop 10000  # time bayesian-testing on all of them

The same seeded batch of two-arm conversion experiments (1,000 to 100,000
visitors per arm, rates 1% to 20%, lifts within ±15%) goes through

* ``abtest.stats.beta_binomial`` in one call: P(best), P(B beats A), expected
  loss, credible intervals of both rates and of the uplift B / A - 1;
* ``bayesian_testing.experiments.BinaryDataTest`` in a Python loop, one test per
  experiment, ``evaluate()`` with its defaults (20,000 Monte Carlo draws; P(best),
  expected loss and rate intervals; it has no uplift interval), both with the
  Beta(1, 1) prior. The loop runs on ``--loop`` experiments (default 500) and
  its time per experiment is extrapolated to the whole batch, as printed.

It prints both times, the speed-up (target: at least 100x), the largest error
of abtest's P(B > A) against Evan Miller's closed form over the whole batch
(target: below 1e-9), and the largest difference from bayesian-testing's
Monte Carlo estimate. ``--check`` exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
from scipy import special

from abtest.stats import beta_binomial


def make_batch(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(conversions, visitors), each (n, 2): control then variant."""
    rng = np.random.default_rng(seed)
    visitors = rng.integers(1_000, 100_001, size=(n, 2))
    base = rng.uniform(0.01, 0.20, size=n)
    rates = np.stack([base, base * rng.uniform(0.85, 1.15, size=n)], axis=1)
    return rng.binomial(visitors, rates), visitors


def log_beta(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log B(a, b) to ~1e-11 for arguments up to ~1e6. scipy's betaln computes
    lgamma(a) + lgamma(b) - lgamma(a + b) and loses ~1e-9 to cancellation at 1e5;
    for a, b >= 100 Stirling's series is arranged to cancel nothing:
    (a - 1/2) log(a/s) + (b - 1/2) log(b/s) - log(s)/2 + log(2 pi)/2 + w(a) + w(b) - w(s)."""
    a, b = np.broadcast_arrays(np.atleast_1d(np.asarray(a, float)), np.asarray(b, float))
    out = special.betaln(a, b)
    big = (a >= 100) & (b >= 100)
    if big.any():
        x, y = a[big], b[big]
        s = x + y

        def w(z: np.ndarray) -> np.ndarray:
            z2 = 1.0 / (z * z)
            return (1 / 12 - z2 * (1 / 360 - z2 * (1 / 1260 - z2 / 1680))) / z

        out[big] = (
            (x - 0.5) * np.log(x / s)
            + (y - 0.5) * np.log1p(-x / s)
            - 0.5 * np.log(s)
            + 0.5 * np.log(2 * np.pi)
            + w(x)
            + w(y)
            - w(s)
        )
    return out


def miller(a_a: float, b_a: float, a_b: float, b_b: float) -> float:
    """P(X_B > X_A), Evan Miller's closed form (integer a_b), summed in logs."""
    i = np.arange(int(a_b))
    terms = log_beta(a_a + i, b_a + b_b) - np.log(b_b + i) - log_beta(1 + i, b_b)
    return float(np.exp(terms - log_beta(a_a, b_a)).sum())


def time_abtest(x: np.ndarray, n: np.ndarray, repeat: int) -> tuple[float, object]:
    beta_binomial(x[:10], n[:10])  # warm up (imports, cached quadrature rules)
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = beta_binomial(x, n)
        best = min(best, time.perf_counter() - t0)
    return best, result


def time_bayesian_testing(x: np.ndarray, n: np.ndarray, seed: int) -> tuple[float, np.ndarray]:
    """Seconds per experiment and P(B best) for each row, one BinaryDataTest each."""
    from bayesian_testing.experiments import BinaryDataTest

    def one(row: int) -> float:
        test = BinaryDataTest()
        test.add_variant_data_agg("A", int(n[row, 0]), int(x[row, 0]), a_prior=1, b_prior=1)
        test.add_variant_data_agg("B", int(n[row, 1]), int(x[row, 1]), a_prior=1, b_prior=1)
        res = test.evaluate(seed=seed + row)
        return float(res[1]["prob_being_best"])

    one(0)  # warm up
    t0 = time.perf_counter()
    probs = np.array([one(row) for row in range(len(x))])
    return (time.perf_counter() - t0) / len(x), probs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="experiments in the batch")
    parser.add_argument(
        "--loop", type=int, default=500, help="experiments timed through bayesian-testing"
    )
    parser.add_argument("--repeat", type=int, default=5, help="abtest timings (best is kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    x, n = make_batch(args.n, args.seed)
    print(
        f"{args.n:,} two-arm experiments: 1,000-100,000 visitors per arm, "
        f"rates 1%-20%, seed {args.seed}"
    )
    ours, r = time_abtest(x, n, args.repeat)
    print(
        f"  abtest beta_binomial, one call:     {ours:8.3f} s   "
        f"({ours / args.n * 1e6:.1f} us per experiment, best of {args.repeat}; "
        "P(best), P(B>A), expected loss, rate and uplift intervals)"
    )

    # Accuracy against the closed form, over the whole batch.
    a = 1 + x
    b = 1 + n - x
    exact = np.array([miller(a[i, 0], b[i, 0], a[i, 1], b[i, 1]) for i in range(args.n)])
    err = np.abs(r.prob_beat_control[:, 1] - exact)
    print(
        f"  max |P(B>A) abtest - Evan Miller's closed form| over {args.n:,}: {err.max():.1e}"
        f"   (target < 1e-9: {'met' if err.max() < 1e-9 else 'MISSED'})"
    )

    ok = err.max() < 1e-9
    try:
        import bayesian_testing  # noqa: F401
    except ImportError:
        print("  bayesian-testing is not installed (pip install -e '.[bench]'): no comparison")
        return 1 if args.check else 0

    m = min(args.loop, args.n)
    per_call, probs = time_bayesian_testing(x[:m], n[:m], args.seed)
    theirs = per_call * args.n
    how = "timed on all" if m == args.n else f"timed on the first {m:,}, extrapolated per call"
    print(
        f"  bayesian-testing BinaryDataTest loop: {theirs:8.3f} s   "
        f"({per_call * 1e3:.2f} ms per experiment, {how}; 20,000 draws, no uplift interval)"
    )
    ratio = theirs / ours
    print(f"  speed-up: {ratio:,.0f}x   (target >= 100x: {'met' if ratio >= 100 else 'MISSED'})")
    diff = np.abs(r.prob_beat_control[:m, 1] - probs)
    print(
        f"  max |P(B>A) abtest - bayesian-testing| over {m:,}: {diff.max():.1e}"
        "   (Monte Carlo error of 20,000 draws)"
    )
    ok = ok and ratio >= 100
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
