"""Incentive lab: edit a plan with sliders and see every rep's pay, the cost, the risk and who gains or loses."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from analytics import access, incentives, users
from analytics.incentives import plans
from analytics.incentives.plan_messages import translate_plan_error
from analytics.incentives.plans import DEAL_TYPES, METRICS, Budget, Commission, Plan, PlanError, TeamPool, Tier
from analytics.periods import Quarter
from ui import auth, data
from ui import format as fmt
from ui import incentives_charts as charts
from ui.context import get_context
from ui.i18n import t

#: Widget keys of plan parameters start with this (reset when the baseline changes).
PARAM = "incentives_p_"
#: Most commission tiers the sliders offer.
MAX_TIERS = 5
#: Monte Carlo draws per plan.
DRAWS = 1000
#: Rows shown in the winners-and-losers table.
TOP_MOVERS = 25

ctx = get_context()
st.title(t("Incentive lab"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
role = ctx.scope.role
if not ctx.scope.known:
    st.info(t("Your identity has no access to pay data."))
    st.stop()
f = ctx.filters
quarter = str(Quarter.of(f.end))
auth.log_view(ctx.scope, "incentive_lab", quarter)
q = Quarter.parse(quarter)
if (f.start, f.end) == (q.start, q.end):
    st.caption(
        t(
            "Payouts for {quarter}. Pools, ranks and the budget are computed over the whole company; the "
            "region and team filters only choose which reps are shown.",
            quarter=quarter,
        )
    )
else:
    st.caption(
        t("Payouts are per quarter; showing {quarter}, the quarter in which the selected period ends.", quarter=quarter)
    )

store = data.store()
choices = plans.plan_choices(store, lang=ctx.lang)
base_key = st.selectbox(t("Baseline plan"), list(choices), format_func=choices.get, key="incentives_baseline")
try:
    baseline = plans.load_choice(store, base_key)
except PlanError as exc:
    st.warning(translate_plan_error(str(exc), ctx.lang))
    st.stop()
inputs = data.run(incentives.load_inputs, quarter, ctx.scope, regions=f.region_ids, teams=f.team_ids)
#: identifies ``inputs`` for the result cache (quarter, scope and the shown regions and teams)
INPUTS_KEY = (quarter, ctx.scope, f.region_ids, f.team_ids)
if not inputs.visible.any():
    st.info(t("No rep in this selection has a target in {quarter}.", quarter=quarter))
    st.stop()

ROLE_NAMES = charts.role_labels()
METRIC_NAMES = charts.metric_labels()
REASONS = charts.reason_labels()
SEES_PEOPLE = access.sees_individual_pay(ctx.scope)


def money(v: float) -> str:
    return fmt.money(v, compact=True)


def trace_table(result: incentives.SimulationResult, rep_id: str) -> pd.DataFrame:
    """One rep's payout lines with translated rule names."""
    lines = incentives.trace(result, rep_id)
    return pd.DataFrame(
        {
            t("Rule"): [charts.rule_label(r, tr) for r, tr in zip(lines["rule"], lines["tier"], strict=True)],
            t("Measure"): [charts.trace_metric_label(m) for m in lines["metric"]],
            t("Value"): lines["value"],
            t("Rate"): lines["rate"],
            t("Amount (CNY)"): lines["amount"],
        }
    )


TRACE_CONFIG = {
    t("Value"): st.column_config.NumberColumn(format="%.2f"),
    t("Rate"): st.column_config.NumberColumn(format="%.6g"),
    t("Amount (CNY)"): st.column_config.NumberColumn(format="%.2f"),
}


def statement_downloads(result: incentives.SimulationResult, rep_ids: list[str], stem: str, key: str) -> None:
    """CSV and XLSX download buttons for the statements of ``rep_ids`` (built only when clicked)."""
    c1, c2 = st.columns(2)

    def log(kind: str) -> None:  # who exported whose pay goes to the access log
        users.log_access(store, ctx.scope, "export", "statements", f"{quarter} {kind} {len(rep_ids)} reps")

    def csv() -> bytes:
        return incentives.to_csv_bytes(charts.localised_statement(incentives.statement(result, rep_ids)))

    def xlsx() -> bytes:
        return incentives.to_xlsx_bytes(charts.localised_statement(incentives.statement(result, rep_ids)))

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


