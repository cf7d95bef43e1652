"""Scorecard: three-dimension scores and grades per rep, promotion watch, improvement list, weight what-if."""

from __future__ import annotations

import streamlit as st

from analytics import lookups
from analytics.incentives import plans, scorecard
from analytics.incentives.plan_messages import translate_plan_error
from analytics.incentives.plans import DIMENSIONS, METRICS
from analytics.periods import Quarter
from ui import auth, data
from ui import format as fmt
from ui import incentives_charts as charts
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Scorecard"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
f = ctx.filters
quarter = str(Quarter.of(f.end))
auth.log_view(ctx.scope, "scorecard", quarter)
q = Quarter.parse(quarter)
if (f.start, f.end) == (q.start, q.end):
    st.caption(
        t("Quarter {quarter}. Every score is a percentile (0-100) within the rep's role and quarter.", quarter=quarter)
    )
else:
    st.caption(
        t("Scores are per quarter; showing {quarter}, the quarter in which the selected period ends.", quarter=quarter)
    )
if f.segments:
    st.caption(t("The segment filter does not apply to scorecards: a rep's score covers all their customers."))

store = data.store()
choices = plans.plan_choices(store, lang=ctx.lang)
plan_key = st.selectbox(
    t("Weights and grading from plan"), list(choices), format_func=choices.get, key="scorecard_plan"
)
try:
    plan = plans.load_choice(store, plan_key)
except plans.PlanError as exc:
    st.warning(translate_plan_error(str(exc), ctx.lang))
    st.stop()

result = data.run(scorecard.scorecard, quarter, ctx.scope, plan=plan, regions=f.region_ids, teams=f.team_ids)
per = result.per_rep
if per.empty:
    st.info(t("No rep in this selection has a target or scorecard metrics in {quarter}.", quarter=quarter))
    st.stop()

METRIC_NAMES = charts.metric_labels()
DIM_NAMES = charts.dimension_labels()
ROLE_NAMES = charts.role_labels()
TEAM_NAMES = dict(data.run(lookups.teams, lang=ctx.lang).set_index("team_id")["label"])
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
grading = plan.scorecard.grading
if grading == "thresholds":
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

