"""Shared statistics helpers against statsmodels and hand-worked values."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from analytics.stats import benjamini_hochberg, holm, safe_ratio, wilson


@pytest.mark.parametrize("seed", range(5))
def test_holm_and_bh_match_statsmodels(seed):
    p = np.random.default_rng(seed).uniform(0, 0.2, 12)
    p[3] = p[7]  # a tie
    assert np.allclose(holm(p), multipletests(p, method="holm")[1])
    assert np.allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1])


def test_adjustments_by_hand_and_with_missing_values():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    assert np.allclose(holm(p), [0.03, np.nan, 0.06, 0.06], equal_nan=True)  # 3x0.01; max(2x0.03, .03); 1x0.04
    assert np.allclose(benjamini_hochberg(p), [0.03, np.nan, 0.04, 0.04], equal_nan=True)
    assert holm(np.array([])).size == 0


def test_wilson_and_safe_ratio():
    lo, hi = wilson(np.array([0, 5]), np.array([0, 10]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    assert lo[1] == pytest.approx(0.2365930, abs=1e-6) and hi[1] == pytest.approx(0.7634070, abs=1e-6)
    assert np.isnan(safe_ratio(1.0, 0.0)) and safe_ratio(3.0, 2.0) == 1.5
