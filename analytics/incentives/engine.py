"""Incentive payout engine: every rep's pay under a plan, explained line by line, and its risk.

The engine is vectorised with NumPy over all reps (and, for the Monte Carlo, over draws):
:func:`load_inputs` reads one quarter from the store once; :func:`compute` applies a
:class:`~analytics.plans.Plan` to those inputs in milliseconds, so a page can recompute on
every slider move; :func:`simulate` does both. Formulas (docs/methods/incentives.md):

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
a rep's total pay equals the sum of the lines of :func:`trace` exactly. Comparisons with
thresholds use a tolerance of 1e-9 so that exactly 80% counts as reaching 80%.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics.access import NOBODY, Scope, require_individual_pay
from analytics.incentives.plans import DEAL_TYPES, Plan
from analytics.incentives.scorecard import load_metrics, migration, normalise, score, visible_rep_ids
from analytics.periods import Quarter
from analytics.store import Store

#: Tolerance for attainment comparisons (exactly 80% reaches an 80% threshold).
EPS = 1e-9
#: Past quarters (including the simulated one) the Monte Carlo bootstraps from.
HISTORY_QUARTERS = 8
#: Draws processed at once by the Monte Carlo (bounds memory at ~10 MB per array for 10k reps).
DRAW_CHUNK = 128
#: Log-normal spread of attainment when there is too little history to bootstrap.
FALLBACK_SIGMA = 0.25
#: Characters that make a spreadsheet cell a formula (neutralised on export).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
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
class PayInputs:
    """One quarter's engine inputs (company-wide) plus which reps the scope may see.

    ``reps`` has one row per rep in the plan (positive target), in the order of every array.
    ``won_by_type`` is (reps, 3) in :data:`analytics.plans.DEAL_TYPES` order, CNY.
    ``history_won`` is (reps, quarters, 3) and ``history_target`` (reps, quarters) for
    ``history_quarters`` (oldest first, ending with this quarter; NaN target = not active).
    ``metrics`` is the scorecard metric frame of every active rep (normalised scores in
    ``normalised[method]``), used for grades.
    """

    quarter: str
    reps: pd.DataFrame
    won_by_type: np.ndarray
    gross_profit: np.ndarray
    target: np.ndarray
    target_gp: np.ndarray
    salary: np.ndarray
    points: np.ndarray
    collaboration: np.ndarray
    team_codes: np.ndarray
    team_ids: tuple[str, ...]
    visible: np.ndarray
    metrics: pd.DataFrame
    normalised: dict[str, pd.DataFrame]
    history_quarters: tuple[str, ...]
    history_won: np.ndarray
    history_target: np.ndarray
    excluded_reps: int
    excluded_won: float
    #: who asked: decides whether results may show individual pay lines (fails closed)
    viewer: Scope = NOBODY

    @property
    def n(self) -> int:
        """Reps in the plan."""
        return len(self.target)


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
    ``summary``: :class:`Summary`. Use :func:`trace` for a rep's payout lines.
    ``viewer``: the identity the inputs were loaded for; :func:`trace`, :func:`statement`,
    :func:`compare` and :func:`pay_lines` refuse a viewer who sees pay aggregated only
    (:func:`analytics.access.sees_individual_pay`), and :func:`pay_by_team` serves them.
    """

    quarter: str
    plan: Plan
    per_rep: pd.DataFrame
    summary: Summary
    detail: dict[str, np.ndarray] = field(repr=False, compare=False)
    viewer: Scope = NOBODY


