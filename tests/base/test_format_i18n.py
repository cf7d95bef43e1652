"""Locale formatting of money, percentages and dates, and the CLI's --lang output."""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics.cli.common import main
from ui import format as fmt


@pytest.mark.parametrize(
    ("value", "lang", "compact", "expected"),
    [
        (1234567.8, "en", False, "¥1,234,567.80"),
        (1234567.8, "zh", False, "¥1,234,567.80"),
        (1234567.8, "zh", True, "¥123.5万"),
        (234567890, "zh", True, "¥2.35亿"),
        (9999, "zh", True, "¥9,999"),
        (1234567.8, "en", True, "¥1.23M"),
        (-52000, "en", True, "-¥52.00K"),
        (float("nan"), "en", False, "—"),
    ],
)
def test_money(value, lang, compact, expected):
    assert fmt.money(value, lang=lang, compact=compact) == expected


def test_percent_count_and_dates():
    assert fmt.percent(0.1234, lang="en") == "12.3%"
    assert fmt.percent(0.1234, lang="zh") == "12.3%"
    assert fmt.signed_percent(-0.04, lang="en") == "-4.0%"
    assert fmt.signed_percent(0.125, lang="en") == "+12.5%"
    assert fmt.count(1234567, lang="en") == "1,234,567"
    assert fmt.day(date(2025, 8, 4), lang="en") == "Aug 4, 2025"
    assert fmt.day(date(2025, 8, 4), lang="zh") == "2025年8月4日"
    assert fmt.percent(None) == "—" and fmt.day(None) == "—"


def test_cli_lang_zh_translates_human_output_only(demo_db_path, capsys):
    assert main(["--lang", "zh", "overview", "--db", str(demo_db_path), "--quarter", "2025Q3"]) == 0
    human = capsys.readouterr().out
    assert "指标" in human and "线索数" in human and "转化率" in human
    assert main(["--lang", "zh", "overview", "--db", str(demo_db_path), "--quarter", "2025Q3", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) == {"metric", "value", "previous", "change"} and rows[0]["metric"] == "leads"
    assert main(["--lang", "zh", "overview", "--db", str(demo_db_path), "--quarter", "2025Q3", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("metric,value,previous,change")


def test_currency_is_configurable(monkeypatch):
    monkeypatch.setenv("LAB_CURRENCY", "usd")
    assert fmt.money(1234.5, lang="en") == "$1,234.50"
    assert fmt.money(1234567, lang="en", compact=True) == "$1.23M"
    assert fmt.money(15_560, lang="zh", compact=True) == "$1.6万"
    monkeypatch.setenv("LAB_CURRENCY", "not a code")
    assert fmt.money(1234.5, lang="zh") == "¥1,234.50"
