"""Incentive engine and scorecard timings, against a pandas and a DuckDB version of the same work.

Targets (issue 5): a full plan recompute for 10,000 reps under 0.2 s, and 1,000 Monte Carlo
draws under 3 s. The 10,000-rep cases use inputs synthesised here (so the engine is timed
alone); the store cases time the whole path on the benchmark store.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics import incentives
from analytics.access import Scope
from analytics.filters import Filters
from analytics.incentives import engine as incentives_engine
from analytics.incentives import plans, scorecard
from analytics.incentives.monte_carlo import _attainment_draws
from analytics.incentives.plans import METRICS
from analytics.lookups import latest_complete_quarter
from analytics.periods import Quarter
from analytics.store import Store
from bench.__main__ import Case

#: Reps in the synthetic engine benchmark.
SYNTHETIC_REPS = 10_000
ROLES = ("telesales", "field", "key_account", "channel")


def synthetic_inputs(n: int = SYNTHETIC_REPS, seed: int = 3) -> incentives.PayInputs:
    """Engine inputs for ``n`` reps in teams of 8, with demo-like attainment and metrics."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:06d}" for i in range(n)]
    team = np.arange(n) // 8
    role = np.array(ROLES)[team % 4]
    target = np.round(rng.lognormal(14.3, 0.5, n), -3)
    att = rng.lognormal(0.0, 0.45, n)
    won = target * att
    split = rng.dirichlet([6, 3, 1], n)
    metrics = pd.DataFrame(
        {
            "rep_id": ids,
            "rep_name": ids,
            "team_id": [f"T{t:05d}" for t in team],
            "region_id": [f"R{t % 12:02d}" for t in team],
            "role": role,
            "quarter": "2025Q3",
            "monthly_salary": np.round(rng.lognormal(9.5, 0.3, n), -2),
            "target_amount": target,
            "target_gross_profit": np.round(target * 0.42, -2),
        }
    )
    for m in METRICS:
        metrics[m] = rng.normal(50, 10, n)
    metrics.loc[role != "key_account", "strategic_project_score"] = np.nan
    hist_q = tuple(f"2024Q{q}" for q in range(1, 5)) + tuple(f"2025Q{q}" for q in range(1, 4))
    h_att = att[:, None] * rng.lognormal(0.0, 0.3, (n, len(hist_q)))
    hist_won = (h_att * target[:, None])[..., None] * split[:, None, :]
    return incentives.PayInputs(
        quarter="2025Q3",
        reps=metrics[["rep_id", "rep_name", "team_id", "region_id", "role"]],
        won_by_type=won[:, None] * split,
        gross_profit=won * rng.normal(0.47, 0.05, n),
        target=target,
        target_gp=np.round(target * 0.42, -2),
        salary=metrics["monthly_salary"].to_numpy(),
        points=np.where(rng.random(n) < 0.05, rng.integers(1, 6, n), 0).astype(float),
        collaboration=rng.normal(60, 10, n),
        team_codes=team.astype(np.int64),
        team_ids=tuple(f"T{t:05d}" for t in range(team.max() + 1)),
        visible=np.ones(n, dtype=bool),
        metrics=metrics,
        normalised={m: scorecard.normalise(metrics, m) for m in ("percentile", "zscore")},
        history_quarters=hist_q,
        history_won=hist_won,
        history_target=np.repeat(target[:, None], len(hist_q), 1),
        excluded_reps=0,
        excluded_won=0.0,
        viewer=Scope.leader(),
    )


def pandas_payout(df: pd.DataFrame, plan: plans.Plan) -> pd.DataFrame:
    """A straightforward pandas version of the reference rules (row-wise tiers, groupby teams)."""
    out = df.copy()
    out["attainment"] = out["won"] / out["target"]
    out["base_bonus"] = np.where(
        out["attainment"] >= plan.base_bonus.threshold, plan.base_bonus.salary_share * out["salary"], 0.0
    )
    tiers = plan.commission.tiers

    def commission(row: pd.Series) -> float:
        total = 0.0
        for k, tier in enumerate(tiers):
            lo = tier.start * row["target"]
            hi = tiers[k + 1].start * row["target"] if k + 1 < len(tiers) else float("inf")
            total += max(0.0, min(row["won"], hi) - lo) * tier.rate
        return total

    out["commission"] = out.apply(commission, axis=1)
    team = out.groupby("team").agg(size=("won", "size"), team_won=("won", "sum"), team_collab=("collab", "mean"))
    k = int(np.ceil(plan.team.collaboration_top_share * len(team)))
    team["top"] = team["team_collab"].rank(ascending=False, method="min") <= k
    team["pool"] = plan.team.pool_per_member * team["size"] * (1 + plan.team.collaboration_uplift * team["top"])
    out = out.join(team, on="team")
    out["team_bonus"] = (
        out["pool"] * plan.team.equal_share / out["size"]
        + out["pool"] * (1 - plan.team.equal_share) * out["won"] / out["team_won"]
    )
    excess = max(out["gp"].sum() - out["tgp"].sum(), 0.0)
    pool = plan.innovation.excess_profit_share * excess
    out["innovation_bonus"] = pool * out["points"] / out["points"].sum()
    out["total_pay"] = out[["base_bonus", "commission", "team_bonus", "innovation_bonus"]].sum(axis=1)
    return out


