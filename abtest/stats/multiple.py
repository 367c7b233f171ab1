"""k variants: every treatment against the control, with multiple-testing correction.

Corrections come from statsmodels' ``multipletests`` (Bonferroni,
Benjamini-Hochberg) and Holm's formula (:func:`_holm`, equal to statsmodels').
Intervals are widened to the Bonferroni level
``alpha / m`` under Holm and Bonferroni, so they are simultaneous and agree
with the corrected decisions in the Bonferroni case; under Benjamini-Hochberg
(which controls the false discovery rate, not the family-wise error) they are
left at ``alpha``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from abtest import vocabulary
from abtest.stats import _check
from abtest.stats.means import mean_var_from_sums, welch_test
from abtest.stats.proportions import chi2_omnibus, proportion_test
from abtest.stats.results import MultiArmResult, OmnibusResult, TwoSampleResult, warn_degenerate

# every spelling of abtest's vocabulary -> statsmodels' name for it (None: no correction)
_STATSMODELS = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh", "none": None}
CORRECTIONS = {
    word: _STATSMODELS[vocabulary.correction(word)]
    for word in vocabulary.spellings(vocabulary.CORRECTIONS, vocabulary.CORRECTION_ALIASES)
}


NAN_POLICIES = ("raise", "omit")


def adjust_p_values(
    p_values: ArrayLike, correction: str = "holm", *, nan_policy: str = "raise"
) -> np.ndarray:
    """Adjusted p-values (1-D), as statsmodels ``multipletests``.

    Each p-value must lie in [0, 1]. ``nan_policy`` (scipy's vocabulary):
    ``"raise"`` (default) refuses a NaN, naming its index; ``"omit"`` leaves a NaN
    (a comparison without information, already warned about) as NaN and out of the
    family, so the others are adjusted for one test fewer.

    >>> adjust_p_values([0.01, 0.04, 0.03], "holm").round(3)
    array([0.03, 0.06, 0.06])

    With ``nan_policy="omit"`` NaN p-values stay NaN and are not counted:

    >>> adjust_p_values([float("nan"), 0.001, 0.04], "bh", nan_policy="omit").round(3)
    array([  nan, 0.002, 0.04 ])
    """
    correction = vocabulary.correction(correction)
    _check.choice("nan_policy", nan_policy, NAN_POLICIES)
    raw = _check.as_raw("p_values", p_values)
    try:
        p = np.asarray(raw, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"p_values must be numeric, got {p_values!r}") from exc
    if p.ndim != 1:
        raise ValueError(f"p_values must be a 1-D array of p-values, got shape {p.shape}")
    nan = np.isnan(p)
    if nan_policy == "raise":
        _check.fail_where(
            "p_values", p, nan, "a p-value cannot be NaN (nan_policy='omit' leaves it out)"
        )
    _check.fail_where("p_values", p, ~nan & ((p < 0) | (p > 1)), "a p-value must be in [0, 1]")
    method = CORRECTIONS[correction]
    out = p.copy()
    finite = ~nan
    # an undefined comparison (NaN, already warned about) is left out of the family
    # rather than blanking it: statsmodels' fdr_bh turns every output into NaN otherwise
    if method is None or finite.sum() <= 1:
        return out
    if method == "holm":
        out[finite] = _holm(p[finite])
    else:
        from statsmodels.stats.multitest import multipletests  # slow to import: only here

        out[finite] = multipletests(p[finite], method=method)[1]
    return out


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values: in ascending order,
    ``max_{j <= i} min(1, (m - j + 1) p_(j))``.

    The formula of statsmodels ``multipletests(method="holm")`` (equal to it to
    rounding in the tests), written out because statsmodels runs ``gc.collect()``
    on every Holm call: about 0.1 s each in a process with many live objects
    (a notebook, the weekly report), twice per analysis.
    """
    order = np.argsort(p, kind="stable")
    m = p.size
    stepped = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(m, 0, -1)))
    out = np.empty(m)
    out[order] = stepped
    return out


def _ci_alpha(alpha: float, m: int, correction: str) -> float:
    return alpha / m if CORRECTIONS[correction] in ("holm", "bonferroni") else alpha


def _check_control(control: int, k: int) -> int:
    """``control`` as an arm index 0..k-1 (a negative index is refused: it would
    silently count from the end)."""
    if isinstance(control, (bool, np.bool_)) or not isinstance(control, (int, np.integer)):
        raise ValueError(f"control={control!r} is not an arm index: give an integer 0..{k - 1}")
    if not 0 <= control < k:
        raise ValueError(f"control={control} is not an arm index (there are {k} arms: 0..{k - 1})")
    return int(control)


