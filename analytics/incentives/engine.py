"""Incentive payout engine: every rep's pay under a plan, its components and the plan summary.

The engine is vectorised with NumPy over all reps (and, for the Monte Carlo, over draws):
:func:`analytics.incentives.inputs.load_inputs` reads one quarter from the store once;
:func:`compute` applies a :class:`~analytics.incentives.plans.Plan` to those inputs in
milliseconds, so a page can recompute on every slider move; :func:`simulate` does both.
Formulas (docs/methods/incentives.md):

- attainment ``a = won / target``: won = amount of the plan's deal types signed by the rep in
  the quarter; reps without a positive target are outside the plan (counted in the summary);
- base bonus: ``salary_share * monthly_salary`` when ``a >= threshold``;
- commission, marginal: ``sum_k rate_k * clip(won - from_k * target, 0, (from_{k+1} - from_k) * target)``;
  retroactive: ``rate_k* * won`` with ``k*`` the highest tier whose ``from_k <= a``; won above
  ``cap_attainment * target`` earns nothing; commission is at most ``cap_amount``; nothing
  below ``commission.threshold``;
- innovation: ``pool = share * max(sum(gross_profit) - sum(target_gross_profit), 0)`` over
  reps with a gross-profit target, paid ``pool * points_i / sum(points)``;
- team: ``pool_t = pool_per_member * members_t * (1 + uplift if t is in the top share of teams
  by mean collaboration score)``; member ``i`` gets ``pool_t * equal_share / members_t +
  pool_t * (1 - equal_share) * won_i / won_t`` (equal split when ``won_t = 0``);
- budget: ``base = base_amount`` or ``base_share_of_target * sum(target)``; plus
  ``release_share * base`` when company attainment ``sum(won) / sum(target) >= release_attainment``;
  ``over_budget = "scale"`` multiplies every rep's pay by ``budget / total`` when over.

Every line is rounded to the cent and each component is the sum of its rounded lines, so
a rep's total pay equals the sum of the lines of
:func:`analytics.incentives.statements.trace` exactly. Comparisons with
thresholds use a tolerance of 1e-9 so that exactly 80% counts as reaching 80%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import NOBODY, Scope
from analytics.filters import Filters
from analytics.incentives.inputs import PayInputs, load_inputs
from analytics.incentives.plans import DEAL_TYPES, Plan, ScorecardConfig
from analytics.incentives.scorecard import score
from analytics.store import Store

#: Tolerance for attainment comparisons (exactly 80% reaches an 80% threshold).
EPS = 1e-9
#: Columns of SimulationResult.per_rep, in order.
PER_REP_COLUMNS = (
    "rep_id",
    "rep_name",
    "team_id",
    "region_id",
    "role",
    "monthly_salary",
    "won_amount",
    "target_amount",
    "attainment",
    "gross_profit",
    "innovation_points",
    "base_bonus",
    "commission",
    "team_bonus",
    "innovation_bonus",
    "budget_scaling",
    "total_pay",
    "grade",
    "total_score",
    "rank_in_role",
    "top_collaboration_team",
)
#: Components summed into total pay.
COMPONENTS = ("base_bonus", "commission", "team_bonus", "innovation_bonus", "budget_scaling")


@dataclass(frozen=True)
class Summary:
    """Plan-level figures of one simulation, over the reps the scope may see.

    Money in CNY; shares are fractions. When the scope (or a region / team selection) does
    not cover everyone, ``budget`` is the company budget prorated by the visible reps' share
    of the total target and ``scoped`` is True; ``company_attainment`` and the budget release
    are always company-wide. Also readable as ``summary["total_cost"]``.
    """

    quarter: str
    plan_name: str
    reps: int
    total_cost: float
    budget: float
    base_budget: float
    budget_released: bool
    over_budget: bool
    over_budget_mode: str
    scale_factor: float
    company_attainment: float
    won_amount: float
    target_amount: float
    cost_of_sales: float
    share_base: float
    share_quota: float
    share_accelerator: float
    base_cost: float
    commission_cost: float
    team_cost: float
    innovation_cost: float
    scaling_cost: float
    innovation_pool: float
    innovation_unallocated: float
    excess_gross_profit: float
    median_pay: float
    p90_pay: float
    p90_median_ratio: float
    gini: float
    reps_without_target: int
    won_without_target: float
    scoped: bool

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        """The figures as a plain dict (JSON-ready)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SimulationResult:
    """Pay of every visible rep under one plan for one quarter.

    ``per_rep``: one row per visible rep in the plan, columns :data:`PER_REP_COLUMNS`
    (money in CNY, ``attainment`` a fraction, ``grade`` from the plan's scorecard).
    ``summary``: :class:`Summary`. Use :func:`analytics.incentives.trace` for a rep's payout
    lines. ``viewer``: the identity the inputs were loaded for; ``trace``, ``statement``,
    ``compare`` and ``pay_lines`` (:mod:`analytics.incentives`) refuse a viewer who sees pay
    aggregated only (:func:`analytics.access.sees_individual_pay`), and ``pay_by_team``
    serves them.
    """

    quarter: str
    plan: Plan
    per_rep: pd.DataFrame
    summary: Summary
    detail: dict[str, np.ndarray] = field(repr=False, compare=False)
    viewer: Scope = NOBODY


