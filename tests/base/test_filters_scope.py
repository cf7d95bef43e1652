"""Filters and access scopes become SQL predicates with bound parameters only."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.access import Scope
from analytics.filters import Filters, where

INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE deals; --', "R1’ OR ‘1’=‘1", "R1') OR ('1'='1", "%", "*"]


@pytest.fixture
def tiny(empty_store):
    s = empty_store
    s.execute("INSERT INTO regions VALUES ('R1', 'East'), ('R2', 'West')")
    s.execute(
        "INSERT INTO teams VALUES ('T1', 'East A', 'R1', 'field', false, NULL),"
        " ('T2', 'West A', 'R2', 'field', false, NULL)"
    )
    s.execute(
        "INSERT INTO reps VALUES ('S1', 'Ann', 'T1', 'field', '2020-01-01', 10000, NULL),"
        " ('S2', 'Bo', 'T2', 'field', '2020-01-01', 10000, NULL)"
    )
    s.execute(
        "INSERT INTO leads VALUES"
        " ('L1', '2025-07-02', 'website', 'R1', 'smb', 'S1', 'won', '2025-07-20', NULL, NULL),"
        " ('L2', '2025-07-03', 'website', 'R2', 'smb', 'S2', 'lost', '2025-07-21', NULL, NULL),"
        " ('L3', '2025-04-03', 'referral', 'R2', 'enterprise', 'S2', 'open', NULL, NULL, NULL)"
    )
    return s


def _ids(store, filters, scope):
    sql, params = where(filters, scope, "created_at")
    return sorted(store.query(f"SELECT lead_id FROM v_leads WHERE {sql}", params)["lead_id"])


def test_date_and_dimension_filters(tiny):
    q3 = Filters.for_quarter("2025Q3")
    assert _ids(tiny, q3, Scope.leader()) == ["L1", "L2"]
    assert _ids(tiny, Filters.for_quarter("2025Q3", region_ids=("R2",)), Scope.leader()) == ["L2"]
    assert _ids(tiny, Filters(date(2025, 1, 1), date(2025, 12, 31), segments=("enterprise",)), Scope.leader()) == ["L3"]
    assert _ids(tiny, Filters.for_quarter("2025Q3", team_ids=("T1",)), Scope.leader()) == ["L1"]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope.leader(), ["L1", "L2", "L3"]),
        (Scope(role="analyst"), ["L1", "L2", "L3"]),
        (Scope(role="manager", region_ids=("R1",)), ["L1"]),
        (Scope(role="manager", team_ids=("T2",)), ["L2", "L3"]),
        (Scope(role="rep", rep_id="S2"), ["L2", "L3"]),
        (Scope(role="rep"), []),
        (Scope(role="manager"), []),
        (Scope(role="stranger"), []),
    ],
)
def test_scopes_restrict_rows(tiny, scope, expected):
    assert _ids(tiny, Filters(date(2025, 1, 1), date(2025, 12, 31)), scope) == expected


@pytest.mark.parametrize("bad", INJECTIONS)
def test_injection_strings_in_filters_return_no_rows_and_change_nothing(tiny, bad):
    f = Filters(date(2025, 1, 1), date(2025, 12, 31), region_ids=(bad,), team_ids=(), segments=())
    assert _ids(tiny, f, Scope.leader()) == []
    f = Filters(date(2025, 1, 1), date(2025, 12, 31), segments=(bad,))
    assert _ids(tiny, f, Scope(role="manager", region_ids=(bad,))) == []
    assert _ids(tiny, Filters(date(2025, 1, 1), date(2025, 12, 31)), Scope(role="rep", rep_id=bad)) == []
    assert tiny.scalar("SELECT count(*) FROM leads") == 3


def test_reversed_dates_are_a_sentence():
    with pytest.raises(ValueError, match="after the end date"):
        Filters(date(2025, 2, 1), date(2025, 1, 1))


def test_column_names_are_checked():
    with pytest.raises(ValueError):
        Filters.for_quarter("2025Q3").clause("created_at; DROP TABLE leads")
    with pytest.raises(ValueError):
        Scope(role="manager").clause("rep_id OR 1=1")


def test_scopes_are_hashable_and_distinct():
    a = Scope(role="manager", region_ids=("R1",))
    b = Scope(role="manager", region_ids=("R2",))
    assert hash(a) != hash(b) or a != b
    assert len({a, b, Scope(role="manager", region_ids=("R1",))}) == 2