_DUCKDB_PAYOUT = """
WITH t AS (SELECT team, count(*) AS size, sum(won) AS team_won, avg(collab) AS collab FROM syn GROUP BY team),
ranked AS (SELECT *, rank() OVER (ORDER BY collab DESC) <= ceil(? * (SELECT count(*) FROM t)) AS top FROM t),
g AS (SELECT ? * greatest(sum(gp) - sum(tgp), 0) / sum(points) AS per_point FROM syn)
SELECT s.*, won / target AS attainment,
       CASE WHEN won / target >= ? THEN ? * salary ELSE 0 END AS base_bonus,
       least(won, ? * target) * ? + greatest(won - ? * target, 0) * ? AS commission,
       ? * size * (1 + ? * top::INT) * (? / size + (1 - ?) * won / team_won) AS team_bonus,
       points * per_point AS innovation_bonus
FROM syn AS s JOIN ranked USING (team), g
"""


def cases(store: Store) -> list[Case]:
    """Engine on 10k synthetic reps; simulate, risk and scorecard on the benchmark store."""
    plan = plans.reference_plan()
    syn = synthetic_inputs()
    flat = pd.DataFrame(
        {
            "won": syn.won_by_type.sum(axis=1),
            "target": syn.target,
            "salary": syn.salary,
            "team": syn.team_codes,
            "collab": syn.collaboration,
            "gp": syn.gross_profit,
            "tgp": syn.target_gp,
            "points": syn.points,
        }
    )
    cur = store.cursor()
    cur.register("syn", flat)
    tiers, team, base = plan.commission.tiers, plan.team, plan.base_bonus
    duck_params = [
        team.collaboration_top_share,
        plan.innovation.excess_profit_share,
        base.threshold,
        base.salary_share,
        tiers[1].start,
        tiers[0].rate,
        tiers[1].start,
        tiers[1].rate,
        team.pool_per_member,
        team.collaboration_uplift,
        team.equal_share,
        team.equal_share,
    ]

    def per_draw_loop() -> object:  # the Monte Carlo without vectorising over draws (100 draws, x10)
        rng = np.random.default_rng(0)
        for _ in range(100):
            att, _m = _attainment_draws(syn, plan, rng, 1)
            incentives_engine._payout(
                plan,
                att * syn.target,
                np.array([syn.gross_profit.sum()]),
                syn,
                np.zeros(len(syn.team_ids), bool),
                detail=False,
            )
        return None

    quarter = latest_complete_quarter(store) or "2025Q3"
    leader = Scope.leader()
    filters = Filters.for_quarter(quarter)
    inputs = incentives.load_inputs(store, filters, leader)
    q_start, q_end = Quarter.parse(quarter).start, Quarter.parse(quarter).end
    bare = "SELECT rep_id, sum(amount) FROM deals WHERE signed_at BETWEEN ? AND ? GROUP BY rep_id"
    deals_cache: dict[str, pd.DataFrame] = {}

    def pandas_won() -> object:
        if "d" not in deals_cache:
            deals_cache["d"] = store.query("SELECT rep_id, signed_at, amount::DOUBLE AS amount FROM deals")
        d = deals_cache["d"]
        inq = d[(d["signed_at"] >= pd.Timestamp(q_start)) & (d["signed_at"] <= pd.Timestamp(q_end))]
        return inq.groupby("rep_id")["amount"].sum()

    return [
        Case(
            f"incentives.compute ({SYNTHETIC_REPS:,} synthetic reps)",
            lambda: incentives.compute(syn, plan),
            {
                "pandas": lambda: pandas_payout(flat, plan),
                "duckdb": lambda: cur.execute(_DUCKDB_PAYOUT, duck_params).fetchall(),
            },
            target_s=0.2,
        ),
        Case(
            f"incentives.risk (1,000 draws x {SYNTHETIC_REPS:,} reps)",
            lambda: incentives.risk(syn, plan, draws=1000),
            {"loop_100_draws": per_draw_loop},
            repeats=3,
            target_s=3.0,
        ),
        Case(
            f"incentives.compute (store inputs, {inputs.n:,} reps)",
            lambda: incentives.compute(inputs, plan),
            target_s=0.2,
        ),
        Case(
            f"incentives.simulate {quarter} (load + compute)",
            lambda: incentives.simulate(store, plan, quarter, leader),
            {"duckdb": lambda: store.query(bare, [q_start, q_end]), "pandas": pandas_won},
            repeats=5,
            target_s=2.0,
        ),
        Case(
            f"incentives.risk store (1,000 draws x {inputs.n:,} reps)",
            lambda: incentives.risk(inputs, plan, draws=1000),
            repeats=3,
            target_s=3.0,
        ),
        Case(
            f"scorecard.scorecard {quarter} (2 quarters of metrics)",
            lambda: scorecard.scorecard(store, filters, leader, plan=plan),
            {"duckdb_metrics_sql": lambda: scorecard.load_metrics(store, quarter)},
            repeats=5,
            target_s=2.0,
        ),
    ]
