"""The example registry in experiments/: clean, and covering what the issue asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from abtest.registry import Experiment, load_registry


@pytest.fixture(scope="module")
def examples() -> dict[str, Experiment]:
    return dict(load_registry(Path(__file__).resolve().parents[2] / "experiments"))


def test_no_problems_not_even_warnings(examples, repo) -> None:
    assert load_registry(repo / "experiments").validate() == []
    assert len(examples) >= 6


def test_file_names_match_ids(examples) -> None:
    for exp in examples.values():
        assert exp.path is not None and exp.path.name == f"{exp.id}.yaml"


def test_coverage(examples) -> None:
    exps = list(examples.values())
    kinds = {g.kind for e in exps for g in e.goals}
    assert kinds == {"micro", "macro"}
    assert any(e.page == "/" and {g.kind for g in e.goals} == {"micro", "macro"} for e in exps)
    assert any(len(e.variants) == 3 for e in exps)
    assert any(e.page == "/checkout" and any(g.value for g in e.goals) for e in exps)
    assert any(
        list(e.funnel) == ["visitor", "lead", "mql", "sql", "customer"] and e.spend is not None
        for e in exps
    )
    assert any(e.analysis.method == "bayesian" and e.page == "/pricing" for e in exps)
    assert any(e.analysis.method == "sequential" and e.analysis.looks for e in exps)
    assert any(e.status == "concluded" and e.decision is not None for e in exps)
    assert any(e.data is not None and e.data.columns for e in exps)
