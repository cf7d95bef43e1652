"""The Anomalies page under AppTest, in English and Chinese: the values shown are the analytics values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import ui.i18n
from analytics import anomalies as an
from analytics import lookups
from analytics.access import Scope
from analytics.anomalies import explain as ex
from analytics.anomalies import summary
from analytics.filters import Filters
from analytics.findings import Finding
from analytics.periods import Quarter
from analytics.store import Store
from tests.anomalies.test_explain import add_org, add_week
from tests.apptest import open_page
from ui import format as fmt

PAGE = "views/anomalies.py"
LEADER = Scope.leader()
SENSITIVITY = 2.0  # low enough that the demo store's planted quarter lists a few weeks


def t(msgid: str, lang: str, **params: object) -> str:
    return ui.i18n.t(msgid, lang=lang, **params)


def sentence(finding: Finding, lang: str, names: dict[str, dict[str, str]]) -> str:
    """The page's rendering of one finding, rebuilt from the analytics value."""
    words = {"metric": {"won_revenue": "won revenue"}, "term": {}}
    out: dict[str, object] = {}
    for k, v in finding.params.items():
        if k.endswith("_signed"):
            out[k] = fmt.signed_percent(v, lang=lang)
        elif k.endswith("_pct"):
            out[k] = fmt.percent(v, lang=lang)
        elif k.endswith("_money"):
            out[k] = fmt.money(v, compact=True, lang=lang)
        elif k.endswith("_n"):
            out[k] = fmt.count(v, lang=lang)
        elif k.endswith("_num"):
            out[k] = fmt.number(v, digits=1, lang=lang)
        elif k in ("unit", "segment", "tag"):
            out[k] = t("all segments", lang) if v == an.TOTAL else names[k].get(v, str(v).replace("_", " "))
        else:
            out[k] = t(words.get(k, {}).get(v, v), lang)
    return t(finding.template, lang, **out)


def rerun(at, quarter: str):
    """Run again on ``quarter`` (pinned in the sidebar's state, whatever the run before showed)."""
    at.session_state["f_quarter"] = quarter
    return at.run()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_shows_the_detection_and_explains_a_planted_drop(demo_db_path, demo_store, planted, monkeypatch, lang):
    monkeypatch.setattr(ui.i18n, "DEFAULT_LANG", lang)  # the shared Period radio formats outside the run
    drop = planted["drops"][0]
    week = date.fromisoformat(drop["week_start"])
    quarter = str(Quarter.of(week))
    at = open_page(demo_db_path, PAGE, lang=lang, query={"quarter": quarter})
    assert not at.exception
    assert at.title[0].value == t("Anomalies", lang)
    at.slider(key="anomalies_sensitivity").set_value(SENSITIVITY)
    at = rerun(at, quarter)
    assert not at.exception
    f = Filters.for_quarter(quarter)
    d = an.find_anomalies(demo_store, f, LEADER, sensitivity=SENSITIVITY)
    counts = t(
        "{checked} unit-weeks checked in the period; {flagged} outside their band.",
        lang,
        checked=fmt.count(d.scored_weeks, lang=lang),
        flagged=fmt.count(len(d.anomalies), lang=lang),
    )
    assert counts in [c.value for c in at.caption]
    reg = lookups.regions(demo_store, lang)
    regions = dict(zip(reg["region_id"], reg["label"], strict=True))
    assert len(d.anomalies) > 0
    table = at.dataframe[0].value
    assert table[t("Region", lang)].tolist() == [regions[u] for u in d.anomalies["unit"]]
    assert table[t("Actual", lang)].tolist() == [fmt.money(v, compact=True, lang=lang) for v in d.anomalies["actual"]]
    assert table[t("Score (robust z)", lang)].tolist() == [
        fmt.number(v, digits=1, lang=lang) for v in d.anomalies["score"]
    ]
    # drill down into the planted region-week
    at.selectbox(key="anomalies_unit").set_value(drop["region_id"])
    at = rerun(at, quarter)
    at.selectbox(key="anomalies_week").set_value(week)
    at = rerun(at, quarter)
    assert not at.exception
    e = ex.explain(demo_store, f, LEADER, unit=drop["region_id"], week=week, sensitivity=SENSITIVITY)
    names = {
        "unit": regions,
        "segment": lookups.display_names(demo_store, "segment", lang),
        "tag": lookups.display_names(demo_store, "talk_track", lang),
    }
    shown = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert shown == ["- " + sentence(x, lang, names) for x in e.summary]
    metrics = {m.label: m.value for m in at.metric}
    seg = e.decompositions["segment"]
    assert metrics[t("Actual", lang)] == fmt.money(seg.actual, compact=True, lang=lang)
    assert metrics[t("Expected", lang)] == fmt.money(seg.expected, compact=True, lang=lang)
    by_segment = next(df.value for df in at.dataframe if t("Term", lang) in df.value.columns)
    assert len(by_segment) == len(seg.terms)
    assert by_segment[t("Before", lang)].iloc[0] != ""


def test_switching_metric_and_level_recomputes(demo_db_path, demo_store):
    at = open_page(demo_db_path, PAGE, query={"quarter": "2025Q2"})
    at.selectbox(key="anomalies_metric").set_value("conversion_rate")
    at.radio(key="anomalies_level").set_value("team")
    at = rerun(at, "2025Q2")
    assert not at.exception
    d = an.find_anomalies(demo_store, Filters.for_quarter("2025Q2"), LEADER, metric="conversion_rate", level="team")
    counts = t(
        "{checked} unit-weeks checked in the period; {flagged} outside their band.",
        "en",
        checked=fmt.count(d.scored_weeks, lang="en"),
        flagged=fmt.count(len(d.anomalies), lang="en"),
    )
    assert counts in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_store_too_short_for_a_baseline_shows_a_message(tmp_path: Path, monkeypatch, lang):
    monkeypatch.setattr(ui.i18n, "DEFAULT_LANG", lang)
    path = tmp_path / "short.duckdb"
    with Store(path) as s:
        add_org(s)
        for monday in (date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 17)):
            for region in ("R1", "R2"):
                add_week(s, region, monday, "smb", 10, 2, 50.0)
    at = open_page(path, PAGE, lang=lang)
    assert not at.exception
    infos = [i.value for i in at.info]
    assert (
        t(
            "The history is too short for a baseline: each point needs at least {n} earlier weeks with activity. "
            "Choose a later period.",
            lang,
            n=6,
        )
        in infos
    )
    assert t("No week in the period has enough history for a baseline yet.", lang) in infos


def test_every_analytics_sentence_has_a_chinese_translation_with_the_same_placeholders():
    """The page translates the templates analytics returns (Finding, Note, ExplainError)."""
    import re

    from tests.conftest import ROOT

    templates = [
        *summary._HEADLINE.values(),
        *summary._DRIVER.values(),
        *summary._VOLUME_DRIVER.values(),
        *summary._LARGEST.values(),
        *summary._LARGEST_VOLUME.values(),
        *summary._BEHAVIOUR.values(),
    ]
    for path in sorted((ROOT / "analytics" / "anomalies").glob("*.py")):
        src = path.read_text("utf-8")
        for m in re.finditer(r'(?:Note|Finding|ExplainError)\(\s*((?:"[^"]*"\s*)+)', src):
            templates.append("".join(re.findall(r'"([^"]*)"', m.group(1))))
    assert len(templates) > 30
    zh = ui.i18n.catalogue("zh")
    placeholder = re.compile(r"{(\w+)}")
    for template in templates:
        assert template in zh, template
        assert set(placeholder.findall(template)) == set(placeholder.findall(zh[template])), template
