"""Pure DataFrame -> plotly figure builders. Labels arrive already translated."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#1f6feb", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6cab", "#30638e", "#ff8c42"]
BAND_COLOR = "rgba(31,111,235,0.12)"


def add_band(
    fig: go.Figure,
    x: object,
    lo: object,
    hi: object,
    *,
    name: str | None = None,
    color: str = BAND_COLOR,
    legendgroup: str | None = None,
) -> go.Figure:
    """Add a shaded interval between ``lo`` and ``hi`` (no lines, no markers, no hover).

    With ``name`` the band gets a legend entry; without, it is hidden from the legend.
    """
    common = {"mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", "legendgroup": legendgroup}
    fig.add_trace(go.Scatter(x=x, y=hi, showlegend=False, **common))
    fig.add_trace(
        go.Scatter(x=x, y=lo, fill="tonexty", fillcolor=color, name=name, showlegend=name is not None, **common)
    )
    return fig


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
        height=380,
    )
    return fig


def attainment_curve(df: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Cumulative won revenue by week against the target pace and its 80-120% band.

    ``df``: the weekly curve (analytics.overview.weekly_curve). ``labels`` keys: title, x, y,
    actual, pace, band.
    """
    x = df["week_start"]
    fig = go.Figure()
    add_band(fig, x, df["band_lo"], df["band_hi"], name=labels["band"])
    fig.add_trace(
        go.Scatter(
            x=x, y=df["target_pace"], name=labels["pace"], mode="lines", line={"dash": "dash", "color": PALETTE[0]}
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=df["cum_won_revenue"],
            name=labels["actual"],
            mode="lines+markers",
            line={"color": PALETTE[1], "width": 3},
        )
    )
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def rate_with_interval(df: pd.DataFrame, x: str, rate: str, lo: str, hi: str, labels: dict[str, str]) -> go.Figure:
    """A rate over time with its interval as a shaded band. ``labels``: title, x, y, rate, interval."""
    fig = go.Figure()
    add_band(fig, df[x], df[lo], df[hi], name=labels["interval"])
    fig.add_trace(
        go.Scatter(x=df[x], y=df[rate], name=labels["rate"], mode="lines+markers", line={"color": PALETTE[0]})
    )
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, labels["title"], labels["x"], labels["y"])
