"""A module-level analytics-like function that counts its calls (for the cache-isolation test)."""

from __future__ import annotations

from analytics import overview
from analytics.access import Scope
from analytics.filters import Filters
from analytics.store import Store

CALLS: list[Scope] = []


def kpis_probe(store: Store, filters: Filters, scope: Scope) -> overview.Kpis:
    """overview.kpis, recording each real (uncached) call."""
    CALLS.append(scope)
    return overview.kpis(store, filters, scope)
