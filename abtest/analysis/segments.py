"""Lead sources and other segments: the primary goal's lift in each segment, and whether
the effect really differs between them.

For each segment column of the Summary (``summarize(..., by="source")``) and each
treatment, per segment value: the treatment's lift over the control with the same
unpooled test the analysis uses (:func:`abtest.stats.wald_test`; z for conversions,
Welch for values), corrected across the segments of the column (Holm by default, BH
optional) with each interval at the level its decision was taken at
(:func:`abtest.stats.compatible_levels`), so flag, p-value and interval agree.

Whether the effect differs: Cochran's Q on the per-segment log ratios
``log(mean_b / mean_a)``, weights ``1/var`` with the delta-method variance
``var_b/(n_b m_b^2) + var_a/(n_a m_a^2)``: ``Q = sum w_i (y_i - ybar_w)^2`` against
chi-square with (segments - 1) degrees of freedom (Cochran 1954; the test a
meta-analysis runs on study estimates, e.g. R ``metafor::rma(method="FE")``'s ``QE``).
Segments without conversions in an arm have no log ratio and are left out of Q (and said
so). A quantile goal is compared on each segment value's order statistics from the
engine (``Summary.quantiles``; values with fewer than 2 in an arm left out), its log
ratio's variance by the delta method on the order-statistic standard errors. A segment
that "wins" while Q is not significant is most likely noise: the reports warn against
crowning it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from abtest.design import Design
from abtest.stats.compatible import compatible_levels
from abtest.stats.means import mean_var_from_sums
from abtest.stats.quantiles import quantile_test_from_order_stats
from abtest.stats.wald import wald_test

COLUMNS = (
    "segment", "value", "variant", "n_control", "n", "mean_control", "mean", "lift",
    "lift_low", "lift_high", "p_value", "p_adjusted", "significant", "ci_level",
    "heterogeneity_q", "heterogeneity_df", "heterogeneity_p",
)  # fmt: skip
HETEROGENEITY = ("segment", "variant", "q", "df", "p_value", "segments_used")


def cochran_q(log_ratio: np.ndarray, var: np.ndarray) -> tuple[float, int, float]:
    """Cochran's Q of estimates ``log_ratio`` with variances ``var`` (finite ones only):
    ``(Q, df, p)``; NaN with fewer than two usable estimates."""
    ok = np.isfinite(log_ratio) & np.isfinite(var) & (var > 0)
    y, w = log_ratio[ok], 1.0 / var[ok]
    if len(y) < 2:
        return float("nan"), 0, float("nan")
    pooled = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - pooled) ** 2))
    df = len(y) - 1
    return q, df, float(stats.chi2.sf(q, df))


def segment_table(design: Design, summary: Any, correction: str = "holm") -> pd.DataFrame | None:
    """Per-segment lifts of the primary goal (``COLUMNS``), each row with its segment
    column's heterogeneity test; None without segments in the Summary."""
    tables = _segment_tables(design, summary, correction)
    if tables is None:
        return None
    lifts, het = tables
    het = het.rename(columns={"q": "heterogeneity_q", "df": "heterogeneity_df",
                              "p_value": "heterogeneity_p"})  # fmt: skip
    out = lifts.drop(columns=[c for c in lifts.columns if c.startswith("heterogeneity_")])
    out = out.merge(het.drop(columns="segments_used"), on=["segment", "variant"], how="left")
    return out[list(COLUMNS)]


