"""summarize on hand-built logs (conftest.logs), on DuckDB, SQLite and (if installed) PySpark.

Every expected number is worked out by hand in the comments of conftest.logs:
hero control = {u1, u2}, hero b = {u3, u4, u6}, u5 is multi-variant; cta a = {u1},
cta b = {u3}. Revenue in window: u1 10, u3 20 + 5 (hero) / 5 (cta), u4 7, u6 30.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from abtest.data import EventMetric, Summary, summarize

GOALS = [
    EventMetric("signup"),
    EventMetric("purchase"),
    EventMetric("purchase", metric="revenue", value="value"),
]


def stats(summary, *cols: str) -> dict:
    cols = cols or ("n", "sum", "sum_sq")
    f = summary.frame
    keys = ["experiment", "variant", "metric", *summary.segments]
    if summary.has_daily:
        keys.append("day")
    f = f.assign(day=f["day"].dt.strftime("%Y-%m-%d")) if summary.has_daily else f
    return {
        row[: len(keys)]: row[len(keys) :]
        for row in f[keys + list(cols)].itertuples(index=False, name=None)
    }


def excluded(summary) -> dict:
    ex = summary.exclusions
    return {
        (r.experiment, r.variant, r.metric, r.reason): r.units for r in ex.itertuples(index=False)
    }


def run(engine, exposures, conversions, **kw):
    return summarize(engine.put(exposures), engine.put(conversions), **kw)


def test_hand_computed_totals(engine, logs):
    s = run(engine, *logs, goals=GOALS)
    got = stats(s)
    assert got == {
        ("hero", "control", "signup"): (2, 1.0, 1.0),
        ("hero", "control", "purchase"): (2, 1.0, 1.0),
        ("hero", "control", "revenue"): (2, 10.0, 100.0),
        ("hero", "b", "signup"): (3, 1.0, 1.0),
        ("hero", "b", "purchase"): (3, 3.0, 3.0),
        ("hero", "b", "revenue"): (3, 62.0, 1574.0),
        ("cta", "a", "signup"): (1, 0.0, 0.0),
        ("cta", "a", "purchase"): (1, 1.0, 1.0),
        ("cta", "a", "revenue"): (1, 10.0, 100.0),
        ("cta", "b", "signup"): (1, 1.0, 1.0),
        ("cta", "b", "purchase"): (1, 1.0, 1.0),
        ("cta", "b", "revenue"): (1, 5.0, 25.0),
    }
    assert excluded(s) == {
        ("hero", "control", "", "multiple_variants"): 1,
        ("hero", "control", "signup", "before_exposure"): 1,
        ("cta", "a", "signup", "before_exposure"): 1,
        ("cta", "b", "purchase", "before_exposure"): 1,
        ("cta", "b", "revenue", "before_exposure"): 1,
    }
    assert list(s.frame["kind"].unique()) == ["binary", "value"]
    frame = s.to_frame()
    row = frame[
        (frame.experiment == "hero") & (frame.variant == "control") & (frame.metric == "signup")
    ].iloc[0]
    assert row["excluded_multiple_variants"] == 1
    assert row["excluded_before_exposure"] == 1


def test_default_goals_are_every_event_as_binary(engine, logs):
    s = run(engine, *logs)
    assert s.metrics("hero") == ["purchase", "signup"]
    assert set(s.frame["kind"]) == {"binary"}
    assert stats(s)[("hero", "b", "purchase")] == (3, 3.0, 3.0)


@pytest.mark.parametrize(
    ("window", "b_revenue"),
    [("1d", (27.0, 449.0)), ("7d", (62.0, 1574.0)), (None, (112.0, 4774.0))],
)
def test_attribution_window(engine, logs, window, b_revenue):
    # 1d: u3 20, u4 7 (u6 buys 2 days in); None: u4 buys 7 + 50 = 57 -> 625 + 3249 + 900
    s = run(engine, *logs, goals=GOALS, window=window)
    assert stats(s, "sum", "sum_sq")[("hero", "b", "revenue")] == b_revenue


def test_window_per_goal(engine, logs):
    goals = [EventMetric("purchase"), EventMetric("purchase", "revenue", "value", window="24h")]
    s = run(engine, *logs, goals=goals)
    got = stats(s, "sum")
    assert got[("hero", "b", "purchase")] == (3.0,)  # the default 7 days
    assert got[("hero", "b", "revenue")] == (27.0,)


@pytest.mark.parametrize("daily", [False, True])
def test_a_wider_window_on_a_later_goal_of_the_event_keeps_its_events(engine, logs, daily):
    """The same goals with the 24h one first: its event rows past 24 h still count for the
    7-day goal (the joined rows dropped before the per-unit grouping are those after
    every window of the event's goals, not of the first goal's)."""
    goals = [EventMetric("purchase", "revenue", "value", window="24h"), EventMetric("purchase")]
    s = run(engine, *logs, goals=goals, daily=daily)
    f = s.totals("hero")
    got = dict(zip(zip(f["variant"], f["metric"], strict=True), f["sum"], strict=True))
    assert got[("b", "purchase")] == 3.0  # the default 7 days, as above
    assert got[("b", "revenue")] == 27.0  # 24 hours, as above


@pytest.mark.parametrize("memtable", [False, True])
def test_bounds_with_a_time_of_day(engine, logs, memtable):
    """start / end / as_of at a time of day, by hand from the logs. On SQLite the bound
    was compared as text with the stored timestamps; Ibis stores a DataFrame's as
    '2024-01-01T10:00:00', whose 'T' sorts after the bound's space, so every row of
    the bound's date counted as after it (memtable=True: the DataFrames given to a
    SQLite engine as they are, not written with to_sql)."""
    import ibis

    if memtable and engine.name != "sqlite":
        pytest.skip("the DataFrames-on-a-SQLite-engine path")

    def hero(**kw) -> dict:
        """{variant: (units, signups)} of experiment hero."""
        if memtable:
            s = summarize(*logs, goals=GOALS, engine=ibis.sqlite.connect(), **kw)
        else:
            s = run(engine, *logs, goals=GOALS, **kw)
        return {k[1]: v for k, v in stats(s, "n", "sum").items() if k[::2] == ("hero", "signup")}

    # from 10:30: u2 (control, 11:00), u3 (b, 12:00), u4 and u6 (b, 01-02); not u1 (10:00)
    # nor u5 (09:00)
    assert hero(start="2024-01-01 10:30") == {"control": (1, 0.0), "b": (3, 1.0)}
    # before 11:30: u1 and u2 (control); u5 saw both variants
    assert hero(end="2024-01-01 11:30") == {"control": (2, 1.0), "b": (0, 0.0)}
    # as_of 10:45 cuts exposures and events: u1 (exposed 10:00) signed up at 10:30
    assert hero(as_of="2024-01-01 10:45") == {"control": (1, 1.0), "b": (0, 0.0)}


def test_analysis_window(engine, logs):
    # end as a date = through the end of that day: only 01-01 exposures; events after
    # the end still count within the attribution window
    s = run(engine, *logs, goals=GOALS, end="2024-01-01")
    got = stats(s)
    assert got[("hero", "b", "revenue")] == (1, 25.0, 625.0)
    assert ("cta", "a", "revenue") in got and got[("cta", "a", "revenue")][0] == 0
    # as_of cuts the conversions too: u6's 30 (01-04) and u3's 5 (01-05) are not seen yet
    s = run(engine, *logs, goals=GOALS, as_of="2024-01-03")
    assert stats(s)[("hero", "b", "revenue")] == (3, 27.0, 449.0)
    # start: u5's exposures (01-01) are outside, so u5 is simply not in the analysis
    s = run(engine, *logs, goals=GOALS, start="2024-01-02", experiments=["hero"])
    assert stats(s, "n") == {
        (e, v, m): (n,)
        for (e, v, m), n in {
            ("hero", "control", "signup"): 0,
            ("hero", "control", "purchase"): 0,
            ("hero", "control", "revenue"): 0,
            ("hero", "b", "signup"): 2,
            ("hero", "b", "purchase"): 2,
            ("hero", "b", "revenue"): 2,
        }.items()
    }
    assert "multiple_variants" not in set(s.exclusions["reason"])


def test_unknown_variants(engine, logs):
    exposures, conversions = logs
    typo = pd.DataFrame(
        {
            "unit_id": ["u7"],
            "experiment": ["hero"],
            "variant": ["B"],
            "timestamp": exposures["timestamp"].iloc[:1],
            "device": ["mobile"],
        }
    )
    exposures = pd.concat([exposures, typo], ignore_index=True)
    variants = {"hero": ["control", "b"]}
    s = run(engine, exposures, conversions, goals=GOALS, variants=variants)
    assert s.experiments == ["hero"]
    assert excluded(s)[("hero", "B", "", "unknown_variant")] == 1
    assert stats(s, "n")[("hero", "b", "signup")] == (3,)
    with pytest.raises(ValueError, match=r"variant 'B' \(1 rows\).*\['control', 'b'\]"):
        run(engine, exposures, conversions, variants=variants, unknown_variants="error")


def test_the_example_of_an_unusable_value_is_an_event_that_counted(engine, logs):
    """u2's purchase without a value at 08:00 comes before its first exposure (11:00):
    not counted, and not the example, though it is the earliest bad row; u6's -30 at
    01-03 10:00, in its window, is both."""
    exposures, conversions = logs
    extra = pd.DataFrame(
        {
            "unit_id": ["u2", "u6"],
            "event": ["purchase", "purchase"],
            "timestamp": pd.Series(
                ["2024-01-01 08:00:00", "2024-01-03 10:00:00"], dtype="datetime64[us]"
            ),
            "value": [None, -30.0],
        }
    )
    conversions = pd.concat([conversions, extra], ignore_index=True)
    with pytest.raises(ValueError) as info:
        run(engine, exposures, conversions, goals=GOALS)
    message = str(info.value)
    assert "cannot be summed: 1 with a negative value (b 1)" in message
    assert "missing" not in message
    assert "e.g. unit u6 at 2024-01-03 10:00:00 (value -30.0)" in message


def test_empty_fields_negative_and_missing_values_are_counted(engine, logs):
    exposures, conversions = logs
    stamp = exposures["timestamp"].iloc[0]
    exposures = pd.concat(
        [
            exposures,
            pd.DataFrame(
                {
                    "unit_id": [None],
                    "experiment": ["hero"],
                    "variant": ["control"],
                    "timestamp": [stamp],
                    "device": ["mobile"],
                }
            ),
        ],
        ignore_index=True,
    )
    extra = pd.DataFrame(
        {
            "unit_id": ["u1", "u6", "u2"],
            "event": ["signup", "purchase", "purchase"],
            "timestamp": pd.Series(
                [None, "2024-01-03 10:00:00", "2024-01-02 10:00:00"], dtype="datetime64[us]"
            ),
            "value": [None, -30.0, None],
        }
    )
    conversions = pd.concat([conversions, extra], ignore_index=True)
    # a purchase of -30 (u6, b) and one without a value (u2, control) cannot be summed:
    # an error naming both, never a silent 0 (issue #21: all of b's purchases without a
    # value once read as a significant -100% loss)
    with pytest.raises(
        ValueError,
        match=r"value goal 'revenue' \(event 'purchase', column "
        r"'value'\) has units whose in-window events cannot "
        r"be summed: 1 with a missing, NaN or infinite value "
        r"\(control 1\); 1 with a negative value \(b 1\)",
    ):
        run(engine, exposures, conversions, goals=GOALS)
    usable = conversions[~conversions["unit_id"].isin(["u2", "u6"]) | conversions["value"].gt(0)
                         | (conversions["event"] != "purchase")]  # fmt: skip
    s = run(engine, exposures, usable, goals=GOALS)
    ex = excluded(s)
    assert ex[("hero", "control", "", "null_exposure")] == 1
    assert ex[("", "", "signup", "null_conversion")] == 1
    assert not any(reason in ("negative_value", "null_value") for *_, reason in ex)


def test_segments_by_first_exposure(engine, logs):
    s = run(engine, *logs, goals=GOALS, by="device", experiments=["hero"])
    got = stats(s)
    assert got[("hero", "control", "revenue", "mobile")] == (1, 10.0, 100.0)
    assert got[("hero", "control", "revenue", "desktop")] == (1, 0.0, 0.0)
    assert got[("hero", "b", "revenue", "mobile")] == (2, 32.0, 674.0)
    assert got[("hero", "b", "revenue", "desktop")] == (1, 30.0, 900.0)  # u6: desktop first
    totals = s.totals().set_index(["variant", "metric"])
    assert totals.loc[("control", "revenue"), "sum"] == 10.0
    assert totals.loc[("b", "revenue"), ["n", "sum"]].tolist() == [3, 62.0]


def test_a_first_exposure_without_a_segment_is_missing_on_every_engine(engine):
    # u1's first exposure has no device, its second says mobile: its segment is the
    # first exposure's, "(missing)" (DuckDB's arg_min skipped the NULL and said mobile,
    # SQLite "(missing)"; a review helper's case). u2 is mobile from the start
    exposures = pd.DataFrame({
        "unit_id": ["u1", "u1", "u2"], "experiment": "e", "variant": ["a", "a", "b"],
        "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-01 11:00"]),
        "device": [None, "mobile", "mobile"]})  # fmt: skip
    conversions = pd.DataFrame({"unit_id": ["u1"], "event": ["buy"],
                                "timestamp": pd.to_datetime(["2024-01-01 12:00"])})  # fmt: skip
    got = stats(run(engine, exposures, conversions, goals=["buy"], by="device"))
    assert got == {("e", "a", "buy", "(missing)"): (1, 1.0, 1.0),
                   ("e", "b", "buy", "mobile"): (1, 0.0, 0.0)}  # fmt: skip


def test_the_segment_is_the_first_exposures_whatever_the_row_order(engine):
    # u1's later exposure is stored first (mobile, FR), its first second (no device, DE):
    # its segment is DE, "(missing)" by device. SQLite's argmin (the value beside
    # MIN(timestamp), its bare-column rule) took the row of another aggregate's minimum
    # when the grouping had several (a review helper's case: FR, mobile). u2's device is
    # empty: "(missing)" too, as the docs say (it stayed "")
    exposures = pd.DataFrame({
        "unit_id": ["u1", "u1", "u2"], "experiment": "e", "variant": ["a", "a", "b"],
        "timestamp": pd.to_datetime(["2024-01-02 10:00", "2024-01-01 10:00", "2024-01-01 11:00"]),
        "device": ["mobile", None, ""], "country": ["FR", "DE", "US"]})  # fmt: skip
    conversions = pd.DataFrame({"unit_id": ["u1"], "event": ["buy"],
                                "timestamp": pd.to_datetime(["2024-01-03 12:00"])})  # fmt: skip
    got = stats(run(engine, exposures, conversions, goals=["buy"], by=["country", "device"]))
    assert got == {("e", "a", "buy", "DE", "(missing)"): (1, 1.0, 1.0),
                   ("e", "b", "buy", "US", "(missing)"): (1, 0.0, 0.0)}  # fmt: skip


def test_daily_cumulative(engine, logs):
    s = run(engine, *logs, goals=GOALS, daily=True, experiments=["hero"])
    got = stats(s)
    b = [got[("hero", "b", "revenue", f"2024-01-0{d}")] for d in range(1, 7)]
    assert b == [
        (1, 20.0, 400.0),
        (3, 27.0, 449.0),
        (3, 27.0, 449.0),
        (3, 57.0, 1349.0),
        (3, 62.0, 1574.0),
        (3, 62.0, 1574.0),
    ]
    c = [got[("hero", "control", "revenue", f"2024-01-0{d}")] for d in range(1, 7)]
    assert c == [(2, 0.0, 0.0)] * 5 + [(2, 10.0, 100.0)]
    signup = [got[("hero", "control", "signup", f"2024-01-0{d}")][1] for d in range(1, 7)]
    assert signup == [1.0] * 6
    # the last day equals the totals, and the exclusions are the same as without daily
    last = s.totals()
    plain = run(engine, *logs, goals=GOALS, experiments=["hero"])
    assert (
        last[["variant", "metric", "n", "sum", "sum_sq"]].values.tolist()
        == plain.frame[["variant", "metric", "n", "sum", "sum_sq"]].values.tolist()
    )
    assert excluded(s) == excluded(plain)


def test_cuped_sums(engine, logs):
    cov = pd.DataFrame({"unit_id": ["u1", "u3", "u4"], "value": [1.0, 2.0, 3.0]})
    s = summarize(
        engine.put(logs[0]),
        engine.put(logs[1]),
        goals=GOALS,
        covariate=engine.put(cov),
        experiments=["hero"],
    )
    got = stats(s, "sum_x", "sum_x_sq", "sum_xy")
    assert got[("hero", "control", "revenue")] == (1.0, 1.0, 10.0)
    assert got[("hero", "control", "signup")] == (1.0, 1.0, 1.0)
    assert got[("hero", "b", "revenue")] == (5.0, 13.0, 71.0)
    assert got[("hero", "b", "purchase")] == (5.0, 13.0, 5.0)


def test_a_covariate_value_column_may_be_called_experiment(engine, logs):
    # a covariate with an experiment column is keyed by experiment, unless that column
    # is its value (columns={"covariate": {"value": "experiment"}}): then it is one value
    # per unit (before: taken as the key, an engine error). By hand, with x = 1..6 for
    # u1..u6 (conftest.logs; revenue y from HAND_TOTALS' units, 7-day window): hero b
    # keeps u3 (y 25), u4 (y 7), u6 (y 30): sum_x 13, sum_x_sq 61, sum_xy 283
    units = ["u1", "u2", "u3", "u4", "u5", "u6"]
    cov = pd.DataFrame({"unit_id": units, "experiment": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    s = summarize(
        engine.put(logs[0]),
        engine.put(logs[1]),
        goals=GOALS,
        covariate=engine.put(cov),
        columns={"covariate": {"value": "experiment"}},
    )
    got = stats(s, "sum_x", "sum_x_sq", "sum_xy")
    assert got[("hero", "b", "revenue")] == (13.0, 61.0, 283.0)
    assert got[("hero", "control", "revenue")] == (3.0, 5.0, 10.0)  # u1 (y 10), u2 (y 0)
    assert got[("cta", "b", "revenue")] == (3.0, 9.0, 15.0)  # u3: its 5 on 01-05


def test_column_mapping(engine, logs):
    exposures, conversions = logs
    exposures = exposures.rename(columns={"unit_id": "user", "variant": "arm"})
    conversions = conversions.rename(
        columns={"unit_id": "user", "event": "name", "value": "revenue"}
    )
    goals = [EventMetric("purchase", "revenue", value="revenue")]
    s = run(
        engine,
        exposures,
        conversions,
        goals=goals,
        columns={
            "unit_id": "user",
            "exposures": {"variant": "arm"},
            "conversions": {"event": "name"},
        },
    )
    assert stats(s)[("hero", "b", "revenue")] == (3, 62.0, 1574.0)


def test_missing_column_is_named(engine, logs):
    exposures, conversions = logs
    with pytest.raises(ValueError, match=r"exposures has no column 'variant'.*columns="):
        run(engine, exposures.drop(columns="variant"), conversions)
    with pytest.raises(ValueError, match=r"'unit_id' \(mapped to 'user'\)"):
        run(engine, exposures, conversions, columns={"unit_id": "user"})
    with pytest.raises(ValueError, match="no column 'revenue'"):
        run(engine, exposures, conversions, goals=[EventMetric("purchase", value="revenue")])


def test_user_data_is_not_modified(logs):
    exposures, conversions = logs
    before = exposures.copy(), conversions.copy()
    summarize(exposures, conversions, goals=GOALS, by="device", daily=True)
    pd.testing.assert_frame_equal(exposures, before[0])
    pd.testing.assert_frame_equal(conversions, before[1])


@pytest.mark.parametrize("daily", [False, True])
def test_goal_order_does_not_matter(engine, logs, daily):
    # goals of one event share a conversion row side by side ("slots"): a value goal
    # first and a binary one second on "purchase", next to a one-goal event, must give
    # the same numbers as the usual order (totals, days and CUPED sums alike)
    cov = pd.DataFrame({"unit_id": ["u1", "u3", "u4"], "value": [1.0, 2.0, 3.0]})
    cols = ("n", "sum", "sum_sq", "sum_x", "sum_x_sq", "sum_xy")

    def numbers(goals):
        s = summarize(
            engine.put(logs[0]),
            engine.put(logs[1]),
            goals=goals,
            covariate=engine.put(cov),
            daily=daily,
        )
        return stats(s, *cols), excluded(s)

    reordered = [GOALS[2], GOALS[0], GOALS[1]]
    assert numbers(reordered) == numbers(GOALS)
    got, _ = numbers(reordered)
    last = "2024-01-06" if daily else None
    key = ("hero", "b", "revenue", last) if daily else ("hero", "b", "revenue")
    assert got[key][:3] == (3, 62.0, 1574.0)


def test_times_before_1970(engine, logs):
    # DuckDB packs each first exposure as microseconds since 1970 beside its variant
    # (negative before 1970): the same logs sixty years earlier give the same answers
    shift = pd.Timedelta(days=365 * 60)
    early = [df.assign(timestamp=df["timestamp"] - shift) for df in logs]
    for by in (None, "device"):
        s, t = (run(engine, *x, goals=GOALS, by=by) for x in (logs, early))
        assert stats(t) == stats(s)
        assert excluded(t) == excluded(s)


def wide_logs(far: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Experiment "wide" with 200 variants (8 bits of variant index), one unit in each
    (w000 in v000, ...), and, if ``far``, unit "z" first exposed to v000 on 9999-12-30."""
    rows = [(f"w{i:03d}", f"v{i:03d}", "2024-01-01 10:00:00") for i in range(200)]
    if far:
        rows.append(("z", "v000", "9999-12-30 10:00:00"))
    units, variants, stamps = zip(*rows, strict=True)
    exposures = pd.DataFrame(
        {"unit_id": units, "experiment": "wide", "variant": variants, "timestamp": us(stamps)}
    )
    # w001 signs up in window; z signs up a day after its exposure
    conversions = pd.DataFrame(
        {
            "unit_id": ["w001", "z"],
            "event": "signup",
            "timestamp": us(["2024-01-02 10:00:00", "9999-12-31 10:00:00"]),
        }
    )
    return exposures, conversions


