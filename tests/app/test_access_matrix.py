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
