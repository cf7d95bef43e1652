"""The Attribution page (AppTest, English and Chinese) and the ``attribution`` CLI commands."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

import ui.i18n
from analytics import attribution as attr
from analytics import lookups
from analytics.access import Scope
from analytics.attribution import touch
from analytics.cli.common import main
from analytics.filters import Filters
from analytics.store import Store
from tests.apptest import open_page
from tests.attribution.test_attribution import add_org, hand_store
from ui import format as fmt

PAGE = "views/attribution.py"
QUARTER = "2025Q4"  # the default selection (the latest quarter): it survives widget reruns
LEADER = Scope.leader()


def open_attribution(db_path: Path, lang: str, monkeypatch: pytest.MonkeyPatch, **query: str):
    # The shared "Period" radio formats its options with t() at call time; AppTest calls that
    # format function outside the script run, where the language falls back to the default.
    # Making the default the test's language keeps the options and the value in one language.
    monkeypatch.setattr(ui.i18n, "DEFAULT_LANG", lang)
    return open_page(db_path, PAGE, lang=lang, query=query)


def table_by_label(at, label: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if label in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a column {label!r}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_shows_the_analytics_values(demo_db_path, demo_store, monkeypatch, lang):
    at = open_attribution(demo_db_path, lang, monkeypatch)
    assert not at.exception
    assert at.title[0].value == {"en": "Attribution", "zh": "归因分析"}[lang]
    f = Filters.for_quarter(QUARTER)
    names = lookups.display_names(demo_store, "source", lang)
    table = attr.source_table(demo_store, f, LEADER)
    shown = table_by_label(at, ui.i18n.t("Lead source", lang=lang)).set_index(ui.i18n.t("Lead source", lang=lang))
    ref = table[table["source"] == "referral"].iloc[0]
    label = names.get("referral", "referral")
    assert shown.loc[label, ui.i18n.t("Leads", lang=lang)] == fmt.count(ref["leads"], lang=lang)
    assert shown.loc[label, ui.i18n.t("Won", lang=lang)] == fmt.count(ref["won"], lang=lang)
    assert shown.loc[label, ui.i18n.t("Conversion rate", lang=lang)] == fmt.percent(ref["conversion_rate"], lang=lang)
    assert shown.loc[label, ui.i18n.t("Ratio to baseline", lang=lang)] == fmt.number(
        ref["ratio_to_baseline"], digits=1, lang=lang
    )
    assert shown.loc[label, ui.i18n.t("Median days to convert", lang=lang)] == fmt.count(
        ref["median_days_to_convert"], lang=lang
    )
    headline = at.markdown[0].value
    assert label in headline and fmt.number(ref["ratio_to_baseline"], digits=1, lang=lang) in headline
    # the multi-touch table (Markov by default) and the journey metrics
    comparison = touch.compare_models(demo_store, f, LEADER)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[ui.i18n.t("Journeys", lang=lang)] == fmt.count(comparison.journeys, lang=lang)
    assert metrics[ui.i18n.t("Converted", lang=lang)] == fmt.count(comparison.conversions, lang=lang)
    markov = comparison.credits[comparison.credits["model"] == "markov"].sort_values("share", ascending=False)
    shown = table_by_label(at, ui.i18n.t("Conversions credited", lang=lang))
    assert shown[ui.i18n.t("Share", lang=lang)].tolist() == [fmt.percent(v, lang=lang) for v in markov["share"]]


def test_page_widgets_recompute_the_tables(demo_db_path, demo_store, monkeypatch):
    at = open_attribution(demo_db_path, "en", monkeypatch)
    at.selectbox(key="attribution_model").select("shapley").run()
    at.radio(key="attribution_value").set_value("revenue").run()
    at.multiselect(key="attribution_split").select("segment").run()
    assert not at.exception
    f = Filters.for_quarter(QUARTER)
    comparison = touch.compare_models(demo_store, f, LEADER, value="revenue")
    shapley = comparison.credits[comparison.credits["model"] == "shapley"].sort_values("share", ascending=False)
    shown = table_by_label(at, "Revenue credited")
    assert shown["Share"].tolist() == [fmt.percent(v, lang="en") for v in shapley["share"]]
    table = attr.source_table(demo_store, f, LEADER, by=("source", "segment"))
    shown = table_by_label(at, "Lead source")
    assert "Segment" in shown.columns and len(shown) == len(table)
    assert shown["Leads"].tolist() == [fmt.count(v, lang="en") for v in table["leads"]]


def test_page_explains_empty_selections(tmp_path, monkeypatch):
    # leads in 2025Q3 only, no touchpoints; a deal in 2025Q2 makes that quarter selectable
    path = tmp_path / "small.duckdb"
    with Store(path) as store:
        add_org(store)
        store.execute(
            "INSERT INTO leads VALUES ('L1', DATE '2025-08-01', 'website', 'R1', 'smb', 'S1', 'open', NULL, NULL, NULL)"
        )
        store.execute("INSERT INTO deals VALUES ('D0', NULL, NULL, 'S1', DATE '2025-05-02', 10, NULL, 'renewal', 0)")
    at = open_attribution(path, "en", monkeypatch, quarter="2025Q2")
    assert not at.exception
    infos = " ".join(i.value for i in at.info)
    assert "No leads were created in this selection" in infos
    assert "No lead in this selection has touchpoints" in infos
    at = open_attribution(path, "zh", monkeypatch, quarter="2025Q3")
    assert not at.exception
    assert "无可归因" in " ".join(i.value for i in at.info)


# -- CLI ------------------------------------------------------------------------------------------


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["attribution", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_sources_csv_and_json(demo_db_path, demo_store, capsys):
    code, out, _ = run_cli(
        capsys, "sources", "--db", str(demo_db_path), "--to", "2025-06-30", "--by", "source,region", "--format", "csv"
    )
    assert code == 0
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["source", "region_id", *attr.SOURCE_COLUMNS]
    plain = demo_store.query(
        "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'won') AS w FROM leads"
        " WHERE created_at <= DATE '2025-06-30'"
    ).iloc[0]
    assert frame["leads"].sum() == plain["n"] and frame["won"].sum() == plain["w"]
    code, out, _ = run_cli(capsys, "sources", "--db", str(demo_db_path), "--quarter", "2025Q1", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and list(rows[0]) == ["source", *attr.SOURCE_COLUMNS]
    expected = attr.source_table(demo_store, Filters.for_quarter("2025Q1"), LEADER)
    assert [r["won"] for r in rows] == expected["won"].tolist()


def test_cli_touch(demo_db_path, demo_store, capsys):
    code, out, _ = run_cli(
        capsys,
        "touch",
        "--db",
        str(demo_db_path),
        "--quarter",
        "2025Q1",
        "--model",
        "markov",
        "--value",
        "revenue",
        "--bootstrap",
        "30",
        "--format",
        "json",
    )
    rows = json.loads(out)
    assert code == 0 and list(rows[0]) == list(touch.TOUCH_COLUMNS)
    expected = touch.touch_credit(
        demo_store, Filters.for_quarter("2025Q1"), LEADER, model="markov", value="revenue", bootstrap_reps=30
    )
    assert [r["channel"] for r in rows] == expected["channel"].tolist()
    assert [r["share"] for r in rows] == pytest.approx(expected["share"].tolist())
    assert sum(r["revenue_credit"] for r in rows) == pytest.approx(expected["revenue_credit"].sum())


def test_cli_empty_results_are_valid(demo_db_path, capsys):
    code, out, _ = run_cli(capsys, "sources", "--db", str(demo_db_path), "--region", "R99", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run_cli(
        capsys, "touch", "--db", str(demo_db_path), "--region", "R99", "--model", "shapley", "--format", "csv"
    )
    assert code == 0 and out.strip() == ",".join(touch.TOUCH_COLUMNS)


def test_cli_user_errors_exit_2(demo_db_path, capsys):
    code, _, err = run_cli(capsys, "sources", "--db", str(demo_db_path), "--by", "channel")
    assert code == 2 and "is not a dimension" in err
    code, _, err = run_cli(capsys, "sources", "--db", str(demo_db_path), "--baseline", "nope")
    assert code == 2 and "is not a lead source" in err
    code, _, err = run_cli(capsys, "touch", "--db", str(demo_db_path), "--model", "position", "--position", "0.9,0.9")
    assert code == 2 and "Position weights" in err
    code, _, err = run_cli(capsys, "sources", "--db", str(demo_db_path), "--from", "2025-13-01")
    assert code == 2 and "is not a date" in err


def test_hand_store_cli_matches_hand_numbers(tmp_path, capsys):
    path = tmp_path / "hand.duckdb"
    with Store(path) as store:
        hand_store(store)
    code, out, _ = run_cli(
        capsys, "sources", "--db", str(path), "--from", "2025-01-01", "--to", "2025-03-31", "--format", "json"
    )
    rows = {r["source"]: r for r in json.loads(out)}
    assert code == 0
    assert rows["referral"]["ratio_to_baseline"] == pytest.approx(3.0)
    assert (rows["website"]["leads"], rows["website"]["won"], rows["website"]["median_days_to_convert"]) == (8, 2, 10)
    assert rows["website"]["ratio_lo"] is None  # the baseline itself: JSON null


CJK = re.compile(r"[\u3400-\u9fff]")


def assert_chinese_header(out: str) -> list[str]:
    """Every word of the table's header line holds a Chinese character (no English header)."""
    header = out.splitlines()[0].split()
    assert header and all(CJK.search(word) for word in header), header
    return header


