"""duckdb_settings.temporarily: settings hold while the block runs and only those it set
are put back, error or not."""

from __future__ import annotations

import duckdb
import pytest

from abtest.data import duckdb_settings as ds


class Spy:
    """A DuckDB connection that records the statements it runs."""

    def __init__(self) -> None:
        self.real = duckdb.connect()
        self.sql: list[str] = []

    def execute(self, sql: str, *args):
        self.sql.append(sql)
        return self.real.execute(sql, *args)


def test_what_was_set_is_put_back_and_what_was_not_is_left_alone():
    raw = Spy()
    raw.real.execute("SET threads = 3")
    raw.real.execute("SET memory_limit = '5GB'")
    shown = ds.current(raw.real, "memory_limit")
    with pytest.raises(duckdb.Error):  # memory_limit refuses the value, after threads was set
        with ds.temporarily(raw, {"threads": "2", "memory_limit": "lots"}):
            pass
    assert ds.current(raw.real, "threads") == "3"
    # memory_limit was never changed (DuckDB refused 'lots'): not reset, nor rewritten
    # from its rounded display ("4.6 GiB")
    writes = [s for s in raw.sql if "memory_limit" in s and not s.startswith("SELECT")]
    assert writes == ["SET memory_limit = 'lots'"]
    assert ds.current(raw.real, "memory_limit") == shown


def test_an_optional_setting_duckdb_does_not_know_is_skipped():
    raw = Spy()
    raw.real.execute("SET threads = 3")
    wanted = {"no_such_setting": "1", "threads": "2"}
    with ds.temporarily(raw, wanted, optional=["no_such_setting"]):
        assert ds.current(raw.real, "threads") == "2"
    assert ds.current(raw.real, "threads") == "3"


def test_an_error_in_the_block_puts_the_settings_back():
    raw = duckdb.connect()
    raw.execute("SET threads = 3")
    with pytest.raises(ZeroDivisionError), ds.temporarily(raw, {"threads": "1"}):
        assert ds.current(raw, "threads") == "1"
        1 / 0  # noqa: B018
    assert ds.current(raw, "threads") == "3"


def test_without_restore_nothing_is_read_or_put_back():
    raw = Spy()
    with ds.temporarily(raw, {"threads": "2"}, restore=False):
        pass
    assert raw.sql == ["SET threads = '2'"]


class Stuck(Spy):
    """A connection on which setting anything fails once ``stuck`` is set (a setting
    cannot be put back: e.g. another thread closed or broke the connection)."""

    stuck = False

    def execute(self, sql: str, *args):
        if self.stuck and not sql.startswith("SELECT"):
            raise duckdb.Error("cannot change settings now")
        return super().execute(sql, *args)


def test_a_setting_that_cannot_be_put_back_is_said_not_left_in_silence():
    raw = Stuck()
    raw.real.execute("SET threads = 3")
    # a warning, not an error: the block's work is done and right
    with pytest.warns(RuntimeWarning, match=r"could not put back DuckDB's threads = '3'"):
        with ds.temporarily(raw, {"threads": "2"}):
            raw.stuck = True
    assert ds.current(raw.real, "threads") == "2"  # what the message says is true
    # with an error of the block's own, that error is raised, with the same note
    raw = Stuck()
    raw.real.execute("SET threads = 3")
    with pytest.raises(ZeroDivisionError) as caught, ds.temporarily(raw, {"threads": "2"}):
        raw.stuck = True
        1 / 0  # noqa: B018
    assert any("could not put back DuckDB's threads = '3'" in n for n in caught.value.__notes__)


def test_a_reset_that_changes_another_setting_is_undone_too():
    # DuckDB 2.0: RESET progress_bar_time also turns enable_progress_bar off, so putting
    # the two back in the order they were set left a user's progress bar off, silently
    raw = duckdb.connect()
    raw.execute("SET enable_progress_bar = true")
    wanted = {"enable_progress_bar": "false", "progress_bar_time": "10"}
    with ds.temporarily(raw, wanted):
        pass
    assert ds.current(raw, "enable_progress_bar") == "True"
    assert ds.current(raw, "progress_bar_time") == ds.current(duckdb.connect(), "progress_bar_time")


def test_no_memory_limit_is_put_back_as_none():
    # a memory limit of -1 (none) shows as "16383.9 PiB", which DuckDB will not parse:
    # it is put back as -1
    raw = duckdb.connect()
    raw.execute("SET memory_limit = '-1'")
    shown = ds.current(raw, "memory_limit")
    assert "PiB" in shown
    with ds.temporarily(raw, {"memory_limit": "2GB"}):
        assert ds.current(raw, "memory_limit") != shown
    assert ds.current(raw, "memory_limit") == shown
