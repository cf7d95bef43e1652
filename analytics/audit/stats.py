"""The audit's statistics: cluster-robust adjusted differences, NPS and mean intervals, PSI, ROI.

Pure NumPy / SciPy on plain arrays and frames; formulas and references in each docstring
(docs/methods/audit.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from analytics.stats import CONFIDENCE, safe_ratio

#: Bootstrap resamples for the ROI interval.
ROI_BOOTSTRAP = 1000
_Z = float(sps.norm.ppf(0.5 + CONFIDENCE / 2))


@dataclass(frozen=True)
class Difference:
    """An adjusted difference (coefficient of the treatment) with its cluster-robust interval."""

    diff: float
    se: float
    lo: float
    hi: float
    p_value: float
    n: int
    n_clusters: int


def adjusted_difference(
    frame: pd.DataFrame,
    outcome: str,
    treatment: str,
    *,
    categorical: tuple[str, ...] = (),
    numeric: tuple[str, ...] = (),
    cluster: str,
    absorb: str | None = None,
    level: float = CONFIDENCE,
) -> Difference:
    """OLS coefficient of ``treatment`` with cluster-robust (CR1) standard errors.

    ``y = a + b * treatment + sum(c_k * dummies of categorical) + sum(d_k * numeric) + e``;
    with ``absorb`` the model has one fixed effect per ``absorb`` value (within
    transformation, so no intercept). Variance: ``G/(G-1) * (N-1)/(N-K) * (X'X)^-1
    (sum_g X_g' u_g u_g' X_g) (X'X)^-1``; the interval and p-value use a t distribution
    with ``G - 1`` degrees of freedom (Cameron & Miller 2015, "A Practitioner's Guide to
    Cluster-Robust Inference"). Rows with a missing value are dropped; fewer than 3
    clusters or no variation in the treatment give NaN.
    """
    needed = list(dict.fromkeys([outcome, treatment, *categorical, *numeric, cluster, *([absorb] if absorb else [])]))
    use = frame[needed].dropna()
    nan = Difference(math.nan, math.nan, math.nan, math.nan, math.nan, len(use), int(use[cluster].nunique()))
    if len(use) < 4 or use[treatment].nunique() < 2 or use[cluster].nunique() < 3:
        return nan
    parts = [use[[treatment]].astype(float)]
    if numeric:
        parts.append(use[list(numeric)].astype(float))
    for c in categorical:
        parts.append(pd.get_dummies(use[c].astype(str), prefix=c, drop_first=True, dtype=float))
    x = pd.concat(parts, axis=1)
    y = use[outcome].astype(float)
    if absorb:
        x = x - x.groupby(use[absorb]).transform("mean")
        y = y - y.groupby(use[absorb]).transform("mean")
    else:
        x.insert(0, "_const", 1.0)
    keep = [c for c in x.columns if c in (treatment, "_const") or x[c].std() > 1e-12]
    xm, ym = x[keep].to_numpy(float), y.to_numpy(float)
    if np.abs(xm[:, keep.index(treatment)]).max() < 1e-12:
        return nan
    beta, *_ = np.linalg.lstsq(xm, ym, rcond=None)
    u = ym - xm @ beta
    bread = np.linalg.pinv(xm.T @ xm)
    groups = pd.factorize(use[cluster])[0]
    scores = np.zeros((groups.max() + 1, xm.shape[1]))
    np.add.at(scores, groups, xm * u[:, None])
    g, n, k = scores.shape[0], len(ym), xm.shape[1]
    if n - k <= 0:
        return nan
    vcov = g / (g - 1) * (n - 1) / (n - k) * bread @ (scores.T @ scores) @ bread
    j = keep.index(treatment)
    b, se = float(beta[j]), float(math.sqrt(max(vcov[j, j], 0.0)))
    tcrit = float(sps.t.ppf(0.5 + level / 2, g - 1))
    p = float(2 * sps.t.sf(abs(b / se), g - 1)) if se > 0 else math.nan
    return Difference(b, se, b - tcrit * se, b + tcrit * se, p, n, g)


def nps_with_interval(values: np.ndarray) -> tuple[float, float, float]:
    """NPS of responses coded +100 / 0 / -100, with its normal 95% interval.

    With promoter share p and detractor share d over n responses, NPS = 100 (p - d) and
    Var = 100^2 (p + d - (p - d)^2) / n.
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    if n == 0:
        return math.nan, math.nan, math.nan
    p, d = float(np.mean(v > 0)), float(np.mean(v < 0))
    nps = 100 * (p - d)
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return nps, nps - _Z * se, nps + _Z * se


def mean_with_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean with its t interval (NaN bounds with fewer than 2 values)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, math.nan, math.nan
    half = float(sps.t.ppf(0.5 + CONFIDENCE / 2, len(v) - 1)) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return m, m - half, m + half


def psi(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected`` over deciles of ``expected``.

    PSI = sum_i (a_i - e_i) ln(a_i / e_i) with bin shares floored at 0.0001 (Siddiqi 2006).
    Below 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, above 0.25 as a
    large shift.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if len(e) < bins or len(a) == 0:
        return math.nan
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    ei = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(e)
    ai = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(a)
    ei, ai = np.maximum(ei, 1e-4), np.maximum(ai, 1e-4)
    return float(np.sum((ai - ei) * np.log(ai / ei)))


def roi_with_interval(cur: pd.DataFrame, prev: pd.DataFrame, seed: int) -> tuple[float, float, float, float]:
    """ROI of ``cur`` against ``prev`` with a rep bootstrap interval: ``(roi, lo, hi, gp_prev)``.

    ``cur`` and ``prev`` hold rep-quarter rows (``rep_id``, ``gross_profit``, and in ``cur``
    ``incentive_pay``). ROI = (sum of gross profit in ``cur`` - in ``prev``) / incentive pay in
    ``cur``; the 95% interval resamples reps (nonparametric bootstrap, Efron & Tibshirani 1993,
    :data:`ROI_BOOTSTRAP` draws with ``seed``).
    """
    if not len(prev) or not len(cur):
        return math.nan, math.nan, math.nan, math.nan
    g_cur = cur.groupby("rep_id")["gross_profit"].sum()
    g_prev = prev.groupby("rep_id")["gross_profit"].sum()
    c_cur = cur.groupby("rep_id")["incentive_pay"].sum()
    reps = g_cur.index.union(g_prev.index)
    a = g_cur.reindex(reps, fill_value=0.0).to_numpy(float)
    b = g_prev.reindex(reps, fill_value=0.0).to_numpy(float)
    c = c_cur.reindex(reps, fill_value=0.0).to_numpy(float)
    roi = float(safe_ratio(a.sum() - b.sum(), c.sum()))
    if math.isnan(roi) or len(reps) < 2:
        return roi, math.nan, math.nan, float(b.sum())
    rng = np.random.default_rng(seed)
    w = rng.multinomial(len(reps), np.full(len(reps), 1 / len(reps)), size=ROI_BOOTSTRAP).astype(float)
    boot = safe_ratio(w @ (a - b), w @ c)
    boot = boot[~np.isnan(boot)]
    lo, hi = np.quantile(boot, [(1 - CONFIDENCE) / 2, 1 - (1 - CONFIDENCE) / 2])
    return roi, float(lo), float(hi), float(b.sum())
