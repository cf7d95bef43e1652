"""Payout engine against payouts computed by hand on tiny stores, and against a plain second
implementation on the demo store."""

from __future__ import annotations

import io
import math
from dataclasses import replace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analytics import incentives as inc
from analytics.access import Scope
from analytics.filters import Filters
from analytics.incentives import plans
from analytics.incentives.plans import Tier, reference_plan

Q3 = "2025Q3"
LEADER = Scope.leader()


def build(store, reps, deals, *, points=(), collab=(), quarter=Q3, day="2025-08-15"):
    """Insert teams/reps/targets/deals. reps: (rep_id, team_id, salary, target, target_gp); deals: (rep, amount, gp, type)."""
    store.execute("INSERT INTO regions VALUES ('R1', 'East')")
    for team in sorted({r[1] for r in reps}):
        store.execute("INSERT INTO teams VALUES (?, ?, 'R1', 'field', false, NULL)", [team, team])
    for rep_id, team, salary, target, tgp in reps:
        store.execute(
            "INSERT INTO reps VALUES (?, ?, ?, 'field', '2020-01-01', ?, NULL)", [rep_id, rep_id, team, salary]
        )
        if target is not None:
            store.execute("INSERT INTO targets VALUES (?, ?, ?, ?)", [rep_id, quarter, target, tgp])
    for i, (rep, amount, gp, dtype) in enumerate(deals):
        store.execute(
            "INSERT INTO deals VALUES (?, NULL, NULL, ?, ?, ?, ?, ?, 0)", [f"D{i}", rep, day, amount, gp, dtype]
        )
    for rep, pts in points:
        store.execute("INSERT INTO innovations VALUES (?, ?, ?, 'idea')", [rep, quarter, pts])
    for rep, score in collab:
        store.execute("INSERT INTO rep_metrics VALUES (?, ?, 'collaboration_score', ?, NULL)", [rep, quarter, score])
    return store


@pytest.fixture
def tiny(empty_store):
    """Two field teams. T1: A (150%), B (exactly 80%), C (79.999%); T2: D (exactly 120%), E (no deals)."""
    return build(
        empty_store,
        reps=[
            ("A", "T1", 10000, 100000, 40000),
            ("B", "T1", 12000, 100000, 40000),
            ("C", "T1", 8000, 100000, 40000),
            ("D", "T2", 9000, 200000, 80000),
            ("E", "T2", 11000, 100000, 40000),
        ],
        deals=[
            ("A", 150000, 90000, "new"),
            ("B", 60000, 30000, "new"),
            ("B", 20000, 10000, "renewal"),
            ("C", 79999, 30000, "new"),
            ("D", 240000, 100000, "new"),
        ],
        points=[("A", 3), ("E", 1)],
        collab=[("A", 70), ("B", 80), ("C", 90), ("D", 60), ("E", 50)],
    )


def pay(result):
    return result.per_rep.set_index("rep_id")


def test_attainment_base_bonus_and_80_percent_edge(tiny):
    r = pay(inc.simulate(tiny, reference_plan(), Q3, LEADER))
    assert r.loc["A", "won_amount"] == 150000 and r.loc["B", "won_amount"] == 80000  # new + renewal
    assert r.loc["A", "attainment"] == pytest.approx(1.5) and r.loc["B", "attainment"] == pytest.approx(0.8)
    # 10% of monthly salary at >= 80% (B is exactly at 80%; C is 1 yuan short)
    assert r["base_bonus"].to_dict() == {"A": 1000.0, "B": 1200.0, "C": 0.0, "D": 900.0, "E": 0.0}


def test_marginal_commission_and_the_120_percent_break(tiny):
    r = pay(inc.simulate(tiny, reference_plan(), Q3, LEADER))
    assert r.loc["A", "commission"] == pytest.approx(0.012 * 120000 + 0.018 * 30000)  # 1,440 + 540
    assert r.loc["B", "commission"] == pytest.approx(960.0)
    assert r.loc["C", "commission"] == pytest.approx(959.99)  # 0.012 x 79,999 = 959.988
    assert r.loc["D", "commission"] == pytest.approx(2880.0)  # exactly 120%: nothing above the break
    assert r.loc["E", "commission"] == 0


