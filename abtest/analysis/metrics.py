"""One goal's sufficient statistics per variant, and what the comparisons run on.

:class:`MetricSums` names one goal's :class:`abtest.stats.sums.Sums` per variant, control
first (``CovariateSums`` when the Summary has the CUPED covariate sums).
:func:`comparison_arms` turns it into the per-arm ``(n, mean, unit variance)`` every
treatment-vs-control comparison of the fixed-horizon and guardrail tests runs on:
CUPED-adjusted where it is well-posed, the plain means otherwise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from abtest.data.summary import COVARIATE, Summary
from abtest.stats.quantiles import min_values
from abtest.stats.sums import CovariateSums, Sums


@dataclass(frozen=True)
class OrderStats:
    """A quantile goal's order statistics per variant (control first), as
    :func:`abtest.stats.quantile_test_from_order_stats` takes them: the population size
    ``n``, the ``q``-quantile and the values at the ranks L and U (``lower``, ``upper``)."""

    q: float
    among: str  # "converters" | "units"
    n: np.ndarray
    quantile: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def take(self, index: list[int]) -> OrderStats:
        return OrderStats(self.q, self.among, *(x[index] for x in self.arrays))

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.n, self.quantile, self.lower, self.upper

    @property
    def need(self) -> int:
        """The fewest values per arm its test takes (:func:`abtest.stats.quantiles.min_values`)."""
        return min_values(self.q)

    @property
    def short(self) -> np.ndarray:
        """Per arm: fewer values than :attr:`need` (no test against it yet)."""
        return np.asarray(self.n) < self.need

    def describe(self) -> str:
        """``"p50 among converters"`` (:meth:`abtest.data.model.Quantile.describe`)."""
        from abtest.data.model import Quantile

        return Quantile(self.q, self.among).describe()


@dataclass(frozen=True)
class MetricSums:
    """One metric's sums per variant (control first): ``sums`` is a
    :class:`abtest.stats.sums.CovariateSums` when the Summary has the covariate sums.
    A quantile goal's ``sums`` are a value goal's (every exposed unit) and ``order``
    holds what its test reads (its ``n`` the population the quantile is of)."""

    metric: str
    kind: str  # "binary" | "value" | "quantile"
    sums: Sums
    order: OrderStats | None = None

    def take(self, index: list[int]) -> MetricSums:
        """The arms at ``index`` (e.g. ``[0, j]``: the control and treatment j)."""
        order = None if self.order is None else self.order.take(index)
        return MetricSums(self.metric, self.kind, self.sums[index], order)

    @property
    def size(self) -> np.ndarray:
        """Per variant, the units the compared statistic is of: every exposed unit, or a
        quantile goal's population (its converters, or every unit)."""
        return self.sums.n if self.order is None else self.order.n

    @property
    def center(self) -> np.ndarray:
        """Per variant, what the goal compares: the rate or mean, or the quantile."""
        return self.sums.mean if self.order is None else self.order.quantile


def sums_of(arrays: dict[str, np.ndarray]) -> Sums:
    """The :class:`Sums` of a Summary's columns (``n, sum, sum_sq``, and the covariate
    sums when all three are there: then a ``CovariateSums``)."""
    stats = (arrays["n"], arrays["sum"], arrays["sum_sq"])
    if all(c in arrays for c in COVARIATE):
        return CovariateSums(*stats, *(arrays[c] for c in COVARIATE))
    return Sums(*stats)


