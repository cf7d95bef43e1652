"""Streamlit's own floor for the product's slider moves: one slider and one keyed chart, nothing else.

``python -m bench.bench_browser`` serves it (``streamlit run bench/floor_app.py`` from the
repository root, so under the product's ``.streamlit/config.toml``, through
``tests.e2e.harness.Server``) and times its moves interleaved with the product's: what a
move costs here is what Streamlit itself costs (the key press reaching the server, a
fragment run, the chart's delta sent, React and the chart library redrawing), with no
computation of the product's.

Each chart is drawn by the product's own builder with the product's call: same element
(``st.echarts_chart`` or ``st.plotly_chart``), a key, the same height and column layout.

Query parameters:

- ``chart`` - which product chart the floor copies:
  ``cost`` (default): the Incentive lab's cost against budget
  (:func:`ui.incentives_charts.cost_vs_budget`, stacked bars, in the left of two columns);
  ``migration``: the Scorecard weight what-if's grade migration
  (:func:`ui.incentives_charts.migration_heatmap`, in the left of columns 2:3);
  ``band``: the Anomalies page's weekly series with its expected band
  (:func:`ui.anomalies_charts.series_with_band`, Plotly, full width).
- ``effect`` - what one step of the slider changes in the chart:
  ``step`` (default): one part of one bar (the scenario's base bonuses) by 2.5%, about a
  pixel or two; one cell pair of the heatmap by one rep; the band's edges by 0.02 z;
  ``tiny``: the same bar by 0.5 (a millionth of it: no pixel need change); for the other
  charts the same as ``step``;
  ``none``: nothing: the chart stays exactly as it was, so a redraw detector must report
  the move as unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analytics.incentives.plans.model import GRADES
from ui import anomalies_charts
from ui import incentives_charts as charts

#: The slider: same shape as the lab's percent sliders (ui.plan_editor.pct_slider), with room
#: for more than 100 moves to the right from its start.
SLIDER = {"min_value": 0.0, "max_value": 100.0, "value": 20.0, "step": 0.5, "format": "%.1f%%"}
#: Baseline cost parts (the lab's Summary fields) of the cost chart; the scenario's base bonuses
#: follow the slider.
BASELINE = {
    "base_cost": 400_000.0,
    "commission_cost": 900_000.0,
    "team_cost": 120_000.0,
    "innovation_cost": 60_000.0,
    "scaling_cost": 0.0,
    "budget": 1_600_000.0,
}
COST_LABELS = {
    "title": "Cost against budget",
    "y": "CNY",
    "base": "Base bonuses",
    "commission": "Commission",
    "team": "Team pools",
    "innovation": "Innovation pool",
    "scaling": "Budget scaling",
    "budget": "Budget",
}
#: Reps per grade kept by the what-if (diagonal of the migration matrix).
GRADE_REPS = (30, 240, 600, 240, 90)
WEEKS = 60


def moved(value: float, effect: str) -> float:
    """How far the slider has moved from its start, as the chart sees it (0 for ``none``)."""
    return 0.0 if effect == "none" else value - SLIDER["value"]


def cost_chart(value: float, effect: str) -> None:
    """The lab's cost chart: baseline and scenario; the scenario's base bonuses follow the slider."""
    scenario = dict(BASELINE)
    if effect == "tiny":
        scenario["base_cost"] += moved(value, effect)
    else:
        scenario["base_cost"] *= 1 + moved(value, effect) / SLIDER["value"]
    rows = pd.DataFrame([{"plan": "Baseline", **BASELINE}, {"plan": "Scenario", **scenario}])
    left, _right = st.columns(2)
    left.echarts_chart(charts.cost_vs_budget(rows, COST_LABELS), key="floor_chart", height=charts.CHART_HEIGHT)


def migration_chart(value: float, effect: str) -> None:
    """The Scorecard what-if's grade migration: one more rep moves from B to A per slider step."""
    z = np.diag(np.array(GRADE_REPS, dtype=float))
    k = round(moved(value, effect) / SLIDER["step"]) % GRADE_REPS[2]
    z[2, 2] -= k
    z[2, 1] += k
    matrix = pd.DataFrame(z, index=list(GRADES), columns=list(GRADES))
    left, _right = st.columns([2, 3])
    left.echarts_chart(
        charts.migration_heatmap(matrix, {"title": "Grade migration", "x": "New grade", "y": "Current grade"}),
        key="floor_chart",
        height=charts.CHART_HEIGHT,
    )


def band_chart(value: float, effect: str) -> None:
    """The Anomalies series with its band: the band's half-width (in robust z) follows the slider."""
    rng = np.random.default_rng(0)
    weeks = pd.date_range("2025-01-06", periods=WEEKS, freq="W-MON")
    expected = 100 + 10 * np.sin(np.arange(WEEKS) / 6)
    actual = expected + rng.normal(0, 6, WEEKS)
    z = 3.0 + moved(value, effect) / 25
    df = pd.DataFrame(
        {
            "week_start": weeks,
            "actual": actual,
            "expected": expected,
            "lower": expected - z * 4,
            "upper": expected + z * 4,
        }
    )
    df["flagged"] = (df["actual"] < df["lower"]) | (df["actual"] > df["upper"])
    labels = {"title": "Won revenue of the floor", "x": "Week starting", "y": "Won revenue", "actual": "Actual"}
    labels |= {"expected": "Expected", "band": "Expected band", "flagged": "Flagged"}
    st.plotly_chart(anomalies_charts.series_with_band(df, labels), width="stretch", key="floor_chart")


DRAW = {"cost": cost_chart, "migration": migration_chart, "band": band_chart}


@st.fragment
def floor(chart: str, effect: str) -> None:
    """The slider and the chart it moves; a move reruns only this part (as in the lab)."""
    value = st.slider("Floor slider", key="floor_value", **SLIDER)
    DRAW[chart](value, effect)


st.set_page_config(page_title="Floor", layout="wide")
CHART = st.query_params.get("chart", "cost")
EFFECT = st.query_params.get("effect", "step")
if CHART not in DRAW or EFFECT not in ("step", "tiny", "none"):
    st.error(f"Unknown chart {CHART!r} or effect {EFFECT!r}: chart is one of {list(DRAW)}; effect step, tiny or none.")
    st.stop()
st.sidebar.caption("The app's pages have a sidebar; so has the floor, so its charts are as wide.")
st.title(f"Floor: {CHART}")
floor(CHART, EFFECT)
