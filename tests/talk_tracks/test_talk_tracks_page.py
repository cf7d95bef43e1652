"""The Talk tracks & drivers page under AppTest, in English and Chinese: values shown equal
the analytics results for the same filters, and thin selections give messages, not errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import ui.i18n
from analytics import lookups
from analytics import talk_tracks as tt
from analytics.access import Scope
from analytics.filters import Filters
from analytics.findings import render
from analytics.talk_tracks import drivers
from analytics.talk_tracks import effects as tt_effects
from tests.apptest import open_page
from ui import format as fmt

PAGE = "views/talk_tracks.py"
QUARTER = "2025Q2"
LEADER = Scope.leader()


def open_talk_tracks(db_path: Path, lang: str, monkeypatch: pytest.MonkeyPatch, **query: str):
    # AppTest calls widgets' format functions outside the script run, where t() falls back to
    # the default language; making it the test's language keeps options and values in one language.
    monkeypatch.setattr(ui.i18n, "DEFAULT_LANG", lang)
    return open_page(db_path, PAGE, lang=lang, query={"quarter": QUARTER, **query})


def table_with(at, column: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a column {column!r}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_shows_the_analytics_values(demo_db_path, demo_store, monkeypatch, lang):
    at = open_talk_tracks(demo_db_path, lang, monkeypatch)
    assert not at.exception
    assert at.title[0].value == {"en": "Talk tracks & drivers", "zh": "话术与驱动因素"}[lang]
    t = lambda s: ui.i18n.t(s, lang=lang)  # noqa: E731
    f = Filters.for_quarter(QUARTER)
    res = tt.impact(demo_store, f, LEADER)
    names = lookups.display_names(demo_store, "talk_track", lang)
    shown = table_with(at, t("Talk track")).set_index(t("Talk track"))
    for r in res.effects.itertuples():
        row = shown.loc[names.get(r.tag, r.tag)]
        assert row[t("Leads with it")] == fmt.count(r.n_treated, lang=lang)
        assert row[t("Leads without it")] == fmt.count(r.n_control, lang=lang)
        assert row[t("Raw lift")] == fmt.signed_percent(r.raw_lift, lang=lang)
        assert row[t("Adjusted lift")] == fmt.signed_percent(r.adj_lift, lang=lang)
    # the headlines are the analytics findings, translated and formatted
    headlines = next(m.value for m in at.markdown if m.value.startswith("- "))
    i = res.effects["tag"].tolist().index("product_scenario")
    label = lambda key, value: names.get(value, value) if key == "tag" else t(drivers.metric_label(value))  # noqa: E731
    assert render(res.findings[i], lang, labels=tt.finding_labels(lang, label)) in headlines
    assert fmt.signed_percent(res.effects.iloc[i]["raw_lift"], lang=lang) in headlines
    # drivers: the quarter's top decile, one row per metric
    d = drivers.key_drivers(demo_store, f, LEADER, quarter=QUARTER)
    metrics = table_with(at, t("Top performers better than the median")).set_index(t("Metric"))
    nd = d.effects.set_index("metric").loc["needs_discovery_score"]
    key = t("needs-discovery depth")
    assert metrics.loc[key[:1].upper() + key[1:], t("Top performers better than the median")] == (
        f"{fmt.count(nd['k_better'], lang=lang)} / {fmt.count(nd['n_top'], lang=lang)}"
    )
    assert any(
        t("What the top {n} have in common").format(n=fmt.count(d.n_top, lang=lang)) == h.value for h in at.subheader
    )
    # the rep profile of the first rep by rank
    first = d.reps.sort_values("rank").iloc[0]
    profile = drivers.rep_profile(demo_store, f, LEADER, rep_id=first["rep_id"], quarter=QUARTER)
    shown_profile = table_with(at, t("Position among reps"))
    assert shown_profile[t("Position among reps")].tolist() == [
        fmt.percent(v, digits=0, lang=lang) for v in profile["rep_percentile"]
    ]


def test_top_n_choice_reruns_the_drivers(demo_db_path, demo_store, monkeypatch):
    at = open_talk_tracks(demo_db_path, "en", monkeypatch)
    at.radio(key="talk_tracks_top_mode").set_value("top_n").run()
    at.number_input(key="talk_tracks_top_n").set_value(5).run()
    assert not at.exception
    assert any(h.value == "What the top 5 have in common" for h in at.subheader)


def test_thin_selection_gives_messages_not_errors(demo_db_path, monkeypatch):
    at = open_talk_tracks(demo_db_path, "en", monkeypatch, quarter="2024Q1", region="R12", segment="enterprise")
    assert not at.exception
    shown = table_with(at, "Talk track")
    assert set(shown["Reported"]) == {"no (see the note above)"}
    assert "is not reported: only" in next(m.value for m in at.markdown if m.value.startswith("- "))
    assert any("reps with a target in 2024Q1 are in the selection" in i.value for i in at.info)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_sampled_selection_says_so_and_shows_the_sample_figures(demo_db_path, demo_store, monkeypatch, lang):
    """Above the lead limit the page analyses a sample, says how large, and shows its numbers."""
    import streamlit as st

    f = Filters.for_quarter(QUARTER)
    n_closed = tt.closed_leads(demo_store, f, LEADER)
    monkeypatch.setattr(tt_effects, "MAX_LEADS", n_closed // 4)
    st.cache_data.clear()  # results cached under the normal limit must not answer this run
    try:
        at = open_talk_tracks(demo_db_path, lang, monkeypatch)
    finally:
        st.cache_data.clear()
    assert not at.exception
    res = tt.impact(demo_store, f, LEADER)  # the same sample
    assert res.sampled and res.n_closed == n_closed
    note = render(tt.sample_note(res), lang)
    assert note in [i.value for i in at.info]
    assert fmt.count(res.n_leads, lang=lang) in note and fmt.count(n_closed, lang=lang) in note
    t = lambda s: ui.i18n.t(s, lang=lang)  # noqa: E731
    names = lookups.display_names(demo_store, "talk_track", lang)
    shown = table_with(at, t("Talk track")).set_index(t("Talk track"))
    for r in res.effects.itertuples():
        assert shown.loc[names.get(r.tag, r.tag), t("Leads with it")] == fmt.count(r.n_treated, lang=lang)
