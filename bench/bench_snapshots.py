"""What sharing a store costs: ``python -m bench.bench_snapshots --leads 1000000 --rows 1000000``.

An import into a store that serves others writes a private copy of the current snapshot and
publishes it (analytics/snapshots.py). This script measures, on a copy of a demo store of
``--leads`` leads and an export of ``--rows`` new leads, in one run:

* the import through the snapshot writer (copy + import + checkpoint + publish), and its
  parts, against the same import into a plain DuckDB file in place (the design that locks
  every reader out): the ratio is the price of never blocking a reader;
* the disk: the snapshot, the versions kept, the control database;
* the time until a reader sees the new data: a reader process polling the store's link
  notices the new version, opens it and computes the Overview figures cold (what the first
  page view after an import does), against the same on the old version.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics import ingest, snapshots
from analytics.store import Store
from bench.__main__ import demo_store

ROOT = Path(__file__).resolve().parents[1]

_POLLER = """
import sys, time
from analytics import snapshots
path, start = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
while snapshots.current_version(path) == start:
    time.sleep(0.002)
print(time.time(), flush=True)
"""

_FIRST_VIEW = """
import sys, time, json
t0 = time.perf_counter()
from analytics import overview
from analytics.access import Scope
from analytics.filters import Filters
from analytics.periods import Quarter
from analytics.store import Store
t1 = time.perf_counter()
with Store(sys.argv[1], read_only=True) as s:
    t2 = time.perf_counter()
    hi = s.scalar("SELECT max(created_at)::DATE FROM leads")
    overview.kpis(s, Filters.for_quarter(Quarter.of(hi)), Scope.leader(user="bench"))
    t3 = time.perf_counter()
print(json.dumps({"open_s": t2 - t1, "overview_s": t3 - t2, "version": s.version}))
"""


def export(store_file: Path, rows: int, out: Path) -> Path:
    """A leads export of ``rows`` new leads owned by the store's reps (valid for every rule)."""
    con = duckdb.connect(str(store_file), read_only=True)
    reps = con.execute("SELECT rep_id, region_id FROM reps JOIN teams USING (team_id)").df()
    hi = con.execute("SELECT max(created_at)::DATE FROM leads").fetchone()[0]
    con.close()
    rng = np.random.default_rng(5)
    pick = rng.integers(0, len(reps), rows)
    frame = pd.DataFrame(
        {
            "lead_id": [f"NEW{i:09d}" for i in range(rows)],
            "created_at": pd.Timestamp(hi) - pd.to_timedelta(rng.integers(0, 60, rows), unit="D"),
            "source": rng.choice(["website", "referral", "event"], rows),
            "region_id": reps["region_id"].to_numpy()[pick],
            "segment": rng.choice(["smb", "mid", "enterprise"], rows),
            "rep_id": reps["rep_id"].to_numpy()[pick],
            "status": "open",
        }
    )
    path = out / "leads.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def measure(leads: int, rows: int) -> dict[str, object]:
    """One run of every measurement; returns the figures."""
    source = snapshots.current_file(demo_store(leads))
    with tempfile.TemporaryDirectory(prefix="bench-snapshots-", dir=ROOT / "bench" / ".stores") as tmp:
        tmp = Path(tmp)
        csv = export(source, rows, tmp)
        # baseline: the same import into a plain file in place (no copy, no publish)
        plain = tmp / "plain.duckdb"
        shutil.copyfile(source, plain)
        in_place_s = _in_place_import(plain, csv)
        # the product: a managed store, imported through the snapshot writer
        store = tmp / "s.duckdb"
        shutil.copyfile(source, tmp / "seed.duckdb")
        (tmp / "seed.duckdb").rename(store)
        with Store(store, purpose="conversion") as w:
            w.mark_changed()  # publish v1 (turns the plain file into the managed layout)
        v1 = snapshots.current_version(store)
        poller = subprocess.Popen(
            [sys.executable, "-c", _POLLER, str(store), str(v1)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert poller.stdout is not None
        poller.stdout.readline()
        t = time.perf_counter()
        w = Store(store, purpose="an import")
        t_open = time.perf_counter() - t
        t1 = time.perf_counter()
        result = ingest.import_files(w, "leads", [csv])
        t_import = time.perf_counter() - t1
        t2 = time.perf_counter()
        w.close()
        published_at = time.time()
        t_publish = time.perf_counter() - t2
        seen_at = float(poller.stdout.readline())
        poller.wait()
        view_new = json.loads(_run(_FIRST_VIEW, store))
        view_old = json.loads(_run(_FIRST_VIEW, snapshots.version_file(store, v1)))
        lay = snapshots.layout(store)
        figures = {
            "leads": leads,
            "rows": rows,
            "stored": result.stored,
            "snapshot_import_s": t_open + t_import + t_publish,
            "copy_s": t_open,
            "import_s": t_import,
            "checkpoint_publish_s": t_publish,
            "in_place_import_s": in_place_s,
            "ratio_vs_in_place": (t_open + t_import + t_publish) / in_place_s,
            "snapshot_bytes": snapshots.current_file(store).stat().st_size,
            "versions_bytes": _size(lay.versions),
            "control_bytes": _size(lay.control),
            "seen_by_reader_after_s": max(seen_at - published_at, 0.0),
            "first_view_new_s": view_new["open_s"] + view_new["overview_s"],
            "first_view_old_s": view_old["open_s"] + view_old["overview_s"],
        }
    return figures


def _in_place_import(plain: Path, csv: Path) -> float:
    """The old design: the importer writing straight into the one store file."""
    from analytics.ingest.importer import ImportJob, run_jobs
    from analytics.ingest.mapping import as_mapping

    con_store = Store(":memory:")  # a store object whose DuckDB connection is the plain file
    con_store._con.close()  # baseline only: swap in the plain file
    con_store._con = duckdb.connect(str(plain))
    t = time.perf_counter()
    run_jobs(con_store, [ImportJob("leads", [csv], [csv.name], as_mapping(None))], None)
    con_store._con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - t
    con_store._con.close()
    return elapsed


def _run(code: str, path: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def main() -> int:
    """Command line: print the figures as a table and JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", help="also write the figures to this JSON file")
    args = ap.parse_args()
    fig = measure(args.leads, args.rows)
    for k, v in fig.items():
        print(f"{k:28s} {v:,.3f}" if isinstance(v, float) else f"{k:28s} {v:,}")
    if args.out:
        Path(args.out).write_text(json.dumps(fig, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
