"""Immutable data snapshots: how many processes share one store (docs/operations.md).

DuckDB lets one process write a database file, or many processes read it, never both. So
a store is a series of immutable snapshot files and a pointer to the current one:

* ``data/demo.duckdb`` is a symbolic link to ``data/demo.duckdb.d/versions/v000007.duckdb``;
  readers (every dashboard process, every CLI analysis) open the file it points to
  read-only, and keep it open, so they never wait for a writer and never see half an import.
* A writer (an import, a demo build, a restore) takes the store's writer lock
  (``writer.lock``, an OS file lock that the kernel releases when the process dies, even
  on ``kill -9``), copies the current snapshot to ``tmp/``, changes the copy, and
  *publishes* it: the file becomes read-only, is renamed into ``versions/`` and the link is
  replaced atomically (``rename``). A failed or killed writer never touches the link, so the
  served data stays exactly as it was; the next writer deletes its leftovers.
* Old snapshots are deleted after :data:`KEEP_MINUTES` (``LAB_KEEP_VERSIONS_MINUTES``);
  the newest :data:`KEEP_LAST` are always kept. A process that still has an old one open
  keeps reading it (the file disappears only from the folder).

A store can also be a plain DuckDB file (a copy, a backup, an older version of the
product): readers open it as it is, and the first writer turns it into the layout above.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

#: Minutes an old snapshot is kept after a newer one is published.
KEEP_MINUTES = 60.0
#: Snapshots always kept, however old.
KEEP_LAST = 2
KEEP_ENV = "LAB_KEEP_VERSIONS_MINUTES"
_VERSION_RE = re.compile(r"^v(\d{6,})\.duckdb$")


class StoreBusy(Exception):
    """Another process holds the store's writer lock; the message names it and says what to do."""


@dataclass(frozen=True)
class Layout:
    """The files of one store named ``path``."""

    path: Path

    @property
    def home(self) -> Path:
        """The store's folder: ``<path>.d``."""
        return self.path.with_name(self.path.name + ".d")

    @property
    def versions(self) -> Path:
        """Published snapshots."""
        return self.home / "versions"

    @property
    def tmp(self) -> Path:
        """Snapshots being written."""
        return self.home / "tmp"

    @property
    def published(self) -> Path:
        """Frozen quarter results."""
        return self.home / "published"

    @property
    def lock_file(self) -> Path:
        """The writer lock (holds the holder's description as JSON)."""
        return self.home / "writer.lock"

    @property
    def control(self) -> Path:
        """The control database (:mod:`analytics.control`)."""
        return self.home / "control.sqlite"


def layout(path: str | Path) -> Layout:
    """The layout of the store named ``path``."""
    return Layout(Path(path))


def is_managed(path: str | Path) -> bool:
    """True when ``path`` is a link to a published snapshot (not a plain file)."""
    return Path(path).is_symlink()


def current_file(path: str | Path) -> Path | None:
    """The snapshot file ``path`` points to now (the file itself for a plain store), or None."""
    p = Path(path)
    if p.is_symlink():
        target = p.parent / os.readlink(p)
        return target if target.exists() else None
    return p if p.exists() else None


def version_of(file: str | Path) -> int:
    """The version number of a snapshot file (0 for a plain store file)."""
    m = _VERSION_RE.match(Path(file).name)
    return int(m.group(1)) if m else 0


def current_version(path: str | Path) -> int:
    """The current version of the store (one ``readlink``; 0 for a plain file or none)."""
    try:
        return version_of(os.readlink(path))
    except OSError:
        return 0


def version_file(path: str | Path, version: int) -> Path:
    """Where snapshot ``version`` of the store lives."""
    return layout(path).versions / f"v{version:06d}.duckdb"


def _describe(holder: dict[str, object]) -> str:
    what = holder.get("purpose", "a writer")
    return (
        f"{what} (process {holder.get('pid', '?')} on {holder.get('host', '?')}, "
        f"started {holder.get('started_at', '?')}: {holder.get('command', '')})"
    )


