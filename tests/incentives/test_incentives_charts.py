"""The Incentive lab's ECharts options show the numbers they are given.

Counts are checked against a second, plain implementation (a loop that puts each value in its
bin by hand), stacked values against the rows they came from, and every option must be strict
JSON (no NumPy scalars, no NaN) because Streamlit sends it as JSON.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from analytics.incentives.plans import GRADES
from ui import echarts
from ui import incentives_charts as charts

LABELS = {
    "title": "T",
    "x": "X",
    "y": "Y",
    "reps": "Reps",
    "base": "Base",
    "commission": "Commission",
    "team": "Team",
    "innovation": "Innovation",
    "scaling": "Scaling",
    "budget": "Budget",
}


def strict_json(option: dict) -> dict:
    """The option after a strict JSON round trip (fails on NumPy scalars, NaN and infinity)."""
    return json.loads(json.dumps(option, allow_nan=False))


def series(option: dict, name: str) -> dict:
    return next(s for s in option["series"] if s.get("name") == name)


def test_cost_bars_stack_the_rows_and_the_budget_marks_each_plan():
    rows = pd.DataFrame(
        {
            "plan": ["Baseline", "Scenario"],
            "base_cost": [np.float64(100.5), 120.0],
            "commission_cost": [2000.0, 2500.25],
            "team_cost": [300.0, 300.0],
            "innovation_cost": [40.0, 40.0],
            "scaling_cost": [0.0, -500.0],
            "budget": [2400.0, 2400.0],
        }
    )
    option = strict_json(charts.cost_vs_budget(rows, LABELS))
    assert option["xAxis"]["data"] == ["Baseline", "Scenario"]
    bars = [s for s in option["series"] if s["type"] == "bar"]
    assert [s["name"] for s in bars] == ["Base", "Commission", "Team", "Innovation", "Scaling"]
    assert {s["stack"] for s in bars} == {"cost"}
    # the stack's net height is the total cost: 2440.5 and 2460.25 (scaling stacks below zero)
    assert [sum(s["data"][i] for s in bars) for i in range(2)] == [2440.5, 2460.25]
    assert series(option, "Budget")["data"] == [2400.0, 2400.0]


def test_attainment_histogram_counts_like_a_hand_count_with_the_cap_in_the_last_bin():
    rng = np.random.default_rng(3)
    att = pd.Series(np.concatenate([rng.gamma(4, 0.3, 500), [0.0, 0.05, 1.05, 2.95, 3.0, 4.5, 12.0, np.nan]]))
    option = strict_json(charts.attainment_histogram(att, {"Base": 0.8, "Quota": 1.0, "None": math.inf}, LABELS))
    bars = option["series"][0]["data"]
    assert len(bars) == 30
    assert [x for x, _ in bars] == pytest.approx([5 + 10 * k for k in range(30)])  # bin centres in percent
    by_hand = [0] * 30
    for v in att.dropna():
        by_hand[min(int(min(v, 3.0) * 10), 29)] += 1  # 10-point bins; 300% and above go to the last
    assert [n for _, n in bars] == by_hand
    assert sum(by_hand) == 507 and by_hand[29] >= 4  # 2.95, 3.0, 4.5 and 12.0 at least
    marks = option["series"][0]["markLine"]["data"]
    assert [(m["name"], m["xAxis"]) for m in marks] == [("Base", 80.0), ("Quota", 100.0)]  # infinity left out


def test_risk_histogram_bins_both_plans_on_shared_edges_and_counts_every_draw():
    rng = np.random.default_rng(5)
    base, scen = rng.normal(100.0, 10.0, 1000), rng.normal(110.0, 12.0, 1000)
    option = strict_json(charts.risk_histogram({"Baseline": base, "Scenario": scen}, 105.0, LABELS))
    lo, hi = min(base.min(), scen.min()), max(base.max(), scen.max())
    width = (hi - lo) / charts.RISK_BINS
    for name, values in (("Baseline", base), ("Scenario", scen)):
        data = series(option, name)["data"]
        assert len(data) == charts.RISK_BINS
        by_hand = [0] * charts.RISK_BINS
        for v in values:
            by_hand[min(int((v - lo) / width), charts.RISK_BINS - 1)] += 1
        assert [n for _, n in data] == by_hand
        assert [x for x, _ in data] == pytest.approx(
            [lo + width * (k + 0.5) for k in range(charts.RISK_BINS)], abs=0.01
        )
    mark = series(option, "Baseline")["markLine"]["data"]
    assert [(m["name"], m["xAxis"]) for m in mark] == [("Budget", 105.0)]


def test_risk_histogram_of_a_constant_cost_still_has_one_full_bin():
    option = strict_json(charts.risk_histogram({"Baseline": np.full(50, 7.0)}, math.nan, LABELS))
    data = option["series"][0]["data"]
    assert sum(n for _, n in data) == 50 and "markLine" not in option["series"][0]


def test_migration_heatmap_cells_are_the_matrix_with_missing_grades_as_zero():
    matrix = pd.DataFrame([[3, 1], [0, 5]], index=["A", "B"], columns=["A", "C"])
    option = strict_json(charts.migration_heatmap(matrix, LABELS))
    cells = {(GRADES[i], GRADES[j]): n for j, i, n in option["series"][0]["data"]}  # [x=to, y=from, n]
    assert len(cells) == len(GRADES) ** 2
    assert (cells[("A", "A")], cells[("A", "C")], cells[("B", "C")], cells[("B", "A")]) == (3, 1, 5, 0)
    assert sum(cells.values()) == 9
    assert option["xAxis"]["data"] == option["yAxis"]["data"] == list(GRADES)


def test_payout_curve_is_in_percent_and_drops_missing_points():
    curves = {"Baseline": pd.DataFrame({"attainment": [0.0, 0.8, 1.25], "pay": [0.0, 1500.0, 4000.5]})}
    reps = pd.DataFrame({"attainment": [0.5, np.nan, 1.2345], "total_pay": [10.0, 20.0, np.float32(30.5)]})
    option = strict_json(charts.payout_curve(curves, reps, LABELS))
    assert series(option, "Reps")["data"] == [[50.0, 10.0], [123.45, 30.5]]
    assert series(option, "Baseline")["data"] == [[0.0, 0.0], [80.0, 1500.0], [125.0, 4000.5]]
    assert option["xAxis"]["axisLabel"]["formatter"] == "{value}%"


def test_histogram_helper_matches_numpy_and_shared_edges_span_every_sample():
    edges = echarts.shared_edges([[1.0, 2.0], [np.nan, 5.0]], 4)
    assert edges.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    centres, counts = echarts.histogram([1.0, 1.5, 2.0, 4.99, 5.0], edges)
    assert centres == [1.5, 2.5, 3.5, 4.5] and counts == [2, 1, 0, 2]
