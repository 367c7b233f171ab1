"""``abtest.analyze``: data in, :class:`~abtest.analysis.result.Analysis` out."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abtest.analysis.business import cost_table, funnel_table
from abtest.analysis.decision import decide
from abtest.analysis.decision_model import Context
from abtest.analysis.guardrails import guardrail_checks
from abtest.analysis.metrics import MetricSums, metric_sums
from abtest.analysis.plan_check import plan_progress
from abtest.analysis.result import Analysis
from abtest.data.summary import KEYS as SUMMARY_KEYS
from abtest.data.summary import STATS as SUMMARY_STATS
from abtest.data.summary import Summary
from abtest.data.units import summary_from_units
from abtest.design import Design, MetricSpec
from abtest.stats import srm_test

if TYPE_CHECKING:
    from abtest.analysis.source_costs import SourceCosts

_SUMMARY_COLUMNS = {*SUMMARY_KEYS, *SUMMARY_STATS, "kind"}  # what a Summary frame must have


def analyze(
    data: pd.DataFrame | Summary,
    *,
    variant: str = "variant",
    metrics: Sequence[str] | None = None,
    primary: str | None = None,
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

    The primary goal decides (the winner, or why there is none); the other goals are
    reported, and the reason names any goal on which a treatment is significantly
    worse.

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
        Goals to analyse (columns of a DataFrame, metrics of a Summary), in order;
        the first is the primary goal unless ``primary`` says otherwise. Default for
        a DataFrame: its conversion columns (0/1, boolean or yes/no), never an
        identifier or an undeclared numeric column; for a Summary: its metric when it
        has one, else the goals it was summarised with (``summarize(goals=...)``).
        What was analysed, and what was not, is said in every output.
    primary
        The goal that decides (default: the first of ``metrics``).
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
    The Udacity landing-page test (unpooled z-test, p = 0.1899; R's pooled
    ``prop.test`` gives 0.18988 on the same counts):

    >>> from abtest import Summary
    >>> a = analyze(Summary.from_counts({"control": (17489, 145274), "new": (17264, 145310)}))
    >>> a.winner is None, round(float(a.table()["p_value"].iloc[1]), 4)
    (True, 0.1899)
    """
    if design is None:
        design = Design(
            method=method,
            alpha=alpha,
            correction=correction,
            weights=tuple(weights) if weights is not None else None,
            **settings,
        )
    notes: list[tuple[str, str]] = []
    if isinstance(data, pd.DataFrame) and _SUMMARY_COLUMNS <= set(data.columns):
        summary = Summary(data)  # a Summary's frame (e.g. read back from to_frame())
    elif isinstance(data, pd.DataFrame):
        wanted = metrics
        if design.metrics is not None:
            wanted = [m.id for m in design.metrics if m.id in data.columns] or None
        summary, goals = summary_from_units(
            data,
            variant=variant,
            metrics=wanted,
            unit=unit,
            experiment=design.experiment,
            variants=design.variants,
        )
        if metrics is None and design.metrics is None:
            metrics = goals.metrics
        notes.append(("Goals", goals.note(primary or (metrics or goals.metrics)[0])))
    elif isinstance(data, Summary):
        summary = data
    else:
        raise TypeError(
            f"analyze() takes a unit-level pandas DataFrame or a Summary, not "
            f"{type(data).__name__}; for raw events use abtest.summarize(...) first"
        )
    design = _complete(design, summary, metrics, primary, control)
    if not notes and design.metrics and len(design.metrics) > 1:
        shown = [f"{m.id} (primary)" if m.id == design.primary else m.id for m in design.metrics]
        notes.append(("Goals", ", ".join(shown)))
    variants = list(design.variants)
    caps = [summary.cap_note(m.id, variants, design.experiment) for m in design.metrics or ()]
    if any(caps):  # capped value goals (summarize's goal option): the cap and the units cut
        notes.append(("Capping", "; ".join(c for c in caps if c)))
    data_by_metric = metric_sums(
        summary, design.experiment, variants, [m.id for m in design.metrics or ()]
    )
    _check_units(design, data_by_metric)
    quantile_note = _quantile_note(design, data_by_metric)
    if quantile_note:
        notes.append(("Quantiles", quantile_note))
    k = len(design.variants)
    weights_arr = np.array(design.weights) if design.weights else np.full(k, 1 / k)
    first = data_by_metric[design.primary]
    srm = srm_test(first.sums.n, weights_arr)

    looks = timeline = None
    if design.method == "frequentist":
        from abtest.analysis.frequentist import frequentist_table, timeline_table

        table, test, applied = frequentist_table(design, data_by_metric), "fixed horizon", None
        timeline = timeline_table(design, summary, table)
    elif design.method == "bayesian":
        from abtest.analysis.bayesian import bayesian_table

        table, test, applied = bayesian_table(design, data_by_metric), "bayesian", "none"
    else:
        from abtest.analysis.sequential import sequential_correction, sequential_table

        table, looks, test = sequential_table(design, data_by_metric, summary)
        applied = sequential_correction(design.correction)
    applied = applied or design.correction
    progress = plan_progress(design, summary, first)
    segments, note = _segments(design, summary, applied)
    if note is not None:
        by = ", ".join(summary.segments)
        notes.append(("Segments", f"the overall results pool the {by} segments; by {by}: {note}"))
    by_source = _source_costs(design, summary)
    if by_source is not None:
        notes.append(("Spend", "; ".join(by_source.notes)))
    funnel = funnel_table(design, data_by_metric)
    if funnel is not None and funnel.attrs.get("missing"):
        notes.append(("Funnel", "steps left out: " + ", ".join(funnel.attrs["missing"])))
    unpaid = [v for v in design.variants if design.spend is not None and v not in design.spend]
    if unpaid:  # its rows are left out of Costs: say so
        notes.append(("Spend", f"no spend given for {', '.join(unpaid)}: no costs shown for it"))
    ctx = Context(design, table, test, applied)
    novelty = _novelty(design, summary)
    guardrails = guardrail_checks(design, data_by_metric, summary, table)
    decision = decide(ctx, data_by_metric, srm, progress, guardrails, novelty)
    return Analysis(
        design=design,
        summary=summary,
        results=table,
        srm=srm,
        decision=decision,
        progress=progress,
        funnel=funnel,
        time_to_conversion=_time_to(design, summary),
        segments=segments,
        novelty=tuple(novelty),
        lead_quality=_lead_quality(design, data_by_metric, table)
        if design.method != "bayesian"
        else None,
        costs=cost_table(
            design,
            data_by_metric if by_source is None else {**data_by_metric, **(by_source.paid or {})},
            design.alpha,
            by_source.spend_per_variant if by_source is not None else None,
        ),
        cost_by_source=by_source.table if by_source is not None else None,
        looks=looks,
        timeline=timeline,
        test=test,
        correction=applied,
        notes=tuple(notes),
    )


