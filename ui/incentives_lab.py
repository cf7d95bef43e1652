"""Sections of the Incentive lab page: a rep's own pay, the scenario against the baseline, the
risk of overspending, winners and losers with the payout trace, and the statement downloads.

The page shows first what a slider move changes at once (:func:`scenario_tiles`,
:func:`movers_count`, :func:`cost_chart`, from the cheap summaries), then the rest
(:func:`details`, :func:`risk_section`, :func:`movers_table`, :func:`payout_trace`).
Each section draws into the current container and reads the engine through a
:class:`ui.incentives_data.LabData`, so every computation goes through the result cache.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics import incentives, users
from analytics.access import Scope
from analytics.incentives.plans import Plan
from ui import data
from ui import format as fmt
from ui import incentives_charts as charts
from ui.i18n import current_lang, t
from ui.incentives_data import LabData

#: Monte Carlo draws per plan.
DRAWS = 1000
#: Rows shown from each end of the winners-and-losers table.
TOP_MOVERS = 25
#: Height in pixels of the parameter panel, which scrolls inside itself beside the results (a
#: 1400x900 window shows the panel, the cost tiles and the cost chart without scrolling).
PANEL_HEIGHT = 560
#: Height in pixels of the cost chart beside the parameters.
COST_CHART_HEIGHT = 300


def money(v: float) -> str:
    """A compact amount for a tile (e.g. 1.2M in the display currency)."""
    return fmt.money(v, compact=True)


def amount_header() -> str:
    """The header of a trace's amount column, in the configured currency."""
    return t("Amount ({currency})", currency=fmt.currency_unit())


def trace_table(lab: LabData, plan: Plan, rep_id: str) -> pd.DataFrame:
    """One rep's payout lines under ``plan`` with translated rule names."""
    lines = lab.trace(plan, rep_id)
    return pd.DataFrame(
        {
            t("Rule"): [charts.rule_label(r, tr) for r, tr in zip(lines["rule"], lines["tier"], strict=True)],
            t("Measure"): [charts.trace_metric_label(m) for m in lines["metric"]],
            t("Value"): lines["value"],
            t("Rate"): lines["rate"],
            amount_header(): lines["amount"],
        }
    )


def trace_config() -> dict[str, object]:
    """Number formats of :func:`trace_table`'s columns."""
    return {
        t("Value"): st.column_config.NumberColumn(format="%.2f"),
        t("Rate"): st.column_config.NumberColumn(format="%.6g"),
        amount_header(): st.column_config.NumberColumn(format="%.2f"),
    }


def statement_downloads(
    lab: LabData, plan: Plan, rep_ids: list[str], *, stem: str, key: str, scope: Scope, quarter: str
) -> None:
    """CSV and XLSX download buttons for the statements of ``rep_ids`` (built only when clicked).

    Who exported whose pay goes to the access log. The files are built outside the session
    (Streamlit runs the callables on another thread), so they take the language drawn in.
    """
    c1, c2 = st.columns(2)
    lang = current_lang()

    def log(kind: str) -> None:
        users.log_access(data.store(), scope, "export", "statements", f"{quarter} {kind} {len(rep_ids)} reps")

    def csv() -> bytes:
        return incentives.to_csv_bytes(charts.localised_statement(lab.statement(plan, rep_ids), lang=lang))

    def xlsx() -> bytes:
        return incentives.to_xlsx_bytes(charts.localised_statement(lab.statement(plan, rep_ids), lang=lang))

    c1.download_button(
        t("Statement (CSV)"),
        csv,
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click=log,
        args=("csv",),
    )
    c2.download_button(
        t("Statement (Excel)"),
        xlsx,
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click=log,
        args=("xlsx",),
    )


def own_pay(lab: LabData, plan: Plan, *, scope: Scope, quarter: str) -> None:
    """A rep's own pay under ``plan``: tiles, payout lines and their statement."""
    row = lab.compute(plan).per_rep.iloc[0]
    st.subheader(t("Your pay for {quarter}", quarter=quarter))
    c = st.columns(3)
    c[0].metric(t("Total pay"), fmt.money(row["total_pay"]))
    c[1].metric(t("Attainment"), fmt.percent(row["attainment"]))
    c[2].metric(t("Grade"), row["grade"] or "—")
    st.dataframe(trace_table(lab, plan, row["rep_id"]), hide_index=True, width="stretch", column_config=trace_config())
    st.caption(t("Every line is value x rate rounded to the cent; the lines add up to your total pay."))
    statement_downloads(
        lab,
        plan,
        [row["rep_id"]],
        stem=f"statement_{quarter}_{row['rep_id']}",
        key="incentives_own",
        scope=scope,
        quarter=quarter,
    )