def us(stamps) -> pd.Series:
    """Microsecond timestamps (nanoseconds end in 2262)."""
    return pd.Series(pd.to_datetime(list(stamps)).as_unit("us"))


@pytest.mark.parametrize("far", [False, True])
def test_packed_times_that_overflow_fall_back(monkeypatch, far):
    # 200 variants leave 55 bits for the time: microseconds since 1970 up to about the
    # year 3111. A time in 9999 overflows the packed integer (DuckDB raises), and
    # summarize runs the portable assignment instead, with the same (exact) answers.
    from abtest.data import query

    tried = []
    build = query.build

    def spy(*args, **kw):
        tried.append(args[-1].packed)
        return build(*args, **kw)

    monkeypatch.setattr(query, "build", spy)
    s = summarize(*wide_logs(far), goals=["signup"])
    assert tried == ([True, False] if far else [True])
    got = stats(s)
    assert got[("wide", "v000", "signup")] == ((2, 1.0, 1.0) if far else (1, 0.0, 0.0))
    assert got[("wide", "v001", "signup")] == (1, 1.0, 1.0)
    assert got[("wide", "v199", "signup")] == (1, 0.0, 0.0)
    assert len(got) == 200
    assert s.exclusions.empty


@pytest.mark.parametrize("order", [["control", "b"], ["b", "control"]])
def test_exact_tie_of_first_exposures_on_duckdb(logs, order):
    # u5 sees control and b at the same microsecond (both at its first exposure, control
    # at 01-01 09:00 in `logs`): DuckDB counts the multi-variant unit under the variant
    # listed first in `variants`
    exposures, conversions = logs
    exposures = exposures.copy()
    u5 = exposures["unit_id"] == "u5"
    exposures.loc[u5, "timestamp"] = exposures.loc[u5, "timestamp"].min()
    s = summarize(exposures, conversions, goals=GOALS, variants={"hero": order})
    assert excluded(s)[("hero", order[0], "", "multiple_variants")] == 1
    assert ("hero", order[1], "", "multiple_variants") not in excluded(s)