def test_retroactive_commission_pays_the_whole_amount_at_the_highest_rate(tiny):
    p = reference_plan()
    retro = replace(p, commission=replace(p.commission, mode="retroactive"))
    r = pay(inc.simulate(tiny, retro, Q3, LEADER))
    assert r.loc["A", "commission"] == pytest.approx(0.018 * 150000)
    assert r.loc["D", "commission"] == pytest.approx(0.018 * 240000)  # exactly at 120% reaches the tier
    assert r.loc["B", "commission"] == pytest.approx(0.012 * 80000)


def test_caps_and_commission_threshold(tiny):
    p = reference_plan()
    capped = replace(p, commission=replace(p.commission, threshold=0.8, cap_attainment=1.3, cap_amount=1500.0))
    r = inc.simulate(tiny, capped, Q3, LEADER)
    c = pay(r)["commission"]
    assert c["A"] == pytest.approx(1500.0)  # 1,440 + 0.018 x 10,000 = 1,620 before the 1,500 cap
    assert c["B"] == pytest.approx(960.0) and c["C"] == 0.0  # C below the 80% commission threshold
    lines = inc.trace(r, "A")
    cap = lines[lines["rule"] == "commission_cap"].iloc[0]
    assert cap["value"] == pytest.approx(1620.0) and cap["amount"] == pytest.approx(-120.0)


def test_team_pool_70_30_split_and_collaboration_uplift(tiny):
    r = pay(inc.simulate(tiny, reference_plan(), Q3, LEADER))
    # T2: 2 members x 3,000 = 6,000, no uplift; 70% equal (2,100 each), 30% by won amount (D has all of it)
    assert r.loc["D", "team_bonus"] == pytest.approx(2100 + 1800)
    assert r.loc["E", "team_bonus"] == pytest.approx(2100)
    # T1: mean collaboration 80 vs 55 -> top 20% of 2 teams (ceil(0.4) = 1 team) -> pool 9,000 x 1.05 = 9,450
    t1_won = 150000 + 80000 + 79999
    for rep, won in (("A", 150000), ("B", 80000), ("C", 79999)):
        expected = round(9450 * 0.7 / 3, 2) + round(9450 * 0.3 * won / t1_won, 2)
        assert r.loc[rep, "team_bonus"] == pytest.approx(expected)
    assert r.loc[["A", "B", "C"], "team_bonus"].sum() == pytest.approx(9450, abs=0.02)
    assert r["top_collaboration_team"].to_dict() == {"A": True, "B": True, "C": True, "D": False, "E": False}


@pytest.mark.parametrize(("currency", "symbol", "other"), [("USD", "$", "¥"), ("CNY", "¥", "$")])
def test_statement_detail_shows_money_in_the_display_currency(tiny, monkeypatch, currency, symbol, other):
    monkeypatch.setenv("LAB_CURRENCY", currency)
    p = reference_plan()
    capped = replace(p, commission=replace(p.commission, cap_amount=1500.0))
    lines = inc.trace(inc.simulate(tiny, capped, Q3, LEADER), "A")
    details = lines.set_index("rule")["detail"]
    # T1: 3 members x 3,000 = 9,000, +5% collaboration uplift = 9,450 (see the team pool test)
    assert details["team_equal"].startswith(f"team pool {symbol}9,450.00 ({symbol}3,000.00 x 3 members")
    assert details["commission_cap"] == f"commission capped at {symbol}1,500.00"
    # excess gross profit 20,000 -> pool 2,000 over 4 points -> 500 per point (see the innovation test)
    assert (
        details["innovation"]
        == f"10% of excess gross profit {symbol}20,000.00 = {symbol}2,000.00 pool, {symbol}500.00 per point"
    )
    assert not any(other in d for d in lines["detail"])


