"""Time to conversion: the Kaplan-Meier curve, its confidence band and its median.

A unit enters the experiment at time 0 and either converts at ``time`` (``event =
1``) or is still unconverted when the data end (``event = 0``: censored at
``time``). The curve ``S(t)`` is the share not yet converted by ``t``.

* Kaplan-Meier product limit (Kaplan & Meier 1958): at each distinct event time
  ``t_j`` with ``n_j`` units at risk (``time >= t_j``) and ``d_j`` conversions,
  ``S(t_j) = prod_{i <= j} (1 - d_i / n_i)``.
* Greenwood's variance (Greenwood 1926) of the cumulative hazard,
  ``se(log S)^2 = sum_{i <= j} d_i / (n_i (n_i - d_i))``.
* The log-transformed interval, R survfit's default ``conf.type = "log"``:
  ``exp(log S +- z se)``, the upper end clipped at 1, NaN where ``S = 0``.
* The median and its interval as R's ``print(survfit(...))`` shows them
  (``summary(fit)$table``, tolerance ``sqrt(.Machine$double.eps)``): the first time
  the curve is at 0.5 or below; where it is exactly at 0.5 there, the midpoint
  between that time and the next event time (where it drops below 0.5); NaN when
  the curve never gets down to 0.5. The interval's ends are the same rule applied
  to the lower band (its lower end) and to the upper band (its upper end).
  R's ``quantile(fit, 0.5)`` differs in two corners: a curve that ends flat at 0.5
  gets the midpoint with the last observed time there (here, as print: the time it
  reached 0.5), and for an upper band that is not monotone it need not take the
  first crossing.

Everything matches R's survival package (``survfit(Surv(time, event) ~ 1)`` and its
print); the shared input checks live here for
:mod:`abtest.stats.logrank` too. Rows may be aggregated: ``count`` gives each row's
number of units, and a row of count ``c`` is exactly ``c`` unit rows.

Unlike R (``timefix = TRUE``, ``aeqSurv``), times that differ by floating-point
noise only are distinct times here: round the times first if they were computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from abtest.stats import _check
from abtest.stats.results import _Result

# R: sqrt(.Machine$double.eps), quantile.survfit's default tolerance
QUANTILE_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))


@dataclass(frozen=True)
class KaplanMeierResult(_Result):
    """The Kaplan-Meier curve at its distinct event times (:func:`kaplan_meier`).

    ``time``, ``survival``, ``lower``, ``upper``, ``n_risk`` and ``n_event`` have one
    entry per distinct time with at least one conversion, in increasing order; the
    curve is 1 before the first of them and steps down at each. ``lower`` and
    ``upper`` bound ``survival`` pointwise at level ``1 - alpha`` (NaN where the
    curve is 0). ``median`` and ``median_ci`` are NaN where not reached. ``n`` is
    the number of units.
    """

    time: Any
    survival: Any
    lower: Any
    upper: Any
    median: float
    median_ci: tuple[float, float]
    n_risk: Any
    n_event: Any
    n: float
    alpha: float


def _column(name: str, x: ArrayLike, *, allow_bool: bool = False) -> np.ndarray:
    raw = _check.as_raw(name, x, allow_bool=allow_bool)
    if raw.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array (one value per row), got shape {raw.shape}")
    return raw


def _same_length(name: str, arr: np.ndarray, n: int) -> None:
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} rows but time has {n}: give one per row")


def checked_rows(
    time: ArrayLike, event: ArrayLike, count: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Checked ``(time, event, count)`` as float arrays without the rows of count 0,
    and the mask of the input rows kept (for a grouping column given alongside)."""
    t = _check.non_negative("time", _column("time", time))
    e = _check.as_float("event", _column("event", event, allow_bool=True))
    _same_length("event", e, t.shape[0])
    _check.fail_where("event", e, (e != 0) & (e != 1), "must be 1 (converted) or 0 (censored)")
    if count is None:
        w = np.ones_like(t)
    else:
        w = _check.counts("count", _column("count", count))
        _same_length("count", w, t.shape[0])
    keep = w > 0
    if not np.any(keep):
        raise ValueError("count is 0 on every row: there are no units")
    return t[keep], e[keep], w[keep], keep


