"""Pure DataFrame -> plotly figure builders for the Pilots & audit page. Labels arrive translated.

The health-audit charts are built by :mod:`analytics.audit` (the one-click report draws
the same figures without Streamlit); :func:`audit_figures` passes them the page's
translations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import audit
from ui.charts import PALETTE, _layout, add_band


def _start_line(fig: go.Figure, series: pd.DataFrame, label: str) -> None:
    """A dashed vertical line between the last pre quarter and the first post quarter."""
    pre = int((series["period"] == "pre").sum())
    if 0 < pre < len(series):
        fig.add_vline(x=pre - 0.5, line_dash="dash", line_color="grey")
        fig.add_annotation(x=pre - 0.5, y=1.02, yref="paper", text=label, showarrow=False, xanchor="left")


def pilot_paths(series: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Pilot teams' average vs the (weighted, pre-period adjusted) controls per quarter.

    ``series``: :attr:`analytics.pilots.PilotResult.series`. ``labels``: title, x, y, treated, control, start.
    """
    fig = go.Figure()
    x = list(series["quarter"])
    fig.add_trace(
        go.Scatter(
            x=x,
            y=series["control"],
            name=labels["control"],
            mode="lines+markers",
            line={"color": PALETTE[0], "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=series["treated"],
            name=labels["treated"],
            mode="lines+markers",
            line={"color": PALETTE[1], "width": 3},
        )
    )
    fig.update_xaxes(type="category")
    _start_line(fig, series, labels["start"])
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def pilot_effects(series: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Effect per quarter (pilot - controls) with its 95% placebo band; pre quarters are the pre-trend check.

    ``labels``: title, x, y, effect, band, start.
    """
    fig = go.Figure()
    x = list(series["quarter"])
    if series["effect_hi"].notna().any():
        add_band(fig, x, series["effect_lo"], series["effect_hi"], name=labels["band"])
    colors = np.where(series["period"] == "pre", PALETTE[0], PALETTE[1])
    fig.add_trace(
        go.Scatter(
            x=x,
            y=series["effect"],
            name=labels["effect"],
            mode="lines+markers",
            marker={"color": colors, "size": 9},
            line={"color": "grey"},
        )
    )
    fig.add_hline(y=0, line_color="black", line_width=1)
    fig.update_xaxes(type="category")
    _start_line(fig, series, labels["start"])
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def placebo_histogram(placebo: tuple[float, ...], effect: float, labels: dict[str, str]) -> go.Figure:
    """Distribution of the placebo estimates (control teams posing as the pilot) and the pilot's estimate.

    ``labels``: title, x, y, placebo, pilot.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Histogram(x=list(placebo), name=labels["placebo"], marker_color=PALETTE[0], opacity=0.7, nbinsx=40)
    )
    if np.isfinite(effect):
        fig.add_vline(x=effect, line_color=PALETTE[1], line_width=3)
        fig.add_annotation(x=effect, y=1.02, yref="paper", text=labels["pilot"], showarrow=False)
    fig.update_layout(hovermode="closest")
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def mde_curve(mde_by_post: pd.DataFrame, effect: float, labels: dict[str, str]) -> go.Figure:
    """Minimum detectable effect by the number of quarters observed after the start.

    ``labels``: title, x, y, mde, effect.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=mde_by_post["post_quarters"], y=mde_by_post["mde"], name=labels["mde"], marker_color=PALETTE[3])
    )
    if np.isfinite(effect):
        fig.add_hline(y=abs(effect), line_dash="dash", line_color=PALETTE[1], annotation_text=labels["effect"])
    fig.update_xaxes(dtick=1)
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def audit_figures(
    result: audit.AuditResult, translate: Callable[..., str], *, symbol: str | None = None
) -> dict[str, go.Figure]:
    """The health-audit charts (keys: cost, bands, attainment, satisfaction, growth, side).

    ``translate(msgid, **params)`` gives the page's labels; ``symbol`` the currency symbol of
    the money axes (default: the configured display currency).
    """
    return audit.audit_figures(result, translate, symbol=symbol)