# -- the engine --------------------------------------------------------------------------
def _deal_mask(plan: Plan) -> np.ndarray:
    return np.array([dt in plan.deal_types for dt in DEAL_TYPES], dtype=float)


def top_collaboration_teams(
    collaboration: np.ndarray, team_codes: np.ndarray, n_teams: int, top_share: float
) -> np.ndarray:
    """Boolean per team: in the top ``top_share`` of teams by mean collaboration score.

    Teams are ranked by their members' mean score (teams with no score are never top);
    the top ``ceil(top_share * teams with a score)`` ranks qualify, and teams tied with the
    last qualifying team qualify too.
    """
    has = ~np.isnan(collaboration)
    sums = np.bincount(team_codes[has], weights=collaboration[has], minlength=n_teams)
    counts = np.bincount(team_codes[has], minlength=n_teams)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    scored = ~np.isnan(mean)
    k = math.ceil(top_share * scored.sum() - EPS)
    if k <= 0:
        return np.zeros(n_teams, dtype=bool)
    cutoff = np.sort(mean[scored])[::-1][k - 1]
    return scored & (mean >= cutoff - EPS)


def _round(x: np.ndarray) -> np.ndarray:
    return np.round(x, 2)


def _payout(
    plan: Plan, won: np.ndarray, gp_company: np.ndarray, inp: PayInputs, top_team: np.ndarray, *, detail: bool
) -> dict[str, np.ndarray]:
    """Pay components for won amounts ``won`` of shape (draws, reps); see the module docstring."""
    target, salary = inp.target, inp.salary
    n_teams = len(inp.team_ids)
    d, n = won.shape
    att = won / target
    out: dict[str, np.ndarray] = {"attainment": att}
    # base bonus
    reached = att >= plan.base_bonus.threshold - EPS
    base_amount = _round(plan.base_bonus.salary_share * salary)
    out["base_bonus"] = np.where(reached, base_amount, 0.0)
    # commission
    c = plan.commission
    starts = np.array([t.start for t in c.tiers])
    rates = np.array([t.rate for t in c.tiers])
    eligible = att >= c.threshold - EPS
    cap_won = np.minimum(won, c.cap_attainment * target) if c.cap_attainment is not None else won
    commission = np.zeros_like(won)
    bands = np.zeros((len(c.tiers), d, n)) if detail else None
    if c.mode == "marginal":
        for k in range(len(c.tiers)):
            lo = starts[k] * target
            hi = starts[k + 1] * target if k + 1 < len(c.tiers) else np.inf
            band = np.clip(cap_won - lo, 0.0, np.maximum(hi - lo, 0.0)) * eligible
            commission += _round(band * rates[k])
            if bands is not None:
                bands[k] = band
    else:
        reached_k = (att[..., None] >= starts - EPS).sum(axis=-1) - 1
        for k in range(len(c.tiers)):
            band = np.where((reached_k == k) & eligible, cap_won, 0.0)
            commission += _round(band * rates[k])
            if bands is not None:
                bands[k] = band
    before_cap = commission
    if c.cap_amount is not None:
        commission = np.minimum(commission, round(c.cap_amount, 2))
    out["commission"] = commission
    # team pool
    t = plan.team
    size = np.bincount(inp.team_codes, minlength=n_teams).astype(float)
    pool = t.pool_per_member * size * (1.0 + t.collaboration_uplift * top_team)
    flat = (np.arange(d)[:, None] * n_teams + inp.team_codes[None, :]).ravel()
    team_won = np.bincount(flat, weights=won.ravel(), minlength=d * n_teams).reshape(d, n_teams)
    tw = team_won[:, inp.team_codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tw > 0, won / np.where(tw > 0, tw, 1.0), 1.0 / size[inp.team_codes])
    rep_pool = pool[inp.team_codes]
    team_equal = _round(rep_pool * t.equal_share / size[inp.team_codes])
    team_contrib = _round(rep_pool * (1.0 - t.equal_share) * share)
    out["team_bonus"] = np.broadcast_to(team_equal, (d, n)) + team_contrib
    # innovation pool
    has_tgp = ~np.isnan(inp.target_gp)
    excess = np.maximum(gp_company - inp.target_gp[has_tgp].sum(), 0.0)
    innovation_pool = plan.innovation.excess_profit_share * excess
    total_points = inp.points.sum()
    per_point = innovation_pool / total_points if total_points > 0 else np.zeros_like(innovation_pool)
    out["innovation_bonus"] = _round(per_point[:, None] * inp.points[None, :])
    # budget
    subtotal = out["base_bonus"] + out["commission"] + out["team_bonus"] + out["innovation_bonus"]
    b = plan.budget
    won_total = won.sum(axis=1)
    target_total = target.sum()
    company_att = won_total / target_total if target_total > 0 else np.full(d, np.nan)
    base_budget = b.base_amount if b.base_amount is not None else b.base_share_of_target * target_total
    released = company_att >= b.release_attainment - EPS
    available = base_budget * (1.0 + b.release_share * released)
    total = subtotal.sum(axis=1)
    over = total > available + 0.005
    factor = np.where(over & (b.over_budget == "scale"), available / np.where(total > 0, total, 1.0), 1.0)
    if (factor == 1.0).all():  # nothing scaled (the usual case): skip two passes over (draws, reps)
        out["budget_scaling"] = np.zeros_like(subtotal)
        out["total_pay"] = subtotal
    else:
        out["budget_scaling"] = _round(subtotal * (factor[:, None] - 1.0))
        out["total_pay"] = subtotal + out["budget_scaling"]
    out.update(
        company_attainment=company_att,
        base_budget=np.full(d, base_budget),
        budget=available,
        released=released,
        over=over,
        factor=factor,
        innovation_pool=innovation_pool,
        excess_gp=excess,
        total_points=np.full(d, total_points),
        cost_before_scaling=total,
    )
    if detail:
        out.update(
            bands=bands,
            rates=rates,
            starts=starts,
            commission_before_cap=before_cap,
            team_pool=rep_pool,
            team_size=size[inp.team_codes],
            team_share=share,
            team_equal=team_equal,
            team_contrib=team_contrib,
            per_point=per_point,
            reached=reached,
            eligible=eligible,
            top_team=top_team[inp.team_codes],
        )
    return out


