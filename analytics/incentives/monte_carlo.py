"""Monte Carlo risk of the total incentive cost under a plan.

Each draw takes a company-wide factor (the company attainment of one past quarter,
uniformly) times every rep's relative performance (their attainment / company attainment)
in an independently drawn past quarter of their own; each scenario is paid by the engine
(:mod:`analytics.incentives.engine`) vectorised over draws. Formulas and limits:
docs/methods/incentives.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analytics.access import Scope
from analytics.filters import Filters
from analytics.incentives.engine import _payout, _ratio, _won, top_collaboration_teams
from analytics.incentives.inputs import PayInputs, load_inputs
from analytics.incentives.plans import DEAL_TYPES, Plan
from analytics.store import Store

#: Draws processed at once by the Monte Carlo (bounds memory at ~10 MB per array for 10k reps).
DRAW_CHUNK = 128
#: Log-normal spread of attainment when there is too little history to bootstrap.
FALLBACK_SIGMA = 0.25


@dataclass(frozen=True)
class RiskResult:
    """Distribution of total incentive cost over simulated attainments.

    ``costs`` and ``budgets``: one value per draw (CNY, visible reps; budget prorated as in
    :class:`Summary`). ``method``: ``bootstrap`` (past quarters) or ``lognormal`` (fallback
    when the store has fewer than two quarters). ``prob_over_budget``: share of draws whose
    cost before any scaling exceeds the budget.
    """

    draws: int
    method: str
    shift: float
    seed: int
    costs: np.ndarray
    budgets: np.ndarray
    p10: float
    p50: float
    p90: float
    mean: float
    prob_over_budget: float
    history_quarters: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Headline figures (no arrays)."""
        return {
            "draws": self.draws,
            "method": self.method,
            "shift": self.shift,
            "seed": self.seed,
            "p10_cost": self.p10,
            "p50_cost": self.p50,
            "p90_cost": self.p90,
            "mean_cost": self.mean,
            "p50_budget": float(np.median(self.budgets)) if len(self.budgets) else math.nan,
            "prob_over_budget": self.prob_over_budget,
            "history_quarters": ",".join(self.history_quarters),
        }


@dataclass(frozen=True)
class AttainmentDraws:
    """Simulated attainments of every rep: (draws, reps), before any shift.

    They depend on the inputs, the plan's deal types, the number of draws and the seed only,
    so a page may keep them while the other parameters of a plan move and pass them to
    :func:`risk` (``attainment=``); the result is the same as without them.
    """

    deal_types: tuple[str, ...]
    draws: int
    seed: int
    method: str
    values: np.ndarray = field(repr=False, compare=False)


def _attainment_draws(
    inp: PayInputs, deals: Plan | tuple[str, ...], rng: np.random.Generator, draws: int
) -> tuple[np.ndarray, str]:
    """(draws, reps) attainment: company factor of a random past quarter x the rep's relative performance
    in an independently drawn past quarter of their own (``deals``: a plan or its deal types)."""
    deal_types = deals.deal_types if isinstance(deals, Plan) else deals
    mask = np.array([dt in deal_types for dt in DEAL_TYPES], dtype=float)
    won_h = inp.history_won @ mask  # (n, h)
    tgt_h = inp.history_target
    active = ~np.isnan(tgt_h) & (tgt_h > 0)
    h = len(inp.history_quarters)
    current = (inp.won_by_type @ mask) / inp.target
    if h < 2 or inp.n == 0:
        z = rng.standard_normal((draws, inp.n))
        company = rng.standard_normal((draws, 1))
        sig = FALLBACK_SIGMA
        return current[None, :] * np.exp(sig * z - sig**2 / 2 + 0.1 * company - 0.005), "lognormal"
    with np.errstate(invalid="ignore", divide="ignore"):
        company_h = np.where(active, won_h, 0).sum(axis=0) / np.where(active, tgt_h, 0).sum(axis=0)
        rel = np.where(active, won_h / np.where(active, tgt_h, 1.0), np.nan) / company_h[None, :]
    rel = np.where(np.isfinite(rel), rel, np.nan)
    order = np.argsort(np.isnan(rel), axis=1, kind="stable")
    rel_sorted = np.take_along_axis(rel, order, axis=1)
    counts = (~np.isnan(rel)).sum(axis=1)
    ok_h = np.isfinite(company_h)
    q = rng.choice(np.flatnonzero(ok_h), size=draws)
    k = np.floor(rng.random((draws, inp.n)) * np.maximum(counts, 1)).astype(np.int64)
    r = rel_sorted[np.arange(inp.n)[None, :], k]
    r = np.where(counts[None, :] > 0, r, current[None, :] / np.nanmean(company_h))
    return company_h[q][:, None] * np.nan_to_num(r), "bootstrap"


