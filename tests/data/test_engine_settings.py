"""The memory budget and spill folder of summarize's DuckDB engine
(:mod:`abtest.data.engine_settings`): parsing, defaults, where they apply, what is put
back, and the error of a budget too small."""

from __future__ import annotations

import os
import tempfile

import pandas as pd
import pytest

from abtest.data import engine_settings as es
from abtest.data import sources, summarize
from abtest.data.synthetic import generate_traffic

SPEC = {
    "id": "hero",
    "variants": {"control": 1, "b": 1},
    "goals": [
        {"event": "signup", "rates": {"control": 0.10, "b": 0.12}},
        {
            "event": "purchase",
            "rates": {"control": 0.03, "b": 0.035},
            "values": {"control": 50.0, "b": 50.0},
        },
    ],
}
GOALS = [{"event": "signup"}, {"event": "purchase", "metric": "revenue", "value": "value"}]
MEMORY = "SELECT current_setting('memory_limit')"
TEMP = "SELECT current_setting('temp_directory')"


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(es.ENV_MEMORY, raising=False)
    monkeypatch.delenv(es.ENV_TEMP, raising=False)


@pytest.fixture(scope="module")
def parquet_logs(tmp_path_factory):
    """300,000 generated units as Parquet files (about 450,000 exposure rows)."""
    folder = tmp_path_factory.mktemp("logs")
    e, c, _ = generate_traffic([SPEC], units=300_000, seed=1)
    e.to_parquet(folder / "e.parquet")
    c.to_parquet(folder / "c.parquet")
    return str(folder / "e.parquet"), str(folder / "c.parquet")


@pytest.mark.parametrize(
    "text, size",
    [
        ("8GB", 8 * 10**9),
        (" 512 mb ", 512 * 10**6),
        ("1.5GiB", int(1.5 * 2**30)),
        ("2g", 2 * 2**30),  # DuckDB's spelling: powers of 1024
        (3_000_000_000, 3_000_000_000),
        ("1MB", 10**6),
    ],
)
def test_memory_amounts(text, size):
    assert es.parse_memory(text) == size


@pytest.mark.parametrize("text", ["lots", "8XB", "", "-1GB", "GB", True, [8], "0.5MB"])
def test_bad_memory_amount_is_one_line_naming_the_argument(text):
    with pytest.raises(ValueError) as info:
        es.parse_memory(text, "memory_limit")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("memory_limit = ") and "'8GB'" in message


def test_environment_variables_and_defaults(monkeypatch, tmp_path):
    monkeypatch.setattr(es, "total_memory", lambda: 16 * 10**9)
    default = es.resolve()
    assert not default.explicit_memory and not default.explicit_temp
    assert default.memory_limit == 4 * 10**9  # a quarter of a 16 GB machine
    assert os.path.dirname(default.temp_directory) == tempfile.gettempdir()
    assert es.resolve().temp_directory != default.temp_directory  # one folder per call
    monkeypatch.setenv(es.ENV_MEMORY, "3GB")
    monkeypatch.setenv(es.ENV_TEMP, str(tmp_path))
    env = es.resolve()
    assert (env.memory_limit, env.temp_directory) == (3 * 10**9, str(tmp_path))
    assert env.explicit_memory and env.explicit_temp
    # the argument wins over the environment
    assert es.resolve("2GB").memory_limit == 2 * 10**9
    monkeypatch.setenv(es.ENV_MEMORY, "plenty")
    with pytest.raises(ValueError, match=r"^ABTEST_MEMORY_LIMIT = 'plenty': give an amount"):
        es.resolve()


def test_a_file_is_not_a_spill_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match=r"temp_directory = .* is a file"):
        es.resolve(temp_directory=tmp_path / "f")
    with pytest.raises(ValueError, match=r"^temp_directory = 3: give a folder"):
        es.resolve(temp_directory=3)


def test_summarize_checks_the_budget_before_reading(tmp_path):
    # logs that do not exist: reading them first would fail on the files instead
    e, c = tmp_path / "none" / "e.parquet", tmp_path / "none" / "c.parquet"
    with pytest.raises(ValueError, match=r"^memory_limit = 'big': give an amount of memory"):
        summarize(str(e), str(c), memory_limit="big")


