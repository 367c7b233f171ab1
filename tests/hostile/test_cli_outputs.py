"""Hostile CLI inputs around outputs and warnings (#21 item 3, #14 item 10): the command in a
child process, as a user runs it."""

from __future__ import annotations

COUNTS = "variant,visitors,conversions\ncontrol,1000,0\nb,1000,12\n"


def test_a_degenerate_comparison_warns_in_one_line(tmp_path, abtest_cli):
    # the control never converted: the lift is undefined, said once, without Python's
    # "warnings.warn(...)" source line
    counts = tmp_path / "c.csv"
    counts.write_text(COUNTS)
    run = abtest_cli("analyze", "--counts", counts)
    assert run.code == 0 and "Traceback" not in run.err
    lines = run.err.splitlines()
    assert lines and all(line.startswith("abtest: warning: ") for line in lines), run.err
    assert any("relative lift is undefined" in line for line in lines)
    assert len(lines) == len(set(lines))


def test_analyze_will_not_write_its_report_over_its_input(
    tmp_path, abtest_cli, one_line_error, unchanged
):
    counts = tmp_path / "g.csv"
    counts.write_text(COUNTS.replace(",0\n", ",100\n"))
    with unchanged(counts):
        one_line_error(
            abtest_cli("analyze", "--counts", counts, "--out", counts), str(counts), "is an input"
        )


def test_an_output_that_is_a_folder_is_refused(tmp_path, abtest_cli, one_line_error):
    counts = tmp_path / "g.csv"
    counts.write_text(COUNTS.replace(",0\n", ",100\n"))
    one_line_error(
        abtest_cli("analyze", "--counts", counts, "--out", ".", "--format", "json", cwd=tmp_path),
        "--out .: is a folder",
    )


def test_report_on_a_missing_data_folder_exits_2(tmp_path, abtest_cli, one_line_error):
    from pathlib import Path

    registry = Path(__file__).resolve().parents[2] / "experiments"
    one_line_error(
        abtest_cli(
            "report", registry, "--data", tmp_path / "no" / "such", "--out", tmp_path / "r.html"
        ),
        "no/such: not found",
    )
    assert not (tmp_path / "r.html").exists()