def metric_sums(
    summary: Summary, experiment: str, variants: list[str], metrics: list[str]
) -> dict[str, MetricSums]:
    """The :class:`MetricSums` of each of ``metrics``, arms in ``variants`` order, from
    the Summary's overall rows (read once for all metrics)."""
    rows = summary.totals(experiment)
    cols = [c for c in ("n", "sum", "sum_sq", *COVARIATE) if c in rows.columns]
    keys = rows["metric"].astype(object).to_numpy(), rows["variant"].astype(object).to_numpy()
    position = {(m, v): i for i, (m, v) in enumerate(zip(*keys, strict=True))}
    values = {c: rows[c].to_numpy(dtype=float) for c in cols}
    kinds = dict(zip(keys[0], rows["kind"].astype(object).to_numpy(), strict=True))
    out = {}
    for metric in metrics:
        missing = [v for v in variants if (metric, v) not in position]
        if missing:
            have = [v for (m, v) in position if m == metric]
            raise ValueError(
                f"metric {metric!r} has no data for variant(s) {', '.join(missing)}; "
                f"the data has {', '.join(map(str, have)) or 'no variants'}"
            )
        idx = np.array([position[(metric, v)] for v in variants])
        kind = str(kinds[metric])
        order = _order_stats(summary, experiment, variants, metric) if kind == "quantile" else None
        out[metric] = MetricSums(metric, kind, sums_of({c: values[c][idx] for c in cols}), order)
    return out


def _order_stats(summary: Summary, experiment: str, variants: list[str], metric: str) -> OrderStats:
    """The overall order statistics of quantile goal ``metric`` (``Summary.order_stats``)."""
    rows = summary.order_stats(metric, experiment)
    if rows is None:
        raise ValueError(
            f"goal {metric!r} is a quantile goal, but this Summary has no order statistics "
            "(Summary.quantiles; a frame read back from to_frame() does not carry them): "
            "analyze the Summary that abtest.summarize returned"
        )
    rows = rows.set_index("variant").reindex(variants)
    return OrderStats(
        float(rows["q"].dropna().iloc[0]),
        str(rows["among"].dropna().iloc[0]),
        rows["n"].fillna(0).to_numpy(dtype=float),
        *(rows[c].to_numpy(dtype=float) for c in ("quantile", "lower", "upper")),
    )


def only_looks(days: list, arr: dict[str, np.ndarray], keep: np.ndarray) -> tuple[list, dict]:
    """The looks marked in ``keep``: their days and (variants, looks) arrays."""
    return [d for d, k in zip(days, keep, strict=True) if k], {
        k: v[:, keep] for k, v in arr.items()
    }


@dataclass(frozen=True)
class Arms:
    """Control (a) against each treatment (b): units, mean and unit variance per arm,
    the reference distribution of the test, and the CUPED variance reduction per
    treatment (None when the comparisons are not adjusted)."""

    n_a: np.ndarray
    mean_a: np.ndarray
    var_a: np.ndarray
    n_b: np.ndarray
    mean_b: np.ndarray
    var_b: np.ndarray
    reference: str  # "normal" | "welch"
    variance_reduction: np.ndarray | None = None

    @property
    def args(self) -> tuple[np.ndarray, ...]:
        return (self.n_a, self.mean_a, self.var_a, self.n_b, self.mean_b, self.var_b)


