"""The Bayesian decision rule: ship the best arm once we are sure enough and
the cost of being wrong is below the threshold of caring.

Rule (C. Stucchio, "Bayesian A/B Testing at VWO", 2015; GrowthBook's
"chance to win" and "risk" thresholds): let ``b`` be the arm with the highest
``P(best)``. Ship ``b`` when

* ``P(best_b) >= threshold`` (default 0.95), and
* ``expected_loss_b <= loss_threshold``: what we lose on average if we ship
  ``b`` and another arm is in fact better. The default 0.0025 is GrowthBook's
  default acceptable risk (0.25%) and is meant for *relative* losses, i.e. the
  ``relative_loss`` field (expected loss as a fraction of the control's mean);
  pass absolute losses with an absolute threshold.

Otherwise there is no winner yet, and the reason says which condition failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from abtest.stats import _check
from abtest.stats.results import _Result

PROB_BEST_THRESHOLD = 0.95
LOSS_THRESHOLD = 0.0025


@dataclass(frozen=True)
class BayesDecision(_Result):
    """Outcome of :func:`bayes_decision`.

    One experiment: ``winner_index`` is the arm to ship (an int, possibly the
    control) or None, ``ship`` a bool, ``reason`` a sentence. A batch: arrays
    over experiments, with ``winner_index`` -1 where there is no winner, and a
    list of reasons. ``best_index`` is the arm with the highest P(best) either
    way.
    """

    winner_index: Any
    ship: Any
    best_index: Any
    reason: Any
    threshold: float
    loss_threshold: float | None


def bayes_decision(
    prob_best: ArrayLike,
    expected_loss: ArrayLike,
    *,
    threshold: float = PROB_BEST_THRESHOLD,
    loss_threshold: float | None = LOSS_THRESHOLD,
    control: int | None = None,
    names: Sequence[str] | None = None,
    loss_name: str = "expected loss",
) -> BayesDecision:
    """Decide whether to ship an arm, and say why.

    Parameters
    ----------
    prob_best, expected_loss
        Per arm, along the last axis (1-D for one experiment, 2-D for a batch),
        e.g. ``prob_best`` and ``relative_loss`` of :func:`beta_binomial` or
        :func:`bayes_means`.
    threshold
        Smallest P(best) to ship (default 0.95).
    loss_threshold
        Largest expected loss to ship, in the units of ``expected_loss``
        (default 0.0025, GrowthBook's acceptable risk, for relative losses);
        None ignores the loss.
    control
        Index of the control arm, only for the wording ("keep the control").
    names
        Arm names for the reason (default "arm 0", "arm 1", ...).
    loss_name
        What the reason calls ``expected_loss`` (e.g. "relative expected loss" beside a
        table whose expected loss is in the metric's units).

    Returns
    -------
    BayesDecision
        ``winner_index``, ``ship``, ``best_index``, ``reason``.

    References
    ----------
    C. Stucchio, "Bayesian A/B Testing at VWO" (2015), sec. 4 (the threshold
    of caring); GrowthBook's default acceptable risk,
    ``DEFAULT_WIN_RISK_THRESHOLD = 0.0025``.

    Examples
    --------
    >>> d = bayes_decision([0.02, 0.98], [0.08, 0.0004], names=["control", "B"])
    >>> d.winner_index, d.reason
    (1, 'ship B: P(best) = 98.0% >= 95% and expected loss 0.0004 <= 0.0025')
    >>> bayes_decision([0.3, 0.7], [0.01, 0.004]).reason
    'no winner yet: the leader arm 1 has P(best) = 70.0% < 95%'
    """
    p = _check.as_float("prob_best", prob_best)
    try:
        loss = np.asarray(expected_loss, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected_loss must be numeric, got {expected_loss!r}") from exc
    _check.fail_where("prob_best", p, (p < 0) | (p > 1 + 1e-9), "must be a probability")
    # NaN is allowed: a relative loss is undefined when the control's mean is 0.
    _check.fail_where("expected_loss", loss, np.isinf(loss), "must be finite (or NaN)")
    _check.fail_where("expected_loss", loss, loss < -1e-12, "cannot be negative")
    if p.shape != loss.shape:
        raise ValueError(
            f"prob_best and expected_loss must have the same shape, got {p.shape} and {loss.shape}"
        )
    if p.ndim not in (1, 2) or p.shape[-1] < 1:
        raise ValueError(f"prob_best must be 1-D (arms) or 2-D (experiments, arms), got {p.shape}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold = {threshold!r}: must be in (0, 1], e.g. 0.95")
    if loss_threshold is not None and not loss_threshold >= 0:
        raise ValueError(f"loss_threshold = {loss_threshold!r}: must be >= 0 (or None)")
    k = p.shape[-1]
    if names is not None and len(names) != k:
        raise ValueError(f"names has {len(names)} entries for {k} arms")
    label = list(names) if names is not None else [f"arm {i}" for i in range(k)]

    p2, l2 = np.atleast_2d(p), np.atleast_2d(loss)
    best = np.argmax(p2, axis=1)
    rows = np.arange(p2.shape[0])
    pb, lb = p2[rows, best], l2[rows, best]
    sure = pb >= threshold
    cheap = np.ones_like(sure) if loss_threshold is None else lb <= loss_threshold
    ship = sure & cheap
    reasons = [
        _reason(
            label[b],
            b == control,
            float(pv),
            float(lv),
            s,
            c,
            threshold,
            loss_threshold,
            loss_name,
        )
        for b, pv, lv, s, c in zip(best, pb, lb, sure, cheap, strict=True)
    ]
    winner = np.where(ship, best, -1)
    if p.ndim == 1:
        return BayesDecision(
            winner_index=int(best[0]) if ship[0] else None,
            ship=bool(ship[0]),
            best_index=int(best[0]),
            reason=reasons[0],
            threshold=float(threshold),
            loss_threshold=loss_threshold,
        )
    return BayesDecision(winner, ship, best, reasons, float(threshold), loss_threshold)


def _apart(loss: float, limit: float) -> tuple[str, str]:
    """``loss`` and ``limit`` to 2 significant digits, or as many more (up to 6) as
    they need to read as different numbers: a loss of 0.00254 above a threshold of
    0.0025 is not "0.0025 is above 0.0025"."""
    for digits in range(2, 7):
        a, b = f"{loss:.{digits}g}", f"{limit:.{digits}g}"
        if (a != b) == (loss != limit):
            return a, b
    return a, b


def _percent(p: float, threshold: float) -> str:
    """``p`` with one decimal, or two rounded toward ``p`` where one would land on a
    multiple of 0.5% that ``p`` is not: 0.94996 is "94.99%", never "95.0%" beside
    "< 95%"; then as many more digits (up to six) as it needs to read on its side of
    ``threshold``. The rule of :func:`abtest.formatting.probability` (``against``), which
    the tables print (stats imports nothing of abtest; a test holds the two to the same
    text)."""
    exact = Decimal(repr(min(max(p, 0.0), 1.0))) * 100
    level = Decimal(repr(float(threshold))) * 100
    shown = exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    if shown != exact and shown % Decimal("0.5") == 0:
        if exact < Decimal("0.01") and level >= Decimal("0.01"):
            return "<0.01%"
        if exact > Decimal("99.99") and level <= Decimal("99.99"):
            return ">99.99%"
        shown = exact.quantize(Decimal("0.01"), ROUND_FLOOR if exact < shown else ROUND_CEILING)
    for digits in range(2, 7):  # as many digits as its side of the threshold needs
        if (shown >= level) == (exact >= level):
            break
        shown = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    return f"{shown}%"


def _level(threshold: float) -> str:
    """A threshold as a percentage, as many digits as it has: 0.95 "95%", 0.975 "97.5%"."""
    return f"{threshold * 100:.10g}%"


def _reason(
    name: str,
    is_control: bool,
    p: float,
    loss: float,
    sure: bool,
    cheap: bool,
    threshold: float,
    loss_threshold: float | None,
    loss_name: str = "expected loss",
) -> str:
    shown = _percent(p, threshold)
    prob = f"P(best) {shown[0]} {shown[1:]}" if shown[0] in "<>" else f"P(best) = {shown}"
    if sure and cheap:
        verb = f"keep {name} (the control)" if is_control else f"ship {name}"
        if loss_threshold is None:
            return f"{verb}: {prob} >= {_level(threshold)}"
        shown, limit = _apart(loss, loss_threshold)
        return f"{verb}: {prob} >= {_level(threshold)} and {loss_name} {shown} <= {limit}"
    if not sure:
        return f"no winner yet: the leader {name} has {prob} < {_level(threshold)}"
    if np.isnan(loss):
        return f"no winner yet: {name} has {prob} but its {loss_name} is undefined"
    shown, limit = _apart(loss, loss_threshold)
    return (
        f"no winner yet: {name} has {prob} but its {loss_name} {shown} is above "
        f"the threshold of caring {limit}"
    )
