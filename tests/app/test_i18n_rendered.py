"""Every page, run in Chinese under AppTest, shows no English UI text.

tests/base/test_i18n_catalogue.py checks that every literal ``t("...")`` has a translation; this
test checks the screen itself, so it also catches text that never went through the
catalogue (a label built from data, a sentence from analytics/, a chart's axis title, a
plotly hover template). Each state below is run in Chinese and every visible text is
collected: titles, headers, markdown, captions, alerts, metric labels / values / help,
widget labels / options / help / placeholders, tab and expander labels, dataframe column
names and text cells, progress text and the charts' titles, axis and legend titles,
annotations, trace (series) names, mark labels, hover and text templates and category labels
(read from the Plotly figure's or ECharts option's JSON spec). Two checks:

1. No text is an English message id that has a different Chinese translation (it was shown
   without ``t()``).
2. No text holds an English word. Allowed are identifiers (anything with ``_``, a digit or
   a dot: ``region_id``, ``2025Q3``, ``S00012``), paths and file extensions, single letters
   (``p``, ``q``, ``z``, ``N``), the data values that have no translation (reps' names, read
   from the store), the terms in :data:`KEPT_TERMS`, each of which the Chinese UI keeps on
   purpose (method names, acronyms, file formats), and on the Data page the import
   contract's identifiers (table and column names, stored words such as ``renewal``), which
   users type in their files.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from analytics import users
from analytics.i18n import catalogue
from analytics.incentives.plans import METRICS
from analytics.ingest.rules import SPECS, VALUE_SYNONYMS
from analytics.store import Store
from tests.apptest import open_page
from tests.e2e.harness import app_pages

QUARTER = "2025Q3"

#: English words the Chinese UI keeps on purpose: names of methods and people behind them,
#: acronyms, file formats, encodings, the plotly hover marker and the language switch.
KEPT_TERMS = {
    # methods, tests and the people they are named after
    "AIPW", "Shapley", "Markov", "Holm", "Wilson", "Kaplan", "Meier", "Bonferroni", "bootstrap", "KS", "PSI",
    "RMSE", "AUC", "ROI", "NPS", "GMV", "CNY",
    # file formats, encodings and the mapping-file format
    "CSV", "TSV", "Excel", "xlsx", "Parquet", "UTF", "GBK", "GB", "TOML", "HTML", "MiB", "YYYY", "MM", "DD",
    # the language switch is bilingual by design ("Language / 语言", "English")
    "Language", "English",
    # plotly's hover-box marker
    "extra",
}  # fmt: skip


#: The import contract's identifiers: table and column names and stored vocabulary words.
CONTRACT_WORDS = {*SPECS, *(c.name for cols in SPECS.values() for c in cols)} | {
    w for vocabulary in VALUE_SYNONYMS.values() for w in vocabulary
}


def _page_files() -> list[str]:
    """The page files of app.py's ``PAGES``, in menu order."""
    return [p.path for p in app_pages()]


PAGE_FILES = _page_files()


# -- what is on the screen -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One text on the screen and where it was found (element kind and detail)."""

    where: str
    text: str


def _title(obj: Any) -> str | None:
    t = (obj or {}).get("title") if isinstance(obj, dict) else None
    if isinstance(t, dict):
        t = t.get("text")
    return t if isinstance(t, str) else None


def _strings(values: Any) -> Iterator[str]:
    if isinstance(values, str):
        yield values
    elif isinstance(values, list):
        for v in values:
            yield from _strings(v)


def chart_texts(spec: str) -> Iterator[tuple[str, str]]:
    """(part, text) for every text of a plotly figure's JSON spec that a reader can see."""
    fig = json.loads(spec)
    layout = fig.get("layout", {})
    yield "chart title", _title(layout) or ""
    yield "legend title", _title(layout.get("legend")) or ""
    for key, axis in layout.items():
        if isinstance(axis, dict) and key.startswith(("xaxis", "yaxis", "coloraxis")):
            yield f"{key} title", _title(axis) or _title(axis.get("colorbar")) or ""
            for tick in _strings(axis.get("ticktext")):
                yield f"{key} tick", tick
    for note in layout.get("annotations") or []:
        yield "annotation", note.get("text") or ""
    for shape in layout.get("shapes") or []:
        yield "shape label", (shape.get("label") or {}).get("text") or ""
        yield "shape name", shape.get("name") or ""
    for trace in fig.get("data", []):
        kind = trace.get("type", "scatter")
        for key in ("name", "hovertemplate", "texttemplate"):
            yield f"{kind} {key}", trace.get(key) or ""
        yield f"{kind} legend group", _title({"title": trace.get("legendgrouptitle")}) or ""
        yield (
            f"{kind} colorbar",
            _title((trace.get("marker") or {}).get("colorbar")) or _title(trace.get("colorbar")) or "",
        )
        for key in ("x", "y", "text", "labels", "hovertext", "customdata"):
            for text in _strings(trace.get(key)):  # binary-encoded numeric arrays are dicts: skipped
                yield f"{kind} {key}", text