def test_innovation_pool_is_10_percent_of_excess_gross_profit_split_by_points(tiny):
    res = inc.simulate(tiny, reference_plan(), Q3, LEADER)
    r = pay(res)
    # gross profit 90+30+10+30+100 = 260k against targets 240k -> excess 20k -> pool 2k; points 3:1
    assert res.summary.excess_gross_profit == pytest.approx(20000)
    assert res.summary.innovation_pool == pytest.approx(2000)
    assert r.loc["A", "innovation_bonus"] == pytest.approx(1500) and r.loc["E", "innovation_bonus"] == pytest.approx(
        500
    )
    assert r.loc[["B", "C", "D"], "innovation_bonus"].sum() == 0


def test_no_excess_profit_means_no_innovation_pool(empty_store):
    s = build(
        empty_store, reps=[("A", "T1", 10000, 100000, 50000)], deals=[("A", 100000, 40000, "new")], points=[("A", 2)]
    )
    res = inc.simulate(s, reference_plan(), Q3, LEADER)
    assert res.summary.excess_gross_profit == 0 and res.per_rep["innovation_bonus"].sum() == 0


def test_total_pay_of_one_rep_by_hand(tiny):
    r = pay(inc.simulate(tiny, reference_plan(), Q3, LEADER))
    team = round(9450 * 0.7 / 3, 2) + round(9450 * 0.3 * 150000 / 309999, 2)
    assert r.loc["A", "total_pay"] == pytest.approx(1000 + 1980 + team + 1500)


def test_budget_is_flagged_not_scaled_in_the_reference_plan(tiny):
    res = inc.simulate(tiny, reference_plan(), Q3, LEADER)
    s = res.summary
    assert s.base_budget == pytest.approx(0.03 * 600000) and s.budget == pytest.approx(18000)
    assert not s.budget_released and s.company_attainment == pytest.approx(549999 / 600000)
    assert s.total_cost > 18000 and s.over_budget and s.scale_factor == 1.0
    assert (res.per_rep["budget_scaling"] == 0).all()
    components = res.per_rep[["base_bonus", "commission", "team_bonus", "innovation_bonus"]].sum(axis=1)
    assert np.allclose(res.per_rep["total_pay"], components)


def test_scaling_when_over_budget(tiny):
    p = reference_plan()
    flagged = inc.simulate(tiny, p, Q3, LEADER)
    scaled = inc.simulate(tiny, replace(p, budget=replace(p.budget, over_budget="scale")), Q3, LEADER)
    factor = 18000 / flagged.summary.total_cost
    assert scaled.summary.scale_factor == pytest.approx(factor)
    expected = (flagged.per_rep["total_pay"] * factor).to_numpy()
    assert np.allclose(scaled.per_rep["total_pay"], expected, atol=0.011)
    assert scaled.summary.total_cost == pytest.approx(18000, abs=0.05)
    lines = inc.trace(scaled, "A")
    assert lines.iloc[-1]["rule"] == "budget_scaling" and lines.iloc[-1]["rate"] == pytest.approx(factor - 1)


@pytest.mark.parametrize(("won_b", "released"), [(150000, True), (149999, False)])
def test_budget_release_at_150_percent_company_attainment(empty_store, won_b, released):
    s = build(
        empty_store,
        reps=[("A", "T1", 10000, 100000, 0), ("B", "T1", 10000, 100000, 0)],
        deals=[("A", 150000, 0, "new"), ("B", won_b, 0, "upsell")],
    )
    summary = inc.simulate(s, reference_plan(), Q3, LEADER).summary
    assert summary.budget_released is released
    assert summary.budget == pytest.approx(0.03 * 200000 * (1.10 if released else 1.0))


def test_fixed_base_budget_amount(tiny):
    p = reference_plan()
    fixed = replace(p, budget=replace(p.budget, base_amount=50000.0, base_share_of_target=None))
    s = inc.simulate(tiny, fixed, Q3, LEADER).summary
    assert s.budget == 50000 and not s.over_budget


