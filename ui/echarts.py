"""Pure building blocks for Apache ECharts options (``st.echarts_chart``). Labels arrive translated.

The Incentive lab redraws its charts on every slider move. A Plotly chart's identity in
Streamlit is derived from its whole figure, so every change mounts a new chart and Plotly
lays it out from scratch (about 80 ms per chart in the browser on a 2-core machine); a keyed
ECharts chart keeps its instance and ECharts redraws it in place on a canvas. Options are
plain JSON: every number here is a Python ``float``/``int``, never a NumPy scalar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

#: Height of a chart in pixels (the Plotly charts elsewhere in the app use the same).
HEIGHT = 380


def base_option(title: str, x_title: str, y_title: str, *, legend: bool = True) -> dict[str, Any]:
    """Title, grid, legend below the plot, item tooltips, value axes, no animation.

    Animation is off: a leader moving a slider wants the new state drawn at once, not eased
    in over a second.
    """
    return {
        "animation": False,
        "title": {"text": title, "left": 0},
        "grid": {"left": 10, "right": 24, "top": 64, "bottom": 64 if legend else 36, "containLabel": True},
        "legend": {"bottom": 0, "type": "plain"} if legend else {"show": False},
        "tooltip": {"trigger": "item"},
        "xAxis": {"type": "value", "name": x_title, "nameLocation": "middle", "nameGap": 28},
        "yAxis": {"type": "value", "name": y_title},
    }


def percent_axis(option: dict[str, Any], axis: str = "xAxis") -> dict[str, Any]:
    """Label ``axis`` in percent; its data must be in percent units (attainment x 100)."""
    option[axis]["axisLabel"] = {"formatter": "{value}%"}
    return option


def pairs(x: Iterable[float], y: Iterable[float], digits: int = 2) -> list[list[float]]:
    """``[[x, y], ...]`` as rounded Python floats (NaN pairs dropped), for value-axis series."""
    xs = np.asarray(list(x) if not isinstance(x, np.ndarray) else x, dtype=float)
    ys = np.asarray(list(y) if not isinstance(y, np.ndarray) else y, dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys)
    return [[round(float(a), digits), round(float(b), digits)] for a, b in zip(xs[keep], ys[keep], strict=True)]


def histogram(values: Iterable[float], edges: np.ndarray) -> tuple[list[float], list[int]]:
    """Bin centres and counts of ``values`` on ``edges`` (NumPy's rule: the last bin is closed)."""
    counts, _ = np.histogram(np.asarray(values, dtype=float), bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    return [float(c) for c in centres], [int(n) for n in counts]


def shared_edges(samples: Iterable[Iterable[float]], bins: int) -> np.ndarray:
    """``bins`` equal-width bins spanning every finite value of every sample (one unit wide if constant)."""
    finite = [v[np.isfinite(v)] for v in (np.asarray(s, dtype=float) for s in samples)]
    allv = np.concatenate(finite) if finite else np.array([])
    lo, hi = (float(allv.min()), float(allv.max())) if allv.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1)


def vertical_marks(marks: Mapping[str, float], colors: list[str], *, dashed: bool = True) -> dict[str, Any]:
    """A ``markLine`` with one labelled vertical line per finite mark (label -> x).

    Labels run along their line, so marks close together (80%, 100%, 120%) stay readable.
    """
    data = [
        {
            "xAxis": round(float(x), 4),
            "name": name,
            "label": {"formatter": name, "position": "insideEndTop"},
            "lineStyle": {"color": colors[i % len(colors)], "type": "dashed" if dashed else "solid", "width": 2},
        }
        for i, (name, x) in enumerate(marks.items())
        if np.isfinite(x)
    ]
    return {"symbol": "none", "silent": True, "data": data}
