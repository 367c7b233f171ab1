"""The notebooks run top to bottom (so they never rot) and are stored without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_both_notebooks_are_there():
    assert [p.name for p in PATHS] == ["01_quick_start.ipynb", "02_full_analysis.ipynb"]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_outputs_are_cleared(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    images = [
        o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
        if "image/png" in o.get("data", {})
    ]
    assert images, "the notebook should show at least one plot"


PUBLIC = {"abtest", "abtest.stats", "abtest.data", "abtest.report"}  # API.md's modules


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_notebooks_use_the_public_api_only(path):
    # notebook 02 once imported abtest.analysis.design_from_experiment and patched designs
    # with dataclasses.replace; a user copying it should meet only documented calls
    import ast

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse("\n".join(line for line in cell.source.splitlines()
                                   if not line.lstrip().startswith(("%", "!"))))  # fmt: skip
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("abtest"):
                assert node.module in PUBLIC, (node.module, cell.source[:60])
            if isinstance(node, ast.Import):
                names = {a.name for a in node.names}
                assert "dataclasses" not in names, cell.source[:60]
                assert all(n in PUBLIC or not n.startswith("abtest") for n in names)
