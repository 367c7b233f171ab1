"""Lift by segment (lead source): per-segment tests corrected across segments, Cochran's
Q for whether the effect differs, and the warning against a post-hoc crown."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import abtest
from abtest.analysis.segments import cochran_q
from abtest.stats import wald_test


def summary(cells: dict[str, tuple[int, int, int, int]]) -> abtest.Summary:
    """{source: (conversions a, units a, conversions b, units b)} as a segmented Summary."""
    rows = []
    for source, (ca, na, cb, nb) in cells.items():
        for v, c, n in (("a", ca, na), ("b", cb, nb)):
            row = {"experiment": "x", "variant": v, "metric": "lead", "kind": "binary"}
            rows.append(row | {"n": n, "sum": float(c), "sum_sq": float(c), "source": source})
    return abtest.Summary(pd.DataFrame(rows), segments=["source"])


def test_cochran_q_by_hand():
    # three estimates 0.1, 0.3, 0.2 with variances 0.01, 0.02, 0.04: weights 100, 50, 25;
    # pooled = (10 + 15 + 5) / 175 = 0.171428...; Q = 100 (0.0714)^2 + 50 (0.1286)^2
    # + 25 (0.0286)^2 = 0.5102 + 0.8265 + 0.0204 = 1.3571...
    q, df, p = cochran_q(np.array([0.1, 0.3, 0.2]), np.array([0.01, 0.02, 0.04]))
    pooled = (100 * 0.1 + 50 * 0.3 + 25 * 0.2) / 175
    want = 100 * (0.1 - pooled) ** 2 + 50 * (0.3 - pooled) ** 2 + 25 * (0.2 - pooled) ** 2
    assert q == pytest.approx(want, rel=1e-12) and q == pytest.approx(1.357142857, rel=1e-8)
    assert df == 2 and p == pytest.approx(stats.chi2.sf(want, 2), rel=1e-12)


def test_each_segment_is_the_wald_test_of_its_counts_corrected_by_holm():
    cells = {"google": (300, 3000, 390, 3000), "email": (100, 1000, 105, 1000),
             "direct": (200, 2000, 230, 2000)}  # fmt: skip
    a = abtest.analyze(summary(cells))
    seg = a.segments.set_index("value")
    ca, na, cb, nb = cells["google"]
    pa, pb = ca / na, cb / nb
    ref = wald_test(na, pa, pa * (1 - pa), nb, pb, pb * (1 - pb), reference="normal")
    assert seg.loc["google", "p_value"] == pytest.approx(float(ref.p_value), rel=1e-12)
    assert seg.loc["google", "lift"] == pytest.approx(0.3, rel=1e-12)
    # Holm over the three sources: the smallest p times 3
    p = seg["p_value"].sort_values()
    assert seg.loc[p.index[0], "p_adjusted"] == pytest.approx(3 * p.iloc[0], rel=1e-12)
    # flag, corrected p and interval agree row by row
    for _, r in seg.iterrows():
        assert bool(r["significant"]) == (r["lift_low"] > 0 or r["lift_high"] < 0)


def test_differing_effect_is_detected_and_a_lucky_segment_is_not_crowned():
    # google +40%, facebook -10% (both large): the effect differs, Q's p is tiny
    differ = {"google": (500, 5000, 700, 5000), "facebook": (500, 5000, 450, 5000)}
    a = abtest.analyze(summary(differ))
    assert a.segments["heterogeneity_p"].iloc[0] < 1e-6
    assert "b's effect differs by source" in dict(a.notes)["Segments"]
    # the same +10% everywhere, one segment happens to cross the line: no crown
    same = {"google": (1000, 10000, 1110, 10000), "email": (100, 1000, 110, 1000),
            "direct": (100, 1000, 111, 1000)}  # fmt: skip
    a = abtest.analyze(summary(same))
    note = dict(a.notes)["Segments"]
    assert "b is significant in source google" in note
    assert "do not crown a segment found after the fact" in note
    assert "Segments" in a.to_text() and a.to_dict()["segments"][0]["segment"] == "source"
