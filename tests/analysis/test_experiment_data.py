"""Registry experiments analysed on their logs: the pre-period covariate (CUPED) comes
from the experiment's data section or a ``covariate.*`` log beside the others."""

from __future__ import annotations

import numpy as np
import pytest

import abtest
from abtest.data.synthetic import generate_traffic
from abtest.registry import Experiment

SPEC = {
    "id": "checkout",
    "variants": {"card": 0.5, "express": 0.5},
    "goals": [
        {
            "event": "order",
            "rates": {"card": 0.10, "express": 0.10},
            "values": {"card": 50.0, "express": 55.0},
        }
    ],
}


def experiment(**data) -> Experiment:
    return Experiment(
        id="checkout",
        name="Express pay",
        hypothesis="Express pay buttons raise revenue per visitor",
        owner="checkout-team",
        status="running",
        start="2024-01-01",
        page="/checkout",
        variants=[
            {"id": "card", "name": "Card first", "weight": 0.5, "control": True},
            {"id": "express", "name": "Express first", "weight": 0.5},
        ],
        goals=[{"id": "revenue", "event": "order", "kind": "macro", "primary": True,
                "value": "value"}],
        **({"data": data} if data else {}),
    )  # fmt: skip


@pytest.fixture(scope="module")
def logs():
    return generate_traffic([SPEC], units=20_000, seed=9, covariate=True)


def reference(logs):
    """summarize + analyze on the same logs with the covariate, directly."""
    ex, cv, cov = logs
    s = abtest.summarize(
        ex, cv, goals=[{"event": "order", "metric": "revenue", "value": "value"}],
        variants={"checkout": ["card", "express"]}, start="2024-01-01", daily=True,
        covariate=cov,
    )  # fmt: skip
    return abtest.analyze(s).table().set_index("variant").loc["express"]


def test_a_covariate_log_in_the_data_folder_turns_cuped_on(logs, tmp_path):
    ex, cv, cov = logs
    ex.to_parquet(tmp_path / "exposures.parquet")
    cv.to_parquet(tmp_path / "conversions.parquet")
    plain = experiment().analyze(tmp_path).table().set_index("variant").loc["express"]
    assert "variance_reduction" not in plain.index
    cov.to_csv(tmp_path / "covariate.csv", index=False)
    row = experiment().analyze(tmp_path).table().set_index("variant").loc["express"]
    ref = reference(logs)
    assert row["variance_reduction"] == pytest.approx(ref["variance_reduction"], rel=1e-12)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=1e-12)
    assert row["variance_reduction"] > 0
    assert row["diff_high"] - row["diff_low"] < plain["diff_high"] - plain["diff_low"]


def test_the_data_section_names_the_covariate_and_maps_its_columns(logs, tmp_path):
    # the team's names: visitor_id everywhere, order_value in the events, pre_revenue in
    # the covariate; a per-log mapping keeps the two value columns apart
    ex, cv, cov = logs
    ex.rename(columns={"unit_id": "visitor_id"}).to_parquet(tmp_path / "exp.parquet")
    cv.rename(columns={"unit_id": "visitor_id", "value": "order_value"}).to_parquet(
        tmp_path / "orders.parquet"
    )
    cov.rename(columns={"unit_id": "visitor_id", "value": "pre_revenue"}).to_parquet(
        tmp_path / "pre.parquet"
    )
    exp = experiment(
        exposures=str(tmp_path / "exp.parquet"),
        conversions=str(tmp_path / "orders.parquet"),
        covariate=str(tmp_path / "pre.parquet"),
        columns={
            "unit_id": "visitor_id",
            "conversions": {"value": "order_value"},
            "covariate": {"value": "pre_revenue"},
        },
    )
    row = exp.analyze().table().set_index("variant").loc["express"]
    ref = reference(logs)
    assert row["variance_reduction"] == pytest.approx(ref["variance_reduction"], rel=1e-12)
    assert row["diff"] == pytest.approx(ref["diff"], rel=1e-12)
    # the same experiment as a sequential test: CUPED at every look
    seq = exp.analyze(method="sequential")
    assert np.isfinite(seq.looks["variance_reduction"]).any()


@pytest.mark.parametrize(
    ("columns", "where"),
    [({"unit_id": {"a": "b"}}, "data.columns.unit_id"), ({"covariate": "pre"}, "covariate")],
)
def test_a_per_log_mapping_only_under_a_log(columns, where):
    with pytest.raises(ValueError, match=where):
        experiment(columns=columns)
