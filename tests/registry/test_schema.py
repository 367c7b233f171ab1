"""The experiment models: fields, strictness, invariants, convenience properties, JSON Schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from abtest.registry import (
    AnalysisConfig,
    Conclusion,
    DataSource,
    Experiment,
    Goal,
    Guardrail,
    Spend,
    Variant,
    json_schema,
)


def _exp(**over: Any) -> Experiment:
    fields: dict[str, Any] = {
        "id": "cta",
        "name": "CTA",
        "hypothesis": "Shorter CTA converts more",
        "owner": "growth@example.com",
        "status": "running",
        "start": dt.date(2026, 11, 2),
        "end": dt.date(2026, 11, 30),
        "page": "/pricing",
        "variants": [
            {"id": "b", "name": "Go", "weight": 0.3},
            {"id": "a", "name": "Now", "weight": 0.5, "control": True},
            {"id": "c", "name": "Start", "weight": 0.2},
        ],
        "goals": [
            {"id": "click", "event": "cta_click", "kind": "micro"},
            {"id": "signup", "event": "signup", "kind": "macro", "primary": True,
             "attribution_window": "2d"},
        ],
    }  # fmt: skip
    fields.update(over)
    return Experiment(**fields)


def test_properties_put_the_control_first() -> None:
    exp = _exp()
    assert exp.control.id == "a"
    assert exp.variant_ids == ("a", "b", "c")
    assert exp.weights == (0.5, 0.3, 0.2)
    assert [v.id for v in exp.treatments] == ["b", "c"]
    assert exp.primary_goal.id == "signup"
    assert exp.goal("click").kind == "micro"
    assert exp.variant("c").weight == 0.2
    assert exp.attribution_window("signup") == "2d"
    assert exp.attribution_window("click") == "7d"
    assert exp.scheduled_days == 29
    assert exp.path is None


def test_unknown_goal_or_variant_names_the_known_ones() -> None:
    exp = _exp()
    with pytest.raises(KeyError, match="goals: click, signup"):
        exp.goal("purchase")
    with pytest.raises(KeyError, match="variants: a, b, c"):
        exp.variant("z")


def test_defaults() -> None:
    exp = _exp()
    assert exp.unit == "visitor" and exp.traffic == 1.0 and exp.guardrails == ()
    a = exp.analysis
    assert (a.method, a.alpha, a.power, a.correction, a.alternative) == (
        "frequentist",
        0.05,
        0.8,
        "holm",
        "two-sided",
    )
    assert (a.prob_best, a.prior, a.spending, a.attribution_window) == (
        0.95,
        (1.0, 1.0),
        "obrien-fleming",
        "7d",
    )


def test_models_are_frozen() -> None:
    exp = _exp()
    with pytest.raises(ValidationError):
        exp.status = "stopped"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        exp.variants[0].weight = 0.9  # type: ignore[misc]


def test_path_is_not_a_field() -> None:
    exp = _exp()
    assert "path" not in exp.model_dump()
    assert "path" not in json_schema()["properties"]


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"variants": [{"id": "a", "name": "A", "weight": 0.5, "control": True},
                       {"id": "b", "name": "B", "weight": 0.5, "control": True}]},
         r"variants\[1\]\.control: a second control"),
        ({"variants": [{"id": "a", "name": "A", "weight": 0.5, "control": True},
                       {"id": "b", "name": "B", "weight": 0.4}]}, "weights sum to 0.9"),
        ({"goals": [{"id": "g", "event": "g", "kind": "macro"}]}, "no primary goal"),
        ({"end": dt.date(2026, 10, 1)}, "end: 2026-10-01 is before start"),
        ({"guardrails": [{"goal": "bounce", "direction": "decrease"}]},
         r"guardrails\[0\]\.goal: 'bounce' is not one of"),
        ({"status": "concluded"}, "a concluded experiment names its decision"),
        ({"analysis": {"method": "sequential"}}, "needs the number of interim analyses"),
    ],
)  # fmt: skip
def test_invariants_raise_when_built_in_python(over: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        _exp(**over)


def test_weights_within_1e_9_of_one_are_accepted() -> None:
    third = 1 / 3
    variants = [
        {"id": "a", "name": "A", "weight": third, "control": True},
        {"id": "b", "name": "B", "weight": third},
        {"id": "c", "name": "C", "weight": 0.3333333333},
    ]
    assert len(_exp(variants=variants).variants) == 3
    variants[2]["weight"] = 0.333333332
    with pytest.raises(ValidationError, match="weights sum to"):
        _exp(variants=variants)


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Variant, {"id": "a", "name": "A", "weight": "0.5"}),
        (Variant, {"id": "a", "name": "A", "weight": True}),
        (Variant, {"id": "a", "name": "A", "weight": 0.5, "control": "yes"}),
        (Variant, {"id": "a", "name": "A", "weight": 0.5, "control": 1}),
        (Variant, {"id": "A B", "name": "A", "weight": 0.5}),
        (Variant, {"id": "a", "name": " ", "weight": 0.5}),
        (Goal, {"id": "g", "event": "e", "kind": "macro", "attribution_window": "7 days"}),
        (Goal, {"id": "g", "event": "e", "kind": "conversion"}),
        (Guardrail, {"goal": "g", "direction": "down"}),
        (AnalysisConfig, {"alpha": 5}),
        (AnalysisConfig, {"baseline": float("nan")}),
        (AnalysisConfig, {"looks": 2.0}),
        (AnalysisConfig, {"prior": [1, 2, 3]}),
        (Spend, {"currency": "usd", "per_variant": {"a": 1}}),
        (Spend, {"currency": "USD", "per_variant": {}}),
        (Conclusion, {"variant": "a"}),
        (DataSource, {"columns": {"unit_id": 3}}),
    ],
)
def test_strict_values(model: type[BaseModel], data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(data)


@pytest.mark.parametrize(
    "model", [Experiment, Variant, Goal, Guardrail, AnalysisConfig, Spend, Conclusion, DataSource]
)
def test_every_model_forbids_unknown_keys(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match=r"Extra inputs"):
        model.model_validate({"surprise": 1})


def test_json_schema_is_closed_and_documented() -> None:
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "id", "name", "hypothesis", "owner", "status", "page", "variants", "goals"
    }  # fmt: skip
    for name, sub in schema["$defs"].items():
        assert sub["additionalProperties"] is False, name
    for name, prop in schema["properties"].items():
        assert prop.get("description"), name
    assert schema["properties"]["status"]["enum"] == ["draft", "running", "stopped", "concluded"]


def test_parse_duration() -> None:
    # the one duration grammar now lives in abtest.vocabulary (issue #20)
    from abtest.vocabulary import parse_duration

    assert parse_duration("2w") == dt.timedelta(days=14)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("7 days")
    # 99999999999d overflowed in the registry check ("internal error ... please report
    # it") and 200000d later in the analysis (pandas times are ns, about 292 years)
    with pytest.raises(ValueError, match="longer than 3650 days"):
        parse_duration("99999999999d")
    assert parse_duration("3650d").days == 3650


def test_an_alternative_alias_is_its_word():
    # "less" was kept as written: the plan compared it with "smaller" and planned an
    # increase (2.50% -> 2.88% for mde 0.15) while the analysis tested a decrease; and
    # "bayesian" with "less" passed the rule that refuses "bayesian" with "smaller"
    from abtest.registry.schema import AnalysisConfig

    less = AnalysisConfig(alternative="less", mde=0.15, baseline=0.025)
    assert less.alternative == "smaller" and less.signed_mde == -0.15
    assert AnalysisConfig(alternative="greater").alternative == "larger"
    assert AnalysisConfig(correction="fdr_bh").correction == "bh"
