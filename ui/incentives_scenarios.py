"""Plan scenarios on the Incentive lab page: saving the scenario being edited, the list of saved
scenarios, and any two plans (bundled or saved) compared on the quarter.

Saved scenarios live in the store and change when one is saved, so their list and the plan
choices are read fresh on every run (the result cache only notices imported data).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import access
from analytics.access import Scope
from analytics.incentives import plans
from analytics.incentives.plan_messages import translate_plan_error
from analytics.incentives.plans import Plan, PlanError
from ui import data
from ui import incentives_charts as charts
from ui.i18n import t
from ui.incentives_data import LabData
from ui.incentives_lab import summary_table


def saved_scenarios(scenario: Plan | None, *, scope: Scope, quarter: str) -> None:
    """The save form (for scenario authors) and the table of saved scenarios.

    ``scenario``: the plan the editor shows, saved when the form is submitted; None when the
    editor's parameters do not make a valid plan.
    """
    store = data.store()
    st.subheader(t("Saved scenarios"))
    if scope.role in access.SCENARIO_AUTHORS:
        with st.form("incentives_save_form"):
            a, b = st.columns([1, 2])
            name = a.text_input(t("Scenario name"), key="incentives_save_name")
            note = b.text_input(t("Note"), key="incentives_save_note")
            if st.form_submit_button(t("Save the current scenario")):
                if scenario is None:
                    st.warning(t("Fix the plan parameters above before saving the scenario."))
                else:
                    try:
                        rev = plans.save_scenario(store, name, scenario, scope.user, quarter=quarter, note=note)
                        st.success(t("Saved '{name}' as revision {rev}.", name=name.strip(), rev=rev))
                    except PlanError:
                        st.warning(
                            t(
                                "Give the scenario a name (at most {n} characters) before saving it.",
                                n=plans.MAX_SCENARIO_NAME,
                            )
                        )
    saved = plans.list_scenarios(store)
    if saved.empty:
        st.info(t("No scenario has been saved yet."))
        return
    st.dataframe(
        saved.rename(
            columns={
                "name": t("Scenario name"),
                "revision": t("Revision"),
                "plan_name": t("Plan"),
                "plan_version": t("Version"),
                "plan_hash": t("Fingerprint"),
                "author": t("Author"),
                "created_at": t("Saved at"),
                "quarter": t("Quarter"),
                "note": t("Note"),
            }
        ),
        hide_index=True,
        width="stretch",
        key="incentives_saved",
    )


def compare_two(lab: LabData, *, lang: str, sees_people: bool) -> None:
    """Any two plans (bundled or saved) side by side on the quarter; with ``sees_people``, the
    reps whose pay changes most."""
    st.subheader(t("Compare two plans"))
    store = data.store()
    opts = plans.plan_choices(store, lang=lang)
    keys = list(opts)
    a, b = st.columns(2)
    ka = a.selectbox(t("Plan A"), keys, key="incentives_cmp_a", format_func=opts.get)
    kb = b.selectbox(t("Plan B"), keys, index=min(1, len(keys) - 1), key="incentives_cmp_b", format_func=opts.get)
    try:
        pa, pb = plans.load_choice(store, ka), plans.load_choice(store, kb)
    except PlanError as exc:
        st.warning(translate_plan_error(str(exc), lang))
        return
    table = summary_table(lab.compute(pa).summary, lab.compute(pb).summary).rename(
        columns={t("Baseline"): t("Plan A"), t("Scenario"): t("Plan B")}
    )
    st.dataframe(table, hide_index=True, width="stretch", key="incentives_cmp_table")
    if not sees_people:
        return
    cmp = lab.compare(pa, pb)
    st.caption(t("Biggest changes from plan A to plan B:"))
    top = cmp.reindex(cmp["delta"].abs().sort_values(ascending=False).index).head(10)
    reasons = charts.reason_labels()
    st.dataframe(
        pd.DataFrame(
            {
                t("Rep"): top["rep_name"],
                t("Plan A pay"): top["total_pay_baseline"],
                t("Plan B pay"): top["total_pay_scenario"],
                t("Change"): top["delta"],
                t("Reason"): top["reason"].map(reasons),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={t("Change"): st.column_config.NumberColumn(format="%+.2f")},
    )
