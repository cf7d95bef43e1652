"""Sections of the Scorecard page: the tiles and grading rule, the charts, the per-rep tables
(all reps, promotion watch, improvement list, one rep's metrics) and the weight what-if's movers.

Each function draws into the current container from a :mod:`analytics.incentives.scorecard`
result; headers, role, team, metric and dimension names arrive translated.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics import lookups
from analytics.incentives import scorecard
from analytics.incentives.plans import DIMENSIONS, Plan
from ui import data
from ui import format as fmt
from ui import incentives_charts as charts
from ui.i18n import t

#: Height in pixels of the weight what-if's migration chart, beside its slider.
WHAT_IF_CHART_HEIGHT = 320
#: Per-rep columns of the rep tables, in order (those a frame lacks are left out).
REP_COLUMNS = (
    "rep_name",
    "team_id",
    "role",
    "results_score",
    "behaviour_score",
    "collaboration_score",
    "total_score",
    "rank_in_role",
    "grade",
    "previous_grade",
)


def team_names(lang: str) -> dict[str, str]:
    """Team id -> its label in ``lang`` (cached)."""
    teams = data.run(lookups.teams, lang=lang)
    return dict(zip(teams["team_id"], teams["label"], strict=True))


def tiles(result: Any) -> None:
    """Reps scored, graded A+, on the promotion watch and on the improvement list."""
    per = result.per_rep
    counts = result.grade_counts.set_index("grade")["reps"]
    cols = st.columns(4)
    cols[0].metric(t("Reps scored"), fmt.count(len(per)))
    cols[1].metric(
        t("Graded A+"),
        fmt.count(counts.get("A+", 0)),
        help=t("Share of reps graded A+: {share}.", share=fmt.percent(counts.get("A+", 0) / len(per))),
    )
    cols[2].metric(
        t("Promotion watch"),
        fmt.count(len(result.promotion)),
        help=t("Reps graded A+ in this quarter and the previous one: eligible for a promotion review."),
    )
    cols[3].metric(
        t("Improvement list"),
        fmt.count(len(result.improvement)),
        help=t("Reps graded B or below: an improvement plan, and the right to request a re-evaluation."),
    )


def grading_caption(plan: Plan) -> None:
    """How ``plan`` turns total scores into grades."""
    if plan.scorecard.grading == "thresholds":
        th = dict(plan.scorecard.thresholds)
        st.caption(
            t(
                "Grades by minimum total score: A+ {ap}, A {a}, B {b}, C {c}; D below.",
                ap=fmt.number(th["A+"], digits=0),
                a=fmt.number(th["A"], digits=0),
                b=fmt.number(th["B"], digits=0),
                c=fmt.number(th["C"], digits=0),
            )
        )
    else:
        st.caption(
            t(
                "Grades by forced distribution within each role: {shares}.",
                shares=", ".join(f"{g} {fmt.percent(s, digits=0)}" for g, s in plan.scorecard.forced),
            )
        )


def grade_charts(per: pd.DataFrame) -> None:
    """Reps per grade by role, and results against behaviour scores."""
    left, right = st.columns(2)
    left.plotly_chart(
        charts.grade_distribution(
            per, charts.role_labels(), {"title": t("Reps per grade"), "x": t("Grade"), "y": t("Reps")}
        ),
        width="stretch",
    )
    right.plotly_chart(
        charts.dimension_scatter(
            per,
            {
                "title": t("Results vs behaviour quality"),
                "x": t("Business results score"),
                "y": t("Behaviour quality score"),
            },
        ),
        width="stretch",
    )


def _names(frame: pd.DataFrame, teams: dict[str, str]) -> pd.DataFrame:
    """``frame`` with role and team ids replaced by their labels."""
    roles = charts.role_labels()
    out = frame.assign(role=frame["role"].map(lambda r: roles.get(r, r)))
    if "team_id" in out:
        out["team_id"] = out["team_id"].map(lambda x: teams.get(x, x))
    return out


def rep_table(frame: pd.DataFrame, teams: dict[str, str]) -> pd.DataFrame:
    """Per-rep rows with translated headers and role and team names."""
    dims = charts.dimension_labels()
    out = _names(frame[[c for c in REP_COLUMNS if c in frame.columns]], teams)
    return out.rename(
        columns={
            "rep_name": t("Rep"),
            "team_id": t("Team"),
            "role": t("Role"),
            "results_score": dims["results"],
            "behaviour_score": dims["behaviour"],
            "collaboration_score": dims["collaboration"],
            "total_score": t("Total score"),
            "rank_in_role": t("Rank in role"),
            "grade": t("Grade"),
            "previous_grade": t("Previous grade"),
        }
    )


def score_config() -> dict[str, Any]:
    """Number formats of :func:`rep_table`'s score columns."""
    dims = charts.dimension_labels()
    out: dict[str, Any] = {dims[d]: st.column_config.NumberColumn(format="%.1f") for d in DIMENSIONS}
    out[t("Total score")] = st.column_config.NumberColumn(format="%.1f")
    return out


