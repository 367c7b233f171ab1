"""abtest.assign from registry settings: uniform, deterministic, ramp-up safe,
namespaces exclusive, holdout units in nothing, bad ids refused in one line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

import abtest
from abtest.assignment import bucket
from abtest.registry import Experiment, Registry
from abtest.registry.serving import RegistrySettings


def experiment(weights, **extra) -> Experiment:
    variants = [
        {"id": f"v{i}", "name": f"V{i}", "weight": w, "control": i == 0}
        for i, w in enumerate(weights)
    ]
    return Experiment(
        id=extra.pop("id", "exp-one"), name="E", hypothesis="h", owner="o", status="draft",
        page=extra.pop("page", "/"), variants=variants,
        goals=[{"id": "g", "event": "g", "kind": "macro", "primary": True}], **extra,
    )  # fmt: skip


IDS = pa.array([f"user-{i:07d}" for i in range(1_000_000)])


@pytest.mark.parametrize(
    "weights", [[0.3, 0.7], [0.2, 0.3, 0.5], [0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2]]
)
def test_split_follows_the_weights(weights):
    # chi-square goodness of fit over 1M ids: a biased hash or a range off by one
    # variant (e.g. 0.2/0.3 swapped) gives p far below 1e-6
    got = abtest.assign(IDS, experiment(weights))
    counts = np.array([(got == f"v{i}").sum() for i in range(len(weights))])
    assert counts.sum() == len(IDS)
    p = stats.chisquare(counts, np.array(weights) * len(IDS)).pvalue
    assert p > 1e-4, (counts, p)


def test_same_answer_in_another_process():
    exp = experiment([0.5, 0.5])
    here = abtest.assign(IDS[:2000], exp).tolist()
    code = (
        "import abtest, json\n"
        "from tests.assignment.test_assign import experiment\n"
        "ids = [f'user-{i:07d}' for i in range(2000)]\n"
        "print(json.dumps(abtest.assign(ids, experiment([0.5, 0.5])).tolist()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )  # fmt: skip
    assert out.stdout.strip() == __import__("json").dumps(here)


def test_ramp_up_keeps_units_where_they_were():
    low = abtest.assign(IDS, experiment([0.4, 0.6], assignment={"coverage": 0.2}))
    high = abtest.assign(IDS, experiment([0.4, 0.6], assignment={"coverage": 0.5}))
    was_in = low != None  # noqa: E711 (elementwise on an object array)
    assert 0.19 < was_in.mean() < 0.21 and 0.49 < (high != None).mean() < 0.51  # noqa: E711
    assert (high[was_in] == low[was_in]).all()  # every unit in at 0.2: same variant at 0.5


def test_traffic_is_the_default_coverage():
    got = abtest.assign(IDS, experiment([0.5, 0.5], traffic=0.25))
    assert 0.245 < (got != None).mean() < 0.255  # noqa: E711


def test_namespaces_exclude_and_split_the_units():
    a = experiment([0.5, 0.5], id="a", assignment={"namespace": {"name": "p", "range": [0, 0.4]}})
    b = experiment([0.5, 0.5], id="b", assignment={"namespace": {"name": "p", "range": [0.4, 1]}})
    in_a, in_b = abtest.assign(IDS, a) != None, abtest.assign(IDS, b) != None  # noqa: E711
    assert not (in_a & in_b).any()
    assert (in_a | in_b).all()  # coverage 1 in each slice: every unit in one test
    assert 0.395 < in_a.mean() < 0.405


def test_namespace_with_traffic_serves_traffic_of_the_page():
    # traffic 0.3 from a 0.5-wide slice: coverage 0.6 of the slice, 30% of all units
    exp = experiment(
        [0.5, 0.5], traffic=0.3, assignment={"namespace": {"name": "p", "range": [0, 0.5]}}
    )
    assert exp.coverage == pytest.approx(0.6)
    assert 0.295 < (abtest.assign(IDS, exp) != None).mean() < 0.305  # noqa: E711


def test_holdout_units_are_in_no_experiment():
    settings = RegistrySettings.model_validate({"holdout": {"fraction": 0.1}})
    a, b = experiment([0.5, 0.5], id="a"), experiment([0.2, 0.8], id="b", page="/x")
    Registry([a, b], settings)
    held = bucket("abtest-holdout", IDS) < 0.1
    assert 0.095 < held.mean() < 0.105
    for exp in (a, b):
        got = abtest.assign(IDS, exp)
        assert (got[held] == None).all() and (got[~held] != None).all()  # noqa: E711


def test_one_id_and_duplicates():
    exp = experiment([0.5, 0.5])
    many = abtest.assign(["u1", "u1", "u2", ""], exp)
    assert many[0] == many[1] == abtest.assign("u1", exp)
    assert many[3] is None and abtest.assign("", exp) is None  # no id: not in (as the SDK)
    assert abtest.assign([], exp).tolist() == []


def test_numbers_are_hashed_as_their_decimal_text():
    exp = experiment([0.5, 0.5])
    text = abtest.assign(["12", "345", "6789"], exp).tolist()
    assert abtest.assign([12, 345, 6789], exp).tolist() == text
    assert abtest.assign(np.array([12.0, 345.0, 6789.0]), exp).tolist() == text


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["a", None, "c"], "position 1 is missing"),
        (np.array([1.0, np.nan]), "position 1 is missing"),
        (np.array([1.5, 2.0]), "position 0 is not a whole number"),
        # 9.3e18 and 1e21 both became -9223372036854775808 (a review helper's case)
        (np.array([1.0, 9.3e18, 1e21]), r"id 9.3e\+18 at position 1 is a float above 2\*\*53"),
        ([True, False], "booleans"),
        (["a", 1], "mix text, numbers"),
        (pa.array([True]), "cannot be hashed"),
        ([b"a", b"b"], "cannot be hashed"),
    ],
)
def test_bad_ids_are_refused_in_one_line(ids, message):
    with pytest.raises(ValueError, match=message) as err:
        abtest.assign(ids, experiment([0.5, 0.5]))
    assert "\n" not in str(err.value)


def test_bad_settings_name_the_argument():
    with pytest.raises(ValueError, match="version"):
        bucket("s", "a", version=3)
    with pytest.raises(ValueError, match="seed"):
        bucket(1, "a")
