"""The Bayesian table: posteriors of every goal, every treatment against the control.

* Conversions: exact Beta-Binomial posteriors (:func:`abtest.stats.beta_binomial`,
  the design's prior): ``prob_best``, ``prob_beat_control``, ``expected_loss``
  (absolute rate), ``relative_loss``; the lift's credible interval exactly (the
  quantiles of the rates' ratio), and the difference's exactly too (the quantiles of
  the difference of the two Betas, :mod:`abtest.stats.beta_difference`).
* Values: GrowthBook's normal model on the relative scale
  (:func:`abtest.stats.bayes_means`), on CUPED-adjusted means and variances
  (:func:`abtest.stats.cuped_adjust`) when the Summary carries covariate sums; the
  difference's interval is the lift's times the control's mean (the same posterior
  in metric units).

Every posterior summary is in the metric's good direction
(:meth:`abtest.design.Design.good_direction`): where lower is better (a guardrail like
bounce, or every goal of a design for a decrease, ``alternative="smaller"``),
``prob_beat_control`` is the chance to be below the control and ``prob_best`` and the
losses are of the lowest arm (the stats functions' ``inverse``).

The decision threshold ``t`` (``prob_best_threshold``, 0.95 by default) is the
question every row answers: ``significant`` means the posterior probability that
the treatment beats the control is at least ``t`` (better) or at most ``1 - t``
(worse), and the intervals are the equal-tailed ``2t - 1`` credible intervals (90%
for 0.95), which exclude 0 exactly then. There is no p-value (NaN). Credible
intervals need no multiplicity adjustment; the threshold is the safeguard.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abtest.analysis.metrics import MetricSums, cuped_applies
from abtest.analysis.table import families, finish, metric_rows
from abtest.design import Design
from abtest.stats.beta_difference import beta_difference_quantiles


def credible_level(design: Design) -> float:
    """The level of the credible intervals: ``2 t - 1`` for the threshold ``t``."""
    return 2 * design.prob_best_threshold - 1


def bayesian_table(design: Design, data: dict[str, MetricSums]) -> pd.DataFrame:
    """Posterior summaries per (metric, variant) (module docstring)."""
    from abtest.stats import bayes_means, bayes_means_from_sums, beta_binomial, cuped_adjust

    t = design.prob_best_threshold
    tail = 1 - t  # each tail of the 2t - 1 interval
    family_of = {m: f for f, ms in families(design, data).items() for m in ms}
    frames = []
    for metric, m in data.items():
        treatment: dict[str, np.ndarray] = {}
        # lower is better (bounce, a design for a decrease): P(best) of the lowest arm
        inverse = design.good_direction(metric) == "decrease"
        if m.kind == "binary":
            r = beta_binomial(m.sums.sum, m.sums.n, prior=design.prior, control=0,
                              alpha=2 * tail, inverse=inverse)  # fmt: skip
            a, b = r.posterior_alpha, r.posterior_beta
            mean = a / (a + b)
            diff = (mean - mean[0])[1:]
            ends = beta_difference_quantiles(a[0], b[0], a[1:], b[1:], [tail, 1 - tail])
            diff_low, diff_high = ends[:, 0], ends[:, 1]
            lift_ci = np.asarray(r.lift_ci)[1:]
            lift = (mean / mean[0] - 1)[1:] if mean[0] > 0 else np.full(diff.shape, np.nan)
        else:
            adjusted = cuped_adjust(*m.sums.arrays) if cuped_applies(m) else None
            if adjusted is not None and bool(np.all(adjusted[2] > 0)):
                r = bayes_means(*adjusted[:3], control=0, alpha=2 * tail, inverse=inverse)
                treatment["variance_reduction"] = _reduction(m, adjusted[2])
                control_mean = float(adjusted[1][0])
            else:
                r = bayes_means_from_sums(
                    *m.sums.outcome.arrays, control=0, alpha=2 * tail, inverse=inverse
                )
                control_mean = float(m.sums.mean[0])
            lift = np.asarray(r.lift)[1:]
            lift_ci = np.asarray(r.lift_ci)[1:]
            diff = np.asarray(r.effect)[1:]
            diff_low, diff_high = lift_ci[:, 0] * control_mean, lift_ci[:, 1] * control_mean
        beat = np.asarray(r.prob_beat_control)[1:]
        treatment.update(
            {
                "diff": diff,
                "diff_low": diff_low,
                "diff_high": diff_high,
                "lift": lift,
                "lift_low": lift_ci[:, 0],
                "lift_high": lift_ci[:, 1],
                "p_value": np.full(beat.shape, np.nan),
                "significant": (beat >= t) | (beat <= tail),
                "ci_level": np.full(beat.shape, 2 * t - 1),
            }
        )
        frame = metric_rows(design, m, family_of[metric], treatment)
        for col in ("prob_beat_control", "prob_best", "expected_loss", "relative_loss"):
            frame[col] = np.asarray(getattr(r, col), dtype=float).copy()
        frame["prob_beat_control"][0] = np.nan  # the control does not beat itself
        frames.append(frame)
    return finish(frames)


def _reduction(m: MetricSums, adjusted_var: np.ndarray) -> np.ndarray:
    """The share of the difference's variance the covariate removed, per treatment."""
    from abtest.stats.means import mean_var_from_sums

    n, _, var = mean_var_from_sums(*m.sums.outcome.arrays)
    plain = var[0] / n[0] + var[1:] / n[1:]
    adjusted = adjusted_var[0] / n[0] + adjusted_var[1:] / n[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(plain > 0, 1 - adjusted / plain, 0.0)
