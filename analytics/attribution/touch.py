"""Multi-touch attribution: how much credit each marketing channel gets along the journeys.

These are *allocations* of observed conversions (or revenue) to the channels on the
converting journeys, under each model's rule; none of them is a causal effect (what would be
lost without the channel), and the data-driven ones are no exception. docs/methods/attribution.md
states every rule, formula and reference.

Journeys are built in DuckDB (``sql/attribution/journeys.sql``): a lead's touchpoints ordered
by time, up to and including its close date (the data end while open); converted = the lead
was won; revenue = the sum of its ``new`` deals. Non-converting journeys are kept (the Markov
and Shapley models need them).

Models (``MODELS``):

- ``first`` / ``last``: all credit to the first / last touch.
- ``linear``: 1/n to each of the n touches.
- ``time_decay``: touch i gets 2^(-d_i / h) / sum_j 2^(-d_j / h), d = days from the touch to
  the close, h = half-life in days.
- ``position`` (U-shaped): first f, last l, the middle touches share 1 - f - l (40/20/40 by
  default); two touches split f : l; one touch gets everything.
- ``w_shaped``: first, middle (index floor((n-1)/2)) and last touch 30% each, the other
  touches share 10%; with three touches or fewer the milestones share everything.
- ``markov``: first-order Markov chain over start -> channels -> conversion / null, fitted by
  transition counts; removal effect RE_k = 1 - v(N without k) / v(N), v = conversion
  probability from start, computed exactly from the absorbing chain (fundamental matrix,
  one linear solve per removal); credit proportional to RE (Anderl et al. 2016).
- ``shapley``: the Shapley value (Shapley 1953) of the game whose worth v(S) is the chain's
  conversion probability with only the channels in S left; exact over all 2^K coalitions up
  to :data:`SHAPLEY_EXACT_MAX` channels, permutation sampling above (Castro et al. 2009) with
  its standard error. Efficiency makes the credits add up to the observed conversions.

Revenue credit uses the same rules with each converting journey weighted by its revenue; for
the chain models the conversion state pays the mean revenue of conversions from the last
channel, so v(S) is the expected revenue per journey. Shares carry percentile intervals from
a bootstrap over journeys (multinomial over distinct paths, then journeys within a path).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from math import factorial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from analytics.access import Scope
from analytics.attribution.sources import data_end, sql_text
from analytics.filters import Filters, where
from analytics.stats import CONFIDENCE
from analytics.store import Store

MODELS = ("first", "last", "linear", "time_decay", "position", "w_shaped", "markov", "shapley")
HEURISTIC_MODELS = MODELS[:6]
VALUES = ("conversions", "revenue")
DEFAULT_HALF_LIFE_DAYS = 7.0
#: Position-based (U-shaped) weights of the first and last touch; the middle gets the rest.
DEFAULT_POSITION_WEIGHTS = (0.4, 0.4)
#: W-shaped weights of the first, middle and last touch; the other touches share the rest.
W_SHAPED_WEIGHTS = (0.3, 0.3, 0.3)
#: Largest number of channels for which Shapley values are computed exactly (2^K coalitions).
SHAPLEY_EXACT_MAX = 12
#: Permutations sampled above SHAPLEY_EXACT_MAX (point estimate), and of those, how many each
#: bootstrap replicate re-evaluates.
SHAPLEY_PERMUTATIONS = 1000
SHAPLEY_BOOT_PERMUTATIONS = 100
#: Bootstrap replicates for the share intervals.
BOOTSTRAP_REPS = 200
#: Elements per batch of linear systems (bounds memory).
_SOLVE_BATCH = 4_000_000
#: Columns of ``python -m analytics attribution touch``.
TOUCH_COLUMNS = ("channel", "conversions_credit", "revenue_credit", "share", "share_lo", "share_hi")
CREDIT_COLUMNS = ("model", *TOUCH_COLUMNS, "share_se_sampling")


@dataclass(frozen=True)
class Journeys:
    """Journeys of a selection, in the two shapes the models need.

    *Chain rows* are the distinct (path, converted) pairs after merging consecutive repeats of
    a channel (A > A > B -> A > B, which changes no chain probability: a self-loop cancels out
    of the absorption equations): ``row_offsets`` (R + 1) index ``row_touches`` (channel index
    of each step), ``row_converted`` (bool), ``row_journeys`` (how many journeys). Converting
    rows come first.

    *Converting journeys* are kept one by one, sorted by chain row: ``conv_row``,
    ``conv_value`` (revenue, CNY), and their full paths ``conv_touches`` with ``conv_days``
    (days from each touch to the close), both indexed by ``conv_offsets``.
    """

    channels: tuple[str, ...]
    row_offsets: np.ndarray
    row_touches: np.ndarray
    row_converted: np.ndarray
    row_journeys: np.ndarray
    conv_row: np.ndarray
    conv_value: np.ndarray
    conv_offsets: np.ndarray
    conv_touches: np.ndarray
    conv_days: np.ndarray
    touches: int

    @property
    def n_journeys(self) -> int:
        """Number of journeys."""
        return int(self.row_journeys.sum())

    @property
    def n_conversions(self) -> int:
        """Number of converting journeys."""
        return len(self.conv_row)

    @property
    def revenue(self) -> float:
        """Revenue of the converting journeys (CNY)."""
        return float(self.conv_value.sum())


def _list_column(table: pa.Table, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(lengths, flat values) of a list column (null lists have length 0)."""
    col = table.column(name).combine_chunks()
    lengths = col.value_lengths().fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    flat = col.flatten().to_numpy(zero_copy_only=False) if len(col) else np.zeros(0)
    return lengths, flat.astype(np.int64)


