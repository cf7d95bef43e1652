"""DuckDB store: connection lifecycle, schema migrations and the one query helper.

One :class:`Store` owns one DuckDB database instance. Every query in the product goes
through :meth:`Store.query` (or :meth:`Store.execute`) with bound parameters, so it can be
timed and logged in one place.

A store on disk is a series of immutable snapshots (:mod:`analytics.snapshots`):

* ``Store(path, read_only=True)`` opens the current snapshot read-only. Any number of
  processes do this at once; each keeps reading the snapshot it opened (``store.version``),
  so a read never sees half an import.
* ``Store(path)`` is a *writer*: it takes the store's writer lock (another writer gets
  :class:`~analytics.snapshots.StoreBusy` naming the holder), works on a private copy of the
  current snapshot, and publishes the copy as the next version when it is closed after a
  change. Leaving the ``with`` block on an exception, or being killed, publishes nothing.

The small state that is written while serving (accounts, sessions, the access log, saved
scenarios, the run log) lives in the store's control database, ``store.control``
(:mod:`analytics.control`), which every process can write at any time.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics import snapshots
from analytics.control import Control, now_text

log = logging.getLogger(__name__)

#: Queries slower than this (seconds) are logged at INFO level.
SLOW_QUERY_S = 0.5
#: Tables that hold user data, in an order that satisfies references on import.
DATA_TABLES = (
    "regions",
    "teams",
    "reps",
    "accounts",
    "leads",
    "touchpoints",
    "deals",
    "calls",
    "rep_metrics",
    "targets",
    "nps",
    "innovations",
    "display_names",
)

_MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class StoreError(Exception):
    """A problem with the store that a user can act on (message is a full sentence)."""


class SchemaOutdated(StoreError):
    """The store needs forward migrations that a read-only open cannot apply."""


@dataclass(frozen=True)
class Migration:
    """One forward migration file: ``NNN_name.sql`` in ``analytics/sql/migrations``."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Return the bundled migrations in version order."""
    folder = resources.files("analytics") / "sql" / "migrations"
    found = []
    for entry in folder.iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda mig: mig.version)
    return found


def latest_version() -> int:
    """The schema version a fully migrated store has."""
    return migrations()[-1].version