def test_deal_types_of_the_plan_define_attainment(tiny):
    p = replace(reference_plan(), deal_types=("new",))
    r = pay(inc.simulate(tiny, p, Q3, LEADER))
    assert r.loc["B", "won_amount"] == 60000 and r.loc["B", "base_bonus"] == 0  # 60% without the renewal


def test_shares_and_dispersion_in_the_summary(tiny):
    res = inc.simulate(tiny, reference_plan(), Q3, LEADER)
    s = res.summary
    assert s.reps == 5
    assert s.share_base == pytest.approx(3 / 5)  # A, B, D
    assert s.share_quota == pytest.approx(2 / 5)  # A, D
    assert s.share_accelerator == pytest.approx(2 / 5)  # A (150%) and D (exactly 120%)
    x = np.sort(res.per_rep["total_pay"].to_numpy())
    n = len(x)
    assert s.gini == pytest.approx(sum((2 * i - n - 1) * v for i, v in enumerate(x, 1)) / (n * x.sum()))
    assert s.p90_median_ratio == pytest.approx(np.percentile(x, 90) / np.median(x))
    assert s.cost_of_sales == pytest.approx(s.total_cost / 549999)


def test_trace_lines_sum_to_total_pay_for_every_rep(tiny):
    res = inc.simulate(tiny, reference_plan(), Q3, LEADER)
    for rep in res.per_rep["rep_id"]:
        lines = inc.trace(res, rep)
        total = res.per_rep.loc[res.per_rep["rep_id"] == rep, "total_pay"].iloc[0]
        assert lines["amount"].sum() == pytest.approx(total, abs=1e-9)
        assert list(lines.columns) == list(inc.TRACE_COLUMNS)
    a = inc.trace(res, "A").set_index(["rule", "tier"])
    assert a.loc[("commission", 1), "value"] == pytest.approx(120000)
    assert a.loc[("commission", 2), "value"] == pytest.approx(30000)
    assert inc.trace(res, "nobody").empty


def test_reps_without_target_are_outside_the_plan_and_counted(tiny):
    tiny.execute("INSERT INTO reps VALUES ('F', 'F', 'T2', 'field', '2020-01-01', 9000, NULL)")
    tiny.execute("INSERT INTO deals VALUES ('DF', NULL, NULL, 'F', '2025-08-01', 5000, 1000, 'new', 0)")
    res = inc.simulate(tiny, reference_plan(), Q3, LEADER)
    assert "F" not in set(res.per_rep["rep_id"])
    assert res.summary.reps_without_target == 1 and res.summary.won_without_target == 5000


def test_scope_limits_rows_but_not_the_pools(tiny):
    full = pay(inc.simulate(tiny, reference_plan(), Q3, LEADER))
    mgr = inc.simulate(tiny, reference_plan(), Q3, Scope(role="manager", team_ids=("T2",)))
    assert sorted(mgr.per_rep["rep_id"]) == ["D", "E"]
    assert pay(mgr)["total_pay"].to_dict() == full.loc[["D", "E"], "total_pay"].to_dict()
    assert mgr.summary.scoped and mgr.summary.budget == pytest.approx(18000 * 300000 / 600000)
    me = inc.simulate(tiny, reference_plan(), Q3, Scope(role="rep", rep_id="C"))
    assert list(me.per_rep["rep_id"]) == ["C"]
    nobody = inc.simulate(tiny, reference_plan(), Q3, Scope(role="stranger"))
    assert nobody.per_rep.empty and nobody.summary.total_cost == 0 and math.isnan(nobody.summary.gini)


def test_empty_store_gives_an_empty_result(empty_store):
    res = inc.simulate(empty_store, reference_plan(), Q3, LEADER)
    assert res.per_rep.empty and list(res.per_rep.columns) == list(inc.PER_REP_COLUMNS)
    assert res.summary.total_cost == 0 and math.isnan(res.summary.company_attainment)
    risk = inc.simulate_risk(empty_store, reference_plan(), Q3, LEADER, draws=10)
    assert risk.p50 == 0 and risk.prob_over_budget == 0
    assert inc.payout_curve(inc.load_inputs(empty_store, Filters.for_quarter(Q3), LEADER), reference_plan()).empty