left, right = st.columns(2)
left.plotly_chart(
    charts.grade_distribution(per, ROLE_NAMES, {"title": t("Reps per grade"), "x": t("Grade"), "y": t("Reps")}),
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


def rep_table(frame, extra=()):
    """Per-rep rows with translated headers and role names."""
    cols_ = [
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
        *extra,
    ]
    out = frame[[c for c in cols_ if c in frame.columns]].copy()
    out["role"] = out["role"].map(lambda r: ROLE_NAMES.get(r, r))
    if "team_id" in out:
        out["team_id"] = out["team_id"].map(lambda x: TEAM_NAMES.get(x, x))
    return out.rename(
        columns={
            "rep_name": t("Rep"),
            "team_id": t("Team"),
            "role": t("Role"),
            "results_score": DIM_NAMES["results"],
            "behaviour_score": DIM_NAMES["behaviour"],
            "collaboration_score": DIM_NAMES["collaboration"],
            "total_score": t("Total score"),
            "rank_in_role": t("Rank in role"),
            "grade": t("Grade"),
            "previous_grade": t("Previous grade"),
        }
    )


number_cols = {DIM_NAMES[d]: st.column_config.NumberColumn(format="%.1f") for d in DIMENSIONS}
number_cols[t("Total score")] = st.column_config.NumberColumn(format="%.1f")
tab_all, tab_promo, tab_improve, tab_rep = st.tabs(
    [t("All reps"), t("Promotion watch"), t("Improvement list"), t("Rep detail")]
)
with tab_all:
    st.dataframe(rep_table(per), hide_index=True, width="stretch", column_config=number_cols, key="scorecard_table")
with tab_promo:
    if result.promotion.empty:
        st.info(t("No rep was graded A+ in both {quarter} and {previous}.", quarter=quarter, previous=str(q.prev())))
    else:
        st.dataframe(rep_table(result.promotion), hide_index=True, width="stretch", column_config=number_cols)
with tab_improve:
    if result.improvement.empty:
        st.info(t("No rep is graded B or below."))
    else:
        imp = result.improvement.copy()
        for k in range(1, scorecard.WEAKEST_SHOWN + 1):
            imp[f"weakest_{k}"] = [
                "" if not isinstance(m, str) else f"{METRIC_NAMES.get(m, m)} ({fmt.number(s, digits=0)})"
                for m, s in zip(imp[f"weakest_{k}"], imp[f"weakest_{k}_score"], strict=True)
            ]
        shown = imp[["rep_name", "team_id", "role", "grade", "total_score", "weakest_1", "weakest_2", "weakest_3"]]
        shown = shown.assign(
            role=shown["role"].map(lambda r: ROLE_NAMES.get(r, r)),
            team_id=shown["team_id"].map(lambda x: TEAM_NAMES.get(x, x)),
        )
        st.caption(t("Weakest metrics: the rep's lowest percentile scores among the metrics their role is scored on."))
        st.dataframe(
            shown.rename(
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
with tab_rep:
    names = dict(zip(per["rep_id"], per["rep_name"] + " (" + per["rep_id"] + ")", strict=True))
    rep = st.selectbox(t("Rep"), list(names), format_func=names.get, key="scorecard_rep")
    row = per.set_index("rep_id").loc[rep]
    c = st.columns(4)
    c[0].metric(t("Grade"), row["grade"] or "—")
    c[1].metric(t("Total score"), fmt.number(row["total_score"], digits=1))
    c[2].metric(
        t("Rank in role"), t("{rank} of {n}", rank=fmt.count(row["rank_in_role"]), n=fmt.count(row["reps_in_role"]))
    )
    c[3].metric(t("Previous grade"), row["previous_grade"] if isinstance(row["previous_grade"], str) else "—")
    lines = result.metrics[result.metrics["rep_id"] == rep]
    st.dataframe(
        lines.assign(
            dimension=lines["dimension"].map(DIM_NAMES),
            metric=lines["metric"].map(lambda m: METRIC_NAMES.get(m, m)),
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


@st.fragment
def weight_what_if() -> None:
    """Change one metric's weight and see the grade migration and the reps who move."""
    st.subheader(t("Weight what-if"))
    st.caption(
        t(
            "Set a metric's weight inside its dimension; the other metrics of that dimension are rescaled so "
            "the weights still sum to 100%."
        )
    )
    roles = sorted(per["role"].dropna().unique())
    c1, c2, c3 = st.columns(3)
    role_opts = {"": t("All roles"), **{r: ROLE_NAMES.get(r, r) for r in roles}}
    role = c1.selectbox(t("Roles"), list(role_opts), key="scorecard_wi_role", format_func=role_opts.get)
    metric = c2.selectbox(
        t("Metric"),
        list(METRICS),
        index=list(METRICS).index("renewal_rate"),
        key="scorecard_wi_metric",
        format_func=lambda m: METRIC_NAMES.get(m, m),
    )
    dim = METRICS[metric].dimension
    current = plan.scorecard.weights_for(role or "").metric_weights(dim).get(metric, 0.0)
    weight = c3.slider(
        t("New weight"),
        0.0,
        1.0,
        value=float(round(min(current + 0.2, 1.0), 2)),
        step=0.05,
        key=f"scorecard_wi_weight_{role}_{metric}",
        format="%.2f",
    )
    st.caption(
        t(
            "{metric} is a {dimension} metric; its weight is {current} now.",
            metric=METRIC_NAMES[metric],
            dimension=DIM_NAMES[dim],
            current=fmt.percent(current, digits=0),
        )
    )
    try:
        new_plan = plans.with_metric_weight(plan, metric, weight, role=role or None)
    except plans.PlanError as exc:
        st.warning(translate_plan_error(str(exc), ctx.lang))
        return
    wi = data.run(
        scorecard.what_if, quarter, ctx.scope, plan=plan, new_plan=new_plan, regions=f.region_ids, teams=f.team_ids
    )
    st.markdown(
        t(
            "**{n} of {total} reps** change grade when {metric} weighs {weight}.",
            n=fmt.count(wi.changed_grades),
            total=fmt.count(wi.reps),
            metric=METRIC_NAMES[metric],
            weight=fmt.percent(weight, digits=0),
        )
    )
    left_, right_ = st.columns([2, 3])
    left_.echarts_chart(
        charts.migration_heatmap(
            wi.matrix, {"title": t("Grade migration"), "x": t("New grade"), "y": t("Current grade")}
        ),
        key="scorecard_chart_migration",
        height=charts.CHART_HEIGHT,
    )
    movers = wi.movers[wi.movers["grade_changed"]]
    if movers.empty:
        right_.info(t("No rep changes grade."))
    else:
        right_.dataframe(
            movers.assign(
                role=movers["role"].map(lambda r: ROLE_NAMES.get(r, r)),
                team_id=movers["team_id"].map(lambda x: TEAM_NAMES.get(x, x)),
            )[
                [
                    "rep_name",
                    "team_id",
                    "role",
                    "grade_before",
                    "grade_after",
                    "rank_before",
                    "rank_after",
                    "rank_change",
                ]
            ].rename(
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


weight_what_if()