def improvement_table(improvement: pd.DataFrame, teams: dict[str, str]) -> None:
    """The improvement list with each rep's weakest metrics."""
    metric_names = charts.metric_labels()
    imp = improvement.copy()
    for k in range(1, scorecard.WEAKEST_SHOWN + 1):
        imp[f"weakest_{k}"] = [
            "" if not isinstance(m, str) else f"{metric_names.get(m, m)} ({fmt.number(s, digits=0)})"
            for m, s in zip(imp[f"weakest_{k}"], imp[f"weakest_{k}_score"], strict=True)
        ]
    shown = imp[["rep_name", "team_id", "role", "grade", "total_score", "weakest_1", "weakest_2", "weakest_3"]]
    st.caption(t("Weakest metrics: the rep's lowest percentile scores among the metrics their role is scored on."))
    st.dataframe(
        _names(shown, teams).rename(
            columns={
                "rep_name": t("Rep"),
                "team_id": t("Team"),
                "role": t("Role"),
                "grade": t("Grade"),
                "total_score": t("Total score"),
                "weakest_1": t("Weakest metric"),
                "weakest_2": t("Second weakest"),
                "weakest_3": t("Third weakest"),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={t("Total score"): st.column_config.NumberColumn(format="%.1f")},
    )


def rep_detail(result: Any, rep: str) -> None:
    """One rep's grade, score, rank and the metrics behind them."""
    row = result.per_rep.set_index("rep_id").loc[rep]
    c = st.columns(4)
    c[0].metric(t("Grade"), row["grade"] or "—")
    c[1].metric(t("Total score"), fmt.number(row["total_score"], digits=1))
    c[2].metric(
        t("Rank in role"), t("{rank} of {n}", rank=fmt.count(row["rank_in_role"]), n=fmt.count(row["reps_in_role"]))
    )
    c[3].metric(t("Previous grade"), row["previous_grade"] if isinstance(row["previous_grade"], str) else "—")
    lines = result.metrics[result.metrics["rep_id"] == rep]
    metric_names, dims = charts.metric_labels(), charts.dimension_labels()
    st.dataframe(
        lines.assign(
            dimension=lines["dimension"].map(dims),
            metric=lines["metric"].map(lambda m: metric_names.get(m, m)),
        )[["dimension", "metric", "value", "score", "weight"]].rename(
            columns={
                "dimension": t("Dimension"),
                "metric": t("Metric"),
                "value": t("Value"),
                "score": t("Score (0-100)"),
                "weight": t("Weight in dimension"),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            t("Value"): st.column_config.NumberColumn(format="%.3g"),
            t("Score (0-100)"): st.column_config.NumberColumn(format="%.1f"),
            t("Weight in dimension"): st.column_config.NumberColumn(format="percent"),
        },
    )
    st.caption(t("Missing metrics are left out and the others re-weighted; see docs/methods/scorecard.md."))


def what_if(quarter: scorecard.QuarterMetrics, key: tuple[Any, ...], plan: Plan, new_plan: Plan) -> Any:
    """Grade migration from ``plan``'s scorecard to ``new_plan``'s (:func:`analytics.incentives.scorecard.what_if`).

    Each scorecard's scores are cached under ``key`` (which identifies ``quarter``, the scope
    included), so a move of the weight slider scores the new weights only.
    """
    before = data.run_with(key, scorecard.score_visible, quarter, plan.scorecard)
    after = data.run_with(key, scorecard.score_visible, quarter, new_plan.scorecard)
    return scorecard.migration(before, after)


def what_if_chart(wi: Any) -> None:
    """The grade migration of a weight what-if (current grade x new grade)."""
    st.echarts_chart(
        charts.migration_heatmap(
            wi.matrix, {"title": t("Grade migration"), "x": t("New grade"), "y": t("Current grade")}
        ),
        key="scorecard_chart_migration",
        height=WHAT_IF_CHART_HEIGHT,
    )


def what_if_movers(wi: Any, teams: dict[str, str]) -> None:
    """The reps who change grade in a weight what-if."""
    movers = wi.movers[wi.movers["grade_changed"]]
    if movers.empty:
        st.info(t("No rep changes grade."))
        return
    columns = ["rep_name", "team_id", "role", "grade_before", "grade_after", "rank_before", "rank_after", "rank_change"]
    st.dataframe(
        _names(movers[columns], teams).rename(
            columns={
                "rep_name": t("Rep"),
                "team_id": t("Team"),
                "role": t("Role"),
                "grade_before": t("Current grade"),
                "grade_after": t("New grade"),
                "rank_before": t("Current rank"),
                "rank_after": t("New rank"),
                "rank_change": t("Places gained"),
            }
        ),
        hide_index=True,
        width="stretch",
        key="scorecard_movers",
    )
