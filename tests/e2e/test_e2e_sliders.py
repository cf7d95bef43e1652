"""The three sliders a leader moves to explore (the Incentive lab's base bonus, the Scorecard's
weight what-if and the anomaly sensitivity) in a real browser: moved five times quickly, the
settled page shows exactly the numbers of the last value, and the lab's results stay in view
beside the parameters.

Each test presses an arrow key five times without waiting (a newer move supersedes an older
one's work, see ui.incentives_data.yield_to_newer_run), waits until the app has settled, reads
the slider's final value from the browser and compares what the page shows (tiles, captions,
the first table row, the data an ECharts chart draws) with the analytics function the page
calls, run for that value on the untouched reference store and formatted as the page formats
it. Tiles computed first and parts computed last are both checked, so neither may belong to an
older value.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any

import pytest

from analytics import anomalies, incentives, lookups
from analytics.access import Scope
from analytics.filters import Filters
from analytics.incentives import plans, scorecard
from analytics.incentives.plans import GRADES
from tests.e2e.conftest import screenshot
from tests.e2e.harness import (
    ECHARTS_INSTANCE_JS,
    IDLE_JS,
    VIEWPORT,
    choose,
    find_page,
    goto,
    labelled,
    metric_values,
    rerun,
    runs,
    settle,
    sidebar,
    wait_idle,
)
from ui import format as fmt
from ui.i18n import t

pytestmark = pytest.mark.e2e

#: A complete quarter of the demo data with a planted anomaly.
QUARTER = "2025Q3"
FILTERS = Filters.for_quarter(QUARTER)
LEADER = Scope.leader(user="local")
#: Quick moves per test.
MOVES = 5

#: ``(sel) => [{name, data}]``: the series of the ECharts chart inside the element ``sel``, read
#: from the instance's option (the data it last painted).
ECHARTS_SERIES_JS = (
    """(sel) => {
  const instanceOf = """
    + ECHARTS_INSTANCE_JS
    + """;
  const host = document.querySelector(sel + ' [_echarts_instance_]');
  const inst = host && instanceOf(host);
  if (!inst) return null;
  return (inst.getOption().series || []).map((s) => ({name: s.name, data: s.data}));
}"""
)


def _open(server: Any, page: Any, name: str) -> None:
    if find_page(name) is None:
        pytest.fail(f"app.PAGES has no page '{name}'")
    goto(page, f"{server.url}/{name}?quarter={QUARTER}")


def move_quickly(page: Any, slider: Any, key: str, times: int = MOVES) -> float:
    """Press ``key`` ``times`` times on ``slider``'s thumb without waiting, then wait until the
    page has settled (no run pending or running, nothing stale, the DOM quiet); the final value."""
    thumb = slider.get_by_role("slider")
    thumb.focus()
    before = runs(page)
    for _ in range(times):
        thumb.press(key)
    wait_idle(page, min_runs=before + 1)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        n = runs(page)
        settle(page, quiet_ms=600)
        page.wait_for_function(IDLE_JS, polling=20)
        if runs(page) == n:
            break
    return float(thumb.input_value())


def series(page: Any, key: str) -> dict[str, Any]:
    """Series name -> data of the ECharts chart with widget key ``key``."""
    got = page.evaluate(ECHARTS_SERIES_JS, f".st-key-{key}")
    assert got is not None, f"no ECharts instance drawn for {key}"
    return {s["name"]: s["data"] for s in got}


def inside_viewport(locator: Any, height: int) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


# -- the Incentive lab ---------------------------------------------------------------------------
def lab_slider(page: Any, lang: str = "en") -> Any:
    return labelled(page, "stSlider", t("Base bonus, share of monthly salary", lang=lang))


def test_lab_settles_on_the_last_of_five_quick_moves(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "incentive_lab")
    slider = lab_slider(page)
    slider.wait_for()
    baseline = plans.load_choice(ref_store, next(iter(plans.plan_choices(ref_store))))
    start = float(slider.get_by_role("slider").input_value())
    value = move_quickly(page, slider, "ArrowRight")
    assert value == pytest.approx(start + MOVES * 0.5)  # every press counted (step 0.5 points)

    inputs = incentives.load_inputs(ref_store, FILTERS, LEADER)
    scenario = replace(baseline, base_bonus=replace(baseline.base_bonus, salary_share=value / 100.0))
    b = incentives.compute(inputs, baseline)
    s = incentives.compute(inputs, scenario)
    assert s.summary.total_cost != b.summary.total_cost
    risk = incentives.risk(inputs, scenario, draws=1000)
    want = {
        "Total cost": fmt.money(s.summary.total_cost, lang="en", compact=True),
        "Budget": fmt.money(s.summary.budget, lang="en", compact=True),
        "Cost of sales": fmt.percent(s.summary.cost_of_sales, lang="en", digits=2),
        "Reps at the base threshold": fmt.percent(s.summary.share_base, lang="en"),
        "P50 cost": fmt.money(risk.p50, lang="en", compact=True),
        "P90 cost": fmt.money(risk.p90, lang="en", compact=True),
        "Probability over budget": fmt.percent(risk.prob_over_budget, lang="en"),
    }
    shown = metric_values(page)
    assert {k: shown.get(k) for k in want} == want

    # The winners-and-losers count beside the tiles, from the full comparison.
    cmp = incentives.compare(b, s)
    gain, lose = int((cmp["delta"] > 0.005).sum()), int((cmp["delta"] < -0.005).sum())
    line = f"{fmt.count(gain, lang='en')} reps gain and {fmt.count(lose, lang='en')} lose under the scenario."
    assert page.get_by_test_id("stMain").get_by_text(line, exact=True).count() == 1

    # The cost chart draws the scenario's components (second bar of each stack) and budgets.
    drawn = series(page, "incentives_chart_cost")
    parts = {
        "Base bonuses": s.summary.base_cost,
        "Commission": s.summary.commission_cost,
        "Team pools": s.summary.team_cost,
        "Innovation pool": s.summary.innovation_cost,
        "Budget scaling": s.summary.scaling_cost,
        "Budget": s.summary.budget,
    }
    assert {k: drawn[k][1] for k in parts} == {k: round(v, 2) for k, v in parts.items()}
    assert drawn["Base bonuses"][0] == round(b.summary.base_cost, 2)

    # The payout trace, drawn last, shows the first rep's pay under the same scenario.
    first = s.per_rep.iloc[0]
    pay = fmt.money(first["total_pay"], lang="en")
    assert page.get_by_test_id("stMain").get_by_text(re.compile(rf"total pay {re.escape(pay)}\.$")).count() >= 1
    screenshot(page, "sliders_lab_settled", full=False)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lab_results_stay_beside_the_parameters(server: Any, page: Any, lang: str) -> None:
    _open(server, page, "incentive_lab")
    if lang == "zh":
        rerun(page, lambda: choose(page, labelled(sidebar(page), "stSelectbox", "Language / 语言"), "中文"))
        settle(page)
    slider = lab_slider(page, lang)
    slider.wait_for()
    move_quickly(page, slider, "ArrowLeft", times=1)
    height = VIEWPORT["height"]
    main = page.get_by_test_id("stMain")
    tiles = [
        main.get_by_test_id("stMetric").filter(has_text=t(label, lang=lang)).first
        for label in ("Total cost", "Budget", "Cost of sales", "Reps at the base threshold")
    ]
    chart = page.locator(".st-key-incentives_chart_cost")
    where = {"slider": slider, "chart": chart} | {f"tile {i}": x for i, x in enumerate(tiles)}
    assert {k: inside_viewport(x, height) for k, x in where.items()} == dict.fromkeys(where, True), {
        k: x.bounding_box() for k, x in where.items()
    }
    screenshot(page, f"sliders_lab_viewport_{lang}", full=False)


# -- the Scorecard's weight what-if --------------------------------------------------------------
def test_scorecard_what_if_settles_on_the_last_of_five_quick_moves(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "scorecard")
    slider = labelled(page, "stSlider", "New weight")
    slider.scroll_into_view_if_needed()
    start = float(slider.get_by_role("slider").input_value())
    value = move_quickly(page, slider, "ArrowRight")
    assert value == pytest.approx(start + MOVES * 0.05)
    plan = plans.load_choice(ref_store, next(iter(plans.plan_choices(ref_store))))
    new_plan = plans.with_metric_weight(plan, "renewal_rate", value)
    wi = scorecard.what_if(ref_store, FILTERS, LEADER, plan=plan, new_plan=new_plan)
    line = (
        f"{fmt.count(wi.changed_grades, lang='en')} of {fmt.count(wi.reps, lang='en')} reps change grade "
        f"when Renewal rate weighs {fmt.percent(value, lang='en', digits=0)}."
    )
    assert page.get_by_test_id("stMain").get_by_text(line, exact=True).count() == 1
    z = wi.matrix.reindex(index=list(GRADES), columns=list(GRADES)).fillna(0).to_numpy()
    want = [[j, i, int(z[i, j])] for i in range(len(GRADES)) for j in range(len(GRADES))]
    drawn = series(page, "scorecard_chart_migration")
    assert next(iter(drawn.values())) == want
    # the migration chart is beside the slider, both in view
    chart = page.locator(".st-key-scorecard_chart_migration")
    assert inside_viewport(slider, VIEWPORT["height"]) and inside_viewport(chart, VIEWPORT["height"])
    screenshot(page, "sliders_scorecard_settled", full=False)


# -- the anomaly sensitivity ---------------------------------------------------------------------
def test_anomaly_sensitivity_settles_on_the_last_of_five_quick_moves(server: Any, page: Any, ref_store: Any) -> None:
    _open(server, page, "anomalies")
    slider = labelled(page, "stSlider", "Sensitivity: robust z threshold (lower flags more)")
    slider.wait_for()
    thumb = slider.get_by_role("slider")
    rerun(page, lambda: (thumb.focus(), thumb.press("Home")))  # 2.0: flags the most
    settle(page)
    value = move_quickly(page, slider, "ArrowRight")
    assert value == pytest.approx(2.0 + MOVES * 0.25)
    res = anomalies.find_anomalies(
        ref_store, FILTERS, LEADER, metric="won_revenue", level="region", sensitivity=value, by_segment=True
    )
    at_min = anomalies.find_anomalies(
        ref_store, FILTERS, LEADER, metric="won_revenue", level="region", sensitivity=2.0, by_segment=True
    )
    assert len(at_min.anomalies) > len(res.anomalies)  # the moves changed what is flagged
    caption = (
        f"{fmt.count(res.scored_weeks, lang='en')} unit-weeks checked in the period; "
        f"{fmt.count(len(res.anomalies), lang='en')} outside their band."
    )
    main = page.get_by_test_id("stMain")
    assert main.get_by_text(caption, exact=True).count() == 1
    if len(res.anomalies):
        grid = main.get_by_test_id("stDataFrame").first
        grid.locator("[role=gridcell]").first.wait_for(state="attached")
        cells = [x.strip() for x in grid.locator("[role=columnheader], [role=gridcell]").all_text_contents()]
        header = cells[: cells.index("Top driver") + 1]
        first = dict(zip(header, cells[len(header) : 2 * len(header)], strict=True))
        top = res.anomalies.iloc[0]
        regions = lookups.regions(ref_store, lang="en").set_index("region_id")["label"]
        assert first["Region"] == regions[top["unit"]]
        assert first["Week"].startswith(f"{top['week_label']} (")
        assert first["Score (robust z)"] == fmt.number(top["score"], lang="en", digits=1)
    assert inside_viewport(slider, VIEWPORT["height"])
    assert inside_viewport(main.get_by_text(caption, exact=True), VIEWPORT["height"])
    screenshot(page, "sliders_anomalies_settled", full=False)
