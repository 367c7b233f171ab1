"""Progress of a long summarize (:mod:`abtest.data.progress`): shown on a terminal and
in a notebook, silent elsewhere, in CI, with progress=False and under quiet()."""

from __future__ import annotations

import io
import sys
import threading

import pytest

from abtest.data import progress, summarize


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _not_ci(monkeypatch):
    for name in progress._CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(progress, "in_notebook", lambda: False)
    monkeypatch.setattr(progress, "DELAY", 0.0)  # show at once: the logs here are tiny


def test_where_progress_goes(monkeypatch):
    tty, pipe = Terminal(), io.StringIO()
    assert progress.display_mode(None, tty) == "terminal"
    assert progress.display_mode(None, pipe) is None
    assert progress.display_mode(True, pipe) == "terminal"  # asked for
    assert progress.display_mode(False, tty) is None
    with progress.quiet():
        assert progress.display_mode(None, tty) is None
    assert progress.display_mode(None, tty) == "terminal"
    monkeypatch.setenv("CI", "true")
    assert progress.display_mode(None, tty) is None
    monkeypatch.setenv("CI", "0")
    assert progress.display_mode(None, tty) == "terminal"
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    assert progress.display_mode(None, pipe) == "notebook"
    assert progress.display_mode(False, pipe) is None


def test_a_terminal_shows_the_stage_and_the_time_then_erases_it():
    import ibis

    con = ibis.duckdb.connect()  # no query runs: the line has no percentage
    tty = Terminal()
    shown = threading.Event()
    with progress.Progress(con, "terminal", stream=tty, delay=0) as bar:
        bar.stage("aggregating")
        write = tty.write

        def noting(text: str) -> int:
            shown.set()
            return write(text)

        tty.write = noting  # type: ignore[method-assign]
        shown.wait(5)
    text = tty.getvalue()
    assert "abtest summarize: " in text and " s" in text
    assert text.endswith("\r") and text.rstrip("\r ").count("\r") >= 1  # erased at the end
    assert "reading the logs" in text or "aggregating" in text


def _engine(answer: float | None):
    """A stand-in DuckDB engine whose running query is ``answer`` percent done (None:
    query_progress fails, as on a closed connection)."""

    class Raw:
        @staticmethod
        def query_progress() -> float:
            if answer is None:
                raise RuntimeError("connection closed")
            return answer

    class Engine:
        name = "duckdb"
        con = Raw()

    return Engine()


def test_the_line_shows_duckdbs_percentage():
    line = progress.Progress(_engine(62.5), "terminal").line()
    assert line.startswith("abtest summarize: reading the logs  [############........]  62%")
    assert "%" not in progress.Progress(_engine(-1.0), "terminal").line()  # no query
    assert "%" not in progress.Progress(_engine(0.0), "terminal").line()  # no estimate
    assert "%" not in progress.Progress(_engine(None), "terminal").line()


def test_summarize_on_a_terminal(logs, monkeypatch):
    tty = Terminal()
    monkeypatch.setattr(sys, "stderr", tty)
    summarize(*logs)
    assert "abtest summarize: " in tty.getvalue()


@pytest.mark.parametrize("how", ["not a terminal", "progress=False", "CI", "quiet"])
def test_summarize_is_silent(logs, monkeypatch, capfd, how):
    kwargs = {}
    if how != "not a terminal":
        monkeypatch.setattr(sys, "stderr", Terminal())
    if how == "progress=False":
        kwargs["progress"] = False
    if how == "CI":
        monkeypatch.setenv("CI", "true")
    if how == "quiet":
        with progress.quiet():
            summarize(*logs)
    else:
        summarize(*logs, **kwargs)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    if how != "not a terminal":  # nothing on the terminal abtest saw either
        assert sys.stderr.getvalue() == ""


def test_a_notebook_gets_one_output_updated_in_place(logs, monkeypatch):
    pytest.importorskip("IPython")
    import IPython.display

    calls: list[tuple[str, str]] = []

    class Handle:
        def update(self, data, raw=False):
            calls.append(("update", data["text/plain"]))

    def display(data, raw=False, display_id=False):
        assert display_id is True and raw is True
        calls.append(("display", data["text/plain"]))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    summarize(*logs)
    assert calls[0][0] == "display" and calls[0][1].startswith("abtest summarize: ")
    assert [kind for kind, _ in calls[1:]] == ["update"] * (len(calls) - 1)
    assert calls[-1][1].startswith("abtest summarize: finished in ")
