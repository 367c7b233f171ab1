"""The cost curve of bench_aggregate.py: abtest's time and peak memory per size.

Each size's best abtest run is recorded in ``<out>/curve.json`` (one entry per number
of units, the latest run wins), so that sizes measured by separate invocations (the
100M run takes its own) end up on one curve; ``--plot FILE`` draws it (matplotlib,
two panels: seconds and peak RSS against units, log-log) and prints the Markdown
table docs/data.md shows.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def record(out: Path, units: int, entry: dict) -> None:
    """Add (or replace) the entry of ``units`` in ``out/curve.json``, with the machine it
    was measured on."""
    path = out / "curve.json"
    curve = json.loads(path.read_text()) if path.exists() else {}
    curve[str(units)] = {
        **entry,
        **machine(),
        "recorded": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(curve, indent=2, sort_keys=True) + "\n")


def machine() -> dict:
    """``cores`` this process may run on and ``ram_gb``, the memory it may use (GB of
    10^9 bytes: the RAM, or a container's lower limit)."""
    from abtest.data.engine_settings import total_memory

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count()
    return {"cores": cores, "ram_gb": round((total_memory() or 0) / 1e9, 1)}


def _machine_label(points: list[tuple[int, dict]]) -> str:
    """``2 cores, 25 GB memory``: the machine the entries record (this one for entries
    recorded before machines were), or ``several machines``."""
    here = machine()
    seen = {(e.get("cores", here["cores"]), e.get("ram_gb", here["ram_gb"])) for _, e in points}
    if len(seen) > 1:
        return "several machines"
    ((cores, ram),) = seen
    return f"{cores} cores, {ram:.0f} GB memory"


def load(out: Path) -> list[tuple[int, dict]]:
    path = out / "curve.json"
    if not path.exists():
        return []
    return sorted((int(k), v) for k, v in json.loads(path.read_text()).items())


def table(out: Path) -> str:
    """The recorded curve as a Markdown table."""
    rows = [
        "| units | exposure rows | generation | abtest | peak RSS | grouping floor | "
        "abtest / grouping floor | with a smaller budget |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for units, e in load(out):
        gen = f"{e['generation_s']:.0f} s" if e.get("generation_s") else "—"
        groups = e.get("groups_s")
        rows.append(
            f"| {_units(units)} | {e['exposure_rows'] / 1e6:.1f}M | {gen} | "
            f"{e['abtest_s']:.1f} s | {e['abtest_rss_gb']:.2f} GB | "
            + (f"{groups:.2f} s | {e['abtest_s'] / groups:.1f}x" if groups else "— | —")
            + " | "
            + (
                f"{e['budget']}: {e['budget_s']:.1f} s ({e['budget_s'] / e['abtest_s']:.2f}x), "
                f"{e['budget_rss_gb']:.2f} GB"
                if e.get("budget")
                else "—"
            )
            + " |"
        )
    return "\n".join(rows)


def plot(out: Path, path: Path) -> None:
    """Draw the recorded curve into ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = load(out)
    if not points:
        raise SystemExit(f"no recorded sizes in {out / 'curve.json'}: run the benchmark first")
    units = [u for u, _ in points]
    seconds = [e["abtest_s"] for _, e in points]
    rss = [e["abtest_rss_gb"] for _, e in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    left.loglog(units, seconds, "o-", label="abtest.summarize")
    floors = [(u, e["groups_s"]) for u, e in points if e.get("groups_s")]
    if floors:
        left.loglog(*zip(*floors, strict=True), "s--", color="grey", label="DuckDB grouping floor")
    left.set(xlabel="units", ylabel="seconds", title="Time")
    right.semilogx(units, rss, "o-", label="default budget")
    budgets = [(u, e) for u, e in points if e.get("budget")]
    for i, (u, e) in enumerate(budgets):
        label = f"memory_limit={e['budget']}"
        left.loglog([u], [e["budget_s"]], "v", color="C3", label=None if i else label)
        right.plot([u], [e["budget_rss_gb"]], "v", color="C3")
        right.annotate(label, (u, e["budget_rss_gb"]), fontsize=8, xytext=(6, -12),
                       textcoords="offset points", color="C3")  # fmt: skip
    left.legend(frameon=False)
    right.axhline(8, color="grey", ls=":", lw=1)
    right.text(units[0], 8.1, "8 GB target at 100M", color="grey", fontsize=8)
    from abtest.data.engine_settings import DEFAULT_FRACTION, total_memory

    default = DEFAULT_FRACTION * (total_memory() or 0) / 1e9
    if default:
        right.axhline(default, color="C0", ls="--", lw=0.8)
        right.text(units[0], default + 0.1, f"default budget {default:.1f} GB", fontsize=8)
    right.set(xlabel="units", ylabel="GB", title="Peak resident memory", ylim=(0, None))
    for ax in (left, right):
        ax.set_xticks(units, [_units(u) for u in units])
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(
        "abtest.summarize on Parquet logs (~3 exposure rows per unit), " + _machine_label(points)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
    print(table(out))


def _units(n: int) -> str:
    return f"{n / 1e6:g}M"