def test_a_frame_from_to_frame_reads_back_with_its_exclusions(logs):
    """Summary.to_frame() writes the exclusions as excluded_<reason> columns, repeated on
    every segment and day row; Summary(frame) reads them back once per key. The hand logs
    exclude u5 from hero (two variants, under control) and count units with events
    before exposure per goal (hero control signup 1; cta a signup 1; cta b purchase and
    revenue 1)."""
    s = summarize(*logs, goals=GOALS, by="device", daily=True)
    frame = s.to_frame()
    assert {"excluded_multiple_variants", "excluded_before_exposure"} <= set(frame.columns)
    back = Summary(frame, segments=["device"])
    assert (
        excluded(back)
        == excluded(s)
        == {
            ("hero", "control", "", "multiple_variants"): 1,
            ("hero", "control", "signup", "before_exposure"): 1,
            ("cta", "a", "signup", "before_exposure"): 1,
            ("cta", "b", "purchase", "before_exposure"): 1,
            ("cta", "b", "revenue", "before_exposure"): 1,
        }
    )
    assert back.warnings() == s.warnings()
    assert not any(c.startswith("excluded_") for c in back.frame.columns)
    pd.testing.assert_frame_equal(back.to_frame(), frame)  # the round trip is stable


HAND_TOTALS = {  # test_hand_computed_totals, worked out in conftest.logs
    ("hero", "control", "revenue"): (2, 10.0, 100.0),
    ("hero", "b", "revenue"): (3, 62.0, 1574.0),
    ("cta", "a", "revenue"): (1, 10.0, 100.0),
    ("cta", "b", "revenue"): (1, 5.0, 25.0),
}


