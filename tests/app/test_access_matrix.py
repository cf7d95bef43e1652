"""Access control as a matrix: every role x every page, through the real app.

For each identity, every page it may open runs without an exception, and nothing on it
(tables, text, metrics, select options, chart data) names a rep outside the identity's
scope. Pages a role may not open are not in its navigation.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from streamlit.testing.v1 import AppTest

from analytics import users
from analytics.store import Store
from tests.conftest import ROOT
from tests.e2e.harness import app_pages
from ui import auth

APP = ROOT / "app.py"


def _pages() -> list[tuple[str, tuple[str, ...]]]:
    """(page file, roles) for every page of app.py's PAGES, with roles from the access policy."""
    return [(f"views/{p.name}.py", p.roles or ()) for p in app_pages()]


PAGES = _pages()


@pytest.fixture(scope="module")
def secured(tmp_path_factory, demo_db_path):
    """A copy of the demo store with one account per role; returns (db, expectations)."""
    db = tmp_path_factory.mktemp("matrix") / "m.duckdb"
    shutil.copy(demo_db_path, db)
    with Store(db) as s:
        reps = s.query("SELECT rep_id, rep_name, region_id, team_id FROM v_reps")
        rep = reps[(reps["region_id"] == "R01")].sort_values("rep_id").iloc[1]
        users.add_account(s, "lead", "leader password", "leader")
        users.add_account(s, "east", "manager password", "manager", region_ids=["R01"])
        users.add_account(s, "ana", "analyst password", "analyst")
        users.add_account(s, "rep1", "rep password", "rep", rep_id=rep["rep_id"])
    allowed = {
        "lead": set(reps["rep_id"]),
        "east": set(reps.loc[reps["region_id"] == "R01", "rep_id"]),
        "ana": set(reps["rep_id"]),
        "rep1": {rep["rep_id"]},
    }
    return db, reps, allowed


def _texts(at: AppTest) -> str:
    """Everything the page shows, as one string (tables, text, options, chart data)."""
    parts: list[str] = []
    for df in at.dataframe:
        parts.append(df.value.to_csv())
    for kind in (
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "text",
        "info",
        "warning",
        "success",
        "error",
        "code",
        "latex",
    ):
        parts += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        parts += [str(m.label), str(m.value)]
    for kind in ("selectbox", "multiselect", "radio", "select_slider"):
        for w in at.get(kind):
            parts += [str(o) for o in getattr(w, "options", [])]
    for chart in at.get("plotly_chart"):
        parts.append(json.dumps(getattr(chart, "proto", chart).__str__()))
    for table in at.get("table"):
        parts.append(str(table.value))
    return "\n".join(parts)


def _open(db, user: str, page: str | None) -> AppTest:
    token = f"tok-{user}-{time.time_ns()}"
    auth._registry().sessions[token] = (user, time.time())
    os.environ["LAB_DB"] = str(db)
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.session_state["auth_token"] = token
    at.query_params["quarter"] = "2025Q3"
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


ROLE_OF = {"lead": "leader", "east": "manager", "ana": "analyst", "rep1": "rep"}
#: every (identity, page) pair the identity may open; the others are test_navigation_follows_roles
CASES = [(user, page, roles) for user in ROLE_OF for page, roles in PAGES if ROLE_OF[user] in roles]


@pytest.mark.parametrize(("user", "page", "roles"), CASES, ids=[f"{u}-{p.split('/')[-1][:-3]}" for u, p, _ in CASES])
def test_role_sees_only_its_scope(secured, user, page, roles):
    db, reps, allowed = secured
    assert ROLE_OF[user] in roles
    at = _open(db, user, page)
    assert not at.exception, [e.value for e in at.exception]
    shown = _texts(at)
    outside = reps[~reps["rep_id"].isin(allowed[user])]
    leaked = [f"{r.rep_id} {r.rep_name}" for r in outside.itertuples() if r.rep_id in shown or r.rep_name in shown]
    assert not leaked, f"{user} on {page} sees reps outside their scope: {leaked[:5]}"


def test_navigation_follows_roles(secured):
    db, _, _ = secured
    for user, role in (("rep1", "rep"), ("ana", "analyst"), ("east", "manager")):
        forbidden = [p for p, roles in PAGES if role not in roles]
        for page in forbidden:
            at = _open(db, user, None)
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page)
                at.run()
                assert not at.exception


def test_the_leak_check_can_see_names(secured):
    """The leader's scorecard names reps from every region, so the check above is not vacuous."""
    db, reps, _ = secured
    shown = _texts(_open(db, "lead", "views/scorecard.py"))
    outside_r01 = reps[reps["region_id"] != "R01"]
    assert sum(name in shown for name in outside_r01["rep_name"]) > 10


def _cli_json(capsys, db, user: str, *words: str):
    from analytics.cli import main

    assert main(["--as", user, *words, "--db", str(db), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _tiles(at: AppTest) -> dict[str, str]:
    return {str(m.label): str(m.value) for m in at.metric}


@pytest.mark.parametrize("user", ["east", "ana", "rep1"])
def test_the_page_and_the_cli_give_the_same_answer(secured, capsys, user):
    """A manager, an analyst and a rep read the same numbers on the page as with --as on the CLI.

    The CLI's raw values are formatted here with hand-written rules (thousands separator,
    one-decimal percentage, two-decimal compact millions) rather than with the page's formatter.
    """
    db, _, _ = secured
    kpis = {row["metric"]: row["value"] for row in _cli_json(capsys, db, user, "overview", "--quarter", "2025Q3")}
    tiles = _tiles(_open(db, user, "views/overview.py"))
    assert tiles["Leads"] == f"{int(kpis['leads']):,}"
    assert tiles["Conversion rate"] == f"{kpis['conversion_rate']:.1%}"
    lab = _tiles(_open(db, user, "views/incentive_lab.py"))
    if user == "rep1":
        (row,) = _cli_json(capsys, db, user, "simulate", "--quarter", "2025Q3")
        assert lab["Total pay"] == f"¥{row['total_pay']:,.2f}"
    else:
        total = sum(r["total_pay"] for r in _cli_json(capsys, db, user, "simulate", "--quarter", "2025Q3"))
        want = f"¥{total / 1e6:.2f}M" if total >= 1e6 else f"¥{total / 1e3:.2f}K"
        assert lab["Total cost"] == want
