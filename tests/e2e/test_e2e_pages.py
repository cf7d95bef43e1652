"""Every page of app.PAGES in a real browser: loads cleanly in both languages, screenshot saved;
the Overview's KPI tiles equal the analytics values."""

from __future__ import annotations

from typing import Any

import pytest

from analytics import lookups, overview
from analytics.access import Scope
from analytics.filters import Filters
from tests.e2e.conftest import record, screenshot
from tests.e2e.harness import AppPage, Watch, app_pages, exceptions, goto, metric_values, new_context, rerun, settle
from ui import format as fmt
from ui.i18n import t

pytestmark = pytest.mark.e2e

PAGES = app_pages()


@pytest.fixture(scope="module")
def nav(browser: Any, server: Any) -> dict[str, str]:
    """English page title -> link, as the app's own sidebar navigation has them."""
    ctx = new_context(browser)
    page = ctx.new_page()
    goto(page, server.url + "/")
    links = page.get_by_test_id("stSidebarNav").get_by_test_id("stSidebarNavLink")
    found = {}
    for link in links.all():
        # The link text is the icon's ligature name, then the title on the last line.
        found[link.inner_text().strip().splitlines()[-1].strip()] = link.get_attribute("href")
    ctx.close()
    return found


def test_app_pages_parsed_from_app_py() -> None:
    assert PAGES, "app.PAGES is empty"
    assert PAGES[0].path == "views/overview.py" and PAGES[0].default
    assert all(p.path.startswith("views/") and p.path.endswith(".py") for p in PAGES)
    assert len({p.name for p in PAGES}) == len(PAGES)


def test_navigation_lists_every_page(nav: dict[str, str], server: Any) -> None:
    assert list(nav) == [p.title for p in PAGES]
    # Streamlit serves the default page at the root and the others at their file name.
    assert nav[PAGES[0].title].rstrip("/") == server.url
    for p in PAGES[1:]:
        assert nav[p.title] == f"{server.url}/{p.name}"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("app_page", PAGES, ids=[p.name for p in PAGES])
def test_page_loads_without_errors(
    app_page: AppPage, lang: str, nav: dict[str, str], page: Any, watch: Watch, server: Any
) -> None:
    url = nav[app_page.title]
    seconds = goto(page, f"{url}?lang={lang}")
    assert page.url.split("?")[0] == url.split("?")[0], "the app redirected away from the page"
    assert not exceptions(page), exceptions(page)
    assert not page.get_by_test_id("stAlertContentError").all_inner_texts()
    assert not watch.errors(), watch.errors()
    titles = page.locator("h1").all_inner_texts()
    assert titles and titles[0].strip(), "the page shows no title"
    nav_titles = page.get_by_test_id("stSidebarNavLink").all_inner_texts()
    assert any(t(app_page.title, lang=lang) in x for x in nav_titles), nav_titles
    screenshot(page, f"{app_page.name}_{lang}")
    record("page_load", {"page": app_page.name, "lang": lang, "seconds": round(seconds, 3)})


def test_no_request_leaves_the_machine(server: Any, page: Any, watch: Watch) -> None:
    goto(page, server.url + "/")
    for p in PAGES[1:]:
        link = page.get_by_test_id("stSidebarNavLink").filter(has=page.get_by_text(p.title, exact=True))
        rerun(page, link.click)
        settle(page)
    assert watch.foreign_requests == []


def _expected_tiles(store: Any, f: Filters, lang: str) -> dict[str, str]:
    k = overview.kpis(store, f, Scope.leader())
    return {
        t("Leads", lang=lang): fmt.count(k.current.leads, lang=lang),
        t("Conversion rate", lang=lang): fmt.percent(k.current.conversion_rate, lang=lang),
        t("Won revenue", lang=lang): fmt.money(k.current.won_revenue, lang=lang, compact=True),
        t("Attainment", lang=lang): fmt.percent(k.current.attainment, lang=lang),
    }


@pytest.mark.parametrize(
    ("query", "lang"),
    [("", "en"), ("?quarter=2025Q3&region=R01,R02", "en"), ("?quarter=2024Q2&segment=enterprise&lang=zh", "zh")],
)
def test_overview_tiles_equal_the_analytics(query: str, lang: str, server: Any, page: Any, ref_store: Any) -> None:
    goto(page, server.url + "/" + query)
    params = dict(p.split("=") for p in query.lstrip("?").split("&") if p)
    quarter = params.get("quarter") or lookups.quarters(ref_store)[-1]
    f = Filters.for_quarter(
        quarter,
        region_ids=tuple(params["region"].split(",")) if "region" in params else (),
        segments=(params["segment"],) if "segment" in params else (),
    )
    assert metric_values(page) == _expected_tiles(ref_store, f, lang)
    k = overview.kpis(ref_store, f, Scope.leader())
    delta = page.get_by_test_id("stMetric").first.get_by_test_id("stMetricDelta").inner_text()
    assert delta.strip().endswith(fmt.signed_percent(k.change("leads"), lang=lang))
