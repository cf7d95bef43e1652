"""The Incentive lab's plan editor: a widget for every parameter of a plan.

:func:`plan_editor` draws the parameters of a baseline :class:`~analytics.incentives.plans.Plan`
and returns the scenario plan they describe. Every widget key starts with :data:`PARAM`, so
:func:`reset_params` (or choosing another baseline, see :func:`follow_baseline`) puts every
parameter back to the baseline's value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from analytics.incentives import plans
from analytics.incentives.plans import DEAL_TYPES, METRICS, Budget, Commission, Plan, TeamPool, Tier
from ui import format as fmt
from ui import incentives_charts as charts
from ui.i18n import current_lang, t

#: Widget keys of plan parameters start with this (reset when the baseline changes).
PARAM = "incentives_p_"
#: Most commission tiers the editor offers.
MAX_TIERS = 5
#: Page-local state: the baseline plan whose values the parameter widgets hold.
LOADED_KEY = "incentives_loaded"


def choice_key(name: str) -> str:
    """The widget key of a parameter whose options carry translated labels: one per language.

    Streamlit keeps a multiselect's (and a radio's) value by its option labels; after a
    language switch, the labels of the old language are no option of the new one, and the
    next fragment run failed ("bad argument type") when it serialised them. As for the
    sidebar filters (ui/filters.py), each language draws its own widget, starting from the
    plain value kept by :func:`keep` (so a switch keeps the choice).
    """
    return f"{PARAM}{name}_{current_lang()}"


def kept(name: str, default: Any) -> Any:
    """The plain value of a per-language parameter widget (:func:`choice_key`), else ``default``."""
    return st.session_state.get(f"{PARAM}plain_{name}", default)


def keep(name: str, value: Any) -> Any:
    """Remember the plain value of a per-language parameter widget; returns ``value``."""
    st.session_state[f"{PARAM}plain_{name}"] = value
    return value


def reset_params() -> None:
    """Forget every parameter widget's value, so each starts again from the baseline plan."""
    for k in [k for k in st.session_state if str(k).startswith(PARAM)]:
        del st.session_state[k]


def follow_baseline(base_key: str) -> None:
    """Reset the parameters when the baseline plan ``base_key`` differs from the one they were set from."""
    if st.session_state.get(LOADED_KEY) != base_key:
        reset_params()
        st.session_state[LOADED_KEY] = base_key


def pct_slider(
    container: Any,
    label: str,
    key: str,
    value: float,
    lo: float,
    hi: float,
    step: float = 1.0,
    help_text: str | None = None,
) -> float:
    """A slider in percent units; returns the fraction."""
    start = min(max(float(round(value * 100, 4)), lo), hi)
    v = container.slider(label, lo, hi, start, step=step, format="%.1f%%", key=PARAM + key, help=help_text)
    return v / 100.0


def commission_controls(p: Plan, box: Any) -> Commission:
    """Commission mode, tiers, threshold and caps, starting from ``p``'s commission."""
    c = p.commission
    modes = {
        "marginal": t("Marginal: each rate on its band"),
        "retroactive": t("Retroactive: whole amount at the highest rate reached"),
    }
    mode = keep(
        "mode",
        box.radio(
            t("Commission mode"),
            list(modes),
            index=list(modes).index(kept("mode", c.mode)),
            key=choice_key("mode"),
            horizontal=True,
            format_func=modes.get,
        ),
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
        t("Cap: most commission per rep ({currency}; 0 = no cap)", currency=fmt.currency_unit()),
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


def plan_editor(p: Plan, roles: list[str]) -> Plan:
    """Widgets for every plan parameter, starting from ``p``; returns the (validated) scenario plan.

    ``roles``: the roles whose scorecard weights may be set apart from the default weights.
    Raises :class:`analytics.incentives.plans.PlanError` when the parameters do not make a
    valid plan (e.g. commission tiers out of order).
    """
    st.button(t("Reset to the baseline plan"), on_click=reset_params, key="incentives_reset")
    tab_base, tab_pools, tab_budget, tab_score = st.tabs(
        [t("Base and commission"), t("Pools"), t("Budget"), t("Scorecard and grades")]
    )
    deal_names = {"new": t("New business"), "renewal": t("Renewals"), "upsell": t("Upsells")}
    deal_types = keep(
        "deal_types",
        tab_base.multiselect(
            t("Deals that count towards attainment"),
            list(DEAL_TYPES),
            kept("deal_types", list(p.deal_types)),
            key=choice_key("deal_types"),
            format_func=deal_names.get,
        ),
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
            t("Team pool per member ({currency})", currency=fmt.currency_unit()),
            0.0,
            1e7,
            float(p.team.pool_per_member),
            step=500.0,
            key=PARAM + "pool",
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
    basis = keep(
        "basis",
        tab_budget.radio(
            t("Base budget"),
            list(bases),
            index=list(bases).index(kept("basis", "share" if bu.base_amount is None else "amount")),
            key=choice_key("basis"),
            horizontal=True,
            format_func=bases.get,
        ),
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
            t("Base budget ({currency})", currency=fmt.currency_unit()),
            0.0,
            1e12,
            float(bu.base_amount or 0.0),
            step=1e5,
            key=PARAM + "budget_amount",
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
        over_budget=keep(
            "over",
            tab_budget.radio(
                t("When over budget"),
                list(overs),
                index=list(overs).index(kept("over", bu.over_budget)),
                key=choice_key("over"),
                horizontal=True,
                format_func=overs.get,
            ),
        ),
    )
    sc = p.scorecard
    gradings = {"thresholds": t("By minimum score"), "forced": t("Forced distribution")}
    grading = keep(
        "grading",
        tab_score.radio(
            t("Grades"),
            list(gradings),
            index=list(gradings).index(kept("grading", sc.grading)),
            key=choice_key("grading"),
            horizontal=True,
            format_func=gradings.get,
        ),
    )
    methods = {"percentile": t("Percentile within role"), "zscore": t("Z-score within role")}
    normalise = keep(
        "normalise",
        tab_score.radio(
            t("Metric scores"),
            list(methods),
            index=list(methods).index(kept("normalise", sc.normalise)),
            key=choice_key("normalise"),
            horizontal=True,
            format_func=methods.get,
        ),
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
    role_names = charts.role_labels()
    role_opts = {"": t("All roles"), **{r: role_names.get(r, r) for r in roles}}
    wrole = keep(
        "w_role",
        a.selectbox(
            t("Roles"),
            list(role_opts),
            index=list(role_opts).index(kept("w_role", "")) if kept("w_role", "") in role_opts else 0,
            key=choice_key("w_role"),
            format_func=role_opts.get,
        ),
    )
    metric_names = charts.metric_labels()
    metric = keep(
        "w_metric",
        b.selectbox(
            t("Metric"),
            list(METRICS),
            index=list(METRICS).index(kept("w_metric", "renewal_rate")),
            key=choice_key("w_metric"),
            format_func=lambda m: metric_names.get(m, m),
        ),
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
    dim = keep(
        "d_dim",
        a.selectbox(
            t("Dimension"),
            list(dims),
            index=list(dims).index(kept("d_dim", next(iter(dims)))),
            key=choice_key("d_dim"),
            format_func=dims.get,
        ),
    )
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