def summary_table(base: incentives.Summary, scen: incentives.Summary) -> pd.DataFrame:
    """Plan-level figures of two plans side by side, with the change (formatted text)."""
    rows = [
        (t("Total cost"), base.total_cost, scen.total_cost, "money"),
        (t("Budget"), base.budget, scen.budget, "money"),
        (t("Cost of sales (pay / won revenue)"), base.cost_of_sales, scen.cost_of_sales, "pct"),
        (t("Base bonuses"), base.base_cost, scen.base_cost, "money"),
        (t("Commission"), base.commission_cost, scen.commission_cost, "money"),
        (t("Team pools"), base.team_cost, scen.team_cost, "money"),
        (t("Innovation pool"), base.innovation_cost, scen.innovation_cost, "money"),
        (t("Budget scaling"), base.scaling_cost, scen.scaling_cost, "money"),
        (t("Reps at the base threshold"), base.share_base, scen.share_base, "pct"),
        (t("Reps at quota"), base.share_quota, scen.share_quota, "pct"),
        (t("Reps in the accelerator"), base.share_accelerator, scen.share_accelerator, "pct"),
        (t("Median pay"), base.median_pay, scen.median_pay, "money"),
        (t("P90 / median pay"), base.p90_median_ratio, scen.p90_median_ratio, "num"),
        (t("Gini of pay"), base.gini, scen.gini, "num"),
    ]
    show = {"money": lambda v: fmt.money(v), "pct": lambda v: fmt.percent(v), "num": lambda v: fmt.number(v)}
    change = {
        "money": lambda a, b: ("+" if b - a >= 0 else "-") + fmt.money(abs(b - a)),
        "pct": lambda a, b: fmt.signed_percent(b - a),
        "num": lambda a, b: ("+" if b - a >= 0 else "-") + fmt.number(abs(b - a)),
    }
    return pd.DataFrame(
        [
            {t("Figure"): name, t("Baseline"): show[k](a), t("Scenario"): show[k](b), t("Change"): change[k](a, b)}
            for name, a, b, k in rows
        ]
    )


def scenario_tiles(b: incentives.Summary, s: incentives.Summary) -> None:
    """Cost, budget, cost of sales and base-threshold tiles of the scenario, two by two (beside the
    parameters a row of four would cut the amounts short)."""
    c = [*st.columns(2), *st.columns(2)]
    c[0].metric(
        t("Total cost"),
        money(s.total_cost),
        fmt.signed_percent(s.total_cost / b.total_cost - 1) if b.total_cost else None,
        delta_color="inverse",
        help=t("Baseline: {value}.", value=fmt.money(b.total_cost)),
    )
    c[1].metric(
        t("Budget"),
        money(s.budget),
        help=t(
            "Company attainment {att}; extra budget released: {yes}.",
            att=fmt.percent(s.company_attainment),
            yes=t("yes") if s.budget_released else t("no"),
        ),
    )
    c[2].metric(
        t("Cost of sales"), fmt.percent(s.cost_of_sales, digits=2), help=t("Total pay / won revenue of the reps shown.")
    )
    c[3].metric(
        t("Reps at the base threshold"),
        fmt.percent(s.share_base),
        help=t("The plan intends about 80% of reps to reach the base bonus."),
    )


def budget_notes(s: incentives.Summary) -> None:
    """The scenario's over-budget warning, and how the budget of a partial selection is prorated."""
    if s.over_budget:
        msg = (
            t(
                "The scenario costs {cost} against a budget of {budget}: payouts are scaled down by {factor}.",
                cost=fmt.money(s.total_cost - s.scaling_cost),
                budget=fmt.money(s.budget),
                factor=fmt.percent(1 - s.scale_factor),
            )
            if s.over_budget_mode == "scale"
            else t(
                "The scenario costs {cost}, {over} over the budget of {budget} (flagged, not scaled).",
                cost=fmt.money(s.total_cost),
                over=fmt.money(s.total_cost - s.budget),
                budget=fmt.money(s.budget),
            )
        )
        st.warning(msg)
    if s.scoped:
        st.caption(
            t(
                "Figures cover the reps shown; their budget is the company budget prorated by their share of the "
                "total target."
            )
        )


def movers_count(gain: int, lose: int) -> None:
    """How many reps gain and how many lose under the scenario (one line)."""
    st.markdown(
        t("**{gain}** reps gain and **{lose}** lose under the scenario.", gain=fmt.count(gain), lose=fmt.count(lose))
    )


