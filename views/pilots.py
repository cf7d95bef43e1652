"""Pilots & audit: did a piloted scheme work against control teams, and the half-yearly health audit."""

from __future__ import annotations

import math

import streamlit as st

from analytics import audit, lookups, pilots
from analytics.audit.health import Finding
from analytics.incentives.plan_messages import plan_name
from ui import data
from ui import format as fmt
from ui import pilots_charts as charts
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Pilots & audit"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()

#: Formatting of a metric's values and effects (rates as percentages, revenue as money).
RATE_METRICS = ("conversion", "renewal_rate")
METRIC_LABELS = {
    "conversion": t("Conversion rate"),
    "revenue_per_rep": t("Revenue per rep"),
    "renewal_rate": t("Renewal rate"),
    "nps": t("NPS"),
    "collaboration_score": t("Collaboration score"),
    "satisfaction": t("Rep satisfaction (0-10)"),
    "complaint_rate": t("Complaint rate"),
    "approval_error_rate": t("Approval error rate"),
    "cross_dept_response_hours": t("Cross-department response hours"),
    "mentoring_hours": t("Mentoring hours"),
    "peer_review_score": t("Peer review score"),
    "solution_innovation": t("Solution innovation"),
    "strategic_project_score": t("Strategic project score"),
}
METHOD_LABELS = {
    "auto": t("Automatic"),
    "did": t("Difference-in-differences (matched controls)"),
    "sc": t("Synthetic control"),
    "sdid": t("Synthetic difference-in-differences"),
}
LEVEL_BOX = {"good": st.success, "warning": st.warning, "info": st.info}


def show_value(value: float, kind: str) -> str:
    """Format one number by kind (see analytics.audit.Finding)."""
    if isinstance(value, str):
        return t(value) if kind == "msg" else value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "percent":
        return fmt.percent(value)
    if kind == "signed_percent":
        return fmt.signed_percent(value)
    if kind == "money":
        return fmt.money(value, compact=True)
    if kind == "count":
        return fmt.count(value)
    if kind == "p":
        return "<0.001" if value < 0.001 else fmt.number(value, digits=3)
    if kind == "signed_number":
        return ("+" if value >= 0 else "-") + fmt.number(abs(value))
    return fmt.number(value)