def _expected(setting: str) -> str:
    """What DuckDB shows for ``SET memory_limit = setting``."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{setting}'")
    return con.execute(MEMORY).fetchall()[0][0]


def test_the_budget_holds_on_abtests_own_engine(logs, monkeypatch, tmp_path):
    made = []
    make = sources.default_engine
    monkeypatch.setattr(sources, "default_engine", lambda: made.append(make()) or made[-1])
    e, c = logs
    summarize(e, c, memory_limit="3GB", temp_directory=tmp_path / "spill")
    (con,) = made
    assert con.con.execute(MEMORY).fetchall()[0][0] == _expected("3000000000B")
    assert con.con.execute(TEMP).fetchall()[0][0] == str(tmp_path / "spill")
    # DuckDB's own progress bar (printed to stdout) is off on abtest's engine, and its
    # tracking too when abtest shows none
    for setting in ("enable_progress_bar_print", "enable_progress_bar"):
        assert con.con.execute(f"SELECT current_setting('{setting}')").fetchall() == [(False,)]
    # the default: a quarter of the RAM, spilling under the system's temporary folder
    monkeypatch.setattr(es, "total_memory", lambda: 16 * 10**9)
    summarize(e, c)
    assert made[1].con.execute(MEMORY).fetchall()[0][0] == _expected("4000000000B")
    assert made[1].con.execute(TEMP).fetchall()[0][0].startswith(tempfile.gettempdir())


def _read(con) -> tuple[str, str]:
    """The memory limit and spill folder DuckDB shows on ``con``."""
    return con.con.execute(MEMORY).fetchall()[0][0], con.con.execute(TEMP).fetchall()[0][0]


def _spied(con, seen):
    """``con`` recording its memory limit and spill folder while abtest's queries run."""
    execute = con.execute

    def spy(expr, *args, **kwargs):
        seen.append(_read(con))
        return execute(expr, *args, **kwargs)

    con.execute = spy
    return con


def test_a_users_connection_gets_its_settings_back(logs, tmp_path):
    import ibis

    e, c = logs
    user = ibis.duckdb.connect()
    user.raw_sql("SET memory_limit = '5GB'")
    before = _read(user)
    seen: list[tuple[str, str]] = []
    printing = "SELECT current_setting('enable_progress_bar_print')"
    printed: list = []
    raw_execute = user.con.execute
    summarize(e, c, engine=_spied(user, seen), memory_limit="2GB", temp_directory=tmp_path)
    assert set(seen) == {(_expected("2000000000B"), str(tmp_path))}  # while abtest ran
    assert _read(user) == before
    # DuckDB's own bar, on by default, does not print into abtest's output, and is back on
    execute = user.execute

    def spy(expr, *args, **kwargs):
        printed.append(raw_execute(printing).fetchall())
        return execute(expr, *args, **kwargs)

    user.execute = spy
    summarize(e, c, engine=user)
    assert printed and all(p == [(False,)] for p in printed)
    assert raw_execute(printing).fetchall() == [(True,)]
    # without a budget given, the user's connection keeps its own, also during the query
    seen.clear()
    summarize(e, c, engine=_spied(user, seen))
    assert set(seen) == {before}


def test_duckdbs_default_comes_back_exactly(logs):
    import ibis

    user = ibis.duckdb.connect()
    default = user.con.execute(
        "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'"
    ).fetchall()[0]
    summarize(*logs, engine=user, memory_limit="2GB")
    assert (
        user.con.execute(
            "SELECT value FROM duckdb_settings() WHERE name = 'memory_limit'"
        ).fetchall()[0]
        == default
    )


def test_settings_are_put_back_after_an_error():
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql("SET memory_limit = '5GB'")
    before = con.con.execute(MEMORY).fetchall()[0]
    settings = es.resolve("2GB")
    with pytest.raises(ZeroDivisionError), es.applied(con, settings, own=False):
        assert con.con.execute(MEMORY).fetchall()[0] != before
        1 / 0  # noqa: B018
    assert con.con.execute(MEMORY).fetchall()[0] == before


def test_summarizes_own_error_is_kept_when_a_setting_cannot_be_put_back(logs, monkeypatch):
    # summarize puts the settings back in a finally: a setting that cannot be put back
    # (simulated here) replaced the call's own error by a bare RuntimeError; the error
    # stays, with a note naming the setting
    import ibis

    from abtest.data import duckdb_settings

    monkeypatch.setattr(duckdb_settings, "put_back", lambda raw, key, value: False)
    con = ibis.duckdb.connect()
    with pytest.raises(ValueError, match="nope") as caught:
        summarize(*logs, engine=con, memory_limit="2GB", experiments=["nope"])
    assert any("could not put back DuckDB's memory_limit" in n for n in caught.value.__notes__)