def _won(plan: Plan, inp: PayInputs) -> np.ndarray:
    return inp.won_by_type @ _deal_mask(plan)


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: ``sum_i (2i - n - 1) x_(i) / (n sum x)`` (NaN if sum is 0)."""
    x = np.sort(np.asarray(values, dtype=float))
    n, s = len(x), x.sum()
    if n == 0 or s <= 0:
        return math.nan
    i = np.arange(1, n + 1)
    return float(((2 * i - n - 1) * x).sum() / (n * s))


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan


def grade_reps(inputs: PayInputs, card: ScorecardConfig) -> pd.DataFrame:
    """Scores, rank in role and grade of every active rep under the scorecard ``card``.

    Grades depend on a plan's scorecard only, so a caller that keeps them per scorecard can
    pass them to :func:`compute` (``graded=``) while pay parameters move. Grain and columns:
    those of :func:`analytics.incentives.scorecard.score`.
    """
    return score(inputs.metrics, card, normalised=inputs.normalised[card.normalise])


def _pay(inp: PayInputs, plan: Plan, *, detail: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Won amounts and the pay components (one draw) of every rep under ``plan``."""
    won = _won(plan, inp)
    top_team = top_collaboration_teams(
        inp.collaboration, inp.team_codes, len(inp.team_ids), plan.team.collaboration_top_share
    )
    gp_company = np.array([inp.gross_profit[~np.isnan(inp.target_gp)].sum()])
    return won, _payout(plan, won[None, :], gp_company, inp, top_team, detail=detail)


