"""Small dimension lookups for filter widgets and labels (regions, teams, segments, quarters)."""

from __future__ import annotations

import pandas as pd

from analytics import facts
from analytics.periods import Quarter, quarters_between
from analytics.store import Store


def display_names(store: Store, kind: str, lang: str) -> dict[str, str]:
    """value -> display name in ``lang`` for one kind (region, team, segment, source, ...)."""
    df = store.query("SELECT value, display_name FROM display_names WHERE kind = ? AND lang = ?", [kind, lang])
    return dict(zip(df["value"], df["display_name"], strict=True))


def regions(store: Store, lang: str = "en") -> pd.DataFrame:
    """Columns ``region_id, label``; one row per region, ordered by id."""
    df = store.query("SELECT region_id, region_name FROM regions ORDER BY region_id")
    names = display_names(store, "region", lang)
    df["label"] = [names.get(r, n) for r, n in zip(df["region_id"], df["region_name"], strict=True)]
    return df[["region_id", "label"]]


def teams(store: Store, region_ids: tuple[str, ...] = (), lang: str = "en") -> pd.DataFrame:
    """Columns ``team_id, region_id, team_type, label``; teams of the given regions (all when empty)."""
    df = store.query(
        "SELECT team_id, region_id, team_type, team_name FROM teams"
        " WHERE len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], region_id) ORDER BY team_id",
        [list(region_ids), list(region_ids)],
    )
    names = display_names(store, "team", lang)
    df["label"] = [names.get(t, n) for t, n in zip(df["team_id"], df["team_name"], strict=True)]
    return df[["team_id", "region_id", "team_type", "label"]]


def segments(store: Store, lang: str = "en") -> pd.DataFrame:
    """Columns ``segment, label``; every segment seen on leads or accounts."""
    df = store.query(
        "SELECT DISTINCT segment FROM (SELECT segment FROM leads UNION SELECT segment FROM accounts)"
        " WHERE segment IS NOT NULL ORDER BY segment"
    )
    names = display_names(store, "segment", lang)
    df["label"] = [names.get(s, s) for s in df["segment"]]
    return df


def quarters(store: Store) -> list[str]:
    """Quarters covered by the store's leads and deals, oldest first (empty store: none)."""
    spans = [s for s in (facts.lead_span(store), facts.deal_span(store)) if s is not None]
    if not spans:
        return []
    lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    return [str(q) for q in quarters_between(lo, hi)]


def latest_complete_quarter(store: Store) -> str | None:
    """The last quarter of the data (the default selection)."""
    qs = quarters(store)
    return qs[-1] if qs else None


__all__ = ["Quarter", "display_names", "latest_complete_quarter", "quarters", "regions", "segments", "teams"]
