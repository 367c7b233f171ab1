"""Shared helpers for the registry tests: a valid experiment file to mutate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXPERIMENTS = REPO / "experiments"
CORPUS = REPO / "tests" / "registry" / "corpus"

VALID = """\
id: {id}
name: Pricing CTA wording
hypothesis: Naming the free trial converts more visitors than 'Learn more'
owner: growth@example.com
status: running
start: 2026-11-02
end: 2026-11-30
page: /pricing
variants:
  - {{id: control, name: Learn more, weight: 0.5, control: true}}
  - {{id: free-trial, name: Start my free trial, weight: 0.5}}
goals:
  - {{id: trial_signup, event: trial_signup, kind: macro, primary: true}}
  - {{id: cta_click, event: cta_click, kind: micro}}
  - {{id: bounce, event: bounce, kind: micro}}
guardrails:
  - {{goal: bounce, direction: decrease, margin: 0.02}}
analysis:
  mde: 0.10
  baseline: 0.04
  expected_daily_units: 6000
"""


def _valid_text(experiment_id: str = "pricing-cta", edits: dict[str, str] | None = None) -> str:
    text = VALID.format(id=experiment_id)
    for old, new in (edits or {}).items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


@pytest.fixture
def valid_text() -> Callable[..., str]:
    """``valid_text(id="pricing-cta", edits={old: new})``: a valid experiment file's text,
    with exact-text replacements applied."""
    return _valid_text


@pytest.fixture
def repo() -> Path:
    """The repository root (holds experiments/)."""
    return REPO


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """``write(text, name="pricing-cta.yaml")`` -> the path of a new file in tmp_path."""

    def _write(text: str | bytes, name: str = "pricing-cta.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write
