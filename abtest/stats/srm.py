"""Sample ratio mismatch (SRM): are units split the way the experiment was configured?"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest import vocabulary
from abtest.stats import _check
from abtest.stats.results import SRMResult

SRM_THRESHOLD = vocabulary.SRM_THRESHOLD


def srm_test(
    observed: ArrayLike, weights: ArrayLike, *, threshold: float = SRM_THRESHOLD
) -> SRMResult:
    """Chi-square goodness of fit of unit counts per variant against configured weights.

    Counts and weights run along the last axis (a 2-D input tests a batch of
    experiments). The weights are the configured shares and must sum to 1
    within 1e-9 (the registry's tolerance; R's ``chisq.test`` also refuses ``p``
    not summing to 1 unless ``rescale.p = TRUE``): a split that does not add up
    is a configuration error, not something to normalise away. ``mismatch`` is
    ``p_value < threshold`` (0.001 by default, the industry convention, e.g.
    Kohavi et al., *Trustworthy Online Controlled Experiments*, ch. 21), with
    ``threshold`` in (0, 1). Equals R ``chisq.test(observed, p = weights)``.

    >>> r = srm_test([10000, 10600], [0.5, 0.5])
    >>> round(float(r.statistic), 4), bool(r.mismatch)
    (17.4757, True)
    """
    obs = _check.counts("observed", observed)
    w = _check.positive("weights", weights)
    threshold = _check.unit_level("threshold", threshold, "a p-value, e.g. 0.001")
    if obs.ndim == 0 or obs.shape[-1] < 2:
        raise ValueError("observed needs one count per variant (at least 2 variants)")
    n_weights = w.shape[-1] if w.ndim else 1
    if n_weights != obs.shape[-1]:
        raise ValueError(
            f"observed has {obs.shape[-1]} variants but weights has {n_weights}: "
            "give one weight per variant, in the same order"
        )
    _check.weights_sum_to_one("weights", w)
    total = obs.sum(axis=-1, keepdims=True)
    _check.at_least("total units", np.squeeze(total, -1), 1, "no units to test")
    expected = total * w / w.sum(axis=-1, keepdims=True)
    stat = ((obs - expected) ** 2 / expected).sum(axis=-1)
    df = obs.shape[-1] - 1
    p = special.chdtrc(df, stat)  # scipy.stats.chi2.sf
    s = _check.scalar_or_array
    return SRMResult(
        statistic=s(stat),
        p_value=s(p),
        df=df,
        observed=obs,
        expected=expected,
        mismatch=s(np.asarray(p < threshold)),
        threshold=threshold,
    )
