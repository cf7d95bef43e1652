"""Interaction flows in a real browser: sidebar filters, URL state, language switch, the
incentive-lab sliders and the anomaly drill-down; every number checked against analytics."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from analytics import lookups, overview
from analytics.access import Scope
from analytics.filters import Filters
from analytics.periods import iso_week_label
from tests.e2e.conftest import screenshot, start_server
from tests.e2e.harness import choose, find_page, goto, labelled, metric_values, rerun, settle, sidebar
from ui import format as fmt
from ui.i18n import t

pytestmark = pytest.mark.e2e


def tiles(store: Any, f: Filters, lang: str = "en") -> dict[str, str]:
    """The Overview tiles as the page must show them for ``f``."""
    k = overview.kpis(store, f, Scope.leader())
    return {
        t("Leads", lang=lang): fmt.count(k.current.leads, lang=lang),
        t("Conversion rate", lang=lang): fmt.percent(k.current.conversion_rate, lang=lang),
        t("Won revenue", lang=lang): fmt.money(k.current.won_revenue, lang=lang, compact=True),
        t("Attainment", lang=lang): fmt.percent(k.current.attainment, lang=lang),
    }


def js_number(value: float) -> str:
    """``value`` (rounded to the cent) as JavaScript prints it: 1288120, 3647850.17."""
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def region_label(store: Any, region_id: str, lang: str = "en") -> str:
    regions = lookups.regions(store, lang=lang)
    return dict(zip(regions["region_id"], regions["label"], strict=True))[region_id]


def leads_tile(page: Any) -> Any:
    return page.get_by_test_id("stMetric").filter(has_text="Leads").get_by_test_id("stMetricValue")


def test_quarter_and_region_filters_change_the_kpis(server: Any, page: Any, ref_store: Any) -> None:
    goto(page, server.url + "/")
    latest = lookups.quarters(ref_store)[-1]
    assert metric_values(page) == tiles(ref_store, Filters.for_quarter(latest))

    want = tiles(ref_store, Filters.for_quarter("2024Q4"))
    assert want != tiles(ref_store, Filters.for_quarter(latest))
    rerun(page, lambda: choose(page, labelled(sidebar(page), "stSelectbox", "Quarter"), "2024Q4"))
    expect(leads_tile(page)).to_have_text(want["Leads"])
    assert metric_values(page) == want

    label = region_label(ref_store, "R03")
    want = tiles(ref_store, Filters.for_quarter("2024Q4", region_ids=("R03",)))
    rerun(page, lambda: choose(page, labelled(sidebar(page), "stMultiSelect", "Region"), label))
    page.keyboard.press("Escape")
    expect(leads_tile(page)).to_have_text(want["Leads"])
    assert metric_values(page) == want
    # The selection is mirrored in the URL, so the link reopens this view.
    assert "quarter=2024Q4" in page.url and "region=R03" in page.url


@pytest.fixture(scope="module")
def fresh_server(e2e_reference: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A just-started server nobody has opened yet."""
    srv = start_server(e2e_reference, tmp_path_factory.mktemp("fresh"), "fresh")
    yield srv
    srv.stop()


def test_first_session_after_a_start_keeps_the_chosen_quarter(fresh_server: Any, page: Any, ref_store: Any) -> None:
    """The first leader to open a just-started server changes the quarter: it must stick.

    Until a session has called st.navigation(), Streamlit 1.67 runs an app with a ``pages/``
    folder through its legacy multipage path, which gave the first session's sidebar widgets
    a different id on its second run (the new value was dropped). The page files live in
    ``views/`` for that reason, and app.py calls st.navigation() before drawing the sidebar.
    """
    goto(page, fresh_server.url + "/")
    rerun(page, lambda: choose(page, labelled(sidebar(page), "stSelectbox", "Quarter"), "2024Q4"))
    settle(page)
    assert labelled(sidebar(page), "stSelectbox", "Quarter").locator("input").input_value() == "2024Q4"
    assert metric_values(page) == tiles(ref_store, Filters.for_quarter("2024Q4"))


def test_first_visit_to_a_bookmarked_page_after_a_start(
    e2e_reference: Any, tmp_path_factory: pytest.TempPathFactory, page: Any, ref_store: Any
) -> None:
    """A leader's bookmark of a page (not the Overview) is the first request after a restart.

    With the page files in a ``pages/`` folder, Streamlit ran that file on its own (no router,
    no sign-in, no filters) and the page said only "Open the app through app.py".
    """
    _page_or_fail("incentive_lab")
    srv = start_server(e2e_reference, tmp_path_factory.mktemp("bookmark"), "bookmark")
    try:
        quarter = lookups.quarters(ref_store)[-2]
        goto(page, f"{srv.url}/incentive_lab?quarter={quarter}")
        expect(page.locator("h1").first).to_have_text("Incentive lab")
        assert not page.get_by_test_id("stAlert").filter(has_text="Open the app through").count()
        assert labelled(sidebar(page), "stSelectbox", "Quarter").locator("input").input_value() == quarter
        expect(page.get_by_test_id("stMetric").filter(has_text="Total cost")).to_have_count(1)
    finally:
        srv.stop()


def test_url_query_string_opens_that_selection(server: Any, page: Any, ref_store: Any) -> None:
    goto(page, server.url + "/?quarter=2024Q4&region=R03")
    sb = sidebar(page)
    assert labelled(sb, "stSelectbox", "Quarter").locator("input").input_value() == "2024Q4"
    label = region_label(ref_store, "R03")
    assert label in labelled(sb, "stMultiSelect", "Region").inner_text()
    assert metric_values(page) == tiles(ref_store, Filters.for_quarter("2024Q4", region_ids=("R03",)))