def test_other_engines_are_left_alone(logs, monkeypatch):
    import ibis

    monkeypatch.setenv(es.ENV_MEMORY, "2GB")
    con = ibis.sqlite.connect()
    e, c = logs
    e.to_sql("e", con.con, index=False)
    c.to_sql("c", con.con, index=False)
    expected = summarize(e, c).frame
    got = summarize(con.table("e"), con.table("c"), memory_limit="1GB").frame
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_a_small_budget_spills_and_gives_the_same_answer(parquet_logs, tmp_path, monkeypatch):
    # abtest's engines kept open, so that the spill folder DuckDB makes only when it
    # spills (and removes when the engine closes) can be looked at after each call
    made = []
    make = sources.default_engine
    monkeypatch.setattr(sources, "default_engine", lambda: made.append(make()) or made[-1])
    unbounded = summarize(*parquet_logs, goals=GOALS, temp_directory=tmp_path / "unbounded")
    assert not (tmp_path / "unbounded").exists()  # nothing to spill
    # about 40MB: below what this aggregation holds at once (20MB stops it, below);
    # measured on DuckDB 2.0.1 with these 300,000 units
    spill = tmp_path / "spill"
    spilled = summarize(*parquet_logs, goals=GOALS, memory_limit="40MB", temp_directory=spill)
    assert spill.is_dir() and any(spill.iterdir())  # it did spill
    pd.testing.assert_frame_equal(spilled.frame, unbounded.frame, rtol=1e-12)
    pd.testing.assert_frame_equal(spilled.exclusions, unbounded.exclusions)


@pytest.mark.parametrize("budget", ["1MB", "20MB"])
def test_too_small_a_budget_says_what_to_raise(parquet_logs, budget, monkeypatch):
    with pytest.raises(es.MemoryBudgetError) as info:
        summarize(*parquet_logs, goals=GOALS, memory_limit=budget)
    message = str(info.value)
    assert "\n" not in message and info.value.__cause__ is None
    assert f"budget of {budget[:-2]}.0MB" in message
    for name in ("memory_limit", "ABTEST_MEMORY_LIMIT", "temp_directory"):
        assert name in message
    assert isinstance(info.value, MemoryError) and isinstance(info.value, ValueError)
    # the same from the environment variable
    monkeypatch.setenv(es.ENV_MEMORY, budget)
    with pytest.raises(es.MemoryBudgetError, match="raise memory_limit"):
        summarize(*parquet_logs, goals=GOALS)


def test_a_users_own_small_limit_is_the_one_named(parquet_logs):
    # abtest leaves a user's connection's memory limit alone unless memory_limit is given:
    # the error named the default budget it had not applied ("budget of 6.3GB"); it now
    # names the connection's own limit, as DuckDB shows it
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql("SET memory_limit = '20MB'")
    shown = con.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    with pytest.raises(es.MemoryBudgetError) as info:
        summarize(*parquet_logs, goals=GOALS, engine=con)
    assert f"its budget of the connection's own memory_limit ({shown})" in str(info.value)
    assert con.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == shown


def test_a_refused_progress_bar_setting_does_not_stop_the_budget():
    """In Jupyter without ipywidgets DuckDB refuses any change to its progress bar
    (InvalidInputException); the memory settings still apply and are put back."""
    import duckdb

    real = duckdb.connect()
    real.execute("SET memory_limit = '5GB'")

    class Raw:
        def execute(self, sql, *args):
            if sql.startswith(("SET enable_progress_bar", "RESET enable_progress_bar")):
                raise duckdb.InvalidInputException("required package 'ipywidgets' is missing")
            return real.execute(sql, *args)

    class Con:
        name = "duckdb"
        con = Raw()

    before = real.execute(MEMORY).fetchall()
    with es.applied(Con(), es.resolve("2GB"), own=False, progress=True):
        assert real.execute(MEMORY).fetchall() == [(_expected("2000000000B"),)]
        assert real.execute("SELECT current_setting('progress_bar_time')").fetchall() == [(0,)]
    assert real.execute(MEMORY).fetchall() == before
    with es.applied(Con(), es.resolve("2GB"), own=True):  # abtest's engine: no error either
        pass


