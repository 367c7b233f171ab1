"""Benchmark abtest's aggregation against pandas and a DuckDB scan floor.

    python benchmarks/bench_aggregate.py                      # 1M and 10M units
    python benchmarks/bench_aggregate.py --units 1e6 1e7 3e7  # add 30M
    python benchmarks/bench_aggregate.py --units 1e7 --no-pandas --repeat 5
    python benchmarks/bench_aggregate.py --units 1e7 --capped     # + a capped goal

For each size it generates (once, cached under --out, default ./bench_out)
Parquet logs with the seeded synthetic generator: 20 experiments with 2-4
variants, 1-3 experiments per unit, ~0.5% multi-variant units, signup and
purchase goals with revenue. Then, each in a fresh process (so peak memory is
its own): abtest.summarize, an idiomatic pandas implementation of the same
semantics (abtest.data._pandas_reference), the straightforward hand-written
DuckDB query the issue quotes (PLAIN_SQL), a scan-only floor (DuckDB reading
the needed columns once) and a grouping floor (DuckDB counting the distinct
(experiment, unit) pairs, the least a hash-based exact assignment must do).
The outputs of abtest, pandas and the plain query are checked equal (counts
exactly, revenue sums to 1e-9 relative) before any time is printed. Targets at 10M units:
>= 4x faster than pandas, within 4x of the scan floor, below 3.5 GB peak RSS.

abtest and the floor run --repeat times, interleaved, and the best run counts;
before each run the script waits (up to --wait-idle seconds) for the machine to
be idle, and after it prints how many cores other processes used meanwhile, so
that a ratio taken on a shared machine can be judged.

--capped adds a run of abtest with one more goal, revenue capped at its 99th
percentile (abtest.data.capping: the threshold computed in the same query), and
prints its time over the uncapped run's (target <= 1.3x); the goals both runs
share are checked equal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

GOALS = [
    {"event": "signup"},
    {"event": "purchase"},
    {"event": "purchase", "metric": "revenue", "value": "value"},
]
CAPPED = {
    "event": "purchase",
    "metric": "revenue_p99",
    "value": "value",
    "capping": {"percentile": 0.99},
}
CHUNK = 1_000_000

# The straightforward hand-written DuckDB query of the same totals (the issue quotes
# 8-9 s for one at 10M units on this machine): first exposure and variant count per
# (experiment, unit), then the in-window goal events per kept unit. No exclusion
# counts besides the kept units; checked equal to abtest's statistics.
PLAIN_SQL = """
WITH a AS (
    SELECT experiment, unit_id, min(timestamp) AS first_ts,
           arg_min(variant, timestamp) AS variant, count(DISTINCT variant) AS nv
    FROM '{e}' GROUP BY experiment, unit_id),
kept AS (SELECT experiment, unit_id, first_ts, variant FROM a WHERE nv = 1),
n AS (SELECT experiment, variant, count(*) AS n FROM kept GROUP BY ALL),
per_unit AS (
    SELECT k.experiment, k.variant, k.unit_id, c.event,
           max(CASE WHEN c.timestamp >= k.first_ts
                     AND c.timestamp < k.first_ts + INTERVAL 7 DAY THEN 1 ELSE 0 END) AS conv,
           sum(CASE WHEN c.timestamp >= k.first_ts
                     AND c.timestamp < k.first_ts + INTERVAL 7 DAY
                    THEN c.value ELSE 0 END) AS revenue
    FROM '{c}' c JOIN kept k USING (unit_id)
    WHERE c.event IN ('signup', 'purchase')
    GROUP BY ALL),
sums AS (
    SELECT experiment, variant, event, sum(conv) AS conv,
           sum(revenue) AS rs, sum(revenue * revenue) AS rss
    FROM per_unit GROUP BY ALL)
SELECT n.experiment, n.variant, g.metric, n.n,
       coalesce(CASE WHEN g.metric = 'revenue' THEN s.rs ELSE s.conv END, 0) AS sum,
       coalesce(CASE WHEN g.metric = 'revenue' THEN s.rss ELSE s.conv END, 0) AS sum_sq
FROM n CROSS JOIN (VALUES ('signup', 'signup'), ('purchase', 'purchase'),
                          ('revenue', 'purchase')) g(metric, event)
LEFT JOIN sums s ON s.experiment = n.experiment AND s.variant = n.variant
                AND s.event = g.event
