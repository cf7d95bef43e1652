"""In the real browser: the product's sliders against Streamlit's own floor, interleaved in one run.

``python -m bench.bench_browser [--leads 1000000 | --db FILE] [--moves 24] [--sliders a,b] [--out FILE]``

Two real servers run side by side under the product's ``.streamlit/config.toml``: the app on a
copy of a bench demo store (``bench/.stores``, built by ``bench/__main__.py``), and the floor
app (``bench/floor_app.py``: one slider, one keyed chart drawn by the product's own chart
builder with the product's call). One Chromium (Debian's, through Playwright) holds a tab on
each. For every case the product's slider and the floor's slider are moved one step right with
the keyboard in turn: product move, floor move, product move, ... (``--moves`` each, after one
untimed warm-up move each), so both see the same machine at the same time.

Cases (``--sliders``):

- ``lab_share``: Incentive lab, "Base bonus, share of monthly salary" (floor: the cost chart);
- ``lab_threshold``: Incentive lab, "Base bonus from attainment" (floor: the cost chart);
- ``scorecard_weight``: Scorecard weight what-if, "New weight" (floor: the grade migration),
  swept from 0 for one metric after another;
- ``anomaly_sensitivity``: Anomalies, the sensitivity slider (floor: the weekly series with its
  band, Plotly), swept from its minimum for one metric after another.

Every product move shows a value not shown before in that server (``cold``: computed, not
from the result cache); a move to a value shown before (``warm``: a slider out of new values)
is kept in the JSON but left out of the figures, and another move is made instead.

What is timed (``tests.e2e.harness.measure_move``), in the page's own clock from the key press:

- **first chart**: to the first animation frame in which any chart on the page draws
  something different: for an ECharts chart its data (series, categories, marks) read from
  its ECharts instance after each paint, so a change of any size counts; for a Plotly chart
  every SVG path and text; any other canvas, every pixel. A move that changes no chart is
  counted as ``unchanged`` and left out of this figure;
- **settled**: to the whole page settled: the script run finished, every chart that changes
  redrawn, the last DOM change, after which the page stayed idle and still for 400 ms;
- **server CPU**: the server process's CPU time (user + system, children included, psutil)
  read just before the key press and after the page settled.

A move that causes no run or does not settle within 60 s is counted and reported, never fatal.
A detector check first moves the floor's cost chart by a millionth of one bar (must be seen)
and a floor whose chart ignores the slider (must be reported unchanged). Targets (issue 19):
first chart P95 <= 1.5x the floor at 1M leads (<= 2.5x at 10M), settled P95 <= 2.5x the floor
(at 1M), server CPU per move (mean) <= 50 ms at 1M leads (1,204 reps), <= 150 ms at 12k reps
(the 10M store: reps scale with leads, one per 830).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analytics import lookups
from analytics.store import Store
from tests.e2e.harness import (
    MOVE_CHANGED,
    MOVE_UNCHANGED,
    Server,
    choose,
    goto,
    labelled,
    launch_browser,
    measure_move,
    new_context,
)

FLOOR_SCRIPT = "bench/floor_app.py"


@dataclass(frozen=True)
class Case:
    """One product slider and the floor it is compared with.

    ``path``: the page's URL path; ``slider``: the slider's label; ``floor``: the floor app's
    ``chart``; ``contexts``: (select box label, option) pairs, one per sweep: before each sweep
    the option is chosen and the slider set to its minimum (both untimed), so that every move
    shows a new value; without contexts the slider moves right from where the page starts it.
    """

    name: str
    path: str
    slider: str
    floor: str
    contexts: tuple[tuple[str, str], ...] = ()


CASES = {
    c.name: c
    for c in (
        Case("lab_share", "incentive_lab", "Base bonus, share of monthly salary", "cost"),
        Case("lab_threshold", "incentive_lab", "Base bonus from attainment", "cost"),
        Case(
            "scorecard_weight",
            "scorecard",
            "New weight",
            "migration",
            (("Metric", "Renewal rate"), ("Metric", "Referral rate"), ("Metric", "Close rate"), ("Metric", "NPS")),
        ),
        Case(
            "anomaly_sensitivity",
            "anomalies",
            "Sensitivity: robust z threshold (lower flags more)",
            "band",
            (
                ("Metric", "Won revenue"),
                ("Metric", "Conversion rate"),
                ("Metric", "Leads"),
                ("Metric", "Average deal value"),
            ),
        ),
    )
}


@dataclass(frozen=True)
class Targets:
    """Issue 19's targets for one store size: ratios to the floor and server CPU per move."""

    first_chart_ratio: float
    settled_ratio: float | None
    cpu_s: float


