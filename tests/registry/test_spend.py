"""``spend``: per variant or per source (``spend.per_source``), and the rules tying spend
per source to ``data.segments``; each problem at its file:line (more cases in corpus/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from abtest.registry import Experiment, load_registry, validate_paths


def _lines(path: Path) -> list[str]:
    return [f"{Path(p.file).name}:{p.line}: {p.severity}: {p.message}" for p in
            validate_paths([path])]  # fmt: skip


def _with(valid_text, spend: str, segments: str | None = "[source]") -> str:
    data = f"data:\n  segments: {segments}\n" if segments is not None else ""
    return valid_text(edits={"analysis:\n": f"spend:\n{spend}analysis:\n"}) + data


PER_SOURCE = "  currency: USD\n  per_source: {google: 1800, email: 600, direct: 0}\n"


def test_spend_per_source_with_the_source_segment_is_valid(write, valid_text) -> None:
    path = write(_with(valid_text, PER_SOURCE))
    assert validate_paths([path]) == []
    design = load_registry(path.parent)["pricing-cta"].to_design()
    assert design.spend is None
    assert design.spend_per_source == {"google": 1800.0, "email": 600.0, "direct": 0.0}
    assert design.source_column is None  # the analysis then reads the 'source' segment


def test_spend_needs_amounts(write, valid_text) -> None:
    # 'spend:' is inserted at line 18, where analysis was (currency 19, amounts 20)
    assert _lines(write(_with(valid_text, "  currency: USD\n"))) == [
        "pricing-cta.yaml:18: error: spend: no amounts: add per_variant (variant id -> amount) "
        "or per_source (traffic source -> amount, shared across the variants by their units "
        "from it)"
    ]


def test_source_column_without_per_source(write, valid_text) -> None:
    spend = "  currency: USD\n  per_variant: {control: 1, free-trial: 1}\n  source_column: source\n"
    assert _lines(write(_with(valid_text, spend))) == [
        "pricing-cta.yaml:21: error: spend.source_column: applies to spend per source: give "
        "per_source (source -> amount) or remove it"
    ]


def test_several_segment_columns_need_source_column(write, valid_text) -> None:
    text = _with(valid_text, PER_SOURCE, segments="[utm_source, device]")
    assert _lines(write(text)) == [
        "pricing-cta.yaml:20: error: spend.per_source: which of data.segments (utm_source, "
        "device) holds the source? say it with 'source_column: utm_source' (for example) under "
        "spend"
    ]
    fixed = _with(valid_text, PER_SOURCE + "  source_column: utm_source\n", "[utm_source, device]")
    path = write(fixed)
    assert validate_paths([path]) == []
    # the registry hands the column to the analysis, which reads the same rule
    assert load_registry(path.parent)["pricing-cta"].to_design().source_column == "utm_source"


def test_a_negative_amount_is_a_schema_error_at_its_line(write, valid_text) -> None:
    text = _with(valid_text, "  currency: USD\n  per_source: {google: -5}\n")
    assert _lines(write(text)) == [
        "pricing-cta.yaml:20: error: spend.per_source.google: must be at least 0, got -5"
    ]


def test_built_in_python_the_rules_raise(valid_text) -> None:
    import yaml

    raw = yaml.safe_load(_with(valid_text, PER_SOURCE, segments=None))
    with pytest.raises(ValueError, match=r"add 'data.segments: \[source\]'"):
        Experiment(**raw)
