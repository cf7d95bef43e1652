"""A store shared by many processes: snapshots, the writer lock, killed writers, legacy files,
backup and restore, and the run log, with real processes on real files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from analytics import backup, runs, snapshots, users
from analytics.cli.common import BUSY_EXIT
from analytics.store import Store, StoreError, migrations
from tests.conftest import ROOT

PY = sys.executable


def _count(path: Path, table: str = "regions") -> int:
    with Store(path, read_only=True) as r:
        return int(r.scalar(f"SELECT count(*) FROM {table}"))


def _add_region(path: Path, region_id: str) -> int:
    with Store(path) as w:
        w.execute("INSERT INTO regions VALUES (?, ?)", [region_id, f"Region {region_id}"])
    return w.version


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    _add_region(path, "R1")
    return path


def test_a_writer_publishes_an_immutable_snapshot_behind_the_link(store_path):
    assert store_path.is_symlink() and snapshots.current_version(store_path) == 1
    first = snapshots.current_file(store_path)
    assert first.stat().st_mode & 0o777 == 0o444
    assert _add_region(store_path, "R2") == 2
    assert snapshots.current_file(store_path).name == "v000002.duckdb"
    assert _count(store_path) == 2
    assert not any(snapshots.layout(store_path).tmp.iterdir())


def test_a_reader_keeps_its_snapshot_while_a_writer_publishes(store_path):
    reader = Store(store_path, read_only=True)
    _add_region(store_path, "R2")
    assert reader.scalar("SELECT count(*) FROM regions") == 1 and reader.version == 1
    assert _count(store_path) == 2
    reader.close()


def test_a_writer_that_changed_nothing_publishes_nothing(store_path):
    with Store(store_path) as w:
        w.query("SELECT * FROM regions")
    assert snapshots.current_version(store_path) == 1
    assert not any(snapshots.layout(store_path).tmp.iterdir())


def test_a_failed_writer_leaves_the_served_data_as_it_was(store_path):
    with pytest.raises(RuntimeError), Store(store_path) as w:
        w.execute("INSERT INTO regions VALUES ('R2', 'West')")
        raise RuntimeError("the import broke")
    assert snapshots.current_version(store_path) == 1 and _count(store_path) == 1
    assert not any(snapshots.layout(store_path).tmp.iterdir())


def test_a_second_writer_is_told_who_holds_the_lock_and_can_wait(store_path):
    first = Store(store_path, purpose="an import")
    with pytest.raises(snapshots.StoreBusy, match=rf"being changed by an import \(process {os.getpid()} "):
        Store(store_path, purpose="another import")
    first.execute("INSERT INTO regions VALUES ('R2', 'West')")
    threading.Timer(0.5, first.close).start()
    with Store(store_path, wait=10) as second:  # waits for the first to publish, then sees its row
        assert second.scalar("SELECT count(*) FROM regions") == 2
        second.execute("INSERT INTO regions VALUES ('R3', 'South')")
    assert snapshots.current_version(store_path) == 3 and _count(store_path) == 3


def test_a_killed_writer_changes_nothing_and_the_next_one_cleans_up(store_path):
    code = (
        "import sys, time\n"
        "from analytics.store import Store\n"
        f"w = Store({str(store_path)!r}, purpose='an import')\n"
        "w.execute(\"INSERT INTO regions VALUES ('R9', 'Killed')\")\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([PY, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    assert snapshots.writer_active(store_path)
    assert snapshots.read_holder(store_path)["pid"] == proc.pid
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert any(snapshots.layout(store_path).tmp.iterdir())  # the killed writer's half-written copy
    assert not snapshots.writer_active(store_path)  # the kernel released the lock
    assert snapshots.current_version(store_path) == 1 and _count(store_path) == 1
    _add_region(store_path, "R2")
    assert sorted(os.listdir(snapshots.layout(store_path).tmp)) == []
    assert _count(store_path) == 2


def test_imports_and_readers_in_other_processes_never_fail_or_see_a_mix(tmp_path, store_path):
    """A CLI import of 3,000 leads-free rows into two tables at once while other processes read."""
    csv_r = tmp_path / "regions.csv"
    csv_r.write_text("region_id,region_name\n" + "".join(f"X{i},Name {i}\n" for i in range(3000)), encoding="utf-8")
    reader_code = (
        "import sys\n"
        "from analytics.store import Store\n"
        "seen = set()\n"
        "for _ in range(60):\n"
        f"    with Store({str(store_path)!r}, read_only=True) as r:\n"
        "        seen.add(int(r.scalar('SELECT count(*) FROM regions')))\n"
        "print(sorted(seen))\n"
    )
    readers = [subprocess.Popen([PY, "-c", reader_code], cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    imp = subprocess.run(
        [PY, "-m", "analytics", "import", "--db", str(store_path), "--table", "regions", str(csv_r)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imp.returncode == 0, imp.stderr
    for r in readers:
        out, _ = r.communicate(timeout=120)
        assert r.returncode == 0
        assert set(json.loads(out)) <= {1, 3001}  # before or after, never part of the import
    assert _count(store_path) == 3001
    log = runs.recent_runs(runs.control_of(store_path))
    assert log.iloc[0][["kind", "status", "rows_stored", "rows_rejected"]].tolist() == ["import", "ok", 3000, 0]
    assert int(log.iloc[0]["version"]) == snapshots.current_version(store_path) == 2


def test_a_second_import_exits_75_naming_the_first(tmp_path, store_path):
    csv_r = tmp_path / "regions.csv"
    csv_r.write_text("region_id,region_name\nR5,Five\n", encoding="utf-8")
    holder = Store(store_path, purpose="an import")
    try:
        res = subprocess.run(
            [PY, "-m", "analytics", "import", "--db", str(store_path), "--table", "regions", str(csv_r)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.abort()
    assert res.returncode == BUSY_EXIT
    assert res.stderr.count("\n") == 1 and f"being changed by an import (process {os.getpid()}" in res.stderr
    log = runs.recent_runs(runs.control_of(store_path))
    assert log.iloc[0]["status"] == "failed" and "being changed by an import" in log.iloc[0]["message"]
    assert _count(store_path) == 1


def test_a_killed_import_reads_interrupted_in_the_run_log(store_path):
    control = runs.control_of(store_path)
    proc = subprocess.Popen([PY, "-c", "import time; time.sleep(30)"])
    with control.transaction() as con:
        con.execute(
            "INSERT INTO runs (kind, source, command, started_at, status, pid) VALUES ('import', 'cli', 'x', '2026-01-01', 'running', ?)",
            [proc.pid],
        )
    assert runs.recent_runs(control).iloc[0]["status"] == "running"
    proc.kill()
    proc.wait()
    assert runs.recent_runs(control).iloc[0]["status"] == "interrupted"


def test_old_snapshots_are_pruned_but_the_current_and_newest_stay(store_path):
    for r in ("R2", "R3", "R4"):
        _add_region(store_path, r)
    assert [v for v, *_ in snapshots.list_versions(store_path)] == [1, 2, 3, 4]
    old = time.time() - 3600
    for v in (1, 2, 3):
        os.utime(snapshots.version_file(store_path, v), (old, old))
    assert snapshots.prune(store_path, keep_minutes=30, keep_last=2) == [1, 2]
    assert [v for v, *_ in snapshots.list_versions(store_path)] == [3, 4]
    assert _count(store_path) == 4


def test_a_plain_store_file_is_read_as_it_is_and_converted_by_the_first_writer(tmp_path, store_path):
    plain = tmp_path / "plain.duckdb"
    shutil.copyfile(snapshots.current_file(store_path), plain)
    assert _count(plain) == 1 and not plain.is_symlink()
    assert _add_region(plain, "R2") == 1
    assert plain.is_symlink() and _count(plain) == 2


def test_an_older_store_moves_accounts_log_and_scenarios_to_the_control_database(tmp_path):
    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for mig in migrations():
        if mig.version <= 4:
            con.execute(mig.sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [mig.version, mig.name])
    con.execute("INSERT INTO users VALUES ('boss', NULL, 'manager', NULL, ['R1'], [], FALSE, now()::TIMESTAMP)")
    con.execute("INSERT INTO access_log VALUES (now()::TIMESTAMP, 'boss', 'manager', 'view', 'scorecard', '')")
    con.execute("INSERT INTO scenarios VALUES ('s', 1, 'p', '1', 'abc', 'toml', 'boss', now()::TIMESTAMP, NULL, '')")
    con.close()
    with Store(old) as w:
        tables = set(w.query("SELECT table_name FROM information_schema.tables")["table_name"])
    assert not {"users", "access_log", "scenarios"} & tables
    with Store(old, read_only=True) as r:
        assert users.get_account(r, "boss").region_ids == ("R1",)
        assert r.control.scalar("SELECT count(*) FROM access_log") == 1
        assert r.control.scalar("SELECT plan_toml FROM scenarios") == "toml"


def test_backup_while_importing_and_restore_everything(tmp_path, store_path):
    with Store(store_path, read_only=True) as r:
        users.add_account(r, "ann", "long password", "leader")
        r.control.execute("INSERT INTO sessions VALUES ('h', 'ann', '2026-01-01', 0)")
    holder = Store(store_path, purpose="an import")  # an import in progress does not stop a backup
    holder.execute("INSERT INTO regions VALUES ('R2', 'West')")
    info = backup.backup(store_path, tmp_path / "bk")
    holder.close()
    assert info.data_version == 1 and set(info.files) == {"data.duckdb", "control.sqlite"}
    assert _count(store_path) == 2
    with Store(store_path, read_only=True) as r:
        users.remove_account(r, "ann")
    version = backup.restore(store_path, tmp_path / "bk")
    assert version == 3 and _count(store_path) == 1
    with Store(store_path, read_only=True) as r:
        assert users.verify_login(r, "ann", "long password") is not None
        assert r.control.scalar("SELECT count(*) FROM sessions") == 0
        assert r.control.scalar("SELECT count(*) FROM access_log WHERE action = 'restore'") == 1


def test_a_damaged_backup_changes_nothing(tmp_path, store_path):
    backup.backup(store_path, tmp_path / "bk")
    con = sqlite3.connect(str(tmp_path / "bk" / "control.sqlite"))
    con.execute("INSERT INTO meta VALUES ('tampered', 'yes')")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match=r"control\.sqlite differs from its checksum"):
        backup.restore(store_path, tmp_path / "bk")
    assert snapshots.current_version(store_path) == 1
    with pytest.raises(StoreError, match="not empty"):
        backup.backup(store_path, tmp_path / "bk")


def test_backup_and_restore_commands(tmp_path, store_path):
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PY, "-m", "analytics", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)

    res = cli("backup", "--db", str(store_path), str(tmp_path / "bk"))
    assert res.returncode == 0 and "data version 1" in res.stdout, res.stderr
    _add_region(store_path, "R2")
    res = cli("restore", "--db", str(store_path), str(tmp_path / "bk"))
    assert res.returncode == 0 and "as data version 3" in res.stdout, res.stderr
    assert _count(store_path) == 1
    res = cli("runs", "--db", str(store_path), "--format", "json")
    kinds = [(r["kind"], r["status"]) for r in json.loads(res.stdout)]
    assert kinds[:2] == [("restore", "ok"), ("backup", "ok")]
    res = cli("versions", "--db", str(store_path), "--format", "json")
    assert [r["current"] for r in json.loads(res.stdout)] == [False, False, True]
    res = cli("restore", "--db", str(store_path), str(tmp_path / "nothing"))
    assert res.returncode == 2 and "is not a backup" in res.stderr