def test_compare_names_winners_losers_and_reasons(tiny):
    p = reference_plan()
    base = inc.simulate(tiny, p, Q3, LEADER)
    lower = replace(
        p,
        base_bonus=replace(p.base_bonus, threshold=0.75),
        commission=replace(p.commission, tiers=(Tier(0.0, 0.012), Tier(1.2, 0.02))),
    )
    cmp = inc.compare(base, inc.simulate(tiny, lower, Q3, LEADER)).set_index("rep_id")
    assert cmp.loc["C", "reason"] == "reaches_base" and cmp.loc["C", "delta"] == pytest.approx(800)
    assert cmp.loc["A", "reason"] == "commission" and cmp.loc["A", "delta"] == pytest.approx(0.002 * 30000)
    assert cmp.loc["E", "reason"] == "unchanged" and cmp.loc["E", "delta"] == 0
    assert inc.compare(base, inc.simulate(tiny, lower, Q3, LEADER))["delta"].is_monotonic_decreasing
    assert list(inc.compare(base, base)["reason"].unique()) == ["unchanged"]


def test_payout_curve_for_the_typical_rep(tiny):
    inputs = inc.load_inputs(tiny, Filters.for_quarter(Q3), LEADER)
    curve = inc.payout_curve(inputs, reference_plan(), max_attainment=2.0, points=201).set_index("attainment")
    target, salary = 100000, 10000  # medians of the five reps
    assert curve["pay"].loc[0.79] == pytest.approx(0.012 * 0.79 * target)
    assert curve["pay"].loc[0.8] == pytest.approx(0.1 * salary + 0.012 * 0.8 * target)
    assert curve["pay"].loc[1.5] == pytest.approx(0.1 * salary + 0.012 * 1.2 * target + 0.018 * 0.3 * target)


def test_statement_export_neutralises_formula_cells(tiny):
    tiny.execute("UPDATE reps SET rep_name = '=HYPERLINK(\"http://x\")' WHERE rep_id = 'A'")
    tiny.execute("UPDATE reps SET rep_name = '@SUM(1)' WHERE rep_id = 'B'")
    res = inc.simulate(tiny, reference_plan(), Q3, LEADER)
    st = inc.statement(res, ["A", "B"])
    assert st.groupby("rep_id")["amount"].sum().to_dict() == pytest.approx(
        pay(res).loc[["A", "B"], "total_pay"].to_dict()
    )
    csv = inc.to_csv_bytes(st).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "'@SUM(1)" in csv and "\n=HYPERLINK" not in csv
    wb = openpyxl.load_workbook(io.BytesIO(inc.to_xlsx_bytes(st)))
    values = [c.value for row in wb.active.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in values and "'@SUM(1)" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "@", "+", "-")) for v in values)
    frame = pd.DataFrame({"a": ["-1+1", "\tx", "\rx", "+x", "ok", None], "b": [-1, 2, 3, 4, 5, 6]})
    out = inc.neutralise(frame)
    assert out["a"].tolist()[:5] == ["'-1+1", "'\tx", "'\rx", "'+x", "ok"] and out["b"].tolist()[0] == -1