# The views below need scipy (ratio, survival, trend tests): imported only when the data
# has what they read, so `abtest analyze --counts` does not pay for scipy.stats.
def _segments(design: Design, summary: Summary, applied: str) -> tuple[Any, str | None]:
    if not summary.segments:
        return None, None
    from abtest.analysis.segments import segment_note, segment_table

    table = segment_table(design, summary, applied if applied != "none" else "holm")
    return table, segment_note(table, design.alpha)


def _source_costs(design: Design, summary: Summary) -> SourceCosts | None:
    if design.spend_per_source is None:
        return None
    from abtest.analysis.source_costs import source_costs

    return source_costs(design, summary)


def _novelty(design: Design, summary: Summary) -> list[Any]:
    if getattr(summary, "cohorts", None) is None:
        return []
    from abtest.analysis.novelty import novelty_checks

    return novelty_checks(design, summary.cohorts)


def _time_to(design: Design, summary: Summary) -> Any:
    if getattr(summary, "time_to", None) is None:
        return None
    from abtest.analysis.time_to import time_to_table

    return time_to_table(design, summary.time_to)


def _lead_quality(design: Design, data: dict[str, MetricSums], table: pd.DataFrame) -> Any:
    if not design.funnel:
        return None
    from abtest.analysis.funnel import lead_quality

    return lead_quality(design, data, table, design.alpha)


