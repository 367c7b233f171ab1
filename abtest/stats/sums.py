"""Sufficient statistics as values: one arm's ``n, sum, sum_sq`` (and a second variable's).

Every test of abtest runs on per-arm sums, because that is what an aggregation over
unit rows yields and what can be added across days or strata without the rows. A
:class:`Sums` holds one arm's units ``n``, sum and sum of squares of a per-unit value
(arrays of any broadcastable shape: one element per look, per treatment, per simulated
experiment); :class:`CovariateSums` adds a second per-unit variable ``x`` (the pre-period
covariate of CUPED, or the denominator of a ratio metric) with ``sum_x``, ``sum_x_sq``
and the sum of products ``sum_xy``. Both are frozen; ``+`` merges two sets of units
(days, strata) field by field, indexing takes elements, and ``mean``/``var`` are the
per-unit mean and the sample variance (ddof 1). gbstats' ``SampleMeanStatistic`` and
``RegressionAdjustedStatistic`` are the model.

The two-arm tests (:func:`abtest.stats.welch_test_from_sums`,
:func:`abtest.stats.cuped_test`, :func:`abtest.stats.cuped_sums`,
:func:`abtest.stats.ratio_test`, :func:`abtest.stats.group_sequential_test`,
:func:`abtest.stats.always_valid_test`) take arm a and arm b as two of these values;
their array forms (the 6 or 12 per-arm sums, arm a then arm b) are thin wrappers that
build them (:func:`arms_of`).

>>> day1, day2 = Sums(100, 12.0, 12.0), Sums(150, 21.0, 21.0)
>>> both = day1 + day2
>>> int(both.n), float(both.mean)
(250, 0.132)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


def _array(x: ArrayLike) -> np.ndarray:
    return x if isinstance(x, np.ndarray) else np.asarray(x)


@dataclass(frozen=True)
class Sums:
    """One arm's units ``n``, ``sum`` and ``sum_sq`` of a per-unit value (for a
    conversion, ``sum == sum_sq == conversions``). Arrays broadcast together."""

    n: np.ndarray
    sum: np.ndarray
    sum_sq: np.ndarray

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _array(getattr(self, f.name)))

    @property
    def mean(self) -> np.ndarray:
        """``sum / n`` (NaN where ``n == 0``)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.sum / self.n

    @property
    def var(self) -> np.ndarray:
        """Sample variance ``(sum_sq - sum**2 / n) / (n - 1)``, clipped at 0 against
        rounding (NaN where ``n < 2``). :func:`abtest.stats.mean_var_from_sums` is the
        checked form the tests use."""
        n = np.asarray(self.n, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            var = (self.sum_sq - self.sum * self.sum / n) / (n - 1)
        return np.where(n >= 2, np.maximum(var, 0.0), np.nan)

    @property
    def outcome(self) -> Sums:
        """The :class:`Sums` of the value alone (itself; a :class:`CovariateSums`
        drops its ``x``)."""
        return self

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """The fields in order: the arguments of the array forms for one arm."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def __add__(self, other: Sums) -> Sums:
        """The sums of both sets of units (merging days or strata)."""
        if type(other) is not type(self):
            return NotImplemented
        return type(self)(*(x + y for x, y in zip(self.arrays, other.arrays, strict=True)))

    def __getitem__(self, index: Any) -> Sums:
        """The elements at ``index`` of every field (e.g. ``s[0]``: the first variant)."""
        return type(self)(*(np.broadcast_to(x, self.shape)[index] for x in self.arrays))

    @property
    def shape(self) -> tuple[int, ...]:
        """The broadcast shape of the fields."""
        return np.broadcast_shapes(*(np.shape(x) for x in self.arrays))

    def cumsum(self, axis: int = -1) -> Sums:
        """Running totals along ``axis`` (per-day sums -> cumulative sums per look)."""
        shape = self.shape
        return type(self)(*(np.cumsum(np.broadcast_to(x, shape), axis=axis) for x in self.arrays))


@dataclass(frozen=True)
class CovariateSums(Sums):
    """:class:`Sums` of a value ``y`` plus a second per-unit variable ``x``: ``sum_x``,
    ``sum_x_sq`` and ``sum_xy`` (the sum of ``x * y``). For CUPED ``x`` is the
    pre-period covariate; for a ratio metric ``y`` is the numerator and ``x`` the
    denominator."""

    sum_x: np.ndarray
    sum_x_sq: np.ndarray
    sum_xy: np.ndarray

    @property
    def covariate(self) -> Sums:
        """The :class:`Sums` of ``x`` alone."""
        return Sums(self.n, self.sum_x, self.sum_x_sq)

    @property
    def outcome(self) -> Sums:
        """The :class:`Sums` of ``y`` alone."""
        return Sums(self.n, self.sum, self.sum_sq)


@dataclass(frozen=True)
class TwoArms:
    """Arm a (control) and arm b (treatment) as :class:`Sums` (or
    :class:`CovariateSums`); unpacks as ``a, b``, so ``test(*arms)`` runs a two-arm
    test on them."""

    a: Sums
    b: Sums

    def __iter__(self) -> Iterator[Sums]:
        yield self.a
        yield self.b

    @property
    def args(self) -> tuple[np.ndarray, ...]:
        """Both arms' fields, arm a then arm b: the positional arguments of the array
        forms."""
        return (*self.a.arrays, *self.b.arrays)


def arms_of(args: tuple[Any, ...], kind: type[Sums], function: str) -> tuple[Sums, Sums]:
    """Arm a and arm b from a two-arm test's positional arguments: two :class:`Sums`
    values, or the array form (each arm's fields in order, arm a then arm b).

    >>> a, b = arms_of((10, 4.0, 4.0, 12, 6.0, 6.0), Sums, "welch_test_from_sums")
    >>> int(b.n), float(b.sum)
    (12, 6.0)
    """
    if len(args) == 2 and all(isinstance(x, Sums) for x in args):
        a, b = args
        if kind is CovariateSums and not (
            isinstance(a, CovariateSums) and isinstance(b, CovariateSums)
        ):
            raise TypeError(f"{function}() needs CovariateSums for both arms")
        return a, b
    per_arm = len(fields(kind))
    if len(args) != 2 * per_arm:
        names = ", ".join(f.name for f in fields(kind))
        raise TypeError(
            f"{function}() takes arm a and arm b as two {kind.__name__} values, or the "
            f"{2 * per_arm} per-arm arrays ({names} of arm a, then of arm b); got "
            f"{len(args)} positional arguments"
        )
    return kind(*args[:per_arm]), kind(*args[per_arm:])