# -- a second, plain implementation on the demo store -------------------------------------
def plain_payouts(store, plan, quarter):
    """Per-rep pay from raw tables with plain Python loops (independent of analytics.incentives)."""
    q = plans_quarter(quarter)
    reps = store.query(
        "SELECT r.rep_id, r.team_id, r.monthly_salary::DOUBLE AS salary, t.target_amount::DOUBLE AS target,"
        " t.target_gross_profit::DOUBLE AS tgp FROM reps r JOIN targets t USING (rep_id)"
        " WHERE t.quarter = ? AND t.target_amount > 0",
        [quarter],
    )
    deals = store.query(
        "SELECT rep_id, deal_type, amount::DOUBLE AS amount, coalesce(gross_profit, 0)::DOUBLE AS gp"
        " FROM deals WHERE signed_at BETWEEN ? AND ?",
        [q[0], q[1]],
    )
    pts = store.query("SELECT rep_id, sum(points) AS p FROM innovations WHERE quarter = ? GROUP BY 1", [quarter])
    col = store.query(
        "SELECT rep_id, value FROM rep_metrics WHERE quarter = ? AND metric = 'collaboration_score'", [quarter]
    )
    won, gp = {}, {}
    for row in deals.itertuples():
        gp[row.rep_id] = gp.get(row.rep_id, 0.0) + row.gp
        if row.deal_type in plan.deal_types:
            won[row.rep_id] = won.get(row.rep_id, 0.0) + row.amount
    points = dict(zip(pts["rep_id"], pts["p"], strict=True))
    collab = dict(zip(col["rep_id"], col["value"], strict=True))
    members: dict[str, list[str]] = {}
    for row in reps.itertuples():
        members.setdefault(row.team_id, []).append(row.rep_id)
    means = {
        t: np.mean([collab[m] for m in ms if m in collab]) for t, ms in members.items() if any(m in collab for m in ms)
    }
    ranked = sorted(means.values(), reverse=True)
    cutoff = ranked[math.ceil(plan.team.collaboration_top_share * len(ranked) - 1e-9) - 1]
    excess = max(sum(gp.get(r, 0.0) for r in reps["rep_id"]) - reps["tgp"].sum(), 0.0)
    per_point = plan.innovation.excess_profit_share * excess / sum(points.get(r, 0) for r in reps["rep_id"])
    out = {}
    tiers = plan.commission.tiers
    for row in reps.itertuples():
        w = won.get(row.rep_id, 0.0)
        att = w / row.target
        total = round(plan.base_bonus.salary_share * row.salary, 2) if att >= plan.base_bonus.threshold - 1e-9 else 0
        if plan.commission.mode == "marginal":
            for k, tier in enumerate(tiers):
                hi = tiers[k + 1].start * row.target if k + 1 < len(tiers) else math.inf
                total += round(max(0.0, min(w, hi) - tier.start * row.target) * tier.rate, 2)
        else:
            rate = max(t.rate for t in tiers if att >= t.start - 1e-9)
            total += round(w * rate, 2)
        team = members[row.team_id]
        pool = (
            plan.team.pool_per_member
            * len(team)
            * (1 + plan.team.collaboration_uplift * (means.get(row.team_id, -1) >= cutoff - 1e-9))
        )
        team_won = sum(won.get(m, 0.0) for m in team)
        share = w / team_won if team_won > 0 else 1 / len(team)
        total += round(pool * plan.team.equal_share / len(team), 2) + round(
            pool * (1 - plan.team.equal_share) * share, 2
        )
        total += round(points.get(row.rep_id, 0) * per_point, 2)
        out[row.rep_id] = total
    return pd.Series(out)


def plans_quarter(quarter):
    from analytics.periods import Quarter

    q = Quarter.parse(quarter)
    return q.start, q.end


@pytest.mark.parametrize("mode", ["marginal", "retroactive"])
def test_demo_payouts_match_a_plain_implementation(demo_store, mode):
    p = reference_plan()
    p = replace(
        p, commission=replace(p.commission, mode=mode, tiers=(Tier(0.0, 0.012), Tier(1.0, 0.015), Tier(1.2, 0.018)))
    )
    res = inc.simulate(demo_store, p, "2025Q2", LEADER)
    expected = plain_payouts(demo_store, p, "2025Q2")
    got = pay(res)["total_pay"]
    assert len(got) == len(expected) > 30
    assert np.allclose(got.reindex(expected.index), expected, atol=0.02)
    assert res.summary.total_cost == pytest.approx(expected.sum(), abs=1.0)


def test_bundled_alternative_plans_run_on_the_demo(demo_store):
    for name, path in plans.bundled_plans().items():
        res = inc.simulate(demo_store, plans.load_plan(path), "2025Q3", LEADER)
        assert res.summary.total_cost > 0, name
        if res.plan.budget.over_budget == "scale" and res.summary.over_budget:
            assert res.summary.total_cost == pytest.approx(res.summary.budget, abs=1.0)