def _median_time(time: np.ndarray, curve: np.ndarray) -> float:
    """Where a curve (NaN allowed) first gets down to 0.5, as R's survfit print
    (``survmean``'s ``minmin``, tolerance ``sqrt(.Machine$double.eps)``): the first
    time it is below ``0.5 + tol``; if it is at 0.5 there (within ``tol``) and later
    drops below that, the midpoint of the two times; NaN if it never gets there."""
    tol = QUANTILE_TOLERANCE
    keep = np.isfinite(curve) & (curve < 0.5 + tol)
    if not np.any(keep):
        return np.nan
    x, y = time[keep], curve[keep]
    lower = y < y[0]
    if abs(y[0] - 0.5) < tol and np.any(lower):
        return float((x[0] + x[np.argmax(lower)]) / 2)
    return float(x[0])


def kaplan_meier(
    time: ArrayLike,
    event: ArrayLike,
    *,
    count: ArrayLike | None = None,
    alpha: float = 0.05,
) -> KaplanMeierResult:
    """Kaplan-Meier product-limit curve of the time to conversion, with Greenwood
    (1926) log-transformed pointwise intervals and the median with its interval.

    Parameters
    ----------
    time
        Time of each row (>= 0, finite): when the unit converted, or when it was last
        seen unconverted.
    event
        1 (or True) if the unit converted at ``time``, 0 if censored there.
    count
        Optional whole number of units each row stands for (aggregated rows, e.g. one
        row per time and event flag); the result equals that of the expanded rows.
    alpha
        ``1 - alpha`` is the level of the pointwise band and of the median's interval.

    Returns
    -------
    KaplanMeierResult
        ``time`` (distinct event times), ``survival``, ``lower``, ``upper``,
        ``median``, ``median_ci``, ``n_risk``, ``n_event``, ``n``, ``alpha``.
        The curve and band equal R ``survfit(Surv(time, event) ~ 1)`` (its default
        ``conf.type = "log"``) at its event times, the median and its interval what
        ``print(fit)`` shows (``summary(fit)$table``; see the module docstring for
        the corner where ``quantile(fit, 0.5)`` differs).

    Examples
    --------
    Five units convert at days 1, 2, 2 and 4; one is last seen unconverted on day 3:

    >>> r = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 1, 0, 1])
    >>> r.time.tolist(), r.survival.round(2).tolist(), float(r.median)
    ([1.0, 2.0, 4.0], [0.8, 0.4, 0.0], 2.0)
    """
    a = _check.alpha_level(alpha)
    t, e, w, _ = checked_rows(time, event, count)
    times, inverse = np.unique(t, return_inverse=True)
    units = np.bincount(inverse, weights=w, minlength=times.size)
    events = np.bincount(inverse, weights=w * e, minlength=times.size)
    at_risk = np.cumsum(units[::-1])[::-1]  # units with time >= each distinct time
    jump = events > 0
    times, d, n = times[jump], events[jump], at_risk[jump]

    surv = np.cumprod(1 - d / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.cumsum(d / (n * (n - d))))  # Greenwood, of log S
        z = -special.ndtri(a / 2)  # = scipy.stats.norm.ppf(1 - alpha / 2)
        positive = surv > 0
        log_s = np.log(np.where(positive, surv, np.nan))
        lower = np.exp(log_s - z * se)
        upper = np.minimum(np.exp(log_s + z * se), 1.0)

    median = _median_time(times, surv)
    median_ci = (_median_time(times, lower), _median_time(times, upper))
    return KaplanMeierResult(
        time=times,
        survival=surv,
        lower=lower,
        upper=upper,
        median=median,
        median_ci=median_ci,
        n_risk=n,
        n_event=d,
        n=float(w.sum()),
        alpha=a,
    )
