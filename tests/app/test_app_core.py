"""AppTest runs of the frame, the Overview and the Data pages on the demo store."""

from __future__ import annotations

import pytest

from analytics import overview
from analytics.access import Scope
from analytics.filters import Filters
from tests.apptest import open_page
from ui import format as fmt


def _metrics(at) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overview_shows_the_analytics_values(demo_db_path, demo_store, lang):
    at = open_page(demo_db_path, lang=lang, query={"quarter": "2025Q3", "region": "R01,R02"})
    k = overview.kpis(demo_store, Filters.for_quarter("2025Q3", region_ids=("R01", "R02")), Scope.leader())
    m = _metrics(at)
    title = {"en": "Overview", "zh": "概览"}[lang]
    assert at.title[0].value == title
    labels = {
        "en": ("Leads", "Conversion rate", "Won revenue", "Attainment"),
        "zh": ("线索数", "转化率", "成交金额", "目标达成率"),
    }[lang]
    assert m[labels[0]] == (fmt.count(k.current.leads, lang=lang), fmt.signed_percent(k.change("leads"), lang=lang))
    assert m[labels[1]][0] == fmt.percent(k.current.conversion_rate, lang=lang)
    assert m[labels[2]][0] == fmt.money(k.current.won_revenue, lang=lang, compact=True)
    assert m[labels[3]][0] == fmt.percent(k.current.attainment, lang=lang)


def test_url_state_is_restored_and_written_back(demo_db_path):
    at = open_page(demo_db_path, query={"quarter": "2024Q4", "region": "R03", "segment": "enterprise"})
    assert at.session_state["f_quarter"] == "2024Q4"
    assert at.session_state["f_regions"] == ["R03"]
    assert at.session_state["f_segments"] == ["enterprise"]
    assert at.query_params["quarter"] == ["2024Q4"] or at.query_params["quarter"] == "2024Q4"


def test_changing_the_quarter_changes_the_kpis(demo_db_path, demo_store):
    at = open_page(demo_db_path, query={"quarter": "2025Q3"})
    before = _metrics(at)["Leads"][0]
    at.sidebar.selectbox(key="w_quarter").set_value("2024Q3").run()
    after = _metrics(at)["Leads"][0]
    k = overview.kpis(demo_store, Filters.for_quarter("2024Q3"), Scope.leader())
    assert after == fmt.count(k.current.leads, lang="en") and after != before


def test_bad_url_values_are_ignored_not_fatal(demo_db_path):
    at = open_page(demo_db_path, query={"quarter": "1999Q9", "region": "' OR 1=1 --", "mode": "nonsense"})
    assert at.session_state["f_regions"] == []
    assert at.session_state["f_quarter"] == "2025Q4"


def test_data_page_lists_table_counts(demo_db_path, demo_store):
    at = open_page(demo_db_path, "views/data.py")
    assert at.title[0].value == "Data"
    shown = at.dataframe[0].value
    counts = demo_store.table_counts()
    assert dict(zip(shown["Table"], shown["Rows"], strict=True))["leads"] == fmt.count(counts["leads"], lang="en")