def targets_for(reps: int) -> Targets:
    """The targets for a store of ``reps`` reps: the 1M-lead ones up to ~2,000 reps, else the 10M ones."""
    if reps <= 2_000:
        return Targets(first_chart_ratio=1.5, settled_ratio=2.5, cpu_s=0.050)
    return Targets(first_chart_ratio=2.5, settled_ratio=None, cpu_s=0.150)


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]


# -- driving a slider ---------------------------------------------------------------------------
class Slider:
    """A Streamlit slider found by its label; moved with the keyboard (ArrowRight, Home)."""

    def __init__(self, page: Any, label: str) -> None:
        self.page, self.label = page, label

    @property
    def thumb(self) -> Any:
        return labelled(self.page, "stSlider", self.label).get_by_role("slider")

    def value(self) -> float:
        """The value now (the thumb is an ``<input type="range">``)."""
        return float(self.thumb.input_value())

    def at_max(self) -> bool:
        return self.value() >= float(self.thumb.get_attribute("max"))

    def at_min(self) -> bool:
        return self.value() <= float(self.thumb.get_attribute("min"))


def untimed(page: Any, act: Any) -> None:
    """Do ``act`` and wait for the page to settle (its time is not recorded)."""
    move = measure_move(page, act)
    if move.status not in (MOVE_CHANGED, MOVE_UNCHANGED):
        print(f"  (untimed step: {move.status})", file=sys.stderr)


class Sweep:
    """Moves of one slider one step right, keeping every value new where it can."""

    def __init__(self, page: Any, label: str, contexts: tuple[tuple[str, str], ...] = ()) -> None:
        self.page, self.slider, self.contexts = page, Slider(page, label), contexts
        self.sweeps = 0
        self.context = ""
        self.seen: set[tuple[str, float]] = set()

    def start(self) -> None:
        """Choose the next context (if any) and bring the slider to its minimum (untimed)."""
        if self.contexts:
            label, option = self.contexts[self.sweeps % len(self.contexts)]
            self.context = option
            box = labelled(self.page, "stSelectbox", label)
            if box.locator("input").first.input_value() != option:
                # to the minimum first: a slider that keeps its value across the choice would
                # otherwise compute its current value (the next sweep's last) for the new option
                if not self.slider.at_min():
                    untimed(self.page, lambda: self.slider.thumb.press("Home"))
                untimed(self.page, lambda: choose(self.page, box, option))
            self.seen.add((self.context, self.slider.value()))  # shown (computed) before the sweep
            if not self.slider.at_min():
                untimed(self.page, lambda: self.slider.thumb.press("Home"))
        elif self.sweeps and self.slider.at_max():  # no context: start again from the left (warm)
            untimed(self.page, lambda: self.slider.thumb.press("Home"))
        self.sweeps += 1
        self.seen.add((self.context, self.slider.value()))
        self.slider.thumb.focus()

    def move(self, server: Server) -> dict[str, Any]:
        """One step right, timed; starts a new sweep first when the slider is at its maximum.

        The row also holds the server's CPU time before the untimed steps (``cpu_before``) and
        at the key press (``cpu_at_press``), for the CPU from one timed move to the next.
        """
        cpu_before = server.cpu_seconds()
        if self.sweeps == 0 or self.slider.at_max():
            self.start()
        before = self.slider.value()
        cpu_at_press = server.cpu_seconds()
        move = measure_move(self.page, lambda: self.slider.thumb.press("ArrowRight"), server=server)
        after = self.slider.value()
        key = (self.context, after)
        row = {"context": self.context, "from": before, "to": after, "kind": "warm" if key in self.seen else "cold"}
        self.seen.add(key)
        return row | move.as_dict() | {"cpu_before": cpu_before, "cpu_at_press": cpu_at_press}