def test_switching_to_chinese_keeps_the_filters(server: Any, page: Any, ref_store: Any) -> None:
    goto(page, server.url + "/?quarter=2024Q4&region=R03")
    rerun(page, lambda: choose(page, labelled(sidebar(page), "stSelectbox", "Language / 语言"), "中文"))
    expect(page.locator("h1").first).to_have_text(t("Overview", lang="zh"))
    settle(page)
    sb = sidebar(page)
    assert labelled(sb, "stSelectbox", t("Quarter", lang="zh")).locator("input").input_value() == "2024Q4"
    zh_label = region_label(ref_store, "R03", "zh")
    assert zh_label in labelled(sb, "stMultiSelect", t("Region", lang="zh")).inner_text()
    assert metric_values(page) == tiles(ref_store, Filters.for_quarter("2024Q4", region_ids=("R03",)), "zh")
    assert "lang=zh" in page.url and "quarter=2024Q4" in page.url and "region=R03" in page.url
    screenshot(page, "flow_overview_zh_2024Q4_R03")


def _page_or_fail(name: str) -> Any:
    p = find_page(name)
    if p is None:
        pytest.fail(f"app.PAGES has no page views/{name}.py")
    return p


def test_incentive_lab_slider_changes_the_total_cost(server: Any, page: Any, ref_store: Any) -> None:
    _page_or_fail("incentive_lab")
    from analytics import incentives
    from analytics.incentives import plans

    goto(page, f"{server.url}/incentive_lab")
    slider = labelled(page, "stSlider", "Base bonus, share of monthly salary")
    slider.wait_for()  # the lab's fragment can still be mounting when the run has ended
    quarter = lookups.quarters(ref_store)[-1]
    inputs = incentives.load_inputs(ref_store, Filters.for_quarter(quarter), Scope.leader(user="local"))
    baseline = plans.load_choice(ref_store, next(iter(plans.plan_choices(ref_store))))
    base_cost = incentives.compute(inputs, baseline).summary.total_cost
    total = page.get_by_test_id("stMetric").filter(has_text="Total cost").get_by_test_id("stMetricValue")
    expect(total).to_have_text(fmt.money(base_cost, lang="en", compact=True))

    # End moves the slider to its maximum (50% of monthly salary).
    thumb = slider.get_by_role("slider")
    rerun(page, lambda: (thumb.focus(), thumb.press("End")))
    scenario = replace(baseline, base_bonus=replace(baseline.base_bonus, salary_share=0.5))
    cost = incentives.compute(inputs, scenario).summary.total_cost
    assert cost > base_cost
    expect(total).to_have_text(fmt.money(cost, lang="en", compact=True))
    delta = page.get_by_test_id("stMetric").filter(has_text="Total cost").get_by_test_id("stMetricDelta")
    expect(delta).to_contain_text(fmt.signed_percent(cost / base_cost - 1, lang="en"))
    # The cost chart beside the tiles was redrawn with the scenario's base bonuses: ECharts
    # describes the drawn data in the chart's aria-label ("the data for Scenario is 1, <value>").
    base_bonus = incentives.compute(inputs, scenario).summary.base_cost
    assert base_bonus != incentives.compute(inputs, baseline).summary.base_cost
    chart = page.locator(".st-key-incentives_chart_cost").get_by_test_id("stEChartsChart")
    expect(chart).to_have_attribute("aria-label", re.compile(rf"Scenario is 1, {re.escape(js_number(base_bonus))}\b"))
    screenshot(page, "flow_incentive_lab_slider")


def test_opening_an_anomaly_shows_its_explanation(server: Any, page: Any, ref_store: Any) -> None:
    _page_or_fail("anomalies")
    from analytics import anomalies
    from analytics.anomalies import explain

    # The demo plants an enterprise collapse in R06 in the week of 2025-08-11 (store_info 'planted').
    unit, week, quarter = "R06", date(2025, 8, 11), "2025Q3"
    f = Filters.for_quarter(quarter)
    goto(page, f"{server.url}/anomalies?quarter={quarter}")
    main = page.get_by_test_id("stMain")
    region_box = labelled(main, "stSelectbox", "Region")
    region_box.wait_for()
    rerun(page, lambda: choose(page, region_box, region_label(ref_store, unit)))
    rerun(
        page,
        lambda: choose(
            page, labelled(main, "stSelectbox", "Week"), f"{iso_week_label(week)} ({fmt.day(week, lang='en')})"
        ),
    )
    settle(page)
    ex = explain.explain(
        ref_store,
        f,
        Scope.leader(),
        unit=unit,
        week=week,
        metric="won_revenue",
        level="region",
        sensitivity=anomalies.DEFAULT_SENSITIVITY,
        by_segment=True,
    )
    seg = ex.decompositions["segment"]
    shown = metric_values(page)
    assert shown["Actual"] == fmt.money(seg.actual, lang="en", compact=True)
    assert shown["Expected"] == fmt.money(seg.expected, lang="en", compact=True)
    assert shown["Score (robust z)"] == fmt.number(ex.point["score"], lang="en", digits=1)
    # The plain-language explanation: one bullet per finding.
    bullets = main.locator("[data-testid=stMarkdownContainer] li").all_inner_texts()
    assert ex.summary and len(bullets) >= len(ex.summary), bullets
    assert seg.actual < seg.expected  # the planted collapse is a drop
    screenshot(page, "flow_anomaly_explained")