def show_findings(findings: tuple[Finding, ...], number_kind: str = "number") -> None:
    """Each finding as a coloured box, translated, numbers formatted (``number`` kinds as ``number_kind``)."""
    for f in findings:
        params = {}
        for k, v in f.params.items():
            kind = f.kinds.get(k, "")
            kind = number_kind if kind == "number" else kind
            params[k] = METRIC_LABELS.get(v, v) if k == "metric" else show_value(v, kind)
        LEVEL_BOX.get(f.level, st.info)(t(f.template, **params))


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
            format_func=lambda m: METRIC_LABELS.get(m, m),
        )
        c4, c5, c6 = st.columns([2, 3, 1])
        method = c4.selectbox(
            t("Method"), list(METHOD_LABELS), key="pilots_method", format_func=lambda m: METHOD_LABELS[m]
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
    kind = "percent" if metric in RATE_METRICS else ("money" if metric == "revenue_per_rep" else "number")
    if not r.ok:
        show_findings(r.findings, kind)
        return
    cols = st.columns(4)
    cols[0].metric(
        t("Effect"),
        show_value(r.effect, kind),
        fmt.signed_percent(r.effect / r.baseline) if r.baseline else None,
        help=t(
            "Average effect per quarter after the start; change relative to the pilot teams' pre-pilot level {level}.",
            level=show_value(r.baseline, kind),
        ),
    )
    cols[1].metric(
        t("95% interval"),
        f"{show_value(r.lo, kind)} … {show_value(r.hi, kind)}",
        help=t(
            "From {n} placebo pilots: control teams posing as the pilot teams (valid with few teams).",
            n=fmt.count(r.n_placebo),
        ),
    )
    cols[2].metric(
        t("p-value"),
        show_value(r.p_value, "p"),
        help=t("Share of placebo pilots with an effect at least as large as the real one."),
    )
    cols[3].metric(
        t("Minimum detectable effect"),
        show_value(r.mde, kind),
        help=t("The smallest effect this design detects with 80% power at the 5% level."),
    )
    st.caption(
        t("Method: {method}; {n} candidate control teams.", method=METHOD_LABELS[r.method], n=fmt.count(r.n_pool))
    )
    show_findings(r.findings, kind)
    label = METRIC_LABELS.get(metric, metric)
    left, right = st.columns(2)
    left.plotly_chart(
        charts.pilot_paths(
            r.series,
            {
                "title": t("Pilot teams vs controls: {metric}", metric=label),
                "x": t("Quarter"),
                "y": label,
                "treated": t("Pilot teams"),
                "control": t("Controls (weighted, level-adjusted)"),
                "start": t("Pilot start"),
            },
        ),
        width="stretch",
        key="pilots_paths_chart",
    )
    right.plotly_chart(
        charts.pilot_effects(
            r.series,
            {
                "title": t("Effect per quarter; before the start it should be near 0 (pre-trend check)"),
                "x": t("Quarter"),
                "y": t("Pilot minus controls"),
                "effect": t("Effect"),
                "band": t("95% placebo band"),
                "start": t("Pilot start"),
            },
        ),
        width="stretch",
        key="pilots_effects_chart",
    )
    left, right = st.columns(2)
    left.plotly_chart(
        charts.placebo_histogram(
            r.placebo_effects,
            r.effect,
            {
                "title": t("Placebo pilots: effects of control teams posing as the pilot"),
                "x": t("Effect"),
                "y": t("Placebo pilots"),
                "placebo": t("Placebo pilots"),
                "pilot": t("Real pilot"),
            },
        ),
        width="stretch",
        key="pilots_placebo_chart",
    )
    right.plotly_chart(
        charts.mde_curve(
            r.mde_by_post,
            r.effect,
            {
                "title": t("Minimum detectable effect by quarters observed after the start"),
                "x": t("Quarters after the start"),
                "y": t("Minimum detectable effect"),
                "mde": t("Minimum detectable effect"),
                "effect": t("Estimated effect"),
            },
        ),
        width="stretch",
        key="pilots_mde_chart",
    )
    st.subheader(t("Estimates by method"))
    est = r.estimates.copy()
    st.dataframe(
        {
            t("Method"): [METHOD_LABELS[m] for m in est["method"]],
            t("Effect"): [show_value(v, kind) for v in est["effect"]],
            t("95% interval"): [
                f"{show_value(a, kind)} … {show_value(b, kind)}" for a, b in zip(est["lo"], est["hi"], strict=True)
            ],
            t("p-value"): [show_value(v, "p") for v in est["p_value"]],
            t("Minimum detectable effect"): [show_value(v, kind) for v in est["mde"]],
            t("Pre-period misfit (RMSE)"): [show_value(v, kind) for v in est["pre_rmse"]],
        },
        hide_index=True,
        width="stretch",
        key="pilots_estimates",
    )
    left, right = st.columns(2)
    with left:
        st.subheader(t("Control teams used"))
        st.dataframe(
            {
                t("Team"): [team_labels.get(x, x) for x in r.controls["team_id"]],
                t("Weight"): [fmt.percent(w) for w in r.controls["weight"]],
                t("Pre-period level"): [show_value(v, kind) for v in r.controls["pre_level"]],
                t("Pre-period trend per quarter"): [show_value(v, kind) for v in r.controls["pre_slope"]],
                t("Distance to nearest pilot team"): [fmt.number(v) for v in r.controls["distance"]],
            },
            hide_index=True,
            width="stretch",
            key="pilots_controls_table",
        )
    with right:
        st.subheader(t("Placebo-in-time check"))
        st.caption(
            t(
                "The same analysis inside the pre-period, pretending the pilot started earlier: "
                "effects here should be near 0."
            )
        )
        pit = r.placebo_in_time
        st.dataframe(
            {
                t("Fake start"): list(pit["fake_start"]),
                t("Effect"): [show_value(v, kind) for v in pit["effect"]],
                t("95% interval"): [
                    f"{show_value(a, kind)} … {show_value(b, kind)}" for a, b in zip(pit["lo"], pit["hi"], strict=True)
                ],
                t("p-value"): [show_value(v, "p") for v in pit["p_value"]],
            },
            hide_index=True,
            width="stretch",
            key="pilots_pit_table",
        )


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
        show_findings(r.findings)
        return
    row = r.half_row()
    cols = st.columns(5)
    cols[0].metric(
        t("Incentive cost"),
        fmt.money(row["incentive_cost"], compact=True),
        help=t("Plan: {plan}.", plan=plan_name(r.plan_name, ctx.lang)),
    )
    cols[1].metric(
        t("Cost of sales / revenue"),
        fmt.percent(row["cost_of_sales_ratio"]),
        help=t("Salaries plus incentives, divided by revenue."),
    )
    cols[2].metric(
        t("ROI"),
        show_value(row["roi"], "number"),
        help=t(
            "{definition}. 95% interval {lo} to {hi}.",
            definition=t(audit.ROI_DEFINITION),
            lo=show_value(row["roi_lo"], "number"),
            hi=show_value(row["roi_hi"], "number"),
        ),
    )
    cols[3].metric(
        t("Reached base threshold"),
        fmt.percent(row["share_threshold"]),
        help=t("Share of rep-quarters at or above {threshold} of target.", threshold=fmt.percent(r.threshold)),
    )
    cols[4].metric(
        t("NPS"),
        show_value(row["nps"], "number"),
        help=t(
            "95% interval {lo} to {hi}.", lo=show_value(row["nps_lo"], "number"), hi=show_value(row["nps_hi"], "number")
        ),
    )
    st.caption(t("ROI definition: {definition}.", definition=t(audit.ROI_DEFINITION)))
    show_findings(r.findings)
    figs = charts.audit_figures(r, t)
    pairs = [k for k in figs if k != "side"]
    for i in range(0, len(pairs), 2):
        cols = st.columns(2)
        for col, key in zip(cols, pairs[i : i + 2], strict=False):
            col.plotly_chart(figs[key], width="stretch", key=f"pilots_audit_{key}")
    st.subheader(t("Side-effect checks"))
    st.plotly_chart(figs["side"], width="stretch", key="pilots_audit_side")
    names = {"renewal_rate": t("Renewal rate"), "nps": t("NPS"), "complaint_rate": t("Complaint rate")}
    se = r.side_effects

    def unit(v: float, u: str) -> str:
        return show_value(v * 100 if u == "share" else v, "signed_number")

    st.dataframe(
        {
            t("Outcome"): [names.get(o, o) for o in se["outcome"]],
            t("Accelerator band"): [
                show_value(v * (100 if u == "share" else 1), "number")
                for v, u in zip(se["accel_mean"], se["unit"], strict=True)
            ],
            t("Other reps"): [
                show_value(v * (100 if u == "share" else 1), "number")
                for v, u in zip(se["other_mean"], se["unit"], strict=True)
            ],
            t("Adjusted difference"): [unit(v, u) for v, u in zip(se["diff"], se["unit"], strict=True)],
            t("95% interval"): [
                f"{unit(a, u)} … {unit(b, u)}" for a, b, u in zip(se["lo"], se["hi"], se["unit"], strict=True)
            ],
            t("p-value"): [show_value(v, "p") for v in se["p_value"]],
            t("Within-rep difference"): [unit(v, u) for v, u in zip(se["within_diff"], se["unit"], strict=True)],
        },
        hide_index=True,
        width="stretch",
        key="pilots_side_table",
    )
    st.caption(
        t(
            "Renewal rate in percentage points, NPS in points, complaint rate in its own unit. Adjusted for "
            "segment mix and quarter, standard errors clustered by rep."
        )
    )
    with st.expander(t("Figures per half-year and quarter")):
        table = audit.period_table(r)
        shown = {t("Period"): list(table["period"])}
        for col, label, kind in audit.REPORT_COLUMNS:
            shown[t(label)] = [show_value(v, kind) for v in table[col]]
        st.dataframe(shown, hide_index=True, width="stretch", key="pilots_audit_table")
    lang = ctx.lang
    st.download_button(
        t("Download the audit report (HTML)"),
        data=lambda: audit.report_html(r, lang=lang),
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
