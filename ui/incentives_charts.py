"""Figures and translated labels for the Scorecard and Incentive lab pages.

Figure builders are pure functions of DataFrames: ECharts options for the charts redrawn as a
slider moves, Plotly figures for the others; labels arrive translated. The
label helpers map the stable English ids of :mod:`analytics.incentives.plans`,
:mod:`analytics.incentives.scorecard` and :mod:`analytics.incentives` (metric names, trace rules,
reasons) to translated text, and ``ui.format.currency_unit`` names the configured currency in labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.incentives.plans import GRADES
from ui import echarts
from ui import format as fmt
from ui.charts import BAND_COLOR, PALETTE, _layout
from ui.i18n import t

GRADE_COLORS = {"A+": "#1b7837", "A": "#5aae61", "B": "#9970ab", "C": "#edae49", "D": "#d1495b"}


# -- labels ---------------------------------------------------------------------------------
def metric_labels() -> dict[str, str]:
    """Scorecard metric id -> translated label."""
    return {
        "attainment": t("Attainment"),
        "gmv": t("GMV contribution"),
        "close_rate": t("Close rate"),
        "clv_proxy": t("Customer lifetime value (proxy)"),
        "renewal_rate": t("Renewal rate"),
        "referral_rate": t("Referral rate"),
        "strategic_project_score": t("Strategic project score"),
        "needs_discovery": t("Needs-discovery depth"),
        "call_efficiency": t("Call efficiency"),
        "solution_innovation": t("Solution innovation"),
        "complaint_rate": t("Complaint rate"),
        "approval_error_rate": t("Approval error rate"),
        "nps": t("NPS"),
        "cross_dept_response_hours": t("Cross-department response hours"),
        "mentoring_hours": t("Mentoring hours"),
        "peer_review_score": t("Peer review score"),
        "collaboration_score": t("Collaboration score"),
    }


def dimension_labels() -> dict[str, str]:
    """Dimension id -> translated label."""
    return {
        "results": t("Business results"),
        "behaviour": t("Behaviour quality"),
        "collaboration": t("Team collaboration"),
    }


def role_labels() -> dict[str, str]:
    """Role id -> translated label (unknown roles stay as stored)."""
    return {"telesales": t("Telesales"), "key_account": t("Key accounts"), "field": t("Field"), "channel": t("Channel")}


def rule_label(rule: str, tier: object = None, *, lang: str | None = None) -> str:
    """Translated name of a payout trace rule (``lang``: default the session's language)."""
    if rule == "commission":
        return t("Commission, tier {n}", lang=lang, n=tier)
    return {
        "base_bonus": t("Base bonus", lang=lang),
        "commission_cap": t("Commission cap", lang=lang),
        "team_equal": t("Team pool, equal share", lang=lang),
        "team_contribution": t("Team pool, contribution share", lang=lang),
        "innovation": t("Innovation pool", lang=lang),
        "budget_scaling": t("Budget scaling", lang=lang),
    }.get(rule, rule)


def trace_metric_label(metric: str, *, lang: str | None = None) -> str:
    """Translated name of what a trace line's value measures (``lang``: default the session's language)."""
    return {
        "monthly_salary": t("Monthly salary", lang=lang),
        "won_amount": t("Won amount in tier", lang=lang),
        "commission": t("Commission before cap", lang=lang),
        "team_pool": t("Team pool", lang=lang),
        "innovation_points": t("Innovation points", lang=lang),
        "subtotal": t("Pay before scaling", lang=lang),
    }.get(metric, metric)


def reason_labels() -> dict[str, str]:
    """Winners-and-losers reason code -> translated text."""
    return {
        "reaches_base": t("Now reaches the base-bonus threshold"),
        "loses_base": t("No longer reaches the base-bonus threshold"),
        "commission": t("Mostly commission"),
        "team_bonus": t("Mostly team pool"),
        "innovation_bonus": t("Mostly innovation pool"),
        "budget_scaling": t("Mostly budget scaling"),
        "base_bonus": t("Mostly base bonus"),
        "unchanged": t("Unchanged"),
    }


# -- figures --------------------------------------------------------------------------------
# Charts redrawn as a slider moves (the Incentive lab's and the Scorecard's grade migration) are
# ECharts options (see ui/echarts.py for why); the Scorecard's other charts are Plotly figures.
COST_PARTS = (
    ("base_cost", "base"),
    ("commission_cost", "commission"),
    ("team_cost", "team"),
    ("innovation_cost", "innovation"),
    ("scaling_cost", "scaling"),
)
#: Attainment histogram: 10-point bins from 0% to 300% (higher attainment is counted in the last).
ATTAINMENT_CAP = 3.0
ATTAINMENT_BIN = 0.1
#: Height of the lab's charts in pixels.
CHART_HEIGHT = echarts.HEIGHT
#: Bins of the simulated-cost histogram.
RISK_BINS = 40


def cost_vs_budget(rows: pd.DataFrame, labels: dict[str, str]) -> dict[str, Any]:
    """Stacked cost components per plan against each plan's budget (an ECharts option).

    ``rows``: one row per plan with ``plan`` (display name), ``base_cost``, ``commission_cost``,
    ``team_cost``, ``innovation_cost``, ``scaling_cost`` and ``budget``. ``labels``: title, y,
    base, commission, team, innovation, scaling, budget. Budget scaling is negative, so it
    stacks below zero and the bar's top is the total cost.
    """
    option = echarts.base_option(labels["title"], "", labels["y"])
    option["xAxis"] = {"type": "category", "data": [str(p) for p in rows["plan"]]}
    option["tooltip"] = {"trigger": "axis", "valueFormatter": "localized"}
    series: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": labels[key],
            "stack": "cost",
            "itemStyle": {"color": PALETTE[i]},
            "data": [round(float(v), 2) for v in rows[col]],
        }
        for i, (col, key) in enumerate(COST_PARTS)
    ]
    series.append(
        {
            "type": "scatter",
            "name": labels["budget"],
            "symbol": "rect",
            "symbolSize": [80, 3],
            "itemStyle": {"color": "black"},
            "data": [round(float(v), 2) for v in rows["budget"]],
        }
    )
    option["series"] = series
    return option


