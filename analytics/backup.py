"""Backup and restore of a whole store while it serves (``python -m analytics backup|restore``).

A backup is a folder holding:

* ``data.duckdb``: a copy of the current snapshot (immutable, so the copy is consistent even
  while imports run: an import publishes a *new* snapshot and never touches this one);
* ``control.sqlite``: SQLite's online backup of the control database (accounts, saved
  scenarios, publications, the access and run logs) as of one instant;
* ``published/``: the frozen quarter results;
* ``manifest.json``: the data version, the schema version, the time, and the SHA-256 of
  every file, checked before anything is restored.

A restore takes the writer lock, publishes the backup's data as the store's next version
(servers switch to it on their next run; nothing is overwritten in place), and replaces the
accounts, saved scenarios and publications with the backup's. The access log and the run log
are kept and the restore is added to both; every signed-in session ends.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from analytics import snapshots
from analytics.control import Control, now_text
from analytics.store import Store, StoreError, latest_version

MANIFEST = "manifest.json"
FORMAT = 1
#: Control tables a restore replaces with the backup's rows.
RESTORED_TABLES = ("users", "scenarios", "published")


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds."""

    folder: Path
    data_version: int
    schema_version: int
    created_at: str
    files: dict[str, str]  # relative path -> sha256
    bytes: int


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def backup(store_path: str | Path, target: str | Path) -> BackupInfo:
    """Write a consistent backup of the store ``store_path`` into the new folder ``target``.

    Raises
    ------
    StoreError
        The store does not exist, or ``target`` exists and is not an empty folder.
    """
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise StoreError(f"The backup folder {target} already exists and is not empty; name a new folder.")
    with Store(store_path, read_only=True) as reader:  # pins one snapshot for the whole copy
        source = Path(reader.file)
        version, schema = reader.version, reader.schema_version()
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / "data.duckdb")
        reader.control.backup_to(target / "control.sqlite")
        published = snapshots.layout(store_path).published
        if published.is_dir():
            shutil.copytree(published, target / "published")
    files = {
        str(p.relative_to(target)): _sha256(p) for p in sorted(target.rglob("*")) if p.is_file() and p.name != MANIFEST
    }
    info = BackupInfo(
        folder=target,
        data_version=version,
        schema_version=schema,
        created_at=now_text(),
        files=files,
        bytes=sum((target / f).stat().st_size for f in files),
    )
    manifest = {
        "format": FORMAT,
        "store": str(store_path),
        "data_version": version,
        "schema_version": schema,
        "created_at": info.created_at,
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return info


def read_backup(folder: str | Path) -> BackupInfo:
    """Check a backup folder (manifest, every file's SHA-256) and describe it.

    Raises
    ------
    StoreError
        The folder is not a backup, a file is missing or changed, or it comes from a newer product.
    """
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"{folder} is not a backup made by 'python -m analytics backup' ({MANIFEST} is missing or unreadable)."
        ) from exc
    if int(manifest.get("format", 0)) > FORMAT or int(manifest.get("schema_version", 0)) > latest_version():
        raise StoreError(f"The backup {folder} was made by a newer version of the product; upgrade first.")
    files = dict(manifest.get("files", {}))
    for rel, digest in files.items():
        path = folder / rel
        if not path.is_file():
            raise StoreError(f"The backup {folder} is incomplete: {rel} is missing.")
        if _sha256(path) != digest:
            raise StoreError(f"The backup {folder} is damaged: {rel} differs from its checksum in {MANIFEST}.")
    if "data.duckdb" not in files or "control.sqlite" not in files:
        raise StoreError(f"The backup {folder} is incomplete: it needs data.duckdb and control.sqlite.")
    return BackupInfo(
        folder=folder,
        data_version=int(manifest.get("data_version", 0)),
        schema_version=int(manifest.get("schema_version", 0)),
        created_at=str(manifest.get("created_at", "")),
        files=files,
        bytes=sum((folder / f).stat().st_size for f in files),
    )


def restore(store_path: str | Path, folder: str | Path, *, wait: float = 0.0) -> int:
    """Make the backup in ``folder`` the store's data and accounts; return the new data version.

    The backup is checked first; a damaged one changes nothing. Servers keep serving the old
    version until their next run, then read the restored one.
    """
    info = read_backup(folder)
    store_path = Path(store_path)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with Store(store_path, purpose="a restore", wait=wait, fresh=True) as writer:
        writer.replace_with(info.folder / "data.duckdb")
        _restore_control(writer.control, info.folder / "control.sqlite", info.folder / "published", store_path)
    return writer.version


def _restore_control(control: Control, backup_db: Path, published_src: Path, store_path: Path) -> None:
    published_dst = snapshots.layout(store_path).published
    if published_src.is_dir():
        published_dst.mkdir(parents=True, exist_ok=True)
        for f in published_src.iterdir():
            dest = published_dst / f.name
            if not dest.exists():
                shutil.copyfile(f, dest)
                dest.chmod(0o444)
    src = sqlite3.connect(f"{backup_db.resolve().as_uri()}?mode=ro&immutable=1", uri=True)  # exactly the checked file
    try:
        rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in RESTORED_TABLES}  # noqa: S608 - fixed names
    finally:
        src.close()
    with control.transaction() as con:
        for table, data in rows.items():
            con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            if data:
                marks = ", ".join("?" * len(data[0]))
                con.executemany(f"INSERT INTO {table} VALUES ({marks})", data)  # noqa: S608 - fixed names
        con.execute("DELETE FROM sessions")  # accounts may have changed: everyone signs in again
        con.execute(
            "INSERT INTO access_log VALUES (?, 'cli', 'leader', 'restore', 'store', ?)",
            [now_text(), f"from {backup_db.parent} at {datetime.now().isoformat(timespec='seconds')}"],
        )
