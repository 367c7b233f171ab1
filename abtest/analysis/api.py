"""``abtest.analyze``: data in, :class:`~abtest.analysis.result.Analysis` out."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from abtest.analysis.business import cost_table, funnel_table
from abtest.analysis.decision import Progress, decide
from abtest.analysis.design import Design, MetricSpec
from abtest.analysis.engine import MetricArrays, frequentist_table, metric_arrays
from abtest.analysis.inputs import summary_from_units
from abtest.analysis.methods import bayesian_table, sequential_table
from abtest.analysis.result import Analysis
from abtest.data.summary import KEYS as SUMMARY_KEYS
from abtest.data.summary import STATS as SUMMARY_STATS
from abtest.data.summary import Summary
from abtest.stats import plan_proportions, srm_test

_SUMMARY_COLUMNS = {*SUMMARY_KEYS, *SUMMARY_STATS, "kind"}  # what a Summary frame must have


def analyze(
    data: pd.DataFrame | Summary,
    *,
    variant: str = "variant",
    metrics: Sequence[str] | None = None,
    control: str | None = None,
    method: str = "frequentist",
    alpha: float = 0.05,
    correction: str = "holm",
    weights: Sequence[float] | None = None,
    design: Design | None = None,
    unit: str | None = "unit_id",
    **settings: Any,
) -> Analysis:
    """Analyse an experiment: every goal, every variant against the control.

    Parameters
    ----------
    data
        A unit-level DataFrame (one row per unit, a ``variant`` column, 0/1
        conversion columns and numeric value columns), a :class:`Summary`, or a
        Summary's frame (columns ``experiment, variant, metric, kind, n, sum, sum_sq``, as
        ``Summary.to_frame()``).
    variant, unit
        Column names of the variant and (optional) unit id in a DataFrame.
    metrics
        Metric columns / ids to analyse; the first is the primary goal.
        Default: all of them, the first in the data being primary.
    control
        The control variant; default ``"control"`` if present, else the first
        variant in the data.
    method
        ``"frequentist"`` (z / Welch tests), ``"bayesian"`` (exact Beta-Binomial
        P(best) and expected loss; normal model for values) or ``"sequential"``
        (always-valid p-values and intervals, safe under daily peeking).
    alpha, correction
        Significance level and multiple-testing correction across treatment
        arms (``"holm"``, ``"bonferroni"``, ``"bh"``, ``"none"``).
    weights
        Configured traffic split (for the SRM check); default equal.
    design
        A full :class:`Design` (what :meth:`Experiment.analyze` passes); the
        keyword arguments above are then ignored except ``variant`` and ``unit``.
    settings
        Further :class:`Design` fields (``mde``, ``baseline``, ``guardrails``,
        ``prob_best_threshold``, ...).

    Examples
    --------
    >>> from abtest import Summary
    >>> a = analyze(Summary.from_counts({"control": (17489, 145274), "new": (17264, 145310)}))
    >>> a.winner is None, round(float(a.table()["p_value"].iloc[1]), 5)
    (True, 0.18988)
    """
    if design is None:
        design = Design(
            method=method,
            alpha=alpha,
            correction=correction,
            weights=tuple(weights) if weights is not None else None,
            **settings,
        )
    if isinstance(data, pd.DataFrame) and _SUMMARY_COLUMNS <= set(data.columns):
        summary = Summary(data)  # a Summary's frame (e.g. read back from to_frame())
    elif isinstance(data, pd.DataFrame):
        summary = summary_from_units(
            data,
            variant=variant,
            metrics=metrics
            if design.metrics is None
            else [m.id for m in design.metrics if m.id in data.columns] or None,
            unit=unit,
            experiment=design.experiment,
            variants=design.variants,
        )
    elif isinstance(data, Summary):
        summary = data
    else:
        raise TypeError(
            f"analyze() takes a unit-level pandas DataFrame or a Summary, not "
            f"{type(data).__name__}; for raw events use abtest.summarize(...) first"
        )
    design = _complete(design, summary, metrics, control)
    data_by_metric = {m.id: metric_arrays(summary, design, m.id) for m in design.metrics or ()}
    weights_arr = np.array(design.weights or [1.0] * len(design.variants))
    first = next(iter(data_by_metric.values()))
    srm = srm_test(first.n, weights_arr)

    if design.method == "frequentist":
        table, looks = frequentist_table(design, data_by_metric), None
    elif design.method == "bayesian":
        table, looks = bayesian_table(design, data_by_metric), None
    else:
        table, looks = sequential_table(design, data_by_metric, summary)
    progress = _progress(design, summary, first)
    decision = decide(design, table, data_by_metric, srm, progress)
    return Analysis(
        design=design,
        summary=summary,
        results=table,
        srm=srm,
        decision=decision,
        progress=progress,
        funnel=funnel_table(design, data_by_metric),
        costs=cost_table(design, data_by_metric, design.alpha),
        looks=looks,
    )


def _complete(
    design: Design, summary: Summary, metrics: Sequence[str] | None, control: str | None
) -> Design:
    """Fill in what the data knows and the design does not (experiment, variants, metrics)."""
    changes: dict[str, Any] = {}
    exps = summary.experiments
    if design.experiment not in exps:
        if len(exps) != 1:
            raise ValueError(
                f"experiment {design.experiment!r} is not in the data, which holds "
                f"{', '.join(exps)}"
            )
        changes["experiment"] = exps[0]
    experiment = changes.get("experiment", design.experiment)
    in_data = summary.variants(experiment)
    variants = list(design.variants) if design.variants else list(in_data)
    if design.variants:
        unknown = [v for v in in_data if v not in variants]
        if unknown:
            raise ValueError(
                f"the data has variant(s) {', '.join(map(repr, unknown))} that experiment "
                f"{experiment!r} does not configure ({', '.join(variants)})"
            )
        absent = [v for v in variants if v not in in_data]
        if absent:
            raise ValueError(
                f"configured variant(s) {', '.join(map(repr, absent))} have no units in the "
                f"data; check the variant ids in the data (it has {', '.join(in_data)})"
            )
    if control is not None:
        if control not in variants:
            raise ValueError(f"control={control!r} is not a variant ({', '.join(variants)})")
    elif not design.variants:
        control = "control" if "control" in variants else variants[0]
    if control is not None and variants[0] != control:
        i = variants.index(control)
        variants = [control, *variants[:i], *variants[i + 1 :]]
        if design.weights:
            w = list(design.weights)
            changes["weights"] = (w[i], *w[:i], *w[i + 1 :])
    if len(variants) < 2:
        raise ValueError(f"need at least two variants, the data has {', '.join(variants)}")
    changes["variants"] = tuple(variants)

    available = summary.metrics(experiment)
    if metrics is not None and design.metrics is None:
        missing = [m for m in metrics if m not in available]
        if missing:
            raise ValueError(f"metric(s) {', '.join(missing)} not in the data ({available})")
        changes["metrics"] = tuple(MetricSpec(m, primary=i == 0) for i, m in enumerate(metrics))
    elif design.metrics is None:
        changes["metrics"] = tuple(MetricSpec(m, primary=i == 0) for i, m in enumerate(available))
    else:
        present = tuple(m for m in design.metrics if m.id in available)
        if design.primary not in available:
            raise ValueError(
                f"the primary goal {design.primary!r} has no data; the data has "
                f"{', '.join(available)}"
            )
        changes["metrics"] = present
    return dataclasses.replace(design, **changes)


def _progress(design: Design, summary: Summary, first: MetricArrays) -> Progress | None:
    """Sample collected against the plan (needs ``baseline`` and ``mde``)."""
    if design.baseline is None or design.mde is None:
        return None
    plan = plan_proportions(
        design.baseline,
        design.mde,
        variants=len(design.variants),
        weights=design.weights,
        alpha=design.alpha,
        power=design.power,
        alternative=design.alternative,
    )
    planned = np.array(plan.n_per_variant, dtype=float)
    observed = first.n
    fraction = float(np.min(observed / planned))
    daily = None
    if summary.has_daily:
        days = summary.frame.loc[summary.frame["experiment"] == design.experiment, "day"].nunique()
        daily = float(observed.sum()) / max(days, 1)
    expected = design.expected_daily_units * design.traffic if design.expected_daily_units else None
    rate = daily or expected
    days_left = None
    if rate:
        share = np.array(plan.weights)
        need = np.max(np.maximum(planned - observed, 0) / (rate * share))
        days_left = math.ceil(need)
    return Progress(
        tuple(int(x) for x in planned), tuple(int(x) for x in observed), fraction, days_left, daily
    )