class WriterLock:
    """The store's one-writer lock, held from :meth:`acquire` until :meth:`release`.

    Parameters
    ----------
    path
        The store.
    purpose
        Said to whoever finds the lock taken, e.g. ``"an import"``.
    wait
        Seconds to wait for another writer to finish before giving up (0: do not wait).
    """

    def __init__(self, path: str | Path, purpose: str, *, wait: float = 0.0) -> None:
        self.layout = layout(path)
        self.purpose = purpose
        self.wait = wait
        self._fd: int | None = None

    def acquire(self) -> WriterLock:
        """Take the lock or raise :class:`StoreBusy` naming its holder."""
        self.layout.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.layout.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + max(self.wait, 0.0)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = read_holder(self.layout.path)
                    os.close(fd)
                    raise StoreBusy(
                        f"The store {self.layout.path} is being changed by {_describe(holder)}. "
                        "Wait for it to finish and try again (or pass --wait SECONDS); "
                        "dashboards and analyses keep reading the current data meanwhile."
                    ) from None
                time.sleep(0.2)
        holder = {
            "purpose": self.purpose,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now().isoformat(sep=" ", timespec="seconds"),
            "command": " ".join(sys.argv)[:200],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Let the next writer in."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(path: str | Path) -> dict[str, object]:
    """What the lock file says about its holder (empty when nobody wrote one)."""
    try:
        text = layout(path).lock_file.read_text("utf-8")
        return dict(json.loads(text)) if text.strip() else {}
    except (OSError, ValueError):
        return {}


def writer_active(path: str | Path) -> bool:
    """True when some process holds the store's writer lock now."""
    lock_file = layout(path).lock_file
    if not lock_file.exists():
        return False
    fd = os.open(lock_file, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def clean_leftovers(path: str | Path) -> int:
    """Delete snapshots left half-written by a failed or killed writer; return how many.

    Call only while holding the writer lock (no writer is then running).
    """
    tmp = layout(path).tmp
    gone = 0
    if tmp.is_dir():
        for f in tmp.iterdir():
            f.unlink(missing_ok=True)
            gone += 1
    return gone


def new_work_file(path: str | Path) -> Path:
    """A fresh file name in the store's ``tmp/`` folder for a snapshot being written."""
    tmp = layout(path).tmp
    tmp.mkdir(parents=True, exist_ok=True)
    return tmp / f"{uuid.uuid4().hex}.duckdb"


def copy_current(path: str | Path, dest: Path) -> bool:
    """Copy the current snapshot to ``dest``; False when the store has no data yet."""
    src = current_file(path)
    if src is None:
        return False
    wal = Path(str(src) + ".wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreBusy(
            f"The store {path} has unsaved changes in {wal.name} from a program that did not close it. "
            f"Open it once with 'python -m analytics info --db {path}' after that program has stopped."
        )
    clone_or_copy(src, dest)
    dest.chmod(0o644)
    return True


#: Linux ioctl that makes ``dest`` share ``src``'s blocks (copy-on-write: XFS, Btrfs, ...).
_FICLONE = 0x40049409


def clone_or_copy(src: Path, dest: Path) -> str:
    """Copy ``src`` to ``dest``: a copy-on-write clone where the file system offers one (instant,
    no extra disk until pages change), else a plain copy. Returns ``"clone"`` or ``"copy"``."""
    if sys.platform.startswith("linux"):
        try:
            with src.open("rb") as fin, dest.open("wb") as fout:
                fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
            return "clone"
        except OSError:
            dest.unlink(missing_ok=True)
    shutil.copyfile(src, dest)
    return "copy"


def publish(path: str | Path, work_file: Path) -> int:
    """Make ``work_file`` (a closed, checkpointed DuckDB file) the store's current snapshot.

    The file becomes read-only and moves into ``versions/``; the link ``path`` is replaced
    atomically. Returns the new version number. Call only while holding the writer lock.
    """
    lay = layout(path)
    lay.versions.mkdir(parents=True, exist_ok=True)
    existing = [version_of(f) for f in lay.versions.iterdir()]
    version = max([current_version(path), *existing, 0]) + 1
    final = version_file(path, version)
    Path(str(work_file) + ".wal").unlink(missing_ok=True)
    work_file.chmod(0o444)
    os.replace(work_file, final)
    link_tmp = lay.home / f".link-{uuid.uuid4().hex}"
    os.symlink(os.path.relpath(final, lay.path.parent), link_tmp)
    os.replace(link_tmp, lay.path)  # atomic: readers see the old or the new snapshot, never neither
    _fsync_dir(lay.path.parent)
    _fsync_dir(lay.versions)
    return version


def prune(path: str | Path, *, keep_minutes: float | None = None, keep_last: int = KEEP_LAST) -> list[int]:
    """Delete snapshots older than ``keep_minutes`` beyond the newest ``keep_last``; return their versions."""
    if keep_minutes is None:
        try:
            keep_minutes = float(os.environ.get(KEEP_ENV, KEEP_MINUTES))
        except ValueError:
            keep_minutes = KEEP_MINUTES
    lay = layout(path)
    if not lay.versions.is_dir():
        return []
    files = sorted((f for f in lay.versions.iterdir() if version_of(f)), key=version_of)
    current = current_version(path)
    cutoff = time.time() - 60.0 * keep_minutes
    gone = []
    for f in files[:-keep_last] if keep_last else files:
        if version_of(f) == current:
            continue
        # a snapshot stops being current when the next one is published
        successor = version_file(path, version_of(f) + 1)
        replaced_at = successor.stat().st_mtime if successor.exists() else f.stat().st_mtime
        if replaced_at < cutoff:
            f.unlink(missing_ok=True)
            gone.append(version_of(f))
    return gone


def list_versions(path: str | Path) -> list[tuple[int, Path, float, int]]:
    """Every snapshot on disk: (version, file, modified time, bytes), oldest first."""
    lay = layout(path)
    if not lay.versions.is_dir():
        return []
    out = []
    for f in lay.versions.iterdir():
        v = version_of(f)
        if v:
            st = f.stat()
            out.append((v, f, st.st_mtime, st.st_size))
    return sorted(out)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
