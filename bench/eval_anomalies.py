"""Precision / recall of the anomaly detector against the demo's planted region-week drops.

``python -m bench.eval_anomalies [--seeds 20] [--leads 250000] [--metrics won_revenue,conversion_rate]``

For each seed a fresh demo store is generated in memory; the detector runs over every region
and week at the given sensitivity; a planted drop counts as found when its region-week is
flagged *down*, every other flagged region-week is a false alarm. For each planted drop the
segment decomposition's top driver is compared with the planted segment (``driver_ok``: the
segment; ``driver_rate_ok``: the segment's conversion term), and the planted segment's own
series is reported (expected and actual value, robust z). Prints one JSON line per seed and
metric, then a summary per metric (docs/methods/anomalies.md quotes it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date

from analytics import anomalies, demo
from analytics.access import Scope
from analytics.filters import Filters
from analytics.store import Store


def evaluate_store(store: Store, metrics: list[str], *, sensitivity: float, by_segment: bool = True) -> list[dict]:
    """One result row per metric for one store (counts, not rates, so they can be pooled)."""
    planted = json.loads(store.info()["planted"])
    drops = {(d["region_id"], date.fromisoformat(d["week_start"])): d["segment"] for d in planted["drops"]}
    lo = date.fromisoformat(store.info()["data_start"])
    hi = date.fromisoformat(store.info()["data_end"])
    f = Filters(lo, hi)
    panel = anomalies.weekly_panel(store, f, Scope.leader())
    rows = []
    for metric in metrics:
        det = anomalies.fit_detector(panel, metric, sensitivity=sensitivity, by_segment=by_segment)
        us = det.unit_scores_[det.unit_scores_["score"].notna()]
        flagged = us[us["flagged"]]
        keys = set(zip(flagged["unit"], flagged["week_start"], strict=True))
        down = set(
            zip(flagged.loc[flagged["score"] < 0, "unit"], flagged.loc[flagged["score"] < 0, "week_start"], strict=True)
        )
        scored = set(zip(us["unit"], us["week_start"], strict=True))
        tp = sum(k in down for k in drops)
        fp = len(keys - set(drops))
        negatives = len(scored - set(drops))
        driver_ok = rate_ok = 0
        details = []
        res = det.result_.set_index(["unit", "week_start", "series"])
        for (region, week), segment in drops.items():
            top, share = anomalies.segment_driver(panel, det, metric, region, week)
            driver_ok += top.split(":")[0] == segment
            rate_ok += top == f"{segment}:rate"
            row = us[(us["unit"] == region) & (us["week_start"] == week)]
            seg = res.loc[(region, week, segment)] if (region, week, segment) in res.index else None
            details.append(
                {
                    "region": region,
                    "week": week.isoformat(),
                    "segment": segment,
                    "found": (region, week) in down,
                    "score": None if row.empty else round(float(row["score"].iloc[0]), 2),
                    "segment_z": None if seg is None else round(float(seg["z"]), 2),
                    "segment_expected": None if seg is None else float(seg["expected"]),
                    "segment_actual": None if seg is None else float(seg["actual"]),
                    "segment_exposure": None if seg is None else float(seg["exposure"]),
                    "top_driver": top,
                    "share": round(share, 2) if share == share else None,
                }
            )
        rows.append(
            {
                "metric": metric,
                "planted": len(drops),
                "found": tp,
                "false_alarms": fp,
                "negatives": negatives,
                "driver_ok": driver_ok,
                "driver_rate_ok": rate_ok,
                "drops": details,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m bench.eval_anomalies")
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--first-seed", type=int, default=1)
    p.add_argument("--leads", type=int, default=250_000)
    p.add_argument("--metrics", default="won_revenue,conversion_rate,leads,avg_deal_value")
    p.add_argument("--sensitivity", type=float, default=anomalies.DEFAULT_SENSITIVITY)
    p.add_argument("--total-only", action="store_true", help="test only each region's total")
    p.add_argument("--out", help="write the per-seed rows as JSON lines to this file")
    args = p.parse_args(argv)
    metrics = [m for m in args.metrics.split(",") if m]
    totals = {
        m: {"planted": 0, "found": 0, "false_alarms": 0, "negatives": 0, "driver_ok": 0, "driver_rate_ok": 0}
        for m in metrics
    }
    lines = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        t0 = time.perf_counter()
        with Store(":memory:") as store:
            demo.generate(store, seed=seed, n_leads=args.leads)
            rows = evaluate_store(store, metrics, sensitivity=args.sensitivity, by_segment=not args.total_only)
        for r in rows:
            r.update({"seed": seed, "leads": args.leads, "seconds": round(time.perf_counter() - t0, 1)})
            for k in totals[r["metric"]]:
                totals[r["metric"]][k] += r[k]
            print(json.dumps(r), flush=True)
            lines.append(json.dumps(r))
    for m, t in totals.items():
        summary = {
            "metric": m,
            "leads": args.leads,
            "seeds": args.seeds,
            "sensitivity": args.sensitivity,
            **t,
            "recall": t["found"] / t["planted"] if t["planted"] else None,
            "precision": t["found"] / (t["found"] + t["false_alarms"]) if t["found"] + t["false_alarms"] else None,
            "false_alarms_per_100": 100 * t["false_alarms"] / t["negatives"] if t["negatives"] else None,
            "top_driver_accuracy": t["driver_ok"] / t["planted"] if t["planted"] else None,
            "top_driver_rate_accuracy": t["driver_rate_ok"] / t["planted"] if t["planted"] else None,
        }
        print("SUMMARY " + json.dumps(summary), flush=True)
        lines.append("SUMMARY " + json.dumps(summary))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