# -- loading -----------------------------------------------------------------------------
def _history(store: Store, quarter: Quarter, rep_ids: list[str]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Won by type and targets per rep for up to HISTORY_QUARTERS quarters ending with ``quarter``."""
    quarters = [
        str(q)
        for q in sorted(
            {quarter, *[Quarter.parse(x) for x in store.query("SELECT DISTINCT quarter FROM targets")["quarter"]]}
        )
        if q <= quarter
    ][-HISTORY_QUARTERS:]
    first = Quarter.parse(quarters[0]).start
    df = store.query(
        """WITH d AS (
               SELECT rep_id, year(signed_at)::VARCHAR || 'Q' || quarter(signed_at)::VARCHAR AS quarter,
                      deal_type, sum(amount)::DOUBLE AS won
               FROM deals WHERE signed_at BETWEEN ? AND ? GROUP BY ALL)
           SELECT t.rep_id, t.quarter, t.target_amount::DOUBLE AS target,
                  coalesce(sum(d.won) FILTER (WHERE d.deal_type = 'new'), 0) AS won_new,
                  coalesce(sum(d.won) FILTER (WHERE d.deal_type = 'renewal'), 0) AS won_renewal,
                  coalesce(sum(d.won) FILTER (WHERE d.deal_type = 'upsell'), 0) AS won_upsell
           FROM targets AS t LEFT JOIN d USING (rep_id, quarter)
           WHERE list_contains(?::VARCHAR[], t.quarter) AND t.target_amount > 0
           GROUP BY t.rep_id, t.quarter, t.target_amount""",
        [first, quarter.end, quarters],
    )
    n, h = len(rep_ids), len(quarters)
    won = np.zeros((n, h, 3))
    target = np.full((n, h), np.nan)
    ri = pd.Index(rep_ids).get_indexer(df["rep_id"])
    qi = pd.Index(quarters).get_indexer(df["quarter"])
    ok = ri >= 0
    target[ri[ok], qi[ok]] = df["target"].to_numpy()[ok]
    won[ri[ok], qi[ok]] = df[["won_new", "won_renewal", "won_upsell"]].to_numpy()[ok]
    return tuple(quarters), won, target


def load_inputs(
    store: Store, quarter: str, scope: Scope, *, regions: tuple[str, ...] = (), teams: tuple[str, ...] = ()
) -> PayInputs:
    """Read everything the engine needs for ``quarter`` (company-wide; visibility from ``scope``).

    Pools, ranks and the budget depend on every rep, so the inputs cover the whole company;
    :func:`compute` returns rows only for the reps ``scope`` may see (and that are in the
    optional ``regions`` / ``teams``).
    """
    q = Quarter.parse(quarter)
    metrics = load_metrics(store, str(q))
    deals = store.query(
        """SELECT rep_id,
                  coalesce(sum(amount) FILTER (WHERE deal_type = 'new'), 0)::DOUBLE AS won_new,
                  coalesce(sum(amount) FILTER (WHERE deal_type = 'renewal'), 0)::DOUBLE AS won_renewal,
                  coalesce(sum(amount) FILTER (WHERE deal_type = 'upsell'), 0)::DOUBLE AS won_upsell,
                  coalesce(sum(gross_profit), 0)::DOUBLE AS gross_profit
           FROM deals WHERE signed_at BETWEEN ? AND ? GROUP BY rep_id""",
        [q.start, q.end],
    ).set_index("rep_id")
    points = store.query(
        "SELECT rep_id, sum(points)::DOUBLE AS points FROM innovations WHERE quarter = ? GROUP BY rep_id", [str(q)]
    ).set_index("rep_id")["points"]
    in_plan = (metrics["target_amount"].fillna(0) > 0).to_numpy()
    reps = metrics.loc[in_plan, ["rep_id", "rep_name", "team_id", "region_id", "role"]].reset_index(drop=True)
    ids = reps["rep_id"].tolist()
    d = deals.reindex(ids).fillna(0.0)
    outside = deals.drop(index=[r for r in ids if r in deals.index])
    plan_rows = metrics[in_plan].reset_index(drop=True)
    team_codes, team_uniques = pd.factorize(reps["team_id"], sort=True)
    visible = visible_rep_ids(store, scope, regions=regions, teams=teams)
    hist_q, hist_won, hist_target = _history(store, q, ids)
    return PayInputs(
        quarter=str(q),
        reps=reps,
        won_by_type=d[["won_new", "won_renewal", "won_upsell"]].to_numpy(dtype=float),
        gross_profit=d["gross_profit"].to_numpy(dtype=float),
        target=plan_rows["target_amount"].to_numpy(dtype=float),
        target_gp=plan_rows["target_gross_profit"].to_numpy(dtype=float),
        salary=plan_rows["monthly_salary"].fillna(0).to_numpy(dtype=float),
        points=points.reindex(ids).fillna(0.0).to_numpy(dtype=float),
        collaboration=plan_rows["collaboration_score"].to_numpy(dtype=float),
        team_codes=team_codes.astype(np.int64),
        team_ids=tuple(team_uniques),
        visible=reps["rep_id"].isin(visible).to_numpy(),
        metrics=metrics,
        normalised={m: normalise(metrics, m) for m in ("percentile", "zscore")},
        history_quarters=hist_q,
        history_won=hist_won,
        history_target=hist_target,
        excluded_reps=len(outside),
        excluded_won=float(outside[["won_new", "won_renewal", "won_upsell"]].sum().sum()),
        viewer=scope,
    )


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


def compute(inputs: PayInputs, plan: Plan) -> SimulationResult:
    """Apply ``plan`` to ``inputs``: every visible rep's pay, grade and the plan summary."""
    inp = inputs
    won = _won(plan, inp)
    top_team = top_collaboration_teams(
        inp.collaboration, inp.team_codes, len(inp.team_ids), plan.team.collaboration_top_share
    )
    gp_company = np.array([inp.gross_profit[~np.isnan(inp.target_gp)].sum()])
    p = _payout(plan, won[None, :], gp_company, inp, top_team, detail=True)
    graded = score(inp.metrics, plan.scorecard, normalised=inp.normalised[plan.scorecard.normalise])
    g = graded.set_index("rep_id").reindex(inp.reps["rep_id"])
    frame = inp.reps.copy()
    frame["monthly_salary"] = inp.salary
    frame["won_amount"] = won
    frame["target_amount"] = inp.target
    frame["attainment"] = p["attainment"][0]
    frame["gross_profit"] = inp.gross_profit
    frame["innovation_points"] = inp.points
    for comp in COMPONENTS:
        frame[comp] = p[comp][0]
    frame["total_pay"] = p["total_pay"][0]
    frame["grade"] = g["grade"].to_numpy()
    frame["total_score"] = g["total_score"].to_numpy(dtype=float)
    frame["rank_in_role"] = g["rank_in_role"].to_numpy()
    frame["top_collaboration_team"] = p["top_team"]
    vis = inp.visible
    per_rep = frame[vis].reset_index(drop=True)[list(PER_REP_COLUMNS)]
    detail = {k: (v[..., vis] if isinstance(v, np.ndarray) and v.shape[-1:] == (inp.n,) else v) for k, v in p.items()}
    summary = _summary(plan, inp, p, per_rep, won)
    return SimulationResult(
        quarter=inp.quarter, plan=plan, per_rep=per_rep, summary=summary, detail=detail, viewer=inp.viewer
    )


def _summary(plan: Plan, inp: PayInputs, p: dict[str, np.ndarray], per_rep: pd.DataFrame, won: np.ndarray) -> Summary:
    vis = inp.visible
    scoped = not bool(vis.all())
    target_vis = float(inp.target[vis].sum())
    share = _ratio(target_vis, float(inp.target.sum())) if scoped else 1.0
    pay = per_rep["total_pay"].to_numpy()
    att = per_rep["attainment"].to_numpy()
    med = float(np.median(pay)) if len(pay) else math.nan
    p90 = float(np.percentile(pay, 90)) if len(pay) else math.nan
    total = float(pay.sum())
    budget = float(p["budget"][0]) * (share if not math.isnan(share) else 0.0)
    accel = plan.accelerator_start
    mean_if = lambda mask: float(mask.mean()) if len(mask) else math.nan  # noqa: E731
    return Summary(
        quarter=inp.quarter,
        plan_name=plan.name,
        reps=len(per_rep),
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
        base_cost=float(per_rep["base_bonus"].sum()),
        commission_cost=float(per_rep["commission"].sum()),
        team_cost=float(per_rep["team_bonus"].sum()),
        innovation_cost=float(per_rep["innovation_bonus"].sum()),
        scaling_cost=float(per_rep["budget_scaling"].sum()),
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

    Returns
    -------
    SimulationResult
        ``per_rep`` (one row per visible rep with a positive target; columns
        :data:`PER_REP_COLUMNS`) and ``summary`` (:class:`Summary`).
    """
    return compute(load_inputs(store, quarter, scope, regions=regions, teams=teams), plan)


# -- trace and statements -----------------------------------------------------------------
TRACE_COLUMNS = ("rule", "tier", "metric", "value", "rate", "amount", "detail")
STATEMENT_COLUMNS = ("quarter", "plan", "rep_id", "rep_name", "team_id", "grade", "line", *TRACE_COLUMNS)


def _pct(x: float) -> str:
    return f"{100 * x:.4g}%"


def _money(x: float) -> str:
    return f"¥{x:,.2f}"


def _lines(result: SimulationResult, idx: np.ndarray) -> pd.DataFrame:
    """Trace lines of the reps at positions ``idx`` of ``per_rep`` (vectorised over reps).

    Grain: one row per rep and line, ordered by rep then line. Columns: ``rep_pos``, ``line`` and
    :data:`TRACE_COLUMNS`.
    """
    d, plan, rows = result.detail, result.plan, result.per_rep.iloc[idx]
    n = len(idx)
    att = rows["attainment"].to_numpy(dtype=float)
    parts: list[pd.DataFrame] = []

    def add(rule: str, tier: int | None, metric: str, value: Any, rate: Any, amount: Any, detail: list[str]) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "rep_pos": idx,
                    "rule": rule,
                    "tier": tier,
                    "metric": metric,
                    "value": np.broadcast_to(np.asarray(value, dtype=float), n),
                    "rate": np.broadcast_to(np.asarray(rate, dtype=float), n),
                    "amount": np.broadcast_to(np.asarray(amount, dtype=float), n),
                    "detail": detail,
                }
            )
        )

    b = plan.base_bonus
    reached = d["reached"][0, idx]
    add(
        "base_bonus",
        None,
        "monthly_salary",
        rows["monthly_salary"],
        np.where(reached, b.salary_share, 0.0),
        rows["base_bonus"],
        [
            f"attainment {_pct(a)} reaches the {_pct(b.threshold)} threshold: {_pct(b.salary_share)} of monthly salary"
            if r
            else f"attainment {_pct(a)} is below the {_pct(b.threshold)} threshold: no base bonus"
            for a, r in zip(att, reached, strict=True)
        ],
    )
    c = plan.commission
    eligible = d["eligible"][0, idx]
    below = f" (below the {_pct(c.threshold)} commission threshold)"
    for k, tier in enumerate(c.tiers):
        band = d["bands"][k, 0, idx]
        if c.mode == "retroactive":
            reached_text = f"whole won amount at tier {k + 1} (from {_pct(tier.start)} of target), the highest reached"
            other_text = f"tier {k + 1} (from {_pct(tier.start)} of target) is not the highest tier reached"
            texts = [reached_text if v > 0 else other_text for v in band]
        else:
            span = (
                f"between {_pct(tier.start)} and {_pct(c.tiers[k + 1].start)} of target"
                if k + 1 < len(c.tiers)
                else f"above {_pct(tier.start)} of target"
            )
            texts = [f"won amount {span} at {_pct(tier.rate)}"] * n
        texts = [tx if ok else tx + below for tx, ok in zip(texts, eligible, strict=True)]
        add("commission", k + 1, "won_amount", band, tier.rate, _round(band * tier.rate), texts)
    if c.cap_amount is not None:
        before = d["commission_before_cap"][0, idx]
        add(
            "commission_cap",
            None,
            "commission",
            before,
            np.nan,
            _round(rows["commission"].to_numpy() - before),
            [f"commission capped at {_money(c.cap_amount)}"] * n,
        )
    t = plan.team
    pool, size = d["team_pool"][idx], d["team_size"][idx]
    top = d["top_team"][idx]
    add(
        "team_equal",
        None,
        "team_pool",
        pool,
        t.equal_share / size,
        d["team_equal"][idx],
        [
            f"team pool {_money(p)} ({_money(t.pool_per_member)} x {int(s)} members"
            f"{f', +{_pct(t.collaboration_uplift)} collaboration uplift' if up else ''}) x {_pct(t.equal_share)} / "
            f"{int(s)} members"
            for p, s, up in zip(pool, size, top, strict=True)
        ],
    )
    share = d["team_share"][0, idx]
    add(
        "team_contribution",
        None,
        "team_pool",
        pool,
        (1 - t.equal_share) * share,
        d["team_contrib"][0, idx],
        [f"team pool x {_pct(1 - t.equal_share)} x own share {_pct(sh)} of the team's won amount" for sh in share],
    )
    per_point = float(d["per_point"][0])
    add(
        "innovation",
        None,
        "innovation_points",
        rows["innovation_points"],
        per_point,
        rows["innovation_bonus"],
        [
            f"{_pct(plan.innovation.excess_profit_share)} of excess gross profit {_money(float(d['excess_gp'][0]))} = "
            f"{_money(float(d['innovation_pool'][0]))} pool, {_money(per_point)} per point"
        ]
        * n,
    )
    factor = float(d["factor"][0])
    if factor != 1.0:
        scaling = rows["budget_scaling"].to_numpy()
        add(
            "budget_scaling",
            None,
            "subtotal",
            rows["total_pay"].to_numpy() - scaling,
            factor - 1.0,
            scaling,
            [f"over budget: every payout scaled by {factor:.6f}"] * n,
        )
    if not n:
        return pd.DataFrame(columns=["rep_pos", "line", *TRACE_COLUMNS])
    out = pd.concat(parts, ignore_index=True)
    out["order"] = np.repeat(np.arange(len(parts)), n)
    out = out.sort_values(["rep_pos", "order"], kind="stable", ignore_index=True)
    out["line"] = out.groupby("rep_pos").cumcount() + 1
    out["tier"] = out["tier"].astype("Int64")
    return out[["rep_pos", "line", *TRACE_COLUMNS]]


def trace(result: SimulationResult, rep_id: str) -> pd.DataFrame:
    """The payout lines of one rep; ``amount`` sums to the rep's ``total_pay`` exactly.

    Columns: ``rule`` (base_bonus, commission, commission_cap, team_equal, team_contribution,
    innovation, budget_scaling), ``tier`` (commission tier number), ``metric`` (what ``value``
    measures), ``value``, ``rate``, ``amount`` (CNY; ``value * rate`` rounded to the cent),
    ``detail`` (an English sentence). Empty when the rep is not in the result.
    Raises :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only.
    """
    require_individual_pay(result.viewer)
    hits = np.flatnonzero(result.per_rep["rep_id"].to_numpy() == rep_id)
    return _lines(result, hits[:1])[list(TRACE_COLUMNS)].reset_index(drop=True)


def statement(result: SimulationResult, rep_ids: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Payout statements: every trace line of the given reps (default all visible), one row per line.

    Columns: :data:`STATEMENT_COLUMNS` (``quarter, plan, rep_id, rep_name, team_id, grade, line`` and the
    trace columns). Reps not in the result are skipped. Raises
    :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only.
    """
    require_individual_pay(result.viewer)
    ids = result.per_rep["rep_id"].to_numpy()
    if rep_ids is None:
        idx = np.arange(len(ids))
    else:
        pos = pd.Index(ids).get_indexer(list(rep_ids))
        idx = pos[pos >= 0]
    lines = _lines(result, idx)
    rows = result.per_rep.iloc[lines["rep_pos"].to_numpy()] if len(lines) else result.per_rep.iloc[:0]
    out = pd.DataFrame(
        {
            "quarter": result.quarter,
            "plan": result.plan.name,
            "rep_id": rows["rep_id"].to_numpy(),
            "rep_name": rows["rep_name"].to_numpy(),
            "team_id": rows["team_id"].to_numpy(),
            "grade": rows["grade"].to_numpy(),
        }
    )
    for col in ("line", *TRACE_COLUMNS):
        out[col] = lines[col].to_numpy()
    out["tier"] = out["tier"].astype("Int64")
    return out[list(STATEMENT_COLUMNS)]


def pay_lines(result: SimulationResult, columns: list[str] | tuple[str, ...] = PER_REP_COLUMNS) -> pd.DataFrame:
    """Every visible rep's pay (one row per rep, ``columns`` of :data:`PER_REP_COLUMNS`).

    The one door through which individual pay leaves the engine for an output (CLI, export).
    Raises :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only;
    serve them :func:`pay_by_team`.
    """
    require_individual_pay(result.viewer)
    return result.per_rep[list(columns)].copy()


#: Columns of :func:`pay_by_team`.
TEAM_PAY_COLUMNS = (
    "team_id",
    "region_id",
    "reps",
    "won_amount",
    "target_amount",
    "attainment",
    *COMPONENTS,
    "total_pay",
    "mean_pay",
)


def pay_by_team(result: SimulationResult) -> pd.DataFrame:
    """Pay aggregated per team: what a viewer who sees pay aggregated only is shown.

    Grain: one row per team with a visible rep. ``attainment`` is the team's won amount over
    its target; money columns are sums over the team's reps (``mean_pay`` = total / reps).
    """
    per = result.per_rep
    if per.empty:
        return pd.DataFrame(columns=list(TEAM_PAY_COLUMNS))
    sums = ["won_amount", "target_amount", *COMPONENTS, "total_pay"]
    g = per.groupby(["team_id", "region_id"], as_index=False).agg(
        reps=("rep_id", "size"), **{c: (c, "sum") for c in sums}
    )
    g["attainment"] = np.where(
        g["target_amount"] > 0, g["won_amount"] / g["target_amount"].where(g["target_amount"] > 0), np.nan
    )
    g["mean_pay"] = (g["total_pay"] / g["reps"]).round(2)
    for c in (*COMPONENTS, "total_pay", "won_amount", "target_amount"):
        g[c] = g[c].round(2)
    return g[list(TEAM_PAY_COLUMNS)].sort_values("team_id", ignore_index=True)


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` where text cells starting with = + - @ tab or CR get a leading apostrophe.

    Spreadsheet programs treat such cells as formulas (CSV/formula injection, OWASP); the
    apostrophe makes them plain text. Numbers are left as numbers.
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v)
    out.columns = [("'" + c if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel opens Chinese text correctly), formula cells neutralised."""
    return neutralise(df).to_csv(index=False).encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "statement") -> bytes:
    """An .xlsx workbook of ``df`` (formula cells neutralised; strings never become formulas or links)."""
    import xlsxwriter

    safe = neutralise(df)
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(
        buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    ws = book.add_worksheet(sheet[:31])
    ws.write_row(0, 0, [str(c) for c in safe.columns])
    for j, col in enumerate(safe.columns):
        values = safe[col].astype(object).where(safe[col].notna(), None).tolist()
        ws.write_column(1, j, values)
    book.close()
    return buf.getvalue()


# -- comparison ---------------------------------------------------------------------------
def compare(baseline: SimulationResult, scenario: SimulationResult) -> pd.DataFrame:
    """Winners and losers: per rep, pay under both plans, the change and its main reason.

    Grain: one row per rep in either result. Columns: ``rep_id, rep_name, team_id, role,
    attainment, total_pay_baseline, total_pay_scenario, delta, delta_pct``, the change of each
    component (``d_base_bonus`` ...), ``grade_baseline, grade_scenario`` and ``reason``: a
    stable code, ``reaches_base`` / ``loses_base`` when the base bonus switches on or off,
    else the component whose change is largest (``commission``, ``team_bonus``,
    ``innovation_bonus``, ``budget_scaling``, ``base_bonus``), or ``unchanged``.
    Sorted by ``delta`` descending. Raises :class:`analytics.access.AccessDenied` for a
    viewer who sees pay aggregated only.
    """
    require_individual_pay(baseline.viewer)
    require_individual_pay(scenario.viewer)
    keys = ["rep_id", "rep_name", "team_id", "role", "attainment"]
    b = baseline.per_rep.set_index("rep_id")
    s = scenario.per_rep.set_index("rep_id")
    ids = b.index.union(s.index)
    b, s = b.reindex(ids), s.reindex(ids)
    out = pd.DataFrame({"rep_id": ids})
    for k in keys[1:]:
        out[k] = s[k].combine_first(b[k]).to_numpy()
    out["total_pay_baseline"] = b["total_pay"].fillna(0).to_numpy()
    out["total_pay_scenario"] = s["total_pay"].fillna(0).to_numpy()
    out["delta"] = out["total_pay_scenario"] - out["total_pay_baseline"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["delta_pct"] = np.where(out["total_pay_baseline"] != 0, out["delta"] / out["total_pay_baseline"], np.nan)
    deltas = np.column_stack([(s[c].fillna(0) - b[c].fillna(0)).to_numpy() for c in COMPONENTS])
    for j, c in enumerate(COMPONENTS):
        out[f"d_{c}"] = np.round(deltas[:, j], 2)
    out["grade_baseline"] = b["grade"].to_numpy()
    out["grade_scenario"] = s["grade"].to_numpy()
    biggest = np.array(COMPONENTS)[np.abs(deltas).argmax(axis=1)]
    base_b, base_s = b["base_bonus"].fillna(0).to_numpy(), s["base_bonus"].fillna(0).to_numpy()
    reason = np.where(np.abs(out["delta"]) < 0.005, "unchanged", biggest)
    reason = np.where((base_b == 0) & (base_s > 0), "reaches_base", reason)
    reason = np.where((base_b > 0) & (base_s == 0), "loses_base", reason)
    out["reason"] = reason
    return out.sort_values(["delta", "rep_id"], ascending=[False, True], ignore_index=True)


def grade_migration(baseline: SimulationResult, scenario: SimulationResult) -> Any:
    """From-to grade matrix and movers between two results (see :func:`analytics.scorecard.migration`)."""
    return migration(baseline.per_rep, scenario.per_rep)


def payout_curve(inputs: PayInputs, plan: Plan, *, max_attainment: float = 2.5, points: int = 101) -> pd.DataFrame:
    """Pay from the individual rules (base bonus + commission) against attainment, for a typical rep.

    The typical rep has the median target and the median monthly salary of the plan's reps.
    Pools (team, innovation) and budget scaling depend on others and are left out. Grain: one
    row per attainment point. Columns: ``attainment, base_bonus, commission, pay``.
    """
    if inputs.n == 0:
        return pd.DataFrame(columns=["attainment", "base_bonus", "commission", "pay"])
    grid = np.linspace(0.0, max_attainment, points)
    target, salary = float(np.median(inputs.target)), float(np.median(inputs.salary))
    c = plan.commission
    won = grid * target
    base = np.where(grid >= plan.base_bonus.threshold - EPS, round(plan.base_bonus.salary_share * salary, 2), 0.0)
    starts = np.array([t.start for t in c.tiers])
    rates = np.array([t.rate for t in c.tiers])
    capped = np.minimum(won, c.cap_attainment * target) if c.cap_attainment is not None else won
    com = np.zeros_like(grid)
    if c.mode == "marginal":
        for k in range(len(starts)):
            hi = starts[k + 1] * target if k + 1 < len(starts) else np.inf
            com += np.clip(capped - starts[k] * target, 0, max(hi - starts[k] * target, 0)) * rates[k]
    else:
        k = (grid[:, None] >= starts - EPS).sum(axis=1) - 1
        com = np.where(k >= 0, capped * rates[np.maximum(k, 0)], 0.0)
    com = np.where(grid >= c.threshold - EPS, com, 0.0)
    if c.cap_amount is not None:
        com = np.minimum(com, c.cap_amount)
    return pd.DataFrame({"attainment": grid, "base_bonus": base, "commission": com, "pay": base + com})


# -- Monte Carlo risk ---------------------------------------------------------------------
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


def _attainment_draws(inp: PayInputs, plan: Plan, rng: np.random.Generator, draws: int) -> tuple[np.ndarray, str]:
    """(draws, reps) attainment: company factor of a random past quarter x the rep's relative performance
    in an independently drawn past quarter of their own."""
    mask = _deal_mask(plan)
    won_h = inp.history_won @ mask  # (n, h)
    tgt_h = inp.history_target
    active = ~np.isnan(tgt_h) & (tgt_h > 0)
    h = len(inp.history_quarters)
    current = _won(plan, inp) / inp.target
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


def risk(inputs: PayInputs, plan: Plan, *, draws: int = 1000, shift: float = 0.0, seed: int = 0) -> RiskResult:
    """Monte Carlo of total cost: ``draws`` attainment scenarios, each paid under ``plan``.

    Each draw takes a company-wide factor (the company attainment of one past quarter,
    uniformly) times every rep's relative performance (their attainment / company attainment)
    in an independently drawn past quarter of their own, times ``1 + shift``. Won amount =
    attainment x this quarter's target; gross profit keeps each rep's current margin. The
    same ``seed`` gives the same draws, so two plans are compared on common random numbers.
    """
    if draws < 1:
        raise ValueError(f"draws must be at least 1, not {draws}.")
    inp = inputs
    rng = np.random.default_rng(seed)
    att, method = _attainment_draws(inp, plan, rng, draws)
    att = att * (1.0 + shift)
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
    """:func:`risk` on freshly loaded inputs (for the CLI and other areas)."""
    return risk(
        load_inputs(store, quarter, scope, regions=regions, teams=teams), plan, draws=draws, shift=shift, seed=seed
    )


# -- CLI ----------------------------------------------------------------------------------
#: Columns of ``simulate`` output (budget_scaling is added when the plan scales over budget).
CLI_SIMULATE_COLUMNS = (
    "rep_id",
    "team_id",
    "attainment",
    "base_bonus",
    "commission",
    "team_bonus",
    "innovation_bonus",
    "total_pay",
    "grade",
)
CLI_SCORECARD_COLUMNS = (
    "rep_id",
    "rep_name",
    "team_id",
    "region_id",
    "role",
    "results_score",
    "behaviour_score",
    "collaboration_score",
    "total_score",
    "rank_in_role",
    "reps_in_role",
    "grade",
    "previous_grade",
    "promotion_watch",
)


def _cli_plan(path: str | None) -> Plan:
    from analytics.cli.common import UserError
    from analytics.incentives.plans import PlanError, load_plan, reference_plan

    try:
        return load_plan(path) if path else reference_plan()
    except PlanError as exc:
        raise UserError(str(exc)) from exc


def _cli_quarter(store: Store, text: str | None) -> str:
    from analytics.cli.common import UserError
    from analytics.lookups import latest_complete_quarter

    if not text:
        q = latest_complete_quarter(store)
        if q is None:
            raise UserError("The store has no data yet; import data or build the demo store first.")
        return q
    try:
        return str(Quarter.parse(text))
    except ValueError as exc:
        raise UserError(str(exc)) from exc


#: Said (on stderr) when ``simulate`` shows a viewer pay per team instead of per rep.
AGGREGATE_NOTE = "Your role sees pay aggregated only: one row per team."


def _cmd_simulate(args: Any) -> int:
    import sys

    from analytics.access import sees_individual_pay
    from analytics.cli.common import UserError, cli_scope, emit, open_store, output_lang
    from analytics.i18n import translate

    store = open_store(args.db)
    plan = _cli_plan(args.plan)
    quarter = _cli_quarter(store, args.quarter)
    scope = cli_scope(args)
    inputs = load_inputs(store, quarter, scope)
    result = compute(inputs, plan)
    if args.trace:
        lines = trace(result, args.trace)
        if lines.empty:
            raise UserError(f"Rep {args.trace} has no pay in {quarter} (no positive target, or not in the store).")
        emit(lines, args.format, args.out)
        return 0
    if args.summary:
        emit(result.summary.to_dict(), "json", args.out)
        return 0
    if args.risk:
        emit(risk(inputs, plan, draws=args.draws, shift=args.shift, seed=args.seed).to_dict(), "json", args.out)
        return 0
    if not sees_individual_pay(scope):
        if args.baseline:
            require_individual_pay(scope)
        print(translate(AGGREGATE_NOTE, output_lang()), file=sys.stderr)
        emit(pay_by_team(result), args.format, args.out)
        return 0
    cols = list(CLI_SIMULATE_COLUMNS)
    if plan.budget.over_budget == "scale":
        cols.insert(cols.index("total_pay"), "budget_scaling")
    out = pay_lines(result, cols)
    if args.baseline:
        base = compute(inputs, _cli_plan(args.baseline)).per_rep.set_index("rep_id")["total_pay"]
        out["baseline_total_pay"] = out["rep_id"].map(base).to_numpy()
        out["delta"] = (out["total_pay"] - out["baseline_total_pay"]).round(2)
    emit(out, args.format, args.out)
    return 0


def _cmd_scorecard(args: Any) -> int:
    from analytics.cli.common import cli_scope, emit, open_store
    from analytics.incentives.scorecard import scorecard as run_scorecard

    store = open_store(args.db)
    quarter = _cli_quarter(store, args.quarter)
    result = run_scorecard(store, quarter, cli_scope(args), plan=_cli_plan(args.plan))
    if args.list == "promotion":
        emit(result.promotion[list(CLI_SCORECARD_COLUMNS)], args.format, args.out)
    elif args.list == "improvement":
        emit(result.improvement, args.format, args.out)
    else:
        emit(result.per_rep[list(CLI_SCORECARD_COLUMNS)], args.format, args.out)
    return 0


def _cmd_scenarios(args: Any) -> int:
    from analytics.cli.common import UserError, cli_scope, emit, open_store
    from analytics.incentives.plans import PlanError, list_scenarios, load_scenario, parse_scenario_ref, save_scenario

    if args.action == "save":
        if not args.name:
            raise UserError("Give the scenario a name with --name.")
        store = open_store(args.db, read_only=False)
        plan = _cli_plan(args.plan)
        try:
            rev = save_scenario(store, args.name, plan, args.author, quarter=args.quarter, note=args.note or "")
        except PlanError as exc:
            raise UserError(str(exc)) from exc
        emit({"name": args.name.strip(), "revision": rev, "plan_name": plan.name}, "json", args.out)
        return 0
    store = open_store(args.db)
    if args.action == "list":
        emit(list_scenarios(store), args.format, args.out)
        return 0
    if len(args.refs) != 2:
        raise UserError("Name two scenarios to compare, e.g. 'scenarios compare reference retention@2'.")
    try:
        plans_ = [load_scenario(store, *parse_scenario_ref(ref)) for ref in args.refs]
    except PlanError as exc:
        raise UserError(str(exc)) from exc
    quarter = _cli_quarter(store, args.quarter)
    inputs = load_inputs(store, quarter, cli_scope(args))
    a, b = (compute(inputs, p) for p in plans_)
    if args.per_rep:
        emit(compare(a, b), args.format, args.out)
        return 0
    da, db = a.summary.to_dict(), b.summary.to_dict()
    rows = [
        {
            "figure": k,
            "a": da[k],
            "b": db[k],
            "delta": (db[k] - da[k]) if isinstance(da[k], int | float) and not isinstance(da[k], bool) else None,
        }
        for k in da
        if k not in ("quarter",)
    ]
    emit(pd.DataFrame(rows), args.format, args.out)
    return 0


def register(sub: Any) -> None:
    """Add ``simulate``, ``scorecard`` and ``scenarios``."""
    from analytics.cli.common import add_db, add_format

    p = sub.add_parser("simulate", help="every rep's pay under a plan for one quarter (or --summary/--trace/--risk)")
    add_db(p)
    p.add_argument("--plan", help="plan TOML file (default data/plans/reference.toml)")
    p.add_argument("--quarter", help="quarter such as 2025Q3 (default: the latest in the store)")
    p.add_argument("--baseline", help="a second plan TOML; adds baseline_total_pay and delta columns")
    p.add_argument("--summary", action="store_true", help="print the plan summary (cost, budget, shares) as JSON")
    p.add_argument("--trace", metavar="REP_ID", help="print one rep's payout lines (they sum to the rep's pay)")
    p.add_argument("--risk", action="store_true", help="Monte Carlo of total cost (P10/P50/P90, P(over budget))")
    p.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws (default 1000)")
    p.add_argument("--shift", type=float, default=0.0, help="shift every simulated attainment by this fraction")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed")
    add_format(p)
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser("scorecard", help="three-dimension scores and grades per rep for one quarter")
    add_db(p)
    p.add_argument("--quarter", help="quarter such as 2025Q3 (default: the latest in the store)")
    p.add_argument("--plan", help="plan TOML whose scorecard weights apply (default reference)")
    p.add_argument(
        "--list",
        choices=("all", "promotion", "improvement"),
        default="all",
        help="promotion: two consecutive A+; improvement: B and below with weakest metrics",
    )
    add_format(p)
    p.set_defaults(func=_cmd_scorecard)

    p = sub.add_parser("scenarios", help="saved plan scenarios: list, save, compare two")
    p.add_argument("action", choices=("list", "save", "compare"))
    p.add_argument("refs", nargs="*", help="compare: two scenario names, optionally name@revision")
    add_db(p)
    p.add_argument("--name", help="save: scenario name")
    p.add_argument("--plan", help="save: plan TOML file (default reference)")
    p.add_argument("--author", default="cli", help="save: author recorded with the scenario")
    p.add_argument("--note", help="save: a note")
    p.add_argument("--quarter", help="save: quarter it was made for; compare: quarter to simulate")
    p.add_argument("--per-rep", action="store_true", help="compare: winners and losers per rep")
    add_format(p)
    p.set_defaults(func=_cmd_scenarios)
