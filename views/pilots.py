"""Pilots & audit: did a piloted scheme work against control teams, and the half-yearly health audit."""

from __future__ import annotations

import streamlit as st

from analytics import audit, lookups, pilots
from ui import data
from ui import pilots_view as view
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Pilots & audit"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()

section = st.radio(
    t("Section"),
    ["pilot", "audit"],
    key="pilots_section",
    horizontal=True,
    format_func=lambda s: t("Pilot evaluation") if s == "pilot" else t("Health audit"),
)


def pilot_section() -> None:
    """Choose the pilot design, then show the effect, its checks and the matched controls."""
    team_table = data.run(lookups.teams, lang=ctx.lang)
    team_labels = dict(zip(team_table["team_id"], team_table["label"], strict=True))
    flag_teams, flag_start = data.run(pilots.pilot_flags)
    quarters = data.run(lookups.quarters)
    metrics = data.run(pilots.available_metrics)
    metric_labels, method_labels = view.metric_labels(), view.method_labels()
    with st.form("pilots_form"):
        c1, c2, c3 = st.columns([3, 1, 2])
        teams = c1.multiselect(
            t("Pilot teams"),
            list(team_labels),
            default=[x for x in flag_teams if x in team_labels],
            format_func=lambda v: team_labels.get(v, v),
            key="pilots_teams",
            placeholder=t("Choose the teams that ran the pilot"),
        )
        start_default = quarters.index(flag_start) if flag_start in quarters else max(len(quarters) - 2, 0)
        start = c2.selectbox(t("Pilot start"), quarters, index=start_default, key="pilots_start")
        metric = c3.selectbox(
            t("Metric"),
            metrics,
            index=metrics.index("collaboration_score") if "collaboration_score" in metrics else 0,
            key="pilots_metric",
            format_func=lambda m: metric_labels.get(m, m),
        )
        c4, c5, c6 = st.columns([2, 3, 1])
        method = c4.selectbox(
            t("Method"), list(method_labels), key="pilots_method", format_func=lambda m: method_labels[m]
        )
        controls = c5.multiselect(
            t("Control pool (empty: every other team)"),
            list(team_labels),
            format_func=lambda v: team_labels.get(v, v),
            key="pilots_controls",
            placeholder=t("All other teams that are not pilots"),
        )
        matches = c6.number_input(
            t("Matches per pilot team"), min_value=1, max_value=10, value=pilots.DEFAULT_MATCHES, key="pilots_matches"
        )
        same_type = st.checkbox(t("Only control teams of the same team type"), key="pilots_same_type")
        st.form_submit_button(t("Evaluate"), type="primary")
    if not teams:
        st.info(t("Choose at least one pilot team (the store flags none)."))
        return
    with st.spinner(t("Estimating the effect and running placebo checks…")):
        r = data.run(
            pilots.evaluate_pilot,
            ctx.filters,
            ctx.scope,
            teams=tuple(teams),
            start=start,
            metric=metric,
            method=method,
            controls=tuple(controls),
            same_type=same_type,
            n_matches=int(matches),
        )
    if not r.ok:
        view.show_findings(r.findings)
        return
    kind = pilots.value_kind(metric)
    view.pilot_tiles(r, kind)
    view.show_findings(r.findings)
    view.pilot_charts(r, metric)
    view.pilot_tables(r, kind, team_labels)


def audit_section() -> None:
    """The half-year health audit: cost, ROI, bands, drift, satisfaction / NPS, growth, side effects, report."""
    halves = data.run(audit.audit_halves)
    if not halves:
        st.info(t("The store has no quarterly targets, so there is nothing to audit yet."))
        return
    c1, c2 = st.columns([1, 2])
    half = c1.selectbox(t("Half-year"), halves, index=len(halves) - 1, key="pilots_half")
    window = c2.radio(
        t("Side-effect window"),
        ["half", "history"],
        horizontal=True,
        key="pilots_side_window",
        format_func=lambda w: t("This half-year") if w == "half" else t("Every quarter up to its end"),
    )
    with st.spinner(t("Pricing every rep's incentives and running the checks…")):
        r = data.run(audit.health_audit, ctx.filters, ctx.scope, half=half, side_window=window)
    if not r.ok:
        view.show_findings(r.findings)
        return
    view.audit_tiles(r)
    view.show_findings(r.findings)
    view.audit_charts(r)
    view.side_effects_table(r.side_effects)
    key = ("pilots_audit", half, window, ctx.filters, ctx.scope)
    with st.expander(t("Figures per half-year and quarter")):
        view.period_table(data.run_with(key, audit.period_table, r))
    lang = ctx.lang
    st.download_button(
        t("Download the audit report (HTML)"),
        data=lambda: audit.report_html(r, lang=lang),  # rendered only when clicked, from the cached result
        file_name=f"audit-{half}-{lang}.html",
        mime="text/html",
        key="pilots_report",
        on_click="ignore",
        icon=":material/download:",
    )


if section == "audit":
    audit_section()
else:
    pilot_section()
