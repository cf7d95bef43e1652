"""Coverage of the adjusted-effect interval on data simulated with a known effect.

Each of 200 seeds draws a small organisation (40 reps x 60 leads) where rep skill drives
both the use of the talk track and conversion, and the talk track multiplies conversion by
1.2. The truth is the population average effect: relative lift 0.2, absolute difference
0.2 x E[p0] with E[p0] = sum_seg P(seg) base(seg) x sum_src P(src) mult(src) (the skill
factor has mean 1). A valid 95% interval covers the truth in about 95% of the seeds; we
accept 90-98% (the Monte Carlo SE with 200 seeds is 1.5 points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import talk_tracks as tt

SEEDS = 200
REPS, PER_REP = 40, 60
LIFT = 0.2
SEG_P, BASE = np.array([0.6, 0.4]), np.array([0.12, 0.06])
SRC_P, MULT = np.array([0.3, 0.4, 0.3]), np.array([0.8, 1.0, 1.5])
TRUE_DIFF = LIFT * float(SEG_P @ BASE) * float(SRC_P @ MULT)


def simulate(seed: int, lift: float = LIFT):
    """One small organisation; returns the design, treatment, outcome and rep of each lead."""
    rng = np.random.default_rng(seed)
    skill = rng.standard_normal(REPS)
    rep = np.repeat(np.arange(REPS), PER_REP)
    n = len(rep)
    seg = (rng.random(n) < SEG_P[1]).astype(int)
    src = rng.choice(3, n, p=SRC_P)
    propensity = 1 / (1 + np.exp(-(-0.3 + 0.8 * skill[rep] + 0.6 * (seg == 0))))
    treated = rng.random(n) < propensity
    p0 = BASE[seg] * MULT[src] * np.exp(0.35 * skill[rep] - 0.35**2 / 2)
    converted = rng.random(n) < p0 * np.where(treated, 1 + lift, 1.0)
    x, _ = tt.one_hot(pd.DataFrame({"seg": seg, "src": src, "rep": rep}), ("seg", "src", "rep"))
    return x, treated, converted, rep


@pytest.mark.slow
def test_interval_covers_the_truth_about_95_percent_of_the_time():
    cover_diff = cover_lift = 0
    estimates, raw = [], []
    for seed in range(SEEDS):
        x, t, y, rep = simulate(seed)
        est = tt.aipw(x, t, y, rep, n_boot=400, seed=seed)
        cover_diff += est.diff_lo <= TRUE_DIFF <= est.diff_hi
        cover_lift += est.lift_lo <= LIFT <= est.lift_hi
        estimates.append(est.lift)
        raw.append(y[t].mean() / y[~t].mean() - 1)
    assert 0.90 <= cover_diff / SEEDS <= 0.98, cover_diff / SEEDS
    assert 0.90 <= cover_lift / SEEDS <= 0.98, cover_lift / SEEDS
    # the adjusted estimate is centred on the truth; the raw comparison is biased upwards
    assert abs(np.mean(estimates) - LIFT) < 0.03
    assert np.mean(raw) > LIFT + 0.3


@pytest.mark.slow
def test_false_positive_rate_under_no_effect_is_about_5_percent():
    rejections = 0
    for seed in range(SEEDS):
        x, t, y, rep = simulate(10_000 + seed, lift=0.0)
        est = tt.aipw(x, t, y, rep, n_boot=400, seed=seed)
        rejections += est.p_value < 0.05
    assert 0.02 <= rejections / SEEDS <= 0.10, rejections / SEEDS
