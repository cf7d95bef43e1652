"""Two identities never share a cached result; the same identity twice gets the cached one."""

from __future__ import annotations

from analytics.access import Scope
from analytics.filters import Filters
from tests import cache_probe
from ui import data


def test_scoped_results_are_cached_per_identity(demo_db_path, monkeypatch):
    monkeypatch.setenv("LAB_DB", str(demo_db_path))
    data._cached_call.clear()
    cache_probe.CALLS.clear()
    f = Filters.for_quarter("2025Q3")
    east = Scope(role="manager", user="east", region_ids=("R01",))
    west = Scope(role="manager", user="west", region_ids=("R02",))
    a1 = data.run(cache_probe.kpis_probe, f, east)
    a2 = data.run(cache_probe.kpis_probe, f, east)
    b = data.run(cache_probe.kpis_probe, f, west)
    assert cache_probe.CALLS == [east, west]  # the second east call came from the cache
    assert a1 == a2
    assert a1.current.leads != b.current.leads  # same filters, different scopes, different results
    rep = Scope(role="rep", user="east", rep_id="S00001")  # same user name, other scope: not shared
    data.run(cache_probe.kpis_probe, f, rep)
    assert cache_probe.CALLS[-1] == rep
