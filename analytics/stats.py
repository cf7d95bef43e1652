"""Small statistical helpers shared by every analysis (intervals, adjustments).

Each wraps a well-kept library routine (statsmodels / scipy) so the same method is used
everywhere and documented once in docs/methods.md.
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint

#: Two-sided confidence level used throughout the product.
CONFIDENCE = 0.95


def wilson(
    successes: np.ndarray | int, trials: np.ndarray | int, *, level: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (vectorised).

    Returns ``(lo, hi)``; where ``trials`` is 0 both are NaN. Reference: Wilson (1927),
    via ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    safe_n = np.where(n > 0, n, 1.0)
    lo, hi = proportion_confint(k, safe_n, alpha=1 - level, method="wilson")
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


def safe_ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    """num / den with NaN (not inf, not an error) where den is 0 or missing."""
    num_a = np.asarray(num, dtype=float)
    den_a = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((den_a != 0) & ~np.isnan(den_a), num_a / np.where(den_a == 0, 1.0, den_a), np.nan)
    return out


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN entries stay NaN).

    Holm (1979): sort the m p-values ascending, multiply the i-th (0-based) by m - i, take
    the running maximum and cap at 1. Plain NumPy (statsmodels' multipletests gives the same
    numbers, tested, but runs a garbage collection on every call).
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m:
        vals = p[ok]
        order = np.argsort(vals, kind="mergesort")
        adj = np.minimum(np.maximum.accumulate(vals[order] * (m - np.arange(m))), 1.0)
        res = np.empty(m)
        res[order] = adj
        out[ok] = res
    return out


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (NaN entries stay NaN).

    Benjamini & Hochberg (1995): sort ascending, q_(i) = min over j >= i of p_(j) * m / j
    (1-based), capped at 1.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m:
        vals = p[ok]
        order = np.argsort(vals, kind="mergesort")
        scaled = vals[order] * m / np.arange(1, m + 1)
        q = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        res = np.empty(m)
        res[order] = q
        out[ok] = res
    return out
