"""A short load test in CI: 5 browser sessions cycle through every page for 30 s on the
demo store while a leader imports 2,000 leads (bench/load.py; `make soak` is the long one)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import ARTIFACTS, copy_store, record
from tests.e2e.harness import ROOT, app_pages, python_exe

pytestmark = pytest.mark.e2e

SESSIONS, SECONDS, IMPORT_ROWS, TTL = 5, 30, 2_000, 5
#: Server memory may grow this much from warm-up to after the sessions have closed (caches
#: of every page's results for the few filter states visited, on a 60k-lead store).
RSS_GROWTH_LIMIT_MB = 400


def test_five_sessions_for_thirty_seconds_with_an_import(e2e_reference: Path, tmp_path: Path) -> None:
    db = copy_store(e2e_reference, tmp_path / "load.duckdb")
    out = tmp_path / "load.json"
    cmd = [
        python_exe(),
        "-m",
        "bench.load",
        "--db",
        str(db),
        "--sessions",
        str(SESSIONS),
        "--seconds",
        str(SECONDS),
        "--import-rows",
        str(IMPORT_ROWS),
        "--session-ttl",
        str(TTL),
        "--settle",
        "5",
        "--out",
        str(out),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-ci.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    record(
        "load_ci",
        {
            k: report[k]
            for k in (
                "visits",
                "errors",
                "render_median_s",
                "render_p95_s",
                "rss_start_mb",
                "rss_end_mb",
                "rss_after_ttl_mb",
                "rss_hwm_mb",
            )
        },
    )

    assert report["errors"] == 0, (report["errors_by_kind"], report["error_samples"])
    assert report["pages"] == [p.name for p in app_pages()]
    # Every session got through at least one page (30 s on 2 shared cores is a few visits each;
    # every page's own load is checked by test_e2e_pages).
    assert len(set(report["visit_sessions"])) == SESSIONS, report["visit_sessions"]
    imp = report["import"]
    assert imp["message"] == f"leads: read {IMPORT_ROWS:,}, stored {IMPORT_ROWS:,}, rejected 0."
    reads = report["reads"]
    # Every Overview read saw the store wholly before or wholly after the import.
    assert reads["mixed"] == 0, reads["mixed_samples"]
    assert reads["final_is_after"], (report["final_tiles"], imp["after"])
    assert report["rss_after_ttl_mb"] - report["rss_start_mb"] < RSS_GROWTH_LIMIT_MB, report
