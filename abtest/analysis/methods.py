"""Bayesian and sequential tables, in the same row shape as the frequentist one.

* Bayesian: exact Beta-Binomial posteriors for conversions
  (:func:`abtest.stats.beta_binomial`) and GrowthBook's normal model for
  values; the table gains ``prob_beat_control``, ``prob_best`` and
  ``expected_loss``; ``significant`` means ``prob_beat_control >= the
  configured P(best) threshold``; intervals are credible intervals.
* Sequential: always-valid p-values and confidence sequences (mixture SPRT,
  :func:`abtest.stats.always_valid_test`), or, when the design fixes the number
  of looks, a group sequential design (:func:`abtest.stats.group_sequential_test`).
  With daily cumulative data every day is a look and ``looks`` reports each.
  A one-sided design (``alternative`` "larger" / "smaller") gets one-sided group
  sequential boundaries, or the one-sided always-valid test (evidence on the
  tested side only; conservative).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from abtest.analysis.design import Design
from abtest.analysis.engine import (
    MetricArrays,
    adjust_families,
    cuped_applies,
    cuped_enough,
    family_ci_alpha,
    frequentist_table,
)
from abtest.data.summary import COVARIATE, Summary
from abtest.stats.always_valid import DEFAULT_N_OPT


def _per_look(summary: Summary, design: Design, metric: str) -> tuple[list, dict[str, np.ndarray]]:
    """Cumulative (variants, looks) arrays from a daily Summary; one look otherwise.
    ``n, sum, sum_sq`` and, when the Summary carries them, the covariate sums."""
    f = summary.frame
    rows = f[(f["experiment"] == design.experiment) & (f["metric"] == metric)]
    cols = ["n", "sum", "sum_sq", *(c for c in COVARIATE if c in f.columns)]
    if "day" not in rows.columns:
        arr = summary.arrays(metric, list(design.variants), design.experiment)
        return [None], {k: v[:, None] for k, v in arr.items() if k in cols}
    if summary.segments:
        rows = rows.groupby(["variant", "day"], as_index=False)[cols].sum()
    days = sorted(rows["day"].unique())
    out = {}
    for col in cols:
        wide = rows.pivot_table(index="variant", columns="day", values=col, aggfunc="sum")
        wide = wide.reindex(index=list(design.variants), columns=days)
        out[col] = wide.ffill(axis=1).fillna(0).to_numpy(dtype=float)
    return days, out


def sequential_table(
    design: Design, data: dict[str, MetricArrays], summary: Summary
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Final-look rows (always-valid p-values, confidence sequences) and every look."""
    from abtest.stats.always_valid import always_valid_test
    from abtest.stats.sequential import group_sequential_test

    table = frequentist_table(design, data)  # n, mean, kind, family columns
    table["look_day"] = None
    looks_frames = []
    ci_alpha = family_ci_alpha(design, data)
    # Group sequential looks need the information fraction of every daily look: units so
    # far over the planned maximum (the primary goal's plan; the same units carry every
    # metric). Without a plan the looks cannot be placed, so the always-valid test (safe
    # at any number of looks) is used instead.
    max_n = _planned_max_n(design, ci_alpha[design.primary])
    group_sequential = bool(design.looks) and max_n is not None
    for metric in data:
        a = ci_alpha[metric]
        days, arr = _per_look(summary, design, metric)
        n = arr["n"]
        days, arr = _only(days, arr, (n[0] >= 2) & np.all(n[1:] >= 2, axis=0))
        arms, reduction, tested = _look_arms(data[metric].kind, arr)
        if not tested.all():  # looks before CUPED is well-posed are skipped, not tested
            arms = tuple(x[..., tested] for x in arms)
            reduction = reduction[:, tested]
            days, arr = _only(days, arr, tested)
        n, s = arr["n"], arr["sum"]
        if group_sequential:
            r = group_sequential_test(
                *arms,
                alpha=a,
                spending=design.spending,
                max_n=max_n,
                alternative=design.alternative,
            )
            p, sig = r.p_value, r.rejected
        else:
            n_opt = max_n or DEFAULT_N_OPT
            r = always_valid_test(*arms, alpha=a, n_opt=n_opt, alternative=design.alternative)
            p, sig = r.p_value, r.significant
        idx = (table["metric"] == metric) & ~table["is_control"]
        # A comparison that became significant is decided at that look (the test stops
        # there): its estimate, interval and p-value are those of the stopping look, so
        # later data cannot flip the reported direction. Otherwise the look its (running
        # minimum) p-value comes from, which a Holm step may still declare significant.
        at = np.where(sig[:, -1], np.argmax(sig, axis=-1), _look_of_final_p(p))
        rows_j = np.arange(at.size)
        table.loc[idx, "diff"] = r.diff[rows_j, at]
        table.loc[idx, "lift"] = r.lift[rows_j, at]
        table.loc[idx, "diff_low"] = r.diff_ci[0][rows_j, at]
        table.loc[idx, "diff_high"] = r.diff_ci[1][rows_j, at]
        table.loc[idx, "lift_low"] = r.lift_ci[0][rows_j, at]
        table.loc[idx, "lift_high"] = r.lift_ci[1][rows_j, at]
        table.loc[idx, "p_value"] = p[rows_j, at]
        table.loc[idx, "ci_level"] = 1 - a
        table.loc[idx, "variance_reduction"] = (
            np.nan if reduction is None else reduction[rows_j, at]
        )
        # the day of the look those columns come from (None without daily data)
        table.loc[idx, "look_day"] = pd.Series([days[k] for k in at], index=table.index[idx])
        for j, v in enumerate(design.variants[1:]):
            looks_frames.append(
                pd.DataFrame(
                    {
                        "metric": metric,
                        "variant": v,
                        "look": np.arange(1, len(days) + 1),
                        "day": days,
                        "n_control": n[0],
                        "n_variant": n[j + 1],
                        "mean_control": s[0] / n[0],
                        "mean_variant": s[j + 1] / n[j + 1],
                        "lift": r.lift[j],
                        "lift_low": r.lift_ci[0][j],
                        "lift_high": r.lift_ci[1][j],
                        "p_value": p[j],
                        "significant": sig[j],
                        "ci_level": 1 - a,
                        **({"boundary": r.boundary[j]} if group_sequential else {}),
                        **({} if reduction is None else {"variance_reduction": reduction[j]}),
                    }
                )
            )
    adjust_families(table, design)
    if table["variance_reduction"].isna().all():  # no comparison was CUPED-adjusted
        table = table.drop(columns="variance_reduction")
    looks = pd.concat(looks_frames, ignore_index=True) if looks_frames else None
    kind = "group sequential" if group_sequential else "always valid"
    table.attrs["sequential"] = kind
    if looks is not None:
        looks.attrs["sequential"] = kind
    return table, looks