@pytest.mark.parametrize("daily", [False, True])
def test_dataframes_with_an_engine_run_on_that_engine(engine, logs, daily):
    # DataFrames with engine=<connection> become memtables, whose own backend is Ibis'
    # default (DuckDB): the query must still compile for the connection it runs on (a
    # DuckDB-only aggregate once reached Spark this way and failed to compile)
    if engine.con is None:
        pytest.skip("DuckDB is the default engine: test_hand_computed_totals covers it")
    s = summarize(*logs, goals=GOALS, engine=engine.con, daily=daily)
    got = {}
    for exp in ("hero", "cta"):
        t = s.totals(exp)
        for r in t[t["metric"] == "revenue"].itertuples(index=False):
            got[(r.experiment, r.variant, r.metric)] = (r.n, r.sum, r.sum_sq)
    assert got == HAND_TOTALS


# column names the query and assemble give columns of their own (abtest.data.query,
# first_exposure, slots, assemble; abtest.data.query_columns): a user's segment or value
# column bearing one was read in their place (a value column "ev" summed to 0)
QUERY_NAMES = ["first", "vi", "exp", "multi", "t", "ev", "m0", "m1", "val0", "cday", "slot",
               "part", "arm", "known", "_abtest_flags", "_abtest_key", "_abtest_seg1"]  # fmt: skip