def comparison_arms(m: MetricSums) -> Arms:
    """What each treatment-vs-control comparison of ``m`` runs on.

    Conversions: the rates with ``var = p (1 - p)`` and the normal reference (the
    unpooled z-test); values: the means and sample variances with Welch's t. When the
    Summary carries the pre-period covariate sums and CUPED is well-posed
    (:func:`cuped_applies`, and a positive adjusted variance for every comparison),
    both kinds are compared on the CUPED-adjusted means and variances with Welch's t
    (:func:`abtest.stats.cuped_sums`, theta pooled over the control and that
    treatment: :func:`abtest.stats.cuped_test`'s comparison; for a conversion the
    regression adjustment GrowthBook applies to binomial metrics).
    """
    from abtest.stats import cuped_sums
    from abtest.stats.means import mean_var_from_sums

    s = m.sums
    if cuped_applies(m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c = cuped_sums(s[0], s[1:])
        # a covariate that explains the metric exactly leaves no variance to test with
        if np.all(np.isfinite(c.se) & (np.asarray(c.se) > 0)):
            for w in caught:  # the warnings of the result kept, not of one dropped
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            na, ma, va = mean_var_from_sums(*c.a.arrays)
            nb, mb, vb = mean_var_from_sums(*c.b.arrays)
            reduction = np.broadcast_to(c.variance_reduction, nb.shape).astype(float)
            return Arms(na, ma, va, nb, mb, vb, "welch", reduction)
    if m.kind == "binary":
        p = s.mean
        var = p * (1 - p)
        return Arms(s.n[0], p[0], var[0], s.n[1:], p[1:], var[1:], "normal")
    _, mean, var = mean_var_from_sums(*s.outcome.arrays)
    return Arms(s.n[0], mean[0], var[0], s.n[1:], mean[1:], var[1:], "welch")


def cuped_applies(m: MetricSums) -> bool:
    """Whether CUPED is well-posed for this metric: covariate sums and every arm
    :func:`cuped_enough`. Elsewhere the plain test is used."""
    return isinstance(m.sums, CovariateSums) and bool(
        np.all(cuped_enough(m.kind, m.sums.n, m.sums.sum))
    )


#: Converting and non-converting units each arm needs before a conversion goal's z-test
#: (the normal approximation of a rate, n p >= 10 and n (1 - p) >= 10) may name a winner
NORMAL_ENOUGH = 10


def too_few_for_normal(m: MetricSums, variants: list[str]) -> str | None:
    """The arms of conversion goal ``m`` with fewer than :data:`NORMAL_ENOUGH` converting
    or non-converting units, said ("control 0 of 10, b 3 of 10"); None when every arm
    has enough (or ``m`` is not a conversion). Below that the unpooled z-test is
    overconfident: 0/10 against 3/10 gives p = 0.038, Fisher's exact test 0.21."""
    if m.kind != "binary":
        return None
    n, conv = np.asarray(m.sums.n, dtype=float), np.asarray(m.sums.sum, dtype=float)
    few = (conv < NORMAL_ENOUGH) | (n - conv < NORMAL_ENOUGH)
    if not few.any():
        return None
    return ", ".join(f"{v} {conv[i]:,.0f} of {n[i]:,.0f}" for i, v in enumerate(variants) if few[i])


def too_few_for_quantile(m: MetricSums, variants: list[str]) -> str | None:
    """The arms of quantile goal ``m`` with fewer values than its order-statistic test
    takes (:func:`abtest.stats.quantiles.min_values`), said ("b 10 of 35 needed"); None
    when every arm has enough (or ``m`` is not a quantile goal)."""
    if m.order is None:
        return None
    o = m.order
    few = [f"{v} {n:,.0f}" for v, n, short in zip(variants, o.n, o.short, strict=True) if short]
    return f"{', '.join(few)}; it needs {o.need} per variant" if few else None


#: Units each arm needs before CUPED adjusts a value goal. Welch's test on the adjusted
#: variances does not count the degree of freedom spent on theta: in a seeded A/A
#: simulation (normal data, correlation 0.7; a review helper's) it rejected 10.5% at 3
#: units per arm, 7.8% at 5, 6.4% at 10 and 5.3% at 20, where the exact OLS t-test of
#: y ~ T + x held 5% (tests/analysis/test_cuped_small_samples.py).
CUPED_MIN_UNITS = 20


def cuped_enough(kind: str, n: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per arm (elementwise): at least :data:`CUPED_MIN_UNITS` units and, for a
    conversion, at least 10 converting and 10 non-converting units (the normal
    approximation of an adjusted rate; with fewer, the adjusted control rate can approach
    0 and a lift on it means nothing)."""
    enough = n >= CUPED_MIN_UNITS
    if kind == "binary":
        enough = enough & (total >= NORMAL_ENOUGH) & (n - total >= NORMAL_ENOUGH)
    return enough
