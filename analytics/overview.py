"""Overview KPIs and the weekly conversion curve against the target band.

Definitions (docs/glossary.md):

- *leads*: leads created in the period.
- *conversion rate*: won / closed among leads closed (won or lost) in the period, with a
  95% Wilson interval. Leads still open are not in the denominator.
- *won revenue*: amount of deals (new, renewal, upsell) signed in the period, CNY.
- *target*: the reps' quarterly targets, prorated by the share of each quarter's days
  inside the period; *attainment* = won revenue / target. With a segment filter the
  target cannot be split, so attainment is not reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.access import Scope
from analytics.filters import Filters, where
from analytics.periods import Quarter, quarters_between, week_start
from analytics.stats import safe_ratio, wilson
from analytics.store import Store

#: Attainment band drawn around the target pace (base threshold to accelerator start).
BAND_LOW = 0.8
BAND_HIGH = 1.2


@dataclass(frozen=True)
class PeriodKpis:
    """KPI values for one period."""

    leads: int
    closed: int
    won: int
    conversion_rate: float
    conversion_lo: float
    conversion_hi: float
    won_revenue: float
    target: float
    attainment: float


@dataclass(frozen=True)
class Kpis:
    """KPIs for the selected period and the previous period of the same length."""

    current: PeriodKpis
    previous: PeriodKpis
    previous_start: date
    previous_end: date

    def change(self, name: str) -> float:
        """Relative change of one KPI vs the previous period (NaN when undefined)."""
        cur, prev = getattr(self.current, name), getattr(self.previous, name)
        return float(safe_ratio(cur - prev, prev))

    def to_frame(self) -> pd.DataFrame:
        """One row per KPI: metric, value, previous, change (relative)."""
        rows = []
        for name, value in asdict(self.current).items():
            prev = getattr(self.previous, name)
            rows.append({"metric": name, "value": value, "previous": prev, "change": self.change(name)})
        return pd.DataFrame(rows)


def previous_period(filters: Filters) -> Filters:
    """The previous quarter when the period is a whole quarter, else the same-length window before."""
    q = Quarter.of(filters.start)
    if filters.start == q.start and filters.end == q.end:
        p = q.prev()
        return filters.shifted_to(p.start, p.end)
    length = (filters.end - filters.start).days + 1
    return filters.shifted_to(filters.start - timedelta(days=length), filters.start - timedelta(days=1))


def target_for(store: Store, filters: Filters, scope: Scope) -> float:
    """Sum of reps' targets prorated to the period (region/team filters apply; NaN with a segment filter)."""
    if filters.segments:
        return float("nan")
    total = 0.0
    for q in quarters_between(filters.start, filters.end):
        lo, hi = max(q.start, filters.start), min(q.end, filters.end)
        frac = ((hi - lo).days + 1) / ((q.end - q.start).days + 1)
        sql_where, params = where(filters, scope, "q_day", alias="r", dims=("region", "team"))
        value = store.scalar(
            f"""SELECT coalesce(sum(t.target_amount), 0)::DOUBLE
                FROM targets AS t JOIN (SELECT *, ?::DATE AS q_day FROM v_reps) AS r USING (rep_id)
                WHERE t.quarter = ? AND {sql_where}""",  # noqa: S608 - predicate built from fixed names
            [q.start, str(q), *params],
        )
        total += float(value) * frac
    return total


def period_kpis(store: Store, filters: Filters, scope: Scope) -> PeriodKpis:
    """KPIs for one period (see the module docstring for definitions)."""
    w_created, p_created = where(filters, scope, "created_at")
    w_closed, p_closed = where(filters, scope, "closed_at")
    w_signed, p_signed = where(filters, scope, "signed_at")
    leads, deals = filters.leads_relation(), filters.deals_relation()
    row = store.query(
        f"""SELECT
              (SELECT count(*) FROM {leads} WHERE {w_created}) AS leads,
              c.closed, c.won,
              (SELECT coalesce(sum(amount), 0)::DOUBLE FROM {deals} WHERE {w_signed}) AS won_revenue
            FROM (SELECT count(*) FILTER (WHERE status <> 'open') AS closed,
                         count(*) FILTER (WHERE status = 'won') AS won
                  FROM {leads} WHERE {w_closed}) AS c""",  # noqa: S608 - relations and predicates from fixed names
        [*p_created, *p_signed, *p_closed],  # in the order the placeholders appear
    ).iloc[0]
    closed, won = int(row["closed"]), int(row["won"])
    lo, hi = wilson(won, closed)
    target = target_for(store, filters, scope)
    revenue = float(row["won_revenue"])
    return PeriodKpis(
        leads=int(row["leads"]),
        closed=closed,
        won=won,
        conversion_rate=float(safe_ratio(won, closed)),
        conversion_lo=float(lo),
        conversion_hi=float(hi),
        won_revenue=revenue,
        target=target,
        attainment=float(safe_ratio(revenue, target)),
    )


