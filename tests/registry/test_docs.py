"""docs/registry.md documents every schema field, and its YAML/JSON snippets parse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from abtest.registry import (
    AnalysisConfig,
    Conclusion,
    DataSource,
    Experiment,
    Goal,
    Guardrail,
    Spend,
    Variant,
)
from abtest.registry.goal_schema import Capping, Statistic
from abtest.registry.serving import Assignment, Holdout, Namespace, RegistrySettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "registry.md"


@pytest.fixture(scope="module")
def text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "model",
    [
        *(Experiment, Variant, Goal, Guardrail, AnalysisConfig, Spend, Conclusion, DataSource),
        *(Assignment, Namespace, Holdout, RegistrySettings, Capping, Statistic),
    ],
)
def test_every_field_is_in_a_table(model: type[BaseModel], text: str) -> None:
    for name in model.model_fields:
        assert f"| `{name}` |" in text, f"{model.__name__}.{name} is not documented"


def test_the_complete_example_is_the_example_file(text: str, repo: Path) -> None:
    block = re.search(r"## A complete example.*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    doc = yaml.safe_load(block.group(1))
    file = yaml.safe_load((repo / "experiments" / "pricing-cta-wording.yaml").read_text())
    assert doc == file


def test_snippets_parse(text: str) -> None:
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        yaml.safe_load(block)
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        json.loads(block)