def echarts_texts(spec: str) -> Iterator[tuple[str, str]]:
    """(part, text) for every text of an ECharts option's JSON that a reader can see: titles,
    axis names and category labels, legend entries, series names, mark labels, label and
    tooltip templates."""

    def many(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value] if isinstance(value, dict) else []

    option = json.loads(spec)
    for title in many(option.get("title")):
        yield "echarts title", title.get("text") or ""
        yield "echarts subtitle", title.get("subtext") or ""
    for key in ("xAxis", "yAxis"):
        for axis in many(option.get(key)):
            yield f"echarts {key} name", axis.get("name") or ""
            yield f"echarts {key} label", (axis.get("axisLabel") or {}).get("formatter") or ""
            for category in axis.get("data") or []:
                yield f"echarts {key} category", category if isinstance(category, str) else ""
    for legend in many(option.get("legend")):
        for entry in legend.get("data") or []:
            yield "echarts legend", entry if isinstance(entry, str) else ""
    for tooltip in many(option.get("tooltip")):
        yield "echarts tooltip", tooltip.get("formatter") or ""
    for series in many(option.get("series")):
        kind = series.get("type", "")
        yield f"echarts {kind} name", series.get("name") or ""
        yield f"echarts {kind} label", (series.get("label") or {}).get("formatter") or ""
        for mark in (series.get("markLine") or {}).get("data") or []:
            yield "echarts mark name", mark.get("name") or ""
            yield "echarts mark label", (mark.get("label") or {}).get("formatter") or ""


def shown_texts(at: AppTest) -> list[Shown]:
    """Every text the app shows in the sidebar and the main area."""
    out: list[Shown] = []

    def add(where: str, text: Any) -> None:
        if isinstance(text, str) and text.strip():
            out.append(Shown(where, text))

    for root in (at.sidebar, at.main):
        for node in root:
            kind = getattr(node, "type", "")
            if isinstance(node, Block):
                if kind in ("expander", "tab", "status"):
                    add(kind, node.label)
                continue
            proto = node.proto
            if kind in ("title", "header", "subheader", "markdown", "caption", "text", "latex"):
                add(kind, node.value)
            elif kind in ("error", "warning", "info", "success", "toast", "exception"):
                add(kind, node.value)
            elif kind == "metric":
                for part in ("label", "body", "delta", "help"):
                    add(f"metric {part}", getattr(proto, part))
            elif kind in ("dataframe", "table"):
                frame = node.value
                if isinstance(frame, pd.DataFrame):
                    for column in frame.columns:
                        add(f"{kind} column", str(column))
                    for column in frame.columns:
                        for cell in frame[column].head(200):
                            add(f"{kind} cell", cell)
            elif kind == "plotly_chart":
                for part, text in chart_texts(proto.spec):
                    add(part, text)
            elif kind == "echarts_chart":
                for part, text in echarts_texts(proto.spec):
                    add(part, text)
            elif kind == "progress":
                add("progress", proto.text)
            elif hasattr(proto, "label"):  # every widget, buttons included
                add(f"{kind} label", proto.label)
                for part in ("help", "placeholder"):
                    add(f"{kind} {part}", getattr(proto, part, ""))
                for option in getattr(proto, "options", []):
                    add(f"{kind} option", option if isinstance(option, str) else getattr(option, "content", ""))
    return out


# -- the two checks -----------------------------------------------------------------------------------------

