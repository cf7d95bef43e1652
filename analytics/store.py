"""DuckDB store: connection lifecycle, schema migrations and the one query helper.

One :class:`Store` owns one DuckDB database instance. Every query in the product goes
through :meth:`Store.query` (or :meth:`Store.execute`) with bound parameters, so it can be
timed and logged in one place. Readers and writers share the instance and each call runs
on its own cursor, so DuckDB's MVCC gives every read a consistent snapshot: a read sees
an import either entirely or not at all.
"""

from __future__ import annotations

import logging
import re
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
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, migrate: bool = True) -> None:
        self.path = str(path)
        self.read_only = read_only
        if self.path != ":memory:" and read_only and not Path(self.path).exists():
            raise StoreError(
                f"The store {self.path} does not exist. Create it with "
                f"'python -m analytics demo --db {self.path}' or import your data first."
            )
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(
                f"Could not open the store {self.path}: {exc}. Close other programs that "
                "have it open for writing, or use another file."
            ) from exc
        self._lock = threading.Lock()
        if migrate and not read_only:
            self.migrate()
        elif self.schema_version() < latest_version():
            self._con.close()
            raise SchemaOutdated(
                f"The store {self.path} has schema version {self.schema_version()} but this "
                f"version of the product needs {latest_version()}. Open it once without "
                "read-only mode to upgrade it."
            )

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        """Close the database instance."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
