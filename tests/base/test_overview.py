"""Overview KPIs and weekly curve against hand counts and an independent pandas count."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from analytics import overview
from analytics.access import Scope
from analytics.filters import Filters


@pytest.fixture
def hand(empty_store):
    """Two reps, a Q3 and a Q2 with numbers small enough to count by hand."""
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East'), ('R2', 'West')")
    s.execute(
        "INSERT INTO teams VALUES ('T1', 'East A', 'R1', 'field', false, NULL), ('T2', 'West A', 'R2', 'field', false, NULL)"
    )
    s.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL),"
        " ('S2', 'Bo', 'T2', 'field', '2020-01-01', 12000, NULL)"
    )
    leads = [
        ("L1", "2025-07-01", "won", "2025-07-10", "S1", "R1"),
        ("L2", "2025-07-02", "lost", "2025-07-11", "S1", "R1"),
        ("L3", "2025-07-03", "won", "2025-08-05", "S2", "R2"),
        ("L4", "2025-09-20", "open", None, "S2", "R2"),
        ("L5", "2025-05-01", "won", "2025-07-02", "S1", "R1"),  # created in Q2, closed in Q3
        ("L6", "2025-04-10", "lost", "2025-05-01", "S2", "R2"),
    ]
    for lid, created, status, closed, rep, region in leads:
        s.execute(
            "INSERT INTO leads VALUES (?, ?, 'website', ?, 'smb', ?, ?, ?, NULL, NULL)",
            [lid, created, region, rep, status, closed],
        )
    s.execute(
        "INSERT INTO deals VALUES ('D1', 'L1', NULL, 'S1', '2025-07-10', 100000, 40000, 'new', 0),"
        " ('D3', 'L3', NULL, 'S2', '2025-08-05', 50000, 20000, 'new', 0),"
        " ('D5', 'L5', NULL, 'S1', '2025-07-02', 30000, 10000, 'new', 0),"
        " ('D9', NULL, NULL, 'S2', '2025-05-20', 20000, 10000, 'renewal', 0)"
    )
    s.execute(
        "INSERT INTO targets VALUES ('S1', '2025Q3', 200000, NULL), ('S2', '2025Q3', 100000, NULL),"
        " ('S1', '2025Q2', 50000, NULL), ('S2', '2025Q2', 50000, NULL)"
    )
    return s


def test_kpis_by_hand(hand):
    k = overview.kpis(hand, Filters.for_quarter("2025Q3"), Scope.leader())
    c = k.current
    assert (c.leads, c.closed, c.won) == (4, 4, 3)  # L1-L4 created; L1, L2, L3, L5 closed in Q3
    assert c.conversion_rate == pytest.approx(0.75)
    assert c.won_revenue == pytest.approx(180000)
    assert c.target == pytest.approx(300000)
    assert c.attainment == pytest.approx(0.6)
    p = k.previous
    assert (p.leads, p.closed, p.won, p.won_revenue) == (2, 1, 0, 20000)
    assert k.change("won_revenue") == pytest.approx(180000 / 20000 - 1)
    # Wilson interval for 3/4 (textbook formula)
    z = 1.959963984540054
    n, ph = 4, 0.75
    centre = (ph + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(ph * (1 - ph) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert c.conversion_lo == pytest.approx(centre - half) and c.conversion_hi == pytest.approx(centre + half)


def test_kpis_respect_region_filter_and_scope(hand):
    k = overview.kpis(hand, Filters.for_quarter("2025Q3", region_ids=("R2",)), Scope.leader())
    assert (k.current.leads, k.current.won, k.current.won_revenue, k.current.target) == (2, 1, 50000, 100000)
    rep = overview.kpis(hand, Filters.for_quarter("2025Q3"), Scope(role="rep", rep_id="S1")).current
    assert (rep.leads, rep.won, rep.won_revenue, rep.target) == (2, 2, 130000, 200000)
    nobody = overview.kpis(hand, Filters.for_quarter("2025Q3"), Scope(role="unmapped")).current
    assert (nobody.leads, nobody.won, nobody.won_revenue, nobody.target) == (0, 0, 0, 0)
    assert math.isnan(nobody.conversion_rate) and math.isnan(nobody.attainment)


def test_segment_filter_makes_attainment_unavailable(hand):
    c = overview.kpis(hand, Filters.for_quarter("2025Q3", segments=("smb",)), Scope.leader()).current
    assert c.won_revenue == pytest.approx(180000)
    assert math.isnan(c.target) and math.isnan(c.attainment)


def test_partial_period_prorates_target(hand):
    f = Filters(date(2025, 7, 1), date(2025, 7, 31))
    assert overview.target_for(hand, f, Scope.leader()) == pytest.approx(300000 * 31 / 92)


def test_weekly_curve_by_hand(hand):
    w = overview.weekly_curve(hand, Filters.for_quarter("2025Q3"), Scope.leader())
    assert w["week_start"].iloc[0] == date(2025, 6, 30) and len(w) == 14
    assert w["won"].sum() == 3 and w["leads"].sum() == 4 and w["won_revenue"].sum() == pytest.approx(180000)
    first = w.iloc[0]  # week of Jun 30: L1, L2, L3 created; L5 won on Jul 2
    assert (first["leads"], first["closed"], first["won"], first["won_revenue"]) == (3, 1, 1, 30000)
    assert w["cum_won_revenue"].iloc[-1] == pytest.approx(180000)
    assert w["target_pace"].iloc[-1] == pytest.approx(300000)
    assert w["target_pace"].iloc[0] == pytest.approx(300000 * 6 / 92)  # Jul 1-6 elapsed
    assert (w["band_lo"] == 0.8 * w["target_pace"]).all()


def test_empty_store_gives_zeros_not_errors(empty_store):
    k = overview.kpis(empty_store, Filters.for_quarter("2025Q3"), Scope.leader())
    assert k.current.leads == 0 and math.isnan(k.current.conversion_rate)
    w = overview.weekly_curve(empty_store, Filters.for_quarter("2025Q3"), Scope.leader())
    assert len(w) == 14 and w["won"].sum() == 0


def test_demo_kpis_match_an_independent_pandas_count(demo_store):
    f = Filters.for_quarter("2025Q3", region_ids=("R01", "R03"))
    k = overview.kpis(demo_store, f, Scope.leader()).current
    leads = demo_store.query("SELECT * FROM leads")
    reps = demo_store.query("SELECT rep_id, team_id FROM reps")
    teams = demo_store.query("SELECT team_id, region_id AS team_region FROM teams")
    deals = demo_store.query("SELECT * FROM deals")
    accounts = demo_store.query("SELECT account_id, region_id AS acc_region FROM accounts")
    lo, hi = pd.Timestamp(f.start), pd.Timestamp(f.end)
    in_regions = leads["region_id"].isin(["R01", "R03"])
    assert k.leads == int((in_regions & leads["created_at"].between(lo, hi)).sum())
    closed = leads[in_regions & (leads["status"] != "open") & leads["closed_at"].between(lo, hi)]
    assert k.closed == len(closed) and k.won == int((closed["status"] == "won").sum())
    d = deals.merge(leads[["lead_id", "region_id"]], on="lead_id", how="left")
    d = d.merge(accounts, on="account_id", how="left").merge(reps, on="rep_id").merge(teams, on="team_id")
    region = d["region_id"].fillna(d["acc_region"]).fillna(d["team_region"])
    mask = region.isin(["R01", "R03"]) & d["signed_at"].between(lo, hi)
    assert k.won_revenue == pytest.approx(float(d.loc[mask, "amount"].sum()))


@pytest.mark.parametrize("teams", [(), ("T001", "T002")])
def test_demo_kpis_unfiltered_and_by_team_match_a_pandas_count(demo_store, teams):
    # no filter reads the base tables, a team filter the views (Filters.leads_relation, deals_relation): same numbers
    f = Filters.for_quarter("2025Q3", team_ids=teams)
    k = overview.kpis(demo_store, f, Scope.leader()).current
    leads = demo_store.query("SELECT l.*, r.team_id FROM leads l LEFT JOIN reps r USING (rep_id)")
    deals = demo_store.query("SELECT d.*, r.team_id FROM deals d LEFT JOIN reps r USING (rep_id)")
    if teams:
        leads, deals = leads[leads["team_id"].isin(teams)], deals[deals["team_id"].isin(teams)]
    lo, hi = pd.Timestamp(f.start), pd.Timestamp(f.end)
    assert k.leads == int(leads["created_at"].between(lo, hi).sum()) > 0
    closed = leads[(leads["status"] != "open") & leads["closed_at"].between(lo, hi)]
    assert k.closed == len(closed) and k.won == int((closed["status"] == "won").sum())
    assert k.won_revenue == pytest.approx(float(deals.loc[deals["signed_at"].between(lo, hi), "amount"].sum()))


def test_conversion_divides_by_leads_closed_not_leads_created(hand):
    """Leads created and leads closed in a period differ: only the closed ones are the denominator.

    In Q3 three leads are created and closed (L1-L3), one is created and still open (L4) and one
    was created in Q2 and closed in Q3 (L5); adding a second open lead makes created (5) and
    closed (4) differ, so won / created (3/5) and won / closed (3/4) cannot be confused.
    """
    hand.execute(
        "INSERT INTO leads VALUES ('L7', '2025-09-25', 'website', 'R1', 'smb', 'S1', 'open', NULL, NULL, NULL)"
    )
    c = overview.kpis(hand, Filters.for_quarter("2025Q3"), Scope.leader()).current
    assert (c.leads, c.closed, c.won) == (5, 4, 3)
    assert c.conversion_rate == pytest.approx(3 / 4)
