"""Anomaly detection over every region and week vs the bare DuckDB aggregate and a pandas version."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from analytics import anomalies
from analytics.access import Scope
from analytics.anomalies import explain
from analytics.filters import Filters
from analytics.store import Store
from bench.__main__ import Case

#: The bare aggregates the detector's panel wraps (no views, no scope, no filters).
BARE = "SELECT region_id, segment, date_trunc('week', created_at) AS w, count(*) FROM leads GROUP BY ALL"
BARE_CLOSED = """SELECT region_id, segment, date_trunc('week', closed_at) AS w, count(*),
                        count(*) FILTER (WHERE status = 'won') FROM leads WHERE status <> 'open' GROUP BY ALL"""
BARE_SIGNED = """SELECT l.region_id, l.segment, date_trunc('week', d.signed_at) AS w, count(*), sum(d.amount)
                 FROM deals AS d LEFT JOIN leads AS l USING (lead_id) GROUP BY ALL"""


def cases(store: Store) -> list[Case]:
    """Detection over all regions and weeks (won revenue), its parts, and one explanation."""
    info = store.info()
    f = Filters(
        date.fromisoformat(info.get("data_start", "2024-01-01")), date.fromisoformat(info.get("data_end", "2025-12-31"))
    )
    scope = Scope.leader()
    cache: dict[str, object] = {}

    def bare() -> object:
        return [store.query(sql) for sql in (BARE, BARE_CLOSED, BARE_SIGNED)]

    def pandas_detect() -> object:
        """Load once; then weekly totals per region and a rolling 13-week mean +/- 3 SD band."""
        if "deals" not in cache:
            cache["deals"] = store.query(
                "SELECT d.signed_at, d.amount::DOUBLE AS amount, l.region_id FROM deals AS d"
                " LEFT JOIN leads AS l USING (lead_id)"
            )
        df = cache["deals"]
        w = pd.to_datetime(df["signed_at"]).dt.to_period("W-SUN").dt.start_time  # type: ignore[union-attr]
        weekly = df.assign(w=w).groupby(["region_id", "w"])["amount"].sum().unstack(0).fillna(0.0)
        mean = weekly.rolling(13, min_periods=6).mean().shift(1)
        sd = weekly.rolling(13, min_periods=6).std().shift(1)
        z = (weekly - mean) / sd.replace(0, np.nan)
        return z.abs() > 3

    def panel() -> pd.DataFrame:
        if "panel" not in cache:
            cache["panel"] = anomalies.weekly_panel(store, f, scope)
        return cache["panel"]  # type: ignore[return-value]

    drops = json.loads(info["planted"])["drops"] if "planted" in info else []
    region, week = (drops[0]["region_id"], date.fromisoformat(drops[0]["week_start"])) if drops else ("R01", f.end)
    return [
        Case(
            "anomalies.find_anomalies (all regions x weeks, won revenue)",
            lambda: anomalies.find_anomalies(store, f, scope),
            {"duckdb": bare, "pandas": pandas_detect},
            target_s=2.0,
        ),
        Case(
            "anomalies.weekly_panel (the SQL part)",
            lambda: anomalies.weekly_panel(store, f, scope),
            {"duckdb": bare},
            target_s=1.5,
        ),
        Case("anomalies.detect on a cached panel (the detector)", lambda: anomalies.detect(panel(), f), target_s=1.0),
        Case(
            "explain.explain (one region-week)",
            lambda: explain.explain(store, f, scope, unit=region, week=week),
            repeats=3,
            target_s=3.0,
        ),
    ]
