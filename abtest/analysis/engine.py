"""Run the configured statistics for every metric of one experiment.

Multiple-testing families (DESIGN.md: Holm across variants by default):
the primary metric's treatment-vs-control comparisons form one family;
all secondary metrics' comparisons together form a second family, reported
separately so secondary goals never dilute (or inflate) the primary decision.
Intervals in a family use the Bonferroni level ``alpha / m`` under Holm and
Bonferroni (see :mod:`abtest.stats.multiple`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abtest.analysis.design import Design
from abtest.data.summary import COVARIATE, Summary
from abtest.stats import adjust_p_values, cuped_test, proportion_test, welch_test_from_sums
from abtest.stats.multiple import CORRECTIONS

TABLE_COLUMNS = [
    "metric",
    "variant",
    "n",
    "mean",
    "diff",
    "diff_low",
    "diff_high",
    "lift",
    "lift_low",
    "lift_high",
    "p_value",
    "significant",
]


@dataclass(frozen=True)
class MetricArrays:
    """One metric's statistics per variant (control first)."""

    metric: str
    kind: str  # "binary" | "value"
    n: np.ndarray
    sum: np.ndarray
    sum_sq: np.ndarray
    covariate: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # sum_x, sum_x_sq, sum_xy

    @property
    def mean(self) -> np.ndarray:
        return self.sum / self.n


def metric_arrays(summary: Summary, design: Design, metric: str) -> MetricArrays:
    arr = summary.arrays(metric, list(design.variants), design.experiment)
    cov = None
    if all(c in arr for c in COVARIATE):
        cov = tuple(arr[c] for c in COVARIATE)
    return MetricArrays(
        metric, summary.kind(metric, design.experiment), arr["n"], arr["sum"], arr["sum_sq"], cov
    )


def _ci_alpha(alpha: float, m: int, correction: str) -> float:
    return alpha / max(m, 1) if CORRECTIONS[correction] in ("holm", "bonferroni") else alpha


def two_sample(m: MetricArrays, alpha: float, alternative: str = "two-sided"):
    """Each treatment against the control (index 0) for one metric.

    Conversions: the pooled z-test; values: Welch's t-test. When the Summary
    carries the pre-period covariate sums (``summarize(covariate=...)``), both kinds
    use CUPED (:func:`abtest.stats.cuped_test`, theta pooled across the two arms)
    where it is well-posed (:func:`cuped_applies`, and a positive adjusted
    variance): for a conversion the adjusted difference of rates with unpooled
    variances, the regression adjustment GrowthBook applies to binomial metrics
    (Deng et al. 2013 hold for any metric; the covariate only has to be fixed
    before exposure).
    """
    if cuped_applies(m):
        sx, sxx, sxy = m.covariate
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = cuped_test(
                m.n[0],
                m.sum[0],
                m.sum_sq[0],
                sx[0],
                sxx[0],
                sxy[0],
                m.n[1:],
                m.sum[1:],
                m.sum_sq[1:],
                sx[1:],
                sxx[1:],
                sxy[1:],
                alpha=alpha,
                alternative=alternative,
            )
        # a covariate that explains the metric exactly leaves no variance to test with
        if np.all(np.isfinite(r.se) & (np.asarray(r.se) > 0)):
            for w in caught:  # the warnings of the result kept, not of one dropped
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            return r
    if m.kind == "binary":
        return proportion_test(
            m.sum[0], m.n[0], m.sum[1:], m.n[1:], alpha=alpha, alternative=alternative
        )
    return welch_test_from_sums(
        m.n[0],
        m.sum[0],
        m.sum_sq[0],
        m.n[1:],
        m.sum[1:],
        m.sum_sq[1:],
        alpha=alpha,
        alternative=alternative,
    )


def cuped_applies(m: MetricArrays) -> bool:
    """Whether CUPED is well-posed for this metric: covariate sums and every arm
    :func:`cuped_enough`. Elsewhere the plain test is used."""
    return m.covariate is not None and bool(np.all(cuped_enough(m.kind, m.n, m.sum)))


