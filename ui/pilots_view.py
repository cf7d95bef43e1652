"""Rendering of the Pilots & audit page: tiles, findings, charts and tables of a computed result.

The page (views/pilots.py) reads the widgets and fetches results through the cache; the
functions here only show them. Numbers go through :mod:`analytics.format` in the session's
language (money in the configured currency), findings through :mod:`ui.findings`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import audit
from analytics import format as base
from analytics.audit import AuditResult
from analytics.findings import Finding
from analytics.incentives.plan_messages import plan_name
from analytics.pilots import PilotResult
from ui import findings as show
from ui import format as fmt
from ui import pilots_charts as charts
from ui.i18n import current_lang, t


def metric_labels() -> dict[str, str]:
    """Translated display names of the pilot metrics (stored metric ids without one show as is)."""
    return {
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


def outcome_labels() -> dict[str, str]:
    """Translated names of the side-effect outcomes."""
    return {"renewal_rate": t("Renewal rate"), "nps": t("NPS"), "complaint_rate": t("Complaint rate")}


def method_labels() -> dict[str, str]:
    """Translated names of the estimation methods (``auto`` included)."""
    return {
        "auto": t("Automatic"),
        "did": t("Difference-in-differences (matched controls)"),
        "sc": t("Synthetic control"),
        "sdid": t("Synthetic difference-in-differences"),
    }


def value(v: object, kind: str = "number") -> str:
    """One number formatted as ``kind`` (:data:`analytics.format.KINDS`) in the session's language."""
    return base.value(v, kind, lang=current_lang())


def interval(lo: object, hi: object, kind: str = "number") -> str:
    """``lo … hi`` formatted as ``kind``."""
    return f"{value(lo, kind)} … {value(hi, kind)}"


def _labels(name: str, raw: object) -> str:
    """Display names of a finding's text parameters (the metric's label)."""
    return metric_labels().get(str(raw), str(raw)) if name == "metric" else str(raw)


def show_findings(found: tuple[Finding, ...]) -> None:
    """Each finding as a box by its level, in the session's language."""
    for f in found:
        show.show(f, _labels)


# -- pilot evaluation ---------------------------------------------------------------------------
def pilot_tiles(r: PilotResult, kind: str) -> None:
    """Effect, interval, p-value and minimum detectable effect, then the method caption."""
    cols = st.columns(4)
    cols[0].metric(
        t("Effect"),
        value(r.effect, kind),
        fmt.signed_percent(r.effect / r.baseline) if r.baseline else None,
        help=t(
            "Average effect per quarter after the start; change relative to the pilot teams' pre-pilot level {level}.",
            level=value(r.baseline, kind),
        ),
    )
    cols[1].metric(
        t("95% interval"),
        interval(r.lo, r.hi, kind),
        help=t(
            "From {n} placebo pilots: control teams posing as the pilot teams (valid with few teams).",
            n=fmt.count(r.n_placebo),
        ),
    )
    cols[2].metric(
        t("p-value"),
        value(r.p_value, "p"),
        help=t("Share of placebo pilots with an effect at least as large as the real one."),
    )
    cols[3].metric(
        t("Minimum detectable effect"),
        value(r.mde, kind),
        help=t("The smallest effect this design detects with 80% power at the 5% level."),
    )
    st.caption(
        t("Method: {method}; {n} candidate control teams.", method=method_labels()[r.method], n=fmt.count(r.n_pool))
    )


def pilot_charts(r: PilotResult, metric: str) -> None:
    """Paths, per-quarter effects, placebo distribution and the MDE curve (two rows of two)."""
    label = metric_labels().get(metric, metric)
    start = t("Pilot start")
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
                "start": start,
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
                "start": start,
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


def pilot_tables(r: PilotResult, kind: str, team_labels: dict[str, str]) -> None:
    """Estimates by method, the control teams used and the placebo-in-time check."""
    st.subheader(t("Estimates by method"))
    est, methods = r.estimates, method_labels()
    st.dataframe(
        {
            t("Method"): [methods[m] for m in est["method"]],
            t("Effect"): [value(v, kind) for v in est["effect"]],
            t("95% interval"): [interval(a, b, kind) for a, b in zip(est["lo"], est["hi"], strict=True)],
            t("p-value"): [value(v, "p") for v in est["p_value"]],
            t("Minimum detectable effect"): [value(v, kind) for v in est["mde"]],
            t("Pre-period misfit (RMSE)"): [value(v, kind) for v in est["pre_rmse"]],
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
                t("Pre-period level"): [value(v, kind) for v in r.controls["pre_level"]],
                t("Pre-period trend per quarter"): [value(v, kind) for v in r.controls["pre_slope"]],
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
                t("Effect"): [value(v, kind) for v in pit["effect"]],
                t("95% interval"): [interval(a, b, kind) for a, b in zip(pit["lo"], pit["hi"], strict=True)],
                t("p-value"): [value(v, "p") for v in pit["p_value"]],
            },
            hide_index=True,
            width="stretch",
            key="pilots_pit_table",
        )


