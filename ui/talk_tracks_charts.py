"""Figure builders and display tables for the Talk tracks & drivers page.

Figures are pure DataFrame -> plotly builders; labels arrive already translated and
``names`` maps stored values (tags, metrics) to display names. The display tables turn
analytics frames into translated, locale-formatted tables (``*_display``). Findings are
shown through :mod:`ui.findings` (the one renderer), never formatted here.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from analytics import format as base_format
from ui import format as fmt
from ui.charts import PALETTE
from ui.i18n import current_lang, t

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


def p_text(value: float | None) -> str:
    """A p- or q-value in the session's language (:func:`analytics.format.p_value`)."""
    return base_format.p_value(value, lang=current_lang())


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


# -- display tables --------------------------------------------------------------------------------


def dimension_names() -> dict[str, str]:
    """Metric dimension -> translated name."""
    return {
        "results": t("Business results"),
        "behaviour": t("Behaviour quality"),
        "collaboration": t("Team collaboration"),
    }


def covariate_names() -> dict[str, str]:
    """Balance-table covariate -> translated name."""
    return {
        "source": t("Source"),
        "segment": t("Segment"),
        "region_id": t("Region"),
        "created_quarter": t("Quarter"),
        "deal_size_band": t("Deal-size band"),
        "rep_skill_proxy": t("Rep's conversion on other leads"),
    }


def deal_size_names() -> dict[str, str]:
    """Deal-size band -> translated name."""
    return {"small": t("small"), "medium": t("medium"), "large": t("large"), "unknown": t("unknown")}


def interval(lo: float, hi: float, *, signed: bool = False) -> str:
    """'12.0% to 26.0%' (signed: '+12.0% to +26.0%')."""
    show = fmt.signed_percent if signed else fmt.percent
    return t("{lo} to {hi}", lo=show(lo), hi=show(hi))


def metric_value(metric: str, value: float) -> str:
    """A metric value in its unit."""
    if metric == "won_amount":
        return fmt.money(value, compact=True)
    if metric in ("attainment", "conversion_rate"):
        return fmt.percent(value)
    return fmt.number(value, digits=2)


def effects_display(effects: pd.DataFrame, tag_label: Callable[[str], str]) -> pd.DataFrame:
    """The effects table (analytics.talk_tracks.EFFECT_COLUMNS) with translated headers, one row per tag."""
    rows = []
    for r in effects.itertuples():
        rate_with = f"{fmt.percent(r.raw_rate_treated)} ({interval(r.raw_rate_treated_lo, r.raw_rate_treated_hi)})"
        rate_without = f"{fmt.percent(r.raw_rate_control)} ({interval(r.raw_rate_control_lo, r.raw_rate_control_hi)})"
        adjusted = {
            t("Adjusted lift"): fmt.signed_percent(r.adj_lift),
            t("95% interval (lift)"): interval(r.adj_lift_lo, r.adj_lift_hi, signed=True),
            t("Adjusted difference (points)"): fmt.signed_percent(r.adj_diff),
            t("95% interval (difference)"): interval(r.adj_diff_lo, r.adj_diff_hi, signed=True),
            t("q-value"): p_text(r.q_value),
            t("Leads trimmed"): fmt.count(r.n_trimmed),
        }
        rows.append(
            {
                t("Talk track"): tag_label(r.tag),
                t("Leads with it"): fmt.count(r.n_treated),
                t("Leads without it"): fmt.count(r.n_control),
                t("Conversion with it"): rate_with,
                t("Conversion without it"): rate_without,
                t("Raw lift"): fmt.signed_percent(r.raw_lift),
                **{k: (v if r.reported else "—") for k, v in adjusted.items()},
                t("Reported"): t("yes") if r.reported else t("no (see the note above)"),
            }
        )
    return pd.DataFrame(rows)


def balance_labels(balance: pd.DataFrame, levels: dict[str, dict[str, str]]) -> list[str]:
    """'Segment: SMB' for each balance row (``levels``: covariate -> {stored level: display name})."""
    names = covariate_names()
    return [
        f"{names.get(c, c)}: {levels.get(c, {}).get(lv, lv)}" if lv else names.get(c, c)
        for c, lv in zip(balance["covariate"], balance["level"], strict=True)
    ]


def balance_display(balance: pd.DataFrame) -> pd.DataFrame:
    """One tag's balance rows (with ``label``) as a formatted table."""
    return pd.DataFrame(
        {
            t("Covariate"): balance["label"],
            t("Mean with the talk track"): [fmt.number(v, digits=3) for v in balance["mean_treated"]],
            t("Mean without it"): [fmt.number(v, digits=3) for v in balance["mean_control"]],
            t("Standardised difference before"): [fmt.number(v, digits=3) for v in balance["smd_before"]],
            t("Standardised difference after"): [fmt.number(v, digits=3) for v in balance["smd_after"]],
        }
    )


def drivers_display(effects: pd.DataFrame) -> pd.DataFrame:
    """The drivers' effects (with ``label``) as a formatted table, one row per metric."""
    dims = dimension_names()
    return pd.DataFrame(
        {
            t("Metric"): effects["label"],
            t("Dimension"): [dims[d] for d in effects["dimension"]],
            t("Top performers better than the median"): [
                f"{fmt.count(k)} / {fmt.count(n)}" for k, n in zip(effects["k_better"], effects["n_top"], strict=True)
            ],
            t("All reps better than the median"): [fmt.percent(v) for v in effects["expected_share"]],
            t("p-value"): [p_text(v) for v in effects["p_value"]],
            t("q-value"): [p_text(v) for v in effects["q_value"]],
            t("Top mean"): [fmt.number(v, digits=2) for v in effects["top_mean"]],
            t("Others' mean"): [fmt.number(v, digits=2) for v in effects["rest_mean"]],
            t("Effect per 1 SD"): [fmt.number(v, digits=2) for v in effects["coef_per_sd"]],
            t("95% interval"): [
                t("{lo} to {hi}", lo=fmt.number(lo, digits=2), hi=fmt.number(hi, digits=2))
                for lo, hi in zip(effects["coef_lo"], effects["coef_hi"], strict=True)
            ],
            t("Permutation importance"): [fmt.number(v, digits=3) for v in effects["perm_importance"]],
        }
    )


def profile_display(profile: pd.DataFrame, metric_title: Callable[[str], str]) -> pd.DataFrame:
    """A rep profile (analytics.talk_tracks.drivers.PROFILE_COLUMNS) as a formatted table."""
    dims = dimension_names()
    metrics = profile["metric"]

    def values(col: str) -> list[str]:
        return [metric_value(m, v) for m, v in zip(metrics, profile[col], strict=True)]

    return pd.DataFrame(
        {
            t("Dimension"): [dims[d] for d in profile["dimension"]],
            t("Metric"): [metric_title(m) for m in metrics],
            t("Rep"): values("rep_value"),
            t("Team mean"): values("team_mean"),
            t("Top-decile mean"): values("top_decile_mean"),
            t("Median"): values("median"),
            t("Position among reps"): [fmt.percent(v, digits=0) for v in profile["rep_percentile"]],
        }
    )
