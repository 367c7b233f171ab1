"""The log-rank test: do k arms convert at the same pace over time?

Mantel-Haenszel log-rank test (Mantel 1966; Peto & Peto 1972), as R survival's
``survdiff(Surv(time, event) ~ group)`` with its default ``rho = 0``. At each
distinct event time ``t`` with ``n_t`` units at risk, ``d_t`` conversions and
``r_tg`` units at risk in arm ``g``, the arm expects ``d_t r_tg / n_t`` of the
conversions; over the times, ``O_g - E_g`` (observed minus expected) has the
hypergeometric covariance

    V = sum_t d_t (n_t - d_t) / (n_t (n_t - 1)) (diag(r_t) - r_t r_t' / n_t).

The arms with ``E_g > 0`` enter the test; the first of them is dropped (the
``O - E`` sum to zero) and ``chi2 = (O - E)' V^-1 (O - E)`` over the rest has
``k - 1`` degrees of freedom, as survdiff computes it (``solve(vv, temp2)``). Every
arm that enters is at risk at the first conversion, so that variance is positive
definite unless it is 0: when no conversion leaves anyone at risk unconverted (all
units at risk convert at the one conversion time). survdiff then stops (``solve``:
singular) or, with no conversion at all, reports a chi-square of 0 on -1 degrees of
freedom; here both are no test: NaN with a DegenerateWarning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check
from abtest.stats.results import _Result, warn_degenerate
from abtest.stats.survival import checked_rows


@dataclass(frozen=True)
class LogrankResult(_Result):
    """A log-rank test of k arms (:func:`logrank_test`): ``statistic`` (chi-square),
    ``df``, ``p_value``, and per arm in the order of ``groups`` (the sorted distinct
    labels) the units ``n``, the ``observed`` and ``expected`` conversions and the
    ``variance`` matrix of ``observed - expected``."""

    statistic: float
    df: int
    p_value: float
    groups: Any
    n: Any
    observed: Any
    expected: Any
    variance: Any


def _missing_label(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _labels(group: ArrayLike, n: int) -> np.ndarray:
    g = np.asarray(group)
    if g.ndim != 1:
        raise ValueError(f"group must be a 1-D array (one label per row), got shape {g.shape}")
    if g.shape[0] != n:
        raise ValueError(f"group has {g.shape[0]} rows but time has {n}: give one per row")
    if g.dtype.kind == "f":
        _check.fail_where("group", g, np.isnan(g), "a group label cannot be missing")
    elif g.dtype.kind == "O":
        missing = np.asarray(np.frompyfunc(_missing_label, 1, 1)(g), dtype=bool)
        _check.fail_where("group", g, missing, "a group label cannot be missing")
    return g


def logrank_test(
    time: ArrayLike,
    event: ArrayLike,
    group: ArrayLike,
    *,
    count: ArrayLike | None = None,
) -> LogrankResult:
    """Mantel-Haenszel log-rank test that k arms share one time-to-conversion curve.

    Parameters
    ----------
    time, event
        As :func:`abtest.stats.kaplan_meier`: time of each row (>= 0) and 1 if the
        unit converted then, 0 if censored.
    group
        The arm of each row (any labels; at least two distinct ones).
    count
        Optional whole number of units per row (aggregated rows); the result equals
        that of the expanded rows.

    Returns
    -------
    LogrankResult
        ``statistic``, ``df``, ``p_value`` (chi-square upper tail), equal to R
        ``survdiff(Surv(time, event) ~ group)`` ``$chisq`` and ``pchisq(chisq, df,
        lower.tail = FALSE)``; and ``groups``, ``n``, ``observed``, ``expected``,
        ``variance`` (survdiff's ``n``, ``obs``, ``exp``, ``var``). Without a
        conversion to compare the arms by (none, only one arm at risk, or everyone
        at risk converting at the one conversion time) ``statistic`` and
        ``p_value`` are NaN, with a DegenerateWarning.

    Examples
    --------
    >>> r = logrank_test([1, 2, 3, 4, 2, 5, 6, 7], [1, 1, 1, 0, 1, 0, 1, 0],
    ...                  ["a"] * 4 + ["b"] * 4)
    >>> round(float(r.statistic), 4), r.df
    (1.7198, 1)
    """
    t, e, w, keep = checked_rows(time, event, count)
    g = _labels(group, keep.size)[keep]
    try:
        groups, arm = np.unique(g, return_inverse=True)
    except TypeError as exc:  # labels of types that do not sort together
        raise ValueError(f"group labels must be of one type, got {exc}") from exc
    k = groups.size
    if k < 2:
        raise ValueError(
            f"group has {k} distinct label{'s' if k != 1 else ''} among the rows with "
            "units: the log-rank test compares at least 2 groups"
        )
    times, ti = np.unique(t, return_inverse=True)
    cell = ti * k + arm
    units = np.bincount(cell, weights=w, minlength=times.size * k).reshape(-1, k)
    events = np.bincount(cell, weights=w * e, minlength=times.size * k).reshape(-1, k)
    at_risk = np.cumsum(units[::-1], axis=0)[::-1]
    jump = events.sum(axis=1) > 0
    r, dg = at_risk[jump], events[jump]
    n_t, d_t = r.sum(axis=1), dg.sum(axis=1)

    observed = dg.sum(axis=0)
    expected = (r * (d_t / n_t)[:, None]).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n_t > 1, d_t * (n_t - d_t) / (n_t * (n_t - 1)), 0.0)
    variance = np.diag((c[:, None] * r).sum(axis=0)) - (r * (c / n_t)[:, None]).T @ r

    rest = np.flatnonzero(expected > 0)[1:]  # survdiff: arms with E > 0, less the first
    df = int(rest.size)
    if df == 0 or not np.any(c > 0):
        warn_degenerate(np.asarray(True), "no log-rank test: no conversion to compare arms by")
        stat = p = np.nan
    else:
        diff = (observed - expected)[rest]
        stat = float(diff @ np.linalg.solve(variance[np.ix_(rest, rest)], diff))
        p = float(special.chdtrc(df, stat))  # = scipy.stats.chi2.sf(stat, df)
    return LogrankResult(
        statistic=stat,
        df=int(df),
        p_value=p,
        groups=groups,
        n=np.bincount(arm, weights=w, minlength=k),
        observed=observed,
        expected=expected,
        variance=variance,
    )
