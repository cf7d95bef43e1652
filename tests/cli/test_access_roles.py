"""The access policy over the CLI: role x command x format, against row sets computed from the store.

For every identity (leader, a region manager, a team manager, an analyst, a rep, a disabled
account, an unknown name) and every command that emits rep-level rows or aggregates, the
output equals what the policy allows, computed here with plain SQL over the store (not with
the product's own scope code):

- rep-level commands return exactly the reps of the identity's scope (no more, no fewer),
  in every format (table, csv, json);
- individual pay is never shown to an analyst (one row per team instead);
- aggregates (overview, attribution, audit) equal the same sums over the identity's reps;
- commands of pages the role may not open are refused with a sentence and print nothing;
- an unknown or disabled identity sees nothing.
"""

from __future__ import annotations

import io
import json
import re
import shutil

import pandas as pd
import pytest

from analytics import access, users
from analytics.cli import main
from analytics.incentives import plans
from analytics.store import Store

QUARTER = "2025Q3"
Q_START, Q_END = "2025-07-01", "2025-09-30"
HALF = "2025H1"
FORMATS = ("csv", "json", "table")
REP_ID = re.compile(r"\bS\d{5}\b")
TEAM_ID = re.compile(r"\bT\d{3}\b")
IDENTITIES = ("lead", "east", "teams", "ana", "rep1", "gone", "stranger")
ROLE = {"lead": "leader", "east": "manager", "teams": "manager", "ana": "analyst", "rep1": "rep"}


@pytest.fixture(scope="module")
def world(tmp_path_factory, demo_db_path):
    """A copy of the demo store with one account per identity, and each identity's reps (by SQL)."""
    db = tmp_path_factory.mktemp("roles") / "roles.duckdb"
    shutil.copy(demo_db_path, db)
    with Store(db) as s:
        reps = s.query("SELECT r.rep_id, r.team_id, t.region_id FROM reps AS r JOIN teams AS t USING (team_id)")
        rep = reps[reps["team_id"] == "T002"].sort_values("rep_id").iloc[0]["rep_id"]
        users.add_account(s, "lead", "leader password", "leader")
        users.add_account(s, "east", "manager password", "manager", region_ids=["R01"])
        users.add_account(s, "teams", "manager password", "manager", team_ids=["T002", "T007"])
        users.add_account(s, "ana", "analyst password", "analyst")
        users.add_account(s, "rep1", "rep password", "rep", rep_id=rep)
        users.add_account(s, "gone", "gone password", "rep", rep_id=rep)
        s.control.execute("UPDATE users SET disabled = 1 WHERE username = 'gone'")
        plans.save_scenario(s, "ref", plans.reference_plan(), "lead")
    every = set(reps["rep_id"])
    scope = {
        "lead": every,
        "east": set(reps.loc[reps["region_id"] == "R01", "rep_id"]),
        "teams": set(reps.loc[reps["team_id"].isin(["T002", "T007"]), "rep_id"]),
        "ana": every,
        "rep1": {rep},
        "gone": set(),
        "stranger": set(),
    }
    assert scope["east"] and scope["teams"] - scope["east"], "the team manager must reach outside R01"
    return db, reps, scope


def run(capsys, db, user: str, *words: str) -> tuple[int, str, str]:
    code = main(["--as", user, *words, "--db", str(db)])
    out = capsys.readouterr()
    return code, out.out, out.err


def ids_in(text: str, fmt: str, column: str = "rep_id", pattern: re.Pattern[str] = REP_ID) -> set[str]:
    """The ids in ``column`` of an output (table: every id-shaped word)."""
    if fmt == "csv":
        return set(pd.read_csv(io.StringIO(text))[column]) if text.strip() else set()
    if fmt == "json":
        return {row[column] for row in json.loads(text)} if text.strip() else set()
    return set(pattern.findall(text))


def sql(db, query: str, params: list[object]) -> pd.DataFrame:
    with Store(db, read_only=True) as s:
        return s.query(query, params)


def refused(code: int, out: str, err: str) -> bool:
    return code == 2 and not REP_ID.search(out) and not out.strip() and err.startswith("error:")


# -- rep-level rows -----------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("user", IDENTITIES)
def test_simulate_rows_are_exactly_the_scope(world, capsys, user, fmt):
    db, reps, scope = world
    in_plan = set(sql(db, "SELECT rep_id FROM targets WHERE quarter = ? AND target_amount > 0", [QUARTER])["rep_id"])
    code, out, err = run(capsys, db, user, "simulate", "--quarter", QUARTER, "--format", fmt)
    if user in ("gone", "stranger"):
        assert refused(code, out, err)
        return
    assert code == 0, err
    if user == "ana":  # pay aggregated: one row per team, no person
        assert not REP_ID.search(out)
        teams = set(reps.loc[reps["rep_id"].isin(in_plan), "team_id"])
        assert ids_in(out, fmt, "team_id", TEAM_ID) == teams
        return
    assert ids_in(out, fmt) == in_plan & scope[user]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("user", IDENTITIES)
