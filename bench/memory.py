"""Peak memory (RSS) of the server with a store loaded and every page visited.

``python -m bench.memory --db /path/to/d10m.duckdb`` (or ``--leads N`` for a bench store)

Copies the store (the server migrates it and writes its access log, and the source may
be shared), starts the real server on the copy, then one browser session opens the app
and clicks through every page of app.PAGES in order (after a first warm-up session).
Reports the server's resident memory at start (nothing loaded), after the first page
(store open), after each page, and its peak (the kernel's high-water mark VmHWM, so short
spikes between samples count), plus each page's time from click to drawn (script run
finished and the DOM still) and what it showed (title, charts, tiles, tables, notes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.e2e.harness import CHARTS, Server, app_pages, goto, launch_browser, new_context, rerun, settle

MB = 2**20


def visit(page: Any, srv: Server, go: Any) -> dict[str, Any]:
    """Open one page with ``go()`` (returns seconds to drawn); what it showed and the RSS after."""
    seconds = go()
    return {
        "seconds": seconds,
        "rss_mb": srv.rss() / MB,
        "title": (page.locator("h1").all_inner_texts() or [""])[0],
        "charts": page.locator(CHARTS).count(),
        "metrics": page.get_by_test_id("stMetric").count(),
        "tables": page.get_by_test_id("stDataFrame").count(),
        "exception_boxes": page.get_by_test_id("stException").count(),
        "notes": [x[:160] for x in page.get_by_test_id("stAlert").all_inner_texts()],
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--db", help="store to copy and serve (it is not modified)")
    src.add_argument("--leads", type=int, default=1_000_000, help="bench demo store size (built once, cached)")
    p.add_argument("--tmp", help="folder for the copy (default: the system's temporary folder)")
    p.add_argument("--page-timeout", type=float, default=1800, help="seconds one page may take")
    p.add_argument("--out", help="write the JSON report here")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if args.db:
        source = Path(args.db)
    else:
        from bench.__main__ import demo_store

        source = demo_store(args.leads)
    report: dict[str, Any] = {"store": str(source), "store_mb": source.stat().st_size / MB, "pages": []}
    timeout_ms = args.page_timeout * 1000
    with tempfile.TemporaryDirectory(prefix="lab-memory-", dir=args.tmp) as tmp:
        db = Path(tmp) / "memory.duckdb"
        t0 = time.perf_counter()
        shutil.copyfile(source, db)
        report["copy_s"] = time.perf_counter() - t0
        srv = Server(db, log_path=Path(tmp) / "server.log").start()
        try:
            report["rss_started_mb"] = srv.rss() / MB
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                # A first session opens the app first, so the timed visits start on a warm server.
                warm = new_context(browser)
                report["first_load_s"] = goto(warm.new_page(), srv.url + "/", timeout_ms)
                warm.close()
                page = new_context(browser).new_page()
                pages = app_pages()
                report["pages"].append(
                    {"page": pages[0].name, **visit(page, srv, lambda: goto(page, srv.url + "/", timeout_ms))}
                )
                report["rss_store_loaded_mb"] = srv.rss() / MB
                quarter = page.url.split("quarter=")[-1].split("&")[0]
                for pg in pages[1:]:
                    link = page.get_by_test_id("stSidebarNavLink").filter(has=page.get_by_text(pg.title, exact=True))
                    row = visit(page, srv, lambda link=link: rerun(page, link.click, timeout_ms) + settle(page))
                    row["quarter_kept"] = f"quarter={quarter}" in page.url
                    report["pages"].append({"page": pg.name, **row})
                    print(json.dumps(report["pages"][-1], ensure_ascii=False), flush=True)
                browser.close()
            report["rss_end_mb"] = srv.rss() / MB
            report["rss_peak_mb"] = srv.peak_rss() / MB
        finally:
            srv.stop()
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
