"""Overview page analytics vs the bare DuckDB aggregate and a pandas version."""

from __future__ import annotations

from analytics import overview
from analytics.access import Scope
from analytics.filters import Filters
from analytics.store import Store
from bench.__main__ import Case


def cases(store: Store) -> list[Case]:
    """KPI tiles and the weekly curve for the last quarter."""
    f = Filters.for_quarter("2025Q3")
    scope = Scope.leader()
    bare = (
        "SELECT count(*) FILTER (WHERE created_at BETWEEN ? AND ?), count(*) FILTER (WHERE status <> 'open' "
        "AND closed_at BETWEEN ? AND ?) FROM leads"
    )
    leads_df = {}

    def pandas_kpis() -> object:
        if "df" not in leads_df:
            leads_df["df"] = store.query("SELECT created_at, closed_at, status FROM leads")
        df = leads_df["df"]
        created = df["created_at"].between(str(f.start), str(f.end)).sum()
        closed = df[(df["status"] != "open") & df["closed_at"].between(str(f.start), str(f.end))]
        return created, len(closed), (closed["status"] == "won").sum()

    return [
        Case(
            "overview.kpis (2 periods)",
            lambda: overview.kpis(store, f, scope),
            {"duckdb": lambda: store.query(bare, [f.start, f.end, f.start, f.end]), "pandas": pandas_kpis},
            target_s=2.0,
        ),
        Case("overview.weekly_curve", lambda: overview.weekly_curve(store, f, scope), target_s=2.0),
    ]
