"""The weekly panel the detector reads: one query per store, and the detector's long input.

``weekly_panel`` aggregates leads, closes and deals per unit, segment and week with bound
filter predicates; ``detector_input`` turns one metric of it into the rows
:class:`~analytics.anomalies.estimator.WeeklyAnomalyDetector` fits on.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.access import Scope
from analytics.anomalies.metrics import INPUT_COLUMNS, NO_SEGMENT, TOTAL, level_column, metric_spec
from analytics.filters import Filters, where
from analytics.store import Store

#: Columns of :func:`weekly_panel` that hold weekly aggregates.
PANEL_VALUES = ("leads", "closed", "won", "deals", "won_revenue", "won_revenue_sq", "won_revenue_cu", "new_revenue")
#: First day of the history a panel always includes (the baseline needs it).
_EARLIEST = date(1970, 1, 1)


def weekly_panel(store: Store, filters: Filters, scope: Scope, *, level: str = "region") -> pd.DataFrame:
    """Weekly aggregates per unit and segment, from the first data week to the filter's end.

    Grain: one row per (``unit``, ``segment``, ``week_start``) that has any activity. The
    history before ``filters.start`` is always included (the baseline needs it), so a week's
    result never depends on the chosen period. The segment filter restricts the rows; region
    and team selections do not (they choose what is *reported*, while the cross-sectional
    reference uses every unit the scope can see).

    Columns: ``unit`` (region_id or team_id), ``segment`` (NULL -> ``(none)``),
    ``week_start`` (Monday, ``datetime.date``), ``leads`` (created), ``closed``, ``won``
    (by close date), ``deals``, ``won_revenue``, ``won_revenue_sq`` / ``won_revenue_cu``
    (sums of squared / cubed amounts), ``new_revenue`` (deal_type ``new`` only), all by
    signed date.
    """
    col = level_column(level)
    history = filters.shifted_to(_EARLIEST, filters.end)
    w_created, p_created = where(history, scope, "created_at", dims=("segment",))
    w_closed, p_closed = where(history, scope, "closed_at", dims=("segment",))
    w_signed, p_signed = where(history, scope, "signed_at", dims=("segment",))
    seg = f"coalesce(segment, '{NO_SEGMENT}')"
    df = store.query(
        f"""WITH created AS (
                SELECT {col} AS unit, {seg} AS segment, date_trunc('week', created_at)::DATE AS week_start,
                       count(*) AS leads
                FROM v_leads WHERE {w_created} GROUP BY ALL),
            closed AS (
                SELECT {col} AS unit, {seg} AS segment, date_trunc('week', closed_at)::DATE AS week_start,
                       count(*) AS closed, count(*) FILTER (WHERE status = 'won') AS won
                FROM v_leads WHERE status <> 'open' AND {w_closed} GROUP BY ALL),
            signed AS (
                SELECT {col} AS unit, {seg} AS segment, date_trunc('week', signed_at)::DATE AS week_start,
                       count(*) AS deals, sum(amount)::DOUBLE AS won_revenue,
                       sum(amount::DOUBLE * amount::DOUBLE) AS won_revenue_sq,
                       sum(amount::DOUBLE * amount::DOUBLE * amount::DOUBLE) AS won_revenue_cu,
                       coalesce(sum(amount) FILTER (WHERE deal_type = 'new'), 0)::DOUBLE AS new_revenue
                FROM v_deals WHERE {w_signed} GROUP BY ALL)
            SELECT unit, segment, week_start,
                   coalesce(leads, 0) AS leads, coalesce(closed, 0) AS closed, coalesce(won, 0) AS won,
                   coalesce(deals, 0) AS deals, coalesce(won_revenue, 0)::DOUBLE AS won_revenue,
                   coalesce(won_revenue_sq, 0)::DOUBLE AS won_revenue_sq,
                   coalesce(won_revenue_cu, 0)::DOUBLE AS won_revenue_cu,
                   coalesce(new_revenue, 0)::DOUBLE AS new_revenue
            FROM created FULL JOIN closed USING (unit, segment, week_start)
                 FULL JOIN signed USING (unit, segment, week_start)
            WHERE unit IS NOT NULL
            ORDER BY unit, segment, week_start""",  # noqa: S608 - fixed column names and bound predicates
        [*p_created, *p_closed, *p_signed],
    )
    df["week_start"] = pd.to_datetime(df["week_start"]).dt.date
    for c in ("leads", "closed", "won", "deals"):
        df[c] = df[c].astype("int64")
    return df


def detector_input(panel: pd.DataFrame, metric: str, *, by_segment: bool = True) -> pd.DataFrame:
    """Long input of :class:`WeeklyAnomalyDetector` for one metric.

    Grain: one row per (``unit``, ``series``, ``week_start``); ``series`` is ``*`` for the
    unit's total and the segment otherwise (only when ``by_segment`` and the panel has more
    than one segment). Columns ``num``, ``den`` (1 for counts), ``sq``, ``cu`` (0 when the
    metric has no amounts).
    """
    spec = metric_spec(metric)
    base = panel[["unit", "segment", "week_start"]].copy()
    base["num"] = panel[spec.num].astype(float).to_numpy()
    base["den"] = panel[spec.den].astype(float).to_numpy() if spec.den else 1.0
    base["sq"] = panel[spec.sq].astype(float).to_numpy() if spec.sq else 0.0
    base["cu"] = panel[spec.cu].astype(float).to_numpy() if spec.cu else 0.0
    total = base.groupby(["unit", "week_start"], as_index=False)[list(INPUT_COLUMNS)].sum()
    total["series"] = TOTAL
    parts = [total]
    if by_segment and panel["segment"].nunique() > 1:
        parts.append(base.rename(columns={"segment": "series"}))
    out = pd.concat(parts, ignore_index=True)
    return out[["unit", "series", "week_start", *INPUT_COLUMNS]]