def kpis(store: Store, filters: Filters, scope: Scope) -> Kpis:
    """KPI tiles for the period and its previous period."""
    prev = previous_period(filters)
    return Kpis(
        current=period_kpis(store, filters, scope),
        previous=period_kpis(store, prev, scope),
        previous_start=prev.start,
        previous_end=prev.end,
    )


def weekly_curve(store: Store, filters: Filters, scope: Scope) -> pd.DataFrame:
    """Weekly conversion and cumulative won revenue against the target pace band.

    Grain: one row per ISO week overlapping the period. Columns: ``week_start``, ``leads``
    (created), ``closed``, ``won``, ``conversion_rate``, ``conversion_lo``, ``conversion_hi``,
    ``won_revenue``, ``cum_won_revenue``, ``target_pace`` (target x share of the period's
    days elapsed at the week's end), ``band_lo`` / ``band_hi`` (0.8x / 1.2x the pace).
    """
    w_created, p_created = where(filters, scope, "created_at")
    w_closed, p_closed = where(filters, scope, "closed_at")
    w_signed, p_signed = where(filters, scope, "signed_at")
    df = store.query(
        f"""WITH created AS (
                SELECT date_trunc('week', created_at)::DATE AS week_start, count(*) AS leads
                FROM v_leads WHERE {w_created} GROUP BY 1),
            closed AS (
                SELECT date_trunc('week', closed_at)::DATE AS week_start, count(*) AS closed,
                       count(*) FILTER (WHERE status = 'won') AS won
                FROM v_leads WHERE status <> 'open' AND {w_closed} GROUP BY 1),
            signed AS (
                SELECT date_trunc('week', signed_at)::DATE AS week_start, sum(amount)::DOUBLE AS won_revenue
                FROM v_deals WHERE {w_signed} GROUP BY 1)
            SELECT * FROM created FULL JOIN closed USING (week_start) FULL JOIN signed USING (week_start)""",  # noqa: S608
        [*p_created, *p_closed, *p_signed],
    )
    weeks = pd.date_range(week_start(filters.start), filters.end, freq="7D").date
    frame = pd.DataFrame({"week_start": weeks})
    if len(df):
        df["week_start"] = pd.to_datetime(df["week_start"]).dt.date
        frame = frame.merge(df, on="week_start", how="left")
    else:
        frame = frame.assign(leads=0, closed=0, won=0, won_revenue=0.0)
    for col in ("leads", "closed", "won"):
        frame[col] = frame[col].fillna(0).astype(int)
    frame["won_revenue"] = frame["won_revenue"].fillna(0.0).astype(float)
    frame["conversion_rate"] = safe_ratio(frame["won"], frame["closed"])
    frame["conversion_lo"], frame["conversion_hi"] = wilson(frame["won"].to_numpy(), frame["closed"].to_numpy())
    frame["cum_won_revenue"] = frame["won_revenue"].cumsum()
    target = target_for(store, filters, scope)
    total_days = (filters.end - filters.start).days + 1
    elapsed = np.array([min(max((ws + timedelta(days=6) - filters.start).days + 1, 0), total_days) for ws in weeks])
    frame["target_pace"] = target * elapsed / total_days
    frame["band_lo"] = BAND_LOW * frame["target_pace"]
    frame["band_hi"] = BAND_HIGH * frame["target_pace"]
    return frame[
        [
            "week_start",
            "leads",
            "closed",
            "won",
            "conversion_rate",
            "conversion_lo",
            "conversion_hi",
            "won_revenue",
            "cum_won_revenue",
            "target_pace",
            "band_lo",
            "band_hi",
        ]
    ]
