"""Calibration of the sequential, CUPED and ratio methods by simulation, at full size.

    python benchmarks/bench_calibration.py [--experiments 20000] [--seed 2026] [--quick]

Seeded, vectorized simulations (abtest.stats.simulate) of:

1. A/A tests with 20 daily looks (conversions, and a continuous metric): the
   false-positive rate of a fixed-horizon test read once at the end, of the
   same test read every day (peeking), of group sequential designs
   (O'Brien-Fleming and Pocock spending) and of always-valid inference
   (mixture SPRT), with the coverage of each method's intervals at every look.
2. A/B tests sized for 80% power at the fixed horizon: power, coverage and the
   mean share of the planned sample at which each method stops.
3. Continuous monitoring: A/A tests looked at 200 times.
4. CUPED with a covariate correlated 0.7 with the metric: variance reduction
   (expected 1 - 0.7^2 = 0.51 of the variance kept, i.e. 0.49 removed) and coverage;
   and group sequential tests on the CUPED-adjusted sums at every look (theta
   re-estimated per look): false-positive rate, power and coverage against the plain ones.
5. A ratio metric (clicks per session, users randomised): coverage of the
   delta-method interval and of a naive per-session interval; and CUPED for the
   ratio with its pre-period ratio: variance reduction and coverage.

Every rate is printed with its binomial standard error. Prints Markdown.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from scipy import stats as sps

from abtest.stats import DegenerateWarning, cuped_sums, group_sequential_test
from abtest.stats import simulate as sim
from abtest.stats.sums import TwoArms

ALPHA = 0.05
METHODS = [
    ("fixed_final", "fixed horizon, read once at the end"),
    ("naive_any_look", "fixed horizon, read every look (peeking)"),
    ("obrien_fleming", "group sequential, O'Brien-Fleming spending"),
    ("pocock", "group sequential, Pocock spending"),
    ("always_valid", "always valid (mixture SPRT)"),
]


def se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def sequential_table(title: str, rates: dict[str, float], n: int, *, null: bool) -> None:
    what = "false-positive rate" if null else "power"
    print(f"\n### {title}\n")
    print(f"| method | {what} | coverage at every look | mean stop (share of max n) |")
    print("|---|---|---|---|")
    for key, label in METHODS:
        if key not in rates:
            continue
        r, c = rates[key], rates[f"{key}_coverage"]
        stop = rates.get(f"{key}_stop")
        stop_txt = "1 (no stopping)" if stop is None else f"{stop:.3f}"
        print(f"| {label} | {r:.4f} ± {se(r, n):.4f} | {c:.4f} ± {se(c, n):.4f} | {stop_txt} |")


def chunked(fn, rng: np.random.Generator, experiments: int, chunk: int, **kw):
    """Draw unit-level simulations in chunks of experiments (bounded memory) and join
    the per-experiment sums."""
    parts = [fn(rng, min(chunk, experiments - i), **kw) for i in range(0, experiments, chunk)]
    return _join(parts)


def _join(parts: list):
    """Concatenate sums of experiments along the first axis, arm by arm."""
    if isinstance(parts[0], TwoArms):
        return TwoArms(_join([p.a for p in parts]), _join([p.b for p in parts]))
    kind = type(parts[0])
    fields = kind.__dataclass_fields__
    return kind(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=20_000, help="experiments per scenario")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--quick", action="store_true", help="2,000 experiments (a smoke run)")
    args = parser.parse_args()
    # Early looks of small simulated tests can have no conversions in an arm: the lift
    # (not used here) is NaN there, and a look with no variance simply cannot reject.
    warnings.simplefilter("ignore", DegenerateWarning)
    e = 2000 if args.quick else args.experiments
    rng = np.random.default_rng(args.seed)
    start = time.perf_counter()
    print(f"# abtest calibration: {e:,} simulated experiments per scenario, seed {args.seed}")
    print(f"\nTwo-sided alpha = {ALPHA}; ± is one binomial standard error of the simulated rate.")

    looks, per_day = 20, 1000
    aa = sim.binary_looks(rng, e, looks, per_day, rate=0.05)
    sequential_table(
        f"A/A, conversions at 5%, {looks} daily looks x {per_day:,} units per arm per day",
        sim.sequential_error_rates(aa, alpha=ALPHA), e, null=True,
    )  # fmt: skip
    aa = sim.normal_looks(rng, e, looks, 200, mean=10, sd=3)
    sequential_table(
        f"A/A, continuous metric (normal, sd 3), {looks} daily looks x 200 units per arm per day",
        sim.sequential_error_rates(aa, alpha=ALPHA), e, null=True,
    )  # fmt: skip
    av_default = sim.sequential_error_rates(aa, alpha=ALPHA, n_opt=5000, group_sequential=False)[
        "always_valid"
    ]
    print(f"\nAlways valid with the default n_opt = 5000 instead of the final n: {av_default:.4f}")

    se_final = math.sqrt(2 * 0.05 * 0.95 / (looks * per_day))
    effect = (sps.norm.isf(ALPHA / 2) + sps.norm.isf(0.2)) * se_final
    ab = sim.binary_looks(rng, e, looks, per_day, rate=0.05, effect=effect)
    sequential_table(
        f"A/B, conversions 5% -> {0.05 + effect:.4%} (80% power at the fixed horizon), "
        f"{looks} daily looks",
        sim.sequential_error_rates(ab, alpha=ALPHA, truth=effect), e, null=False,
    )  # fmt: skip

    many = sim.binary_looks(rng, e, 200, 100, rate=0.05)
    sequential_table(
        "A/A, continuous monitoring: conversions at 5%, 200 looks x 100 units per arm",
        sim.sequential_error_rates(many, alpha=ALPHA, group_sequential=False), e, null=True,
    )  # fmt: skip

    print("\n### CUPED, covariate correlation 0.7, 1,000 units per arm\n")
    print(
        "| effect | variance reduction reported | achieved | coverage (CUPED) | coverage (plain) |"
    )
    print("|---|---|---|---|---|")
    for effect in (0.0, 0.3):
        pairs = sim.cuped_pairs(rng, e, 1000, rho=0.7, sd_y=3, sd_x=3, effect=effect)
        r = sim.cuped_rates(pairs, truth=effect, alpha=ALPHA)
        c, u = r["cuped_coverage"], r["unadjusted_coverage"]
        print(
            f"| {effect} | {r['variance_reduction_reported']:.4f} | "
            f"{r['variance_reduction_achieved']:.4f} | {c:.4f} ± {se(c, e):.4f} | "
            f"{u:.4f} ± {se(u, e):.4f} |"
        )

    print(
        "\n### CUPED at every look: 10 looks x 100 units per arm, covariate correlation 0.7, sd 3\n"
    )
    print("| effect | test | false-positive rate or power | coverage at every look |")
    print("|---|---|---|---|")
    for effect in (0.0, 0.25):
        looks = sim.cuped_looks(rng, e, 10, 100, rho=0.7, sd_y=3, sd_x=3, effect=effect)
        plain = (looks.a.outcome, looks.b.outcome)
        for label, args in (("plain", plain), ("CUPED", tuple(cuped_sums(*looks)))):
            for spending in ("obrien-fleming", "pocock"):
                r = group_sequential_test(*args, alpha=ALPHA, spending=spending, repeated_p=False)
                rate = float(r.rejected[:, -1].mean())
                cover = float(((r.diff_ci[0] <= effect) & (effect <= r.diff_ci[1])).all(1).mean())
                print(
                    f"| {effect} | {spending}, {label} | {rate:.4f} ± {se(rate, e):.4f} | "
                    f"{cover:.4f} ± {se(cover, e):.4f} |"
                )

    print("\n### Ratio metric: clicks per session, 1,000 users per arm, ~3 sessions per user\n")
    print("| interval | coverage |")
    print("|---|---|")
    pairs = chunked(sim.ratio_pairs, rng, e, 2000, n_per_arm=1000, effect=0.01)
    r = sim.ratio_rates(pairs, truth=0.01, alpha=ALPHA)
    for key, label in (
        ("delta_coverage", "delta method over users"),
        ("naive_per_event_coverage", "naive, sessions as independent units"),
    ):
        print(f"| {label} | {r[key]:.4f} ± {se(r[key], e):.4f} |")

    print("\n### Ratio CUPED: clicks per session adjusted by the pre-period ratio\n")
    print("Users keep their click rate across periods (mean 20%, ~8 sessions per period),")
    print("500 users per arm, lift 10% (true difference 0.02).\n")
    print("| variance reduction reported | achieved | coverage (CUPED) | coverage (plain) |")
    print("|---|---|---|---|")
    sums = chunked(sim.ratio_pre_period, rng, e, 2000, n_per_arm=500, lift=0.1)
    r = sim.ratio_cuped_rates(sums, truth=0.02, alpha=ALPHA)
    c, u = r["cuped_coverage"], r["unadjusted_coverage"]
    print(
        f"| {r['variance_reduction_reported']:.4f} | {r['variance_reduction_achieved']:.4f} | "
        f"{c:.4f} ± {se(c, e):.4f} | {u:.4f} ± {se(u, e):.4f} |"
    )

    print(f"\n({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