def test_a_segment_may_bear_any_name_the_query_uses_inside(engine, logs):
    # each name must give the segments (and numbers) the same column gives as "device"
    exposures, conversions = logs
    base = run(engine, exposures, conversions, goals=GOALS, by="device")
    # HAND_TOTALS' hero b revenue (3, 62, 1574) by device at first exposure (conftest.logs):
    # u3 mobile 20 + 5 = 25 and u4 mobile 7 (its 50 falls after the 7-day window): 32 and
    # 25² + 7² = 674; u6 desktop 30: 30 and 900
    got = stats(base)
    assert got[("hero", "b", "revenue", "desktop")] == (1, 30.0, 900.0)
    assert got[("hero", "b", "revenue", "mobile")] == (2, 32.0, 674.0)
    for name in QUERY_NAMES:
        renamed = exposures.rename(columns={"device": name})
        s = run(engine, renamed, conversions, goals=GOALS, by=name)
        assert s.segments == (name,), name
        pd.testing.assert_frame_equal(s.frame.rename(columns={name: "device"}), base.frame)


def test_a_value_column_may_bear_any_name_the_query_uses_inside(engine, logs):
    # the revenue goal read from a column called like one of the query's must give the
    # hand-computed revenue totals (HAND_TOTALS) it gives from "value"
    exposures, conversions = logs
    for name in ["ev", "m1", "val0", "t", "first", "_abtest_val1"]:
        goals = [*GOALS[:2], EventMetric("purchase", metric="revenue", value=name)]
        s = run(engine, exposures, conversions.rename(columns={"value": name}), goals=goals)
        got = {k: v for k, v in stats(s).items() if k[2] == "revenue"}
        assert got == HAND_TOTALS, name


