"""Figures for the Anomalies page: a weekly series with its expected band, and a waterfall.

Pure DataFrame -> plotly builders; every label arrives already translated.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts import PALETTE, _layout, add_band

FLAG_COLOR = "#d1495b"


def series_with_band(df: pd.DataFrame, labels: dict[str, str], *, rate: bool = False) -> go.Figure:
    """Actual weekly values against the expected value and band, flagged weeks marked.

    ``df``: one row per week with ``week_start``, ``actual``, ``expected``, ``lower``,
    ``upper``, ``flagged`` (bool). ``labels`` keys: title, x, y, actual, expected, band,
    flagged. ``rate`` formats the y axis as percentages.
    """
    x = df["week_start"]
    fig = go.Figure()
    add_band(fig, x, df["lower"], df["upper"], name=labels["band"])
    fig.add_trace(
        go.Scatter(x=x, y=df["expected"], name=labels["expected"], line={"dash": "dash", "color": PALETTE[0]})
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=df["actual"],
            name=labels["actual"],
            mode="lines+markers",
            line={"color": PALETTE[6], "width": 2},
            marker={"size": 5},
        )
    )
    hit = df[df["flagged"].astype(bool)]
    fig.add_trace(
        go.Scatter(
            x=hit["week_start"],
            y=hit["actual"],
            name=labels["flagged"],
            mode="markers",
            marker={"color": FLAG_COLOR, "size": 12, "symbol": "circle-open", "line": {"width": 3}},
        )
    )
    if rate:
        fig.update_yaxes(tickformat=".0%")
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def decomposition_waterfall(
    expected: float, actual: float, terms: pd.DataFrame, labels: dict[str, str], *, top: int = 8, rate: bool = False
) -> go.Figure:
    """Expected value, the largest terms, the rest pooled, and the actual value as a waterfall.

    ``terms``: rows with ``label`` (already translated) and ``contribution``, largest first
    (e.g. :attr:`analytics.anomalies.Decomposition.terms`). ``labels`` keys: title, y,
    expected, actual, rest.
    """
    head = terms.head(top)
    rest = float(terms["contribution"].iloc[top:].sum()) if len(terms) > top else 0.0
    names = [labels["expected"], *head["label"].tolist()]
    values = [expected, *head["contribution"].astype(float).tolist()]
    measures = ["absolute", *["relative"] * len(head)]
    if len(terms) > top:
        names.append(labels["rest"])
        values.append(rest)
        measures.append("relative")
    names.append(labels["actual"])
    values.append(actual)
    measures.append("total")
    fig = go.Figure(
        go.Waterfall(
            x=names,
            y=values,
            measure=measures,
            connector={"line": {"color": "#999"}},
            decreasing={"marker": {"color": FLAG_COLOR}},
            increasing={"marker": {"color": PALETTE[4]}},
            totals={"marker": {"color": PALETTE[0]}},
        )
    )
    fig.update_layout(showlegend=False)
    if rate:
        fig.update_yaxes(tickformat=".1%")
    fig = _layout(fig, labels["title"], "", labels["y"])
    fig.update_layout(hovermode="closest")
    return fig