@dataclass(frozen=True)
class QuickResult:
    """The plan summary and every visible rep's total pay, without grades or the per-rep frame.

    What a slider move shows first: :attr:`summary` equals ``compute(inputs, plan).summary``
    and :attr:`total_pay` its ``per_rep["total_pay"]`` (same reps, same order).
    """

    summary: Summary
    total_pay: np.ndarray = field(repr=False, compare=False)
    viewer: Scope = NOBODY


def quick(inputs: PayInputs, plan: Plan) -> QuickResult:
    """The summary of ``plan`` on ``inputs`` (cost, budget, shares) and each visible rep's pay.

    The cheap part of :func:`compute` (no scorecard grades, no per-rep frame): about a
    millisecond for a thousand reps, so a page can show the cost of every slider position
    before it computes anything else. Formulas: the module docstring.
    """
    won, p = _pay(inputs, plan, detail=False)
    vis = inputs.visible
    pay = p["total_pay"][0][vis]
    return QuickResult(summary=_summary(plan, inputs, p, won), total_pay=pay, viewer=inputs.viewer)


def compute(inputs: PayInputs, plan: Plan, *, graded: pd.DataFrame | None = None) -> SimulationResult:
    """Apply ``plan`` to ``inputs``: every visible rep's pay, grade and the plan summary.

    ``graded``: :func:`grade_reps` for ``plan`` when the caller has it already (grades depend
    on the plan's scorecard only); computed here otherwise.
    """
    inp = inputs
    won, p = _pay(inp, plan, detail=True)
    if graded is None:
        graded = grade_reps(inp, plan.scorecard)
    g = graded.set_index("rep_id").reindex(inp.reps["rep_id"])
    vis = inp.visible
    columns = {
        "monthly_salary": inp.salary,
        "won_amount": won,
        "target_amount": inp.target,
        "attainment": p["attainment"][0],
        "gross_profit": inp.gross_profit,
        "innovation_points": inp.points,
        **{comp: p[comp][0] for comp in COMPONENTS},
        "total_pay": p["total_pay"][0],
        "grade": g["grade"].to_numpy(),
        "total_score": g["total_score"].to_numpy(dtype=float),
        "rank_in_role": g["rank_in_role"].to_numpy(),
        "top_collaboration_team": p["top_team"],
    }
    ids = inp.reps[vis].reset_index(drop=True)
    per_rep = pd.concat([ids, pd.DataFrame({k: v[vis] for k, v in columns.items()})], axis=1)[list(PER_REP_COLUMNS)]
    detail = {k: (v[..., vis] if isinstance(v, np.ndarray) and v.shape[-1:] == (inp.n,) else v) for k, v in p.items()}
    summary = _summary(plan, inp, p, won)
    return SimulationResult(
        quarter=inp.quarter, plan=plan, per_rep=per_rep, summary=summary, detail=detail, viewer=inp.viewer
    )


