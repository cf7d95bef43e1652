"""Two plans side by side: winners and losers per rep, grade migration, the payout curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.access import require_individual_pay
from analytics.incentives.engine import COMPONENTS, EPS, QuickResult, SimulationResult
from analytics.incentives.inputs import PayInputs
from analytics.incentives.plans import Plan
from analytics.incentives.scorecard import WhatIf, migration


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


def gainers_losers(baseline: QuickResult, scenario: QuickResult) -> tuple[int, int]:
    """How many reps gain and how many lose from ``baseline`` to ``scenario`` (both of the same inputs).

    A rep gains when their total pay rises by more than half a cent and loses when it falls
    by more: the counts of ``delta > 0.005`` and ``delta < -0.005`` in :func:`compare`, from
    the cheap :func:`analytics.incentives.quick` results. Raises
    :class:`analytics.access.AccessDenied` for a viewer who sees pay aggregated only.
    """
    require_individual_pay(baseline.viewer)
    require_individual_pay(scenario.viewer)
    if len(baseline.total_pay) != len(scenario.total_pay):
        raise ValueError("both results must come from the same inputs (the same reps).")
    delta = scenario.total_pay - baseline.total_pay
    return int((delta > 0.005).sum()), int((delta < -0.005).sum())


def grade_migration(baseline: SimulationResult, scenario: SimulationResult) -> WhatIf:
    """From-to grade matrix and movers between two results (see :func:`analytics.incentives.scorecard.migration`)."""
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
