"""Checks beyond the schema: feasibility, traffic overlaps, duplicate ids, warnings,
and the Registry / load_registry contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from abtest.registry import Registry, RegistryError, load_registry, validate_paths


def _lines(paths: list[Path] | Path) -> list[str]:
    items = paths if isinstance(paths, list) else [paths]
    return [f"{Path(p.file).name}:{p.line}: {p.severity}: {p.message}" for p in
            validate_paths(items)]  # fmt: skip


def test_valid_file_has_no_problems(write, valid_text) -> None:
    assert validate_paths([write(valid_text())]) == []


def test_infeasible_mde_says_how_many_days_it_needs(write, valid_text) -> None:
    path = write(valid_text(edits={"mde: 0.10": "mde: 0.05"}))
    # plan_proportions(0.04, 0.05) -> 154,304 per arm; 308,608 / 6,000 a day -> 52 days
    assert _lines(path) == [
        "pricing-cta.yaml:19: error: analysis.mde: not enough traffic: detecting +5.0% on a "
        "4.00% baseline (alpha 0.05, power 80%) needs 154,304 units per variant (308,608 in "
        "all), 52 days at 6,000 units/day, but 2026-11-02 to 2026-11-30 is 29 days; raise mde, "
        "move end to 2026-12-23 or send more traffic"
    ]


def test_traffic_share_counts_in_the_plan(write, valid_text) -> None:
    # 78,950 units at 6,000/day: 14 days at 100% of the page, 27 at 50%, 53 at 25%
    assert (
        validate_paths([write(valid_text(edits={"page: /pricing": "page: /p\ntraffic: 0.5"}))])
        == []
    )
    path = write(valid_text(edits={"page: /pricing": "page: /p\ntraffic: 0.25"}))
    assert "53 days at 1,500 units/day" in _lines(path)[0]


def test_feasibility_is_not_checked_after_the_fact_or_without_inputs(write, valid_text) -> None:
    stopped = valid_text(edits={"status: running": "status: stopped", "mde: 0.10": "mde: 0.01"})
    assert validate_paths([write(stopped)]) == []
    no_traffic = valid_text(edits={"  expected_daily_units: 6000\n": ""})
    assert _lines(write(no_traffic)) == [
        "pricing-cta.yaml:18: warning: analysis: cannot check the sample size: add "
        "analysis.expected_daily_units"
    ]


def test_continuous_primary_goal_skips_the_plan_with_a_warning(write, valid_text) -> None:
    text = valid_text(
        edits={"event: trial_signup, kind: macro": "event: purchase, kind: macro, value: revenue"}
    )
    assert _lines(write(text)) == [
        "pricing-cta.yaml:20: warning: analysis.baseline: the sample-size check plans a "
        "conversion rate, but the primary goal 'trial_signup' is a continuous metric (value: "
        "revenue); the check was skipped"
    ]


def _running(
    write, valid_text, name: str, traffic: float, start: str, end: str, page: str = "/pricing"
) -> Path:
    text = valid_text(
        name,
        {
            "page: /pricing": f"page: {page}\ntraffic: {traffic}",
            "start: 2026-11-02": f"start: {start}",
            "end: 2026-11-30": f"end: {end}",
            "expected_daily_units: 6000": "expected_daily_units: 60000",
        },
    )
    return write(text, name=f"{name}.yaml")


def test_three_concurrent_experiments_conflict_even_when_each_pair_fits(
    write, valid_text, tmp_path
) -> None:
    _running(write, valid_text, "a", 0.5, "2026-11-02", "2026-11-30")
    _running(write, valid_text, "b", 0.4, "2026-11-10", "2026-12-20")
    _running(write, valid_text, "c", 0.3, "2026-11-20", "2026-12-31")
    problems = validate_paths([tmp_path])
    assert [(Path(p.file).name, p.line, p.code) for p in problems] == [
        ("a.yaml", 8, "overlap"),
        ("b.yaml", 8, "overlap"),
        ("c.yaml", 8, "overlap"),
    ]
    assert "traffic shares summing to 120% (50% + 40% + 30%)" in problems[0].message
    assert "(2026-11-20 to 2026-11-30)" in problems[0].message


@pytest.mark.parametrize(
    ("second", "conflict"),
    [
        (dict(traffic=0.5, start="2026-11-10", end="2026-12-20"), False),  # sums to 100%
        (dict(traffic=0.6, start="2026-12-01", end="2026-12-20"), False),  # after the first ends
        (dict(traffic=0.6, start="2026-11-30", end="2026-12-20"), True),   # end day is inclusive
        (dict(traffic=0.6, start="2026-11-10", end="2026-12-20", page="/plans"), False),
        (dict(traffic=0.6, start="2026-11-10", end="2026-12-20", page="/pricing/"), True),
    ],
)  # fmt: skip
def test_overlap_rules(write, valid_text, tmp_path, second: dict, conflict: bool) -> None:
    _running(write, valid_text, "a", 0.5, "2026-11-02", "2026-11-30")
    _running(write, valid_text, "b", **second)
    # errors only: concurrent tests on one page within 100% still get the interaction
    # warning (tests/registry/test_serving.py)
    assert any(p.is_error for p in validate_paths([tmp_path])) is conflict


def test_drafts_do_not_conflict(write, valid_text, tmp_path) -> None:
    _running(write, valid_text, "a", 1.0, "2026-11-02", "2026-11-30")
    draft = valid_text("b", {"status: running": "status: draft"})
    write(draft, name="b.yaml")
    assert validate_paths([tmp_path]) == []


def test_duplicate_ids_across_files(write, valid_text, tmp_path) -> None:
    write(valid_text("same"), name="same.yaml")
    write(valid_text("same", {"page: /pricing": "page: /plans"}), name="sub/same.yaml")
    problems = validate_paths([tmp_path])
    assert [(p.file, p.line, p.code) for p in problems] == [
        (str(tmp_path / "sub" / "same.yaml"), 1, "duplicate-id")
    ]
    assert f"already used by {tmp_path / 'same.yaml'}:1" in problems[0].message


def test_warnings(write, valid_text) -> None:
    text = valid_text(
        "other-id",
        {
            "analysis:\n": "decision: {variant: control, note: too early}\n"
            "spend: {currency: USD, per_variant: {control: 100}}\nanalysis:\n  looks: 3\n",
            "{goal: bounce,": "{goal: trial_signup, direction: increase}\n  - {goal: bounce,",
        },
    )
    assert _lines(write(text)) == [
        "pricing-cta.yaml:1: warning: id: the file name 'pricing-cta.yaml' does not match the "
        "id 'other-id'; rename it to other-id.yaml so people can find it",
        "pricing-cta.yaml:17: warning: guardrails[0].goal: 'trial_signup' is the primary goal; "
        "guardrails watch secondary metrics",
        "pricing-cta.yaml:19: warning: decision: recorded but status is 'running'; set status: "
        "concluded or remove the decision",
        "pricing-cta.yaml:20: warning: spend.per_variant: no spend for free-trial: cost per lead "
        "and CAC are computed only for variants with spend (write 0 if they cost nothing)",
        "pricing-cta.yaml:22: warning: analysis.looks: only used with method: sequential (method "
        "is frequentist); remove it or change the method",
    ]


def test_load_registry_returns_a_mapping(write, valid_text, tmp_path) -> None:
    write(valid_text("a", {"page: /pricing": "page: /a"}), name="a.yaml")
    write(valid_text("b", {"page: /pricing": "page: /b"}), name="b.yml")
    reg = load_registry(tmp_path)
    assert isinstance(reg, Registry)
    assert list(reg) == ["a", "b"] and len(reg) == 2 and "a" in reg and "z" not in reg
    assert reg["a"].path == tmp_path / "a.yaml"
    assert reg.validate() == []
    with pytest.raises(KeyError, match="did you mean 'a'"):
        reg["A"]
    assert load_registry(tmp_path / "b.yml")["b"].page == "/b"


def test_load_registry_raises_with_every_problem(write, valid_text, tmp_path) -> None:
    write(valid_text("a", {"weight: 0.5}": "wieght: 0.5}"}), name="a.yaml")
    write("id: [", name="b.yaml")
    with pytest.raises(RegistryError) as info:
        load_registry(tmp_path)
    err = info.value
    assert isinstance(err, ValueError)
    assert [(Path(p.file).name, p.line) for p in err.problems] == [("a.yaml", 11), ("b.yaml", 1)]
    text = str(err)
    assert text.splitlines()[0] == "2 errors in the experiment registry:"
    assert f"{tmp_path / 'a.yaml'}:11: variants[1]: unknown key 'wieght'" in text


def test_load_registry_keeps_warnings_for_validate(write, valid_text, tmp_path) -> None:
    write(valid_text("a", {"  expected_daily_units: 6000\n": ""}), name="a.yaml")
    reg = load_registry(tmp_path)
    assert [p.code for p in reg.validate()] == ["plan-inputs"]


def test_missing_path(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        load_registry(tmp_path / "nope")
