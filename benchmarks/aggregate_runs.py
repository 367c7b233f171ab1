"""Running bench_aggregate.py's contenders: each in a fresh process, its own peak
memory, and how busy the rest of the (shared) machine was meanwhile."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_rss_gb() -> float:
    """This process's peak resident memory in GB (10^9 bytes, the targets' unit): VmHWM,
    the high-water mark of its own address space. (``ru_maxrss`` would do elsewhere, but
    Linux carries the parent's peak into it across fork and exec: every child would
    report at least the RSS the benchmark itself had when it started the child.)"""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e9  # KiB (as /proc says kB) -> GB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # KiB -> GB


def run_child(script: str, kind: str, folder: Path, budget: str | None = None) -> dict:
    """Run one contender in a fresh process; also measure what *other* processes used.

    ``others`` is the CPU time other processes took during the child's run, in cores
    (busy time of the whole machine from /proc/stat minus the child's own CPU time,
    over the child's wall time): on a shared 2-core machine a run with others near 1
    had only about one core.
    """
    cmd = [sys.executable, script, "--child", kind, "--data", str(folder)]
    if budget and kind == "budget":
        cmd += ["--budget", budget]
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
