"""Figures and translated labels for the Scorecard and Incentive lab pages.

Figure builders are pure ``DataFrame -> plotly`` functions; labels arrive translated. The
label helpers map the stable English ids of :mod:`analytics.plans`, :mod:`analytics.scorecard`
and :mod:`analytics.incentives` (metric names, trace rules, reasons) to translated text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.plans import GRADES
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


def rule_label(rule: str, tier: object = None) -> str:
    """Translated name of a payout trace rule."""
    if rule == "commission":
        return t("Commission, tier {n}", n=tier)
    return {
        "base_bonus": t("Base bonus"),
        "commission_cap": t("Commission cap"),
        "team_equal": t("Team pool, equal share"),
        "team_contribution": t("Team pool, contribution share"),
        "innovation": t("Innovation pool"),
        "budget_scaling": t("Budget scaling"),
    }.get(rule, rule)


def trace_metric_label(metric: str) -> str:
    """Translated name of what a trace line's value measures."""
    return {
        "monthly_salary": t("Monthly salary"),
        "won_amount": t("Won amount in tier"),
        "commission": t("Commission before cap"),
        "team_pool": t("Team pool"),
        "innovation_points": t("Innovation points"),
        "subtotal": t("Pay before scaling"),
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
def cost_vs_budget(rows: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Stacked cost components per plan against each plan's budget.

    ``rows``: one row per plan with ``plan`` (display name), ``base_cost``, ``commission_cost``,
    ``team_cost``, ``innovation_cost``, ``scaling_cost`` and ``budget``. ``labels``: title, y,
    base, commission, team, innovation, scaling, budget.
    """
    fig = go.Figure()
    for i, (col, key) in enumerate(
        [
            ("base_cost", "base"),
            ("commission_cost", "commission"),
            ("team_cost", "team"),
            ("innovation_cost", "innovation"),
            ("scaling_cost", "scaling"),
        ]
    ):
        fig.add_trace(go.Bar(x=rows["plan"], y=rows[col], name=labels[key], marker_color=PALETTE[i]))
    fig.add_trace(
        go.Scatter(
            x=rows["plan"],
            y=rows["budget"],
            name=labels["budget"],
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 60, "line": {"width": 3, "color": "black"}},
        )
    )
    fig.update_layout(barmode="relative")
    fig = _layout(fig, labels["title"], "", labels["y"])
    fig.update_layout(hovermode="closest")
    return fig


def payout_curve(curves: dict[str, pd.DataFrame], reps: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Pay of the typical rep against attainment for each plan, with every rep's actual pay as dots.

    ``curves``: display name -> :func:`analytics.incentives.payout_curve` frame. ``reps``:
    ``attainment``, ``total_pay`` (the scenario). ``labels``: title, x, y, reps.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=reps["attainment"],
            y=reps["total_pay"],
            mode="markers",
            name=labels["reps"],
            marker={"color": "rgba(120,120,120,0.45)", "size": 6},
        )
    )
    for i, (name, c) in enumerate(curves.items()):
        fig.add_trace(
            go.Scatter(
                x=c["attainment"],
                y=c["pay"],
                name=name,
                mode="lines",
                line={"color": PALETTE[i], "width": 3, "dash": "dash" if i == 0 else "solid"},
            )
        )
    fig.update_xaxes(tickformat=".0%")
    fig = _layout(fig, labels["title"], labels["x"], labels["y"])
    fig.update_layout(hovermode="closest")
    return fig


def attainment_histogram(att: pd.Series, marks: dict[str, float], labels: dict[str, str]) -> go.Figure:
    """Histogram of attainment with vertical lines at the plan's thresholds (``marks``: label -> attainment)."""
    capped = np.minimum(att.to_numpy(dtype=float), 3.0)
    fig = go.Figure(
        go.Histogram(
            x=capped, xbins={"start": 0, "end": 3.0001, "size": 0.1}, marker_color=PALETTE[0], name=labels["reps"]
        )
    )
    for i, (name, x) in enumerate(marks.items()):
        if np.isfinite(x):
            fig.add_vline(
                x=x,
                line_dash="dash",
                line_color=PALETTE[(i + 1) % len(PALETTE)],
                annotation_text=name,
                annotation_position="top",
            )
    fig.update_xaxes(tickformat=".0%")
    fig = _layout(fig, labels["title"], labels["x"], labels["y"])
    fig.update_layout(hovermode="closest", bargap=0.05)
    return fig


def risk_histogram(costs: dict[str, np.ndarray], budget: float, labels: dict[str, str]) -> go.Figure:
    """Distribution of simulated total cost per plan with the budget line. ``labels``: title, x, y, budget."""
    fig = go.Figure()
    for i, (name, c) in enumerate(costs.items()):
        fig.add_trace(go.Histogram(x=c, name=name, opacity=0.6, marker_color=PALETTE[i], nbinsx=40))
    if np.isfinite(budget):
        fig.add_vline(
            x=budget, line_color="black", line_width=2, annotation_text=labels["budget"], annotation_position="top"
        )
    fig.update_layout(barmode="overlay")
    fig = _layout(fig, labels["title"], labels["x"], labels["y"])
    fig.update_layout(hovermode="closest")
    return fig


def migration_heatmap(matrix: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """From-grade (rows) x to-grade (columns) counts. ``labels``: title, x (to), y (from)."""
    z = matrix.reindex(index=list(GRADES), columns=list(GRADES)).fillna(0).to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(GRADES),
            y=list(GRADES),
            colorscale="Blues",
            showscale=False,
            text=z.astype(int),
            texttemplate="%{text}",
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category", side="top")
    fig = _layout(fig, labels["title"], labels["x"], labels["y"])
    fig.update_layout(hovermode=False, height=340)
    return fig


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


def localised_statement(df: pd.DataFrame) -> pd.DataFrame:
    """A payout statement (analytics.incentives.statement) with headers, rule and measure names
    in the session's language, for CSV / XLSX export. Amounts and ids stay as they are."""
    out = df.copy()
    if "rule" in out.columns:
        tiers = out["tier"] if "tier" in out.columns else [None] * len(out)
        out["rule"] = [rule_label(r, tr) for r, tr in zip(out["rule"], tiers, strict=True)]
    if "metric" in out.columns:
        out["metric"] = [trace_metric_label(m) for m in out["metric"]]
    headers = {
        "quarter": t("Quarter"),
        "plan": t("Plan"),
        "rep_id": t("Rep"),
        "rep_name": t("Rep name"),
        "team_id": t("Team"),
        "grade": t("Grade"),
        "line": t("Line"),
        "rule": t("Rule"),
        "tier": t("Tier"),
        "metric": t("Measure"),
        "value": t("Value"),
        "rate": t("Rate"),
        "amount": t("Amount (CNY)"),
        "detail": t("Detail"),
    }
    return out.rename(columns=headers)
