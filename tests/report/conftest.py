"""Analyses built from constructed data, shared by the report tests."""

from __future__ import annotations

import dataclasses
import datetime as dt

import matplotlib
import numpy as np
import pandas as pd
import pytest

import abtest
from abtest.analysis import GuardrailSpec, MetricSpec

matplotlib.use("Agg")

# Udacity landing-page test (Kaggle "ab_data"), the counts DESIGN.md's demo uses:
# R prop.test(c(17489, 17264), c(145274, 145310), correct = FALSE)$p.value = 0.18988
UDACITY = {"control": (17489, 145274), "new": (17264, 145310)}


def units_frame(seed: int = 0, n: int = 20_000) -> pd.DataFrame:
    """Three variants, three binary goals (one a guardrail) and a revenue value."""
    rng = np.random.default_rng(seed)
    v = rng.choice(["control", "b", "c"], n)
    return pd.DataFrame(
        {
            "unit_id": np.arange(n),
            "variant": v,
            "signup": (rng.random(n) < np.where(v == "c", 0.045, 0.03)).astype(int),
            "click": (rng.random(n) < np.where(v == "b", 0.12, 0.10)).astype(int),
            "bounce": (rng.random(n) < 0.4).astype(int),
            "revenue": rng.exponential(5, n) * (rng.random(n) < 0.03),
        }
    )


def daily_summary(
    seed: int = 1, days: int = 14, rates: dict[str, float] | None = None
) -> abtest.Summary:
    """Cumulative daily counts of one binary goal (a ``day`` column)."""
    rates = rates or {"control": 0.10, "b": 0.115}
    rng = np.random.default_rng(seed)
    rows, total = [], {v: [0, 0] for v in rates}
    for d in pd.date_range("2026-11-09", periods=days).date:
        for v, p in rates.items():
            n = int(rng.poisson(500))
            total[v][0] += n
            total[v][1] += int(rng.binomial(n, p))
            rows.append(
                {
                    "experiment": "hero",
                    "variant": v,
                    "metric": "signup",
                    "kind": "binary",
                    "n": total[v][0],
                    "sum": float(total[v][1]),
                    "sum_sq": float(total[v][1]),
                    "day": d,
                }
            )
    return abtest.Summary(pd.DataFrame(rows))


@pytest.fixture(scope="session")
def udacity():
    return abtest.analyze(abtest.Summary.from_counts(UDACITY))


@pytest.fixture(scope="session")
def multi():
    """3 variants x 4 goals (micro, macro, guardrail, value), funnel, spend; c wins."""
    return abtest.analyze(
        units_frame(),
        metrics=["signup", "click", "bounce", "revenue"],
        design=abtest.analysis.Design(
            experiment="hero-form",
            name="Hero form test",
            hypothesis="A shorter form gets more signups.",
            metrics=(
                MetricSpec("signup", kind="macro", primary=True),
                MetricSpec("click", kind="micro"),
                MetricSpec("bounce", kind="micro"),
                MetricSpec("revenue", kind="macro"),
            ),
            guardrails=(GuardrailSpec("bounce", "decrease", 0.05),),
            funnel=("visitor", "click", "signup"),
            spend={"control": 1000.0, "b": 1000.0, "c": 1200.0},
            status="running",
            start=dt.date(2026, 11, 9),
            end=dt.date(2026, 12, 6),
        ),
    )


@pytest.fixture(scope="session")
def sequential_daily():
    """Always-valid sequential analysis over 14 daily looks."""
    return abtest.analyze(daily_summary(), method="sequential")


@pytest.fixture(scope="session")
def group_sequential():
    """Group sequential design with 14 planned looks over the planned sample (10% -> +15%:
    about 7,000 units per arm, what the 14 days hold); b crosses the boundary."""
    return abtest.analyze(daily_summary(), method="sequential", looks=14, baseline=0.10, mde=0.15)


@pytest.fixture(scope="session")
def bayesian_like(udacity):
    """The Udacity analysis presented as if Bayesian (the table's extra columns), so the
    presenters can be tested before the Bayesian engine lands. Values are placeholders."""
    res = udacity.results.copy()
    res["prob_beat_control"] = np.where(res["is_control"], np.nan, 0.095)
    res["prob_best"] = np.where(res["is_control"], 0.905, 0.095)
    res["expected_loss"] = np.where(res["is_control"], 0.0001, 0.0017)
    design = dataclasses.replace(udacity.design, method="bayesian")
    return dataclasses.replace(udacity, design=design, results=res)


@pytest.fixture(scope="session")
def hostile():
    """User input that looks like markup: variant id, display name, title, hypothesis."""
    bad = "<script>alert('x')</script>"
    a = abtest.analyze(abtest.Summary.from_counts({"control": (100, 1000), bad: (130, 1000)}))
    design = dataclasses.replace(
        a.design,
        name="Hero <img src=x onerror=alert(1)>",
        hypothesis=f'Users prefer {bad} & "quotes"',
        variant_names={"control": "<b>bold</b>", bad: "evil | name"},
    )
    return dataclasses.replace(a, design=design)
