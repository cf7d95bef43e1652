"""Scorecard: three-dimension scores and grades per rep, promotion watch, improvement list, weight what-if."""

from __future__ import annotations

import streamlit as st

from analytics.incentives import plans, scorecard
from analytics.incentives.plan_messages import translate_plan_error
from analytics.incentives.plans import METRICS
from analytics.periods import Quarter
from ui import auth, data
from ui import format as fmt
from ui import incentives_charts as charts
from ui import published_view as published
from ui import scorecard_view as view
from ui.context import get_context
from ui.i18n import t
from ui.incentives_data import yield_to_newer_run

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

publication = published.latest(quarter)
frozen = None
if publication is not None:
    published.header(publication)
    if published.as_published("scorecard_published_mode"):
        frozen = published.load(publication, ctx.scope, f)
result = frozen.scorecard if frozen is not None else data.run(scorecard.scorecard, f, ctx.scope, plan=plan)
per = result.per_rep
if per.empty:
    st.info(t("No rep in this selection has a target or scorecard metrics in {quarter}.", quarter=quarter))
    st.stop()

METRIC_NAMES = charts.metric_labels()
DIM_NAMES = charts.dimension_labels()
ROLE_NAMES = charts.role_labels()
TEAM_NAMES = view.team_names(ctx.lang)
view.tiles(result)
view.grading_caption(frozen.plan if frozen is not None else plan)
view.grade_charts(per)

tab_all, tab_promo, tab_improve, tab_rep = st.tabs(
    [t("All reps"), t("Promotion watch"), t("Improvement list"), t("Rep detail")]
)
with tab_all:
    st.dataframe(
        view.rep_table(per, TEAM_NAMES),
        hide_index=True,
        width="stretch",
        column_config=view.score_config(),
        key="scorecard_table",
    )
with tab_promo:
    if result.promotion.empty:
        st.info(t("No rep was graded A+ in both {quarter} and {previous}.", quarter=quarter, previous=str(q.prev())))
    else:
        st.dataframe(
            view.rep_table(result.promotion, TEAM_NAMES),
            hide_index=True,
            width="stretch",
            column_config=view.score_config(),
        )
with tab_improve:
    if result.improvement.empty:
        st.info(t("No rep is graded B or below."))
    else:
        view.improvement_table(result.improvement, TEAM_NAMES)
with tab_rep:
    names = dict(zip(per["rep_id"], per["rep_name"] + " (" + per["rep_id"] + ")", strict=True))
    rep = st.selectbox(t("Rep"), list(names), format_func=names.get, key="scorecard_rep")
    view.rep_detail(result, rep)
if publication is not None:
    published.differences(publication, ctx.scope, f, TEAM_NAMES)
published.publish_form(quarter, plan, ctx.scope)
if frozen is not None:  # the what-if below works on live data
    st.stop()


QUARTER_DATA = data.run(scorecard.quarter_metrics, f, ctx.scope)
#: identifies ``QUARTER_DATA`` for the result cache (quarter, scope and the shown regions and teams)
QUARTER_KEY = (quarter, ctx.scope, f.region_ids, f.team_ids)


@st.fragment
def weight_what_if() -> None:
    """Change one metric's weight and see the grade migration beside the slider, then the reps who move."""
    st.subheader(t("Weight what-if"))
    controls, result = st.columns([2, 3], gap="medium")
    controls.caption(
        t(
            "Set a metric's weight inside its dimension; the other metrics of that dimension are rescaled so "
            "the weights still sum to 100%."
        )
    )
    roles = sorted(per["role"].dropna().unique())
    role_opts = {"": t("All roles"), **{r: ROLE_NAMES.get(r, r) for r in roles}}
    role = controls.selectbox(t("Roles"), list(role_opts), key="scorecard_wi_role", format_func=role_opts.get)
    metric = controls.selectbox(
        t("Metric"),
        list(METRICS),
        index=list(METRICS).index("renewal_rate"),
        key="scorecard_wi_metric",
        format_func=lambda m: METRIC_NAMES.get(m, m),
    )
    dim = METRICS[metric].dimension
    current = plan.scorecard.weights_for(role or "").metric_weights(dim).get(metric, 0.0)
    weight = controls.slider(
        t("New weight"),
        0.0,
        1.0,
        value=float(round(min(current + 0.2, 1.0), 2)),
        step=0.05,
        key=f"scorecard_wi_weight_{role}_{metric}",
        format="%.2f",
    )
    controls.caption(
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
    wi = view.what_if(QUARTER_DATA, QUARTER_KEY, plan, new_plan)
    with result:
        st.markdown(
            t(
                "**{n} of {total} reps** change grade when {metric} weighs {weight}.",
                n=fmt.count(wi.changed_grades),
                total=fmt.count(wi.reps),
                metric=METRIC_NAMES[metric],
                weight=fmt.percent(weight, digits=0),
            )
        )
        view.what_if_chart(wi)
    yield_to_newer_run()
    view.what_if_movers(wi, TEAM_NAMES)


weight_what_if()
