"""The ``anomalies`` and ``explain`` commands in Chinese: table headers and messages follow
``--lang zh``, csv and json keep their stable English names."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from analytics.cli.common import main
from analytics.store import Store

#: A CJK unified ideograph.
CJK = re.compile(r"[\u4e00-\u9fff]")
PERIOD = ("--from", "2024-07-01", "--to", "2025-06-30", "--sensitivity", "2.5")
ANOMALY_CSV = [
    "region",
    "week_start",
    "metric",
    "actual",
    "expected",
    "lower",
    "upper",
    "score",
    "top_driver",
    "week_label",
    "series",
    "direction",
    "money_at_stake",
    "top_driver_share",
]
TERM_CSV = ["dimension", "key", "term", "contribution", "share", "before", "after", "value_unit"]


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def header_tokens(table: str) -> list[str]:
    """The words of the header line of a ``--format table`` output."""
    return table.splitlines()[0].split()


def test_anomalies_table_headers_are_chinese(demo_db_path):
    code, out, _ = run_cli("--lang", "zh", "anomalies", "--db", str(demo_db_path), *PERIOD, "--format", "table")
    assert code == 0
    tokens = header_tokens(out)
    assert len(tokens) == len(ANOMALY_CSV)
    assert all(CJK.search(tok) for tok in tokens), tokens
    assert tokens[:4] == ["区域", "周起始日", "指标", "实际值"]


def test_anomalies_team_table_headers_are_chinese(demo_db_path):
    argv = ("--lang", "zh", "anomalies", "--db", str(demo_db_path), *PERIOD, "--level", "team", "--format", "table")
    code, out, _ = run_cli(*argv)
    assert code == 0
    assert header_tokens(out)[0] == "团队"
    assert all(CJK.search(tok) for tok in header_tokens(out))


def test_anomalies_csv_headers_stay_english_in_chinese(demo_db_path):
    code, out, _ = run_cli("--lang", "zh", "anomalies", "--db", str(demo_db_path), *PERIOD, "--format", "csv")
    assert code == 0
    assert list(pd.read_csv(io.StringIO(out)).columns) == ANOMALY_CSV


def test_anomalies_note_on_an_empty_store_is_chinese(tmp_path):
    path = tmp_path / "empty.duckdb"
    Store(path).close()
    code, out, err = run_cli("--lang", "zh", "anomalies", "--db", str(path), "--format", "csv")
    assert code == 0 and out.strip() == ",".join(ANOMALY_CSV)
    assert err.startswith("note: ") and CJK.search(err) and "No leads" not in err


def test_explain_table_is_chinese_and_csv_english(demo_db_path, planted):
    d = planted["drops"][0]
    where = ("--db", str(demo_db_path), "--region", d["region_id"], "--week", d["week_start"])
    code, out, _ = run_cli("--lang", "zh", "explain", *where, "--format", "table")
    assert code == 0
    summary, table = out.split("\n\n", 1)
    assert summary and all(CJK.search(line) for line in summary.splitlines())
    tokens = header_tokens(table)
    assert tokens == ["维度", "对象", "分解项", "贡献", "占变动的比例", "基线", "本周", "数值单位"]
    code, out, _ = run_cli("--lang", "zh", "explain", *where, "--format", "csv")
    assert code == 0
    terms = pd.read_csv(io.StringIO(out))
    assert list(terms.columns) == TERM_CSV
    assert set(terms["dimension"]) == {"segment", "source", "rep"}


def test_explain_json_keeps_english_keys_and_speaks_the_chosen_language(demo_db_path, planted):
    d = planted["drops"][0]
    where = ("--db", str(demo_db_path), "--region", d["region_id"], "--week", d["week_start"])
    code, out, _ = run_cli("--lang", "zh", "explain", *where)
    assert code == 0
    doc = json.loads(out)
    assert {"region", "week_start", "actual", "expected", "summary", "decomposition"} <= set(doc)
    assert all(CJK.search(s) for s in doc["summary"])
    code, out, _ = run_cli("explain", *where)
    assert all(not CJK.search(s) for s in json.loads(out)["summary"])


@pytest.mark.parametrize(
    ("week", "english"),
    [("2031-01-06", "outside the data"), ("2024-01-01", "too little history")],
)
def test_explain_errors_follow_the_language(demo_db_path, week, english):
    argv = ("explain", "--db", str(demo_db_path), "--region", "R01", "--week", week)
    code, _, err = run_cli(*argv)
    assert code == 2 and english in err
    code, _, err = run_cli("--lang", "zh", *argv)
    assert code == 2 and err.startswith("error: ") and CJK.search(err) and english not in err