def _collapse(offsets: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge consecutive repeats in every path: (new offsets, new flat)."""
    owner, pos, _ = _touch_layout(offsets)
    keep = (pos == 0) | (flat != np.r_[-1, flat[:-1]])
    lengths = np.bincount(owner[keep], minlength=len(offsets) - 1)
    return np.r_[0, np.cumsum(lengths)], flat[keep]


def journeys_from_paths(
    paths: list[list[str]] | list[tuple[str, ...]],
    converted: list[bool],
    *,
    revenue: list[float] | None = None,
    days: list[list[int]] | None = None,
) -> Journeys:
    """Build :class:`Journeys` from plain lists, one entry per journey (tests, small examples).

    Channels are indexed in sorted order. ``revenue`` defaults to 1 per conversion; ``days``
    (days from each touch to the close, only used by ``time_decay``) to zeros.
    """
    channels = tuple(sorted({c for p in paths for c in p}))
    index = {c: i for i, c in enumerate(channels)}
    lengths = np.array([len(p) for p in paths], dtype=np.int64)
    if (lengths == 0).any():
        raise ValueError("Every journey needs at least one touch.")
    flat = np.array([index[c] for p in paths for c in p], dtype=np.int64)
    conv = np.asarray(converted, bool)
    rev = np.asarray(revenue if revenue is not None else conv.astype(float), float)
    day_lists = days if days is not None else [[0] * len(p) for p in paths]
    flat_days = np.array([d for i, ds in enumerate(day_lists) if conv[i] for d in ds], dtype=np.int64)
    day_lengths = np.where(conv, lengths, 0)
    offsets = np.r_[0, np.cumsum(lengths)]
    c_off, c_flat = _collapse(offsets, flat)
    keys = [
        ("c:" if conv[i] else "n:") + ",".join(map(str, c_flat[c_off[i] : c_off[i + 1]])) for i in range(len(paths))
    ]
    return _build(
        channels,
        lengths,
        flat,
        conv,
        np.ones(len(paths), np.int64),
        rev,
        np.asarray(keys, object),
        day_lengths,
        flat_days,
        int(lengths.sum()),
    )


def _gather(offsets: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Flat positions of the segments ``idx`` of a flat array split at ``offsets``, in order."""
    lengths = offsets[idx + 1] - offsets[idx]
    out_off = np.r_[0, np.cumsum(lengths)]
    return (np.repeat(offsets[idx] - out_off[:-1], lengths) + np.arange(out_off[-1])).astype(np.int64)


def _build(
    channels: tuple[str, ...],
    lengths: np.ndarray,
    flat: np.ndarray,
    converted: np.ndarray,
    journeys: np.ndarray,
    revenue: np.ndarray,
    keys: np.ndarray,
    day_lengths: np.ndarray,
    flat_days: np.ndarray,
    touches: int,
) -> Journeys:
    """Assemble :class:`Journeys` from input rows.

    Each input row is one converting journey (full path, ``journeys`` = 1, its revenue and
    days) or non-converting journeys with a common path (``journeys`` = their count).
    ``keys`` name each row's chain row: converted flag plus the path with repeats merged;
    ``touches`` is the number of touches before merging.
    """
    offsets = np.r_[0, np.cumsum(lengths)]
    # chain rows: converting keys first
    order = np.argsort(~converted, kind="stable")
    codes_sorted, _ = pd.factorize(keys[order], sort=False)
    codes = np.empty(len(keys), dtype=np.int64)
    codes[order] = codes_sorted
    n_rows = int(codes.max()) + 1 if len(codes) else 0
    first = np.full(n_rows, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    c_off, c_flat = _collapse(offsets, flat)
    row_touches = c_flat[_gather(c_off, first)]
    row_offsets = np.r_[0, np.cumsum(c_off[first + 1] - c_off[first])]
    row_converted = converted[first] if n_rows else np.zeros(0, bool)
    row_journeys = np.bincount(codes, weights=journeys, minlength=n_rows).astype(np.int64)
    # converting journeys, sorted by chain row
    conv_idx = np.flatnonzero(converted)
    conv_src = conv_idx[np.argsort(codes[conv_idx], kind="stable")]
    conv_touches = flat[_gather(offsets, conv_src)]
    conv_offsets = np.r_[0, np.cumsum(lengths[conv_src])]
    d_off = np.r_[0, np.cumsum(day_lengths)]
    conv_days = flat_days[_gather(d_off, conv_src)].astype(float)
    # keep only the channels that occur
    present = np.unique(row_touches)
    remap = np.full(len(channels), -1, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return Journeys(
        channels=tuple(channels[i] for i in present),
        row_offsets=row_offsets,
        row_touches=remap[row_touches],
        row_converted=row_converted,
        row_journeys=row_journeys,
        conv_row=codes[conv_src],
        conv_value=revenue[conv_src].astype(float),
        conv_offsets=conv_offsets,
        conv_touches=remap[conv_touches],
        conv_days=conv_days,
        touches=touches,
    )


def build_journeys(store: Store, filters: Filters, scope: Scope) -> Journeys:
    """Journeys of the leads created in the filter window (scoped), from DuckDB.

    See the module docstring and ``sql/attribution/journeys.sql`` for the definition.
    """
    vocab = store.query("SELECT DISTINCT channel FROM touchpoints ORDER BY channel")["channel"].tolist()
    w_sql, w_params = where(filters, scope, "created_at", alias="l")
    end = data_end(store)
    table = store.query_arrow(sql_text("journeys").format(where=w_sql), [*w_params, vocab, end, end])
    lengths, flat = _list_column(table, "path")
    day_lengths, flat_days = _list_column(table, "days")
    return _build(
        tuple(vocab),
        lengths,
        flat,
        table.column("converted").to_numpy().astype(bool),
        table.column("journeys").to_numpy().astype(np.int64),
        table.column("revenue").to_numpy().astype(float),
        table.column("chain_key").to_numpy(zero_copy_only=False),
        day_lengths,
        flat_days,
        int(pc.sum(table.column("touches")).as_py() or 0),
    )


# -- rule-based models ------------------------------------------------------------------------


def _touch_layout(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For flat touches: owning row, position in the row, row length."""
    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    pos = np.arange(offsets[-1]) - offsets[owner]
    return owner, pos, lengths[owner]


def rule_weights(
    model: str,
    offsets: np.ndarray,
    *,
    position_weights: tuple[float, float] = DEFAULT_POSITION_WEIGHTS,
    days: np.ndarray | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> np.ndarray:
    """Credit of each flat touch under a rule-based model; each path's touches sum to 1."""
    owner, pos, n = _touch_layout(offsets)
    first, last = pos == 0, pos == n - 1
    if model == "first":
        return first.astype(float)
    if model == "last":
        return last.astype(float)
    if model == "linear":
        return 1.0 / n
    if model == "time_decay":
        if half_life_days <= 0:
            raise ValueError(f"The half-life must be positive; got {half_life_days} days.")
        w = np.power(0.5, np.asarray(days, float) / half_life_days)
        total = np.bincount(owner, weights=w, minlength=len(offsets) - 1)
        return w / total[owner]
    if model == "position":
        f, l_ = position_weights
        if f < 0 or l_ < 0 or f + l_ > 1 + 1e-9 or f + l_ == 0:
            raise ValueError(
                f"Position weights {f} and {l_} must be non-negative, positive in total, and at most 1 together."
            )
        mid = (1.0 - f - l_) / np.maximum(n - 2, 1)
        two = np.where(first, f / (f + l_), l_ / (f + l_))
        many = np.where(first, f, np.where(last, l_, mid))
        return np.where(n == 1, 1.0, np.where(n == 2, two, many))
    if model == "w_shaped":
        a, b, c = W_SHAPED_WEIGHTS
        middle = pos == (n - 1) // 2
        milestones = np.where(first, a, np.where(last, c, np.where(middle, b, 0.0)))
        small = milestones / np.where(n == 2, a + c, a + b + c)
        many = np.where(milestones > 0, milestones, (1.0 - a - b - c) / np.maximum(n - 3, 1))
        return np.where(n == 1, 1.0, np.where(n <= 3, small, many))
    raise ValueError(f"'{model}' is not a rule-based model; use one of {', '.join(HEURISTIC_MODELS)}.")


def _credit_matrix(owner: np.ndarray, channel: np.ndarray, weight: np.ndarray, n_rows: int, k: int) -> np.ndarray:
    """(rows x channels) sum of touch weights."""
    flat = np.bincount(owner * k + channel, weights=weight, minlength=n_rows * k)
    return flat.reshape(n_rows, k)


def _journey_credit(
    j: Journeys, model: str, half_life_days: float, position_weights: tuple[float, float]
) -> np.ndarray:
    """Credit matrix of the converting journeys (Jc x K) under a rule-based model."""
    owner, _, _ = _touch_layout(j.conv_offsets)
    w = rule_weights(
        model, j.conv_offsets, position_weights=position_weights, days=j.conv_days, half_life_days=half_life_days
    )
    return _credit_matrix(owner, j.conv_touches, w, j.n_conversions, len(j.channels))


# -- the Markov chain ---------------------------------------------------------------------------


def _transition_matrix(j: Journeys) -> sparse.csr_matrix:
    """(rows x S^2) transition counts of one journey per row; states 0 = start, 1..K channels,
    K+1 = conversion, K+2 = null."""
    k = len(j.channels)
    s = k + 3
    lengths = np.diff(j.row_offsets)
    owner, pos, _ = _touch_layout(j.row_offsets)
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


# -- credits, point and bootstrap ----------------------------------------------------------------


@dataclass(frozen=True)
class _Setup:
    """What every replicate needs, precomputed once."""

    transitions: sparse.csr_matrix
    last_state: np.ndarray
    rule_models: tuple[str, ...]
    rule_stack: np.ndarray
    shapley_keep: np.ndarray | None
    shapley_perms: np.ndarray | None
    shapley_prefix: np.ndarray | None


def _setup(
    j: Journeys,
    models: tuple[str, ...],
    half_life_days: float,
    position_weights: tuple[float, float],
    exact_max: int,
    permutations: int,
    seed: int,
) -> _Setup:
    k = len(j.channels)
    rule_models = tuple(m for m in models if m in HEURISTIC_MODELS)
    stack = [_journey_credit(j, m, half_life_days, position_weights) for m in rule_models]
    rule_stack = np.concatenate(stack, axis=1) if stack else np.zeros((j.n_conversions, 0))
    keep = perms = prefix = None
    if "shapley" in models:
        if k <= exact_max:
            keep = _all_masks(k)
        else:
            rng = np.random.default_rng([seed, 1])
            perms = np.array([rng.permutation(k) for _ in range(permutations)], dtype=np.int64)
            keep, prefix = _permutation_masks(perms)
    return _Setup(_transition_matrix(j), _last_state_of_conversions(j), rule_models, rule_stack, keep, perms, prefix)


def _chain_inputs(
    j: Journeys, setup: _Setup, row_counts: np.ndarray, journey_weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(B, S, S) transition counts and (B, K + 1) revenue by last state for weighted journeys."""
    k = len(j.channels)
    s = k + 3
    counts = np.asarray(setup.transitions.T @ row_counts.T).T.reshape(-1, s, s)
    rev = np.zeros((len(row_counts), k + 1))
    for b in range(len(row_counts)):
        rev[b] = np.bincount(setup.last_state, weights=journey_weights[b] * j.conv_value, minlength=k + 1)
    return counts, rev


def _model_credits(
    j: Journeys,
    setup: _Setup,
    models: tuple[str, ...],
    row_counts: np.ndarray,
    journey_weights: np.ndarray,
    columns: tuple[int, ...] = (0, 1),
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per model: (B, K, 2) credit in (conversions, revenue) and the sampling SE (or NaN).

    ``row_counts`` (B, R) journeys per row and ``journey_weights`` (B, Jc) multiplicity of each
    converting journey: the observed data (all ones / row_journeys) or a bootstrap replicate.
    Rule-based credits are computed for ``columns`` only (0 conversions, 1 revenue; NaN else).
    """
    k = len(j.channels)
    b = len(row_counts)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    nan = np.full((b, k, 2), np.nan)
    if setup.rule_models:
        res = np.full((b, setup.rule_stack.shape[1], 2), np.nan)
        for c in columns:
            w = journey_weights if c == 0 else journey_weights * j.conv_value[None, :].astype(journey_weights.dtype)
            res[:, :, c] = w @ setup.rule_stack
        for i, m in enumerate(setup.rule_models):
            out[m] = (res[:, i * k : (i + 1) * k, :], nan)
    if not {"markov", "shapley"} & set(models):
        return out
    counts, rev_state = _chain_inputs(j, setup, row_counts, journey_weights)
    totals = np.stack([journey_weights.sum(axis=1), journey_weights @ j.conv_value], axis=1)  # (B, 2)
    n_journeys = row_counts.sum(axis=1)
    if "markov" in models:
        re = removal_effects(chain_values(counts, rev_state, _removal_masks(k)))
        denom = re.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(denom > 0, re / np.where(denom > 0, denom, 1.0), 0.0)
        out["markov"] = (share * totals[:, None, :], nan)
    if "shapley" in models:
        values = chain_values(counts, rev_state, setup.shapley_keep)
        if setup.shapley_perms is None:
            phi, se = shapley_exact(values, k), nan
        else:
            phi, se = shapley_sampled(values, setup.shapley_perms, setup.shapley_prefix)
        # v is per journey: credits are phi x journeys, which add up to the observed totals
        out["shapley"] = (phi * n_journeys[:, None, None], se * n_journeys[:, None, None])
    return out


def _bootstrap_draws(j: Journeys, rng: np.random.Generator, reps: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial bootstrap over journeys, done in two exact stages.

    Stage 1 draws how many journeys each distinct (path, converted) row gets:
    Multinomial(N, row_journeys / N). Stage 2 picks that many converting journeys of each
    converting row uniformly with replacement (their revenue and timing differ). Together
    this is resampling N journeys with replacement. Returns (B, R) row counts and (B, Jc)
    multiplicities of the converting journeys.
    """
    n = j.row_journeys
    total = int(n.sum())
    row_counts = rng.multinomial(total, n / total, size=reps).astype(np.int64)
    n_conv_rows = int(j.row_converted.sum())
    starts = np.r_[0, np.cumsum(n[:n_conv_rows])][:-1]
    weights = np.zeros((reps, j.n_conversions), dtype=np.int64)
    for b in range(reps):
        m = row_counts[b, :n_conv_rows]
        rows = np.repeat(np.arange(n_conv_rows), m)
        picks = starts[rows] + (rng.random(len(rows)) * n[rows]).astype(np.int64)
        weights[b] = np.bincount(picks, minlength=j.n_conversions)
    return row_counts, weights


def _credit_frame(
    j: Journeys,
    models: tuple[str, ...],
    value: str,
    *,
    half_life_days: float,
    position_weights: tuple[float, float],
    bootstrap_reps: int,
    seed: int,
    exact_max: int,
    permutations: int,
    boot_permutations: int,
) -> pd.DataFrame:
    """Point credits, shares and bootstrap intervals of ``models`` (long frame, CREDIT_COLUMNS)."""
    if value not in VALUES:
        raise ValueError(f"'{value}' is not a credit value; use conversions or revenue.")
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise ValueError(f"'{bad[0]}' is not a model; use one of {', '.join(MODELS)}.")
    k = len(j.channels)
    if j.n_journeys == 0 or k == 0:
        return pd.DataFrame(columns=list(CREDIT_COLUMNS))
    setup = _setup(j, models, half_life_days, position_weights, exact_max, permutations, seed)
    point = _model_credits(j, setup, models, j.row_journeys[None, :], np.ones((1, j.n_conversions)))
    c = VALUES.index(value)
    boot: dict[str, list[np.ndarray]] = {m: [] for m in models}
    if bootstrap_reps > 0 and j.n_conversions > 0:
        rng = np.random.default_rng([seed, 2])
        boot_setup = setup
        if setup.shapley_perms is not None and boot_permutations < len(setup.shapley_perms):
            perms = setup.shapley_perms[:boot_permutations]
            keep, prefix = _permutation_masks(perms)
            boot_setup = replace(setup, shapley_keep=keep, shapley_perms=perms, shapley_prefix=prefix)
        boot_setup = replace(boot_setup, rule_stack=boot_setup.rule_stack.astype(np.float32))
        chunk = max(1, min(bootstrap_reps, 50))
        for a in range(0, bootstrap_reps, chunk):
            rows, weights = _bootstrap_draws(j, rng, min(chunk, bootstrap_reps - a))
            replicate = _model_credits(j, boot_setup, models, rows, weights.astype(np.float32), columns=(c,))
            for m, (credit, _) in replicate.items():
                tot = credit[:, :, c].sum(axis=1, keepdims=True)
                with np.errstate(divide="ignore", invalid="ignore"):
                    boot[m].append(np.where(tot > 0, credit[:, :, c] / np.where(tot > 0, tot, 1.0), np.nan))
    alpha = 1 - CONFIDENCE
    frames = []
    for m in models:
        credit, se = point[m]
        total = credit[0, :, c].sum()
        share = credit[0, :, c] / total if total > 0 else np.full(k, np.nan)
        if boot[m]:
            shares = np.concatenate(boot[m], axis=0)
            lo, hi = np.nanquantile(shares, [alpha / 2, 1 - alpha / 2], axis=0)
        else:
            lo = hi = np.full(k, np.nan)
        se_share = se[0, :, c] / total if total > 0 else np.full(k, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "model": m,
                    "channel": list(j.channels),
                    "conversions_credit": credit[0, :, 0],
                    "revenue_credit": credit[0, :, 1],
                    "share": share,
                    "share_lo": lo,
                    "share_hi": hi,
                    "share_se_sampling": se_share,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[list(CREDIT_COLUMNS)]


def credit(
    j: Journeys,
    model: str,
    *,
    value: str = "conversions",
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    position_weights: tuple[float, float] = DEFAULT_POSITION_WEIGHTS,
    bootstrap_reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
    exact_max: int = SHAPLEY_EXACT_MAX,
    permutations: int = SHAPLEY_PERMUTATIONS,
) -> pd.DataFrame:
    """Credit of one model on given journeys (the pure core of :func:`touch_credit`)."""
    frame = _credit_frame(
        j,
        (model,),
        value,
        half_life_days=half_life_days,
        position_weights=position_weights,
        bootstrap_reps=bootstrap_reps,
        seed=seed,
        exact_max=exact_max,
        permutations=permutations,
        boot_permutations=SHAPLEY_BOOT_PERMUTATIONS,
    )
    return frame.drop(columns="model").reset_index(drop=True)


def touch_credit(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    model: str,
    value: str = "conversions",
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    position_weights: tuple[float, float] = DEFAULT_POSITION_WEIGHTS,
    bootstrap_reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> pd.DataFrame:
    """Credit per channel under one model, for the journeys of the leads created in the window.

    Parameters
    ----------
    model
        One of :data:`MODELS`.
    value
        ``conversions`` or ``revenue``: what ``share`` and its interval are computed on.
    half_life_days
        Half-life of the ``time_decay`` model.
    position_weights
        First- and last-touch weights of the ``position`` model.
    bootstrap_reps, seed
        Bootstrap replicates for the share intervals (0 = none) and the seed (results are
        deterministic for a given seed).

    Returns
    -------
    DataFrame
        One row per channel that occurs on the journeys, largest share first. Columns:
        ``channel``, ``conversions_credit`` (conversions allocated; they add up to the
        converting journeys), ``revenue_credit`` (CNY allocated; adds up to their revenue),
        ``share`` (credit / total in ``value``), ``share_lo`` / ``share_hi`` (95% bootstrap
        percentile interval), ``share_se_sampling`` (Shapley permutation-sampling standard
        error of the share; NaN when exact). Empty (same columns) when there are no journeys.
    """
    j = build_journeys(store, filters, scope)
    frame = credit(
        j,
        model,
        value=value,
        half_life_days=half_life_days,
        position_weights=position_weights,
        bootstrap_reps=bootstrap_reps,
        seed=seed,
    )
    return frame.sort_values(["share", "channel"], ascending=[False, True], na_position="last").reset_index(drop=True)


@dataclass(frozen=True)
class TouchComparison:
    """Every model's credit on the same journeys, with the journeys' totals.

    ``credits``: one row per model per channel, columns :data:`CREDIT_COLUMNS`.
    ``shapley_sampled``: True when the channels exceed :data:`SHAPLEY_EXACT_MAX`.
    """

    credits: pd.DataFrame
    journeys: int
    conversions: int
    revenue: float
    touches: int
    channels: int
    shapley_sampled: bool


def compare_models(
    store: Store,
    filters: Filters,
    scope: Scope,
    *,
    value: str = "conversions",
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    position_weights: tuple[float, float] = DEFAULT_POSITION_WEIGHTS,
    bootstrap_reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> TouchComparison:
    """All :data:`MODELS` side by side on one set of journeys and one set of bootstrap draws.

    Options as in :func:`touch_credit`. The same resampled journeys serve every model, so
    the models' intervals are comparable.
    """
    j = build_journeys(store, filters, scope)
    frame = _credit_frame(
        j,
        MODELS,
        value,
        half_life_days=half_life_days,
        position_weights=position_weights,
        bootstrap_reps=bootstrap_reps,
        seed=seed,
        exact_max=SHAPLEY_EXACT_MAX,
        permutations=SHAPLEY_PERMUTATIONS,
        boot_permutations=SHAPLEY_BOOT_PERMUTATIONS,
    )
    return TouchComparison(
        credits=frame,
        journeys=j.n_journeys,
        conversions=j.n_conversions,
        revenue=j.revenue,
        touches=j.touches,
        channels=len(j.channels),
        shapley_sampled=len(j.channels) > SHAPLEY_EXACT_MAX,
    )
