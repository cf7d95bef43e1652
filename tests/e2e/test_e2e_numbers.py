"""The key numbers of every page in a real browser equal what the analytics functions return
for the same selection (the Overview's tiles are checked in test_e2e_pages.py, the lab's
slider and the anomaly drill-down in test_e2e_flows.py).

Each test opens a page in a fresh session at a fixed quarter, reads what the browser shows
(KPI tiles, captions, bullets, the cells of a table) and compares it with the analytics
function the page calls, run on the untouched reference copy of the store and formatted
the way the page formats it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from analytics import anomalies, audit, incentives, lookups, pilots
from analytics import talk_tracks as tt
from analytics.access import Scope
from analytics.attribution import touch as attribution_touch
from analytics.filters import Filters
from analytics.findings import render
from analytics.incentives import plans, scorecard
from analytics.talk_tracks import drivers
from tests.e2e.conftest import screenshot
from tests.e2e.harness import find_page, goto, labelled, metric_values, rerun, settle
from ui import format as fmt
from ui.i18n import t

pytestmark = pytest.mark.e2e

#: A complete quarter of the demo data with a planted anomaly and pilot quarters after it.
QUARTER = "2025Q3"
LEADER = Scope.leader(user="local")


def _open(server: Any, page: Any, name: str, query: str = f"?quarter={QUARTER}") -> None:
    if find_page(name) is None:
        pytest.fail(f"app.PAGES has no page '{name}'")
    goto(page, f"{server.url}/{name}{query}")


def grid_cells(page: Any, index: int = 0) -> list[str]:
    """Text of the header and body cells of the ``index``-th table (``st.dataframe``) on the
    page, row by row. The grid draws on a canvas; these are the cells of the hidden accessible
    table it keeps beside it, which holds the rows in view only."""
    grid = page.get_by_test_id("stDataFrame").nth(index)
    grid.locator("[role=gridcell]").first.wait_for(state="attached")  # the accessible table is hidden
    return [x.strip() for x in grid.locator("[role=columnheader], [role=gridcell]").all_text_contents()]


def test_scorecard_tiles(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "scorecard")
    plan = plans.load_choice(ref_store, next(iter(plans.plan_choices(ref_store))))
    res = scorecard.scorecard(ref_store, Filters.for_quarter(QUARTER), LEADER, plan=plan)
    counts = res.grade_counts.set_index("grade")["reps"]
    want = {
        "Reps scored": fmt.count(len(res.per_rep), lang="en"),
        "Graded A+": fmt.count(counts.get("A+", 0), lang="en"),
        "Promotion watch": fmt.count(len(res.promotion), lang="en"),
        "Improvement list": fmt.count(len(res.improvement), lang="en"),
    }
    assert len(res.per_rep) > 0 and len(res.improvement) > 0
    shown = metric_values(page)
    assert {k: shown.get(k) for k in want} == want


def test_incentive_lab_tiles(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "incentive_lab")
    inputs = incentives.load_inputs(ref_store, Filters.for_quarter(QUARTER), LEADER)
    baseline = plans.load_choice(ref_store, next(iter(plans.plan_choices(ref_store))))
    s = incentives.compute(inputs, baseline).summary
    want = {
        "Total cost": fmt.money(s.total_cost, lang="en", compact=True),
        "Budget": fmt.money(s.budget, lang="en", compact=True),
        "Cost of sales": fmt.percent(s.cost_of_sales, lang="en", digits=2),
        "Reps at the base threshold": fmt.percent(s.share_base, lang="en"),
    }
    shown = metric_values(page)
    assert {k: shown.get(k) for k in want} == want


def test_attribution_multi_touch_tiles(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "attribution")
    tab = page.get_by_test_id("stTab").filter(has_text="Multi-touch credit")
    assert tab.count() == 1, "the attribution page has no 'Multi-touch credit' tab"
    tab.click()  # tabs switch in the browser, without a script run
    weights = tuple(round(w, 2) for w in attribution_touch.DEFAULT_POSITION_WEIGHTS)
    res = attribution_touch.compare_models(
        ref_store,
        Filters.for_quarter(QUARTER),
        LEADER,
        value=attribution_touch.VALUES[0],
        half_life_days=float(int(attribution_touch.DEFAULT_HALF_LIFE_DAYS)),
        position_weights=weights,
    )
    want = {
        "Journeys": fmt.count(res.journeys, lang="en"),
        "Converted": fmt.count(res.conversions, lang="en"),
        "Revenue": fmt.money(res.revenue, lang="en", compact=True),
        "Channels": fmt.count(res.channels, lang="en"),
    }
    assert res.journeys > res.conversions > 0
    shown = metric_values(page)
    assert {k: shown.get(k) for k in want} == want


def test_talk_track_headlines(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "talk_tracks")
    res = tt.impact(ref_store, Filters.for_quarter(QUARTER), LEADER)
    assert res.message is None and res.findings
    names = lookups.display_names(ref_store, "talk_track", "en")

    def label(key: str, value: object) -> str:
        return names.get(str(value), str(value)) if key == "tag" else t(drivers.metric_label(str(value)))

    main = page.get_by_test_id("stMain")
    caption = f"that are closed (won or lost): {fmt.count(res.n_closed, lang='en')}."
    main.get_by_text(caption, exact=False).first.wait_for()
    bullets = [b.strip() for b in main.locator("[data-testid=stMarkdownContainer] li").all_inner_texts()]
    want = [render(fi, "en", labels=tt.finding_labels("en", label)) for fi in res.findings]
    assert bullets[: len(want)] == want
    screenshot(page, "numbers_talk_tracks")


def _show_pilot(value: float, kind: str) -> str:
    """views/pilots.py's formatting for the kinds its tiles use."""
    if kind == "p":
        return "<0.001" if value < 0.001 else fmt.number(value, lang="en", digits=3)
    if kind == "money":
        return fmt.money(value, lang="en", compact=True)
    if kind == "percent":
        return fmt.percent(value, lang="en")
    return fmt.number(value, lang="en")


