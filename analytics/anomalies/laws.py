"""Sampling laws of the detector's residuals: mid-p normal scores, the translated gamma, bands.

Discrete laws (negative binomial for counts, binomial for proportions) use the mid-p score
``Phi^-1(P(X < x) + P(X = x)/2)`` (Lancaster 1961); sums and means of deal amounts use the
translated gamma matching the first three moments (Seal 1977). A unit-week tested on ``k``
series uses the Bonferroni-adjusted threshold :func:`adjusted_threshold`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import binom, nbinom, norm
from scipy.stats import gamma as gamma_dist

#: Residuals are clipped to this many standard deviations (a tail probability underflows beyond).
Z_CAP = 50.0


def midp_z(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Normal score of a mid-p tail pair (``lower + upper = 1``), precise in both tails."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(lower < upper, norm.ppf(lower), norm.isf(upper))
    return np.clip(z, -Z_CAP, Z_CAP)


def nbinom_midp_z(x: np.ndarray, size: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Mid-p normal score ``Phi^-1(P(X < x) + P(X = x)/2)``, X negative binomial (mean mu, shape size)."""
    p = size / (size + mu)
    f = nbinom.pmf(x, size, p)
    return midp_z(nbinom.cdf(x - 1, size, p) + 0.5 * f, nbinom.sf(x, size, p) + 0.5 * f)


def binom_midp_z(x: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Mid-p normal score for X ~ Binomial(n, p) (NaN where n is 0)."""
    p = np.clip(p, 0.0, 1.0)
    f = binom.pmf(x, n, p)
    z = midp_z(binom.cdf(x - 1, n, p) + 0.5 * f, binom.sf(x, n, p) + 0.5 * f)
    return np.where(n > 0, z, np.nan)


def discrete_band(dist: Any, alpha: np.ndarray, *args: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest / largest integer whose mid-p stays inside ``[alpha, 1 - alpha]``."""

    def midp(k: np.ndarray) -> np.ndarray:
        return dist.cdf(k - 1, *args) + 0.5 * dist.pmf(k, *args)

    k0 = dist.ppf(alpha, *args)
    lower = np.where(midp(k0) >= alpha, k0, k0 + 1)
    k1 = dist.ppf(1 - alpha, *args)
    upper = np.where(midp(k1) <= 1 - alpha, k1, k1 - 1)
    return lower, upper


def nanmedian_last(a: np.ndarray) -> np.ndarray:
    """Median over the last axis ignoring NaN (NaN where a row has none); fast for small rows."""
    srt = np.sort(a, axis=-1)  # NaN sort last
    n = np.isfinite(a).sum(axis=-1)
    lo = np.take_along_axis(srt, np.maximum((n - 1) // 2, 0)[..., None], axis=-1)[..., 0]
    hi = np.take_along_axis(srt, np.maximum(n // 2, 0)[..., None], axis=-1)[..., 0]
    return np.where(n > 0, (lo + hi) / 2, np.nan)


def amount_moments(s: dict[str, np.ndarray], rs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
    """Raw moments ``(m1, m2, m3)`` of one deal's amount for each series.

    The level ``m1`` is the series' own baseline mean; the *shape* (coefficient of variation
    and skewness) is pooled over every unit's deals of the same series in the same weeks, so a
    baseline with one or two deals still gets a sensible spread.
    """
    m1 = s["num"] / s["den"]
    n0 = s["den"] + rs["den"]
    a1, a2, a3 = ((s[c] + rs[c]) / n0 for c in ("num", "sq", "cu"))
    var = np.maximum(a2 - a1**2, 0.0)
    cv2 = var / a1**2
    skew = (a3 - 3 * a1 * a2 + 2 * a1**3) / np.where(var > 0, var, np.nan) ** 1.5
    sd = np.sqrt(cv2) * m1
    m2 = sd**2 + m1**2
    m3 = skew * sd**3 + 3 * m1 * m2 - 2 * m1**3
    return m1, m2, m3


def translated_gamma(
    mu: np.ndarray, var: np.ndarray, skew: np.ndarray, *, cap: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(shape, scale, shift)`` of the gamma matching mean, variance and skewness.

    X ~ shift + Gamma(shape, scale) with shape = 4/skew^2, scale = skew*sd/2, shift = mu - 2 sd/skew
    (the translated gamma approximation of actuarial science, Seal 1977). With ``cap`` the
    skewness is capped at 2 x the coefficient of variation, which keeps the shift <= 0: the
    lower tail then has no impossible lower bound above zero for very heavy-tailed amounts.
    The detector uses the capped fit for the lower tail and the uncapped one (the full
    skewness) for the upper tail. The skewness is floored at 1e-3 (then nearly normal).
    """
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.minimum(skew, 2 * sd / mu) if cap else skew
        g = np.clip(g, 1e-3, None)
        return 4 / g**2, g * sd / 2, mu - 2 * sd / g


def tg_tails(x: np.ndarray, mu: np.ndarray, var: np.ndarray, skew: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P(X <= x), P(X >= x))``: lower tail from the capped fit, upper tail from the full-skew fit."""
    shape, scale, shift = translated_gamma(mu, var, skew)
    lower = gamma_dist.cdf((x - shift) / scale, shape)
    shape, scale, shift = translated_gamma(mu, var, skew, cap=False)
    upper = gamma_dist.sf((x - shift) / scale, shape)
    return lower, upper


def two_sided_z(x: np.ndarray, mu: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Normal score from the tail on the side of ``mu`` that ``x`` lies on."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(x >= mu, norm.isf(upper), norm.ppf(lower))
    return np.clip(z, -Z_CAP, Z_CAP)


def adjusted_threshold(sensitivity: float, k: np.ndarray | int) -> np.ndarray:
    """Per-series z threshold when ``k`` series share one unit-week (Bonferroni)."""
    k = np.maximum(np.asarray(k, dtype=float), 1.0)
    return norm.isf(norm.sf(sensitivity) / k)
