"""Pure DataFrame -> plotly figure builders. Labels arrive already translated."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#1f6feb", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6cab", "#30638e", "#ff8c42"]
BAND_COLOR = "rgba(31,111,235,0.12)"


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
    fig.add_trace(go.Scatter(x=x, y=df["band_hi"], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=df["band_lo"],
            fill="tonexty",
            fillcolor=BAND_COLOR,
            mode="lines",
            line={"width": 0},
            name=labels["band"],
            hoverinfo="skip",
        )
    )
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
    fig.add_trace(go.Scatter(x=df[x], y=df[hi], mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=df[x],
            y=df[lo],
            fill="tonexty",
            fillcolor=BAND_COLOR,
            mode="lines",
            line={"width": 0},
            name=labels["interval"],
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(x=df[x], y=df[rate], name=labels["rate"], mode="lines+markers", line={"color": PALETTE[0]})
    )
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, labels["title"], labels["x"], labels["y"])
