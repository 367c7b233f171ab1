"""Imports point one way (DESIGN.md's stations) and never in a circle.

Read from the source with ``ast``, so the test sees every import, including the ones
inside functions. A module-level import may only point to its own station or one
below it; an import inside a function may point up only where a convenience method
hands over to a higher station (listed in ``LAZY_UP``, each with its reason).
"""

from __future__ import annotations

import ast
import graphlib
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "abtest"

# lowest first; "base" is the standard-library-only vocabulary every station shares
STATIONS = ["base", "stats", "registry", "assignment", "data", "analysis", "report", "cli"]
BASE = {"abtest", "abtest.vocabulary", "abtest.formatting", "abtest.design", "abtest._io"}

LAZY_UP = {
    # Experiment.analyze(source): the registry's convenience entry to the analysis
    ("abtest.registry.schema", "abtest.analysis.experiment"),
    # Analysis.render_text()/_repr_html_()/plot(): an Analysis shows itself in a notebook
    ("abtest.analysis.result", "abtest.report.text"),
    ("abtest.analysis.result", "abtest.report.markdown"),
    ("abtest.analysis.result", "abtest.report.html"),
    ("abtest.analysis.result", "abtest.report"),
    ("abtest.analysis.result", "abtest.report.plots"),
}


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


MODULES = _modules()


def _target(node: ast.ImportFrom | ast.Import) -> list[str]:
    """The abtest modules an import statement loads (``from abtest import x`` loads the
    module ``abtest.x`` when there is one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "abtest"]
    if not node.module or node.module.split(".")[0] != "abtest":
        return []
    subs = [f"{node.module}.{a.name}" for a in node.names]
    return [s for s in subs if s in MODULES] or [node.module]


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(module-level imports, imports inside functions) of one module."""
    top = {id(n) for n in tree.body}
    typing_only = set()
    for n in tree.body:
        if isinstance(n, ast.If) and ast.unparse(n.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            typing_only |= {id(c) for c in ast.walk(n)}  # for annotations only: not run
        elif isinstance(n, (ast.If, ast.Try)):  # conditional imports at top level
            top |= {id(c) for c in ast.walk(n)}
    eager, lazy = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only:
            (eager if id(node) in top else lazy).update(_target(node))
    return eager, lazy


def _station(module: str) -> str:
    if module in BASE:
        return "base"
    return module.split(".")[1]


def test_every_module_belongs_to_a_station():
    assert {_station(m) for m in MODULES} <= set(STATIONS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    eager, lazy = _imports(MODULES[module])
    here = STATIONS.index(_station(module))
    up = [t for t in eager if STATIONS.index(_station(t)) > here]
    assert not up, f"{module} imports {up} from a station above it"
    lazy_up = [t for t in lazy if STATIONS.index(_station(t)) > here and (module, t) not in LAZY_UP]
    assert not lazy_up, f"{module} imports {lazy_up} (inside a function) from above it"


def test_stats_and_the_base_import_only_themselves_and_the_standard_library():
    third_party_ok = {"numpy", "scipy", "statsmodels"}
    for module, tree in MODULES.items():
        station = _station(module)
        if station not in ("stats", "base"):
            continue
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                if root == "abtest":
                    assert _station(name) in ("base", station), f"{module} imports {name}"
                elif root not in sys.stdlib_module_names:
                    allowed = third_party_ok if station == "stats" else set()
                    assert root in allowed, f"{module} imports {name}"


def test_assignment_imports_no_pandas_or_scipy():
    """A web process imports abtest.assignment to serve variants: numpy and pyarrow
    only (and the registry's pydantic models), never pandas, scipy or matplotlib."""
    heavy = {"pandas", "scipy", "statsmodels", "matplotlib", "ibis", "duckdb"}
    for module, tree in MODULES.items():
        if _station(module) != "assignment":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & heavy, f"{module} imports {roots & heavy}"


def test_no_import_circle():
    """Neither at import time nor through imports inside functions (the hand-overs of
    ``LAZY_UP`` aside): a circle there is two modules that cannot be read apart."""
    graph = {}
    for m, tree in MODULES.items():
        eager, lazy = _imports(tree)
        graph[m] = {
            t
            for t in eager | lazy
            if t in MODULES
            and t != m
            and (m, t) not in LAZY_UP
            # a package's __init__ and its own submodules are not a circle
            and not m.startswith(t + ".")
            and not t.startswith(m + ".")
        }
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a circle
