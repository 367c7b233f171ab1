"""The validate benchmark's generated registry is clean (the timing itself is the
benchmark's job: ``python benchmarks/bench_validate.py``)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from abtest.registry import validate_paths


def test_generated_200_files_validate_clean_in_process(repo: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "bench_validate", repo / "benchmarks" / "bench_validate.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    paths = bench.generate(tmp_path / "experiments", 200)
    assert len(paths) == 200
    t0 = time.perf_counter()
    problems = validate_paths([tmp_path / "experiments"])
    elapsed = time.perf_counter() - t0
    assert problems == []
    assert elapsed < 3.0  # generous: about 0.1 s on an idle laptop; catches a regression