#: Hover placeholders (Plotly's ``%{x}``, ECharts' ``{value}``), tags, bold marks, backticks, paths,
#: file suffixes, bracketed text, dotted field paths (``commission.tiers[2].from``) and quoted lower-case keys (``'from'``).
_MARKUP = re.compile(
    r"%\{[^}]*\}|\{@?[\w\[\]]*\}|<[^>]+>|\*\*|`|\S*/\S*"
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])+"
    r"|'[a-z_]+'"
    r"|\.[A-Za-z0-9]+\b|\[[^\]]*\]"
)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_./'’]*[A-Za-z0-9]|[A-Za-z]")


def english_words(text: str, allowed: set[str], named: set[str] = frozenset()) -> list[str]:
    """English words in ``text`` that are not identifiers, single letters or ``allowed``.

    An identifier in ``named`` (a stored value with a Chinese display name, a metric id)
    counts as English: the page should have shown its name.
    """
    words = []
    for token in _TOKEN.findall(_MARKUP.sub(" ", text)):
        if token in named and token not in allowed:
            words.append(token)
        elif len(token) == 1 or re.search(r"[_0-9./]", token) or token in allowed:
            continue
        else:
            words.append(token)
    return words


def _pieces(text: str) -> set[str]:
    """The text and its lines / hover lines / list items, as a message could fill each."""
    parts = {text}
    for piece in re.split(r"<br>|\n", text):
        parts.add(piece.strip().removeprefix("- ").strip("* "))
    return parts


def problems(texts: list[Shown], allowed: set[str], named: set[str] = frozenset()) -> list[str]:
    """Every text that is an untranslated message id or holds English words."""
    zh = catalogue("zh")
    out = []
    for s in dict.fromkeys(texts):
        ids = [p for p in _pieces(s.text) if p in zh and zh[p] != p]
        if ids:
            out.append(f"{s.where}: {s.text!r} is the message id {ids[0]!r} shown untranslated")
            continue
        words = english_words(s.text, allowed, named)
        if words:
            out.append(f"{s.where}: {s.text!r} has English words {words}")
    return out


# -- the states --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """A page (None: the default page) and widget steps.

    Each step is ``(widget kind, key, value)``; ``("button", label, None)`` clicks a button.
    """

    name: str
    page: str | None
    steps: tuple[tuple[str, str, Any], ...] = ()
    query: dict[str, str] = field(default_factory=lambda: {"quarter": QUARTER})


STATES = [
    State("overview and sidebar", None),
    *(State(Path(p).stem, p) for p in PAGE_FILES if p != "views/overview.py"),
    State("overview, date range", None, (("radio", "w_mode_zh", "range"),)),
    State("scorecard, another plan", "views/scorecard.py", (("selectbox", "scorecard_plan", "file:retention_focus"),)),
    State("incentive lab, shifted attainment", "views/incentive_lab.py", (("slider", "incentives_shift", -10),)),
    State(
        "incentive lab, invalid tiers", "views/incentive_lab.py", (("number_input", "incentives_p_tier1_from", 0.0),)
    ),
    State("attribution, revenue credit", "views/attribution.py", (("radio", "attribution_value", "revenue"),)),
    State(
        "attribution, bad position weights",
        "views/attribution.py",
        (("slider", "attribution_first_weight", 0.9), ("slider", "attribution_last_weight", 0.9)),
    ),
    State("talk tracks, top N", "views/talk_tracks.py", (("radio", "talk_tracks_top_mode", "top_n"),)),
    State("anomalies, one opened", "views/anomalies.py", (("slider", "anomalies_sensitivity", 2.0),)),
    State(
        "anomalies, teams and conversion",
        "views/anomalies.py",
        (("selectbox", "anomalies_metric", "conversion_rate"), ("radio", "anomalies_level", "team")),
    ),
    State("pilots, health audit", "views/pilots.py", (("radio", "pilots_section", "audit"),)),
]


@pytest.fixture(autouse=True)
def chinese_outside_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest calls widgets' format_func in the test thread, where ui.i18n falls back to its
    default language; make that Chinese so reruns keep Chinese option labels."""
    monkeypatch.setattr("ui.i18n.DEFAULT_LANG", "zh")


@pytest.fixture(scope="module")
def data_words(demo_store: Store) -> set[str]:
    """Words of data values that have no translation: the reps' names."""
    names = demo_store.query("SELECT rep_name FROM reps")["rep_name"]
    return {w for name in names for w in _TOKEN.findall(str(name))} | KEPT_TERMS


