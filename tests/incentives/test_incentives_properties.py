"""Engine properties (hypothesis) and the Monte Carlo, on engine inputs built in memory."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import incentives as inc
from analytics.access import Scope
from analytics.incentives.plans import METRICS, Budget, Commission, Plan, TeamPool, Tier, reference_plan
from analytics.incentives.scorecard import normalise


def make_inputs(
    won, target, salary, team, *, points=None, collab=None, gp=None, tgp=None, history_att=None, history_target=None
) -> inc.PayInputs:
    """PayInputs for reps with the given arrays (all new business), in one quarter."""
    won, target = np.asarray(won, float), np.asarray(target, float)
    n = len(won)
    ids = [f"S{i}" for i in range(n)]
    team = np.asarray(team, dtype=np.int64)
    metrics = pd.DataFrame(
        {
            "rep_id": ids,
            "rep_name": ids,
            "team_id": [f"T{t}" for t in team],
            "region_id": "R1",
            "role": "field",
            "quarter": "2025Q3",
            "monthly_salary": np.asarray(salary, float),
            "target_amount": target,
            "target_gross_profit": np.nan,
        }
    )
    for m in METRICS:
        metrics[m] = np.nan
    metrics["attainment"] = won / target
    hist_att = np.ones((n, 1)) if history_att is None else np.asarray(history_att, float)
    hist_target = np.repeat(target[:, None], hist_att.shape[1], 1) if history_target is None else history_target
    hist_won = np.zeros((n, hist_att.shape[1], 3))
    hist_won[..., 0] = hist_att * hist_target
    return inc.PayInputs(
        quarter="2025Q3",
        reps=metrics[["rep_id", "rep_name", "team_id", "region_id", "role"]],
        won_by_type=np.column_stack([won, np.zeros(n), np.zeros(n)]),
        gross_profit=np.zeros(n) if gp is None else np.asarray(gp, float),
        target=target,
        target_gp=np.zeros(n) if tgp is None else np.asarray(tgp, float),
        salary=np.asarray(salary, float),
        points=np.zeros(n) if points is None else np.asarray(points, float),
        collaboration=np.full(n, np.nan) if collab is None else np.asarray(collab, float),
        team_codes=team,
        team_ids=tuple(f"T{t}" for t in range(team.max() + 1)),
        visible=np.ones(n, dtype=bool),
        metrics=metrics,
        normalised={m: normalise(metrics, m) for m in ("percentile", "zscore")},
        history_quarters=tuple(f"2024Q{i + 1}" for i in range(hist_att.shape[1])),
        history_won=hist_won,
        history_target=hist_target,
        excluded_reps=0,
        excluded_won=0.0,
        viewer=Scope.leader(),
    )


money = st.floats(0, 2e6, allow_nan=False).map(lambda x: round(x, 2))


@st.composite
def plans(draw, *, caps: bool = True, scale: bool = True) -> Plan:
    k = draw(st.integers(1, 4))
    starts = sorted(draw(st.lists(st.floats(0, 3), min_size=k, max_size=k, unique=True)))
    rates = draw(st.lists(st.floats(0, 0.05), min_size=k, max_size=k))
    mode = draw(st.sampled_from(["marginal", "retroactive"]))
    if mode == "retroactive":
        rates = sorted(rates)  # a decelerating retroactive plan can lower pay; monotonicity needs rising rates
    ref = reference_plan()
    return replace(
        ref,
        base_bonus=replace(ref.base_bonus, threshold=draw(st.floats(0, 1.5)), salary_share=draw(st.floats(0, 0.5))),
        commission=Commission(
            tiers=tuple(Tier(s, r) for s, r in zip(starts, rates, strict=True)),
            mode=mode,
            threshold=draw(st.floats(0, 1.0)),
            cap_attainment=draw(st.none() | st.floats(0.5, 3)) if caps else None,
            cap_amount=draw(st.none() | st.floats(0, 50000)) if caps else None,
        ),
        team=TeamPool(
            pool_per_member=draw(st.floats(0, 5000)),
            equal_share=draw(st.floats(0, 1)),
            collaboration_top_share=draw(st.floats(0, 1)),
            collaboration_uplift=draw(st.floats(0, 0.2)),
        ),
        budget=Budget(
            base_share_of_target=draw(st.floats(0, 0.1)),
            over_budget=draw(st.sampled_from(["flag", "scale"])) if scale else "flag",
        ),
    )


@st.composite
def org(draw):
    n = draw(st.integers(1, 7))
    return {
        "won": draw(st.lists(money, min_size=n, max_size=n)),
        "target": draw(st.lists(st.floats(1e4, 1e6).map(lambda x: round(x, -2)), min_size=n, max_size=n)),
        "salary": draw(st.lists(st.floats(0, 30000).map(lambda x: round(x, -2)), min_size=n, max_size=n)),
        "team": draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)),
        "points": draw(st.lists(st.sampled_from([0.0, 1.0, 3.0]), min_size=n, max_size=n)),
        "collab": draw(st.lists(st.floats(0, 100), min_size=n, max_size=n)),
        "gp": draw(st.lists(money, min_size=n, max_size=n)),
        "tgp": draw(st.lists(money, min_size=n, max_size=n)),
    }


def _inputs(o, won=None, gp=None):
    team = np.unique(o["team"], return_inverse=True)[1]  # contiguous team codes
    return make_inputs(
        o["won"] if won is None else won,
        o["target"],
        o["salary"],
        team,
        points=o["points"],
        collab=o["collab"],
        gp=o["gp"] if gp is None else gp,
        tgp=o["tgp"],
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), o=org())
def test_total_pay_equals_the_sum_of_trace_lines(plan, o):
    res = inc.compute(_inputs(o), plan)
    for rep, total in zip(res.per_rep["rep_id"], res.per_rep["total_pay"], strict=True):
        assert inc.trace(res, rep)["amount"].sum() == pytest.approx(total, abs=1e-6)
    assert res.summary.total_cost == pytest.approx(res.per_rep["total_pay"].sum())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(caps=False, scale=False), o=org(), who=st.integers(0, 6), extra=money, margin=st.floats(0, 0.8))
def test_pay_never_falls_when_won_amount_rises_without_caps(plan, o, who, extra, margin):
    who = who % len(o["won"])
    before = inc.compute(_inputs(o), plan).per_rep["total_pay"].to_numpy()
    won, gp = list(o["won"]), list(o["gp"])
    won[who] += extra
    gp[who] += margin * extra  # a bigger deal brings gross profit too
    after = inc.compute(_inputs(o, won=won, gp=gp), plan).per_rep["total_pay"].to_numpy()
    assert after[who] >= before[who] - 1e-9


def test_top_collaboration_teams_rank_means_and_keep_ties():
    codes = np.array([0, 1, 2, 3, 4])
    assert inc.top_collaboration_teams(np.array([90, 80, 70, 60, 50.0]), codes, 5, 0.2).tolist() == [
        True,
        False,
        False,
        False,
        False,
    ]
    assert inc.top_collaboration_teams(np.array([90, 80, 70, 60, 50.0]), codes, 5, 0.4).sum() == 2
    assert inc.top_collaboration_teams(np.array([90, 90, 70, 60, 50.0]), codes, 5, 0.2).tolist() == [
        True,
        True,
        False,
        False,
        False,
    ]
    # team means: team 0 = (100 + 40) / 2 = 70 < team 1 = 75; team 2 has no score and is never top
    assert inc.top_collaboration_teams(np.array([100, 40, 75, np.nan]), np.array([0, 0, 1, 2]), 3, 0.5).tolist() == [
        False,
        True,
        False,
    ]
    assert not inc.top_collaboration_teams(np.array([80.0]), np.array([0]), 1, 0.0).any()


# -- Monte Carlo ----------------------------------------------------------------------------
def two_quarter_inputs():
    """Four reps whose past attainment equalled company attainment: 100% in one quarter, 200% in the other."""
    n = 4
    target = np.array([100000, 200000, 150000, 50000.0])
    return make_inputs(target * 1.2, target, [10000] * n, [0, 0, 1, 1], history_att=np.tile([1.0, 2.0], (n, 1)))


def _cost_at(inputs, plan, att):
    won = att * inputs.target
    one = replace(inputs, won_by_type=np.column_stack([won, np.zeros(len(won)), np.zeros(len(won))]))
    return inc.compute(one, plan).summary.total_cost


def test_bootstrap_draws_past_quarters_and_counts_overspending():
    inputs = two_quarter_inputs()
    plan = reference_plan()
    c1, c2 = _cost_at(inputs, plan, 1.0), _cost_at(inputs, plan, 2.0)
    budget_share = (c1 + c2) / 2 / inputs.target.sum()  # a budget between the two outcomes
    plan = replace(plan, budget=replace(plan.budget, base_share_of_target=budget_share, release_share=0.0))
    r = inc.risk(inputs, plan, draws=2000, seed=1)
    assert r.method == "bootstrap" and len(r.costs) == 2000
    assert set(np.round(r.costs, 2)) == {round(c1, 2), round(c2, 2)}
    assert r.p10 == pytest.approx(c1) and r.p90 == pytest.approx(c2)
    assert r.prob_over_budget == pytest.approx(np.mean(r.costs > c1 + 1), abs=1e-12)
    assert 0.45 < r.prob_over_budget < 0.55  # each past quarter drawn with probability 1/2
    same = inc.risk(inputs, plan, draws=2000, seed=1)
    assert np.array_equal(same.costs, r.costs)
    shifted = inc.risk(inputs, plan, draws=2000, seed=1, shift=0.1)
    assert shifted.p10 == pytest.approx(_cost_at(inputs, plan, 1.1)) and shifted.p90 == pytest.approx(
        _cost_at(inputs, plan, 2.2)
    )


def test_relative_performance_is_resampled_per_rep():
    # rep 0 was twice the company in 2024Q1 and equal to it in 2024Q2; rep 1 the mirror image
    target = np.array([100000, 100000.0])
    hist = np.array([[1.5, 1.0], [0.5, 1.0]])  # company attainment 1.0 in both quarters
    inputs = make_inputs(target, target, [0, 0], [0, 1], history_att=hist)
    plan = replace(reference_plan(), team=replace(reference_plan().team, pool_per_member=0.0))
    r = inc.risk(inputs, plan, draws=4000, seed=2)
    # commission only: each rep independently 1.5x/1.0x (rep 0) or 0.5x/1.0x (rep 1) of target
    values = {round(_cost_at(inputs, plan, np.array([a, b])), 2) for a in (1.5, 1.0) for b in (0.5, 1.0)}
    assert set(np.round(r.costs, 2)) == values


def test_single_quarter_history_falls_back_to_lognormal_noise():
    inputs = make_inputs([100000.0] * 3, [100000.0] * 3, [10000] * 3, [0, 0, 0])
    r = inc.risk(inputs, reference_plan(), draws=500, seed=0)
    assert r.method == "lognormal" and r.p10 < r.p50 < r.p90
    with pytest.raises(ValueError, match="draws"):
        inc.risk(inputs, reference_plan(), draws=0)
