"""Multi-touch attribution: how much credit each marketing channel gets along the journeys.

These are *allocations* of observed conversions (or revenue) to the channels on the
converting journeys, under each model's rule; none of them is a causal effect (what would be
lost without the channel), and the data-driven ones are no exception. docs/methods/attribution.md
states every rule, formula and reference.

The work is split in four modules: :mod:`~analytics.attribution.journeys` builds the
journeys (DuckDB, ``sql/journeys.sql``), :mod:`~analytics.attribution.rules` holds the
rule-based models (``first``, ``last``, ``linear``, ``time_decay``, ``position``,
``w_shaped``), :mod:`~analytics.attribution.chain` the chain models (``markov`` removal
effects and ``shapley``, exact up to :data:`SHAPLEY_EXACT_MAX` channels, sampled above) and
this module computes every model's credit on the same journeys with a bootstrap over them.

Revenue credit uses the same rules with each converting journey weighted by its revenue; for
the chain models the conversion state pays the mean revenue of conversions from the last
channel, so v(S) is the expected revenue per journey. Shares carry percentile intervals from
a bootstrap over journeys (multinomial over distinct paths, then journeys within a path).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

from analytics.access import Scope
from analytics.attribution.chain import (
    _all_masks,
    _last_state_of_conversions,
    _permutation_masks,
    _removal_masks,
    _transition_matrix,
    chain_values,
    removal_effects,
    shapley_exact,
    shapley_sampled,
)
from analytics.attribution.journeys import Journeys, build_journeys, journeys_from_paths
from analytics.attribution.rules import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_POSITION_WEIGHTS,
    HEURISTIC_MODELS,
    W_SHAPED_WEIGHTS,
    _journey_credit,
    rule_weights,
)
from analytics.filters import Filters
from analytics.stats import CONFIDENCE
from analytics.store import Store

__all__ = [
    "BOOTSTRAP_REPS",
    "CREDIT_COLUMNS",
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_POSITION_WEIGHTS",
    "HEURISTIC_MODELS",
    "MODELS",
    "SHAPLEY_BOOT_PERMUTATIONS",
    "SHAPLEY_EXACT_MAX",
    "SHAPLEY_PERMUTATIONS",
    "TOUCH_COLUMNS",
    "VALUES",
    "W_SHAPED_WEIGHTS",
    "Journeys",
    "TouchComparison",
    "build_journeys",
    "chain_values",
    "compare_models",
    "credit",
    "journeys_from_paths",
    "removal_effects",
    "rule_weights",
    "shapley_exact",
    "shapley_sampled",
    "touch_credit",
]

MODELS = (*HEURISTIC_MODELS, "markov", "shapley")
VALUES = ("conversions", "revenue")
#: Largest number of channels for which Shapley values are computed exactly (2^K coalitions).
SHAPLEY_EXACT_MAX = 12
#: Permutations sampled above SHAPLEY_EXACT_MAX (point estimate), and of those, how many each
#: bootstrap replicate re-evaluates.
SHAPLEY_PERMUTATIONS = 1000
SHAPLEY_BOOT_PERMUTATIONS = 100
#: Bootstrap replicates for the share intervals.
BOOTSTRAP_REPS = 200
#: Columns of ``python -m analytics attribution touch``.
TOUCH_COLUMNS = ("channel", "conversions_credit", "revenue_credit", "share", "share_lo", "share_hi")
CREDIT_COLUMNS = ("model", *TOUCH_COLUMNS, "share_se_sampling")


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
