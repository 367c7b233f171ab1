"""One goal's sufficient statistics per variant, and what the comparisons run on.

:class:`MetricArrays` holds ``n, sum, sum_sq`` (and the CUPED covariate sums when the
Summary has them) per variant, control first. :func:`comparison_arms` turns it into
the per-arm ``(n, mean, unit variance)`` every treatment-vs-control comparison of the
fixed-horizon and guardrail tests runs on: CUPED-adjusted where it is well-posed, the
plain means otherwise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from abtest.data.summary import COVARIATE, Summary


@dataclass(frozen=True)
class MetricArrays:
    """One metric's statistics per variant (control first)."""

    metric: str
    kind: str  # "binary" | "value"
    n: np.ndarray
    sum: np.ndarray
    sum_sq: np.ndarray
    covariate: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # sum_x, sum_x_sq, sum_xy

    @property
    def mean(self) -> np.ndarray:
        return self.sum / self.n

    def take(self, index: list[int]) -> MetricArrays:
        """The arms at ``index`` (e.g. ``[0, j]``: the control and treatment j)."""
        cov = None if self.covariate is None else tuple(c[index] for c in self.covariate)
        return MetricArrays(
            self.metric, self.kind, self.n[index], self.sum[index], self.sum_sq[index], cov
        )


def metric_arrays(
    summary: Summary, experiment: str, variants: list[str], metrics: list[str]
) -> dict[str, MetricArrays]:
    """The :class:`MetricArrays` of each of ``metrics``, arms in ``variants`` order, from
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
        arr = {c: values[c][idx] for c in cols}
        cov = tuple(arr[c] for c in COVARIATE) if all(c in arr for c in COVARIATE) else None
        out[metric] = MetricArrays(
            metric, str(kinds[metric]), arr["n"], arr["sum"], arr["sum_sq"], cov
        )
    return out


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


def comparison_arms(m: MetricArrays) -> Arms:
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

    if cuped_applies(m):
        sx, sxx, sxy = m.covariate
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            c = cuped_sums(
                m.n[0], m.sum[0], m.sum_sq[0], sx[0], sxx[0], sxy[0],
                m.n[1:], m.sum[1:], m.sum_sq[1:], sx[1:], sxx[1:], sxy[1:],
            )  # fmt: skip
        # a covariate that explains the metric exactly leaves no variance to test with
        if np.all(np.isfinite(c.se) & (np.asarray(c.se) > 0)):
            for w in caught:  # the warnings of the result kept, not of one dropped
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            na, ma, va = mean_var_from_sums(c.n_a, c.sum_a, c.sum_sq_a)
            nb, mb, vb = mean_var_from_sums(c.n_b, c.sum_b, c.sum_sq_b)
            reduction = np.broadcast_to(c.variance_reduction, nb.shape).astype(float)
            return Arms(na, ma, va, nb, mb, vb, "welch", reduction)
    if m.kind == "binary":
        p = m.mean
        var = p * (1 - p)
        return Arms(m.n[0], p[0], var[0], m.n[1:], p[1:], var[1:], "normal")
    _, mean, var = mean_var_from_sums(m.n, m.sum, m.sum_sq)
    return Arms(m.n[0], mean[0], var[0], m.n[1:], mean[1:], var[1:], "welch")


def cuped_applies(m: MetricArrays) -> bool:
    """Whether CUPED is well-posed for this metric: covariate sums and every arm
    :func:`cuped_enough`. Elsewhere the plain test is used."""
    return m.covariate is not None and bool(np.all(cuped_enough(m.kind, m.n, m.sum)))


def cuped_enough(kind: str, n: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per arm (elementwise): at least 2 units and, for a conversion, at least 10
    converting and 10 non-converting units (the normal approximation of an adjusted
    rate; with fewer, the adjusted control rate can approach 0 and a lift on it
    means nothing)."""
    enough = n >= 2
    if kind == "binary":
        enough = enough & (total >= 10) & (n - total >= 10)
    return enough