def attainment_draws(
    inputs: PayInputs, deal_types: tuple[str, ...], *, draws: int = 1000, seed: int = 0
) -> AttainmentDraws:
    """The simulated attainments :func:`risk` pays, for plans counting ``deal_types``.

    See :func:`risk` for how each draw is made; the same ``seed`` gives the same draws.
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, not {draws}.")
    values, method = _attainment_draws(inputs, tuple(deal_types), np.random.default_rng(seed), draws)
    return AttainmentDraws(deal_types=tuple(deal_types), draws=draws, seed=seed, method=method, values=values)


def risk(
    inputs: PayInputs,
    plan: Plan,
    *,
    draws: int = 1000,
    shift: float = 0.0,
    seed: int = 0,
    attainment: AttainmentDraws | None = None,
) -> RiskResult:
    """Monte Carlo of total cost: ``draws`` attainment scenarios, each paid under ``plan``.

    Each draw takes a company-wide factor (the company attainment of one past quarter,
    uniformly) times every rep's relative performance (their attainment / company attainment)
    in an independently drawn past quarter of their own, times ``1 + shift``. Won amount =
    attainment x this quarter's target; gross profit keeps each rep's current margin. The
    same ``seed`` gives the same draws, so two plans are compared on common random numbers.
    ``attainment``: :func:`attainment_draws` made for this plan's deal types, ``draws`` and
    ``seed`` (computed here otherwise); a mismatch raises ``ValueError``.
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, not {draws}.")
    inp = inputs
    if attainment is None:
        attainment = attainment_draws(inp, plan.deal_types, draws=draws, seed=seed)
    elif (attainment.deal_types, attainment.draws, attainment.seed) != (tuple(plan.deal_types), draws, seed):
        raise ValueError(
            f"the attainment draws were made for deal types {attainment.deal_types}, {attainment.draws} draws and "
            f"seed {attainment.seed}, not {tuple(plan.deal_types)}, {draws} and {seed}."
        )
    att = attainment.values * (1.0 + shift) if shift else attainment.values
    method = attainment.method
    won_now = _won(plan, inp)
    has_tgp = ~np.isnan(inp.target_gp)
    company_margin = _ratio(float(inp.gross_profit[has_tgp].sum()), float(won_now[has_tgp].sum()))
    with np.errstate(invalid="ignore", divide="ignore"):
        margin = np.where(
            won_now > 0,
            inp.gross_profit / np.where(won_now > 0, won_now, 1.0),
            0.0 if math.isnan(company_margin) else company_margin,
        )
    margin = np.where(has_tgp, margin, 0.0)
    top_team = top_collaboration_teams(
        inp.collaboration, inp.team_codes, len(inp.team_ids), plan.team.collaboration_top_share
    )
    vis = inp.visible
    everyone = bool(vis.all())
    share = 1.0 if everyone else _ratio(float(inp.target[vis].sum()), float(inp.target.sum()))
    costs, budgets, over = [], [], []
    for lo in range(0, draws, DRAW_CHUNK):
        won = att[lo : lo + DRAW_CHUNK] * inp.target[None, :]
        gp = (won * margin[None, :]).sum(axis=1)
        p = _payout(plan, won, gp, inp, top_team, detail=False)
        if everyone:
            cost, before = p["total_pay"].sum(axis=1), p["cost_before_scaling"]
        else:
            cost = p["total_pay"][:, vis].sum(axis=1)
            before = (p["total_pay"] - p["budget_scaling"])[:, vis].sum(axis=1)
        budget = p["budget"] * share
        costs.append(cost)
        budgets.append(budget)
        over.append(before > budget + 0.005)
    c, bud, o = np.concatenate(costs), np.concatenate(budgets), np.concatenate(over)
    return RiskResult(
        draws=draws,
        method=method,
        shift=shift,
        seed=seed,
        costs=c,
        budgets=bud,
        p10=float(np.percentile(c, 10)),
        p50=float(np.percentile(c, 50)),
        p90=float(np.percentile(c, 90)),
        mean=float(c.mean()),
        prob_over_budget=float(o.mean()),
        history_quarters=inp.history_quarters,
    )


def simulate_risk(
    store: Store,
    plan: Plan,
    quarter: str,
    scope: Scope,
    *,
    draws: int = 1000,
    shift: float = 0.0,
    seed: int = 0,
    regions: tuple[str, ...] = (),
    teams: tuple[str, ...] = (),
) -> RiskResult:
    """:func:`risk` on freshly loaded inputs (for the CLI and other areas).

    ``quarter`` is a quarter such as ``2025Q3``; ``regions`` / ``teams`` restrict which
    reps' cost is counted (the budget is prorated as in :func:`risk`); the other options
    are those of :func:`risk`.
    """
    filters = Filters.for_quarter(quarter, region_ids=tuple(regions), team_ids=tuple(teams))
    return risk(load_inputs(store, filters, scope), plan, draws=draws, shift=shift, seed=seed)