@pytest.mark.parametrize(
    "args, expected",
    [
        (["sources", "--quarter", "2025Q1"], {"来源", "转化率", "转化天数中位数", "相对基准倍数"}),
        (
            ["sources", "--quarter", "2025Q1", "--detail", "--by", "source,region,segment,team,quarter"],
            {"区域", "团队", "转化天数第75百分位", "Holm校正p值"},
        ),
        (["touch", "--quarter", "2025Q1", "--model", "markov", "--bootstrap", "10"], {"渠道", "归因份额"}),
    ],
    ids=["sources", "sources-detail", "touch"],
)
def test_cli_table_headers_are_chinese_with_lang_zh(demo_db_path, capsys, args, expected):
    code = main(["--lang", "zh", "attribution", *args, "--db", str(demo_db_path), "--format", "table"])
    out = capsys.readouterr().out
    assert code == 0
    header = assert_chinese_header(out)
    assert expected <= set(header)
    # csv keeps the stable English column names in any language
    code = main(["--lang", "zh", "attribution", *args, "--db", str(demo_db_path), "--format", "csv"])
    columns = capsys.readouterr().out.splitlines()[0].split(",")
    assert code == 0
    if args[0] == "touch":
        assert columns == list(touch.TOUCH_COLUMNS)
    else:
        assert columns[0] == "source" and set(attr.SOURCE_COLUMNS) <= set(columns)
