"""Access control in a real browser: a rep signs in and sees only their own pay.

Runs on its own server and store copy, with two local accounts (a leader and a rep), so
every session must sign in. Skipped, with the reason, while the store has no accounts
table or the app shows no sign-in form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from analytics import lookups
from analytics.store import Store
from tests.e2e.conftest import ARTIFACTS, copy_store, screenshot
from tests.e2e.harness import Server, app_pages, find_page, goto, metric_values, new_context, rerun
from ui import format as fmt
from ui.i18n import t

pytestmark = pytest.mark.e2e

REP_USER, REP_PASSWORD = "rep.e2e", "rep-password-1"
LEADER_USER, LEADER_PASSWORD = "lead.e2e", "lead-password-1"


@pytest.fixture(scope="module")
def accounts_server(e2e_reference: Path, tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Any:
    """A server whose store has a rep account (so it asks everyone to sign in); yields (server, rep scope)."""
    from analytics import users

    folder = tmp_path_factory.mktemp("access")
    db = copy_store(e2e_reference, folder / "accounts.duckdb")
    with Store(db) as store:
        rep_id = store.scalar(
            "SELECT rep_id FROM targets WHERE quarter = ? ORDER BY rep_id LIMIT 1", [lookups.quarters(store)[-1]]
        )
        users.add_account(store, REP_USER, REP_PASSWORD, "rep", rep_id=rep_id)
        users.add_account(store, LEADER_USER, LEADER_PASSWORD, "leader")
        scope = users.get_account(store, REP_USER).scope()
    srv = Server(db, log_path=ARTIFACTS / "logs" / f"server-access-{folder.name}.log").start()
    # The leader signs in first (conftest.warm_up explains why a first session is needed).
    ctx = new_context(browser)
    sign_in(ctx.new_page(), srv.url, LEADER_USER, LEADER_PASSWORD)
    ctx.close()
    yield srv, scope
    srv.stop()


def sign_in(page: Any, url: str, user: str, password: str, path: str = "/") -> None:
    goto(page, url + path)
    form = page.get_by_test_id("stForm")
    form.get_by_role("textbox", name="Password").wait_for()
    form.get_by_role("textbox", name="User name").fill(user)
    form.get_by_role("textbox", name="Password").fill(password)
    rerun(page, form.get_by_role("button", name="Sign in").click)


def test_a_rep_sees_only_their_own_pay(accounts_server: Any, page: Any, ref_store: Any) -> None:
    srv, scope = accounts_server
    assert find_page("incentive_lab") is not None, "app.PAGES has no views/incentive_lab.py"
    from analytics import incentives
    from analytics.filters import Filters
    from analytics.incentives import plans

    sign_in(page, srv.url, REP_USER, REP_PASSWORD)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(REP_USER)

    # The navigation offers only the pages a rep may open.
    shown = [x.strip().splitlines()[-1] for x in page.get_by_test_id("stSidebarNavLink").all_inner_texts()]
    assert shown == [p.title for p in app_pages() if p.roles is None or "rep" in p.roles]

    link = page.get_by_test_id("stSidebarNavLink").filter(has=page.get_by_text("Incentive lab", exact=True))
    rerun(page, link.click)
    quarter = lookups.quarters(ref_store)[-1]
    expect(page.get_by_text(t("Your pay for {quarter}", quarter=quarter, lang="en"))).to_be_visible()
    inputs = incentives.load_inputs(ref_store, Filters.for_quarter(quarter), scope)
    baseline = plans.load_choice(ref_store, next(iter(plans.plan_choices(ref_store))))
    mine = incentives.compute(inputs, baseline).per_rep
    assert list(mine["rep_id"]) == [scope.rep_id]  # the engine returns their row only
    tiles = metric_values(page)
    assert tiles["Total pay"] == fmt.money(mine["total_pay"].iloc[0], lang="en")
    assert set(tiles) == {"Total pay", "Attainment", "Grade"}  # no company cost, budget or risk
    assert page.get_by_text("Winners and losers").count() == 0
    assert page.get_by_text("Plan parameters").count() == 0
    screenshot(page, "flow_rep_own_pay")

    # A page the rep may not open is not served by typing its address either: the address
    # opens a new session, and after signing in there the rep gets the default page.
    hidden = next((p for p in app_pages() if p.roles is not None and "rep" not in p.roles), None)
    if hidden is not None:
        sign_in(page, srv.url, REP_USER, REP_PASSWORD, path=f"/{hidden.name}")
        expect(page.get_by_test_id("stSidebar")).to_contain_text(REP_USER)
        assert page.locator("h1").first.inner_text().strip() != t(hidden.title, lang="en")
        assert page.get_by_test_id("stSidebarNavLink").filter(has_text=hidden.title).count() == 0


def test_a_wrong_password_is_refused(accounts_server: Any, page: Any) -> None:
    srv, _ = accounts_server
    sign_in(page, srv.url, REP_USER, "not-the-password")
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("Wrong user name or password.")
    assert page.get_by_test_id("stSidebarNavLink").count() == 0