# -- a rep sees their own pay only --------------------------------------------------------------
if role == "rep":
    mine = incentives.compute(inputs, baseline)
    row = mine.per_rep.iloc[0]
    st.subheader(t("Your pay for {quarter}", quarter=quarter))
    c = st.columns(3)
    c[0].metric(t("Total pay"), fmt.money(row["total_pay"]))
    c[1].metric(t("Attainment"), fmt.percent(row["attainment"]))
    c[2].metric(t("Grade"), row["grade"] or "—")
    st.dataframe(trace_table(mine, row["rep_id"]), hide_index=True, width="stretch", column_config=TRACE_CONFIG)
    st.caption(t("Every line is value x rate rounded to the cent; the lines add up to your total pay."))
    statement_downloads(mine, [row["rep_id"]], f"statement_{quarter}_{row['rep_id']}", "incentives_own")
    st.stop()


# -- plan parameters ------------------------------------------------------------------------------
def reset_params() -> None:
    for k in [k for k in st.session_state if str(k).startswith(PARAM)]:
        del st.session_state[k]


if st.session_state.get("incentives_loaded") != base_key:
    reset_params()
    st.session_state["incentives_loaded"] = base_key


def pct_slider(
    container, label: str, key: str, value: float, lo: float, hi: float, step: float = 1.0, help_text: str | None = None
) -> float:
    """A slider in percent units; returns the fraction."""
    start = min(max(float(round(value * 100, 4)), lo), hi)
    v = container.slider(label, lo, hi, start, step=step, format="%.1f%%", key=PARAM + key, help=help_text)
    return v / 100.0


def commission_controls(p: Plan, box) -> Commission:
    c = p.commission
    modes = {
        "marginal": t("Marginal: each rate on its band"),
        "retroactive": t("Retroactive: whole amount at the highest rate reached"),
    }
    mode = box.radio(
        t("Commission mode"),
        list(modes),
        index=list(modes).index(c.mode),
        key=PARAM + "mode",
        horizontal=True,
        format_func=modes.get,
    )
    n = box.number_input(t("Number of tiers"), 1, MAX_TIERS, len(c.tiers), key=PARAM + "tiers")
    tiers = []
    for i in range(int(n)):
        old = (
            c.tiers[i] if i < len(c.tiers) else Tier(c.tiers[-1].start + 0.2 * (i - len(c.tiers) + 1), c.tiers[-1].rate)
        )
        a, b = box.columns(2)
        start = a.number_input(
            t("Tier {n} starts at attainment (%)", n=i + 1),
            0.0,
            1000.0,
            float(round(old.start * 100, 4)),
            step=5.0,
            key=PARAM + f"tier{i}_from",
        )
        rate = b.number_input(
            t("Tier {n} rate (%)", n=i + 1),
            0.0,
            100.0,
            float(round(old.rate * 100, 4)),
            step=0.1,
            format="%.2f",
            key=PARAM + f"tier{i}_rate",
        )
        tiers.append(Tier(start / 100.0, rate / 100.0))
    threshold = pct_slider(box, t("No commission below attainment"), "c_threshold", c.threshold, 0.0, 150.0)
    a, b = box.columns(2)
    cap_att = a.number_input(
        t("Cap: won amount above this attainment earns nothing (%; 0 = no cap)"),
        0.0,
        1000.0,
        float((c.cap_attainment or 0) * 100),
        step=10.0,
        key=PARAM + "cap_att",
    )
    cap_amt = b.number_input(
        t("Cap: most commission per rep (CNY; 0 = no cap)"),
        0.0,
        1e9,
        float(c.cap_amount or 0),
        step=1000.0,
        key=PARAM + "cap_amt",
    )
    return Commission(
        tiers=tuple(tiers),
        mode=mode,
        threshold=threshold,
        cap_attainment=cap_att / 100.0 if cap_att > 0 else None,
        cap_amount=cap_amt if cap_amt > 0 else None,
    )


