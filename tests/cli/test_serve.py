"""``abtest assign`` and ``abtest export``: the file of ids gets what abtest.assign
gives, and the exported GrowthBook definitions, evaluated the way the SDK's
``runExperiment`` does, serve every unit the same variant."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import abtest
from abtest.assignment import bucket, bucket_ranges, choose_variant, in_namespace
from abtest.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def registry(repo: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "experiments"
    shutil.copytree(repo / "experiments", folder)
    (folder / "_registry.yaml").write_text("holdout:\n  fraction: 0.05\n")
    return folder


IDS = [f"visitor-{i}" for i in range(3000)] + ["0042", "café-7"]


def sdk_variant(exp: dict, unit: str):
    """GrowthBook ``runExperiment`` (packages/sdk-js/src/core.ts) steps 7-9 for one
    unit: filters, else namespace; then the hash, the ranges and chooseVariation."""
    if not unit:
        return None
    if exp.get("filters"):
        for f in exp["filters"]:
            n = bucket(f["seed"], unit, f.get("hashVersion", 2))
            if not any(lo <= n < hi for lo, hi in f["ranges"]):
                return None
    elif exp.get("namespace") and not in_namespace(unit, tuple(exp["namespace"])):
        return None
    n = bucket(exp.get("seed") or exp["key"], unit, exp.get("hashVersion", 1))
    ranges = bucket_ranges(len(exp["variations"]), exp.get("coverage", 1), exp.get("weights"))
    index = choose_variant(n, ranges)
    return None if index == -1 else exp["variations"][index]


@pytest.mark.parametrize("holdout", [True, False])
def test_exported_growthbook_definitions_serve_what_assign_gives(registry, tmp_path, holdout):
    if not holdout:
        (registry / "_registry.yaml").unlink()
    out = tmp_path / "gb.json"
    result = run("export", "--registry", registry, "--out", out)
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())["experiments"]
    reg = abtest.load_registry(registry)
    running = [e for e in reg.values() if e.status == "running"]
    assert [e["key"] for e in exported] == [e.id for e in running]
    for definition, exp in zip(exported, running, strict=True):
        expected = abtest.assign(IDS, exp).tolist()
        assert [sdk_variant(definition, u) for u in IDS] == expected, exp.id
    pricing = next(e for e in exported if e["key"] == "pricing-cta-wording")
    if holdout:  # the SDK ignores namespace when filters are set: both are filters
        assert pricing["filters"][0] == {
            "seed": "abtest-holdout", "ranges": [[0.05, 1]], "hashVersion": 2, "attribute": "id"
        }  # fmt: skip
        assert pricing["filters"][1]["seed"] == "__pricing" and "namespace" not in pricing
    else:
        assert pricing["namespace"] == ["pricing", 0, 0.5] and "filters" not in pricing


def test_export_json_has_the_ranges(registry):
    result = run("export", "--registry", registry, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["holdout"]["fraction"] == 0.05
    annual = next(e for e in data["experiments"] if e["id"] == "pricing-annual-default")
    # slice [0.5, 1) of 'pricing' at traffic 0.5: coverage 1, ranges [0, .5) and [.5, 1)
    assert annual["coverage"] == 1.0
    assert [v["range"] for v in annual["variants"]] == [[0.0, 0.5], [0.5, 1.0]]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_assign_streams_a_file_of_ids(registry, tmp_path, monkeypatch, suffix):
    monkeypatch.setattr("abtest.cli.serve.BATCH", 700)  # several batches (Parquet)
    ids = tmp_path / f"ids{suffix}"
    table = pa.table({"user_id": IDS, "other": np.arange(len(IDS))})
    (pq.write_table if suffix == ".parquet" else pacsv.write_csv)(table, ids)
    out = tmp_path / f"variants{suffix}"
    result = run("assign", "checkout-express-pay", "--registry", registry, "--ids", ids,
                 "--column", "user_id", "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    text = pacsv.ConvertOptions(column_types={"user_id": pa.string()}, strings_can_be_null=True)
    got = pq.read_table(out) if suffix == ".parquet" else pacsv.read_csv(out, convert_options=text)
    assert got.column("user_id").to_pylist() == IDS  # "0042" keeps its zeros
    exp = abtest.load_registry(registry)["checkout-express-pay"]
    assert got.column("variant").to_pylist() == abtest.assign(IDS, exp).tolist()
    assert f"assigned {len(IDS):,} ids" in result.output


def test_assign_bad_input_is_one_line(registry, tmp_path):
    ids = tmp_path / "ids.csv"
    ids.write_text('user_id\na\n""\nb\n')
    out = tmp_path / "v.csv"
    cases = [
        (["nope", "--ids", ids, "--out", out], "no experiment 'nope'"),
        (["checkout-express-pay", "--ids", ids, "--column", "uid", "--out", out],
         "no column 'uid' (columns: user_id)"),
        (["checkout-express-pay", "--ids", ids, "--column", "user_id", "--out", out],
         "line 3: column 'user_id' is empty"),
        (["checkout-express-pay", "--ids", ids, "--out", tmp_path / "v.txt"], "give a .csv"),
        (["checkout-express-pay", "--ids", ids, "--out", ids], "is an input of this command"),
        (["checkout-express-pay", "--ids", "/dev/null", "--out", out], "not a regular file"),
        (["checkout-express-pay", "--ids", tmp_path / "none.csv", "--out", out], "no such file"),
    ]  # fmt: skip
    for args, message in cases:
        result = run("assign", "--registry", registry, *args)
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output, result.output
        assert not out.exists()  # nothing half-written
    assert ids.read_text() == 'user_id\na\n""\nb\n'  # the input is never touched
    # blank lines and a quoted id spanning two lines: Arrow's row 2 ("") is on line 8
    ids.write_text('user_id\n\na\n"x\ny"\n\n\n""\nb\n')
    result = run("assign", "--registry", registry, "checkout-express-pay", "--ids", ids,
                 "--column", "user_id", "--out", out)  # fmt: skip
    assert "line 8: column 'user_id' is empty" in result.output, result.output
