"""Hostile event data (#21 items 1, 2, 4, 5): bad values, unreadable files and ids that do not
match never become a wrong answer or a traceback. Each case runs ``abtest analyze`` on a
generated log folder in a child process and checks the exit status, the one line naming the
file / line / column / goal / variant, and that the input files did not change."""

from __future__ import annotations

import pandas as pd
import pytest

import abtest

EXPERIMENT = """\
id: checkout
name: Express pay first
hypothesis: Express wallets complete more purchases.
owner: checkout@example.com
status: running
start: 2026-11-02
end: 2026-11-30
page: /checkout
variants:
  - {id: control, name: Card first, weight: 0.5, control: true}
  - {id: b, name: Express first, weight: 0.5}
goals:
  - {id: purchase, event: purchase, kind: macro, primary: true}
  - {id: revenue, event: purchase, kind: macro, value: value}
"""


def logs(folder, *, values=None, variants=("control", "b")):
    """40 units over two variants, every third one buys for 50.0 (``values`` overrides
    the value of b's purchases)."""
    folder.mkdir()
    n = 40
    ex = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(n)],
            "experiment": "checkout",
            "variant": [variants[i % 2] for i in range(n)],
            "timestamp": "2026-11-10 10:00:00",
        }
    )
    buyers = list(range(0, n, 3))
    cv = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in buyers],
            "event": "purchase",
            "timestamp": "2026-11-11 09:30:00",
            "value": [50.0 if i % 2 == 0 or values is None else values for i in buyers],
        }
    )
    ex.to_csv(folder / "exposures.csv", index=False)
    cv.to_csv(folder / "conversions.csv", index=False)
    return folder


@pytest.fixture
def registry(tmp_path):
    reg = tmp_path / "experiments"
    reg.mkdir()
    (reg / "checkout.yaml").write_text(EXPERIMENT)
    return reg


def analyze(abtest_cli, registry, data):
    return abtest_cli("analyze", "checkout", "--registry", registry, "--data", data)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("", "with a missing, NaN or infinite value (b 7)"),  # empty cells: NaN in pandas
        ("nan", "with a missing, NaN or infinite value (b 7)"),
        ("inf", "with a missing, NaN or infinite value (b 7)"),
        ("-12.5", "with a negative value (b 7)"),
    ],
)
def test_unusable_revenue_is_an_error_not_a_zero(
    tmp_path, registry, abtest_cli, one_line_error, unchanged, value, said
):
    # all of b's purchases without a usable value: once "-100.0% [-100.0%, -100.0%] worse"
    data = logs(tmp_path / "data", values=value)
    with unchanged(data):
        run = analyze(abtest_cli, registry, data)
    one_line_error(
        run,
        f"conversions file {data / 'conversions.csv'}",
        "value goal 'revenue'",
        "(event 'purchase', column 'value')",
        said,
        "never counts such a value as 0",
    )
    assert "np.float64" not in run.err


def test_a_line_that_is_not_utf8_is_named(
    tmp_path, registry, abtest_cli, one_line_error, unchanged
):
    data = logs(tmp_path / "data")
    path = data / "exposures.csv"
    path.write_bytes(path.read_bytes().replace(b"u13,", b"u\xff13,"))
    with unchanged(data):
        run = analyze(abtest_cli, registry, data)
    one_line_error(run, f"exposures file {path}: not UTF-8 text at line 15", "save it as UTF-8")


@pytest.mark.parametrize("stamp", ["2026-02-30 10:00:00", "not a date"])
def test_a_timestamp_that_is_not_a_date_is_named_with_its_line(
    tmp_path, registry, abtest_cli, one_line_error, unchanged, stamp
):
    data = logs(tmp_path / "data")
    path = data / "exposures.csv"
    lines = path.read_text().splitlines()
    lines[6] = lines[6].replace("2026-11-10 10:00:00", stamp)  # line 7 of the file
    path.write_text("\n".join(lines) + "\n")
    with unchanged(data):
        run = analyze(abtest_cli, registry, data)
    one_line_error(
        run,
        f"exposures file {path}: column 'timestamp' holds {stamp!r} (line 7)",
        "not a valid date and time",
    )


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_an_empty_or_truncated_parquet_file_is_named(
    tmp_path, registry, abtest_cli, one_line_error, unchanged, damage
):
    data = logs(tmp_path / "data")
    frame = pd.read_csv(data / "exposures.csv")
    (data / "exposures.csv").unlink()
    path = data / "exposures.parquet"
    frame.to_parquet(path)
    whole = path.read_bytes()
    path.write_bytes(b"" if damage == "empty" else whole[: len(whole) // 2])
    with unchanged(data):
        run = analyze(abtest_cli, registry, data)
    one_line_error(run, f"exposures file {path}: not a readable Parquet file", "export it again")


def test_a_ragged_csv_row_is_named_not_taken_for_the_header(
    tmp_path, registry, abtest_cli, one_line_error, unchanged
):
    # DuckDB's sniffer once took every line for one column and listed data as columns
    data = logs(tmp_path / "data")
    path = data / "exposures.csv"
    lines = path.read_text().splitlines()
    lines[5] += ",extra,fields"
    path.write_text("\n".join(lines) + "\n")
    with unchanged(data):
        run = analyze(abtest_cli, registry, data)
    one_line_error(run, f"exposures file {path}: line 6 has 6 fields, the header has 4")


def test_variants_that_all_differ_from_the_config_are_named(
    tmp_path, registry, abtest_cli, one_line_error
):
    # once a pandas merge message about a 'day' key
    data = logs(tmp_path / "data", variants=("A", "B"))
    one_line_error(
        analyze(abtest_cli, registry, data),
        "none of its exposures is in a configured variant ('control', 'b')",
        "'A' (20 rows), 'B' (20 rows)",
    )


def test_a_configured_variant_without_units_is_named(
    tmp_path, registry, abtest_cli, one_line_error
):
    # once "n_b[0] = 0.0"
    data = logs(tmp_path / "data", variants=("control", "control"))
    one_line_error(
        analyze(abtest_cli, registry, data), "variant(s) 'b' of experiment 'checkout' have no units"
    )


@pytest.mark.parametrize(
    ("pair", "said"),
    [
        ((10.5, 1000.7), "counts['b'] conversions = 10.5: expected a whole number"),
        (("10", "100"), "counts['b'] conversions = '10': expected a whole number of units"),
        ((True, 100), "counts['b'] conversions = True"),
        ((10, 1e20), "counts['b'] units = 1e+20: more than 2**53 cannot be counted exactly"),
    ],
)
def test_counts_that_are_not_whole_numbers_are_refused(pair, said):
    with pytest.raises(ValueError) as err:
        abtest.Summary.from_counts({"control": (10, 100), "b": pair})
    assert str(err.value).startswith(said)