def _summary(plan: Plan, inp: PayInputs, p: dict[str, np.ndarray], won: np.ndarray) -> Summary:
    vis = inp.visible
    scoped = not bool(vis.all())
    target_vis = float(inp.target[vis].sum())
    share = _ratio(target_vis, float(inp.target.sum())) if scoped else 1.0
    pay = p["total_pay"][0][vis]
    att = p["attainment"][0][vis]
    med = float(np.median(pay)) if len(pay) else math.nan
    p90 = float(np.percentile(pay, 90)) if len(pay) else math.nan
    total = float(pay.sum())
    budget = float(p["budget"][0]) * (share if not math.isnan(share) else 0.0)
    accel = plan.accelerator_start
    mean_if = lambda mask: float(mask.mean()) if len(mask) else math.nan  # noqa: E731
    cost = {comp: float(p[comp][0][vis].sum()) for comp in COMPONENTS}
    return Summary(
        quarter=inp.quarter,
        plan_name=plan.name,
        reps=len(pay),
        total_cost=total,
        budget=budget,
        base_budget=float(p["base_budget"][0]) * (share if not math.isnan(share) else 0.0),
        budget_released=bool(p["released"][0]),
        over_budget=bool(p["over"][0]),
        over_budget_mode=plan.budget.over_budget,
        scale_factor=float(p["factor"][0]),
        company_attainment=float(p["company_attainment"][0]),
        won_amount=float(won[vis].sum()),
        target_amount=target_vis,
        cost_of_sales=_ratio(total, float(won[vis].sum())),
        share_base=mean_if(att >= plan.base_bonus.threshold - EPS),
        share_quota=mean_if(att >= 1.0 - EPS),
        share_accelerator=mean_if(att >= accel - EPS) if not math.isnan(accel) else math.nan,
        base_cost=cost["base_bonus"],
        commission_cost=cost["commission"],
        team_cost=cost["team_bonus"],
        innovation_cost=cost["innovation_bonus"],
        scaling_cost=cost["budget_scaling"],
        innovation_pool=float(p["innovation_pool"][0]),
        innovation_unallocated=float(p["innovation_pool"][0]) if p["total_points"][0] <= 0 else 0.0,
        excess_gross_profit=float(p["excess_gp"][0]),
        median_pay=med,
        p90_pay=p90,
        p90_median_ratio=_ratio(p90, med),
        gini=gini(pay),
        reps_without_target=inp.excluded_reps,
        won_without_target=inp.excluded_won,
        scoped=scoped,
    )


def simulate(
    store: Store, plan: Plan, quarter: str, scope: Scope, *, regions: tuple[str, ...] = (), teams: tuple[str, ...] = ()
) -> SimulationResult:
    """Every visible rep's pay under ``plan`` in ``quarter`` (:func:`load_inputs` + :func:`compute`).

    Parameters
    ----------
    store, plan, quarter, scope
        The store, the plan, a quarter such as ``2025Q3`` and the identity's scope.
    regions, teams
        Optional display restriction (pools, ranks and the budget stay company-wide).

    Returns
    -------
    SimulationResult
        ``per_rep`` (one row per visible rep with a positive target; columns
        :data:`PER_REP_COLUMNS`) and ``summary`` (:class:`Summary`).
    """
    filters = Filters.for_quarter(quarter, region_ids=tuple(regions), team_ids=tuple(teams))
    return compute(load_inputs(store, filters, scope), plan)