def payout_curve(curves: dict[str, pd.DataFrame], reps: pd.DataFrame, labels: dict[str, str]) -> dict[str, Any]:
    """Pay of the typical rep against attainment for each plan, with every rep's actual pay as dots.

    ``curves``: display name -> :func:`analytics.incentives.payout_curve` frame. ``reps``:
    ``attainment``, ``total_pay`` (the scenario). ``labels``: title, x, y, reps. Attainment is
    plotted in percent.
    """
    option = echarts.percent_axis(echarts.base_option(labels["title"], labels["x"], labels["y"]))
    series: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "name": labels["reps"],
            "symbolSize": 5,
            "itemStyle": {"color": "rgba(120,120,120,0.45)"},
            "data": echarts.pairs(reps["attainment"].to_numpy(dtype=float) * 100, reps["total_pay"]),
        }
    ]
    for i, (name, c) in enumerate(curves.items()):
        series.append(
            {
                "type": "line",
                "name": name,
                "showSymbol": False,
                "lineStyle": {"width": 3, "type": "dashed" if i == 0 else "solid", "color": PALETTE[i]},
                "itemStyle": {"color": PALETTE[i]},
                "data": echarts.pairs(c["attainment"].to_numpy(dtype=float) * 100, c["pay"]),
            }
        )
    option["series"] = series
    return option


def attainment_histogram(att: pd.Series, marks: dict[str, float], labels: dict[str, str]) -> dict[str, Any]:
    """Reps per 10-point attainment bin (capped at 300%) with vertical lines at the plan's
    thresholds (``marks``: label -> attainment). ``labels``: title, x, y, reps."""
    capped = np.minimum(att.to_numpy(dtype=float), ATTAINMENT_CAP)
    n_bins = round(ATTAINMENT_CAP / ATTAINMENT_BIN)
    edges = np.linspace(0.0, ATTAINMENT_CAP, n_bins + 1)
    centres, counts = echarts.histogram(capped[np.isfinite(capped)], edges)
    option = echarts.percent_axis(echarts.base_option(labels["title"], labels["x"], labels["y"], legend=False))
    option["xAxis"].update(min=0, max=round(ATTAINMENT_CAP * 100))
    option["series"] = [
        {
            "type": "bar",
            "name": labels["reps"],
            "barWidth": "90%",
            "itemStyle": {"color": PALETTE[0]},
            "data": [[round(c * 100, 2), n] for c, n in zip(centres, counts, strict=True)],
            "markLine": echarts.vertical_marks({name: x * 100 for name, x in marks.items()}, PALETTE[1:] + PALETTE[:1]),
        }
    ]
    return option


def risk_histogram(costs: dict[str, np.ndarray], budget: float, labels: dict[str, str]) -> dict[str, Any]:
    """Distribution of simulated total cost per plan (bars overlaid on shared bins) with the
    budget line. ``labels``: title, x, y, budget."""
    edges = echarts.shared_edges(costs.values(), RISK_BINS)
    option = echarts.base_option(labels["title"], labels["x"], labels["y"])
    option["xAxis"]["scale"] = True
    option["tooltip"] = {"trigger": "axis", "valueFormatter": "localized"}
    series: list[dict[str, Any]] = []
    for i, (name, c) in enumerate(costs.items()):
        centres, counts = echarts.histogram(np.asarray(c, dtype=float), edges)
        series.append(
            {
                "type": "bar",
                "name": name,
                "barGap": "-100%",
                "barWidth": "95%",
                "itemStyle": {"color": PALETTE[i], "opacity": 0.6},
                "data": [[round(x, 2), n] for x, n in zip(centres, counts, strict=True)],
            }
        )
    if series and np.isfinite(budget):
        series[0]["markLine"] = echarts.vertical_marks({labels["budget"]: budget}, ["black"], dashed=False)
    option["series"] = series
    return option