def _only(days: list, arr: dict[str, np.ndarray], keep: np.ndarray) -> tuple[list, dict]:
    """The looks marked in ``keep``: their days and (variants, looks) arrays."""
    return [d for d, k in zip(days, keep, strict=True) if k], {
        k: v[:, keep] for k, v in arr.items()
    }


# Units per arm before a look may be CUPED-adjusted in a sequential test: theta is
# estimated in-sample with a normal quantile, which at a handful of units per arm
# inflates the first looks' crossing rate (a review's simulation, 20 looks, rho 0.7:
# Pocock 0.197 at 3 units per look, 0.104 at 5, 0.059 at 20, against 0.05).
SEQUENTIAL_CUPED_MIN_UNITS = 50


def _look_arms(
    kind: str, arr: dict[str, np.ndarray]
) -> tuple[tuple, np.ndarray | None, np.ndarray]:
    """The control against each treatment at every look: the six sum arrays the
    sequential tests take, the variance reduction per (treatment, look), and which
    looks to test.

    With the covariate sums, and CUPED well-posed for every comparison at the last
    look (:func:`cuped_enough`, at least :data:`SEQUENTIAL_CUPED_MIN_UNITS` units per
    arm, the covariate not constant, a positive adjusted variance), every comparison
    is tested on the CUPED-adjusted metric (:func:`abtest.stats.cuped_sums`: theta
    pooled over the control and that treatment, re-estimated from each look's
    cumulative sums), and only at the looks where it is well-posed for all of them:
    the earlier looks are skipped (allowed under Lan-DeMets spending; testing them on
    the plain metric would mix two information scales in one sequence, which a
    review measured at +0.004 to +0.006 false positives). Otherwise every look is
    tested plain, and the reduction is None.
    """
    from abtest.stats import cuped_sums

    n, s, ss = arr["n"], arr["sum"], arr["sum_sq"]
    plain = (n[0], s[0], ss[0], n[1:], s[1:], ss[1:])
    every = np.ones(n.shape[-1], dtype=bool)
    if not all(c in arr for c in COVARIATE) or n.shape[-1] == 0:
        return plain, None, every
    x, xx, xy = (arr[c] for c in COVARIATE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # looks it cannot adjust are not tested below
        c = cuped_sums(
            n[0], s[0], ss[0], x[0], xx[0], xy[0], n[1:], s[1:], ss[1:], x[1:], xx[1:], xy[1:]
        )
    big = (n[0] >= SEQUENTIAL_CUPED_MIN_UNITS) & (n[1:] >= SEQUENTIAL_CUPED_MIN_UNITS)
    use = cuped_enough(kind, n[0], s[0]) & cuped_enough(kind, n[1:], s[1:]) & big
    use &= np.asarray(c.adjusted, dtype=bool) & np.isfinite(c.se) & (c.se > 0)
    tested = use.all(axis=0)
    if not tested[-1]:
        return plain, None, every
    return tuple(np.broadcast_to(a, c.n_b.shape) for a in c.args), c.variance_reduction, tested


def _look_of_final_p(p: np.ndarray) -> np.ndarray:
    """Per comparison (rows), the first look whose running-minimum p-value equals the
    last one (the last look where the p-values are all NaN)."""
    last = p[:, -1:]
    hit = (p == last) | (np.isnan(p) & np.isnan(last))
    return np.argmax(hit, axis=-1)


def _planned_max_n(design: Design, alpha: float) -> float | None:
    """Planned units over both arms of one comparison: the group sequential maximum
    (fixed size x inflation factor) when looks are planned, else the fixed size
    (the always-valid mixture is tuned to be tightest there)."""
    if design.baseline is None or design.mde is None:
        return None
    from abtest.stats import sample_size_proportions, sample_size_proportions_sequential

    target = design.baseline * (1 + design.mde)
    if design.looks:
        n = sample_size_proportions_sequential(
            design.baseline,
            target,
            looks=design.looks,
            spending=design.spending,
            alpha=alpha,
            power=design.power,
            alternative=design.alternative,
        )
    else:
        n = sample_size_proportions(
            design.baseline,
            target,
            alpha=alpha,
            power=design.power,
            alternative=design.alternative,
        )
    return 2.0 * float(n)


def bayesian_table(design: Design, data: dict[str, MetricArrays]) -> pd.DataFrame:
    """Posterior summaries per (metric, variant) in the frequentist row shape.

    Conversions: exact Beta-Binomial (:func:`abtest.stats.beta_binomial`, the
    design's prior): ``prob_best``, ``prob_beat_control``, ``expected_loss``
    (absolute rate), ``relative_loss``, and the exact credible interval of the
    lift; the difference's credible interval is the normal approximation of the
    difference of the two Beta posteriors (their means and variances).
    Values: GrowthBook's normal model (:func:`abtest.stats.bayes_means_from_sums`), on
    CUPED-adjusted means and variances (:func:`abtest.stats.cuped_adjust`) when the
    Summary carries covariate sums, as GrowthBook's regression adjustment.
    ``p_value`` stays the frequentist p-value for reference; ``significant``
    means ``prob_beat_control >= design.prob_best_threshold``. Credible
    intervals are at ``1 - alpha`` (no multiplicity adjustment: posteriors
    need none, the decision rule's threshold is the safeguard).
    """
    from scipy import stats as sps

    from abtest.stats import bayes_means, bayes_means_from_sums, beta_binomial, cuped_adjust

    table = frequentist_table(design, data)
    for col in ("prob_beat_control", "prob_best", "expected_loss", "relative_loss"):
        table[col] = np.nan
    z = float(sps.norm.isf(design.alpha / 2))
    for metric, m in data.items():
        rows = table["metric"] == metric
        adjusted_here = False
        if m.kind == "binary":
            r = beta_binomial(m.sum, m.n, prior=design.prior, control=0, alpha=design.alpha)
            a, b = r.posterior_alpha, r.posterior_beta
            mean = a / (a + b)
            var = a * b / ((a + b) ** 2 * (a + b + 1))
            diff = mean - mean[0]
            half = z * np.sqrt(var + var[0])
            diff_low, diff_high = diff - half, diff + half
            lift_ci = r.lift_ci
        else:
            adjusted = (
                cuped_adjust(m.n, m.sum, m.sum_sq, *m.covariate) if cuped_applies(m) else None
            )
            adjusted_here = adjusted is not None and bool(np.all(adjusted[2] > 0))
            if adjusted_here:  # CUPED-adjusted means and variances
                r = bayes_means(*adjusted[:3], control=0, alpha=design.alpha)
            else:
                r = bayes_means_from_sums(m.n, m.sum, m.sum_sq, control=0, alpha=design.alpha)
            diff = r.effect
            diff_low, diff_high = r.effect_ci[:, 0], r.effect_ci[:, 1]
            lift_ci = r.lift_ci
        treat = rows & ~table["is_control"]
        if "variance_reduction" in table.columns and not adjusted_here:
            table.loc[rows, "variance_reduction"] = np.nan  # this posterior used no covariate
        table.loc[rows, "prob_beat_control"] = r.prob_beat_control
        table.loc[rows, "prob_best"] = r.prob_best
        table.loc[rows, "expected_loss"] = r.expected_loss
        table.loc[rows, "relative_loss"] = r.relative_loss
        table.loc[treat, "diff"] = np.asarray(diff)[1:]
        table.loc[treat, "diff_low"] = np.asarray(diff_low)[1:]
        table.loc[treat, "diff_high"] = np.asarray(diff_high)[1:]
        table.loc[treat, "lift_low"] = np.asarray(lift_ci)[1:, 0]
        table.loc[treat, "lift_high"] = np.asarray(lift_ci)[1:, 1]
        table.loc[rows, "ci_level"] = 1 - design.alpha
    table["significant"] = (table["prob_beat_control"] >= design.prob_best_threshold) & ~table[
        "is_control"
    ]
    return table