def test_scorecard_rows_are_exactly_the_scope(world, capsys, user, fmt):
    db, _, scope = world
    graded = set(
        sql(db, "SELECT DISTINCT rep_id FROM targets WHERE quarter = ? AND target_amount > 0", [QUARTER])["rep_id"]
    )
    code, out, err = run(capsys, db, user, "scorecard", "--quarter", QUARTER, "--format", fmt)
    if user in ("gone", "stranger"):
        assert refused(code, out, err)
        return
    assert code == 0, err
    assert ids_in(out, fmt) == graded & scope[user]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("user", IDENTITIES)
def test_scenario_comparison_per_rep_follows_scope_and_pay_rule(world, capsys, user, fmt):
    db, _, scope = world
    in_plan = set(sql(db, "SELECT rep_id FROM targets WHERE quarter = ? AND target_amount > 0", [QUARTER])["rep_id"])
    code, out, err = run(
        capsys, db, user, "scenarios", "compare", "ref", "ref", "--quarter", QUARTER, "--per-rep", "--format", fmt
    )
    if user in ("gone", "stranger", "ana"):
        assert refused(code, out, err)
        return
    assert code == 0, err
    assert ids_in(out, fmt) == in_plan & scope[user]


@pytest.mark.parametrize("user", IDENTITIES)
def test_a_payout_trace_is_shown_only_inside_the_scope(world, capsys, user):
    db, _, scope = world
    inside, outside = sorted(scope["rep1"])[0], sorted(scope["lead"] - scope["east"] - scope["teams"])[0]
    for rep, allowed in ((inside, user in ("lead", "east", "teams", "rep1")), (outside, user == "lead")):
        code, out, err = run(capsys, db, user, "simulate", "--quarter", QUARTER, "--trace", rep, "--format", "csv")
        if allowed:
            assert code == 0 and len(pd.read_csv(io.StringIO(out))) >= 1, (rep, err)
        else:
            assert refused(code, out, err), (user, rep, out[:200])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("user", IDENTITIES)
def test_driver_rows_are_exactly_the_scope(world, capsys, user, fmt):
    db, _, scope = world
    code, out, err = run(capsys, db, user, "drivers", "--quarter", QUARTER, "--table", "reps", "--format", fmt)
    if not access.may_open(access.Scope(role=ROLE.get(user, "none")), "talk_tracks") or user == "gone":
        assert refused(code, out, err)
        return
    assert code == 0, err
    active = set(
        sql(db, "SELECT DISTINCT rep_id FROM targets WHERE quarter = ? AND target_amount > 0", [QUARTER])["rep_id"]
    )
    assert ids_in(out, fmt) == active & scope[user]


@pytest.mark.parametrize("user", IDENTITIES)
def test_explain_by_rep_names_only_reps_in_scope(world, capsys, user):
    db, _, scope = world
    code, out, err = run(capsys, db, user, "explain", "--region", "R01", "--week", "2025-08-04")
    if user in ("rep1", "gone", "stranger"):
        assert refused(code, out, err)
        return
    assert code == 0, err
    keys = {row["key"] for row in json.loads(out)["decomposition"].get("rep", []) if REP_ID.fullmatch(row["key"])}
    assert keys and keys <= scope[user]
    if user in ("east", "ana"):  # the whole region is in scope: the same reps as the leader's
        code, lead_out, _ = run(capsys, db, "lead", "explain", "--region", "R01", "--week", "2025-08-04")
        assert keys == {r["key"] for r in json.loads(lead_out)["decomposition"]["rep"] if REP_ID.fullmatch(r["key"])}


# -- aggregates ---------------------------------------------------------------------------
def _scoped_counts(db, reps: set[str]) -> dict[str, float]:
    ids = sorted(reps)
    leads = sql(
        db,
        "SELECT count(*) AS n FROM leads WHERE created_at BETWEEN ? AND ? AND list_contains(?::VARCHAR[], rep_id)",
        [Q_START, Q_END, ids],
    )["n"].iloc[0]
    closed = sql(
        db,
        "SELECT count(*) FILTER (WHERE status <> 'open') AS closed, count(*) FILTER (WHERE status = 'won') AS won"
        " FROM leads WHERE closed_at BETWEEN ? AND ? AND list_contains(?::VARCHAR[], rep_id)",
        [Q_START, Q_END, ids],
    ).iloc[0]
    revenue = sql(
        db,
        "SELECT coalesce(sum(amount), 0)::DOUBLE AS r FROM deals"
        " WHERE signed_at BETWEEN ? AND ? AND list_contains(?::VARCHAR[], rep_id)",
        [Q_START, Q_END, ids],
    )["r"].iloc[0]
    return {"leads": leads, "closed": closed["closed"], "won": closed["won"], "won_revenue": revenue}