def migration_heatmap(matrix: pd.DataFrame, labels: dict[str, str]) -> dict[str, Any]:
    """From-grade (rows) x to-grade (columns) counts. ``labels``: title, x (to), y (from)."""
    z = matrix.reindex(index=list(GRADES), columns=list(GRADES)).fillna(0).to_numpy(dtype=float)
    option = echarts.base_option(labels["title"], labels["x"], labels["y"], legend=False)
    option["grid"].update(top=84, left=44)  # room for the y axis's name, which containLabel leaves out
    option["xAxis"] = {
        "type": "category",
        "data": list(GRADES),
        "position": "top",
        "name": labels["x"],
        "nameLocation": "middle",
        "nameGap": 24,
    }
    option["yAxis"] = {
        "type": "category",
        "data": list(GRADES),
        "inverse": True,
        "name": labels["y"],
        "nameLocation": "middle",
        "nameGap": 30,
    }
    option["visualMap"] = {
        "show": False,
        "min": 0,
        "max": max(1, int(z.max()) if z.size else 1),
        "inRange": {"color": ["#f7fbff", "#08306b"]},
    }
    option["tooltip"] = {"show": False}
    option["series"] = [
        {
            "type": "heatmap",
            "data": [[j, i, int(z[i, j])] for i in range(len(GRADES)) for j in range(len(GRADES))],
            "label": {"show": True},
        }
    ]
    return option


def grade_distribution(per_rep: pd.DataFrame, role_names: dict[str, str], labels: dict[str, str]) -> go.Figure:
    """Reps per grade, stacked by role. ``per_rep``: ``role``, ``grade``. ``labels``: title, x, y."""
    counts = per_rep.groupby(["role", "grade"]).size().unstack(fill_value=0).reindex(columns=list(GRADES), fill_value=0)
    fig = go.Figure()
    for i, role in enumerate(counts.index):
        fig.add_trace(
            go.Bar(
                x=list(GRADES),
                y=counts.loc[role],
                name=role_names.get(role, role),
                marker_color=PALETTE[i % len(PALETTE)],
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(type="category")
    fig = _layout(fig, labels["title"], labels["x"], labels["y"])
    fig.update_layout(hovermode="closest")
    return fig


def dimension_scatter(per_rep: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Results score against behaviour score, one dot per rep coloured by grade. ``labels``: title, x, y."""
    fig = go.Figure()
    for g in GRADES:
        part = per_rep[per_rep["grade"] == g]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["results_score"],
                y=part["behaviour_score"],
                mode="markers",
                name=g,
                text=part["rep_name"],
                marker={"color": GRADE_COLORS[g], "size": 8},
                hovertemplate="%{text}<br>%{x:.0f} / %{y:.0f}<extra></extra>",
            )
        )
    fig.add_shape(type="rect", x0=50, x1=100, y0=50, y1=100, fillcolor=BAND_COLOR, line_width=0, layer="below")
    fig = _layout(fig, labels["title"], labels["x"], labels["y"])
    fig.update_layout(hovermode="closest")
    return fig


def localised_statement(df: pd.DataFrame, *, lang: str | None = None) -> pd.DataFrame:
    """A payout statement (analytics.incentives.statement) with headers, rule and measure names
    in ``lang`` (default the session's language), for CSV / XLSX export. Amounts and ids stay as
    they are. Download callables run outside the session, so they pass the language they were
    drawn in."""
    out = df.copy()
    if "rule" in out.columns:
        tiers = out["tier"] if "tier" in out.columns else [None] * len(out)
        out["rule"] = [rule_label(r, tr, lang=lang) for r, tr in zip(out["rule"], tiers, strict=True)]
    if "metric" in out.columns:
        out["metric"] = [trace_metric_label(m, lang=lang) for m in out["metric"]]
    headers = {
        "quarter": t("Quarter", lang=lang),
        "plan": t("Plan", lang=lang),
        "rep_id": t("Rep", lang=lang),
        "rep_name": t("Rep name", lang=lang),
        "team_id": t("Team", lang=lang),
        "grade": t("Grade", lang=lang),
        "line": t("Line", lang=lang),
        "rule": t("Rule", lang=lang),
        "tier": t("Tier", lang=lang),
        "metric": t("Measure", lang=lang),
        "value": t("Value", lang=lang),
        "rate": t("Rate", lang=lang),
        "amount": t("Amount ({currency})", lang=lang, currency=fmt.currency_unit(lang)),
        "detail": t("Detail", lang=lang),
    }
    return out.rename(columns=headers)
