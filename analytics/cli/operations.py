"""``backup``, ``restore``, ``runs`` and ``versions``: running a store for an organisation.

``backup`` copies the store consistently while dashboards and imports use it; ``restore``
publishes a backup as the store's next version; ``runs`` lists imports and other runs with
their outcome; ``versions`` lists the data snapshots kept on disk (docs/operations.md).
"""

from __future__ import annotations

import argparse
from datetime import datetime

import pandas as pd

from analytics import backup, runs, snapshots
from analytics.cli.common import UserError, add_db, add_format, emit, open_store
from analytics.store import StoreError

__all__ = ["register"]


def _cmd_backup(args: argparse.Namespace) -> int:
    open_store(args.db).close()  # a clear sentence when the store is missing or outdated
    with runs.recorded(runs.control_of(args.db), "backup") as run:
        try:
            info = backup.backup(args.db, args.folder)
        except StoreError as exc:
            raise UserError(str(exc)) from exc
        run.version = info.data_version
    print(f"backup of {args.db} (data version {info.data_version}) written to {info.folder}: {info.bytes:,} bytes")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    with runs.recorded(runs.control_of(args.db), "restore") as run:
        try:
            info = backup.read_backup(args.folder)
            version = backup.restore(args.db, args.folder, wait=args.wait)
        except StoreError as exc:
            raise UserError(str(exc)) from exc
        run.version = version
    print(
        f"restored {args.db} from {args.folder} (backed up {info.created_at}, data version {info.data_version}) "
        f"as data version {version}; everyone signs in again."
    )
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    store = open_store(args.db)
    df = runs.recent_runs(store.control, limit=args.limit).drop(columns=["pid"])
    emit(df, args.format, args.out, lang=args.lang)
    return 1 if args.check and not df.empty and df["status"].iloc[0] in ("failed", "interrupted") else 0


def _cmd_versions(args: argparse.Namespace) -> int:
    current = snapshots.current_version(args.db)
    rows = [
        {
            "version": v,
            "file": str(f),
            "modified": datetime.fromtimestamp(mtime).isoformat(sep=" ", timespec="seconds"),
            "bytes": size,
            "current": v == current,
        }
        for v, f, mtime, size in snapshots.list_versions(args.db)
    ]
    emit(pd.DataFrame(rows, columns=["version", "file", "modified", "bytes", "current"]), args.format, args.out)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``backup``, ``restore``, ``runs`` and ``versions``."""
    p = subparsers.add_parser(
        "backup", help="consistent copy of the store (data, accounts, publications) while it serves"
    )
    add_db(p)
    p.add_argument("folder", help="a new folder to write the backup into")
    p.set_defaults(func=_cmd_backup)

    p = subparsers.add_parser("restore", help="publish a backup as the store's next version (accounts included)")
    add_db(p)
    p.add_argument("folder", help="a folder written by 'backup'")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait for a running import to finish")
    p.set_defaults(func=_cmd_restore)

    p = subparsers.add_parser("runs", help="imports, backups, restores and publications, newest first")
    add_db(p)
    add_format(p)
    p.add_argument("--limit", type=int, default=50, help="how many runs to list (default 50)")
    p.add_argument("--check", action="store_true", help="exit 1 when the newest run failed or was interrupted")
    p.set_defaults(func=_cmd_runs)

    p = subparsers.add_parser("versions", help="the data snapshots kept on disk")
    add_db(p)
    add_format(p)
    p.set_defaults(func=_cmd_versions)
