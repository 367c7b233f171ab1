"""The sequential table: tests that stay valid however often the experiment is read.

Always-valid p-values and confidence sequences (mixture SPRT,
:func:`abtest.stats.always_valid_test`), or, when the design fixes the number of
looks and a plan places them, a group sequential design
(:func:`abtest.stats.group_sequential_test`). With daily cumulative data every day
is a look, and ``looks`` reports each. A one-sided design gets one-sided boundaries,
or the one-sided always-valid test.

Each comparison is read at one look: the first look where it crossed its boundary
(the test stops there, so later data cannot change the decision), else the latest
look. Everything its row shows comes from that look: units, means, the estimate,
the look's own interval (repeated confidence interval, or confidence sequence) and
the look's own p-value, so the flag, the p-value and both intervals agree (the
lift interval is Fieller's at the look's critical value). Across treatments and
secondary goals the family is corrected by Bonferroni (each comparison's sequential
test at ``alpha / m``): Holm's and Benjamini-Hochberg's data-dependent levels would
need the boundaries of every step, so a design asking for either is tested with
Bonferroni, which controls the same error rates, and the report says so.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from abtest.analysis.metrics import MetricSums, cuped_enough, only_looks, sums_of
from abtest.analysis.table import families, finish, look_frames, metric_rows
from abtest.data.summary import Summary
from abtest.design import Design
from abtest.stats.always_valid import DEFAULT_N_OPT
from abtest.stats.sums import CovariateSums, TwoArms

# Units per arm before a look may be CUPED-adjusted in a sequential test: theta is
# estimated in-sample with a normal quantile, which at a handful of units per arm
# inflates the first looks' crossing rate (a review's simulation, 20 looks, rho 0.7:
# Pocock 0.197 at 3 units per look, 0.104 at 5, 0.059 at 20, against 0.05).
SEQUENTIAL_CUPED_MIN_UNITS = 50


def sequential_correction(correction: str) -> str:
    """The correction a sequential design applies: ``"none"`` or ``"bonferroni"``."""
    return "none" if correction == "none" else "bonferroni"


def sequential_table(
    design: Design, data: dict[str, MetricSums], summary: Summary
) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """Rows read at each comparison's deciding look, every look, and the test that ran
    (``"group sequential"`` or ``"always valid"``)."""
    from abtest.stats.always_valid import always_valid_test
    from abtest.stats.sequential import group_sequential_test

    bonferroni = sequential_correction(design.correction) == "bonferroni"
    size = {f: len(ms) * (len(design.variants) - 1) for f, ms in families(design, data).items()}
    family_of = {m: f for f, ms in families(design, data).items() for m in ms}
    alpha = {f: design.alpha / s if bonferroni else design.alpha for f, s in size.items()}
    # Group sequential looks need the information fraction of every daily look: units so
    # far over the planned maximum (the primary goal's plan; the same units carry every
    # metric). Without a plan the looks cannot be placed, so the always-valid test (safe
    # at any number of looks) is used instead.
    max_n = planned_max_n(design, alpha["primary"])
    group_sequential = bool(design.looks) and max_n is not None
    rows, looks_frames = {}, []
    for metric, m in data.items():
        family = family_of[metric]
        a = alpha[family]
        days, arr, arms, reduction = look_arms(design, summary, metric, m.kind)
        if group_sequential:
            r: Any = group_sequential_test(
                *arms, alpha=a, spending=design.spending, max_n=max_n,
                alternative=design.alternative,
            )  # fmt: skip
            p, crossed = r.look_p_value, r.crossed
        else:
            n_opt = max_n or DEFAULT_N_OPT
            r = always_valid_test(
                *arms, alpha=a, n_opt=n_opt, alternative=design.alternative, intersect=False
            )
            p, crossed = r.p_value, r.significant
        n, s = arr["n"], arr["sum"]
        stopped = crossed.any(axis=-1)
        at = np.where(stopped, np.argmax(crossed, axis=-1), n.shape[-1] - 1)
        j = np.arange(at.size)
        # the control row: the look of the treatments when they share one, else the last
        c_at = int(at[0]) if np.all(at == at[0]) else n.shape[-1] - 1
        p_at = p[j, at]
        columns = {
            "diff": r.diff[j, at],
            "diff_low": r.diff_ci[0][j, at],
            "diff_high": r.diff_ci[1][j, at],
            "lift": r.lift[j, at],
            "lift_low": r.lift_ci[0][j, at],
            "lift_high": r.lift_ci[1][j, at],
            "p_value": p_at,
            "significant": stopped,
            "p_adjusted": np.minimum(1.0, p_at * size[family]) if bonferroni else p_at,
            "ci_level": np.full(at.size, 1 - a),
            "look_day": np.array([days[k] for k in at], dtype=object),
            "mean_control": s[0, at] / n[0, at],
        }
        if reduction is not None:
            columns["variance_reduction"] = reduction[j, at]
        k = np.concatenate([[c_at], at])
        rows[metric] = metric_rows(
            design, m, family, columns,
            n=n[np.arange(k.size), k], mean=s[np.arange(k.size), k] / n[np.arange(k.size), k],
        )  # fmt: skip
        extra = {"boundary": r.boundary} if group_sequential else {}
        if reduction is not None:
            extra["variance_reduction"] = reduction
        looks_frames += look_frames(
            metric, list(design.variants), days, n, s, r.lift, r.lift_ci,
            p_value=p, significant=crossed, ci_level=1 - a, **extra,
        )  # fmt: skip
    table = finish([rows[metric] for metric in data])
    looks = pd.concat(looks_frames, ignore_index=True) if looks_frames else None
    return table, looks, "group sequential" if group_sequential else "always valid"


def look_arms(
    design: Design, summary: Summary, metric: str, kind: str
) -> tuple[list, dict[str, np.ndarray], TwoArms, np.ndarray | None]:
    """The looks a sequential test of ``metric`` reads (every arm with at least 2 units;
    those before CUPED is well-posed skipped, :func:`_look_arms`): their days, the
    (variants, looks) sums, the control against each treatment at each, and the
    variance reduction per (treatment, look) or None."""
    days, arr = summary.cumulative(metric, list(design.variants), design.experiment)
    n = arr["n"]
    days, arr = only_looks(days, arr, (n[0] >= 2) & np.all(n[1:] >= 2, axis=0))
    arms, reduction, tested = _look_arms(kind, arr)
    if not tested.all():  # looks before CUPED is well-posed are skipped, not tested
        arms = TwoArms(arms.a[..., tested], arms.b[..., tested])
        reduction = reduction[:, tested]
        days, arr = only_looks(days, arr, tested)
    return days, arr, arms, reduction


def _look_arms(
    kind: str, arr: dict[str, np.ndarray]
) -> tuple[TwoArms, np.ndarray | None, np.ndarray]:
    """The control against each treatment at every look: the two arms' sums the
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

    sums = sums_of(arr)
    n, s = sums.n, sums.sum
    plain = TwoArms(sums.outcome[0], sums.outcome[1:])
    every = np.ones(n.shape[-1], dtype=bool)
    if not isinstance(sums, CovariateSums) or n.shape[-1] == 0:
        return plain, None, every
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # looks it cannot adjust are not tested below
        c = cuped_sums(sums[0], sums[1:])
    big = (n[0] >= SEQUENTIAL_CUPED_MIN_UNITS) & (n[1:] >= SEQUENTIAL_CUPED_MIN_UNITS)
    use = cuped_enough(kind, n[0], s[0]) & cuped_enough(kind, n[1:], s[1:]) & big
    use &= np.asarray(c.adjusted, dtype=bool) & np.isfinite(c.se) & (c.se > 0)
    tested = use.all(axis=0)
    if not tested[-1]:
        return plain, None, every
    return c, c.variance_reduction, tested


def planned_max_n(design: Design, alpha: float) -> float | None:
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
