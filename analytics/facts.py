"""Shared relations, each defined once with its grain (the dbt "macro" of this codebase).

Every area that needs one of these uses it from here instead of writing its own SQL:

- :func:`quarter_label_sql`: the quarter label (``2025Q3``) of a date column.
- :func:`lead_span`, :func:`deal_span`, :func:`data_range`, :func:`data_end`: the span of the data.
- :func:`rep_quarter_won`: won amount and gross profit per rep, quarter and deal type.
- :func:`renewal_dues`: renewals that fell due, and whether each was renewed (one row per due).
- :func:`nps_responses`: NPS survey responses with the account's owning rep (one row per response).
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from analytics.access import Scope
from analytics.filters import Filters, where
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


def lead_span(store: Store) -> tuple[date, date] | None:
    """First and last day of the lead data (earliest creation; latest creation or close); None without leads.

    Grain: one pair for the store. The plain minima and maxima come from DuckDB's column
    statistics (no scan at 10M leads).
    """
    row = store.query("SELECT min(created_at) AS lo, greatest(max(closed_at), max(created_at)) AS hi FROM leads").iloc[
        0
    ]
    if pd.isna(row["lo"]):
        return None
    return pd.Timestamp(row["lo"]).date(), pd.Timestamp(row["hi"]).date()


def deal_span(store: Store) -> tuple[date, date] | None:
    """First and last day a deal was signed; None without deals."""
    row = store.query("SELECT min(signed_at) AS lo, max(signed_at) AS hi FROM deals").iloc[0]
    if pd.isna(row["lo"]):
        return None
    return pd.Timestamp(row["lo"]).date(), pd.Timestamp(row["hi"]).date()


def data_range(store: Store) -> tuple[date, date]:
    """:func:`lead_span`, or today twice for a store without leads (the default period of analyses)."""
    span = lead_span(store)
    if span is None:
        today = date.today()
        return today, today
    return span


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


#: A renewal signed this many days before its due date still counts ...
RENEWAL_EARLY_DAYS = 60
#: ... and this many days after it; dues whose grace period ends after the store's last
#: signed deal are not yet decided and are left out.
RENEWAL_GRACE_DAYS = 30
#: Days after a new or renewal deal at which the next renewal falls due.
RENEWAL_TERM_DAYS = 365


def renewal_dues(store: Store, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Renewals that fell due in the period, and whether each was renewed.

    Definition: every ``new`` or ``renewal`` deal on an account makes one renewal fall due
    ``RENEWAL_TERM_DAYS`` (365) days after it was signed; the due is *renewed* when a
    ``renewal`` deal on the same account is signed between ``RENEWAL_EARLY_DAYS`` (60)
    days before and ``RENEWAL_GRACE_DAYS`` (30) days after the due date. The due belongs
    to the rep who signed the deal that created it. Dues whose grace period ends after the
    store's last signed deal are still open and left out. Renewal rate = renewed / due.

    Grain: one row per renewal due. Columns: ``account_id``, ``rep_id``, ``team_id``,
    ``region_id``, ``segment``, ``due_date``, ``quarter`` (label of the due date, see
    :func:`quarter_label_sql`), ``renewed`` (bool). Filters apply to the due date, the rep's
    team and region, and the account's segment; the scope to the owning rep.
    """
    sql_where, params = where(filters, scope, "due_date", alias="due")
    return store.query(
        f"""WITH due AS (
                SELECT row_number() OVER () AS due_no, d.account_id, d.rep_id, d.team_id, d.region_id, d.segment,
                       (d.signed_at + CAST(? AS INTEGER))::DATE AS due_date
                FROM v_deals AS d
                WHERE d.deal_type IN ('new', 'renewal') AND d.account_id IS NOT NULL),
            renewals AS (SELECT account_id, signed_at FROM deals WHERE deal_type = 'renewal')
            SELECT due.account_id, due.rep_id, due.team_id, due.region_id, due.segment, due.due_date,
                   {quarter_label_sql("due.due_date")} AS quarter,
                   count(r.account_id) > 0 AS renewed
            FROM due LEFT JOIN renewals AS r
              ON r.account_id = due.account_id
             AND r.signed_at BETWEEN due.due_date - CAST(? AS INTEGER) AND due.due_date + CAST(? AS INTEGER)
            WHERE {sql_where}
              AND due.due_date + CAST(? AS INTEGER) <= (SELECT max(signed_at) FROM deals)
            GROUP BY due.due_no, due.account_id, due.rep_id, due.team_id, due.region_id, due.segment, due.due_date
            ORDER BY due.due_date, due.account_id""",  # noqa: S608 - predicate from fixed names + placeholders
        [RENEWAL_TERM_DAYS, RENEWAL_EARLY_DAYS, RENEWAL_GRACE_DAYS, *params, RENEWAL_GRACE_DAYS],
    )


def nps_responses(store: Store, filters: Filters, scope: Scope) -> pd.DataFrame:
    """NPS survey responses with the account's owning rep.

    The owner of an account is the rep of its first signed deal; responses of accounts
    with no deal cannot be attributed to a rep and are left out. Promoters score 9-10,
    detractors 0-6; NPS = 100 x (share of promoters - share of detractors).

    Grain: one row per response. Columns: ``account_id``, ``responded_at``, ``quarter``
    (label of ``responded_at``), ``score``, ``rep_id``, ``team_id``, ``region_id``,
    ``segment``, ``nps_value`` (+100 promoter, 0 passive, -100 detractor; its mean is the
    NPS). Filters apply to the response date, the rep's team and region and the account's
    segment; the scope to the owning rep.
    """
    sql_where, params = where(filters, scope, "responded_at", alias="x")
    return store.query(
        f"""WITH owner AS (
                SELECT account_id, arg_min(rep_id, signed_at) AS rep_id
                FROM deals WHERE account_id IS NOT NULL GROUP BY account_id)
            SELECT * FROM (
                SELECT n.account_id, n.responded_at, {quarter_label_sql("n.responded_at")} AS quarter, n.score,
                       o.rep_id, r.team_id, coalesce(a.region_id, r.region_id) AS region_id, a.segment,
                       CASE WHEN n.score >= 9 THEN 100 WHEN n.score <= 6 THEN -100 ELSE 0 END AS nps_value
                FROM nps AS n
                JOIN owner AS o USING (account_id)
                JOIN v_reps AS r ON r.rep_id = o.rep_id
                LEFT JOIN accounts AS a ON a.account_id = n.account_id) AS x
            WHERE {sql_where}
            ORDER BY responded_at, account_id""",  # noqa: S608 - predicate from fixed names + placeholders
        params,
    )
