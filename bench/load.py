"""Load and soak test: N browser sessions cycle through every page while a leader imports.

``python -m bench.load --leads 1000000 --sessions 20 --seconds 300 --import-rows 1000000``

- Starts the real server (``streamlit run app.py``) on a *copy* of the store (the import
  writes to it), opens ``--sessions`` separate browser contexts (separate Streamlit
  sessions) in one Chromium, and has each click through the sidebar pages in turn
  (each session starting at a different page) for ``--seconds``.
- A visit is an error when the app shows an exception box or an error alert, the browser
  logs a console / page error, or the page does not finish within ``--visit-timeout``.
  Render time = click on the page link -> the script run finished, nothing stale, and the
  last change to the page drawn (lazy charts included).
- After a third of the time one more session (the "leader") uploads a CSV of
  ``--import-rows`` new leads on the Data page and imports it. The new leads are all
  created and closed (lost) in the latest quarter, so the Overview's Leads and Conversion
  tiles of that quarter have exactly one value before the import and one after (computed
  by hand from the store's counts); every Overview read by every session must show one of
  the two pairs, never a mix or anything else. A last read after the run must show "after".
- Server memory (RSS): after warm-up, the peak (VmHWM), right after the sessions close,
  and after Streamlit's disconnected-session TTL (``--session-ttl``) has passed.

Prints a JSON report (and writes it with ``--out``). ``make soak`` runs the long variant;
tests/e2e/test_e2e_load.py runs a 5-session, 30-second one in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from analytics import lookups, overview
from analytics.access import Scope
from analytics.filters import Filters
from analytics.periods import Quarter
from analytics.store import Store
from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE_JS,
    ROOT,
    SETTLE_JS,
    VIEWPORT,
    AppPage,
    RunCounter,
    Server,
    Watch,
    app_pages,
)
from ui import format as fmt


def error_kind(message: str) -> str:
    """A short category for an error line ("selection changed", "timeout", "exception box", ...)."""
    for needle, kind in (
        ("selection changed", "selection changed by itself"),
        ("Timeout", "timeout"),
        ("exception box", "exception box"),
        ("error alert", "error alert"),
        ("console:", "console error"),
        ("page error", "page error"),
        ("request failed", "request failed"),
        ("error response", "error response"),
    ):
        if needle in message:
            return kind
    return "other"


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]


# -- the import and what readers may see ----------------------------------------------------
@dataclass(frozen=True)
class ImportPlan:
    """The CSV to import and the Overview tiles (Leads, Conversion rate) before and after it."""

    csv_path: Path
    rows: int
    quarter: str
    before: tuple[str, str]
    after: tuple[str, str]


def plan_import(store: Store, rows: int, folder: Path) -> ImportPlan:
    """Write ``rows`` new lost leads in the latest quarter; derive the tiles before and after."""
    quarter = lookups.quarters(store)[-1]
    q = Quarter.parse(quarter)
    k = overview.kpis(store, Filters.for_quarter(quarter), Scope.leader()).current
    rep = store.query(
        "SELECT r.rep_id, t.region_id FROM reps AS r JOIN teams AS t USING (team_id) ORDER BY r.rep_id LIMIT 1"
    ).iloc[0]
    days = (q.end - q.start).days
    path = folder / "load_import_leads.csv"
    rnd = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lead_id", "created_at", "source", "region_id", "segment", "rep_id", "status", "closed_at"])
        for i in range(rows):
            created = q.start + timedelta(days=rnd.randrange(days // 2))
            closed = min(created + timedelta(days=rnd.randrange(1, days // 2)), q.end)
            w.writerow(
                [
                    f"LOAD{i:09d}",
                    created.isoformat(),
                    "website",
                    rep["region_id"],
                    "smb",
                    rep["rep_id"],
                    "lost",
                    closed.isoformat(),
                ]
            )
    before = (fmt.count(k.leads, lang="en"), fmt.percent(k.conversion_rate, lang="en"))
    after = (fmt.count(k.leads + rows, lang="en"), fmt.percent(k.won / (k.closed + rows), lang="en"))
    return ImportPlan(path, rows, quarter, before, after)


# -- one session ------------------------------------------------------------------------------
@dataclass
class Stats:
    """What all sessions saw."""

    visits: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reads: list[dict[str, Any]] = field(default_factory=list)
    import_result: dict[str, Any] = field(default_factory=dict)


async def new_page(browser: Any) -> tuple[Any, Any, Watch]:
    ctx = await browser.new_context(viewport=VIEWPORT, locale="en-US", accept_downloads=True)
    page = await ctx.new_page()
    RunCounter.attach(page)
    return ctx, page, Watch.attach(page)


async def wait_runs(page: Any, n: int, timeout_ms: float) -> None:
    """Wait until ``n`` script runs have finished for ``page`` and its DOM is idle (harness.wait_idle)."""
    counter = RunCounter.of(page)
    deadline = time.monotonic() + timeout_ms / 1000
    while counter.finished < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no script run finished within {timeout_ms / 1000:.0f}s ({counter.finished} of {n})")
        await asyncio.sleep(0.02)
    await page.wait_for_function(IDLE_JS, timeout=max(deadline - time.monotonic(), 1) * 1000, polling=20)


async def settle(page: Any, quiet_ms: float = 300, limit_ms: float = 15_000) -> float:
    """Async twin of harness.settle: seconds until the last DOM change, once nothing loads."""
    counter = RunCounter.of(page)
    waited, last = 0.0, 0.0
    while True:
        spent, changed = await page.evaluate(SETTLE_JS, [quiet_ms, limit_ms])
        if changed > 0:
            last = waited + changed
        waited += spent
        if counter.inflight <= 0 or waited >= limit_ms:
            return last / 1000


async def problems(page: Any, watch: Watch, seen: int) -> list[str]:
    """Exception boxes, error alerts, and browser errors since index ``seen`` of watch.errors()."""
    out = [f"exception box: {x[:300]}" for x in await page.get_by_test_id("stException").all_inner_texts()]
    out += [f"error alert: {x[:300]}" for x in await page.get_by_test_id("stAlertContentError").all_inner_texts()]
    out += watch.errors()[seen:]
    return out


async def read_tiles(page: Any) -> tuple[str, str]:
    """The Overview's Leads and Conversion rate values."""
    vals = {}
    for m in await page.get_by_test_id("stMetric").all():
        try:
            label = (await m.get_by_test_id("stMetricLabel").inner_text(timeout=2_000)).strip()
            vals[label] = (await m.get_by_test_id("stMetricValue").inner_text(timeout=2_000)).strip()
        except Exception:  # a tile replaced while being read; the caller reads again
            continue
    return vals.get("Leads", "?"), vals.get("Conversion rate", "?")


