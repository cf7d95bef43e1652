"""The Data page in a real browser: upload a CSV with bad rows, import it, read the
summary, download the rejects, and see the stored rows on the Overview.

Runs on its own server and its own copy of the demo store, so the import changes nothing
the other tests read.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from analytics import overview
from analytics.access import Scope
from analytics.filters import Filters
from tests.e2e.conftest import screenshot, start_server, warm_up
from tests.e2e.harness import Watch, choose, goto, labelled, metric_values, rerun
from ui import format as fmt

pytestmark = pytest.mark.e2e

#: Three good leads (created in 2025Q3, region R01, one of them closed lost) and five bad
#: rows; the comment after each row is the reason the importer must give (line = file line).
ROWS = [
    ("E2E0001", "2025-08-01", "website", "R01", "smb", "S00001", "open", ""),  # line 2: stored
    ("E2E0002", "2025-08-02", "website", "R01", "smb", "S00001", "lost", "2025-08-20"),  # line 3: stored
    ("E2E0003", "not-a-date", "website", "R01", "smb", "S00001", "open", ""),  # line 4: bad date
    ("E2E0004", "2025-08-03", "website", "R99", "smb", "S00001", "open", ""),  # line 5: unknown region
    ("E2E0005", "2025-08-04", "website", "R01", "smb", "S00001", "open", ""),  # line 6: stored
    ("E2E0006", "2025-08-05", "website", "R01", "smb", "NOBODY", "open", ""),  # line 7: unknown rep
    ("E2E0007", "2025-08-06", "website", "R01", "smb", "S00001", "maybe", ""),  # line 8: bad status
    ("E2E0001", "2025-08-07", "website", "R01", "smb", "S00001", "open", ""),  # line 9: duplicate id
]
REJECTED = {
    4: "created_at",
    5: "region_id 'R99'",
    7: "rep_id 'NOBODY'",
    8: "status 'maybe'",
    9: "duplicate lead_id 'E2E0001'",
}


@pytest.fixture(scope="module")
def import_server(e2e_reference: Path, tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Any:
    srv = start_server(e2e_reference, tmp_path_factory.mktemp("import"), "import")
    warm_up(browser, srv)
    yield srv
    srv.stop()


def test_import_a_csv_with_bad_rows_and_download_the_rejects(
    import_server: Any, page: Any, watch: Watch, ref_store: Any, tmp_path: Path
) -> None:
    upload = tmp_path / "new_leads.csv"
    with upload.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lead_id", "created_at", "source", "region_id", "segment", "rep_id", "status", "closed_at"])
        w.writerows(ROWS)

    goto(page, f"{import_server.url}/data")
    main = page.get_by_test_id("stMain")
    rerun(page, lambda: choose(page, labelled(main, "stSelectbox", "Table"), "leads"))
    uploader = labelled(main, "stFileUploader", "Files")
    rerun(page, lambda: uploader.locator("input[type=file]").set_input_files(str(upload)))
    expect(uploader).to_contain_text("new_leads.csv")
    button = main.get_by_role("button", name="Import", exact=True)
    expect(button).to_be_enabled()
    rerun(page, button.click)
    expect(main.get_by_test_id("stAlert").filter(has_text="read")).to_have_text("leads: read 8, stored 3, rejected 5.")
    screenshot(page, "flow_data_import_rejects")

    with page.expect_download() as info:
        main.get_by_test_id("stDownloadButton").get_by_role("button", name="Download rejected rows (CSV)").click()
    download = info.value
    assert download.suggested_filename == "leads.rejects.csv"
    saved = tmp_path / "rejects.csv"
    download.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as fh:
        rejects = list(csv.DictReader(fh))
    assert [int(r["line"]) for r in rejects] == sorted(REJECTED)
    for r in rejects:
        assert REJECTED[int(r["line"])] in r["reason"], r
        assert r["file"] == "new_leads.csv"
    # Each rejected row comes back with its original values, ready to fix and re-import.
    assert [r["lead_id"] for r in rejects] == [ROWS[line - 2][0] for line in sorted(REJECTED)]
    assert not watch.errors(), watch.errors()

    # The three good rows are stored: the Overview (a new session) counts them at once.
    f = Filters.for_quarter("2025Q3", region_ids=("R01",))
    before = overview.kpis(ref_store, f, Scope.leader()).current
    goto(page, f"{import_server.url}/?quarter=2025Q3&region=R01")
    shown = metric_values(page)
    assert shown["Leads"] == fmt.count(before.leads + 3, lang="en")
    assert shown["Conversion rate"] == fmt.percent(before.won / (before.closed + 1), lang="en")


@pytest.fixture(scope="module")
def small_limit_server(e2e_reference: Path, tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Any:
    """The app with a 1 MB upload limit (production uses 200 MB, .streamlit/config.toml)."""
    srv = start_server(
        e2e_reference, tmp_path_factory.mktemp("limit"), "limit", extra_args=("--server.maxUploadSize", "1")
    )
    warm_up(browser, srv)
    yield srv
    srv.stop()


def test_a_file_over_the_upload_limit_is_refused_with_a_message(
    small_limit_server: Any, page: Any, ref_store: Any, tmp_path: Path
) -> None:
    big = tmp_path / "too_big.csv"
    big.write_text("lead_id,created_at\n" + "L,2025-01-01\n" * 120_000, encoding="utf-8")  # ~1.6 MB
    goto(page, f"{small_limit_server.url}/data")
    main = page.get_by_test_id("stMain")
    uploader = labelled(main, "stFileUploader", "Files")
    uploader.locator("input[type=file]").set_input_files(str(big))
    expect(uploader).to_contain_text("File must be 1.0MB or smaller.")
    expect(main.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    counts = ref_store.table_counts()
    assert counts["leads"] > 0  # the reference store is untouched; nothing reached the server
