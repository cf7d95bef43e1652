"""Quarters, half-years and ISO weeks: the calendar every analysis shares.

A quarter is written ``YYYYQn`` (``2025Q3``), a half-year ``YYYYHn`` (``2025H2``). Weeks
are ISO weeks starting on Monday; ``week_start`` is that Monday's date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-_ ]?[Qq]([1-4])\s*$")
_HALF_RE = re.compile(r"^\s*(\d{4})\s*[-_ ]?[Hh]([12])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter."""

    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse ``2025Q3`` (also ``2025-Q3``, ``2025 q3``); raise ValueError otherwise."""
        m = _QUARTER_RE.match(str(text))
        if not m:
            raise ValueError(f"'{text}' is not a quarter; write it like 2025Q3.")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter containing ``day``."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        """First day of the quarter."""
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter (inclusive)."""
        return self.next().start - timedelta(days=1)

    def next(self) -> Quarter:
        """The following quarter."""
        return Quarter(self.year + (self.q == 4), self.q % 4 + 1)

    def prev(self) -> Quarter:
        """The preceding quarter."""
        return Quarter(self.year - (self.q == 1), (self.q - 2) % 4 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


def quarters_between(first: date, last: date) -> list[Quarter]:
    """Every quarter that overlaps ``[first, last]``, in order."""
    out = []
    q = Quarter.of(first)
    while q.start <= last:
        out.append(q)
        q = q.next()
    return out


def parse_half(text: str) -> tuple[date, date]:
    """Parse ``2025H2`` into its first and last day; raise ValueError otherwise."""
    m = _HALF_RE.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a half-year; write it like 2025H2.")
    year, half = int(m.group(1)), int(m.group(2))
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))


def week_start(day: date) -> date:
    """Monday of the ISO week containing ``day``."""
    return day - timedelta(days=day.weekday())


def iso_week_label(day: date) -> str:
    """``2025-W32`` for any day in that ISO week."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def half_of(quarter: str) -> str:
    """The half-year of a quarter label: ``2025Q3`` -> ``2025H2``."""
    q = Quarter.parse(quarter)
    return f"{q.year}H{1 if q.q <= 2 else 2}"


def half_quarters(half: str) -> tuple[str, ...]:
    """The two quarters of a half-year (``2025H2`` -> 2025Q3, 2025Q4); ValueError when malformed."""
    start, end = parse_half(half)
    return tuple(str(q) for q in quarters_between(start, end))


def previous_half(half: str) -> str:
    """The half-year before ``half``: ``2025H2`` -> ``2025H1``; ``2025H1`` -> ``2024H2``."""
    start, _ = parse_half(half)
    return f"{start.year - 1}H2" if start.month == 1 else f"{start.year}H1"


def half_key(half: str) -> tuple[int, int]:
    """Sort key of a half-year label (``2025H2`` -> ``(2025, 2)``); ValueError when malformed."""
    start, _ = parse_half(half)
    return start.year, 1 if start.month == 1 else 2