def _quantile_note(design: Design, data: dict[str, MetricSums]) -> str | None:
    """What each quantile goal compares and how; a ValueError where a design cannot
    test one (only the fixed-horizon test exists, and a guardrail's margin is a mean's)."""
    goals = {k: m for k, m in data.items() if m.order is not None}
    if not goals:
        return None
    if design.method != "frequentist":
        raise ValueError(
            f"goal(s) {', '.join(map(repr, goals))} of experiment {design.experiment!r} "
            f"compare a quantile, which abtest tests with the fixed-horizon order-statistic "
            f"test only; use method: frequentist or leave the goal out of this "
            f"{design.method} design"
        )
    guarded = [g.metric for g in design.guardrails if g.metric in goals]
    if guarded:
        raise ValueError(
            f"guardrail(s) {', '.join(map(repr, guarded))} of experiment "
            f"{design.experiment!r} are quantile goals; a guardrail compares means: "
            "guard the goal's mean (a value goal) instead"
        )
    parts = []
    for metric, m in goals.items():
        part = f"{metric} is the {m.order.describe()}"
        who = "converters" if m.order.among == "converters" else "units"
        thin = [v for v, short in zip(design.variants, m.order.short, strict=True) if short]
        if thin:
            part += (
                f" (fewer than {m.order.need} {who} with a value in {', '.join(thin)}, the "
                "fewest its order-statistic test takes: no test yet)"
            )
        parts.append(part)
    return (
        "; ".join(parts) + ": z-test of the quantiles, intervals from the order statistics "
        "(Deng, Knoblich & Lu 2018); among converters it compares who bought, not every "
        "visitor"
    )


def _check_units(design: Design, data: dict[str, MetricSums]) -> None:
    """Every variant needs units (two for a value goal, two values for a quantile goal):
    say which variant has none."""
    for metric, m in data.items():
        if m.order is not None:  # a quantile with too few values: its rows say so
            continue
        need = 1 if m.kind == "binary" else 2
        short = [v for v, n in zip(design.variants, m.size, strict=True) if n < need]
        if short:
            what = "no units" if need == 1 else "fewer than 2 units (a variance needs 2)"
            raise ValueError(
                f"variant(s) {', '.join(map(repr, short))} of experiment "
                f"{design.experiment!r} have {what} on {metric!r}; check that the data "
                "holds its exposures (and the variant ids), or leave it out of the design"
            )


def _complete(
    design: Design,
    summary: Summary,
    metrics: Sequence[str] | None,
    primary: str | None,
    control: str | None,
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
    if design.metrics is None:
        chosen = _choose_metrics(available, metrics, primary, summary.goals)
        first = primary or chosen[0]
        changes["metrics"] = tuple(MetricSpec(m, primary=m == first) for m in chosen)
    else:
        present = tuple(m for m in design.metrics if m.id in available)
        if design.primary not in available:
            raise ValueError(
                f"the primary goal {design.primary!r} has no data; the data has "
                f"{', '.join(available)}"
            )
        changes["metrics"] = present
    return dataclasses.replace(design, **changes)


def _choose_metrics(
    available: list[str],
    metrics: Sequence[str] | None,
    primary: str | None,
    declared: Sequence[str] | None,
) -> list[str]:
    """The goals to analyse, the primary among them (see :func:`analyze`)."""
    if metrics is not None:
        chosen = list(metrics)
        missing = [m for m in chosen if m not in available]
        if missing:
            raise ValueError(
                f"metric(s) {', '.join(missing)} not in the data (it has {', '.join(available)})"
            )
    elif declared:
        chosen = [m for m in declared if m in available]
    elif len(available) == 1 or primary is not None:
        chosen = list(available)
    else:
        raise ValueError(
            f"the data has {len(available)} goals ({', '.join(available)}) and none is "
            "declared primary; say which decides: analyze(..., primary="
            f"{available[0]!r}) or metrics={available[:2]!r} (the first is the primary goal)"
        )
    if primary is not None:
        if primary not in chosen:
            raise ValueError(
                f"primary={primary!r} is not among the goals analysed ({', '.join(chosen)})"
            )
        chosen = [primary, *(m for m in chosen if m != primary)]
    return chosen