def test_a_value_goal_on_a_conversions_own_column_is_refused(engine, logs):
    # value="unit_id" summed the unit key (or, with unit_id mapped to another column,
    # that column, and a refusal named it): refused in one line, and the rename the
    # message gives sums the user's column called unit_id (HAND_TOTALS)
    exposures, conversions = logs
    exposures = exposures.rename(columns={"unit_id": "visitor"})
    conversions = conversions.rename(columns={"unit_id": "visitor", "value": "unit_id"})
    for name in ("unit_id", "event", "timestamp"):
        with pytest.raises(ValueError, match=rf"goal 'revenue': value = '{name}' is the name"):
            run(engine, exposures, conversions,
                goals=[EventMetric("purchase", metric="revenue", value=name)])  # fmt: skip
    with pytest.raises(ValueError, match=r"value = 5: give the name of the conversions column"):
        run(engine, exposures, conversions, goals=[{"event": "purchase", "value": 5}])
    goals = [EventMetric("purchase", metric="revenue", value="unit_id_value")]
    columns = {"unit_id": "visitor", "conversions": {"unit_id_value": "unit_id"}}
    s = run(engine, exposures, conversions, goals=goals, columns=columns)
    assert {k: v for k, v in stats(s).items() if k[2] == "revenue"} == HAND_TOTALS