def cost_chart(b: incentives.Summary, s: incentives.Summary) -> None:
    """Cost against budget of the baseline and the scenario, from their summaries."""
    names = {"b": t("Baseline"), "s": t("Scenario")}
    cost_parts = ("base_cost", "commission_cost", "team_cost", "innovation_cost", "scaling_cost", "budget")
    st.echarts_chart(
        charts.cost_vs_budget(
            pd.DataFrame(
                [{"plan": names[k], **{c: getattr(x, c) for c in cost_parts}} for k, x in (("b", b), ("s", s))]
            ),
            {
                "title": t("Cost against budget"),
                "y": fmt.currency_unit(),
                "base": t("Base bonuses"),
                "commission": t("Commission"),
                "team": t("Team pools"),
                "innovation": t("Innovation pool"),
                "scaling": t("Budget scaling"),
                "budget": t("Budget"),
            },
        ),
        key="incentives_chart_cost",
        height=COST_CHART_HEIGHT,
    )


def updating() -> Any:
    """A line saying the slower results below are being recomputed; returns its placeholder (empty it when done)."""
    status = st.empty()
    status.caption(t("Updating the risk, the charts and the tables below…"))
    return status


def details(lab: LabData, baseline: Plan, scenario: Plan, b: incentives.Summary, s: incentives.Summary) -> None:
    """The figures of both plans side by side, pay against attainment, the attainment histogram and
    the grade migration: the results that need every rep's pay or grade."""
    st.subheader(t("Scenario against the baseline"))
    left, right = st.columns(2)
    left.dataframe(summary_table(b, s), hide_index=True, width="stretch", key="incentives_summary")
    with right:
        payout_chart(lab, baseline, scenario)
    left, right = st.columns(2)
    with left:
        attainment_chart(lab, scenario)
    with right:
        migration_chart(lab, baseline, scenario)


def payout_chart(lab: LabData, baseline: Plan, scenario: Plan) -> None:
    """Pay against attainment: the plans' curves and every rep's pay under the scenario."""
    names = {"b": t("Baseline"), "s": t("Scenario")}
    st.echarts_chart(
        charts.payout_curve(
            {names["b"]: lab.payout_curve(baseline), names["s"]: lab.payout_curve(scenario)},
            lab.compute(scenario).per_rep,
            {
                "title": t("Pay against attainment"),
                "x": t("Attainment"),
                "y": t("Pay ({currency})", currency=fmt.currency_unit()),
                "reps": t("Reps (scenario, all layers)"),
            },
        ),
        key="incentives_chart_payout",
        height=charts.CHART_HEIGHT,
    )
    st.caption(
        t(
            "Lines: base bonus + commission of a rep with the median target and salary; pools depend on others "
            "and are left out. Dots: every rep's total pay under the scenario."
        )
    )


def attainment_chart(lab: LabData, scenario: Plan) -> None:
    """The scenario's attainment histogram with the plan's thresholds."""
    marks = {t("Base"): scenario.base_bonus.threshold, t("Quota"): 1.0, t("Accelerator"): scenario.accelerator_start}
    st.echarts_chart(
        charts.attainment_histogram(
            lab.compute(scenario).per_rep["attainment"],
            marks,
            {
                "title": t("Attainment of the reps shown"),
                "x": t("Attainment (capped at 300%)"),
                "y": t("Reps"),
                "reps": t("Reps"),
            },
        ),
        key="incentives_chart_attainment",
        height=charts.CHART_HEIGHT,
    )


def migration_chart(lab: LabData, baseline: Plan, scenario: Plan) -> None:
    """From-grade x to-grade counts of the visible reps."""
    st.echarts_chart(
        charts.migration_heatmap(
            lab.migration(baseline, scenario).matrix,
            {"title": t("Grade migration"), "x": t("Scenario grade"), "y": t("Baseline grade")},
        ),
        key="incentives_chart_migration",
        height=charts.CHART_HEIGHT,
    )