# -- health audit -------------------------------------------------------------------------------
def audit_tiles(r: AuditResult) -> None:
    """Incentive cost, cost-of-sales ratio, ROI, threshold share and NPS of the audited half."""
    row = r.half_row()
    cols = st.columns(5)
    cols[0].metric(
        t("Incentive cost"),
        fmt.money(row["incentive_cost"], compact=True),
        help=t("Plan: {plan}.", plan=plan_name(r.plan_name, current_lang())),
    )
    cols[1].metric(
        t("Cost of sales / revenue"),
        fmt.percent(row["cost_of_sales_ratio"]),
        help=t("Salaries plus incentives, divided by revenue."),
    )
    cols[2].metric(
        t("ROI"),
        value(row["roi"]),
        help=t(
            "{definition}. 95% interval {lo} to {hi}.",
            definition=t(audit.ROI_DEFINITION),
            lo=value(row["roi_lo"]),
            hi=value(row["roi_hi"]),
        ),
    )
    cols[3].metric(
        t("Reached base threshold"),
        fmt.percent(row["share_threshold"]),
        help=t("Share of rep-quarters at or above {threshold} of target.", threshold=fmt.percent(r.threshold)),
    )
    cols[4].metric(
        t("NPS"),
        value(row["nps"]),
        help=t("95% interval {lo} to {hi}.", lo=value(row["nps_lo"]), hi=value(row["nps_hi"])),
    )
    st.caption(t("ROI definition: {definition}.", definition=t(audit.ROI_DEFINITION)))


def audit_charts(r: AuditResult) -> None:
    """The audit's charts two by two, then the side-effect chart under its heading."""
    figs = charts.audit_figures(r, t, symbol=fmt.currency_symbol())
    pairs = [k for k in figs if k != "side"]
    for i in range(0, len(pairs), 2):
        cols = st.columns(2)
        for col, key in zip(cols, pairs[i : i + 2], strict=False):
            col.plotly_chart(figs[key], width="stretch", key=f"pilots_audit_{key}")
    st.subheader(t("Side-effect checks"))
    st.plotly_chart(figs["side"], width="stretch", key="pilots_audit_side")


def side_effects_table(effects: pd.DataFrame) -> None:
    """Accelerator band vs other reps per outcome (shares in percentage points), with a caption."""

    def scaled(v: float, unit: str, kind: str = "signed_number") -> str:
        return value(v * 100 if unit == "share" else v, kind)

    se, names = effects, outcome_labels()
    units = list(se["unit"])
    st.dataframe(
        {
            t("Outcome"): [names.get(o, o) for o in se["outcome"]],
            t("Accelerator band"): [scaled(v, u, "number") for v, u in zip(se["accel_mean"], units, strict=True)],
            t("Other reps"): [scaled(v, u, "number") for v, u in zip(se["other_mean"], units, strict=True)],
            t("Adjusted difference"): [scaled(v, u) for v, u in zip(se["diff"], units, strict=True)],
            t("95% interval"): [
                f"{scaled(a, u)} … {scaled(b, u)}" for a, b, u in zip(se["lo"], se["hi"], units, strict=True)
            ],
            t("p-value"): [value(v, "p") for v in se["p_value"]],
            t("Within-rep difference"): [scaled(v, u) for v, u in zip(se["within_diff"], units, strict=True)],
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


def period_table(table: pd.DataFrame) -> None:
    """The figures per half-year and quarter (:func:`analytics.audit.period_table`), formatted."""
    shown = {t("Period"): list(table["period"])}
    for col, label, kind in audit.REPORT_COLUMNS:
        shown[t(label)] = [value(v, kind) for v in table[col]]
    st.dataframe(shown, hide_index=True, width="stretch", key="pilots_audit_table")
