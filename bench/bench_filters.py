"""In the real browser: time from changing a sidebar filter to the updated Overview being drawn.

``python -m bench.bench_filters --leads 1000000 [--moves 24] [--out FILE]``

The filter half of the browser benchmarks (the sliders, timed against Streamlit's floor, are
in :mod:`bench.bench_browser`). Serves a copy of the bench demo store with the real app and
drives one Chromium session:

- **quarter**: on the Overview, pick another quarter in the sidebar (cycling through all
  quarters, so the first pass is computed and later passes come from the result cache);
- **region**: add a region to the sidebar filter, then remove it again (alternating).

A move is timed from the click that changes the value to the moment the server has finished
the run it caused *and* the page's charts have been redrawn with different content (the
harness's detector: ECharts data, Plotly SVG, or every canvas pixel), checked every animation
frame; ``first_chart`` is the key or pointer press to the first frame in which the Overview's
revenue curve is redrawn. Each move is labelled ``cold`` (computed) or ``warm`` (cached).
Target (issue #9): P95 under 1 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from analytics import lookups
from analytics.store import Store
from tests.e2e.harness import (
    CHART_DRAWING_JS,
    CHART_SIGNATURE_JS,
    CHARTS,
    IDLE_JS,
    RunCounter,
    Server,
    goto,
    labelled,
    launch_browser,
    new_context,
    settle,
    sidebar,
)

TARGET_S = {"quarter": 1.0, "region": 1.0}


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]


#: Watches the first chart on the page: records (page clock) when the next key press or pointer
#: press happens and the first animation frame after it in which that chart's drawing differs.
FIRST_CHART_WATCH_JS = (
    """(sel) => {
  const drawing = """
    + CHART_DRAWING_JS
    + """;
  const sig = () => {
    const root = document.querySelector(sel);
    return root ? String(drawing(root)) : '';
  };
  const w = window.__labFirstChart = {act: null, first: null, before: sig()};
  const mark = () => { if (w.act === null) w.act = performance.now(); };
  document.addEventListener('keydown', mark, {capture: true, once: true});
  document.addEventListener('pointerdown', mark, {capture: true, once: true});
  const tick = () => {
    if (w.act !== null && sig() !== w.before) { w.first = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
)


def timed_move(page: Any, act: Any, charts: str = CHARTS, timeout_s: float = 120.0) -> tuple[float, float, float]:
    """Seconds from ``act()`` to: its script run finished, the charts redrawn, the page idle.

    Returns ``(total, run, first_chart)``: ``run`` is the part until the browser received the
    server's "run finished" message (the key press or click reaching the server, the script,
    the deltas sent and taken in by the page); the rest is the browser drawing what it
    received. ``first_chart`` is measured in the page, from the key or pointer press to the
    first frame in which the page's first chart is redrawn (the result next to the control).
    """
    before = page.evaluate(CHART_SIGNATURE_JS, charts)
    page.evaluate(FIRST_CHART_WATCH_JS, charts)
    counter = RunCounter.of(page)
    runs = counter.finished
    t0 = time.perf_counter()
    act()
    deadline = t0 + timeout_s
    while counter.finished <= runs:
        if time.perf_counter() > deadline:
            raise TimeoutError("the move caused no script run")
        page.wait_for_timeout(5)
    run_s = time.perf_counter() - t0
    page.wait_for_function(
        "([sel, before]) => { const f = " + CHART_SIGNATURE_JS + "; const now = f(sel);"
        " return now !== '' && now !== before && (" + IDLE_JS + ")(); }",
        arg=[charts, before],
        polling="raf",
        timeout=max(deadline - time.perf_counter(), 1) * 1000,
    )
    total = time.perf_counter() - t0
    w = page.evaluate("() => window.__labFirstChart")
    first = (w["first"] - w["act"]) / 1000 if w and w.get("first") is not None and w.get("act") is not None else total
    return total, run_s, first


def summary(name: str, moves: list[dict[str, Any]]) -> dict[str, Any]:
    secs = [m["seconds"] for m in moves]
    out: dict[str, Any] = {
        "case": name,
        "moves": len(secs),
        "median_s": statistics.median(secs),
        "p95_s": p95(secs),
        "max_s": max(secs),
        "run_median_s": statistics.median(m["run_s"] for m in moves),
        "first_chart_median_s": statistics.median(m["first_chart_s"] for m in moves),
        "first_chart_p95_s": p95([m["first_chart_s"] for m in moves]),
        "target_p95_s": TARGET_S[name],
    }
    for kind in ("cold", "warm"):
        ks = [m["seconds"] for m in moves if m["kind"] == kind]
        if ks:
            out[f"{kind}_n"], out[f"{kind}_median_s"], out[f"{kind}_p95_s"] = len(ks), statistics.median(ks), p95(ks)
    out["meets_target"] = out["p95_s"] < TARGET_S[name]
    out["first_chart_meets_target"] = out["first_chart_p95_s"] < TARGET_S[name]
    return out


def quarter_moves(page: Any, url: str, quarters: list[str], n: int, seen: set[tuple[Any, ...]]) -> list[dict[str, Any]]:
    goto(page, url + "/")
    box = labelled(sidebar(page), "stSelectbox", "Quarter").locator("input").first
    current = box.input_value()
    order = [q for q in reversed(quarters) if q != current]
    out = []
    for i in range(n):
        q = order[i % len(order)]
        if q == current:
            q = order[(i + 1) % len(order)]
        box.click()
        box.fill(q)
        option = page.get_by_role("option", name=q, exact=True)
        option.wait_for()
        key = ("quarter", q, ())
        kind = "warm" if key in seen else "cold"
        secs, run_s, first_s = timed_move(page, option.click)
        seen.add(key)
        if box.input_value() != q:
            raise RuntimeError(f"the quarter shows {box.input_value()} after choosing {q}")
        out.append({"value": q, "seconds": secs, "run_s": run_s, "first_chart_s": first_s, "kind": kind})
        current = q
        settle(page, 150)
    return out


def region_moves(
    page: Any, url: str, quarter: str, regions: list[tuple[str, str]], n: int, seen: set[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    goto(page, f"{url}/?quarter={quarter}")
    widget = labelled(sidebar(page), "stMultiSelect", "Region")
    out = []
    for i in range(n):
        rid, label = regions[(i // 2) % len(regions)]
        if i % 2 == 0:  # add the region
            box = widget.locator("input").first
            box.click()
            box.fill(label)
            option = page.get_by_role("option", name=label, exact=True)
            option.wait_for()
            act, key = option.click, ("region", quarter, (rid,))
        else:  # remove it again
            act, key = widget.get_by_role("button", name=f"Remove {label}").click, ("region", quarter, ())
        kind = "warm" if key in seen else "cold"
        secs, run_s, first_s = timed_move(page, act)
        seen.add(key)
        out.append(
            {
                "value": ("+" if i % 2 == 0 else "-") + rid,
                "seconds": secs,
                "run_s": run_s,
                "first_chart_s": first_s,
                "kind": kind,
            }
        )
        page.keyboard.press("Escape")
        settle(page, 150)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_filters", description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--db", help="store to copy and serve (default: the bench demo store of --leads)")
    src.add_argument("--leads", type=int, default=1_000_000)
    p.add_argument("--moves", type=int, default=24, help="moves per case (at least 20 for the P95)")
    p.add_argument("--cases", default="quarter,region")
    p.add_argument("--out", help="write the JSON report here")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if args.db:
        source = Path(args.db)
    else:
        from bench.__main__ import demo_store

        source = demo_store(args.leads)
    report: dict[str, Any] = {"cases": []}
    with tempfile.TemporaryDirectory(prefix="lab-bench-filters-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        shutil.copyfile(source, db)
        with Store(db) as store:  # applies pending migrations before the server opens it
            quarters = lookups.quarters(store)
            regions = list(lookups.regions(store, lang="en").itertuples(index=False, name=None))
            report["store_leads"] = int(store.scalar("SELECT count(*) FROM leads"))
        srv = Server(db, log_path=Path(tmp) / "server.log").start()
        try:
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                # A first session warms the server up (imports, store, first results); the timed
                # session comes second.
                warm = new_context(browser)
                report["first_load_s"] = goto(warm.new_page(), srv.url + "/", timeout_ms=600_000)
                warm.close()
                ctx = new_context(browser)
                page = ctx.new_page()
                seen: set[tuple[Any, ...]] = set()
                cases = args.cases.split(",")
                moves: dict[str, list[dict[str, Any]]] = {}
                if "quarter" in cases:
                    moves["quarter"] = quarter_moves(page, srv.url, quarters, args.moves, seen)
                if "region" in cases:
                    moves["region"] = region_moves(page, srv.url, quarters[-2], regions, args.moves, seen)
                for name, ms in moves.items():
                    row = summary(name, ms)
                    report["cases"].append(row)
                    print(json.dumps(row), flush=True)
                report["moves"] = moves
                report["server_peak_rss_mb"] = srv.peak_rss() / 2**20
                browser.close()
        finally:
            srv.stop()
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