def test_segments_keep_their_names_in_daily_rows_and_quantiles(logs):
    # the daily path and the quantiles table give the segment its own name back too
    exposures, conversions = logs
    goals = [*GOALS, EventMetric("purchase", metric="median", value="value",
                                 statistic={"quantile": 0.5})]  # fmt: skip
    base = summarize(exposures, conversions, goals=goals, by="device", daily=True)
    s = summarize(exposures.rename(columns={"device": "cday"}), conversions, goals=goals,
                  by="cday", daily=True)  # fmt: skip
    pd.testing.assert_frame_equal(s.frame.rename(columns={"cday": "device"}), base.frame)
    pd.testing.assert_frame_equal(s.quantiles.rename(columns={"cday": "device"}), base.quantiles)
    assert "device" in base.quantiles.columns and base.quantiles["device"].notna().any()


def test_a_segment_named_like_a_summary_column_is_refused_with_the_way_around(logs):
    exposures, conversions = logs
    renamed = exposures.rename(columns={"device": "n"})
    with pytest.raises(ValueError, match=r"by: 'n' is the name of a column of the summary"):
        summarize(renamed, conversions, goals=GOALS, by="n")
    # the way around the message gives: the column read under another name
    s = summarize(renamed, conversions, goals=GOALS, by="n_segment",
                  columns={"exposures": {"n_segment": "n"}})  # fmt: skip
    base = summarize(exposures, conversions, goals=GOALS, by="device")
    pd.testing.assert_frame_equal(s.frame.rename(columns={"n_segment": "device"}), base.frame)
    for by in (0, 5, ["device", 1], {"device"}):  # not a name or a list of names
        with pytest.raises(TypeError, match=r"by = .*: give an exposure column name or a list"):
            summarize(exposures, conversions, goals=GOALS, by=by)
    with pytest.raises(ValueError, match=r"by: 'device' is named twice"):
        summarize(exposures, conversions, goals=GOALS, by=["device", "device"])
    # Summary.to_frame() names its exclusion columns excluded_<reason>; and with unit_id
    # mapped to another column, by="unit_id" would mean the user's own unit_id column
    ids = {"unit_id": "user_id"}
    cases = [
        ("excluded_device", "starts like the summary's excluded_<reason>", {},
         exposures.rename(columns={"device": "excluded_device"}), conversions),
        ("unit_id", "is the name of one of the exposures' own columns", ids,
         exposures.rename(columns={"unit_id": "user_id", "device": "unit_id"}),
         conversions.rename(columns=ids)),
    ]  # fmt: skip
    for name, said, mapping, e, c in cases:
        with pytest.raises(ValueError, match=f"by: '{name}' {said}") as refused:
            summarize(e, c, goals=GOALS, by=name, columns=mapping)
        # the name the message suggests is one a segment can take
        alias = re.search(r"e\.g\. '(\w+)'", str(refused.value)).group(1)
        s = summarize(e, c, goals=GOALS, by=alias, columns={**mapping, "exposures": {alias: name}})
        pd.testing.assert_frame_equal(s.frame.rename(columns={alias: "device"}), base.frame)


