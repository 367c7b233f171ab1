"""Result objects returned by the stats functions (frozen dataclasses with named fields)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

import numpy as np

from abtest.stats.intervals import Interval


class MeanVar(NamedTuple):
    """Per arm: units, mean and sample variance (:func:`abtest.stats.mean_var_from_sums`)."""

    n: Any
    mean: Any
    var: Any


class Lift(NamedTuple):
    """A relative lift and its delta-method standard error
    (:func:`abtest.stats.relative_lift`)."""

    lift: Any
    se: Any


class OmnibusResult(NamedTuple):
    """A test that all arms share one mean or rate: ``statistic``, ``p_value`` and the
    (numerator) degrees of freedom (:func:`abtest.stats.chi2_omnibus`,
    :func:`abtest.stats.welch_anova`)."""

    statistic: Any
    p_value: Any
    df: int


class CupedAdjusted(NamedTuple):
    """CUPED-adjusted arms (:func:`abtest.stats.cuped_adjust`): units, adjusted means and
    unit variances per arm, and the pooled slope ``theta``."""

    n: Any
    mean: Any
    var: Any
    theta: Any


class BetaPrior(NamedTuple):
    """A Beta(alpha, beta) prior (:func:`abtest.stats.prior_from_baseline`)."""

    alpha: float
    beta: float


class DegenerateWarning(UserWarning):
    """A comparison has no information (e.g. both arms at 0% or 100%, or a
    control rate of 0 so the relative lift is undefined); the affected fields
    are NaN and this warning names the elements."""


def warn_degenerate(mask: np.ndarray, what: str) -> None:
    """Warn, naming the first few elements, when ``mask`` marks degenerate entries."""
    mask = np.asarray(mask)
    if not np.any(mask):
        return
    if mask.ndim == 0:
        where = ""
    else:
        idx = [tuple(int(i) for i in ix) for ix in np.argwhere(mask)[:5]]
        shown = ", ".join(str(i[0]) if len(i) == 1 else str(list(i)) for i in idx)
        extra = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
        where = f" at index {shown}{extra}"
    warnings.warn(f"{what}{where}; the result is NaN there", DegenerateWarning, stacklevel=3)


@dataclass(frozen=True)
class _Result:
    def __post_init__(self) -> None:
        # one interval shape everywhere: every (low, high) pair is a named Interval
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_ci") and isinstance(value, tuple) and len(value) == 2:
                object.__setattr__(self, f.name, Interval(*value))

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (lists for arrays), ready for JSON."""

        def plain(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return v.tolist()
            if isinstance(v, np.generic):
                return v.item()
            if isinstance(v, tuple):
                return [plain(x) for x in v]
            return v

        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class TwoSampleResult(_Result):
    """A two-arm comparison of arm b (treatment) against arm a (control).

    ``diff = mean_b - mean_a``, ``lift = mean_b / mean_a - 1``; intervals are
    ``(low, high)`` tuples at confidence ``1 - alpha`` (one-sided alternatives
    give an open end at the parameter's bound).
    """

    statistic: Any
    p_value: Any
    diff: Any
    diff_ci: tuple[Any, Any]
    lift: Any
    lift_ci: tuple[Any, Any]
    mean_a: Any
    mean_b: Any
    alternative: str
    alpha: float
    test: str
    df: Any = None


@dataclass(frozen=True)
class MultiArmResult(_Result):
    """Every treatment against the control, after multiple-testing correction.

    Arrays have one entry per treatment arm, in the order of ``treatment``
    (indices into the input arms). ``p_value`` is the raw p-value,
    ``p_adjusted`` the corrected one, ``significant`` is ``p_adjusted < alpha``.
    Intervals are at the level ``1 - ci_alpha`` (Bonferroni-adjusted for the
    Holm and Bonferroni corrections, so that they are simultaneous).
    """

    control: int
    treatment: Any
    comparison: TwoSampleResult
    p_value: Any
    p_adjusted: Any
    significant: Any
    correction: str
    alpha: float
    ci_alpha: float
    omnibus_statistic: float
    omnibus_p_value: float
    omnibus_df: int


@dataclass(frozen=True)
class SRMResult(_Result):
    """Chi-square goodness of fit of unit counts against configured weights."""

    statistic: Any
    p_value: Any
    df: Any
    observed: Any  # the unit counts tested, per variant
    expected: Any
    mismatch: Any
    threshold: float