def test_risk_under_a_restricted_scope_prorates_the_budget(tiny):
    full = inc.simulate_risk(tiny, reference_plan(), Q3, LEADER, draws=50, seed=4)
    t2 = inc.simulate_risk(tiny, reference_plan(), Q3, Scope(role="manager", team_ids=("T2",)), draws=50, seed=4)
    assert np.allclose(t2.budgets, full.budgets * 300000 / 600000)
    assert (t2.costs < full.costs).all() and (t2.costs > 0).all()


def test_history_won_and_targets_match_a_plain_pandas_sum(demo_store):
    """The Monte Carlo's history (shared rep-quarter relation) equals sums done by hand in pandas."""
    inputs = inc.load_inputs(demo_store, Filters.for_quarter("2025Q3"), LEADER)
    deals = demo_store.query("SELECT rep_id, signed_at, amount::DOUBLE AS amount, deal_type FROM deals")
    signed = pd.to_datetime(deals["signed_at"])
    deals["quarter"] = signed.dt.year.astype(str) + "Q" + signed.dt.quarter.astype(str)
    won = deals.groupby(["rep_id", "quarter", "deal_type"])["amount"].sum()
    targets = demo_store.query("SELECT rep_id, quarter, target_amount::DOUBLE AS target FROM targets")
    targets = targets[targets["target"] > 0].set_index(["rep_id", "quarter"])["target"]
    quarters = sorted({q for q in targets.index.get_level_values("quarter") if q <= "2025Q3"})[-8:]
    assert inputs.history_quarters == tuple(quarters) and len(quarters) >= 2
    expected_won = np.zeros((inputs.n, len(quarters), 3))
    expected_target = np.full((inputs.n, len(quarters)), np.nan)
    for i, rep in enumerate(inputs.reps["rep_id"]):
        for j, q in enumerate(quarters):
            if (rep, q) not in targets.index:
                continue
            expected_target[i, j] = targets[(rep, q)]
            for k, dt in enumerate(("new", "renewal", "upsell")):
                expected_won[i, j, k] = won.get((rep, q, dt), 0.0)
    assert np.allclose(inputs.history_target, expected_target, equal_nan=True)
    assert np.allclose(inputs.history_won, expected_won, rtol=1e-12, atol=1e-6)
    assert inputs.history_won.sum() > 0


def test_an_analyst_gets_pay_per_team_and_no_pay_line(tiny):
    """Team rows by hand (T1: 150,000 + 80,000 + 79,999 won of 300,000; T2: 240,000 of 300,000);
    the team sums equal the leader's per-rep pay; every per-person door refuses the analyst."""
    from analytics.access import AccessDenied

    analyst = Scope(role="analyst", user="ana")
    res = inc.compute(inc.load_inputs(tiny, Filters.for_quarter(Q3), analyst), reference_plan())
    teams = inc.pay_by_team(res).set_index("team_id")
    assert teams["reps"].to_dict() == {"T1": 3, "T2": 2}
    assert teams.loc["T1", "won_amount"] == 309_999 and teams.loc["T2", "won_amount"] == 240_000
    assert teams.loc["T1", "attainment"] == pytest.approx(309_999 / 300_000)
    assert teams.loc["T2", "attainment"] == pytest.approx(0.8)
    leader = pay(inc.simulate(tiny, reference_plan(), Q3, LEADER))
    for team, members in (("T1", ["A", "B", "C"]), ("T2", ["D", "E"])):
        assert teams.loc[team, "total_pay"] == pytest.approx(leader.loc[members, "total_pay"].sum(), abs=0.01)
    for door in (
        lambda: inc.trace(res, "A"),
        lambda: inc.statement(res),
        lambda: inc.pay_lines(res),
        lambda: inc.compare(res, res),
    ):
        with pytest.raises(AccessDenied):
            door()
