"""Incentive lab: edit a plan with sliders and see every rep's pay, the cost, the risk and who gains or loses."""

from __future__ import annotations

import streamlit as st

from analytics import access, incentives
from analytics.incentives import plans
from analytics.incentives.plan_messages import translate_plan_error
from analytics.incentives.plans import Plan, PlanError
from analytics.periods import Quarter
from ui import auth, data
from ui import incentives_lab as sections
from ui import incentives_scenarios as scenarios
from ui import published_view as published
from ui.context import get_context
from ui.i18n import t
from ui.incentives_data import LabData, yield_to_newer_run
from ui.plan_editor import follow_baseline, plan_editor
from ui.scorecard_view import team_names

ctx = get_context()
st.title(t("Incentive lab"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
if not ctx.scope.known:
    st.info(t("Your identity has no access to pay data."))
    st.stop()
f = ctx.filters
quarter = str(Quarter.of(f.end))
auth.log_view(ctx.scope, "incentive_lab", quarter)
q = Quarter.parse(quarter)
store = data.store()
choices = plans.plan_choices(store, lang=ctx.lang)
head_left, head_right = st.columns([1, 2], vertical_alignment="center")
base_key = head_left.selectbox(t("Baseline plan"), list(choices), format_func=choices.get, key="incentives_baseline")
if (f.start, f.end) == (q.start, q.end):
    head_right.caption(
        t(
            "Payouts for {quarter}. Pools, ranks and the budget are computed over the whole company; the "
            "region and team filters only choose which reps are shown.",
            quarter=quarter,
        )
    )
else:
    head_right.caption(
        t("Payouts are per quarter; showing {quarter}, the quarter in which the selected period ends.", quarter=quarter)
    )
try:
    baseline = plans.load_choice(store, base_key)
except PlanError as exc:
    st.warning(translate_plan_error(str(exc), ctx.lang))
    st.stop()
inputs = data.run(incentives.load_inputs, f, ctx.scope)
#: identifies ``inputs`` for the result cache (quarter, scope and the shown regions and teams)
INPUTS_KEY = (quarter, ctx.scope, f.region_ids, f.team_ids)
if not inputs.visible.any():
    st.info(t("No rep in this selection has a target in {quarter}.", quarter=quarter))
    st.stop()

# -- the quarter as published ------------------------------------------------------------------
publication = published.latest(quarter)
if publication is not None:
    published.header(publication)
    if published.as_published("incentives_published_mode"):
        published.frozen_pay(published.load(publication, ctx.scope, f), team_names(ctx.lang), scope=ctx.scope)
        published.differences(publication, ctx.scope, f, team_names(ctx.lang))
        st.stop()

#: every engine call on ``inputs`` goes through the result cache under ``INPUTS_KEY``
engine = LabData(inputs, INPUTS_KEY)
SEES_PEOPLE = access.sees_individual_pay(ctx.scope)

# -- a rep sees their own pay only ----------------------------------------------------------------
if ctx.scope.own_rows_only:
    sections.own_pay(engine, baseline, scope=ctx.scope, quarter=quarter)
    st.stop()

follow_baseline(base_key)


@st.fragment
def lab() -> Plan | None:
    """The plan editor beside its first results, then every slower result; a change reruns only this part.

    The parameters scroll in a panel of their own on the left; the cost tiles, the winners and
    losers count and the cost chart stay beside them, computed first from the cheap summary.
    The risk, charts, tables and trace follow below, marked as updating, and a newer move ends
    this run between them (:func:`ui.incentives_data.yield_to_newer_run`). Returns the scenario
    plan (None while the parameters are invalid); the page receives it on a full run, which is
    how the save form below submits, so it saves the plan shown.
    """
    panel, results = st.columns([5, 7], gap="medium")
    with panel, st.container(height=sections.PANEL_HEIGHT, key="incentives_panel"):
        st.markdown(f"**{t('Plan parameters')}**")
        try:
            scenario = plan_editor(baseline, engine.roles)
        except PlanError as exc:
            st.warning(translate_plan_error(str(exc), ctx.lang))
            return None
    with results:
        b, s = engine.quick(baseline).summary, engine.quick(scenario).summary
        sections.scenario_tiles(b, s)
        if SEES_PEOPLE:
            sections.movers_count(*engine.gainers_losers(baseline, scenario))
        sections.cost_chart(b, s)
        sections.budget_notes(s)
        status = sections.updating()
    yield_to_newer_run()
    sections.details(engine, baseline, scenario, b, s)
    yield_to_newer_run()
    sections.risk_section(engine, baseline, scenario)
    if SEES_PEOPLE:
        yield_to_newer_run()
        sections.movers_table(engine, baseline, scenario)
        yield_to_newer_run()
        sections.payout_trace(engine, baseline, scenario, scope=ctx.scope, quarter=quarter)
    status.empty()
    return scenario


scenario = lab()

# -- saved scenarios ------------------------------------------------------------------------------
st.divider()
scenarios.saved_scenarios(scenario, scope=ctx.scope, quarter=quarter)


@st.fragment
def compare_two() -> None:
    """Any two plans (bundled or saved) side by side on this quarter."""
    scenarios.compare_two(engine, lang=ctx.lang, sees_people=SEES_PEOPLE)


compare_two()
