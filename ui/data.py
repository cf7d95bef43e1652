"""Cached data access for pages.

The server reads the store's immutable snapshots (analytics/snapshots.py) read-only, so
imports, the CLI and other server processes work on the same store meanwhile. Each full run
of a session *pins* the snapshot version current at its start (:func:`pin_version`); every
query of that run, and of the fragment reruns that follow it, reads that one version, so a
page never mixes data from before and after an import. The next full run pins the newer
version. ``get_store`` caches one read-only DuckDB instance per version
(``st.cache_resource``); :func:`run` caches the result of any analytics function on its
arguments and the version (``st.cache_data``). Pages always pass the access scope, so two
identities never share a cache entry for scoped data.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from analytics import snapshots
from analytics.store import SchemaOutdated, Store, StoreError

DB_ENV = "LAB_DB"
DEFAULT_DB = "data/demo.duckdb"
#: Cached results kept per function (oldest evicted first).
CACHE_ENTRIES = 128
#: Snapshot versions kept open at once by one server process.
OPEN_VERSIONS = 3
_PIN_KEY = "_data_version"

T = TypeVar("T")


def db_path() -> str:
    """The store file this server serves (``$LAB_DB`` or data/demo.duckdb)."""
    return os.environ.get(DB_ENV, DEFAULT_DB)


@st.cache_resource(show_spinner=False, max_entries=OPEN_VERSIONS)
def get_store(path: str, version: int = 0) -> Store:
    """One shared read-only store per snapshot version for the whole server (0: the current file)."""
    try:
        return Store(Path(path), read_only=True, version=version or None)
    except SchemaOutdated:
        with Store(Path(path), purpose="a schema upgrade"):  # a store from an older version of the product
            pass
        return Store(Path(path), read_only=True)


def current_version() -> int:
    """The snapshot version the store points to now (one readlink; 0 for a plain file)."""
    return snapshots.current_version(db_path())


def pin_version() -> int:
    """Pin this run (and the fragment reruns after it) to the store's current version."""
    version = current_version()
    st.session_state[_PIN_KEY] = version
    return version


def pinned_version() -> int:
    """The version this session's run reads (pinned now if nothing is pinned yet)."""
    version = st.session_state.get(_PIN_KEY)
    return pin_version() if version is None else int(version)


def store() -> Store:
    """The store of this run: the snapshot version pinned for it."""
    version = pinned_version()
    try:
        return get_store(db_path(), version)
    except StoreError:
        if version == current_version():
            raise
        return get_store(db_path(), pin_version())  # the pinned snapshot was pruned: read the current one


def data_version() -> str:
    """Identifies the data a run reads, so cached results are recomputed after an import."""
    version = pinned_version()
    if version:
        return f"v{version}"
    s = store()  # a plain store file: no snapshot versions, use its import log
    return str(s.scalar("SELECT count(*) || '/' || coalesce(max(imported_at)::VARCHAR, '') FROM import_log"))


def version_stamp() -> tuple[int, str | None]:
    """The version this run reads and when it was published (None when unknown)."""
    version = pinned_version()
    if not version:
        return 0, None
    when = store().control.scalar("SELECT created_at FROM versions WHERE version = ?", [version])
    return version, str(when)[:16] if when else None


def _store_of(path: str, version: str) -> Store:
    """The store a :func:`data_version` string names (``v7``: snapshot 7)."""
    return get_store(path, int(version[1:]) if version.startswith("v") else 0)


def writer(purpose: str) -> Store:
    """A writer on this server's store (close it to publish; see analytics/store.py)."""
    return Store(Path(db_path()), purpose=purpose)


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _cached_call(
    fn_path: str, path: str, version: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> Any:
    module, name = fn_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(_store_of(path, version), *args, **dict(kwargs))


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(store, *args, **kwargs)`` through the result cache.

    ``fn`` must be a module-level analytics function; its arguments (filters, scope,
    options) must be hashable values. The scope is one of them by convention.
    """
    key = f"{fn.__module__}:{fn.__qualname__}"
    return _cached_call(key, db_path(), data_version(), args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _cached_with(
    fn_path: str, key: tuple[Any, ...], _obj: Any, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> Any:
    module, name = fn_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(_obj, *args, **dict(kwargs))


def run_with(key: tuple[Any, ...], fn: Callable[..., T], obj: Any, *args: Any, **kwargs: Any) -> T:
    """Call ``fn(obj, *args, **kwargs)`` through the result cache, keyed on ``key`` instead of ``obj``.

    For functions over a large loaded object (e.g. the incentive engine's inputs) that would be
    slow to hash: ``key`` must identify ``obj`` completely, and it must include the scope. The
    store file and its data version are added to the key.
    """
    fn_path = f"{fn.__module__}:{fn.__qualname__}"
    full_key = (db_path(), data_version(), *key)
    return _cached_with(fn_path, full_key, obj, args, tuple(sorted(kwargs.items())))
