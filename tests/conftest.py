"""Shared fixtures: a small deterministic demo store (built once per test process),
and fresh empty stores."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from analytics import demo
from analytics.cli import common as cli
from analytics.store import Store

ROOT = Path(__file__).resolve().parents[1]
#: Size of the shared demo store used by most tests (seconds to build).
DEMO_LEADS = 60_000
DEMO_SEED = 11


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a demo store file with DEMO_LEADS leads (built once per test process)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(path) as s:
        demo.generate(s, seed=DEMO_SEED, n_leads=DEMO_LEADS)
    return path


@pytest.fixture(scope="session")
def demo_store(demo_db_path: Path) -> Store:
    """The shared demo store, opened once read-only (its control database is writable)."""
    store = Store(demo_db_path, read_only=True)
    yield store
    store.close()


@pytest.fixture(scope="session")
def planted(demo_store: Store) -> dict:
    """The planted effects recorded in the shared demo store."""
    return json.loads(demo_store.info()["planted"])


@pytest.fixture
def empty_store() -> Store:
    """A fresh, migrated, empty in-memory store."""
    store = Store(":memory:")
    yield store
    store.close()


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable:
    """Run ``python -m analytics`` in-process with only the import commands registered."""
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("analytics.cli.ingest",))

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
