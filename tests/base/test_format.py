"""analytics/format.py against amounts written out by hand (never against itself)."""

from __future__ import annotations

import pytest

from analytics import findings
from analytics import format as fmt


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (1_236_000, "en", "¥1.24M"),  # rounded, not truncated (1.236 -> 1.24)
        (1_234_000, "en", "¥1.23M"),
        (15_560, "zh", "¥1.6万"),  # 1.556 -> 1.6
        (15_540, "zh", "¥1.6万"),
        (15_440, "zh", "¥1.5万"),
        (999_999, "en", "¥1.00M"),  # rounds up into the next unit
        (99_999_999, "zh", "¥1.00亿"),
        (9_999, "zh", "¥9,999"),  # below the first unit: whole amount
        (-2_504_000, "en", "-¥2.50M"),
        (1_005, "en", "¥1.00K"),
        (987.6, "en", "¥988"),
    ],
)
def test_compact_money_rounds_to_the_nearest_shown_digit(value, lang, expected, monkeypatch):
    monkeypatch.delenv("LAB_CURRENCY", raising=False)
    assert fmt.money(value, lang=lang, compact=True) == expected


def test_the_configured_currency_reaches_every_kind(monkeypatch):
    monkeypatch.setenv("LAB_CURRENCY", "USD")
    assert fmt.money(1234.5) == "$1,234.50"
    assert fmt.money(2_500_000, compact=True) == "$2.50M"
    assert fmt.money(25_000, compact=True, lang="zh") == "$2.5万"
    monkeypatch.setenv("LAB_CURRENCY", "EUR")
    assert fmt.money(10, lang="en") == "€10.00"
    finding = findings.Finding("Cost {cost_money}.", {"cost_money": 1_500_000})
    assert findings.render(finding, "en") == "Cost €1.50M."


def test_a_finding_formats_each_parameter_by_its_kind():
    f = findings.Finding(
        "{a_pct} {b_signed} {c_n} {d_num} {e_p} {label} {x}",
        {"a_pct": 0.1234, "b_signed": -0.05, "c_n": 12345, "d_num": 2.345, "e_p": 0.0312, "label": "web", "x": 0.5},
        kinds={"x": "percent"},
    )
    assert f.english() == "12.3% -5.0% 12,345 2.3 0.031 web 50.0%"
    assert findings.render(f, "en", labels=lambda name, v: f"<{v}>") == "12.3% -5.0% 12,345 2.3 0.031 <web> 50.0%"
    missing = findings.Finding("{a_pct} / {b_n}", {"a_pct": float("nan"), "b_n": None})
    assert missing.english() == "— / —"
