"""Cached data access for pages.

``get_store`` caches the one DuckDB instance per server (``st.cache_resource``);
:func:`run` caches the result of any analytics function on its arguments
(``st.cache_data``). Pages always pass the access scope, so two identities never share
a cache entry for scoped data, and the store's data version, so an import is seen at
once.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from analytics.store import Store

DB_ENV = "LAB_DB"
DEFAULT_DB = "data/demo.duckdb"
#: Cached results kept per function (oldest evicted first).
CACHE_ENTRIES = 128

T = TypeVar("T")


def db_path() -> str:
    """The store file this server serves (``$LAB_DB`` or data/demo.duckdb)."""
    return os.environ.get(DB_ENV, DEFAULT_DB)


@st.cache_resource(show_spinner=False)
def get_store(path: str) -> Store:
    """One shared store per file for the whole server."""
    return Store(Path(path))


def store() -> Store:
    """The store of this server."""
    return get_store(db_path())


def data_version() -> str:
    """Changes whenever data is imported, so cached results are recomputed."""
    s = store()
    return str(s.scalar("SELECT count(*) || '/' || coalesce(max(imported_at)::VARCHAR, '') FROM import_log"))


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _cached_call(
    fn_path: str, path: str, version: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
) -> Any:
    module, name = fn_path.split(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(get_store(path), *args, **dict(kwargs))


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