@pytest.fixture(scope="module")
def named(demo_store: Store) -> set[str]:
    """Identifiers that have a Chinese name, so must not be shown raw: stored values with a
    Chinese display name (regions, teams, segments, sources, talk tracks, channels) and metric ids."""
    values = demo_store.query("SELECT DISTINCT value FROM display_names WHERE lang = 'zh'")["value"]
    return {str(v) for v in values} | set(METRICS)


def act(at: AppTest, kind: str, key: str, value: Any) -> AppTest:
    """Set one widget (or click the button labelled ``key``) and rerun, keeping the quarter."""
    if kind == "button":
        next(b for b in at.button if b.label == key).click()
    else:
        getattr(at, kind)(key=key).set_value(value)
    at.session_state["f_quarter"] = QUARTER  # every state is read on the same quarter
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run_state(db_path: Path, state: State) -> AppTest:
    at = open_page(db_path, state.page, lang="zh", query=state.query)
    for step in state.steps:
        at = act(at, *step)
    return at


@pytest.mark.parametrize("state", STATES, ids=[s.name for s in STATES])
def test_no_english_reaches_the_screen(demo_db_path, data_words, named, state):
    at = run_state(demo_db_path, state)
    texts = shown_texts(at)
    assert len(texts) > 10, [s.text for s in texts]
    allowed = data_words | CONTRACT_WORDS if state.page == "views/data.py" else data_words
    found = problems(texts, allowed, named)
    assert not found, "\n".join(found)


def test_every_page_is_covered():
    assert {s.page or "views/overview.py" for s in STATES} == set(PAGE_FILES)


def test_the_scan_reads_both_kinds_of_chart(demo_db_path):
    """The scan sees every chart's texts: the Incentive lab's ECharts options (the five chart titles,
    the mark labels) and the Scorecard's Plotly figures; an unread chart kind would pass silently."""
    lab = shown_texts(run_state(demo_db_path, State("lab", "views/incentive_lab.py")))
    zh = catalogue("zh")
    titles = [s.text for s in lab if s.where == "echarts title"]
    english = ["Cost against budget", "Pay against attainment", "Attainment of the reps shown", "Grade migration"]
    assert titles == [zh[m] for m in [*english, "Simulated total cost"]], titles
    assert {s.text for s in lab if s.where == "echarts mark label"} >= {zh["Quota"], zh["Budget"]}
    card = shown_texts(run_state(demo_db_path, State("scorecard", "views/scorecard.py")))
    assert any(s.where == "chart title" and s.text for s in card)


# -- states that need their own store ------------------------------------------------------------------------


@pytest.fixture
def import_db(tmp_path: Path) -> Path:
    """A small store with one region, team and rep, for imports through the Data page."""
    path = tmp_path / "import.duckdb"
    with Store(path) as s:
        s.execute("INSERT INTO regions VALUES ('R1', 'East')")
        s.execute("INSERT INTO teams VALUES ('T1', 'Alpha', 'R1', 'field', false, NULL)")
        s.execute("INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2024-01-01', 9000, NULL)")
    return path


def upload_and_import(at: AppTest, name: str, text: str, table: str = "deals") -> AppTest:
    at.selectbox(key="data_table").set_value(table)
    at.run()
    at.file_uploader(key="data_files").set_value((name, text.encode("utf-8"), "text/csv"))
    at.run()
    at.button(key="data_import").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_data_page_shows_an_import_with_rejects_in_chinese(import_db):
    at = open_page(import_db, "views/data.py", lang="zh")
    at = upload_and_import(
        at,
        "成交.csv",
        "deal_id,rep_id,签约日期,amount,deal_type,colour\nD1,S1,2025-03-01,10,new,red\nD2,S9,2025-13-40,abc,gift,red\n"
        "D1,S1,2025-03-01,10,new,red\n",
    )
    texts = shown_texts(at)
    # the file's values, and the store's region, team and rep, which have no Chinese names
    found = problems(texts, KEPT_TERMS | CONTRACT_WORDS | {"colour", "abc", "gift", "red", "East", "Alpha", "Ann"})
    assert not found, "\n".join(found)
    rejects = next(df.value for df in at.dataframe if "原因" in df.value.columns)
    assert list(rejects.columns[:3]) == ["文件", "行号", "原因"]
    assert rejects["原因"].tolist() == [
        "signed_at（列“签约日期”） 的值“2025-13-40”不是日期（请写成 YYYY-MM-DD）；amount 的值“abc”不是金额（请写成 1234.50 "
        "这样的数字）；deal_type 的值“gift”不在可选值 new, renewal, upsell 之中",
        "重复的 deal_id 'D1'（首次出现在第 2 行）",
    ]
    assert "成交.csv：已忽略列 'colour'（不是 deals 的列）。" in [i.value for i in at.info]