def scenario_controls(p: Plan) -> Plan:
    """Widgets for every plan parameter, starting from ``p``; returns the (validated) scenario plan."""
    tab_base, tab_pools, tab_budget, tab_score = st.tabs(
        [t("Base and commission"), t("Pools"), t("Budget"), t("Scorecard and grades")]
    )
    deal_names = {"new": t("New business"), "renewal": t("Renewals"), "upsell": t("Upsells")}
    deal_types = tab_base.multiselect(
        t("Deals that count towards attainment"),
        list(DEAL_TYPES),
        list(p.deal_types),
        key=PARAM + "deal_types",
        format_func=deal_names.get,
    )
    a, b = tab_base.columns(2)
    base = replace(
        p.base_bonus,
        threshold=pct_slider(
            a,
            t("Base bonus from attainment"),
            "base_threshold",
            p.base_bonus.threshold,
            0.0,
            150.0,
            help_text=t("The reference plan pays it from 80%, meant to cover about 80% of reps."),
        ),
        salary_share=pct_slider(
            b, t("Base bonus, share of monthly salary"), "base_share", p.base_bonus.salary_share, 0.0, 50.0, 0.5
        ),
    )
    commission = commission_controls(p, tab_base)
    innovation = replace(
        p.innovation,
        excess_profit_share=pct_slider(
            tab_pools,
            t("Innovation pool, share of excess gross profit"),
            "innovation",
            p.innovation.excess_profit_share,
            0.0,
            30.0,
            0.5,
        ),
    )
    a, b = tab_pools.columns(2)
    team = TeamPool(
        pool_per_member=a.number_input(
            t("Team pool per member (CNY)"), 0.0, 1e7, float(p.team.pool_per_member), step=500.0, key=PARAM + "pool"
        ),
        equal_share=pct_slider(
            b, t("Share of the team pool split equally"), "equal", p.team.equal_share, 0.0, 100.0, 5.0
        ),
        collaboration_top_share=pct_slider(
            a, t("Top teams by collaboration score"), "top", p.team.collaboration_top_share, 0.0, 100.0, 5.0
        ),
        collaboration_uplift=pct_slider(
            b, t("Uplift of their team pool"), "uplift", p.team.collaboration_uplift, 0.0, 50.0, 1.0
        ),
    )
    bu = p.budget
    bases = {"share": t("Share of total target"), "amount": t("Fixed amount")}
    basis = tab_budget.radio(
        t("Base budget"),
        list(bases),
        index=0 if bu.base_amount is None else 1,
        key=PARAM + "basis",
        horizontal=True,
        format_func=bases.get,
    )
    if basis == "share":
        share = pct_slider(
            tab_budget,
            t("Base budget, share of the quarter's total target"),
            "budget_share",
            bu.base_share_of_target or 0.03,
            0.0,
            10.0,
            0.1,
        )
        amount = None
    else:
        share = None
        amount = tab_budget.number_input(
            t("Base budget (CNY)"), 0.0, 1e12, float(bu.base_amount or 0.0), step=1e5, key=PARAM + "budget_amount"
        )
    a, b = tab_budget.columns(2)
    overs = {"flag": t("Pay the rules and flag the overrun"), "scale": t("Scale every payout down pro rata")}
    budget = Budget(
        base_amount=amount,
        base_share_of_target=share,
        release_attainment=pct_slider(
            a, t("Extra budget released at company attainment"), "release_at", bu.release_attainment, 50.0, 300.0, 5.0
        ),
        release_share=pct_slider(b, t("Extra budget released"), "release_share", bu.release_share, 0.0, 50.0, 1.0),
        over_budget=tab_budget.radio(
            t("When over budget"),
            list(overs),
            index=list(overs).index(bu.over_budget),
            key=PARAM + "over",
            horizontal=True,
            format_func=overs.get,
        ),
    )
    sc = p.scorecard
    gradings = {"thresholds": t("By minimum score"), "forced": t("Forced distribution")}
    grading = tab_score.radio(
        t("Grades"),
        list(gradings),
        index=list(gradings).index(sc.grading),
        key=PARAM + "grading",
        horizontal=True,
        format_func=gradings.get,
    )
    methods = {"percentile": t("Percentile within role"), "zscore": t("Z-score within role")}
    normalise = tab_score.radio(
        t("Metric scores"),
        list(methods),
        index=list(methods).index(sc.normalise),
        key=PARAM + "normalise",
        horizontal=True,
        format_func=methods.get,
    )
    th = dict(sc.thresholds)
    cols = tab_score.columns(4)
    thresholds = tuple(
        (
            g,
            float(
                cols[i].number_input(
                    t("Minimum score for {grade}", grade=g), 0.0, 100.0, th[g], step=1.0, key=PARAM + f"th_{g}"
                )
            ),
        )
        for i, g in enumerate(("A+", "A", "B", "C"))
    )
    new = replace(
        p,
        deal_types=tuple(deal_types),
        base_bonus=base,
        commission=commission,
        innovation=innovation,
        team=team,
        budget=budget,
        scorecard=replace(sc, grading=grading, thresholds=thresholds, normalise=normalise),
    )
    a, b, c = tab_score.columns(3)
    roles = sorted({str(r) for r in inputs.reps["role"].dropna()})
    role_opts = {"": t("All roles"), **{r: ROLE_NAMES.get(r, r) for r in roles}}
    wrole = a.selectbox(t("Roles"), list(role_opts), key=PARAM + "w_role", format_func=role_opts.get)
    metric = b.selectbox(
        t("Metric"),
        list(METRICS),
        index=list(METRICS).index("renewal_rate"),
        key=PARAM + "w_metric",
        format_func=lambda m: METRIC_NAMES.get(m, m),
    )
    current = sc.weights_for(wrole).metric_weights(METRICS[metric].dimension).get(metric, 0.0)
    weight = c.slider(
        t("Weight inside its dimension"),
        0.0,
        1.0,
        float(round(current, 4)),
        step=0.05,
        key=PARAM + f"w_{wrole}_{metric}",
    )
    tab_score.caption(t("The other metrics of the dimension are rescaled so the weights still sum to 100%."))
    dims = charts.dimension_labels()
    a, b = tab_score.columns(2)
    dim = a.selectbox(t("Dimension"), list(dims), key=PARAM + "d_dim", format_func=dims.get)
    current_dim = sc.weights_for(wrole).dimension_weights()[dim]
    dim_weight = b.slider(
        t("Weight of the dimension in the total score"),
        0.0,
        1.0,
        float(round(current_dim, 4)),
        step=0.05,
        key=PARAM + f"d_{wrole}_{dim}",
    )
    if abs(dim_weight - current_dim) > 1e-9:
        new = plans.with_dimension_weight(new, dim, dim_weight, role=wrole or None)
    if abs(weight - current) > 1e-9:
        new = plans.with_metric_weight(new, metric, weight, role=wrole or None)
    return new


