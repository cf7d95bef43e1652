"""Plotly figures of the health audit: pure builders (no Streamlit), labels arrive translated.

The one-click report (:mod:`analytics.audit.report`) and the Pilots & audit page
(through ui/pilots_charts.py) draw the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from analytics.audit.result import AuditResult
from analytics.format import currency_symbol

if TYPE_CHECKING:  # plotly is imported when a figure is drawn, so the CLI starts fast
    import plotly.graph_objects as go

PALETTE = ["#1f6feb", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6cab"]


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.2},
        height=380,
    )
    return fig


def cost_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Incentive and salary cost per quarter (stacked bars) with ROI on a second axis.

    ``labels``: title, x, y, incentive, salary, roi, roi_axis.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = quarterly["quarter"] if len(quarterly) else []
    fig.add_trace(go.Bar(x=x, y=quarterly.get("incentive_cost"), name=labels["incentive"], marker_color=PALETTE[1]))
    fig.add_trace(
        go.Bar(x=x, y=quarterly.get("salary_cost"), name=labels["salary"], marker_color=PALETTE[0], opacity=0.5)
    )
    if len(quarterly):
        err = {
            "type": "data",
            "symmetric": False,
            "array": quarterly["roi_hi"] - quarterly["roi"],
            "arrayminus": quarterly["roi"] - quarterly["roi_lo"],
        }
        fig.add_trace(
            go.Scatter(
                x=x,
                y=quarterly["roi"],
                name=labels["roi"],
                mode="lines+markers",
                error_y=err,
                line={"color": PALETTE[3]},
            ),
            secondary_y=True,
        )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=labels["roi_axis"], tickformat=".1f", rangemode="tozero", secondary_y=True)
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def bands_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Share of rep-quarters at the threshold, quota and accelerator with Wilson intervals.

    ``labels``: title, x, y, threshold, quota, accelerator.
    """
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, name in enumerate(("threshold", "quota", "accelerator")):
        if not len(quarterly):
            break
        col = f"share_{name}"
        err = _interval_bars(quarterly, col)
        fig.add_trace(
            go.Scatter(
                x=quarterly["quarter"],
                y=quarterly[col],
                name=labels[name],
                mode="lines+markers",
                error_y=err,
                line={"color": PALETTE[i]},
            )
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def _interval_bars(frame: pd.DataFrame, col: str) -> dict[str, object]:
    """Plotly asymmetric error bars from ``col``, ``col_lo`` and ``col_hi``."""
    return {
        "type": "data",
        "symmetric": False,
        "array": frame[f"{col}_hi"] - frame[col],
        "arrayminus": frame[col] - frame[f"{col}_lo"],
    }


def attainment_figure(attainment: pd.DataFrame, labels: dict[str, str], *, clip: float = 3.0) -> go.Figure:
    """Attainment distribution per quarter (box plots, values clipped at ``clip``). ``labels``: title, x, y."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if len(attainment):
        fig.add_trace(
            go.Box(
                x=attainment["quarter"],
                y=attainment["attainment"].clip(upper=clip),
                marker_color=PALETTE[0],
                boxpoints=False,
                name=labels["y"],
            )
        )
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(showlegend=False)
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def satisfaction_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """NPS (left axis) and rep satisfaction (right axis) per quarter with 95% intervals.

    ``labels``: title, x, nps, satisfaction.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if len(quarterly):
        for col, color, second in (("nps", PALETTE[1], False), ("satisfaction", PALETTE[3], True)):
            err = _interval_bars(quarterly, col)
            fig.add_trace(
                go.Scatter(
                    x=quarterly["quarter"],
                    y=quarterly[col],
                    name=labels[col],
                    mode="lines+markers",
                    error_y=err,
                    line={"color": color},
                ),
                secondary_y=second,
            )
    fig.update_yaxes(title_text=labels["satisfaction"], tickformat=".1f", secondary_y=True)
    return _layout(fig, labels["title"], labels["x"], labels["nps"])


def growth_figure(quarterly: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Revenue and gross profit per quarter (bars) and year-on-year revenue growth (line).

    ``labels``: title, x, y, revenue, gross_profit, growth.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if len(quarterly):
        fig.add_trace(
            go.Bar(x=quarterly["quarter"], y=quarterly["revenue"], name=labels["revenue"], marker_color=PALETTE[0])
        )
        fig.add_trace(
            go.Bar(
                x=quarterly["quarter"],
                y=quarterly["gross_profit"],
                name=labels["gross_profit"],
                marker_color=PALETTE[4],
            )
        )
        fig.add_trace(
            go.Scatter(
                x=quarterly["quarter"],
                y=quarterly["revenue_growth_yoy"],
                name=labels["growth"],
                mode="lines+markers",
                line={"color": PALETTE[1]},
            ),
            secondary_y=True,
        )
    fig.update_yaxes(tickformat=".0%", title_text=labels["growth"], secondary_y=True)
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def side_effects_figure(effects: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Adjusted difference (accelerator band - others) per outcome with its 95% interval.

    One panel per outcome (units differ). ``labels``: title, and one label per outcome name.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(effects["outcome"]) if len(effects) else []
    fig = make_subplots(rows=1, cols=max(len(names), 1), subplot_titles=[labels.get(n, n) for n in names] or [""])
    for i, (_, row) in enumerate(effects.iterrows(), start=1):
        scale = 100.0 if row["unit"] == "share" else 1.0
        color = PALETTE[1] if row["worse"] else PALETTE[0]
        fig.add_trace(
            go.Scatter(
                x=[row["diff"] * scale],
                y=[""],
                mode="markers",
                marker={"size": 12, "color": color},
                showlegend=False,
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [(row["hi"] - row["diff"]) * scale],
                    "arrayminus": [(row["diff"] - row["lo"]) * scale],
                },
            ),
            row=1,
            col=i,
        )
        fig.add_vline(x=0, line_dash="dash", line_color="grey", row=1, col=i)
    fig.update_layout(
        title=labels["title"], template="plotly_white", height=260, margin={"l": 10, "r": 10, "t": 70, "b": 10}
    )
    return fig


def audit_figures(result: AuditResult, tr: Callable[..., str], *, symbol: str | None = None) -> dict[str, go.Figure]:
    """Every chart of the audit with translated labels (keys: cost, bands, attainment, satisfaction, growth, side).

    ``tr(msgid, **params)`` translates a label; ``symbol`` is the currency symbol of the money
    axes (default: the configured display currency, :func:`analytics.format.currency_symbol`).
    """
    q = result.quarterly
    symbol = (symbol or currency_symbol()).strip()
    quarter = tr("Quarter")
    return {
        "cost": cost_figure(
            q,
            {
                "title": tr("Incentive and salary cost per quarter, with ROI"),
                "x": quarter,
                "y": tr("Cost ({currency})", currency=symbol),
                "incentive": tr("Incentive cost"),
                "salary": tr("Salary cost"),
                "roi": tr("ROI (incremental gross profit per unit of incentive)"),
                "roi_axis": tr("ROI"),
            },
        ),
        "bands": bands_figure(
            q,
            {
                "title": tr("Share of reps at threshold, quota and accelerator"),
                "x": quarter,
                "y": tr("Share of reps"),
                "threshold": tr("Reached base threshold"),
                "quota": tr("Reached quota"),
                "accelerator": tr("In accelerator band"),
            },
        ),
        "attainment": attainment_figure(
            result.attainment, {"title": tr("Attainment distribution per quarter"), "x": quarter, "y": tr("Attainment")}
        ),
        "satisfaction": satisfaction_figure(
            q,
            {
                "title": tr("NPS and rep satisfaction"),
                "x": quarter,
                "nps": tr("NPS"),
                "satisfaction": tr("Rep satisfaction (0-10)"),
            },
        ),
        "growth": growth_figure(
            q,
            {
                "title": tr("Growth: revenue and gross profit per quarter"),
                "x": quarter,
                "y": tr("Revenue and gross profit ({currency})", currency=symbol),
                "revenue": tr("Revenue"),
                "gross_profit": tr("Gross profit"),
                "growth": tr("Revenue growth year on year"),
            },
        ),
        "side": side_effects_figure(
            result.side_effects,
            {
                "title": tr("Side effects: accelerator band minus other reps (segment-adjusted, 95% interval)"),
                "renewal_rate": tr("Renewal rate (percentage points)"),
                "nps": tr("NPS (points)"),
                "complaint_rate": tr("Complaint rate"),
            },
        ),
    }
