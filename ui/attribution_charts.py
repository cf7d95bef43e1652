"""Figure builders for the Attribution page: pure DataFrame -> plotly figure.

Labels arrive already translated; ``names`` maps stored values (sources, channels, models)
to display names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.charts import PALETTE

_BAND_ALPHA = 0.12


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, height: int = 400) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def ratio_forest(df: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Each row's conversion ratio to the baseline with its 95% interval, on a log axis.

    ``df`` columns: ``label``, ``ratio``, ``lo``, ``hi``, ``significant`` (bool). ``labels``:
    title, x, significant, not_significant, reference.
    """
    d = df.iloc[::-1]
    fig = go.Figure()
    for flag, name, color in ((True, labels["significant"], PALETTE[1]), (False, labels["not_significant"], "#8c8c8c")):
        part = d[d["significant"] == flag]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["ratio"],
                y=part["label"],
                mode="markers",
                name=name,
                marker={"color": color, "size": 10},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["hi"] - part["ratio"]).to_numpy(),
                    "arrayminus": (part["ratio"] - part["lo"]).to_numpy(),
                    "color": color,
                },
            )
        )
    fig.add_vline(x=1.0, line_dash="dash", line_color="#555", annotation_text=labels["reference"])
    fig.update_xaxes(type="log")
    return _layout(fig, labels["title"], labels["x"], "", height=max(300, 40 * len(d) + 120))


def conversion_curves(df: pd.DataFrame, names: dict[str, str], labels: dict[str, str]) -> go.Figure:
    """Share converted by day N per source, with 95% bands.

    ``df``: analytics.attribution.conversion_curves. ``labels``: title, x, y.
    """
    fig = go.Figure()
    for i, (source, grp) in enumerate(df.groupby("source", sort=True)):
        color = _color(i)
        name = names.get(source, source)
        fig.add_trace(
            go.Scatter(
                x=grp["day"],
                y=grp["converted_hi"],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
                legendgroup=source,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=grp["day"],
                y=grp["converted_lo"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=_rgba(color, _BAND_ALPHA),
                showlegend=False,
                hoverinfo="skip",
                legendgroup=source,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=grp["day"],
                y=grp["converted_share"],
                name=name,
                line={"color": color},
                legendgroup=source,
                line_shape="hv",
            )
        )
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(hovermode="x unified")
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def funnel_by_source(
    df: pd.DataFrame, names: dict[str, str], step_names: dict[str, str], labels: dict[str, str]
) -> go.Figure:
    """Cumulative share of each source's leads reaching each funnel step, with 95% intervals.

    ``df``: analytics.attribution.source_funnel. ``labels``: title, x, y.
    """
    fig = go.Figure()
    for i, (source, grp) in enumerate(df.groupby("source", sort=True)):
        grp = grp.sort_values("step_index")
        fig.add_trace(
            go.Scatter(
                x=[step_names.get(s, s) for s in grp["step"]],
                y=grp["cumulative_rate"],
                name=names.get(source, source),
                mode="lines+markers",
                line={"color": _color(i)},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (grp["cumulative_hi"] - grp["cumulative_rate"]).to_numpy(),
                    "arrayminus": (grp["cumulative_rate"] - grp["cumulative_lo"]).to_numpy(),
                },
            )
        )
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def model_comparison(
    df: pd.DataFrame, model_names: dict[str, str], channel_names: dict[str, str], labels: dict[str, str]
) -> go.Figure:
    """Every model's share per channel side by side, with bootstrap 95% intervals.

    ``df``: the ``credits`` of analytics.attribution_touch.compare_models. ``labels``: title,
    x, y.
    """
    order = (
        df[df["model"] == df["model"].iloc[0]].sort_values("share", ascending=False)["channel"].tolist()
        if len(df)
        else []
    )
    fig = go.Figure()
    for i, (model, grp) in enumerate(df.groupby("model", sort=False)):
        grp = grp.set_index("channel").reindex(order)
        share = grp["share"].to_numpy(dtype=float)
        fig.add_trace(
            go.Bar(
                x=[channel_names.get(c, c) for c in order],
                y=share,
                name=model_names.get(model, model),
                marker_color=_color(i),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": np.nan_to_num(grp["share_hi"].to_numpy(dtype=float) - share),
                    "arrayminus": np.nan_to_num(share - grp["share_lo"].to_numpy(dtype=float)),
                },
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, labels["title"], labels["x"], labels["y"], height=460)
