"""The run log: every import, demo build, backup, restore and publish, with its outcome.

Each run is one row of the control database's ``runs`` table, written when it starts
(``running``) and when it ends (``ok`` or ``failed`` with a one-line reason). A run whose
process was killed stays ``running``; :func:`recent_runs` reports it as ``interrupted``
once its process is gone. The Data page and ``python -m analytics
runs`` show the log.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import snapshots
from analytics.control import Control, now_text

#: Longest message kept per run.
MAX_MESSAGE = 500


@dataclass
class Run:
    """A run in progress: set what it did before it ends."""

    run_id: int
    version: int | None = None
    read: int | None = None
    stored: int | None = None
    rejected: int | None = None
    message: str = ""

    def count(self, results: Iterable[Any]) -> None:
        """Add up the rows of import results (objects with ``read``, ``stored``, ``rejected``)."""
        for r in results:
            self.read = (self.read or 0) + int(r.read)
            self.stored = (self.stored or 0) + int(r.stored)
            self.rejected = (self.rejected or 0) + int(r.rejected)


def command_line() -> str:
    """This process's command line, as a shell would show it."""
    return shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]])[:300]


def control_of(path: str | Path) -> Control:
    """The control database of the store ``path`` (created when missing)."""
    return Control(":memory:" if str(path) == ":memory:" else snapshots.layout(path).control)


@contextmanager
def recorded(control: Control, kind: str, *, source: str = "cli", command: str | None = None) -> Iterator[Run]:
    """Log one run: ``running`` now, ``ok`` or ``failed`` (with the exception's sentence) at the end.

    ``source`` is ``cli`` or ``page``; ``command`` defaults to this process's command line.
    """
    with control.transaction() as con:
        cur = con.execute(
            "INSERT INTO runs (kind, source, command, started_at, status, pid) VALUES (?, ?, ?, ?, 'running', ?)",
            [kind, source, command or command_line(), now_text(), os.getpid()],
        )
        run = Run(int(cur.lastrowid))
    try:
        yield run
    except BaseException as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        _finish(control, run, "failed", reason)
        raise
    _finish(control, run, "ok", run.message)


def _finish(control: Control, run: Run, status: str, message: str) -> None:
    control.execute(
        "UPDATE runs SET finished_at = ?, status = ?, version = ?, rows_read = ?, rows_stored = ?,"
        " rows_rejected = ?, message = ? WHERE run_id = ?",
        [now_text(), status, run.version, run.read, run.stored, run.rejected, message[:MAX_MESSAGE], run.run_id],
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recent_runs(control: Control, *, limit: int = 50) -> pd.DataFrame:
    """The newest runs first; a ``running`` row whose process is gone reads ``interrupted``."""
    df = control.query(
        "SELECT run_id, kind, source, status, started_at, finished_at, version, rows_read, rows_stored,"
        " rows_rejected, message, command, pid"
        " FROM runs ORDER BY run_id DESC LIMIT ?",
        [int(limit)],
    )
    if not df.empty:
        gone = [(s == "running" and not _alive(p)) for s, p in zip(df["status"], df["pid"], strict=True)]
        df.loc[gone, "status"] = "interrupted"
    return df
