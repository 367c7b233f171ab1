"""Bayesian analysis of continuous metrics (revenue per visitor, order value).

GrowthBook's effect model (gbstats ``EffectBayesianABTest``), so results can be
compared line for line: the data estimate of each variant's effect against the
control is normal,

* absolute: ``m_i - m_c`` with variance ``v_i / n_i + v_c / n_c``;
* relative: ``m_i / m_c - 1`` with the delta-method variance
  ``v_i / (m_c^2 n_i) + v_c m_i^2 / (m_c^4 n_c)``;

and combines with a normal prior on the effect (flat by default) by precision
weighting. Chance to win is ``Φ(μ/σ)``; the risk of each choice is the mean of
the loss it can incur, ``E[(δ)+] = μ Φ(μ/σ) + σ φ(μ/σ)`` for keeping the
control and ``E[(-δ)+]`` for shipping the variant (the truncated-normal means
of gbstats ``get_risk``); credible intervals are ``μ ± z σ``.

Across k arms, with flat priors, ``P(best)`` and the expected loss are of the same
posterior as the chance to win (:mod:`abtest.stats.best_arm`): on the absolute scale
each arm's mean is ``N(m_j, v_j / n_j)`` and they are ``E[max_j μ_j - μ_i]``
integrals as for conversions (two arms: ``Φ(δ / sqrt(s_a^2 + s_b^2))``); on the
relative scale the lifts, jointly normal through the control they share, so that with
two arms P(best) is the chance to win and the relative loss the risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special as sc

from abtest.stats import _check
from abtest.stats.bayes_binary import _control_index
from abtest.stats.best_arm import lift_best, normal_best
from abtest.stats.means import mean_var_from_sums
from abtest.stats.results import _Result, warn_degenerate

SCALES = ("relative", "absolute")


@dataclass(frozen=True)
class BayesMeansResult(_Result):
    """Posterior summaries of k arms of a continuous metric, arms along the last
    axis (after a leading experiments axis for batch input).

    Against the control (GrowthBook's effect model): ``effect``, ``effect_sd``,
    ``effect_ci (..., k, 2)`` for ``mean_i - mean_c``; ``lift``, ``lift_sd``,
    ``lift_ci`` for ``mean_i / mean_c - 1``; ``prob_beat_control`` (chance to
    win) and ``risk (..., k, 2)`` = (loss if the control is kept, loss if the
    variant is shipped), both on the ``scale`` chosen (relative by default, as
    GrowthBook). The control's own entries are 0 (effects, intervals, risk) and
    0.5 (chance to win), by convention.
    Across all arms, flat priors, on ``scale``: ``prob_best``, and ``expected_loss``
    in metric units. Absolute: of the means (``E[max_j mean_j - mean_i]``), and
    ``relative_loss`` divides it by ``|mean_c|``. Relative: of the lifts
    (:func:`abtest.stats.best_arm.lift_best`; ``relative_loss`` is
    ``E[max_j L_j - L_i]`` and ``expected_loss`` that times ``mean_c``); where the
    control's mean is 0 or below, the lifts are undefined and they are the absolute ones.
    With ``inverse`` (lower is better) the chance to win, risks, ``prob_best`` and losses
    are of the lowest arm.
    """

    mean: Any
    effect: Any
    effect_sd: Any
    effect_ci: Any
    lift: Any
    lift_sd: Any
    lift_ci: Any
    prob_beat_control: Any
    risk: Any
    prob_best: Any
    expected_loss: Any
    relative_loss: Any
    control: int
    scale: str
    alpha: float


def bayes_means(
    n: ArrayLike,
    mean: ArrayLike,
    var: ArrayLike,
    *,
    control: int = 0,
    prior: tuple[float, float] | None = None,
    prior_scale: str = "relative",
    scale: str = "relative",
    alpha: float = 0.05,
    inverse: bool = False,
) -> BayesMeansResult:
    """Bayesian comparison of k arms of a continuous metric (GrowthBook's model).

    Parameters
    ----------
    n, mean, var
        Per arm, along the last axis (1-D of length k >= 2, or 2-D
        (experiments, k) for a batch): units, sample mean and unit-level
        variance (``n - 1`` denominator; ``p (1 - p)`` for a proportion, as
        gbstats). :func:`bayes_means_from_sums` takes ``(n, sum, sum_sq)``.
    control
        Index of the control arm.
    prior
        ``(mean, variance)`` of a proper normal prior on the effect, or None
        for GrowthBook's default improper flat prior.
    prior_scale
        ``"relative"`` (GrowthBook's default) or ``"absolute"``: the scale the
        prior is stated on; it is rescaled by ``|mean_c|`` for the other scale.
    scale
        ``"relative"`` or ``"absolute"``: the effect that ``prob_beat_control``
        and ``risk`` refer to (GrowthBook's ``difference_type``).
    alpha
        Credible intervals are ``1 - alpha`` (equal-tailed).
    inverse
        Lower is better (GrowthBook's "inverse" metric): the chance to win is
        ``P(δ < 0) = Φ(-μ/σ)``, the risks ``[E[(-δ)+], E[(δ)+]]``, ``prob_best`` and
        the losses of the lowest arm (the formulas below with every effect and mean
        negated). Effects, lifts and intervals do not change.

    Returns
    -------
    BayesMeansResult

    Notes
    -----
    Posterior precision ``1/σ² = 1/v_data + 1/v_prior``, mean
    ``σ² (d/v_data + μ0/v_prior)``; chance to win ``Φ(μ/σ)``; risk
    ``[μ Φ(μ/σ) + σ φ(μ/σ), -μ Φ(-μ/σ) + σ φ(μ/σ)]``. Matches gbstats
    ``EffectBayesianABTest`` (``packages/stats/tests/bayesian/test_tests.py``)
    to 1e-5. A control mean of 0 or below leaves the relative effect undefined
    (below 0 it would read backwards): those fields are NaN with a
    :class:`DegenerateWarning` (gbstats returns 0.5 and 0 silently at 0).

    References
    ----------
    GrowthBook, "Statistics overview: Bayesian" (docs.growthbook.io) and
    gbstats ``bayesian/tests.py``; L. Stewart, "Bayesian A/B testing at
    GrowthBook" (2023).

    Examples
    --------
    GrowthBook's published test case (control n=10, sum=100, sum_sq=1002.25;
    treatment n=10, sum=105, sum_sq=1111.5; flat prior, relative):

    >>> r = bayes_means_from_sums([10, 10], [100.0, 105.0], [1002.25, 1111.5])
    >>> round(float(r.prob_beat_control[1]), 5), r.lift_ci[1].round(2).tolist()
    (0.91923, [-0.02, 0.12])
    >>> r.risk[1].round(5).tolist()
    [0.05131, 0.00131]
    """
    _check.choice("prior_scale", prior_scale, SCALES)
    _check.choice("scale", scale, SCALES)
    alpha = _check.alpha_level(alpha)
    nn = _check.at_least("n", n, 1, "an arm needs at least one unit")
    m = _check.as_float("mean", mean)
    v = _check.non_negative("var", var)
    nn, m, v = np.broadcast_arrays(nn, m, v)
    if nn.ndim not in (1, 2):
        raise ValueError(
            f"n, mean and var must be 1-D (k arms) or 2-D (experiments, k), got shape {nn.shape}"
        )
    k = nn.shape[-1]
    if k < 2:
        raise ValueError(f"bayes_means needs at least 2 arms along the last axis, got {k}")
    control = _control_index(control, k)
    if prior is not None:
        try:
            p_mean, p_var = prior
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"prior must be None or a (mean, variance) pair, got {prior!r}"
            ) from exc
        p_mean = float(_check.as_float("prior mean", p_mean))
        p_var = float(_check.positive("prior variance", p_var))

    n2, m2, v2 = (np.atleast_2d(x) for x in (nn, m, v))
    ctl = slice(control, control + 1)
    mc, vc, nc = m2[:, ctl], v2[:, ctl], n2[:, ctl]
    zero = np.broadcast_to(mc <= 0, m2.shape)
    for where, what in ((mc == 0, "0"), (mc < 0, "negative")):
        warn_degenerate(
            np.squeeze(where, -1) if nn.ndim == 2 else bool(where[0, 0]),
            f"the relative effect is undefined because the control mean is {what}",
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        mc_safe = np.where(mc <= 0, np.nan, mc)
        abs_mean, abs_var = m2 - mc, v2 / n2 + vc / nc
        rel_mean = m2 / mc_safe - 1
        rel_var = v2 / (mc_safe**2 * n2) + vc * m2**2 / (mc_safe**4 * nc)
    others = np.arange(k) != control
    degenerate = (abs_var == 0) & others & (prior is None)
    warn_degenerate(
        degenerate if nn.ndim == 2 else degenerate[0],
        "no effect can be estimated: both arms have zero variance",
    )

    def posterior(d: np.ndarray, dv: np.ndarray, stated: str) -> tuple[np.ndarray, np.ndarray]:
        if prior is None:
            with np.errstate(divide="ignore", invalid="ignore"):
                return d, np.where(dv > 0, np.sqrt(dv), np.nan)
        pm, pv = p_mean, p_var
        if stated != prior_scale:  # rescale by the control's mean
            factor = np.abs(mc) if prior_scale == "relative" else 1 / np.abs(mc_safe)
            pm, pv = pm * factor, pv * factor**2
        with np.errstate(divide="ignore", invalid="ignore"):
            prec = np.where(dv > 0, 1 / dv, 0.0) + 1 / pv
            mu = (np.where(dv > 0, d / dv, 0.0) + pm / pv) / prec
        return mu, 1 / np.sqrt(prec)

    eff, eff_sd = posterior(abs_mean, abs_var, "absolute")
    lift, lift_sd = posterior(rel_mean, rel_var, "relative")
    lift, lift_sd = np.where(zero, np.nan, lift), np.where(zero, np.nan, lift_sd)
    zq = sc.ndtri(1 - alpha / 2)
    mu, sd = (lift, lift_sd) if scale == "relative" else (eff, eff_sd)
    up = -1.0 if inverse else 1.0  # the good direction: what winning means
    mu = up * mu
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mu / sd
    win = sc.ndtr(ratio)
    pdf = np.exp(-0.5 * ratio**2) / np.sqrt(2 * np.pi)
    risk_keep = mu * win + sd * pdf  # E[(δ)+]: what keeping the control loses
    risk = np.stack([risk_keep, risk_keep - mu], axis=-1)

    def ci(x: np.ndarray, s: np.ndarray) -> np.ndarray:
        return np.stack([x - zq * s, x + zq * s], axis=-1)

    fields = {
        "effect": eff,
        "effect_sd": eff_sd,
        "effect_ci": ci(eff, eff_sd),
        "lift": lift,
        "lift_sd": lift_sd,
        "lift_ci": ci(lift, lift_sd),
        "prob_beat_control": win,
        "risk": risk,
    }
    for key, val in fields.items():
        val[:, control] = 0.5 if key == "prob_beat_control" else 0.0

    prob_best, loss = normal_best(up * m2, np.sqrt(v2 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_loss = loss / np.abs(mc_safe)
    rows = np.squeeze(mc > 0, -1)
    if scale == "relative" and rows.any():  # of the lifts, as the chance to win is
        with np.errstate(divide="ignore", invalid="ignore"):
            lift0 = np.where(others, rel_mean, 0.0)
            shared = np.where(others, -(m2 / mc_safe**2) * np.sqrt(vc / nc), 0.0)
            own = np.where(others, np.sqrt(v2 / n2) / mc_safe, 0.0)
        best, lost = lift_best(up * lift0[rows], up * shared[rows], own[rows])
        prob_best[rows], rel_loss[rows] = best, lost
        loss[rows] = lost * mc[rows]
    out = {"mean": m2, **fields, "prob_best": prob_best, "expected_loss": loss}
    out["relative_loss"] = rel_loss
    if nn.ndim == 1:
        out = {key: val[0] for key, val in out.items()}
    return BayesMeansResult(**out, control=control, scale=scale, alpha=alpha)


def bayes_means_from_sums(
    n: ArrayLike, total: ArrayLike, total_sq: ArrayLike, **kwargs: Any
) -> BayesMeansResult:
    """:func:`bayes_means` from ``(n, sum, sum of squares)`` per arm, as the
    aggregation yields them (gbstats ``SampleMeanStatistic``).

    Parameters
    ----------
    n, total, total_sq
        Units, sum and sum of squares of the metric per arm (last axis).
    **kwargs
        Passed to :func:`bayes_means`.

    Notes
    -----
    ``mean = sum / n``, ``var = (sum_sq - sum^2 / n) / (n - 1)``
    (:func:`abtest.stats.mean_var_from_sums`), as gbstats.

    Examples
    --------
    >>> r = bayes_means_from_sums([10, 10], [100.0, 105.0], [1002.25, 1111.5])
    >>> r.effect.tolist(), round(float(r.prob_best[1]), 5)  # the chance to win
    ([0.0, 0.5], 0.91923)
    """
    nn, m, v = mean_var_from_sums(n, total, total_sq)
    return bayes_means(nn, m, v, **kwargs)