def risk_section(lab: LabData, baseline: Plan, scenario: Plan) -> None:
    """Monte Carlo of the total cost of both plans, with an attainment shift."""
    st.subheader(t("Risk of overspending"))
    shift = st.slider(
        t("Shift every simulated attainment by"), -30, 30, 0, step=5, format="%d%%", key="incentives_shift"
    )
    st.caption(
        t(
            "{draws} draws: each takes the company attainment of a past quarter and every rep's performance "
            "relative to the company in one of their own past quarters ({quarters}).",
            draws=fmt.count(DRAWS),
            quarters=", ".join(lab.inputs.history_quarters),
        )
    )
    rb = lab.risk(baseline, draws=DRAWS, shift=shift / 100.0)
    rs = lab.risk(scenario, draws=DRAWS, shift=shift / 100.0)
    c = st.columns(4)
    c[0].metric(t("P10 cost"), money(rs.p10), help=t("Baseline: {value}.", value=money(rb.p10)))
    c[1].metric(t("P50 cost"), money(rs.p50), help=t("Baseline: {value}.", value=money(rb.p50)))
    c[2].metric(t("P90 cost"), money(rs.p90), help=t("Baseline: {value}.", value=money(rb.p90)))
    c[3].metric(
        t("Probability over budget"),
        fmt.percent(rs.prob_over_budget),
        fmt.signed_percent(rs.prob_over_budget - rb.prob_over_budget),
        delta_color="inverse",
        help=t("Baseline: {value}.", value=fmt.percent(rb.prob_over_budget)),
    )
    if rs.method == "lognormal":
        st.info(
            t(
                "The store has fewer than two quarters of targets, so attainment is varied with random noise "
                "(25% spread) instead of past quarters."
            )
        )
    st.echarts_chart(
        charts.risk_histogram(
            {t("Baseline"): rb.costs, t("Scenario"): rs.costs},
            float(pd.Series(rs.budgets).median()),
            {
                "title": t("Simulated total cost"),
                "x": t("Total cost ({currency})", currency=fmt.currency_unit()),
                "y": t("Draws"),
                "budget": t("Budget"),
            },
        ),
        key="incentives_chart_risk",
        height=charts.CHART_HEIGHT,
    )


def movers_table(lab: LabData, baseline: Plan, scenario: Plan) -> None:
    """The biggest moves each way with their reason (the counts are beside the tiles, :func:`movers_count`)."""
    st.subheader(t("Winners and losers"))
    cmp = lab.compare(baseline, scenario)
    moved = pd.concat([cmp.head(TOP_MOVERS), cmp.tail(TOP_MOVERS)]).drop_duplicates("rep_id")
    moved = moved[moved["reason"] != "unchanged"]
    if moved.empty:
        st.info(t("Nobody's pay changes."))
        return
    role_names, reasons = charts.role_labels(), charts.reason_labels()
    st.dataframe(
        pd.DataFrame(
            {
                t("Rep"): moved["rep_name"],
                t("Team"): moved["team_id"],
                t("Role"): moved["role"].map(lambda r: role_names.get(r, r)),
                t("Attainment"): moved["attainment"],
                t("Baseline pay"): moved["total_pay_baseline"],
                t("Scenario pay"): moved["total_pay_scenario"],
                t("Change"): moved["delta"],
                t("Reason"): moved["reason"].map(reasons),
                t("Grade"): moved["grade_baseline"].fillna("—") + " → " + moved["grade_scenario"].fillna("—"),
            }
        ),
        hide_index=True,
        width="stretch",
        key="incentives_movers",
        column_config={
            t("Attainment"): st.column_config.NumberColumn(format="percent"),
            t("Baseline pay"): st.column_config.NumberColumn(format="%.2f"),
            t("Scenario pay"): st.column_config.NumberColumn(format="%.2f"),
            t("Change"): st.column_config.NumberColumn(format="%+.2f"),
        },
    )


def payout_trace(lab: LabData, baseline: Plan, scenario: Plan, *, scope: Scope, quarter: str) -> None:
    """One rep's payout lines under either plan, and the statement downloads."""
    st.subheader(t("Payout trace"))
    per = lab.compute(scenario).per_rep
    labels = dict(zip(per["rep_id"], per["rep_name"] + " (" + per["rep_id"] + ")", strict=True))
    rep = st.selectbox(t("Rep"), list(labels), format_func=labels.get, key="incentives_trace_rep")
    which = st.radio(
        t("Plan"),
        ["s", "b"],
        horizontal=True,
        key="incentives_trace_plan",
        format_func={"s": t("Scenario"), "b": t("Baseline")}.get,
    )
    plan = scenario if which == "s" else baseline
    row = lab.compute(plan).per_rep.set_index("rep_id").loc[rep]
    st.markdown(
        t(
            "**{name}**: attainment {att}, grade {grade}, total pay **{pay}**.",
            name=row["rep_name"],
            att=fmt.percent(row["attainment"]),
            grade=row["grade"] or "—",
            pay=fmt.money(row["total_pay"]),
        )
    )
    st.dataframe(
        trace_table(lab, plan, rep),
        hide_index=True,
        width="stretch",
        column_config=trace_config(),
        key="incentives_trace",
    )
    st.caption(
        t(
            "Every line is value x rate rounded to the cent; the lines add up to the total pay. The statement "
            "files add a sentence per line explaining it."
        )
    )
    downloads = {"scope": scope, "quarter": quarter}
    statement_downloads(lab, plan, [rep], stem=f"statement_{quarter}_{rep}", key="incentives_one", **downloads)
    st.caption(t("All {n} statements of the reps shown:", n=fmt.count(len(per))))
    statement_downloads(lab, plan, list(per["rep_id"]), stem=f"statements_{quarter}", key="incentives_all", **downloads)
