"""Detector against the planted truth of freshly generated 250k-lead demo stores (3 seeds).

The full 20-seed evaluation is ``python -m bench.eval_anomalies`` (docs/methods/anomalies.md);
this is its smaller version. A planted drop removes every win of the region's highest-volume
segment in one region-week (about half the region's weekly wins at 250k leads): conversion
rate must flag it and the decomposition must name the segment; the won-revenue dip is
within weekly noise at this size, so revenue is held to the false-alarm budget only.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from analytics import anomalies as an
from analytics import demo
from analytics.access import Scope
from analytics.filters import Filters
from analytics.store import Store
from bench.eval_anomalies import evaluate_store

SEEDS = (1, 2, 3)
LEADS = 250_000


@pytest.fixture(scope="module")
def runs():
    out = []
    for seed in SEEDS:
        with Store(":memory:") as store:
            demo.generate(store, seed=seed, n_leads=LEADS)
            rows = evaluate_store(store, list(an.METRICS), sensitivity=an.DEFAULT_SENSITIVITY)
            drops = json.loads(store.info()["planted"])["drops"]
            panel = an.weekly_panel(store, Filters(date(2024, 1, 1), date(2025, 12, 31)), Scope.leader())
            res = an.fit_detector(panel, "conversion_rate").result_.set_index(["unit", "week_start", "series"])
            conversion = an.fit_detector(panel, "conversion_rate")
            below, drivers = [], []
            for d in drops:
                week = date.fromisoformat(d["week_start"])
                row = res.loc[(d["region_id"], week, d["segment"])]
                below.append(bool(row["actual"] < row["expected"]))
                drivers.append(an.segment_driver(panel, conversion, "conversion_rate", d["region_id"], week)[0])
            out.append({"rows": rows, "drops": drops, "below": below, "drivers": drivers})
    return out


@pytest.mark.slow
def test_false_alarms_stay_under_one_per_hundred_region_weeks(runs):
    for metric in an.METRICS:
        fp = sum(r["false_alarms"] for run in runs for r in run["rows"] if r["metric"] == metric)
        neg = sum(r["negatives"] for run in runs for r in run["rows"] if r["metric"] == metric)
        assert neg > 3000
        assert 100 * fp / neg <= 1.0, metric


@pytest.mark.slow
def test_planted_segments_convert_below_their_expectation(runs):
    below = [b for run in runs for b in run["below"]]
    assert sum(below) >= len(below) - 1  # 92% of the segment's wins were removed


@pytest.mark.slow
def test_the_decomposition_names_the_planted_segment(runs):
    named = [
        drv.split(":")[0] == d["segment"] for run in runs for drv, d in zip(run["drivers"], run["drops"], strict=True)
    ]
    assert all(named), named  # 9 of 9 measured for seeds 1-3


@pytest.mark.slow
def test_conversion_rate_flags_the_planted_drops(runs):
    rows = [r for run in runs for r in run["rows"] if r["metric"] == "conversion_rate"]
    found, planted = sum(r["found"] for r in rows), sum(r["planted"] for r in rows)
    assert found >= planted - 1, (found, planted)  # 58 of 60 over 20 seeds (bench.eval_anomalies)


@pytest.mark.slow
def test_every_planted_drop_of_the_default_demo_store_is_flagged_and_explained():
    with Store(":memory:") as store:
        demo.generate(store)  # the default demo: seed 7, 250k leads
        (row,) = evaluate_store(store, ["conversion_rate"], sensitivity=an.DEFAULT_SENSITIVITY)
    assert row["found"] == row["planted"] == 3
    assert row["driver_ok"] == 3
