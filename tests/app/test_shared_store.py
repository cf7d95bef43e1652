"""The dashboard on a store that other processes change: it never locks them out, and it
moves to a newly published version on its next run, showing which one it reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analytics import demo, snapshots
from analytics.store import Store
from tests.apptest import open_page
from tests.conftest import ROOT


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    path = tmp_path / "shared.duckdb"
    with Store(path) as w:
        demo.generate(w, seed=3, n_leads=2000)
    return path


def _captions(at) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def _region_rows(at) -> int:
    table = at.dataframe[0].value
    return int(table.loc[table.iloc[:, 0] == "regions"].iloc[0, 1].replace(",", ""))


def test_an_import_in_another_process_while_the_page_is_open_shows_on_the_next_run(small_db, tmp_path):
    at = open_page(small_db, "views/data.py")
    assert any(c.startswith("Data version 1, published ") for c in _captions(at))
    regions = _region_rows(at)
    csv = tmp_path / "regions.csv"
    csv.write_text("region_id,region_name\nRX1,New one\nRX2,New two\n", encoding="utf-8")
    res = subprocess.run(
        [sys.executable, "-m", "analytics", "import", "--db", str(small_db), "--table", "regions", str(csv)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr  # the open dashboard does not lock the import out
    info = subprocess.run(
        [sys.executable, "-m", "analytics", "info", "--db", str(small_db)], cwd=ROOT, capture_output=True, text=True
    )
    assert info.returncode == 0 and f'"regions": {regions + 2}' in info.stdout
    at.run()
    assert not at.exception
    assert any(c.startswith("Data version 2, published ") for c in _captions(at))
    assert _region_rows(at) == regions + 2
    log = at.dataframe[1].value  # the run log, newest first
    assert log.iloc[0].tolist()[:3] == ["import", "cli", "ok"]


def test_a_session_pinned_to_a_deleted_version_reads_the_current_one(small_db, monkeypatch):
    import streamlit as st

    from ui import data

    monkeypatch.setenv(data.DB_ENV, str(small_db))
    assert data.pin_version() == 1
    with Store(small_db) as w:
        w.execute("INSERT INTO regions VALUES ('RX9', 'Later')")
    assert data.store().version == 1  # a rerun keeps reading the version its full run pinned
    assert data.data_version() == "v1"
    with Store(small_db) as w:
        w.execute("INSERT INTO regions VALUES ('RX8', 'Later still')")
    assert snapshots.prune(small_db, keep_minutes=0, keep_last=1) == [1, 2]
    data.get_store.clear()  # as when the server evicted version 1
    assert data.store().version == 3 and data.pinned_version() == 3
    st.session_state.clear()