"""


def specs() -> list[dict]:
    out = []
    for i in range(20):
        k = 2 + i % 3
        names = ["control", *[f"v{j}" for j in range(1, k)]]
        out.append(
            {
                "id": f"exp{i:02d}",
                "variants": dict.fromkeys(names, 1.0),
                "goals": [
                    {
                        "event": "signup",
                        "rates": {v: 0.10 + 0.005 * j for j, v in enumerate(names)},
                    },
                    {
                        "event": "purchase",
                        "rates": {v: 0.03 + 0.002 * j for j, v in enumerate(names)},
                        "values": {v: 50.0 + 2 * j for j, v in enumerate(names)},
                    },
                ],
            }
        )
    return out


def generate(units: int, folder: Path, seed: int) -> None:
    import duckdb

    from abtest.data import generate_traffic

    done = folder / "_complete"
    if done.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    t0 = time.perf_counter()
    for i, lo in enumerate(range(0, units, CHUNK)):
        e, c, _ = generate_traffic(
            specs(),
            units=min(CHUNK, units - lo),
            seed=[seed, i],
            first_unit=lo,
            experiments_per_unit=(1, 3),
            days=28,
        )
        for name, df in (("exposures", e), ("conversions", c)):
            con.register("df", df)
            con.execute(f"COPY df TO '{folder}/{name}_{i:04d}.parquet' (FORMAT parquet)")
            con.unregister("df")
    rows = con.execute(f"SELECT count(*) FROM '{folder}/exposures_*.parquet'").fetchone()[0]
    done.write_text(json.dumps({"units": units, "exposure_rows": rows}))
    print(
        f"  generated {units:,} units ({rows:,} exposure rows) in "
        f"{time.perf_counter() - t0:.1f} s -> {folder}",
        flush=True,
    )


# -- the three contenders, each run in a child process ------------------------------------
def child(kind: str, folder: Path) -> dict:
    import duckdb
    import pandas as pd

    from abtest.data import summarize
    from abtest.data._pandas_reference import summarize_pandas
    from abtest.data.model import parse_goals

    if kind in ("abtest", "capped"):
        import ibis.backends.duckdb  # noqa: F401

    t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    exposures = f"{folder}/exposures_*.parquet"
    conversions = f"{folder}/conversions_*.parquet"
    out = folder / f"_result_{kind}.parquet"
    if kind == "abtest":
        s = summarize(exposures, conversions, goals=GOALS)
        frame = s.frame[["experiment", "variant", "metric", "n", "sum", "sum_sq"]]
        excl = s.exclusions
    elif kind == "capped":
        s = summarize(exposures, conversions, goals=[*GOALS, CAPPED])
        frame = s.frame[["experiment", "variant", "metric", "n", "sum", "sum_sq", "cap", "capped"]]
        excl = None
    elif kind == "pandas":
        cols = ["unit_id", "experiment", "variant", "timestamp"]
        e = pd.concat(
            [pd.read_parquet(p, columns=cols) for p in sorted(folder.glob("exposures_*.parquet"))],
            ignore_index=True,
        )
        c = pd.concat(
            [pd.read_parquet(p) for p in sorted(folder.glob("conversions_*.parquet"))],
            ignore_index=True,
        )
        frame, excl = summarize_pandas(e, c, parse_goals(GOALS))
    elif kind == "sql":
        frame = duckdb.connect().execute(PLAIN_SQL.format(e=exposures, c=conversions)).df()
        excl = None
    elif kind == "groups":
        # the grouping floor: only count the distinct (experiment, unit) pairs, the
        # grouping any exact first-exposure assignment needs, with the experiment coded
        # as a small integer (the fastest form found; grouping on the string is slower),
        # on as many threads as abtest's engine (its fastest setting here too)
        from abtest.data.sources import engine_threads

        duckdb.connect(config={"threads": engine_threads()}).execute(
            f"""SELECT count(*) FROM (
                SELECT DISTINCT x.code, e.unit_id FROM '{exposures}' e JOIN (
                    SELECT experiment, (row_number() OVER ())::SMALLINT AS code
                    FROM (SELECT DISTINCT experiment FROM '{exposures}')
                ) x USING (experiment))"""
        ).fetchall()
        frame = excl = None
    else:
        # the floor: read every column abtest needs, of both logs, once. Each column goes
        # through an aggregate that must see every value (count(*) alone would be
        # answered from the Parquet footers without reading any data). DuckDB's default
        # threads (one per core): the scan is no faster on abtest's engine_threads().
        con = duckdb.connect()
        con.execute(
            f"SELECT count(*), min(unit_id), min(experiment), min(variant), "
            f"min(timestamp) FROM '{exposures}'"
        ).fetchall()
        con.execute(
            f"SELECT count(*), min(unit_id), min(event), min(timestamp), sum(value) "
            f"FROM '{conversions}'"
        ).fetchall()
        frame = excl = None
    seconds, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    if frame is not None:
        frame.to_parquet(out)
    if excl is not None:
        excl.to_parquet(folder / f"_exclusions_{kind}.parquet")
    rss = peak_rss_gb()
    # CPU time of the timed part: system time is mostly page faults (on a VM whose host
    # hands memory back lazily, first-touched memory costs up to ~2 s per GB)
    user, system = r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime
    return {"seconds": seconds, "rss_gb": rss, "user": user, "sys": system}


def peak_rss_gb() -> float:
    """This process's peak resident memory in GB: VmHWM, the high-water mark of its own
    address space. (``ru_maxrss`` would do elsewhere, but Linux carries the parent's
    peak into it across fork and exec: every child would report at least the RSS the
    benchmark itself had when it started the child.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024**2  # kB -> GB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB -> GiB


def run_child(kind: str, folder: Path) -> dict:
    """Run one contender in a fresh process; also measure what *other* processes used.

    ``others`` is the CPU time other processes took during the child's run, in cores
    (busy time of the whole machine from /proc/stat minus the child's own CPU time,
    over the child's wall time): on a shared 2-core machine a run with others near 1
    had only about one core.
    """
    cmd = [sys.executable, __file__, "--child", kind, "--data", str(folder)]
    before, t0 = _busy_seconds(), time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, after = time.perf_counter() - t0, _busy_seconds()
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    own = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    if before is not None and after is not None:
        out["others"] = max(0.0, (after - before - own) / wall)
    return out


def wait_idle(limit: float) -> None:
    """Wait (at most ``limit`` seconds) for a second in which the machine is idle
    (under a tenth of a core busy): on a shared machine, other processes' bursts
    otherwise decide which contender looks fast."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        before = _busy_seconds()
        if before is None:
            return
        time.sleep(1.0)
        if _busy_seconds() - before < 0.1:
            return


def _busy_seconds() -> float | None:
    """Seconds of CPU time the whole machine spent busy since boot (Linux), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def check_equal(folder: Path, other: str, *, exclusions: bool = True) -> None:
    """abtest's statistics (and exclusions) equal those of ``other``, or raise."""
    import pandas as pd

    def read(name: str, keys: list[str]) -> pd.DataFrame:
        return pd.read_parquet(folder / name).sort_values(keys, ignore_index=True)

    keys = ["experiment", "variant", "metric"]
    a, b = read("_result_abtest.parquet", keys), read(f"_result_{other}.parquet", keys)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    if exclusions:
        ek = [*keys, "reason"]
        ea, eb = read("_exclusions_abtest.parquet", ek), read(f"_exclusions_{other}.parquet", ek)
        pd.testing.assert_frame_equal(ea, eb, check_dtype=False)


def check_capped(folder: Path) -> None:
    """The capped run's statistics of the goals it shares with abtest's run are equal,
    and its capped goal is cut somewhere and never above the uncapped revenue."""
    import pandas as pd

    keys = ["experiment", "variant", "metric"]
    a = pd.read_parquet(folder / "_result_abtest.parquet").sort_values(keys, ignore_index=True)
    c = pd.read_parquet(folder / "_result_capped.parquet").sort_values(keys, ignore_index=True)
    shared = c[c["metric"] != CAPPED["metric"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, shared[a.columns], check_dtype=False, rtol=1e-9)
    cut = c[c["metric"] == CAPPED["metric"]].set_index(["experiment", "variant"])
    raw = a[a["metric"] == "revenue"].set_index(["experiment", "variant"])
    assert (cut["sum"] <= raw.loc[cut.index, "sum"] * (1 + 1e-12)).all()
    assert cut["capped"].sum() > 0 and cut["cap"].notna().all()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", nargs="+", type=float, default=[1e6, 1e7])
    p.add_argument("--out", type=Path, default=Path("bench_out"))
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed runs of abtest and of the floor, interleaved; the best counts (default 3)",
    )
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    p.add_argument("--no-sql", action="store_true", help="skip the plain hand-written DuckDB query")
    p.add_argument(
        "--sql-max",
        type=float,
        default=1e7,
        help="skip the plain query above this many units (default 1e7; it needs 5.8 GB at 1e7)",
    )
    p.add_argument(
        "--pandas-max",
        type=float,
        default=1e7,
        help="skip pandas above this many units (default 1e7)",
    )
    p.add_argument(
        "--wait-idle",
        type=float,
        default=60.0,
        help="before each run, wait up to this many seconds for other processes to leave "
        "the machine idle (default 60; 0: do not wait)",
    )
    p.add_argument(
        "--clean", action="store_true", help="delete each size's generated logs after its run"
    )
    p.add_argument(
        "--capped",
        action="store_true",
        help="also run abtest with a goal capped at its 99th percentile; print the ratio",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return

    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; each run "
        f"in a fresh process; abtest and the floor {args.repeat}x interleaved, best counts"
    )
    for u in args.units:
        units = int(u)
        folder = args.out / f"units_{units}_seed{args.seed}"
        print(f"\n== {units:,} units", flush=True)
        generate(units, folder, args.seed)
        meta = json.loads((folder / "_complete").read_text())
        print(f"  {meta['exposure_rows']:,} exposure rows", flush=True)
        runs: dict[str, list[dict]] = {"floor": [], "groups": [], "abtest": []}
        if not args.no_sql and units <= args.sql_max:
            runs["sql"] = []
        if args.capped:
            runs["capped"] = []
        for _ in range(max(1, args.repeat)):
            for kind in runs:
                wait_idle(args.wait_idle)
                runs[kind].append(run_child(kind, folder))
        if "capped" in runs:
            check_capped(folder)
            print("  outputs identical: the capped run's uncapped goals == abtest's")
        if "sql" in runs:
            check_equal(folder, "sql", exclusions=False)
            print("  outputs identical: abtest == plain SQL (n, conversions, revenue to 1e-9)")
        if not args.no_pandas and units <= args.pandas_max:
            wait_idle(args.wait_idle)
            runs["pandas"] = [run_child("pandas", folder)]
            check_equal(folder, "pandas")
            print(
                "  outputs identical: abtest == pandas (n, conversions exactly; "
                "revenue to 1e-9 relative; exclusions exactly)"
            )
        best = {}
        for kind, rs in runs.items():
            fastest = min(rs, key=lambda r: r["seconds"])
            secs = fastest["seconds"]
            best[kind] = {"seconds": secs, "rss_gb": max(r["rss_gb"] for r in rs)}
            shown = "  ".join(
                f"{r['seconds']:.2f}" + (f" ({r['others']:.1f})" if "others" in r else "")
                for r in rs
            )
            print(
                f"  {kind:7s} best {secs:7.2f} s (CPU user {fastest['user']:5.2f} s, "
                f"sys {fastest['sys']:5.2f} s)   peak RSS {best[kind]['rss_gb']:5.2f} GB"
                f"   runs (cores used by other processes): {shown}"
            )
        ab = best["abtest"]
        vs_floor = ab["seconds"] / best["floor"]["seconds"]
        line = f"  ratios: abtest / scan floor = {vs_floor:.1f}x (target <= 4)"
        groups = best["groups"]["seconds"]
        line += (
            f" [grouping floor / scan floor = {groups / best['floor']['seconds']:.1f}x, "
            f"abtest / grouping floor = {ab['seconds'] / groups:.1f}x]"
        )
        if "sql" in best:
            line += f";  plain SQL / abtest = {best['sql']['seconds'] / ab['seconds']:.1f}x"
        if "pandas" in best:
            speedup = best["pandas"]["seconds"] / ab["seconds"]
            line += f";  pandas / abtest = {speedup:.1f}x (target >= 4)"
        line += f";  abtest peak RSS {ab['rss_gb']:.2f} GB (target < 3.5)"
        if "capped" in best:
            line += (
                f";  capped / abtest = {best['capped']['seconds'] / ab['seconds']:.2f}x "
                "(target <= 1.3)"
            )
        print(line, flush=True)
        if args.clean:
            shutil.rmtree(folder)
            print(f"  deleted {folder}")


if __name__ == "__main__":
    main()
