"""Quarter, half-year and week arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.periods import Quarter, iso_week_label, parse_half, quarters_between, week_start


@pytest.mark.parametrize("text", ["2025Q3", "2025q3", "2025-Q3", " 2025 Q3 "])
def test_quarter_parse_variants(text):
    assert Quarter.parse(text) == Quarter(2025, 3)


@pytest.mark.parametrize("text", ["2025Q5", "Q3 2025", "2025", "", "2025Q0"])
def test_quarter_parse_rejects_with_sentence(text):
    with pytest.raises(ValueError, match="write it like 2025Q3"):
        Quarter.parse(text)


def test_quarter_bounds_and_neighbours():
    q = Quarter(2024, 1)
    assert (q.start, q.end) == (date(2024, 1, 1), date(2024, 3, 31))
    assert q.prev() == Quarter(2023, 4) and q.next() == Quarter(2024, 2)
    assert Quarter(2025, 4).next() == Quarter(2026, 1)
    assert str(Quarter(2025, 3)) == "2025Q3"
    assert quarters_between(date(2024, 2, 1), date(2024, 7, 1)) == [
        Quarter(2024, 1),
        Quarter(2024, 2),
        Quarter(2024, 3),
    ]


def test_half_and_weeks():
    assert parse_half("2025H2") == (date(2025, 7, 1), date(2025, 12, 31))
    assert week_start(date(2025, 8, 10)) == date(2025, 8, 4)  # a Sunday -> its Monday
    assert iso_week_label(date(2025, 8, 4)) == "2025-W32"
    assert iso_week_label(date(2024, 12, 30)) == "2025-W01"
