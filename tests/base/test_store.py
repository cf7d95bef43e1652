"""Store lifecycle and forward migrations."""

from __future__ import annotations

import duckdb
import pytest

from analytics import store as store_mod
from analytics.store import Store, StoreError, latest_version, migrations


def test_new_store_is_migrated_to_latest_version(tmp_path):
    with Store(tmp_path / "a.duckdb") as s:
        assert s.schema_version() == latest_version()
        assert [m.version for m in migrations()] == list(range(1, latest_version() + 1))
        assert set(s.table_counts()) == set(store_mod.DATA_TABLES)


def test_reopening_applies_nothing_and_keeps_data(tmp_path):
    path = tmp_path / "a.duckdb"
    with Store(path) as s:
        s.execute("INSERT INTO regions VALUES (?, ?)", ["R1", "East"])
    with Store(path) as s:
        assert s.migrate() == []
        assert s.scalar("SELECT region_name FROM regions WHERE region_id = ?", ["R1"]) == "East"


def test_old_store_is_upgraded_forward(tmp_path):
    path = tmp_path / "old.duckdb"
    first = migrations()[0]
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL)"
    )
    con.execute(first.sql)
    con.execute("INSERT INTO schema_migrations VALUES (1, ?, now()::TIMESTAMP)", [first.name])
    con.execute("INSERT INTO regions VALUES ('R1', 'East')")
    con.close()
    with Store(path) as s:
        assert s.schema_version() == latest_version()
        assert s.scalar("SELECT count(*) FROM v_leads") == 0  # the view from 002 exists
        assert s.scalar("SELECT count(*) FROM regions") == 1


def test_failing_migration_rolls_back_and_keeps_version(tmp_path, monkeypatch):
    path = tmp_path / "a.duckdb"
    with Store(path) as s:
        s.execute("INSERT INTO regions VALUES (?, ?)", ["R1", "East"])
    bad = store_mod.Migration(999, "999_bad.sql", "CREATE TABLE half_done (x INT); SELECT * FROM no_such_table;")
    monkeypatch.setattr(store_mod, "migrations", lambda: [*migrations(), bad])
    with pytest.raises(duckdb.Error):
        Store(path)
    monkeypatch.undo()
    with Store(path) as s:
        assert s.schema_version() == latest_version()
        assert s.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'half_done'") == 0
        assert s.scalar("SELECT count(*) FROM regions") == 1


def test_read_only_missing_file_is_a_sentence(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "nope.duckdb", read_only=True)


def test_read_only_store_refuses_writes(tmp_path):
    path = tmp_path / "a.duckdb"
    Store(path).close()
    with Store(path, read_only=True) as s, pytest.raises(StoreError, match="read-only"):
        s.execute("INSERT INTO regions VALUES (?, ?)", ["R1", "East"])


def test_transaction_rolls_back_on_error(empty_store):
    with pytest.raises(RuntimeError), empty_store.transaction() as cur:
        cur.execute("INSERT INTO regions VALUES ('R1', 'East')")
        raise RuntimeError("boom")
    assert empty_store.scalar("SELECT count(*) FROM regions") == 0
