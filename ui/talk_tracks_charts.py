"""Figure builders and text helpers for the Talk tracks & drivers page.

Figures are pure DataFrame -> plotly builders; labels arrive already translated and
``names`` maps stored values (tags, metrics) to display names. :func:`finding_text` turns
an analytics :class:`~analytics.talk_tracks.Finding` into translated, locale-formatted text.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from analytics.talk_tracks.effects import Finding
from ui import format as fmt
from ui.charts import PALETTE
from ui.i18n import t

_GREY = "#8b949e"


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, *, height: int = 380) -> go.Figure:
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


def finding_text(finding: Finding, label: Callable[[str, str], str]) -> str:
    """Translate a finding's template and format its parameters by their suffix.

    ``label(key, value)`` returns the display name of a stored value (``tag``, ``metric``,
    ``metric2``). Suffixes: ``_signed`` signed percent, ``_pct`` percent, ``_n`` count,
    ``_p`` a p- or q-value (3 decimals); ``adjusted_for`` is translated as a phrase.
    """
    params: dict[str, object] = {}
    for key, value in finding.params.items():
        if key in ("tag", "metric", "metric2"):
            params[key] = label(key, str(value))
        elif key == "adjusted_for":
            params[key] = t(str(value))
        elif key.endswith("_signed"):
            params[key] = fmt.signed_percent(value)  # type: ignore[arg-type]
        elif key.endswith("_pct"):
            params[key] = fmt.percent(value)  # type: ignore[arg-type]
        elif key.endswith("_n"):
            params[key] = fmt.count(value)  # type: ignore[arg-type]
        elif key.endswith("_p"):
            params[key] = p_text(value)  # type: ignore[arg-type]
        else:
            params[key] = value
    return t(finding.template, **params)


def p_text(value: float | None) -> str:
    """A p- or q-value: three decimals, '<0.001' below that."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return "<0.001" if value < 0.001 else fmt.number(value, digits=3)


def lift_forest(df: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Adjusted lift with its 95% interval per tag, and the raw lift as an open marker.

    ``df`` columns: ``label``, ``adj_lift``, ``adj_lift_lo``, ``adj_lift_hi``, ``raw_lift``.
    ``labels``: title, x, adjusted, raw.
    """
    d = df.iloc[::-1]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=d["adj_lift"],
            y=d["label"],
            mode="markers",
            name=labels["adjusted"],
            marker={"color": PALETTE[0], "size": 11},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": d["adj_lift_hi"] - d["adj_lift"],
                "arrayminus": d["adj_lift"] - d["adj_lift_lo"],
                "color": PALETTE[0],
                "thickness": 2,
            },
        )
    )
    fig.add_trace(
        go.Scatter(
            x=d["raw_lift"],
            y=d["label"],
            mode="markers",
            name=labels["raw"],
            marker={"color": PALETTE[1], "size": 11, "symbol": "circle-open", "line": {"width": 2}},
        )
    )
    fig.add_vline(x=0, line={"color": _GREY, "dash": "dot"})
    fig.update_xaxes(tickformat="+.0%")
    return _layout(fig, labels["title"], labels["x"], "", height=max(260, 70 * len(d) + 120))


def overlap_histogram(df: pd.DataFrame, trim: float, labels: dict[str, str]) -> go.Figure:
    """Propensity histograms of leads with and without the tag, with the trimming bounds.

    ``df``: one tag's rows of the overlap table (``bin_lo, bin_hi, group, leads``).
    ``labels``: title, x, y, treated, control, bounds.
    """
    fig = go.Figure()
    for i, group in enumerate(("treated", "control")):
        g = df[df["group"] == group]
        fig.add_trace(
            go.Bar(
                x=(g["bin_lo"] + g["bin_hi"]) / 2,
                y=g["leads"],
                name=labels[group],
                width=(g["bin_hi"] - g["bin_lo"]) * 0.95,
                marker_color=PALETTE[i],
                opacity=0.6,
            )
        )
    for x in (trim, 1 - trim):
        fig.add_vline(x=x, line={"color": _GREY, "dash": "dash"})
    fig.add_annotation(
        x=trim, y=1, yref="paper", text=labels["bounds"], showarrow=False, xanchor="left", font={"color": _GREY}
    )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(range=[0, 1])
    return _layout(fig, labels["title"], labels["x"], labels["y"])


def balance_plot(df: pd.DataFrame, labels: dict[str, str], *, threshold: float = 0.1) -> go.Figure:
    """Love plot: absolute standardised mean difference per covariate level, before and after weighting.

    ``df`` columns: ``label``, ``smd_before``, ``smd_after``. ``labels``: title, x, before, after.
    """
    d = df.iloc[::-1]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=d["smd_before"].abs(),
            y=d["label"],
            mode="markers",
            name=labels["before"],
            marker={"color": PALETTE[1], "size": 8, "symbol": "circle-open"},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=d["smd_after"].abs(),
            y=d["label"],
            mode="markers",
            name=labels["after"],
            marker={"color": PALETTE[0], "size": 8},
        )
    )
    fig.add_vline(x=threshold, line={"color": _GREY, "dash": "dash"})
    return _layout(fig, labels["title"], labels["x"], "", height=max(320, 18 * len(d) + 120))


def coef_forest(df: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Standardised logistic coefficient (per 1 SD) with its 95% interval per metric.

    ``df`` columns: ``label``, ``coef_per_sd``, ``coef_lo``, ``coef_hi``. ``labels``: title, x.
    """
    d = df.iloc[::-1]
    fig = go.Figure(
        go.Scatter(
            x=d["coef_per_sd"],
            y=d["label"],
            mode="markers",
            marker={"color": PALETTE[0], "size": 10},
            showlegend=False,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": d["coef_hi"] - d["coef_per_sd"],
                "arrayminus": d["coef_per_sd"] - d["coef_lo"],
                "color": PALETTE[0],
            },
        )
    )
    fig.add_vline(x=0, line={"color": _GREY, "dash": "dot"})
    return _layout(fig, labels["title"], labels["x"], "", height=max(300, 40 * len(d) + 120))


def importance_bars(df: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Permutation importance (drop in AUC) per metric with its SD. ``df``: ``label``,
    ``perm_importance``, ``perm_importance_sd``. ``labels``: title, x."""
    d = df.sort_values("perm_importance")
    fig = go.Figure(
        go.Bar(
            x=d["perm_importance"],
            y=d["label"],
            orientation="h",
            marker_color=PALETTE[3],
            error_x={"type": "data", "array": d["perm_importance_sd"], "color": _GREY},
            showlegend=False,
        )
    )
    return _layout(fig, labels["title"], labels["x"], "", height=max(300, 40 * len(d) + 120))


def profile_bars(df: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Rep, team mean and top-decile mean on one percentile scale (1 = best of the reps), per metric.

    ``df`` columns: ``label``, ``rep_percentile``, ``team_percentile``, ``top_decile_percentile``.
    ``labels``: title, x, rep, team, top.
    """
    d = df.iloc[::-1]
    fig = go.Figure()
    for i, (col, key) in enumerate(
        (("top_decile_percentile", "top"), ("team_percentile", "team"), ("rep_percentile", "rep"))
    ):
        fig.add_trace(
            go.Bar(
                x=d[col],
                y=d["label"],
                orientation="h",
                name=labels[key],
                marker_color=[PALETTE[2], _GREY, PALETTE[0]][i],
            )
        )
    fig.update_layout(barmode="group", legend={"traceorder": "reversed"})
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    return _layout(fig, labels["title"], labels["x"], "", height=max(380, 55 * len(d) + 120))