def _segment_tables(
    design: Design, summary: Any, correction: str = "holm"
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(per-segment lifts, heterogeneity tests) of the primary goal; None without
    segments in the Summary."""
    if not summary.segments:
        return None
    f = summary.latest(design.experiment)
    f = f[f["metric"] == design.primary]
    control, treatments = design.variants[0], list(design.variants[1:])
    quantile = (f["kind"] == "quantile").any()
    rows, het = [], []
    for col in summary.segments:
        if quantile:  # the order statistics of each segment value, from the engine
            qt = summary.order_stats(design.primary, design.experiment, col)
            g = qt.groupby([col, "variant"])[list(ORDER)].first()
            g = g[g["n"] >= 2]  # a quantile's interval needs 2 values
        else:
            g = f.groupby([col, "variant"], observed=True)[["n", "sum", "sum_sq"]].sum()
        values = sorted({v for v, _ in g.index}, key=str)
        binary = (f["kind"] == "binary").all()
        for t in treatments:
            have = [v for v in values if (v, control) in g.index and (v, t) in g.index]
            if not have:
                continue
            a = g.loc[[(v, control) for v in have]].to_numpy(float).T
            b = g.loc[[(v, t) for v in have]].to_numpy(float).T
            if quantile:
                q = float(qt["q"].iloc[0])
                rows += _quantile_rows(col, have, t, a, b, q, design.alpha, correction)
                het.append(_quantile_heterogeneity(col, t, a, b, q))
                continue
            rows += _rows(col, have, t, a, b, binary, design.alpha, correction)
            het.append(_heterogeneity(col, t, a, b))
    if not rows:
        return None
    lifts = pd.DataFrame(rows, columns=[c for c in COLUMNS if not c.startswith("heterogeneity")])
    return lifts, pd.DataFrame(het, columns=list(HETEROGENEITY))


def _moments(arm: np.ndarray, binary: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, s, sq = arm
    if binary:
        with np.errstate(divide="ignore", invalid="ignore"):
            p = s / n
        return n, p, p * (1 - p)
    n2, mean, var = mean_var_from_sums(n, s, sq)
    return n2, mean, var


def _rows(col, have, t, a, b, binary, alpha, correction) -> list[dict]:
    na, ma, va = _moments(a, binary)
    nb, mb, vb = _moments(b, binary)
    reference = "normal" if binary else "welch"
    first = wald_test(na, ma, va, nb, mb, vb, reference=reference, alpha=alpha)
    p = np.asarray(first.p_value, dtype=float)
    levels = compatible_levels(np.where(np.isfinite(p), p, np.nan), correction, alpha)
    r = wald_test(na, ma, va, nb, mb, vb, reference=reference, alpha=levels.level)
    lift_ci = np.asarray(r.lift_ci, dtype=float)
    out = []
    for i, value in enumerate(have):
        out.append(
            dict(segment=col, value=value, variant=t, n_control=int(na[i]), n=int(nb[i]),
                 mean_control=float(ma[i]), mean=float(mb[i]), lift=float(np.asarray(r.lift)[i]),
                 lift_low=float(lift_ci[0, i]), lift_high=float(lift_ci[1, i]),
                 p_value=float(p[i]), p_adjusted=float(levels.p_adjusted[i]),
                 significant=bool(levels.significant[i]), ci_level=float(1 - levels.level[i]))
        )  # fmt: skip
    return out


ORDER = ("n", "quantile", "lower", "upper")  # a quantile goal's order statistics per arm


def _quantile_rows(col, have, t, a, b, q, alpha, correction) -> list[dict]:
    """:func:`_rows` for a quantile goal: the order-statistic test of each segment's
    quantiles (:func:`abtest.stats.quantile_test_from_order_stats`), ``mean`` the
    quantile and ``n`` its population."""
    first = quantile_test_from_order_stats(*a, *b, q=q, alpha=alpha)
    p = np.asarray(first.p_value, dtype=float)
    levels = compatible_levels(np.where(np.isfinite(p), p, np.nan), correction, alpha)
    r = quantile_test_from_order_stats(*a, *b, q=q, alpha=levels.level)
    lift = np.atleast_1d(r.lift)
    low, high = (np.atleast_1d(end) for end in r.lift_ci)
    return [
        dict(segment=col, value=value, variant=t, n_control=int(a[0, i]), n=int(b[0, i]),
             mean_control=float(a[1, i]), mean=float(b[1, i]), lift=float(lift[i]),
             lift_low=float(low[i]), lift_high=float(high[i]), p_value=float(p[i]),
             p_adjusted=float(levels.p_adjusted[i]), significant=bool(levels.significant[i]),
             ci_level=float(1 - levels.level[i]))
        for i, value in enumerate(have)
    ]  # fmt: skip


def _quantile_heterogeneity(col: str, t: str, a: np.ndarray, b: np.ndarray, q: float) -> dict:
    """Cochran's Q on the log ratios of the segments' quantiles, variance by the delta
    method ``se_b^2 / q_b^2 + se_a^2 / q_a^2`` (the order-statistic standard errors)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = quantile_test_from_order_stats(*a, *b, q=q)
        y = np.log(b[1] / a[1])
        var = np.asarray(r.se_b) ** 2 / b[1] ** 2 + np.asarray(r.se_a) ** 2 / a[1] ** 2
    qstat, df, p = cochran_q(y, var)
    used = int(np.sum(np.isfinite(y) & np.isfinite(var) & (var > 0)))
    return dict(segment=col, variant=t, q=qstat, df=df, p_value=p, segments_used=used)


def _heterogeneity(col: str, t: str, a: np.ndarray, b: np.ndarray) -> dict:
    na, sa, sqa = a
    nb, sb, sqb = b
    _, ma, va = mean_var_from_sums(na, sa, sqa)
    _, mb, vb = mean_var_from_sums(nb, sb, sqb)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(mb / ma)
        var = vb / (nb * mb**2) + va / (na * ma**2)
    q, df, p = cochran_q(y, var)
    used = int(np.sum(np.isfinite(y) & np.isfinite(var) & (var > 0)))
    return dict(segment=col, variant=t, q=q, df=df, p_value=p, segments_used=used)


def segment_note(table: pd.DataFrame | None, alpha: float) -> str | None:
    """What the segments say, in one sentence (the warning against a post-hoc crown)."""
    if table is None or table.empty:
        return None
    out = []
    for (col, variant), part in table.groupby(["segment", "variant"], sort=False):
        p, q, df = (part[c].iloc[0] for c in ("heterogeneity_p", "heterogeneity_q",
                                              "heterogeneity_df"))  # fmt: skip
        hits = part[part["significant"]]
        if np.isfinite(p) and p < alpha:
            out.append(
                f"{variant}'s effect differs by {col} (Cochran's Q = {q:.1f}, df {int(df)}, "
                f"p = {p:.2g})"
            )
        elif len(hits) == len(part):
            out.append(f"{variant} is significant in every {col} value and its effect does "
                       f"not differ detectably between them (Cochran's Q p = {p:.2g})")  # fmt: skip
        elif len(hits):
            names = ", ".join(map(str, hits["value"]))
            out.append(
                f"{variant} is significant in {col} {names}, but the effect does not differ "
                f"detectably between {col} values (Cochran's Q p = {p:.2g}): do not crown a "
                "segment found after the fact; read the overall result"
            )
        else:
            out.append(f"{variant}'s effect does not differ detectably by {col} "
                       f"(Cochran's Q p = {p:.2g})")  # fmt: skip
    return "; ".join(out) or None
