"""Talk-track impact (all tags, AIPW) and key drivers vs the bare DuckDB aggregates and pandas versions.

The baselines compute only the raw per-tag conversion (what the adjusted analysis wraps),
so the ratio shows the price of the adjustment: cross-fitted models, bootstrap, diagnostics.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics import talk_tracks
from analytics.access import Scope
from analytics.filters import Filters
from analytics.store import Store
from analytics.talk_tracks import drivers
from bench.__main__ import Case

RAW_SQL = """
    WITH lt AS (
        SELECT l.lead_id, l.status = 'won' AS won,
               coalesce(list_distinct(flatten(list(c.talk_tracks))), []) AS tags
        FROM leads AS l LEFT JOIN calls AS c
          ON c.lead_id = l.lead_id AND CAST(c.called_at AS DATE) <= l.closed_at
        WHERE l.status <> 'open' AND l.created_at BETWEEN ? AND ?
        GROUP BY l.lead_id, l.status),
    tags AS (SELECT DISTINCT unnest(tags) AS tag FROM lt)
    SELECT tag,
           count(*) FILTER (WHERE list_contains(lt.tags, tag)) AS n_treated,
           avg(won::INT) FILTER (WHERE list_contains(lt.tags, tag)) AS rate_treated,
           count(*) FILTER (WHERE NOT list_contains(lt.tags, tag)) AS n_control,
           avg(won::INT) FILTER (WHERE NOT list_contains(lt.tags, tag)) AS rate_control
    FROM lt CROSS JOIN tags GROUP BY tag ORDER BY tag"""

ATTAINMENT_SQL = """
    SELECT t.rep_id, coalesce(sum(d.amount), 0)::DOUBLE / t.target_amount::DOUBLE AS attainment
    FROM targets AS t LEFT JOIN deals AS d ON d.rep_id = t.rep_id AND d.signed_at BETWEEN ? AND ?
    WHERE t.quarter = ? AND t.target_amount > 0 GROUP BY t.rep_id, t.target_amount"""


def cases(store: Store) -> list[Case]:
    """All tags over the whole data range, and the drivers of 2025Q3's top decile."""
    f = Filters(date(2024, 1, 1), date(2025, 12, 31))
    q3 = Filters.for_quarter("2025Q3")
    scope = Scope.leader()
    cache: dict[str, pd.DataFrame] = {}

    def pandas_raw() -> object:
        if "leads" not in cache:
            cache["leads"] = store.query("SELECT lead_id, status, created_at, closed_at FROM leads")
            cache["calls"] = store.query("SELECT lead_id, called_at, talk_tracks FROM calls")
        leads = cache["leads"]
        leads = leads[(leads["status"] != "open") & leads["created_at"].between(str(f.start), str(f.end))]
        calls = cache["calls"].merge(leads[["lead_id", "closed_at"]], on="lead_id")
        calls = calls[calls["called_at"].dt.normalize() <= calls["closed_at"]]
        used = calls[["lead_id", "talk_tracks"]].explode("talk_tracks").dropna().drop_duplicates()
        won = leads.set_index("lead_id")["status"].eq("won")
        out = {}
        for tag, g in used.groupby("talk_tracks"):
            treated = won.index.isin(g["lead_id"])
            out[tag] = (treated.sum(), won[treated].mean(), (~treated).sum(), won[~treated].mean())
        return out

    def pandas_attainment() -> object:
        if "deals" not in cache:
            cache["deals"] = store.query("SELECT rep_id, signed_at, amount::DOUBLE AS amount FROM deals")
            cache["targets"] = store.query("SELECT rep_id, quarter, target_amount::DOUBLE AS target FROM targets")
        d = cache["deals"]
        won = d[d["signed_at"].between(str(q3.start), str(q3.end))].groupby("rep_id")["amount"].sum()
        t = cache["targets"]
        t = t[(t["quarter"] == "2025Q3") & (t["target"] > 0)].set_index("rep_id")["target"]
        return (won.reindex(t.index).fillna(0) / t).sort_values(ascending=False)

    return [
        Case(
            "talk_tracks.impact (all tags, all leads)",
            lambda: talk_tracks.impact(store, f, scope),
            {"duckdb": lambda: store.query(RAW_SQL, [f.start, f.end]), "pandas": pandas_raw},
            repeats=3,
            target_s=30.0,
        ),
        Case(
            "talk_tracks.impact (one quarter)", lambda: talk_tracks.impact(store, q3, scope), repeats=3, target_s=10.0
        ),
        Case(
            "drivers.key_drivers (2025Q3, top decile)",
            lambda: drivers.key_drivers(store, q3, scope),
            {"duckdb": lambda: store.query(ATTAINMENT_SQL, [q3.start, q3.end, "2025Q3"]), "pandas": pandas_attainment},
            repeats=3,
            target_s=5.0,
        ),
    ]