def _multi_arm(
    k: int,
    control: int,
    alpha: float,
    correction: str,
    compare: Callable[[np.ndarray, float], TwoSampleResult],
    omnibus: tuple[float, float, int],
) -> MultiArmResult:
    correction = vocabulary.correction(correction)
    alpha = _check.alpha_level(alpha)
    if k < 2:
        raise ValueError(f"need at least 2 arms (a control and a treatment), got {k}")
    control = _check_control(control, k)
    treatment = np.array([i for i in range(k) if i != control])
    ci_alpha = _ci_alpha(alpha, len(treatment), correction)
    comp = compare(treatment, ci_alpha)
    p_raw = np.atleast_1d(comp.p_value)
    # a degenerate comparison's NaN (already warned about) stays out of the family
    p_adj = adjust_p_values(p_raw, correction, nan_policy="omit")
    return MultiArmResult(
        control=control,
        treatment=treatment,
        comparison=comp,
        p_value=p_raw,
        p_adjusted=p_adj,
        significant=p_adj < alpha,
        correction=correction,
        alpha=alpha,
        ci_alpha=ci_alpha,
        omnibus_statistic=float(omnibus[0]),
        omnibus_p_value=float(omnibus[1]),
        omnibus_df=int(omnibus[2]),
    )


def compare_proportions(
    conversions: ArrayLike,
    visitors: ArrayLike,
    *,
    control: int = 0,
    correction: str = "holm",
    alpha: float = 0.05,
    **test_kwargs: Any,
) -> MultiArmResult:
    """Every treatment arm against the control arm by :func:`proportion_test`,
    p-values corrected across the ``k - 1`` comparisons (Holm by default), plus
    the chi-square omnibus across all arms (R ``chisq.test`` on the k x 2 table).

    >>> r = compare_proportions([100, 120, 140], [1000, 1000, 1000])
    >>> r.treatment.tolist(), r.significant.tolist()
    ([1, 2], [False, True])
    """
    x = _check.counts("conversions", conversions)
    n = _check.counts("visitors", visitors)
    if x.ndim != 1 or x.shape != n.shape:
        raise ValueError("conversions and visitors must be 1-D arrays of one length (one per arm)")
    c = _check_control(control, x.size) if x.size else control

    def compare(t: np.ndarray, ci_alpha: float) -> TwoSampleResult:
        return proportion_test(x[c], n[c], x[t], n[t], alpha=ci_alpha, **test_kwargs)

    return _multi_arm(x.size, control, alpha, correction, compare, chi2_omnibus(x, n))


def compare_means(
    n: ArrayLike,
    total: ArrayLike,
    total_sq: ArrayLike,
    *,
    control: int = 0,
    correction: str = "holm",
    alpha: float = 0.05,
    **test_kwargs: Any,
) -> MultiArmResult:
    """Every treatment against the control by Welch's t-test from (n, sum, sum of
    squares) per arm, corrected as :func:`compare_proportions`; the omnibus is
    Welch's heteroscedastic one-way ANOVA (Welch 1951; R ``oneway.test``)."""
    nn, mean, var = mean_var_from_sums(n, total, total_sq)
    if nn.ndim != 1:
        raise ValueError("n, sum and sum_sq must be 1-D arrays of one length (one per arm)")
    c = _check_control(control, nn.size) if nn.size else control

    def compare(t: np.ndarray, ci_alpha: float) -> TwoSampleResult:
        return welch_test(
            nn[c], mean[c], var[c], nn[t], mean[t], var[t], alpha=ci_alpha, **test_kwargs
        )

    return _multi_arm(nn.size, control, alpha, correction, compare, welch_anova(nn, mean, var))


def welch_anova(n: np.ndarray, mean: np.ndarray, var: np.ndarray) -> OmnibusResult:
    """Welch's one-way ANOVA for unequal variances, from per-arm (n, mean, var).

    Returns ``(F, p_value, numerator df)``; equals R ``oneway.test(var.equal=FALSE)``.
    """
    from scipy import stats as sps

    k = n.size
    if np.any(var == 0):
        warn_degenerate(var == 0, "Welch ANOVA impossible: an arm has zero variance")
        return OmnibusResult(float("nan"), float("nan"), k - 1)
    w = n / var
    mw = np.sum(w * mean) / np.sum(w)
    a = np.sum(w * (mean - mw) ** 2) / (k - 1)
    tmp = np.sum((1 - w / np.sum(w)) ** 2 / (n - 1)) / (k**2 - 1)
    f = a / (1 + 2 * (k - 2) * tmp)
    df2 = 1 / (3 * tmp)
    return OmnibusResult(float(f), float(sps.f.sf(f, k - 1, df2)), k - 1)
