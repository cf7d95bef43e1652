"""Rule-based multi-touch models: each converting journey's credit split over its touches.

- ``first`` / ``last``: all credit to the first / last touch.
- ``linear``: 1/n to each of the n touches.
- ``time_decay``: touch i gets 2^(-d_i / h) / sum_j 2^(-d_j / h), d = days from the touch to
  the close, h = half-life in days.
- ``position`` (U-shaped): first f, last l, the middle touches share 1 - f - l (40/20/40 by
  default); two touches split f : l; one touch gets everything.
- ``w_shaped``: first, middle (index floor((n-1)/2)) and last touch 30% each, the other
  touches share 10%; with three touches or fewer the milestones share everything.
"""

from __future__ import annotations

import numpy as np

from analytics.attribution.journeys import Journeys, touch_layout

HEURISTIC_MODELS = ("first", "last", "linear", "time_decay", "position", "w_shaped")
DEFAULT_HALF_LIFE_DAYS = 7.0
#: Position-based (U-shaped) weights of the first and last touch; the middle gets the rest.
DEFAULT_POSITION_WEIGHTS = (0.4, 0.4)
#: W-shaped weights of the first, middle and last touch; the other touches share the rest.
W_SHAPED_WEIGHTS = (0.3, 0.3, 0.3)


def rule_weights(
    model: str,
    offsets: np.ndarray,
    *,
    position_weights: tuple[float, float] = DEFAULT_POSITION_WEIGHTS,
    days: np.ndarray | None = None,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> np.ndarray:
    """Credit of each flat touch under a rule-based model; each path's touches sum to 1."""
    owner, pos, n = touch_layout(offsets)
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
    owner, _, _ = touch_layout(j.conv_offsets)
    w = rule_weights(
        model, j.conv_offsets, position_weights=position_weights, days=j.conv_days, half_life_days=half_life_days
    )
    return _credit_matrix(owner, j.conv_touches, w, j.n_conversions, len(j.channels))