def test_data_page_shows_a_refused_import_in_chinese(import_db):
    at = open_page(import_db, "views/data.py", lang="zh")
    at = upload_and_import(at, "deals.csv", "deal_id,rep_id\nD1,S1\n")
    assert [e.value for e in at.error] == [
        "未导入任何数据：deals.csv 缺少 deals 的必需列 signed_at, amount, deal_type（找到的表头：'deal_id', 'rep_id'）；"
        '请修改表头名称，或在映射文件中指定（[columns] signed_at = "你的表头"）。'
    ]
    found = problems(shown_texts(at), KEPT_TERMS | CONTRACT_WORDS)
    assert not found, "\n".join(found)


def test_every_page_of_an_empty_store_explains_itself_in_chinese(tmp_path):
    path = tmp_path / "empty.duckdb"
    Store(path).close()
    for page in PAGE_FILES:
        at = open_page(path, page if page != "views/overview.py" else None, lang="zh")
        allowed = KEPT_TERMS | CONTRACT_WORDS if page == "views/data.py" else KEPT_TERMS
        found = problems(shown_texts(at), allowed)
        assert not found, f"{page}:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def accounts_db(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store with an analyst account."""
    db = tmp_path_factory.mktemp("accounts") / "accounts.duckdb"
    shutil.copy(demo_db_path, db)
    with Store(db) as s:
        users.add_account(s, "ana", "analyst password", "analyst")
    return db


def test_sign_in_and_an_analysts_view_are_in_chinese(accounts_db, data_words, named):
    at = open_page(accounts_db, lang="zh", query={"quarter": QUARTER})
    found = problems(shown_texts(at), data_words, named=named)  # the sign-in form
    assert not found, "\n".join(found)
    at.text_input(key="auth_user").set_value("ana")
    at.text_input(key="auth_password").set_value("analyst password")
    at.button[0].click().run()
    at.switch_page("views/incentive_lab.py")
    at.session_state["f_quarter"] = QUARTER
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    found = problems(shown_texts(at), data_words | {"ana"}, named)  # the account name, in "signed in as"
    assert not found, "\n".join(found)


# -- the checks themselves ---------------------------------------------------------------------------------


def test_checks_flag_message_ids_and_english_words_but_not_data():
    texts = [
        Shown("title", "Overview"),  # a message id shown without t()
        Shown("caption", "区间（none）"),
        Shown("option", "Chen Fang (S00100)"),  # a rep's name and id: data
        Shown("caption", "列：region_id, amount_cny（docs/methods/x.md）"),  # identifiers and a path
        Shown("option", "organic_search"),  # an identifier that has a Chinese name
        Shown("hover", "%{x}<br>赢单率 %{y:.1%}<extra></extra>"),
    ]
    found = problems(texts, {"Chen", "Fang"} | KEPT_TERMS, named={"organic_search"})
    assert found == [
        "title: 'Overview' is the message id 'Overview' shown untranslated",
        "caption: '区间（none）' has English words ['none']",
        "option: 'organic_search' has English words ['organic_search']",
    ]


def test_chart_texts_read_titles_traces_and_hover_templates():
    spec = {
        "data": [{"type": "bar", "name": "Won", "x": ["a", "b"], "y": {"dtype": "f8", "bdata": "AA=="}}],
        "layout": {
            "title": {"text": "Title"},
            "xaxis": {"title": {"text": "X axis"}},
            "legend": {"title": {"text": "Legend"}},
            "annotations": [{"text": "Note"}],
        },
    }
    spec["data"][0]["hovertemplate"] = "%{x}: %{y}<extra></extra>"
    texts = {text for _part, text in chart_texts(json.dumps(spec)) if text}
    assert texts == {"Title", "X axis", "Legend", "Note", "Won", "%{x}: %{y}<extra></extra>", "a", "b"}
