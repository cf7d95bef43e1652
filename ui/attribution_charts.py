"""Figure builders and display tables for the Attribution page.

Figures are pure DataFrame -> plotly builders; labels arrive already translated and
``names`` maps stored values (sources, channels, models) to display names. The display
tables turn analytics frames into translated, locale-formatted tables (``*_display``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui.charts import PALETTE
from ui.i18n import t

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


# -- display tables --------------------------------------------------------------------------------


def interval(lo: float | None, hi: float | None, show: Callable[[float], str]) -> str:
    """'lo – hi' with a formatter, or a dash when either end is undefined."""
    if (
        lo is None
        or hi is None
        or (isinstance(lo, float) and math.isnan(lo))
        or (isinstance(hi, float) and math.isnan(hi))
    ):
        return "—"
    return f"{show(lo)} – {show(hi)}"


def ratio_text(value: float) -> str:
    """A ratio such as 3.1 (one decimal)."""
    return fmt.number(value, digits=1)


def _compact_money(value: float) -> str:
    return fmt.money(value, compact=True)


def split_names() -> dict[str, str]:
    """Split dimension -> translated name (the split selector and the table headers)."""
    return {"region": t("Region"), "segment": t("Segment"), "quarter": t("Quarter"), "team": t("Team")}


def model_names() -> dict[str, str]:
    """Attribution model -> translated name."""
    return {
        "first": t("First touch"),
        "last": t("Last touch"),
        "linear": t("Linear"),
        "time_decay": t("Time decay"),
        "position": t("Position-based (U-shaped)"),
        "w_shaped": t("W-shaped"),
        "markov": t("Markov chain (removal effect)"),
        "shapley": t("Shapley value"),
    }


def step_names() -> dict[str, str]:
    """Funnel step -> translated name."""
    return {
        "new": t("New"),
        "contacted": t("Contacted"),
        "qualified": t("Qualified"),
        "proposal": t("Proposal"),
        "negotiation": t("Negotiation"),
        "won": t("Won"),
    }


def source_display(
    table: pd.DataFrame, cols: list[str], source_label: Callable[[str], str], dim_names: dict[str, dict]
) -> pd.DataFrame:
    """The source table (analytics.attribution.source_table) with translated headers and formatted values.

    ``cols`` are the split columns besides ``source``; ``dim_names`` maps a split column to
    {stored value: display name}.
    """
    headers = {"region_id": t("Region"), "segment": t("Segment"), "quarter": t("Quarter"), "team_id": t("Team")}
    out = pd.DataFrame({t("Lead source"): [source_label(s) for s in table["source"]]})
    for c in cols:
        out[headers[c]] = [dim_names.get(c, {}).get(v, v) for v in table[c]]
    out[t("Leads")] = [fmt.count(v) for v in table["leads"]]
    out[t("Won")] = [fmt.count(v) for v in table["won"]]
    out[t("Open")] = [fmt.count(v) for v in table["open_leads"]]
    out[t("Conversion rate")] = [fmt.percent(v) for v in table["conversion_rate"]]
    out[t("95% interval")] = [
        interval(lo, hi, fmt.percent) for lo, hi in zip(table["conversion_lo"], table["conversion_hi"], strict=True)
    ]
    out[t("Median days to convert")] = [fmt.count(v) for v in table["median_days_to_convert"]]
    out[t("P75 days to convert")] = [fmt.count(v) for v in table["p75_days_to_convert"]]
    out[t("Mean won deal")] = [_compact_money(v) for v in table["mean_won_amount"]]
    out[t("Mean 95% interval")] = [
        interval(lo, hi, _compact_money)
        for lo, hi in zip(table["mean_won_amount_lo"], table["mean_won_amount_hi"], strict=True)
    ]
    out[t("Median won deal")] = [_compact_money(v) for v in table["median_won_amount"]]
    out[t("Median 95% interval")] = [
        interval(lo, hi, _compact_money)
        for lo, hi in zip(table["median_won_amount_lo"], table["median_won_amount_hi"], strict=True)
    ]
    out[t("Revenue per lead")] = [fmt.money(v) for v in table["revenue_per_lead"]]
    out[t("Ratio to baseline")] = [ratio_text(v) for v in table["ratio_to_baseline"]]
    out[t("Ratio 95% interval")] = [
        interval(lo, hi, ratio_text) for lo, hi in zip(table["ratio_lo"], table["ratio_hi"], strict=True)
    ]
    out[t("p (Holm)")] = [fmt.number(v, digits=4) for v in table["p_value_holm"]]
    return out


def forest_frame(
    table: pd.DataFrame, cols: list[str], row_label: Callable[[pd.Series], str], alpha: float
) -> pd.DataFrame:
    """Rows of the source table with a ratio interval, shaped for :func:`ratio_forest`.

    ``row_label(row)`` names a row; ``significant`` is Holm-adjusted p below ``alpha``.
    """
    forest = table[table["ratio_lo"].notna()].copy()
    forest["label"] = [row_label(r) for _, r in forest.iterrows()]
    forest = forest.rename(columns={"ratio_to_baseline": "ratio", "ratio_lo": "lo", "ratio_hi": "hi"})
    forest["significant"] = forest["p_value_holm"] < alpha
    return forest


def funnel_display(funnel: pd.DataFrame, source_label: Callable[[str], str], steps: dict[str, str]) -> pd.DataFrame:
    """The funnel (analytics.attribution.source_funnel) with translated headers and formatted rates."""
    return pd.DataFrame(
        {
            t("Lead source"): [source_label(s) for s in funnel["source"]],
            t("Step"): [steps.get(s, s) for s in funnel["step"]],
            t("Leads reaching the step"): [fmt.count(v) for v in funnel["reached"]],
            t("From the previous step"): [fmt.percent(v) for v in funnel["step_rate"]],
            t("Cumulative"): [fmt.percent(v) for v in funnel["cumulative_rate"]],
            t("Cumulative 95% interval"): [
                interval(lo, hi, fmt.percent)
                for lo, hi in zip(funnel["cumulative_lo"], funnel["cumulative_hi"], strict=True)
            ],
        }
    )


def credit_display(chosen: pd.DataFrame, channel_names: dict[str, str]) -> pd.DataFrame:
    """One model's credit rows (analytics.attribution.touch CREDIT_COLUMNS) as a formatted table."""
    return pd.DataFrame(
        {
            t("Channel"): [channel_names.get(c, c) for c in chosen["channel"]],
            t("Conversions credited"): [fmt.number(v, digits=1) for v in chosen["conversions_credit"]],
            t("Revenue credited"): [_compact_money(v) for v in chosen["revenue_credit"]],
            t("Share"): [fmt.percent(v) for v in chosen["share"]],
            t("95% interval"): [
                interval(lo, hi, fmt.percent) for lo, hi in zip(chosen["share_lo"], chosen["share_hi"], strict=True)
            ],
        }
    )