def summary_table(base: incentives.Summary, scen: incentives.Summary) -> pd.DataFrame:
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


@st.fragment
def lab() -> None:
    """Sliders and every result that depends on them; a change reruns only this part."""
    with st.expander(t("Plan parameters"), expanded=True):
        st.button(t("Reset to the baseline plan"), on_click=reset_params, key="incentives_reset")
        try:
            scenario = scenario_controls(baseline)
        except PlanError as exc:
            st.warning(translate_plan_error(str(exc), ctx.lang))
            return
    st.session_state["incentives_scenario"] = scenario
    base = data.run_with(INPUTS_KEY, incentives.compute, inputs, baseline)
    scen = data.run_with(INPUTS_KEY, incentives.compute, inputs, scenario)
    b, s = base.summary, scen.summary
    st.subheader(t("Scenario against the baseline"))
    c = st.columns(4)
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
    st.dataframe(summary_table(b, s), hide_index=True, width="stretch", key="incentives_summary")
    names = {"b": t("Baseline"), "s": t("Scenario")}
    cost_parts = ("base_cost", "commission_cost", "team_cost", "innovation_cost", "scaling_cost", "budget")
    left, right = st.columns(2)
    left.echarts_chart(
        charts.cost_vs_budget(
            pd.DataFrame(
                [
                    {"plan": names[key], **{k: getattr(summ, k) for k in cost_parts}}
                    for key, summ in (("b", b), ("s", s))
                ]
            ),
            {
                "title": t("Cost against budget"),
                "y": t("CNY"),
                "base": t("Base bonuses"),
                "commission": t("Commission"),
                "team": t("Team pools"),
                "innovation": t("Innovation pool"),
                "scaling": t("Budget scaling"),
                "budget": t("Budget"),
            },
        ),
        key="incentives_chart_cost",
        height=charts.CHART_HEIGHT,
    )
    right.echarts_chart(
        charts.payout_curve(
            {
                names["b"]: incentives.payout_curve(inputs, baseline),
                names["s"]: incentives.payout_curve(inputs, scenario),
            },
            scen.per_rep,
            {
                "title": t("Pay against attainment"),
                "x": t("Attainment"),
                "y": t("Pay (CNY)"),
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
    marks = {t("Base"): scenario.base_bonus.threshold, t("Quota"): 1.0, t("Accelerator"): scenario.accelerator_start}
    left, right = st.columns(2)
    left.echarts_chart(
        charts.attainment_histogram(
            scen.per_rep["attainment"],
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
    mig = incentives.grade_migration(base, scen)
    right.echarts_chart(
        charts.migration_heatmap(
            mig.matrix, {"title": t("Grade migration"), "x": t("Scenario grade"), "y": t("Baseline grade")}
        ),
        key="incentives_chart_migration",
        height=charts.CHART_HEIGHT,
    )
    risk_section(scenario)
    if SEES_PEOPLE:
        people_section(base, scen)


def risk_section(scenario: Plan) -> None:
    st.subheader(t("Risk of overspending"))
    shift = st.slider(
        t("Shift every simulated attainment by"), -30, 30, 0, step=5, format="%d%%", key="incentives_shift"
    )
    st.caption(
        t(
            "{draws} draws: each takes the company attainment of a past quarter and every rep's performance "
            "relative to the company in one of their own past quarters ({quarters}).",
            draws=fmt.count(DRAWS),
            quarters=", ".join(inputs.history_quarters),
        )
    )
    rb = data.run_with(INPUTS_KEY, incentives.risk, inputs, baseline, draws=DRAWS, shift=shift / 100.0)
    rs = data.run_with(INPUTS_KEY, incentives.risk, inputs, scenario, draws=DRAWS, shift=shift / 100.0)
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
            {"title": t("Simulated total cost"), "x": t("Total cost (CNY)"), "y": t("Draws"), "budget": t("Budget")},
        ),
        key="incentives_chart_risk",
        height=charts.CHART_HEIGHT,
    )


def people_section(base: incentives.SimulationResult, scen: incentives.SimulationResult) -> None:
    st.subheader(t("Winners and losers"))
    cmp = incentives.compare(base, scen)
    gain, lose = int((cmp["delta"] > 0.005).sum()), int((cmp["delta"] < -0.005).sum())
    st.markdown(
        t("**{gain}** reps gain and **{lose}** lose under the scenario.", gain=fmt.count(gain), lose=fmt.count(lose))
    )
    moved = pd.concat([cmp.head(TOP_MOVERS), cmp.tail(TOP_MOVERS)]).drop_duplicates("rep_id")
    moved = moved[moved["reason"] != "unchanged"]
    if moved.empty:
        st.info(t("Nobody's pay changes."))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    t("Rep"): moved["rep_name"],
                    t("Team"): moved["team_id"],
                    t("Role"): moved["role"].map(lambda r: ROLE_NAMES.get(r, r)),
                    t("Attainment"): moved["attainment"],
                    t("Baseline pay"): moved["total_pay_baseline"],
                    t("Scenario pay"): moved["total_pay_scenario"],
                    t("Change"): moved["delta"],
                    t("Reason"): moved["reason"].map(REASONS),
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
    st.subheader(t("Payout trace"))
    per = scen.per_rep
    labels = dict(zip(per["rep_id"], per["rep_name"] + " (" + per["rep_id"] + ")", strict=True))
    rep = st.selectbox(t("Rep"), list(labels), format_func=labels.get, key="incentives_trace_rep")
    which = st.radio(
        t("Plan"),
        ["s", "b"],
        horizontal=True,
        key="incentives_trace_plan",
        format_func={"s": t("Scenario"), "b": t("Baseline")}.get,
    )
    result = scen if which == "s" else base
    row = result.per_rep.set_index("rep_id").loc[rep]
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
        trace_table(result, rep), hide_index=True, width="stretch", column_config=TRACE_CONFIG, key="incentives_trace"
    )
    st.caption(
        t(
            "Every line is value x rate rounded to the cent; the lines add up to the total pay. The statement "
            "files add a sentence per line explaining it."
        )
    )
    statement_downloads(result, [rep], f"statement_{quarter}_{rep}", "incentives_one")
    st.caption(t("All {n} statements of the reps shown:", n=fmt.count(len(per))))
    statement_downloads(result, list(per["rep_id"]), f"statements_{quarter}", "incentives_all")


lab()


# -- saved scenarios ------------------------------------------------------------------------------
st.divider()
st.subheader(t("Saved scenarios"))
if role in access.SCENARIO_AUTHORS:
    with st.form("incentives_save_form"):
        a, b = st.columns([1, 2])
        name = a.text_input(t("Scenario name"), key="incentives_save_name")
        note = b.text_input(t("Note"), key="incentives_save_note")
        if st.form_submit_button(t("Save the current scenario")):
            plan_now = st.session_state.get("incentives_scenario", baseline)
            try:
                rev = plans.save_scenario(store, name, plan_now, ctx.scope.user, quarter=quarter, note=note)
                st.success(t("Saved '{name}' as revision {rev}.", name=name.strip(), rev=rev))
            except PlanError:
                st.warning(
                    t("Give the scenario a name (at most {n} characters) before saving it.", n=plans.MAX_SCENARIO_NAME)
                )
saved = plans.list_scenarios(store)
if saved.empty:
    st.info(t("No scenario has been saved yet."))
else:
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


@st.fragment
def compare_two() -> None:
    """Any two plans (bundled or saved) side by side on this quarter."""
    st.subheader(t("Compare two plans"))
    opts = plans.plan_choices(store, lang=ctx.lang)
    keys = list(opts)
    a, b = st.columns(2)
    ka = a.selectbox(t("Plan A"), keys, key="incentives_cmp_a", format_func=opts.get)
    kb = b.selectbox(t("Plan B"), keys, index=min(1, len(keys) - 1), key="incentives_cmp_b", format_func=opts.get)
    try:
        pa, pb = plans.load_choice(store, ka), plans.load_choice(store, kb)
    except PlanError as exc:
        st.warning(translate_plan_error(str(exc), ctx.lang))
        return
    ra, rb = incentives.compute(inputs, pa), incentives.compute(inputs, pb)
    table = summary_table(ra.summary, rb.summary).rename(
        columns={t("Baseline"): t("Plan A"), t("Scenario"): t("Plan B")}
    )
    st.dataframe(table, hide_index=True, width="stretch", key="incentives_cmp_table")
    if SEES_PEOPLE:
        cmp = incentives.compare(ra, rb)
        st.caption(t("Biggest changes from plan A to plan B:"))
        top = cmp.reindex(cmp["delta"].abs().sort_values(ascending=False).index).head(10)
        st.dataframe(
            pd.DataFrame(
                {
                    t("Rep"): top["rep_name"],
                    t("Plan A pay"): top["total_pay_baseline"],
                    t("Plan B pay"): top["total_pay_scenario"],
                    t("Change"): top["delta"],
                    t("Reason"): top["reason"].map(REASONS),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={t("Change"): st.column_config.NumberColumn(format="%+.2f")},
        )


compare_two()