async def read_tiles_settled(page: Any, limit_s: float = 60) -> tuple[str, str]:
    """read_tiles once both tiles are present and two reads 0.25 s apart agree.

    Right after a run ends on a loaded machine a tile can be mid-replacement; reading once
    then yields a missing value that says nothing about the data.
    """
    deadline, last = time.monotonic() + limit_s, ("?", "?")
    while True:
        tiles = await read_tiles(page)
        if ("?" not in tiles and tiles == last) or time.monotonic() > deadline:
            return tiles
        last = tiles
        await asyncio.sleep(0.25)


async def session(
    i: int,
    browser: Any,
    url: str,
    pages: list[AppPage],
    stop_at: float,
    stats: Stats,
    visit_timeout_ms: float,
    think_s: float = 1.0,
) -> None:
    """Click through the pages (starting at page ``i``) until ``stop_at``."""
    ctx, page, watch = await new_page(browser)
    try:
        try:
            await page.goto(url + "/", wait_until="domcontentloaded", timeout=visit_timeout_ms)
            await wait_runs(page, 1, visit_timeout_ms)
        except Exception as exc:
            stats.errors.append(f"session {i} opening the app: {type(exc).__name__}: {str(exc)[:200]}")
            return
        start_query = next((q for q in page.url.split("?")[-1].split("&") if q.startswith("quarter=")), "")
        k, current = i % len(pages), pages[0]
        while time.monotonic() < stop_at:
            target = pages[k]
            k = (k + 1) % len(pages)
            if target == current:  # clicking the page already shown runs nothing
                continue
            current = target
            link = page.get_by_test_id("stSidebarNavLink").filter(has=page.get_by_text(target.title, exact=True))
            seen = len(watch.errors())
            runs = RunCounter.of(page).finished
            t0 = time.perf_counter()
            try:
                await link.click(timeout=visit_timeout_ms)
                await wait_runs(page, runs + 1, visit_timeout_ms)
                seconds = time.perf_counter() - t0 + await settle(page)
            except Exception as exc:  # a timeout is an error of the app under load
                stats.errors.append(f"session {i} {target.name}: {type(exc).__name__}: {str(exc)[:200]}")
                continue
            stats.visits.append({"session": i, "page": target.name, "seconds": seconds, "at": time.time()})
            # Nobody touches the filters, so the URL must keep the quarter the session opened with.
            if start_query and start_query not in page.url:
                stats.errors.append(f"session {i} {target.name}: the selection changed by itself: {page.url}")
            found = await problems(page, watch, seen)
            stats.errors += [f"session {i} {target.name}: {p}" for p in found]
            if target.default:
                await page.get_by_test_id("stMetricValue").first.wait_for(timeout=visit_timeout_ms)
                stats.reads.append(
                    {"session": i, "at": time.time(), "tiles": await read_tiles_settled(page), "url": page.url}
                )
            await asyncio.sleep(think_s)  # a person reads the page before the next click
    finally:
        await ctx.close()