def test_exposure_rows_without_a_variant_are_counted_not_lost(engine, logs):
    # two hero rows with an empty variant (u7, u8, one row each) vanished uncounted, and
    # the SRM alarm that followed blamed the site's split (a review helper's case): they
    # are exposure rows abtest could not use, counted as such
    exposures, conversions = logs
    extra = pd.DataFrame({"unit_id": ["u7", "u8"], "experiment": "hero", "variant": [None, None],
                          "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00"])
                          .astype("datetime64[us]"),
                          "device": "mobile"})  # fmt: skip
    s = run(engine, pd.concat([exposures, extra], ignore_index=True), conversions, goals=GOALS)
    assert excluded(s)[("hero", "", "", "null_exposure")] == 2
    assert stats(s, "n")[("hero", "control", "signup")] == (2,)  # as without them
    assert any("2 exposure rows without a unit_id, timestamp, experiment or variant" in w
               for w in s.warnings())  # fmt: skip


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (None, "the exposures log has no rows: nothing to analyse yet"),
        ("variant", "has 10 rows but none with both an experiment and a variant"),
        ("timestamp", "has 10 rows but none with a unit_id and a timestamp"),
    ],
)
def test_an_exposures_log_nothing_can_be_read_from_says_why(logs, column, message):
    # an empty log crashed ("cannot convert float NaN to integer"); every variant empty
    # said "the exposures log has no experiments"; every timestamp empty failed in a pandas
    # merge inside analyze
    exposures, conversions = logs
    if column is None:
        exposures = exposures.iloc[:0]
    else:
        exposures = exposures.assign(**{column: None})
        if column == "timestamp":
            nat = pd.Series(pd.NaT, index=exposures.index, dtype="datetime64[us]")
            exposures["timestamp"] = nat
    with pytest.raises(ValueError, match=message):
        summarize(exposures, conversions, goals=GOALS)
