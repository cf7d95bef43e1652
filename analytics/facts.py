"""Shared relations, each defined once with its grain (the dbt "macro" of this codebase).

Every area that needs one of these uses it from here instead of writing its own SQL:

- :func:`quarter_label_sql`: the quarter label (``2025Q3``) of a date column.
- :func:`data_range` / :func:`data_end`: the span of the store's lead data.
- :func:`rep_quarter_won`: won amount and gross profit per rep, quarter and deal type.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from analytics.store import Store

_COLUMN_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


def _column(name: str) -> str:
    """Guard: only a plain (optionally qualified) column name reaches SQL text."""
    if not _COLUMN_RE.match(name):
        raise ValueError(f"'{name}' is not a plain column name.")
    return name


def quarter_label_sql(column: str) -> str:
    """SQL for the quarter label of a date or timestamp ``column``: ``'2025Q3'`` (VARCHAR).

    The label sorts chronologically as text and parses with :meth:`analytics.periods.Quarter.parse`.
    """
    col = _column(column)
    return f"(year({col})::VARCHAR || 'Q' || quarter({col})::VARCHAR)"


def data_range(store: Store) -> tuple[date, date]:
    """First and last day of the lead data: earliest creation, latest creation or close.

    Grain: one pair for the store. Today (twice) for a store without leads. The plain
    minima and maxima come from DuckDB's column statistics (no scan at 10M leads).
    """
    row = store.query("SELECT min(created_at) AS lo, greatest(max(closed_at), max(created_at)) AS hi FROM leads").iloc[
        0
    ]
    if pd.isna(row["lo"]):
        today = date.today()
        return today, today
    return pd.Timestamp(row["lo"]).date(), pd.Timestamp(row["hi"]).date()


def data_end(store: Store) -> date:
    """The last day of the lead data (latest creation or close); today when there are no leads."""
    return data_range(store)[1]


#: Columns of :func:`rep_quarter_won`.
REP_QUARTER_WON_COLUMNS = ("rep_id", "quarter", "deal_type", "won_amount", "gross_profit", "deals")


def rep_quarter_won(start: date, end: date) -> tuple[str, list[object]]:
    """The rep-quarter facts relation: deals signed from ``start`` to ``end`` (inclusive).

    Returns ``(sql, params)`` to use as a sub-query or CTE. Grain: one row per rep, quarter
    (label of ``signed_at``) and deal type. Columns: :data:`REP_QUARTER_WON_COLUMNS`
    (``won_amount`` and ``gross_profit`` DOUBLE sums in the store's currency, ``deals`` a count).
    """
    quarter = quarter_label_sql("signed_at")
    sql = (
        f"SELECT rep_id, {quarter} AS quarter, deal_type, sum(amount)::DOUBLE AS won_amount,"  # noqa: S608 - fixed names
        " coalesce(sum(gross_profit), 0)::DOUBLE AS gross_profit, count(*) AS deals"
        " FROM deals WHERE signed_at BETWEEN ? AND ? GROUP BY ALL"
    )
    return sql, [start, end]