async def importer(browser: Any, url: str, plan: ImportPlan, start_at: float, stats: Stats, timeout_ms: float) -> None:
    """The leader: wait until ``start_at``, then upload and import the CSV on the Data page."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    ctx, page, watch = await new_page(browser)
    res = stats.import_result
    step = "open /data"
    t_step = time.perf_counter()
    res["steps"] = {}

    def done(name: str) -> None:
        nonlocal step, t_step
        res["steps"][step] = round(time.perf_counter() - t_step, 3)
        step, t_step = name, time.perf_counter()

    try:
        await page.goto(url + "/data", wait_until="domcontentloaded", timeout=timeout_ms)
        await wait_runs(page, 1, timeout_ms)
        done("choose table")
        main = page.get_by_test_id("stMain")
        table = main.get_by_test_id("stSelectbox").filter(
            has=page.get_by_test_id("stWidgetLabel").get_by_text("Table", exact=True)
        )
        runs = RunCounter.of(page).finished
        await table.locator("input").first.click()
        await table.locator("input").first.fill("leads")
        await page.get_by_role("option", name="leads", exact=True).click()
        await wait_runs(page, runs + 1, timeout_ms)
        done("upload")
        uploader = main.get_by_test_id("stFileUploader").filter(
            has=page.get_by_test_id("stWidgetLabel").get_by_text("Files", exact=True)
        )
        await uploader.locator("input[type=file]").set_input_files(str(plan.csv_path), timeout=timeout_ms)
        button = main.get_by_role("button", name="Import", exact=True)
        await button.wait_for(timeout=timeout_ms)
        deadline = time.monotonic() + timeout_ms / 1000
        while not await button.is_enabled():  # enabled once the upload has reached the server
            if time.monotonic() > deadline:
                raise TimeoutError("the Import button never became enabled")
            await asyncio.sleep(0.1)
        done("import")
        res["started"] = time.time()
        await button.click()
        alert = main.get_by_test_id("stAlert").filter(has_text="stored")
        await alert.wait_for(timeout=max(timeout_ms, 1_800_000))
        res["finished"] = time.time()
        res["import_s"] = res["finished"] - res["started"]
        done("result")
        res["message"] = (await alert.inner_text()).strip()
        res["rows_per_s"] = plan.rows / res["import_s"]
        found = await problems(page, watch, 0)
        stats.errors += [f"importer: {p}" for p in found]
    except Exception as exc:
        stats.errors.append(f"importer, step '{step}': {type(exc).__name__}: {str(exc)[:300]}")
    finally:
        await ctx.close()


async def final_read(browser: Any, url: str) -> tuple[str, str]:
    """A new session's Overview tiles after everything."""
    ctx, page, _ = await new_page(browser)
    try:
        await page.goto(url + "/", wait_until="domcontentloaded")
        await wait_runs(page, 1, 300_000)
        await page.get_by_test_id("stMetricValue").first.wait_for()
        return await read_tiles_settled(page)
    finally:
        await ctx.close()