def test_tables_of_a_users_connection_count_as_the_users(parquet_logs, tmp_path):
    """Ibis tables on the user's DuckDB connection: abtest runs there, the budget given
    holds while it runs, and the connection gets its settings back."""
    import ibis

    user = ibis.duckdb.connect()
    user.raw_sql("SET memory_limit = '5GB'")
    before = _read(user)
    e, c = (user.read_parquet(p) for p in parquet_logs)
    assert sources.resolve_engine(None, e, c) == (user, False)
    seen: list[tuple[str, str]] = []
    _spied(user, seen)  # the tables' backend: no engine= needed
    summarize(e, c, goals=GOALS, memory_limit="3GB")
    assert seen and {m for m, _ in seen} == {_expected("3000000000B")}
    assert _read(user) == before


def _cgroup(tmp_path, proc_lines: list[str], files: dict[str, str]) -> tuple[str, str]:
    """A fake /proc/self/cgroup and /sys/fs/cgroup tree; returns (proc, root)."""
    proc = tmp_path / "cgroup"
    proc.write_text("\n".join(proc_lines) + "\n")
    root = tmp_path / "fs"
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text + "\n")
    return str(proc), str(root)


def test_a_container_memory_limit_caps_the_default_budget(tmp_path, monkeypatch):
    # cgroup v2 (Docker --memory 2g writes 2147483648 to the group's memory.max)
    proc, root = _cgroup(tmp_path, ["0::/"], {"memory.max": "2147483648"})
    assert es.cgroup_limit(proc, root) == 2147483648
    # a 16 GB machine (4096-byte pages) in a container capped at 2 GiB
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 16 * 10**9 // 4096}
    monkeypatch.setattr(es.os, "sysconf", lambda name: pages[name])
    monkeypatch.setattr(es, "cgroup_limit", lambda: 2147483648)
    assert es.total_memory() == 2147483648
    assert es.resolve().memory_limit == 2147483648 // 4
    monkeypatch.setattr(es, "cgroup_limit", lambda: None)  # no cap: the RAM
    assert es.total_memory() == 16 * 10**9 // 4096 * 4096


def test_cgroup_v1_nested_group_and_its_parents_smallest_limit_wins(tmp_path):
    # v1: the group named in /proc/self/cgroup, and a parent with a lower limit
    proc, root = _cgroup(
        tmp_path,
        ["4:memory:/jobs/a1", "3:cpuset:/"],
        {
            "memory/jobs/a1/memory.limit_in_bytes": str(8 * 2**30),
            "memory/jobs/memory.limit_in_bytes": str(6 * 2**30),
            "memory/memory.limit_in_bytes": "9223372036854771712",  # v1's "no limit"
        },
    )
    assert es.cgroup_limit(proc, root) == 6 * 2**30


def test_cgroup_v1_memory_co_mounted_with_cpu(tmp_path):
    # v1 controllers mounted together live under one folder named after both
    proc, root = _cgroup(
        tmp_path, ["5:cpu,memory:/job"], {"cpu,memory/job/memory.limit_in_bytes": "3000000000"}
    )
    assert es.cgroup_limit(proc, root) == 3000000000


def test_a_group_outside_the_namespace_reads_the_namespace_root(tmp_path):
    # a cgroup namespace shows a group outside it as /../..; what is mounted is the
    # namespace's root (the container's group), not a folder named after the outer one
    files = {"memory.max": "4000000000", "job/memory.max": "1000"}
    proc, root = _cgroup(tmp_path, ["0::/../../job"], files)
    assert es.cgroup_limit(proc, root) == 4000000000


@pytest.mark.parametrize(
    "lines, files",
    [
        (["0::/"], {"memory.max": "max"}),  # v2 without a limit
        (["4:memory:/"], {"memory/memory.limit_in_bytes": "9223372036854771712"}),
        (["0::/user.slice"], {}),  # no memory controller files readable
    ],
)
def test_no_cgroup_limit_is_none(tmp_path, lines, files):
    proc, root = _cgroup(tmp_path, lines, files)
    assert es.cgroup_limit(proc, root) is None
    assert es.cgroup_limit(str(tmp_path / "absent"), root) is None  # not Linux
