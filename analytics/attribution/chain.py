"""The chain models: a first-order Markov chain over the journeys, its removal effects and
the Shapley value of the game it defines.

- ``markov``: first-order Markov chain over start -> channels -> conversion / null, fitted by
  transition counts; removal effect RE_k = 1 - v(N without k) / v(N), v = conversion
  probability from start, computed exactly from the absorbing chain (fundamental matrix,
  one linear solve per removal); credit proportional to RE (Anderl et al. 2016).
- ``shapley``: the Shapley value (Shapley 1953) of the game whose worth v(S) is the chain's
  conversion probability with only the channels in S left; exact over all 2^K coalitions,
  or permutation sampling (Castro et al. 2009) with its standard error.

For revenue the conversion state pays the mean revenue of conversions from the last
channel, so v(S) is the expected revenue per journey.
"""

from __future__ import annotations

from math import factorial

import numpy as np
from scipy import sparse

from analytics.attribution.journeys import Journeys, touch_layout

#: Elements per batch of linear systems (bounds memory).
_SOLVE_BATCH = 4_000_000


def _transition_matrix(j: Journeys) -> sparse.csr_matrix:
    """(rows x S^2) transition counts of one journey per row; states 0 = start, 1..K channels,
    K+1 = conversion, K+2 = null."""
    k = len(j.channels)
    s = k + 3
    lengths = np.diff(j.row_offsets)
    owner, pos, _ = touch_layout(j.row_offsets)
    state = j.row_touches + 1
    prev = np.where(pos == 0, 0, np.r_[0, state[:-1]])
    into = prev * s + state
    end_state = np.where(j.row_converted, k + 1, k + 2)
    last_state = state[j.row_offsets[1:][lengths > 0] - 1]
    rows_with = np.flatnonzero(lengths > 0)
    out = last_state * s + end_state[rows_with]
    data_rows = np.r_[owner, rows_with]
    cols = np.r_[into, out]
    return sparse.csr_matrix((np.ones(len(cols)), (data_rows, cols)), shape=(len(lengths), s * s))


def _last_state_of_conversions(j: Journeys) -> np.ndarray:
    """State (1..K) of the last touch of each converting journey."""
    return j.conv_touches[j.conv_offsets[1:] - 1] + 1


def chain_values(counts: np.ndarray, revenue_by_state: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Conversion probability and expected revenue per journey of the fitted chain, per coalition.

    Parameters
    ----------
    counts
        (B, S, S) transition counts (states: start, K channels, conversion, null).
    revenue_by_state
        (B, K + 1) revenue of the conversions whose last touch is each transient state.
    keep
        (M, K) bool: which channels each coalition keeps. A removed channel's incoming
        transitions go to null (the removal of Anderl et al. 2016).

    Returns
    -------
    ndarray
        (B, M, 2): v = e_start (I - Q_S)^-1 r for r = P(-> conversion) and r = revenue / visits,
        solved exactly (the fundamental matrix of the absorbing chain, Kemeny & Snell 1960).
    """
    b, s, _ = counts.shape
    t = s - 2  # transient states: start + K channels
    out = counts.sum(axis=2)[:, :t]
    safe = np.where(out > 0, out, 1.0)
    q = counts[:, :t, :t] / safe[:, :, None]
    r = np.stack([counts[:, :t, t] / safe, revenue_by_state / safe], axis=2)  # (B, t, 2)
    keep_t = np.c_[np.ones(len(keep), bool), keep].astype(float)  # (M, t), start always kept
    m = len(keep)
    result = np.empty((b, m, 2))
    eye = np.eye(t)
    per_rep = max(1, _SOLVE_BATCH // max(m * t * t, 1))
    for a in range(0, b, per_rep):
        z = min(b, a + per_rep)
        # transposed system: y (I - Q_S) = e_start, then v = y . r
        mat = eye[None, None] - q[a:z, None] * keep_t[None, :, None, :]
        rhs = np.zeros((z - a, m, t, 1))
        rhs[:, :, 0, 0] = 1.0
        y = np.linalg.solve(np.swapaxes(mat, -1, -2), rhs)[..., 0]  # (b, M, t)
        result[a:z] = np.matmul(y * keep_t[None], r[a:z])  # (b, M, t) @ (b, t, 2)
    return result


def _removal_masks(k: int) -> np.ndarray:
    """Row 0 keeps every channel; row 1 + i removes channel i."""
    keep = np.ones((k + 1, k), bool)
    keep[np.arange(1, k + 1), np.arange(k)] = False
    return keep


def removal_effects(values: np.ndarray) -> np.ndarray:
    """RE_k = 1 - v(N without k) / v(N) from :func:`chain_values` on :func:`_removal_masks`
    (shape (B, K + 1, 2) -> (B, K, 2)); 0 where v(N) = 0, never negative."""
    full = values[:, :1, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        re = np.where(full > 0, 1.0 - values[:, 1:, :] / np.where(full > 0, full, 1.0), 0.0)
    return np.clip(re, 0.0, None)


def _all_masks(k: int) -> np.ndarray:
    """(2^K, K) bool: coalition number m keeps channel i when bit i of m is set."""
    m = np.arange(2**k)
    return ((m[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)


def shapley_exact(values: np.ndarray, k: int) -> np.ndarray:
    """Shapley values from the worth of every coalition.

    ``values``: (B, 2^K, C) worths indexed by coalition bitmask. Returns (B, K, C) with
    phi_i = sum_{S not containing i} |S|! (K - |S| - 1)! / K! (v(S + i) - v(S)).
    """
    masks = np.arange(2**k)
    size = np.array([bin(x).count("1") for x in masks])
    weight = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) if s < k else 0.0 for s in size])
    out = np.empty((values.shape[0], k, values.shape[2]))
    for i in range(k):
        without = masks[(masks >> i) & 1 == 0]
        diff = values[:, without | (1 << i), :] - values[:, without, :]
        out[:, i, :] = np.einsum("s,bsc->bc", weight[without], diff)
    return out


def _permutation_masks(perms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct prefix coalitions of sampled orders, and each prefix's index (P, K + 1)."""
    p, k = perms.shape
    bits = np.zeros((p, k + 1), dtype=np.int64)
    bits[:, 1:] = np.cumsum(np.left_shift(1, perms), axis=1)
    uniq, inverse = np.unique(bits, return_inverse=True)
    keep = ((uniq[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
    return keep, inverse.reshape(p, k + 1)


def shapley_sampled(values: np.ndarray, perms: np.ndarray, prefix_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Permutation-sampling Shapley estimate and its standard error (Castro et al. 2009).

    ``values``: (B, M, C) worths of the distinct prefix coalitions; ``perms`` (P, K) sampled
    orders; ``prefix_index`` (P, K + 1) from :func:`_permutation_masks`. The marginal of the
    channel at position j of an order is v(first j + 1) - v(first j); phi is its mean over
    orders and the standard error its standard deviation / sqrt(P). Returns (B, K, C) twice.
    """
    p = perms.shape[0]
    v = values[:, prefix_index, :]  # (B, P, K + 1, C)
    marg = v[:, :, 1:, :] - v[:, :, :-1, :]  # (B, P, K, C): marginal of perms[:, j]
    by_channel = np.empty_like(marg)
    rows = np.arange(p)[:, None]
    by_channel[:, rows, perms, :] = marg
    phi = by_channel.mean(axis=1)
    se = by_channel.std(axis=1, ddof=1) / np.sqrt(p) if p > 1 else np.full_like(phi, np.nan)
    return phi, se