@pytest.mark.parametrize("user", IDENTITIES)
def test_overview_totals_are_the_scopes_totals(world, capsys, user):
    db, _, scope = world
    code, out, err = run(capsys, db, user, "overview", "--quarter", QUARTER, "--format", "json")
    if user in ("gone", "stranger"):
        assert refused(code, out, err)
        return
    assert code == 0, err
    got = {row["metric"]: row["value"] for row in json.loads(out)}
    want = _scoped_counts(db, scope[user])
    assert got["leads"] == want["leads"] and got["closed"] == want["closed"] and got["won"] == want["won"]
    assert got["won_revenue"] == pytest.approx(want["won_revenue"], abs=0.01)
    assert got["conversion_rate"] == pytest.approx(want["won"] / want["closed"])


@pytest.mark.parametrize("user", IDENTITIES)
def test_attribution_counts_only_the_scopes_leads(world, capsys, user):
    db, _, scope = world
    code, out, err = run(capsys, db, user, "attribution", "sources", "--quarter", QUARTER, "--format", "csv")
    if user in ("rep1", "gone", "stranger"):
        assert refused(code, out, err)
        return
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert table["leads"].sum() == _scoped_counts(db, scope[user])["leads"]


@pytest.mark.parametrize("user", IDENTITIES)
def test_audit_counts_only_the_scopes_reps(world, capsys, user):
    db, _, scope = world
    code, out, err = run(capsys, db, user, "audit", "--half", HALF, "--table", "quarterly", "--format", "csv")
    if user in ("rep1", "gone", "stranger"):
        assert refused(code, out, err)
        return
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out)).set_index("quarter")
    for quarter in ("2025Q1", "2025Q2"):
        with_target = set(
            sql(db, "SELECT rep_id FROM targets WHERE quarter = ? AND target_amount > 0", [quarter])["rep_id"]
        )
        assert table.loc[quarter, "reps"] == len(with_target & scope[user]), quarter


def test_the_matrix_can_fail_on_a_leak(world, capsys):
    """The leader's rows are a strict superset of every scoped identity's: an ignored --as shows up."""
    db, _, scope = world
    _, lead, _ = run(capsys, db, "lead", "scorecard", "--quarter", QUARTER, "--format", "csv")
    _, east, _ = run(capsys, db, "east", "scorecard", "--quarter", QUARTER, "--format", "csv")
    assert ids_in(east, "csv") < ids_in(lead, "csv")
    assert _scoped_counts(db, scope["east"])["leads"] < _scoped_counts(db, scope["lead"])["leads"]


@pytest.mark.parametrize("user", IDENTITIES)
def test_statement_exports_hold_exactly_the_scopes_reps(world, capsys, tmp_path, user):
    db, _, scope = world
    in_plan = set(sql(db, "SELECT rep_id FROM targets WHERE quarter = ? AND target_amount > 0", [QUARTER])["rep_id"])
    code, out, err = run(capsys, db, user, "statements", "--quarter", QUARTER)
    if user in ("gone", "stranger", "ana"):  # the analyst sees pay aggregated only: no statement
        assert refused(code, out, err)
        return
    assert code == 0, err
    assert set(pd.read_csv(io.StringIO(out))["rep_id"]) == in_plan & scope[user]
    xlsx = tmp_path / "s.xlsx"
    assert run(capsys, db, user, "statements", "--quarter", QUARTER, "--out", str(xlsx))[0] == 0
    assert set(pd.read_excel(xlsx)["rep_id"]) == in_plan & scope[user]


@pytest.mark.parametrize("user", IDENTITIES)
def test_a_rep_profile_is_shown_only_inside_the_scope(world, capsys, user):
    """drivers --profile: one rep's metrics against the team and the top decile."""
    db, _, scope = world
    inside = sorted(scope["rep1"])[0]
    outside = sorted(scope["lead"] - scope["east"] - scope["teams"])[0]
    for rep in (inside, outside):
        code, out, err = run(capsys, db, user, "drivers", "--quarter", QUARTER, "--profile", rep, "--format", "csv")
        if user in ("rep1", "gone", "stranger"):
            assert refused(code, out, err)
            continue
        assert code == 0, err
        rows = pd.read_csv(io.StringIO(out)) if out.strip() else pd.DataFrame()
        assert (len(rows) > 0) == (rep in scope[user]), (user, rep)
