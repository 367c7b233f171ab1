"""The weekly report over constructed (experiment, analysis) pairs."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import abtest
from abtest.report.weekly import days_running, parse_week, weekly_report


@pytest.fixture(scope="module")
def entries(multi, group_sequential):
    srm = abtest.analyze(
        abtest.Summary.from_counts({"control": (500, 10000), "b": (520, 10600)}, experiment="srm")
    )
    return [
        (multi.design, multi),
        (
            {"id": "hero", "name": "Hero <b>copy</b>", "owner": "growth@example.com"},
            group_sequential,
        ),
        (srm.design, srm),
        (
            {
                "id": "no-data",
                "name": "Not started",
                "status": "running",
                "start": dt.date(2026, 11, 20),
            },
            "no exposures yet",
        ),
    ]


def test_parse_week():
    w = parse_week("2026-W47")
    assert (w.start, w.end) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert parse_week(dt.date(2026, 11, 18)) == w
    assert parse_week("2026W47") == w
    for bad in ("2026-47", "W47", "2026-W54"):
        with pytest.raises(ValueError, match="week"):
            parse_week(bad)


def test_days_running():
    w = parse_week("2026-W47")
    assert days_running(dt.date(2026, 11, 9), dt.date(2026, 12, 6), w) == "day 14 of 28"
    assert days_running(dt.date(2026, 11, 9), None, w) == "day 14"
    assert days_running(dt.date(2026, 12, 1), None, w) == "starts 2026-12-01"
    assert days_running(dt.date(2026, 10, 1), dt.date(2026, 10, 28), w).startswith("ended")
    assert days_running(None, None, w) == "—"


def test_html_report_is_one_self_contained_page(entries, tmp_path):
    out = tmp_path / "report.html"
    html = weekly_report(entries, week="2026-W47", out_path=out)
    assert out.read_text(encoding="utf-8") == html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temp files
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert "Weekly experiment report: 2026-W47" in html and "Nov 16 – Nov 22, 2026" in html
    assert "4 experiments, 2 winners, 1 SRM alarm" in html
    # overview: one row per experiment, linked to its section
    for anchor in ("hero-form", "hero", "srm", "no-data"):
        assert f'href="#exp-{anchor}"' in html and f'id="exp-{anchor}"' in html
    assert re.search(r'<tr class="alarm"><td><a href="#exp-srm">srm</a></td>', html)
    assert "ALARM (p &lt; 0.0001)" in html
    assert "day 14 of 28" in html  # hero-form started 2026-11-09
    assert "not analysed: no exposures yet" in html
    # plots inline: lift + funnel, lift + timeline, lift
    assert html.count('src="data:image/png;base64,') == 5
    assert "http://" not in html and "<link" not in html
    assert "<b>copy</b>" not in html


def test_progress_callback_and_no_plots(entries):
    seen = []
    html = weekly_report(entries, week="2026-W47", plots=False, on_progress=seen.append)
    assert seen == ["hero-form", "hero", "srm", "no-data"]
    assert "data:image" not in html


def test_markdown_report_writes_images_beside_it(entries, tmp_path):
    out = tmp_path / "weekly.md"
    md = weekly_report(entries, week="2026-W47", fmt="markdown", out_path=out)
    assert out.read_text(encoding="utf-8") == md
    files = sorted(p.name for p in (tmp_path / "weekly_files").iterdir())
    assert files == [
        "hero-form-funnel.png",
        "hero-form-lift.png",
        "hero-lift.png",
        "hero-timeline.png",
        "srm-lift.png",
    ]
    for name in files:
        assert f"](weekly_files/{name})" in md
        assert (tmp_path / "weekly_files" / name).read_bytes()[:4] == b"\x89PNG"
    assert md.startswith("# Weekly experiment report: 2026-W47\n")
    assert "| hero-form | running | day 14 of 28 |" in md
    assert "not analysed: no exposures yet" in md
    assert not [p for p in tmp_path.rglob("*.tmp")]


def test_markdown_without_out_path_has_no_images(entries):
    md = weekly_report(entries, week="2026-W47", fmt="markdown")
    assert "![" not in md


def test_repeated_ids_get_distinct_anchors(udacity):
    html = weekly_report([(udacity.design, udacity)] * 2, week="2026-W47", plots=False)
    assert 'id="exp-experiment"' in html and 'id="exp-experiment-2"' in html


def test_bad_format(entries):
    with pytest.raises(ValueError, match="html, markdown"):
        weekly_report(entries, fmt="pdf")


def test_a_recorded_decision_and_a_stopped_test_are_said(multi):
    # a concluded experiment's recorded decision (variant none: kept the control) was
    # never shown, its overview read "Winner: b"; a stopped one read "day 21 of 29"
    from types import SimpleNamespace

    from abtest.report.weekly import overview_line

    w = parse_week("2026-W47")
    done = {"id": "x", "status": "concluded", "start": dt.date(2026, 11, 1),
            "end": dt.date(2026, 11, 30),
            "decision": SimpleNamespace(variant="none", note="kept the control")}  # fmt: skip
    line = overview_line(done, multi, w)
    assert line.decision.startswith("decided: none — kept the control; the data now: ")
    assert line.days == "concluded (planned to 2026-11-30)"
    line = overview_line({**done, "status": "stopped", "decision": None}, multi, w)
    assert line.days == "stopped (planned to 2026-11-30)"
    assert not line.decision.startswith("decided")


def test_an_experiment_starting_after_the_week_is_not_missing(multi):
    # it was "not analysed" with an error-style reason and made `abtest report` exit 3
    later = {"id": "later", "name": "Later", "status": "running", "start": dt.date(2026, 12, 20)}
    for fmt in ("html", "markdown"):
        out = weekly_report([(multi.design, multi), (later, "no data for later")],
                            week="2026-W47", fmt=fmt, plots=False)  # fmt: skip
        assert "not analysed" not in out.lower() and "ot started yet" in out
    from types import SimpleNamespace

    from abtest.cli.report import _exit

    entries = [(SimpleNamespace(id="later", start=dt.date(2026, 12, 20)), "no data for later")]
    assert _exit(entries, None, (), dt.date(2026, 11, 22)) == 0
    assert _exit(entries, None, (), dt.date(2026, 12, 27)) == 3  # started, and no data