def test_pilot_evaluation_tiles(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "pilots")
    teams, start = pilots.pilot_flags(ref_store)
    assert teams, "the demo store flags pilot teams"
    r = pilots.evaluate_pilot(
        ref_store,
        Filters.for_quarter(QUARTER),
        LEADER,
        teams=tuple(teams),
        start=start,
        metric="collaboration_score",
        method="auto",
        controls=(),
        same_type=False,
        n_matches=pilots.DEFAULT_MATCHES,
    )
    assert r.ok
    want = {
        "Effect": _show_pilot(r.effect, "number"),
        "95% interval": f"{_show_pilot(r.lo, 'number')} … {_show_pilot(r.hi, 'number')}",
        "p-value": _show_pilot(r.p_value, "p"),
        "Minimum detectable effect": _show_pilot(r.mde, "number"),
    }
    assert metric_values(page) == want


def test_health_audit_tiles(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "pilots")
    section = labelled(page.get_by_test_id("stMain"), "stRadio", "Section")
    rerun(page, section.get_by_text("Health audit", exact=True).click)
    settle(page)
    half = audit.audit_halves(ref_store)[-1]
    r = audit.health_audit(ref_store, Filters.for_quarter(QUARTER), LEADER, half=half, side_window="half")
    assert r.ok
    row = r.half_row()
    want = {
        "Incentive cost": fmt.money(row["incentive_cost"], lang="en", compact=True),
        "Cost of sales / revenue": fmt.percent(row["cost_of_sales_ratio"], lang="en"),
        "ROI": _show_pilot(row["roi"], "number"),
        "Reached base threshold": fmt.percent(row["share_threshold"], lang="en"),
        "NPS": _show_pilot(row["nps"], "number"),
    }
    assert metric_values(page) == want


def test_anomaly_list(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "anomalies")
    res = anomalies.find_anomalies(
        ref_store,
        Filters.for_quarter(QUARTER),
        LEADER,
        metric="won_revenue",
        level="region",
        sensitivity=anomalies.DEFAULT_SENSITIVITY,
        by_segment=True,
    )
    found = res.anomalies
    assert not found.empty, "the demo plants region-week drops in this quarter"
    caption = (
        f"{fmt.count(res.scored_weeks, lang='en')} unit-weeks checked in the period; "
        f"{fmt.count(len(found), lang='en')} outside their band."
    )
    page.get_by_test_id("stMain").get_by_text(caption, exact=True).wait_for()
    cells = grid_cells(page)
    header = cells[: cells.index("Top driver") + 1]
    first = dict(zip(header, cells[len(header) : 2 * len(header)], strict=True))
    regions = lookups.regions(ref_store, lang="en").set_index("region_id")["label"]
    top = found.iloc[0]
    assert first["Region"] == regions[top["unit"]]
    assert first["Week"].startswith(f"{top['week_label']} (")
    assert first["Actual"] == fmt.money(top["actual"], lang="en", compact=True)
    assert first["Expected"] == fmt.money(top["expected"], lang="en", compact=True)
    assert first["Score (robust z)"] == fmt.number(top["score"], lang="en", digits=1)


def test_data_page_table_counts(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "data", query="")
    cells = grid_cells(page)
    assert cells[:2] == ["Table", "Rows"]
    shown = dict(zip(cells[2::2], cells[3::2], strict=True))
    want = {name: fmt.count(n, lang="en") for name, n in ref_store.table_counts().items()}
    # the grid keeps only the rows in view in its accessible table: the first ones, in order
    assert len(shown) >= 8 and list(shown.items()) == list(want.items())[: len(shown)]
    assert re.fullmatch(r"[\d,]+", want["leads"]) and want["leads"] != "0"