# -- summary ------------------------------------------------------------------------------------
def stats(moves: list[dict[str, Any]], field: str) -> dict[str, float | None]:
    """Median and P95 of ``field`` over the moves that have it (None when none has)."""
    xs = [m[field] for m in moves if m.get(field) is not None]
    return {"n": len(xs), "median": statistics.median(xs) if xs else None, "p95": p95(xs) if xs else None}


def cpu_stats(moves: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean and P95 of the server CPU per move."""
    xs = [m["server_cpu_s"] for m in moves if m.get("server_cpu_s") is not None]
    return {"n": len(xs), "mean": statistics.fmean(xs) if xs else None, "p95": p95(xs) if xs else None}


def cycle_mean(moves: list[dict[str, Any]]) -> float | None:
    """Mean server CPU from one product key press to the next (product moves only)."""
    xs = [m["server_cpu_cycle_s"] for m in moves if "server_cpu_cycle_s" in m]
    return statistics.fmean(xs) if xs else None


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarise(name: str, product: list[dict[str, Any]], floor: list[dict[str, Any]], t: Targets) -> dict[str, Any]:
    """Medians, P95s, ratios product / floor and the verdict on each target for one case (the
    product's cold moves; every floor move)."""
    cold = [m for m in product if m["kind"] == "cold"]
    out: dict[str, Any] = {"case": name, "moves": len(cold), "warm_moves_left_out": len(product) - len(cold)}
    for side, moves in (("product", cold), ("floor", floor)):
        out[side] = {
            "first_chart_s": stats(moves, "first_chart_s"),
            "settled_s": stats(moves, "settled_s"),
            "server_cpu_s": cpu_stats(moves),
            "server_cpu_cycle_mean_s": cycle_mean(moves),
            "statuses": {s: sum(m["status"] == s for m in moves) for s in sorted({m["status"] for m in moves})},
            "cold": sum(m["kind"] == "cold" for m in moves),
        }
    p, f = out["product"], out["floor"]
    out["ratios"] = {
        "first_chart_p95": ratio(p["first_chart_s"]["p95"], f["first_chart_s"]["p95"]),
        "first_chart_median": ratio(p["first_chart_s"]["median"], f["first_chart_s"]["median"]),
        "settled_p95": ratio(p["settled_s"]["p95"], f["settled_s"]["p95"]),
        "settled_median": ratio(p["settled_s"]["median"], f["settled_s"]["median"]),
    }
    r = out["ratios"]
    out["targets"] = {
        "first_chart_p95_ratio": {
            "target": t.first_chart_ratio,
            "pass": r["first_chart_p95"] is not None and r["first_chart_p95"] <= t.first_chart_ratio,
        },
        "settled_p95_ratio": {
            "target": t.settled_ratio,
            "pass": None
            if t.settled_ratio is None
            else (r["settled_p95"] is not None and r["settled_p95"] <= t.settled_ratio),
        },
        "server_cpu_mean_s": {
            "target": t.cpu_s,
            "pass": p["server_cpu_s"]["mean"] is not None and p["server_cpu_s"]["mean"] <= t.cpu_s,
        },
    }
    return out


def fmt_s(v: float | None) -> str:
    return "-" if v is None else f"{v * 1000:.0f} ms"


def fmt_x(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def verdict(v: bool | None) -> str:
    return "-" if v is None else ("PASS" if v else "FAIL")


def table(rows: list[dict[str, Any]]) -> str:
    """The compact result table: per case and figure, product, floor, ratio, target, PASS/FAIL."""
    head = ("case", "figure", "product", "floor", "ratio", "target", "result")
    lines = []
    for s in rows:
        p, f, r, t = s["product"], s["floor"], s["ratios"], s["targets"]
        lines += [
            (
                s["case"],
                "first chart P95",
                fmt_s(p["first_chart_s"]["p95"]),
                fmt_s(f["first_chart_s"]["p95"]),
                fmt_x(r["first_chart_p95"]),
                f"<= {t['first_chart_p95_ratio']['target']}x",
                verdict(t["first_chart_p95_ratio"]["pass"]),
            ),
            (
                "",
                "first chart median",
                fmt_s(p["first_chart_s"]["median"]),
                fmt_s(f["first_chart_s"]["median"]),
                fmt_x(r["first_chart_median"]),
                "",
                "",
            ),
            (
                "",
                "settled P95",
                fmt_s(p["settled_s"]["p95"]),
                fmt_s(f["settled_s"]["p95"]),
                fmt_x(r["settled_p95"]),
                "-" if t["settled_p95_ratio"]["target"] is None else f"<= {t['settled_p95_ratio']['target']}x",
                verdict(t["settled_p95_ratio"]["pass"]),
            ),
            (
                "",
                "settled median",
                fmt_s(p["settled_s"]["median"]),
                fmt_s(f["settled_s"]["median"]),
                fmt_x(r["settled_median"]),
                "",
                "",
            ),
            (
                "",
                "server CPU/move mean",
                fmt_s(p["server_cpu_s"]["mean"]),
                fmt_s(f["server_cpu_s"]["mean"]),
                "",
                f"<= {t['server_cpu_mean_s']['target'] * 1000:.0f} ms",
                verdict(t["server_cpu_mean_s"]["pass"]),
            ),
            (
                "",
                "moves",
                f"{s['moves']} cold {p['statuses']}"
                + (f", +{s['warm_moves_left_out']} warm" if s["warm_moves_left_out"] else ""),
                f"{f['statuses']}",
                "",
                "",
                "",
            ),
        ]
    widths = [max(len(str(x[i])) for x in [head, *lines]) for i in range(len(head))]
    return "\n".join("  ".join(str(x[i]).ljust(widths[i]) for i in range(len(head))).rstrip() for x in [head, *lines])


# -- the run ------------------------------------------------------------------------------------
def detector_check(browser: Any, floor: Server) -> dict[str, Any]:
    """A one-step floor move changing one bar by a millionth must count as a redraw; a move that
    changes nothing in the chart must be reported unchanged (and not wait long)."""
    out: dict[str, Any] = {}
    for effect, expected in (("tiny", MOVE_CHANGED), ("none", MOVE_UNCHANGED)):
        ctx = new_context(browser)
        page = ctx.new_page()
        goto(page, f"{floor.url}/?chart=cost&effect={effect}")
        slider = Slider(page, "Floor slider")
        slider.thumb.focus()
        t0 = time.perf_counter()
        move = measure_move(page, lambda s=slider: s.thumb.press("ArrowRight"))
        out[effect] = move.as_dict() | {"expected": expected, "wall_s": time.perf_counter() - t0}
        ctx.close()
    out["ok"] = all(out[e]["status"] == out[e]["expected"] for e in ("tiny", "none"))
    return out


def run_case(
    browser: Any, case: Case, srv: Server, floor: Server, quarter: str, n: int, warmup: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Interleaved moves of one case, ``n`` cold product moves: (product moves, floor moves)."""
    pctx, fctx = new_context(browser), new_context(browser)
    ppage, fpage = pctx.new_page(), fctx.new_page()
    goto(ppage, f"{srv.url}/{case.path}?quarter={quarter}")
    goto(fpage, f"{floor.url}/?chart={case.floor}")
    prod, flo = Sweep(ppage, case.slider, case.contexts), Sweep(fpage, "Floor slider")
    pm: list[dict[str, Any]] = []
    fm: list[dict[str, Any]] = []
    for _ in range(warmup):
        prod.move(srv)
        flo.move(floor)
    # n cold product moves (a warm one, if a slider runs out of new values, is kept but not counted)
    while sum(m["kind"] == "cold" for m in pm) < n and len(pm) < 2 * n:
        pm.append(prod.move(srv))
        fm.append(flo.move(floor))
    # the product server's CPU from a key press to the next move's untimed steps or key press:
    # would show work that goes on after the page has settled (the floor's move lies between)
    ends = [m["cpu_before"] for m in pm[1:]] + [srv.cpu_seconds()]
    for m, end in zip(pm, ends, strict=True):
        m["server_cpu_cycle_s"] = end - m["cpu_at_press"]
    pctx.close()
    fctx.close()
    return pm, fm


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.bench_browser", description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group()
    src.add_argument("--db", help="store to copy and serve (default: the bench demo store of --leads)")
    src.add_argument("--leads", type=int, default=1_000_000)
    p.add_argument("--moves", type=int, default=24, help="timed moves per case, product and floor each (>= 20)")
    p.add_argument("--warmup", type=int, default=1, help="untimed moves per case before the timed ones")
    p.add_argument("--sliders", "--cases", default=",".join(CASES), help=f"cases, of: {', '.join(CASES)}")
    p.add_argument("--no-check", action="store_true", help="skip the detector check")
    p.add_argument("--out", help="write the JSON report here")
    args = p.parse_args(argv)
    unknown = [c for c in args.sliders.split(",") if c and c not in CASES]
    if unknown:
        p.error(f"unknown case(s) {', '.join(unknown)}: choose from {', '.join(CASES)}")
    cases = [CASES[c] for c in args.sliders.split(",") if c]
    from playwright.sync_api import sync_playwright

    if args.db:
        source = Path(args.db)
    else:
        from bench.__main__ import demo_store

        source = demo_store(args.leads)
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load": os.getloadavg()},
        "store": str(source),
        "cases": [],
        "moves": {},
    }
    with tempfile.TemporaryDirectory(prefix="lab-bench-browser-") as tmp:
        db = Path(tmp) / "bench.duckdb"
        shutil.copyfile(source, db)
        with Store(db) as store:  # applies pending migrations before the server opens it
            quarter = lookups.quarters(store)[-2]
            report["store_leads"] = int(store.scalar("SELECT count(*) FROM leads"))
            report["store_reps"] = int(store.scalar("SELECT count(*) FROM reps"))
        targets = targets_for(report["store_reps"])
        report["targets"] = targets.__dict__
        srv = Server(db, log_path=Path(tmp) / "server.log")
        floor = Server(db, log_path=Path(tmp) / "floor.log", script=FLOOR_SCRIPT)
        try:
            srv.start()
            floor.start()
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                warm = new_context(browser)  # the cold start (imports, store, first results) is not timed
                report["first_load_s"] = goto(warm.new_page(), srv.url + "/", timeout_ms=600_000)
                goto(warm.new_page(), floor.url + "/")
                warm.close()
                if not args.no_check:
                    report["detector_check"] = detector_check(browser, floor)
                    print(f"detector check: {'ok' if report['detector_check']['ok'] else 'FAILED'}", flush=True)
                for case in cases:
                    t0 = time.perf_counter()
                    pm, fm = run_case(browser, case, srv, floor, quarter, args.moves, args.warmup)
                    row = summarise(case.name, pm, fm, targets)
                    row["wall_s"] = time.perf_counter() - t0
                    report["cases"].append(row)
                    report["moves"][case.name] = {"product": pm, "floor": fm}
                    print(f"{case.name}: {row['wall_s']:.0f} s", file=sys.stderr, flush=True)
                report["server_peak_rss_mb"] = srv.peak_rss() / 2**20
                browser.close()
        finally:
            srv.stop()
            floor.stop()
    report["machine"]["load_after"] = os.getloadavg()
    print(
        f"\n{report['store_leads']:,} leads, {report['store_reps']:,} reps; {args.moves} moves each, interleaved"
        f" with the floor; load {report['machine']['load'][0]:.1f} -> {report['machine']['load_after'][0]:.1f}"
    )
    print(table(report["cases"]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