async def drive(srv: Server, pages: list[AppPage], args: argparse.Namespace, plan: ImportPlan | None) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    stats = Stats()
    report: dict[str, Any] = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        # Warm-up: one session opens the app first (imports, store, caches).
        report["warmup_tiles"] = await final_read(browser, srv.url)
        report["rss_start_mb"] = srv.rss() / 2**20
        t0 = time.monotonic()
        stop_at = t0 + args.seconds
        jobs = [
            session(i, browser, srv.url, pages, stop_at, stats, args.visit_timeout * 1000, args.think)
            for i in range(args.sessions)
        ]
        if plan is not None:
            jobs.append(importer(browser, srv.url, plan, t0 + args.seconds / 3, stats, args.visit_timeout * 1000))
        peak = 0.0

        async def sample() -> None:
            nonlocal peak
            while time.monotonic() < stop_at + 5:
                peak = max(peak, srv.rss() / 2**20)
                await asyncio.sleep(1)

        await asyncio.gather(*jobs, sample())
        report["wall_s"] = time.monotonic() - t0
        report["rss_end_mb"] = srv.rss() / 2**20
        report["rss_peak_sampled_mb"] = peak
        if plan is not None:
            report["final_tiles"] = await final_read(browser, srv.url)
        await browser.close()
    # Streamlit keeps a closed tab's session for server.disconnectedSessionTTL seconds.
    time.sleep(args.session_ttl + args.settle)
    report["rss_after_ttl_mb"] = srv.rss() / 2**20
    report["rss_hwm_mb"] = srv.peak_rss() / 2**20

    secs = [v["seconds"] for v in stats.visits]
    per_page: dict[str, list[float]] = {}
    for v in stats.visits:
        per_page.setdefault(v["page"], []).append(v["seconds"])
    report.update(
        {
            "sessions": args.sessions,
            "visit_sessions": sorted({v["session"] for v in stats.visits}),
            "seconds": args.seconds,
            "visits": len(secs),
            "errors": len(stats.errors),
            "errors_by_kind": dict(Counter(error_kind(e) for e in stats.errors)),
            "error_samples": stats.errors[:20],
            "render_median_s": statistics.median(secs) if secs else float("nan"),
            "render_p95_s": p95(secs),
            "render_max_s": max(secs) if secs else float("nan"),
            "per_page": {
                k: {"n": len(v), "median_s": statistics.median(v), "p95_s": p95(v)} for k, v in per_page.items()
            },
        }
    )
    if plan is not None:
        # Reads of sessions whose quarter changed by itself (reported as errors above) show
        # another quarter's numbers; the before/after check applies to the import's quarter.
        kinds = {"before": 0, "after": 0, "mixed": 0, "other_quarter": 0}
        mixed = []
        for r in stats.reads:
            tiles = tuple(r["tiles"])
            if f"quarter={plan.quarter}" not in r["url"]:
                kinds["other_quarter"] += 1
                continue
            kind = "before" if tiles == plan.before else "after" if tiles == plan.after else "mixed"
            kinds[kind] += 1
            if kind == "mixed":
                mixed.append(r)
        report["import"] = {
            **stats.import_result,
            "rows": plan.rows,
            "quarter": plan.quarter,
            "before": plan.before,
            "after": plan.after,
        }
        report["reads"] = {
            **kinds,
            "mixed_samples": mixed[:10],
            "final_is_after": tuple(report["final_tiles"]) == plan.after,
        }
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--db", help="store to copy and serve (default: the bench demo store of --leads)")
    src.add_argument("--leads", type=int, default=1_000_000, help="bench demo store size (built once, cached)")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--seconds", type=float, default=300)
    p.add_argument("--import-rows", type=int, default=1_000_000, help="0: no import")
    p.add_argument("--session-ttl", type=int, default=120, help="server.disconnectedSessionTTL (Streamlit default 120)")
    p.add_argument("--settle", type=float, default=15, help="extra seconds after the TTL before the last RSS reading")
    p.add_argument("--visit-timeout", type=float, default=120, help="seconds one page may take before it is an error")
    p.add_argument("--think", type=float, default=1.0, help="seconds a session waits on a page before the next click")
    p.add_argument("--out", help="write the JSON report here")
    p.add_argument("--log", help="write the server's output here (default: a temporary file)")
    p.add_argument("--app-dir", default=None, help="serve the app.py of another checkout (to try out a fix)")
    args = p.parse_args(argv)

    if args.db:
        source = Path(args.db)
    else:
        from bench.__main__ import demo_store

        source = demo_store(args.leads)
    with tempfile.TemporaryDirectory(prefix="lab-load-") as tmp:
        folder = Path(tmp)
        db = folder / "load.duckdb"
        shutil.copyfile(source, db)
        plan = None
        with Store(db) as store:  # also applies pending migrations before the server opens it
            if args.import_rows > 0:
                plan = plan_import(store, args.import_rows, folder)
            n_leads = int(store.scalar("SELECT count(*) FROM leads"))
        pages = app_pages()
        srv = Server(
            db,
            log_path=Path(args.log) if args.log else folder / "server.log",
            session_ttl=args.session_ttl,
            app_dir=Path(args.app_dir) if args.app_dir else ROOT,
        )
        srv.start()
        try:
            report = asyncio.run(drive(srv, pages, args, plan))
        finally:
            srv.stop()
            log_tail = srv.log_tail(3000)
        report["store_leads"] = n_leads
        report["pages"] = [pg.name for pg in pages]
        report["date"] = date.today().isoformat()
        if report["errors"]:
            report["server_log_tail"] = log_tail
    text = json.dumps(report, indent=1, ensure_ascii=False, default=str)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
