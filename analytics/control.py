"""The control database: the small, often-written state that many processes share.

The analysed data lives in immutable DuckDB snapshots (:mod:`analytics.snapshots`), which
only one writer at a time replaces. Everything that the dashboard, the CLI and imports
write *while serving* lives here instead, in one SQLite file in WAL mode beside the
snapshots (``<store>.d/control.sqlite``), because SQLite lets many processes read and write
one file at the same time:

* ``users`` and ``scenarios`` (accounts and saved plan scenarios),
* ``access_log`` (who viewed or exported pay and performance data),
* ``sessions`` and ``login_failures`` (sign-ins that last across reloads and server
  processes; throttling of wrong passwords),
* ``runs`` (every import, backup, restore and publish, with its outcome),
* ``versions`` (every data snapshot published, by whom, when),
* ``published`` (quarter results frozen as published),
* ``meta`` (schema version, the cookie-signing secret).

A store opened on ``:memory:`` gets an in-memory control database.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

#: Seconds a statement waits for another process's write before it fails.
BUSY_TIMEOUT_S = 15.0
#: Columns returned as timestamps by :meth:`Control.query` (stored as ISO text).
TIME_COLUMNS = frozenset({"logged_at", "created_at", "started_at", "finished_at", "published_at", "imported_at"})

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    username       TEXT PRIMARY KEY,            -- login name or OIDC email
    password_hash  TEXT,                        -- argon2id; NULL for OIDC-only accounts
    role           TEXT NOT NULL CHECK (role IN ('leader', 'manager', 'analyst', 'rep')),
    rep_id         TEXT,
    region_ids     TEXT NOT NULL DEFAULT '[]',  -- JSON list
    team_ids       TEXT NOT NULL DEFAULT '[]',  -- JSON list
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_log (
    logged_at TEXT NOT NULL,
    username  TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,                    -- view / export / login / login_failed / login_throttled / logout
    object    TEXT NOT NULL,
    detail    TEXT
);
CREATE TABLE IF NOT EXISTS scenarios (
    name          TEXT NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 1),
    plan_name     TEXT NOT NULL,
    plan_version  TEXT NOT NULL,
    plan_hash     TEXT NOT NULL,
    plan_toml     TEXT NOT NULL,
    author        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    quarter       TEXT,
    note          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, revision)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  TEXT PRIMARY KEY,               -- sha256 of the random session token
    username    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    last_seen   REAL NOT NULL                   -- unix time of the last activity
);
CREATE TABLE IF NOT EXISTS login_failures (
    at       REAL NOT NULL,                     -- unix time
    username TEXT NOT NULL,
    client   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_user ON login_failures (username, at);
CREATE INDEX IF NOT EXISTS login_failures_client ON login_failures (client, at);
CREATE TABLE IF NOT EXISTS runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,                  -- import / backup / restore / publish / demo
    source      TEXT NOT NULL,                  -- cli / page
    command     TEXT NOT NULL,                  -- the command line, or the files given on the Data page
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,                  -- running / ok / failed (a killed run stays 'running')
    pid         INTEGER NOT NULL,
    version     INTEGER,                        -- the data version it published, if any
    rows_read     INTEGER,
    rows_stored   INTEGER,
    rows_rejected INTEGER,
    message     TEXT NOT NULL DEFAULT ''        -- why it failed
);
CREATE TABLE IF NOT EXISTS versions (
    version     INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS published (
    publish_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    quarter      TEXT NOT NULL,
    plan_name    TEXT NOT NULL,
    plan_hash    TEXT NOT NULL,
    data_version INTEGER,
    file         TEXT NOT NULL,                 -- the frozen results, relative to the store's folder
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
"""


def now_text() -> str:
    """The local wall-clock time as stored in the control database."""
    return datetime.now().isoformat(sep=" ", timespec="microseconds")


class Control:
    """One SQLite control database (a file shared by processes, or in memory).

    Parameters
    ----------
    path
        The SQLite file (created with its folder), or ``":memory:"``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        if self.path != ":memory:":
            self._con.execute("PRAGMA journal_mode=WAL")
            os.chmod(self.path, 0o600)  # password hashes and the cookie secret
        self._con.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._con.executescript(SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._con.close()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run one SELECT with bound parameters; ISO time columns come back as timestamps."""
        with self._lock:
            cur = self._con.execute(sql, list(params or []))
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
        df = pd.DataFrame.from_records(rows, columns=cols)
        for col in cols:
            if col in TIME_COLUMNS:
                df[col] = pd.to_datetime(df[col], format="ISO8601")
        return df

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run a query returning one value (None when it returns no row)."""
        with self._lock:
            row = self._con.execute(sql, list(params or [])).fetchone()
        return None if row is None else row[0]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> int:
        """Run one statement, autocommitted; return the number of rows it changed."""
        with self._lock:
            return self._con.execute(sql, list(params or [])).rowcount

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one ``BEGIN IMMEDIATE`` transaction (other writers wait)."""
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def meta(self, key: str) -> str | None:
        """A value of the ``meta`` table, or None."""
        return self.scalar("SELECT value FROM meta WHERE key = ?", [key])

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the ``meta`` table."""
        self.execute(
            "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value]
        )

    def secret(self) -> bytes:
        """The store's random signing secret (created once, shared by every server process)."""
        with self.transaction() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'cookie_secret'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                con.execute("INSERT INTO meta VALUES ('cookie_secret', ?)", [value])
            else:
                value = row[0]
        return bytes.fromhex(value)

    def backup_to(self, target: str | Path) -> None:
        """A consistent copy of the whole database into ``target`` (SQLite's online backup)."""
        dest = sqlite3.connect(str(target))
        try:
            with self._lock:
                self._con.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dest.close()