class Store:
    """A DuckDB database file (or ``:memory:``) with the product's schema.

    Parameters
    ----------
    path
        Database file; created (and migrated) when absent. ``":memory:"`` for tests.
    read_only
        Open without write access; the schema must already be current.
    migrate
        Apply pending forward migrations on open (ignored when ``read_only``).
    wait
        A writer waits this many seconds for another writer before raising
        :class:`~analytics.snapshots.StoreBusy`.
    purpose
        What a writer is doing, as told to another process that finds the store busy.
    fresh
        A writer starts from an empty database instead of a copy of the current snapshot.
    version
        A reader opens this snapshot version instead of the current one.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        migrate: bool = True,
        wait: float = 0.0,
        purpose: str = "a writer",
        fresh: bool = False,
        version: int | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        #: The snapshot version this store reads (0: in memory or a plain file).
        self.version = 0
        #: The DuckDB file actually open.
        self.file = self.path
        self._writer: snapshots.WriterLock | None = None
        self._changed = False
        self._closed = False
        memory = self.path == ":memory:"
        if memory:
            self._con = duckdb.connect(":memory:")
        elif read_only:
            self._con = self._open_reader(version)
        else:
            self._con = self._open_writer(purpose, wait, fresh)
        #: Accounts, sessions, the access log, saved scenarios, the run log (analytics/control.py).
        self.control = Control(":memory:" if memory else snapshots.layout(self.path).control)
        self._lock = threading.Lock()
        if migrate and not read_only:
            try:
                self.migrate()
            except BaseException:
                self.abort()
                raise
        elif self.schema_version() < latest_version():
            self.abort()
            raise SchemaOutdated(
                f"The store {self.path} has schema version {self.schema_version()} but this "
                f"version of the product needs {latest_version()}. Open it once without "
                "read-only mode to upgrade it."
            )

    def _open_reader(self, version: int | None) -> duckdb.DuckDBPyConnection:
        for _attempt in range(3):  # the current snapshot can be replaced (and pruned) meanwhile
            file = snapshots.current_file(self.path) if not version else snapshots.version_file(self.path, version)
            if version and not file.exists():
                raise StoreError(f"Version {version} of the store {self.path} is no longer kept.")
            if file is None:
                raise StoreError(
                    f"The store {self.path} does not exist. Create it with "
                    f"'python -m analytics demo --db {self.path}' or import your data first."
                )
            try:
                con = duckdb.connect(str(file), read_only=True)
            except duckdb.IOException as exc:
                if file.exists():
                    raise StoreError(
                        f"Could not open the store {self.path}: {exc}. Another program has this file open for "
                        "writing (an older version of this product, or a DuckDB shell); close it and try again."
                    ) from exc
                continue
            self.file = str(file)
            self.version = snapshots.version_of(file)
            return con
        raise StoreError(f"The store {self.path} changed three times while opening it; try again.")

    def _open_writer(self, purpose: str, wait: float, fresh: bool) -> duckdb.DuckDBPyConnection:
        lock = snapshots.WriterLock(self.path, purpose, wait=wait).acquire()
        try:
            snapshots.clean_leftovers(self.path)
            work = snapshots.new_work_file(self.path)
            current = snapshots.current_file(self.path)
            self.version = snapshots.version_of(current) if current else 0
            if fresh:
                self._changed = True
            elif not snapshots.copy_current(self.path, work):
                self._changed = True  # a new store: publish it even when nothing is written
            con = duckdb.connect(str(work))
        except BaseException:
            lock.release()
            raise
        self._writer = lock
        self.file = str(work)
        return con

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        """Close the store; a writer that changed something publishes its snapshot first."""
        if self._closed:
            return
        if self._writer is None:
            self._closed = True
            self._con.close()
            return
        self._finish(publish=self._changed)

    def abort(self) -> None:
        """Close without publishing: a writer's changes are thrown away."""
        if self._closed:
            return
        if self._writer is None:
            self._closed = True
            self._con.close()
            return
        self._finish(publish=False)

    def _finish(self, *, publish: bool) -> None:
        self._closed = True
        work = Path(self.file)
        try:
            if publish:
                self._con.execute("CHECKPOINT")
                self._con.close()
                version = snapshots.publish(self.path, work)
                self.control.execute(
                    "INSERT OR REPLACE INTO versions VALUES (?, ?, ?, ?, ?)",
                    [
                        version,
                        snapshots.version_file(self.path, version).name,
                        now_text(),
                        self._writer.purpose,  # type: ignore[union-attr]
                        snapshots.version_file(self.path, version).stat().st_size,
                    ],
                )
                self.version = version
                self.file = str(snapshots.version_file(self.path, version))
                snapshots.prune(self.path)
                log.info("published %s version %d", self.path, version)
            else:
                self._con.close()
                work.unlink(missing_ok=True)
                Path(str(work) + ".wal").unlink(missing_ok=True)
        finally:
            self._writer.release()  # type: ignore[union-attr]
            self._writer = None

    @property
    def is_writer(self) -> bool:
        """True for an open writer (it holds the writer lock)."""
        return self._writer is not None

    def replace_with(self, source: str | Path) -> None:
        """A writer's data becomes a copy of the DuckDB file ``source`` (a restore), migrated to this schema."""
        if self._writer is None:
            raise StoreError("Only a writer can replace the store's data.")
        work = Path(self.file)
        with self._lock:
            self._con.close()
            shutil.copyfile(source, work)
            work.chmod(0o644)
            self._con = duckdb.connect(str(work))
        self.migrate()
        self._changed = True

    def mark_changed(self) -> None:
        """Record that this writer changed the data (it publishes a new snapshot on close)."""
        self._changed = True

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # a writer dropped without close() must not keep the lock for the life of the process
        try:
            if not self._closed and self._writer is not None:
                self.abort()
        except Exception:  # interpreter shutdown: nothing left to tell
            pass

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared instance (thread-safe to use from one thread)."""
        with self._lock:
            return self._con.cursor()

    # -- schema --------------------------------------------------------------------
    def schema_version(self) -> int:
        """Current schema version (0 for an empty database)."""
        cur = self.cursor()
        exists = cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()[0]
        if not exists:
            return 0
        row = cur.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> list[int]:
        """Apply every pending migration, each in its own transaction; return the versions."""
        cur = self.cursor()
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        current = self.schema_version()
        applied = []
        for mig in migrations():
            if mig.version <= current:
                continue
            before = _BEFORE_MIGRATION.get(mig.version)
            if before is not None:
                before(self)
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute(mig.sql)
                cur.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)",
                    [mig.version, mig.name],
                )
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
            applied.append(mig.version)
            self._changed = True
            log.info("applied migration %s", mig.name)
        return applied

    # -- queries -------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run one SELECT with bound parameters and return a DataFrame."""
        start = time.perf_counter()
        cur = self.cursor()
        try:
            df = cur.execute(sql, params or []).df()
        finally:
            cur.close()
        self._log_time(sql, start)
        return df

    def query_arrow(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        """Like :meth:`query` but returns a pyarrow Table (cheaper for large results)."""
        start = time.perf_counter()
        cur = self.cursor()
        try:
            if hasattr(cur, "fetch_arrow_table"):
                table = cur.execute(sql, params or []).fetch_arrow_table()
            else:  # DuckDB 2 moved Arrow export to relations
                table = cur.sql(sql, params=params or None).to_arrow_table()
        finally:
            cur.close()
        self._log_time(sql, start)
        return table

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        """Run a query returning one value."""
        cur = self.cursor()
        try:
            row = cur.execute(sql, params or []).fetchone()
        finally:
            cur.close()
        return None if row is None else row[0]

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        """Run one statement (DDL or DML) with bound parameters, autocommitted."""
        if self.read_only:
            raise StoreError("This store is open read-only; writing is not allowed.")
        start = time.perf_counter()
        cur = self.cursor()
        try:
            cur.execute(sql, params or [])
        finally:
            cur.close()
        self._changed = True
        self._log_time(sql, start)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction: committed on success, rolled back on any error."""
        if self.read_only:
            raise StoreError("This store is open read-only; writing is not allowed.")
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            cur.close()
            raise
        cur.execute("COMMIT")
        cur.close()
        self._changed = True

    def table_counts(self) -> dict[str, int]:
        """Row count of every data table."""
        return {t: int(self.scalar(f"SELECT count(*) FROM {t}")) for t in DATA_TABLES}  # noqa: S608 - fixed names

    def info(self) -> dict[str, str]:
        """The store_info key/value pairs (demo seed, data end date, ...)."""
        df = self.query("SELECT key, value FROM store_info")
        return dict(zip(df["key"], df["value"], strict=True))

    @staticmethod
    def _log_time(sql: str, start: float) -> None:
        elapsed = time.perf_counter() - start
        level = logging.INFO if elapsed > SLOW_QUERY_S else logging.DEBUG
        log.log(level, "query %.3fs: %s", elapsed, " ".join(sql.split())[:160])


def _move_operational_tables(store: Store) -> None:
    """Before migration 005: copy accounts, the access log and saved scenarios to the control database.

    Older stores kept them in DuckDB, where only one process can write; migration 005 drops
    them there. Rows already in the control database are kept (a repeated move adds nothing).
    """
    cur = store.cursor()
    have = set(cur.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
    with store.control.transaction() as con:
        if "users" in have:
            for r in cur.execute(
                "SELECT username, password_hash, role, rep_id, to_json(region_ids)::VARCHAR,"
                " to_json(team_ids)::VARCHAR, disabled, created_at::VARCHAR FROM users"
            ).fetchall():
                con.execute("INSERT OR IGNORE INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [*r[:6], int(r[6]), r[7]])
        if "scenarios" in have:
            for r in cur.execute(
                "SELECT name, revision, plan_name, plan_version, plan_hash, plan_toml, author,"
                " created_at::VARCHAR, quarter, note FROM scenarios"
            ).fetchall():
                con.execute("INSERT OR IGNORE INTO scenarios VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(r))
        moved = con.execute("SELECT value FROM meta WHERE key = 'access_log_moved'").fetchone()
        if "access_log" in have and moved is None:
            rows = cur.execute(
                "SELECT logged_at::VARCHAR, username, role, action, object, detail FROM access_log"
            ).fetchall()
            con.executemany("INSERT INTO access_log VALUES (?, ?, ?, ?, ?, ?)", rows)
            con.execute("INSERT INTO meta VALUES ('access_log_moved', ?)", [now_text()])
    cur.close()


#: Python steps run just before a migration's SQL (version -> step).
_BEFORE_MIGRATION = {5: _move_operational_tables}
