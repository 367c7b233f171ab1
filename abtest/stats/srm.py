"""Sample ratio mismatch (SRM): are units split the way the experiment was configured?"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

from abtest.stats import _check
from abtest.stats.results import SRMResult

SRM_THRESHOLD = 0.001


def srm_test(
    observed: ArrayLike, weights: ArrayLike, *, threshold: float = SRM_THRESHOLD
) -> SRMResult:
    """Chi-square goodness of fit of unit counts per variant against configured weights.

    Counts and weights run along the last axis (a 2-D input tests a batch of
    experiments). Weights are normalised to sum to 1. ``mismatch`` is
    ``p_value < threshold`` (0.001 by default, the industry convention, e.g.
    Kohavi et al., *Trustworthy Online Controlled Experiments*, ch. 21).
    Equals R ``chisq.test(observed, p = weights)``.

    >>> r = srm_test([10000, 10600], [0.5, 0.5])
    >>> round(float(r.statistic), 4), bool(r.mismatch)
    (17.4757, True)
    """
    obs = _check.counts("observed", observed)
    w = _check.positive("weights", weights)
    if obs.ndim == 0 or obs.shape[-1] < 2:
        raise ValueError("observed needs one count per variant (at least 2 variants)")
    if w.shape[-1] != obs.shape[-1]:
        raise ValueError(
            f"observed has {obs.shape[-1]} variants but weights has {w.shape[-1]}: "
            "give one weight per variant, in the same order"
        )
    total = obs.sum(axis=-1, keepdims=True)
    _check.at_least("total units", np.squeeze(total, -1), 1, "no units to test")
    expected = total * w / w.sum(axis=-1, keepdims=True)
    stat = ((obs - expected) ** 2 / expected).sum(axis=-1)
    df = obs.shape[-1] - 1
    p = sps.chi2.sf(stat, df)
    s = _check.scalar_or_array
    return SRMResult(
        statistic=s(stat),
        p_value=s(p),
        df=df,
        expected=expected,
        mismatch=s(np.asarray(p < threshold)),
        threshold=threshold,
    )
