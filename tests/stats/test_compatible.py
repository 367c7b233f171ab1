"""compatible_levels: corrected p-values equal statsmodels' ``multipletests``, and each
row's level agrees with its decision (p < level exactly when significant)."""

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from abtest.stats.compatible import compatible_levels

SM = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh"}


@pytest.mark.parametrize("correction", ["holm", "bonferroni", "bh", "none"])
def test_levels_agree_with_the_decisions(correction):
    rng = np.random.default_rng(11)
    hits = 0
    for i in range(3000):
        m = int(rng.integers(1, 7))
        # a mix of true effects (tiny p) and nulls (uniform p), with ties now and then
        p = np.where(rng.random(m) < 0.4, rng.uniform(0, 0.03, m), rng.uniform(0, 1, m))
        if m > 2 and rng.random() < 0.1:
            p[1] = p[0]
        r = compatible_levels(p, correction, 0.05)
        assert ((p < r.level) == r.significant).all(), (p, r)
        assert (r.significant == (r.p_adjusted < 0.05)).all()
        assert (r.level <= 0.05 + 1e-15).all()
        if correction in SM and i < 40:  # statsmodels' Holm runs gc.collect() per call
            expected = multipletests(p, alpha=0.05, method=SM[correction])[1]
            np.testing.assert_allclose(r.p_adjusted, expected, rtol=1e-12)
        hits += int(r.significant.sum())
    assert 500 < hits < 8000  # both decisions well represented


def test_holm_levels_follow_the_steps():
    # Holm on 4 p-values at 0.05: steps 0.0125, 0.0167, 0.025 (0.03 > 0.025 stops it)
    r = compatible_levels([0.001, 0.03, 0.014, 0.5], "holm")
    assert r.significant.tolist() == [True, False, True, False]
    assert r.level.tolist() == pytest.approx([0.0125, 0.025, 0.05 / 3, 0.025])


def test_bh_levels_are_the_false_coverage_rate_levels():
    # BH at 0.05 on 4 p-values rejects R = 2 (0.02 <= 2 x 0.0125): every level R alpha / m
    r = compatible_levels([0.001, 0.02, 0.04, 0.5], "bh")
    assert r.significant.tolist() == [True, True, False, False]
    assert r.level.tolist() == pytest.approx([0.025] * 4)


def test_nan_rows_are_left_out_of_the_family():
    r = compatible_levels([np.nan, 0.02, 0.04], "bonferroni")
    assert r.significant.tolist() == [False, True, False]
    assert r.level.tolist() == pytest.approx([0.025] * 3)


def test_bad_p_values_name_the_element():
    with pytest.raises(ValueError, match=r"p_values\[1\] = 1.5"):
        compatible_levels([0.5, 1.5])
