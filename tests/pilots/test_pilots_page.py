"""The Pilots & audit page under AppTest, in English and Chinese: values shown = analytics values."""

from __future__ import annotations

import pytest

from analytics import audit, pilots
from analytics.access import Scope
from analytics.filters import Filters
from tests.apptest import open_page
from ui import format as fmt

LABELS = {
    "en": {
        "title": "Pilots & audit",
        "effect": "Effect",
        "mde": "Minimum detectable effect",
        "cost": "Incentive cost",
        "roi": "ROI",
        "threshold": "Reached base threshold",
    },
    "zh": {
        "title": "试点与体检",
        "effect": "效应",
        "mde": "最小可检测效应",
        "cost": "激励成本",
        "roi": "ROI",
        "threshold": "达到基础门槛",
    },
}


@pytest.fixture
def lang_default(monkeypatch):
    """AppTest formats option labels outside the script run, where ui.i18n falls back to its
    default language; make that fallback the language under test so reruns work in Chinese."""

    def use(lang: str) -> None:
        monkeypatch.setattr("ui.i18n.DEFAULT_LANG", lang)

    return use


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _default_filters(store) -> Filters:
    from analytics import lookups

    return Filters.for_quarter(lookups.latest_complete_quarter(store))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pilot_section_shows_the_analytics_values(demo_db_path, demo_store, lang, lang_default):
    lang_default(lang)
    at = open_page(demo_db_path, "views/pilots.py", lang=lang)
    assert not at.exception
    assert at.title[0].value == LABELS[lang]["title"]
    teams, start = pilots.pilot_flags(demo_store)
    r = pilots.evaluate_pilot(
        demo_store,
        _default_filters(demo_store),
        Scope.leader(),
        teams=teams,
        start=start,
        metric="collaboration_score",
        method="auto",
        controls=(),
        same_type=False,
        n_matches=3,
    )
    m = _metrics(at)
    assert m[LABELS[lang]["effect"]] == fmt.number(r.effect, lang=lang)
    assert m[LABELS[lang]["mde"]] == fmt.number(r.mde, lang=lang)
    assert len(at.success) >= 1  # the effect finding is "good" on the demo pilot
    shown = at.dataframe[0].value
    assert len(shown) == 3  # one row per method


def test_pilot_form_changes_the_metric(demo_db_path, demo_store, lang_default):
    lang_default("en")
    at = open_page(demo_db_path, "views/pilots.py")
    at.selectbox(key="pilots_metric").set_value("conversion")
    at.button[0].click().run()
    assert not at.exception
    teams, start = pilots.pilot_flags(demo_store)
    r = pilots.evaluate_pilot(
        demo_store,
        _default_filters(demo_store),
        Scope.leader(),
        teams=teams,
        start=start,
        metric="conversion",
        method="auto",
        controls=(),
        same_type=False,
        n_matches=3,
    )
    assert _metrics(at)["Effect"] == fmt.percent(r.effect, lang="en")
    assert any("No detectable effect" in i.value for i in at.info)


def test_pilot_without_teams_is_a_message(demo_db_path, lang_default):
    lang_default("en")
    at = open_page(demo_db_path, "views/pilots.py")
    at.multiselect(key="pilots_teams").set_value([])
    at.button[0].click().run()
    assert not at.exception
    assert any("Choose at least one pilot team" in i.value for i in at.info)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_audit_section_shows_the_analytics_values(demo_db_path, demo_store, lang, lang_default):
    lang_default(lang)
    at = open_page(demo_db_path, "views/pilots.py", lang=lang)
    at.radio(key="pilots_section").set_value("audit").run()
    assert not at.exception
    r = audit.health_audit(demo_store, _default_filters(demo_store), Scope.leader(), half="2025H2", side_window="half")
    row = r.half_row()
    m = _metrics(at)
    assert m[LABELS[lang]["cost"]] == fmt.money(row["incentive_cost"], lang=lang, compact=True)
    assert m[LABELS[lang]["roi"]] == fmt.number(row["roi"], lang=lang)
    assert m[LABELS[lang]["threshold"]] == fmt.percent(row["share_threshold"], lang=lang)
    assert len(at.warning) >= 1  # the planted side effect is flagged
    assert len(at.get("plotly_chart")) == 6


def test_audit_section_shows_the_configured_currency(demo_db_path, demo_store, lang_default, monkeypatch):
    lang_default("en")
    monkeypatch.setenv("LAB_CURRENCY", "USD")
    at = open_page(demo_db_path, "views/pilots.py")
    at.radio(key="pilots_section").set_value("audit").run()
    assert not at.exception
    r = audit.health_audit(demo_store, _default_filters(demo_store), Scope.leader(), half="2025H2", side_window="half")
    cost = _metrics(at)["Incentive cost"]
    assert cost == fmt.money(r.half_row()["incentive_cost"], lang="en", compact=True) and cost.startswith("$")
    shown = [*_metrics(at).values(), *(b.value for b in (*at.info, *at.warning, *at.success))]
    shown += [str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()]
    assert not [s for s in shown if "¥" in s]
    assert any("$" in s for s in shown[5:])  # the findings and the period table too