def cuped_enough(kind: str, n: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per arm (elementwise): at least 2 units and, for a conversion, at least 10
    converting and 10 non-converting units (the normal approximation of an adjusted
    rate; with fewer, the adjusted control rate can approach 0 and a lift on it
    means nothing)."""
    enough = n >= 2
    if kind == "binary":
        enough = enough & (total >= 10) & (n - total >= 10)
    return enough


def family_ci_alpha(design: Design, metrics: Iterable[str]) -> dict[str, float]:
    """The interval level per metric: ``alpha / m`` under Holm and Bonferroni, where
    ``m`` is the size of the metric's family (the primary goal's ``k - 1`` comparisons,
    or all secondary comparisons together), else ``alpha``."""
    primary = design.primary
    k = len(design.variants)
    secondary = [m for m in metrics if m != primary]
    sizes = {primary: k - 1, **{m: (k - 1) * len(secondary) for m in secondary}}
    return {m: _ci_alpha(design.alpha, size, design.correction) for m, size in sizes.items()}


def adjust_families(table: pd.DataFrame, design: Design) -> pd.DataFrame:
    """Fill ``p_adjusted`` (correction within each family) and ``significant``."""
    table["p_adjusted"] = np.nan
    for family in ("primary", "secondary"):
        mask = (table["family"] == family) & ~table["is_control"]
        if mask.any():
            table.loc[mask, "p_adjusted"] = adjust_p_values(
                table.loc[mask, "p_value"].to_numpy(), design.correction, nan_policy="omit"
            )
    table["significant"] = (table["p_adjusted"] < design.alpha) & ~table["is_control"]
    return table


def frequentist_table(design: Design, data: dict[str, MetricArrays]) -> pd.DataFrame:
    """Rows per (metric, variant) with raw and family-adjusted p-values."""
    ci_alpha = family_ci_alpha(design, data)
    frames = []
    for metric, arrays in data.items():
        r = two_sample(arrays, ci_alpha[metric], design.alternative)
        family = "primary" if metric == design.primary else "secondary"
        frames.append(_rows(design, arrays, r, ci_alpha[metric], family))
    return adjust_families(pd.concat(frames, ignore_index=True), design)


def _rows(design: Design, m: MetricArrays, r, ci_alpha: float, family: str) -> pd.DataFrame:
    k = len(design.variants)
    nan = np.full(1, np.nan)

    def col(x: object) -> np.ndarray:
        return np.concatenate([nan, np.atleast_1d(np.asarray(x, dtype=float))])

    spec = design.metric(m.metric)
    frame = pd.DataFrame(
        {
            "metric": m.metric,
            "variant": list(design.variants),
            "n": m.n.astype(np.int64),
            "mean": m.mean,
            "diff": col(r.diff),
            "diff_low": col(r.diff_ci[0]),
            "diff_high": col(r.diff_ci[1]),
            "lift": col(r.lift),
            "lift_low": col(r.lift_ci[0]),
            "lift_high": col(r.lift_ci[1]),
            "p_value": col(r.p_value),
            "is_control": [True] + [False] * (k - 1),
            "kind": "value" if m.kind == "value" else spec.kind,
            "family": family,
            "ci_level": 1 - ci_alpha,
        }
    )
    if hasattr(r, "variance_reduction"):  # CUPED: the share of variance the covariate removed
        frame["variance_reduction"] = col(r.variance_reduction)
    return frame


@dataclass(frozen=True)
class GuardrailCheck:
    """Non-inferiority of one guardrail metric for one variant."""

    metric: str
    variant: str
    direction: str
    margin: float
    lift: float
    bound: float  # the one-sided (1 - alpha) bound on the harmful side
    status: str  # "holds" | "broken" | "inconclusive" | "undefined"

    @property
    def sentence(self) -> str:
        side = "increase" if self.direction == "decrease" else "drop"
        limit = f"{self.margin:+.1%}" if self.direction == "decrease" else f"{-self.margin:+.1%}"
        if self.status == "holds":
            return f"{self.metric} holds (bound {self.bound:+.1%} within {limit})"
        if self.status == "undefined":
            return (
                f"{self.metric} cannot be checked: the control has no {self.metric} events, "
                "so a relative margin is undefined (give it more traffic, or drop it)"
            )
        article = "an" if side == "increase" else "a"
        if self.status == "broken":
            return (
                f"{self.metric} broken: {article} {side} beyond {limit} is shown ({self.lift:+.1%})"
            )
        return (
            f"{self.metric} not shown safe: {article} {side} up to {self.bound:+.1%} "
            f"cannot be ruled out (limit {limit})"
        )


def check_guardrails(
    design: Design, data: dict[str, MetricArrays], variant_index: int
) -> list[GuardrailCheck]:
    """One-sided non-inferiority test of each guardrail at ``alpha`` (no correction:
    each guardrail must hold on its own).

    For a guardrail whose good direction is ``decrease`` (bounce rate), the
    variant passes when the upper one-sided ``1 - alpha`` bound of the relative
    lift is below ``+margin``; it is broken when the lower bound is above
    ``+margin``. Mirrored for ``increase``.
    """
    checks = []
    for g in design.guardrails:
        if g.metric not in data:
            raise ValueError(
                f"guardrail metric {g.metric!r} has no data; the data has {', '.join(data)}"
            )
        m = data[g.metric]
        sub = MetricArrays(
            m.metric,
            m.kind,
            m.n[[0, variant_index]],
            m.sum[[0, variant_index]],
            m.sum_sq[[0, variant_index]],
        )
        up = two_sample(sub, design.alpha, "larger")  # lower bound on lift
        down = two_sample(sub, design.alpha, "smaller")  # upper bound on lift
        lift = float(np.atleast_1d(up.lift)[0])
        low = float(np.atleast_1d(up.lift_ci[0])[0])
        high = float(np.atleast_1d(down.lift_ci[1])[0])
        if not np.isfinite(lift):
            # a control without any event: a relative margin has nothing to scale
            bound, status = float("nan"), "undefined"
        elif g.direction == "decrease":
            bound = high
            status = "holds" if high < g.margin else "broken" if low > g.margin else "inconclusive"
        else:
            bound = low
            status = (
                "holds" if low > -g.margin else "broken" if high < -g.margin else "inconclusive"
            )
        checks.append(
            GuardrailCheck(
                g.metric, design.variants[variant_index], g.direction, g.margin, lift, bound, status
            )
        )
    return checks
