"""Benchmark harness: ``python -m bench [--leads 1000000] [--areas overview,attribution] [--match TEXT]``.

Each area module ``bench/bench_<area>.py`` exposes ``cases(store) -> list[Case]``. A case
times the product's analysis and, in the same process and run, the baselines it is
compared with (the bare DuckDB aggregate it wraps, a plain pandas version), and prints
median / P95 seconds and the ratios. Stores are built once per size under
``bench/.stores/`` (git-ignored) and reused.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analytics import demo
from analytics.store import Store

STORE_DIR = Path(__file__).resolve().parent / ".stores"
AREAS = ("overview", "ingest", "attribution", "talk_tracks", "incentives", "anomalies", "pilots")


@dataclass
class Case:
    """One timed analysis and its same-run baselines (name -> callable)."""

    name: str
    fn: Callable[[], object]
    baselines: dict[str, Callable[[], object]] = field(default_factory=dict)
    repeats: int = 7
    target_s: float | None = None


def timings(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls after one warm-up call."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(0.95 * len(s)) - 1))]


def demo_store(n_leads: int, seed: int = 7) -> Path:
    """Path of a demo store of ``n_leads`` leads, built once and reused."""
    STORE_DIR.mkdir(exist_ok=True)
    path = STORE_DIR / f"demo_{n_leads}_{seed}.duckdb"
    if not path.exists():
        t0 = time.perf_counter()
        with Store(path, purpose="a benchmark store build", fresh=True) as s:  # published only when complete
            demo.generate(s, seed=seed, n_leads=n_leads)
        print(f"built {path.name} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return path


def run_area(area: str, store: Store, match: str = "", repeats: int | None = None) -> list[dict[str, object]]:
    """Run every case of one area whose name contains ``match``; return one result row per case.

    ``repeats`` overrides each case's own number of timed runs (for very large stores).
    """
    module = importlib.import_module(f"bench.bench_{area}")
    rows = []
    for case in module.cases(store):
        if match not in case.name:
            continue
        n = repeats or case.repeats
        t = timings(case.fn, n)
        row: dict[str, object] = {
            "area": area,
            "case": case.name,
            "median_s": statistics.median(t),
            "p95_s": p95(t),
            "target_s": case.target_s,
        }
        for bname, bfn in case.baselines.items():
            bt = timings(bfn, n)
            row[f"{bname}_median_s"] = statistics.median(bt)
            row[f"ratio_to_{bname}"] = statistics.median(t) / max(statistics.median(bt), 1e-9)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--leads", type=int, default=1_000_000)
    p.add_argument("--areas", default=",".join(AREAS))
    p.add_argument("--out", help="write the rows as JSON lines to this file")
    p.add_argument("--match", default="", help="run only the cases whose name contains this text")
    p.add_argument("--repeats", type=int, help="timed runs per case (default: each case's own, 3-7)")
    args = p.parse_args(argv)
    path = demo_store(args.leads)
    rows = []
    with Store(path, read_only=True) as store:  # read-only: several benchmark runs can share a store
        for area in [a for a in args.areas.split(",") if a]:
            try:
                importlib.import_module(f"bench.bench_{area}")
            except ModuleNotFoundError:
                print(f"(no benchmarks for {area} yet)", file=sys.stderr)
                continue
            rows += run_area(area, store, args.match, args.repeats)
    if args.out:
        Path(args.out).write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
