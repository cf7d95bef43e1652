"""Attribution: which lead sources pay off (conversion, speed, deal value), and multi-touch credit."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from analytics import attribution as attr
from analytics import lookups
from analytics.attribution import touch
from ui import attribution_charts as charts
from ui import data
from ui import format as fmt
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Attribution"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
f = ctx.filters
st.caption(
    t("Leads created {start} to {end}, followed up to the end of the data.", start=fmt.day(f.start), end=fmt.day(f.end))
)

SPLITS = {"region": t("Region"), "segment": t("Segment"), "quarter": t("Quarter"), "team": t("Team")}
MODEL_NAMES = {
    "first": t("First touch"),
    "last": t("Last touch"),
    "linear": t("Linear"),
    "time_decay": t("Time decay"),
    "position": t("Position-based (U-shaped)"),
    "w_shaped": t("W-shaped"),
    "markov": t("Markov chain (removal effect)"),
    "shapley": t("Shapley value"),
}
STEP_NAMES = {
    "new": t("New"),
    "contacted": t("Contacted"),
    "qualified": t("Qualified"),
    "proposal": t("Proposal"),
    "negotiation": t("Negotiation"),
    "won": t("Won"),
}
source_names = data.run(lookups.display_names, "source", ctx.lang)
channel_names = data.run(lookups.display_names, "channel", ctx.lang)
dim_names = {
    "region_id": dict(data.run(lookups.regions, lang=ctx.lang).set_index("region_id")["label"]),
    "team_id": dict(data.run(lookups.teams, lang=ctx.lang).set_index("team_id")["label"]),
    "segment": dict(data.run(lookups.segments, lang=ctx.lang).set_index("segment")["label"]),
}


def source_label(value: str) -> str:
    """Display name of a stored source value."""
    return source_names.get(value, value)


def group_label(row: pd.Series | dict, cols: list[str]) -> str:
    """'Shanghai · SMB' for the split columns of a row."""
    return " · ".join(str(dim_names.get(c, {}).get(row[c], row[c])) for c in cols)


def ratio_text(value: float) -> str:
    """A ratio such as 3.1 (one decimal)."""
    return fmt.number(value, digits=1)


def baseline_label(value: str) -> str:
    """How a baseline choice reads in the selector."""
    if value == attr.BASELINE_PUBLIC:
        return t("Pooled public channels ({sources})", sources=", ".join(source_label(s) for s in attr.PUBLIC_SOURCES))
    if value == attr.BASELINE_ALL:
        return t("All leads")
    return source_label(value)


def sources_view() -> None:
    """Lead sources x conversion x days to convert x deal value, with the ratio view."""
    left, right = st.columns(2)
    split = left.multiselect(
        t("Split by"), list(SPLITS), format_func=SPLITS.get, key="attribution_split", placeholder=t("Lead source only")
    )
    choices = [attr.BASELINE_PUBLIC, attr.BASELINE_ALL, *data.run(attr.lead_sources)]
    baseline = right.selectbox(t("Compare with"), choices, format_func=baseline_label, key="attribution_baseline")
    by = ("source", *split)
    table = data.run(attr.source_table, f, ctx.scope, by=by, baseline=baseline)
    if table.empty:
        st.info(t("No leads were created in this selection. Widen the period or clear a filter."))
        return
    cols = [attr.GROUP_DIMS[d][1] for d in by if d != "source"]
    if not table["in_baseline"].any():
        st.warning(
            t(
                "None of the baseline's sources has leads in this selection, so no ratio can be computed. "
                "Pick another baseline."
            )
        )

    st.subheader(t("What stands out"))
    findings = attr.headlines(table, baseline=baseline)
    if not findings:
        st.caption(t("No source converts differently from the baseline after adjusting for multiple comparisons."))
    for finding in findings[:8]:
        p = finding.params
        params = {
            "source": source_label(str(p["source"])),
            "ratio": ratio_text(p["ratio"]),  # type: ignore[arg-type]
            "lo": ratio_text(p["lo"]),
            "hi": ratio_text(p["hi"]),
        }  # type: ignore[arg-type]
        if "baseline" in p:
            params["baseline"] = source_label(str(p["baseline"]))
        if "group" in p:
            params["group"] = group_label(p["group"], cols)  # type: ignore[arg-type]
        st.markdown("- " + t(finding.template, **params))
    if len(findings) > 8:
        st.caption(t("{n} more findings in the table below.", n=fmt.count(len(findings) - 8)))

    st.subheader(t("By lead source"))
    st.dataframe(source_display(table, cols), hide_index=True, width="stretch")
    st.caption(
        t(
            "Conversion = won / leads created, with a 95% Wilson interval; open leads count as not (yet) "
            "converted. Days to convert: Kaplan-Meier, open leads censored. Deal value: 95% bootstrap "
            "interval. Ratio p-values are Holm-adjusted across the rows."
        )
    )

    forest = table[table["ratio_lo"].notna()].copy()
    if not forest.empty:
        forest["label"] = [
            source_label(s) + (" · " + group_label(r, cols) if cols else "")
            for s, (_, r) in zip(forest["source"], forest.iterrows(), strict=True)
        ]
        forest = forest.rename(columns={"ratio_to_baseline": "ratio", "ratio_lo": "lo", "ratio_hi": "hi"})
        forest["significant"] = forest["p_value_holm"] < attr.FINDING_ALPHA
        st.plotly_chart(
            charts.ratio_forest(
                forest.head(40),
                {
                    "title": t("Conversion relative to {baseline}", baseline=baseline_label(baseline)),
                    "x": t("Ratio of conversion rates (log scale)"),
                    "significant": t("Differs (Holm-adjusted p < 0.05)"),
                    "not_significant": t("No clear difference"),
                    "reference": t("Same as baseline"),
                },
            ),
            width="stretch",
        )

    curves = data.run(attr.conversion_curves, f, ctx.scope)
    st.plotly_chart(
        charts.conversion_curves(
            curves,
            source_names,
            {
                "title": t("Share of leads converted by day N (Kaplan-Meier, open leads censored)"),
                "x": t("Days since the lead was created"),
                "y": t("Converted"),
            },
        ),
        width="stretch",
    )

    funnel = data.run(attr.source_funnel, f, ctx.scope)
    st.plotly_chart(
        charts.funnel_by_source(
            funnel,
            source_names,
            STEP_NAMES,
            {
                "title": t("Funnel by lead source: share of leads reaching each step"),
                "x": t("Step"),
                "y": t("Share of leads"),
            },
        ),
        width="stretch",
    )
    with st.expander(t("Funnel figures")):
        st.dataframe(funnel_display(funnel), hide_index=True, width="stretch")


def interval(lo: float, hi: float, show: object) -> str:
    """'lo – hi' with a formatter, or a dash when undefined."""
    if (
        lo is None
        or hi is None
        or (isinstance(lo, float) and math.isnan(lo))
        or (isinstance(hi, float) and math.isnan(hi))
    ):
        return "—"
    return f"{show(lo)} – {show(hi)}"  # type: ignore[operator]


def source_display(table: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """The source table with translated headers and locale-formatted values."""
    money = lambda v: fmt.money(v, compact=True)  # noqa: E731
    out = pd.DataFrame({t("Lead source"): [source_label(s) for s in table["source"]]})
    for c in cols:
        out[{"region_id": t("Region"), "segment": t("Segment"), "quarter": t("Quarter"), "team_id": t("Team")}[c]] = [
            dim_names.get(c, {}).get(v, v) for v in table[c]
        ]
    out[t("Leads")] = [fmt.count(v) for v in table["leads"]]
    out[t("Won")] = [fmt.count(v) for v in table["won"]]
    out[t("Open")] = [fmt.count(v) for v in table["open_leads"]]
    out[t("Conversion rate")] = [fmt.percent(v) for v in table["conversion_rate"]]
    out[t("95% interval")] = [
        interval(lo, hi, fmt.percent) for lo, hi in zip(table["conversion_lo"], table["conversion_hi"], strict=True)
    ]
    out[t("Median days to convert")] = [fmt.count(v) for v in table["median_days_to_convert"]]
    out[t("P75 days to convert")] = [fmt.count(v) for v in table["p75_days_to_convert"]]
    out[t("Mean won deal")] = [money(v) for v in table["mean_won_amount"]]
    out[t("Mean 95% interval")] = [
        interval(lo, hi, money) for lo, hi in zip(table["mean_won_amount_lo"], table["mean_won_amount_hi"], strict=True)
    ]
    out[t("Median won deal")] = [money(v) for v in table["median_won_amount"]]
    out[t("Median 95% interval")] = [
        interval(lo, hi, money)
        for lo, hi in zip(table["median_won_amount_lo"], table["median_won_amount_hi"], strict=True)
    ]
    out[t("Revenue per lead")] = [fmt.money(v) for v in table["revenue_per_lead"]]
    out[t("Ratio to baseline")] = [ratio_text(v) for v in table["ratio_to_baseline"]]
    out[t("Ratio 95% interval")] = [
        interval(lo, hi, ratio_text) for lo, hi in zip(table["ratio_lo"], table["ratio_hi"], strict=True)
    ]
    out[t("p (Holm)")] = [fmt.number(v, digits=4) for v in table["p_value_holm"]]
    return out


def funnel_display(funnel: pd.DataFrame) -> pd.DataFrame:
    """The funnel with translated headers and formatted rates."""
    return pd.DataFrame(
        {
            t("Lead source"): [source_label(s) for s in funnel["source"]],
            t("Step"): [STEP_NAMES.get(s, s) for s in funnel["step"]],
            t("Leads reaching the step"): [fmt.count(v) for v in funnel["reached"]],
            t("From the previous step"): [fmt.percent(v) for v in funnel["step_rate"]],
            t("Cumulative"): [fmt.percent(v) for v in funnel["cumulative_rate"]],
            t("Cumulative 95% interval"): [
                interval(lo, hi, fmt.percent)
                for lo, hi in zip(funnel["cumulative_lo"], funnel["cumulative_hi"], strict=True)
            ],
        }
    )


@st.fragment
def touch_view() -> None:
    """Multi-touch credit: every model side by side, and one model's table."""
    st.info(
        t(
            "These are allocations of the observed conversions to the channels on the journeys, by each model's "
            "rule. None of them is a causal effect: a channel with a large share might not win a single extra "
            "deal if it were cut, and later touches in this data depend on how the lead was going."
        )
    )
    c1, c2, c3, c4 = st.columns(4)
    model = c1.selectbox(
        t("Model for the table"),
        touch.MODELS,
        index=touch.MODELS.index("markov"),
        format_func=MODEL_NAMES.get,
        key="attribution_model",
    )
    value = c2.radio(
        t("Count credit in"),
        touch.VALUES,
        horizontal=True,
        key="attribution_value",
        format_func=lambda v: t("Conversions") if v == "conversions" else t("Revenue"),
    )
    half_life = c3.slider(
        t("Time-decay half-life (days)"), 1, 60, int(touch.DEFAULT_HALF_LIFE_DAYS), key="attribution_half_life"
    )
    first_w = c4.slider(
        t("Position-based: first-touch weight"),
        0.0,
        1.0,
        touch.DEFAULT_POSITION_WEIGHTS[0],
        step=0.05,
        key="attribution_first_weight",
    )
    last_w = c4.slider(
        t("Position-based: last-touch weight"),
        0.0,
        1.0,
        touch.DEFAULT_POSITION_WEIGHTS[1],
        step=0.05,
        key="attribution_last_weight",
    )
    weights = (round(first_w, 2), round(last_w, 2))
    if sum(weights) > 1 + 1e-9 or sum(weights) <= 0:
        st.warning(
            t(
                "The first- and last-touch weights must add up to more than 0 and at most 100%; the middle "
                "touches get the rest."
            )
        )
        return
    st.caption(
        t(
            "Position-based weights: first {first}, middle {middle}, last {last}.",
            first=fmt.percent(weights[0], digits=0),
            middle=fmt.percent(1 - sum(weights), digits=0),
            last=fmt.percent(weights[1], digits=0),
        )
    )
    result = data.run(
        touch.compare_models, f, ctx.scope, value=value, half_life_days=float(half_life), position_weights=weights
    )
    if result.journeys == 0:
        st.info(
            t(
                "No lead in this selection has touchpoints, so there is nothing to attribute. Widen the period "
                "or clear a filter."
            )
        )
        return
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("Journeys"), fmt.count(result.journeys))
    m2.metric(t("Converted"), fmt.count(result.conversions))
    m3.metric(t("Revenue"), fmt.money(result.revenue, compact=True))
    m4.metric(t("Channels"), fmt.count(result.channels))
    if result.conversions == 0:
        st.info(t("No journey in this selection converted, so there is nothing to allocate."))
        return
    credits = result.credits
    st.plotly_chart(
        charts.model_comparison(
            credits,
            MODEL_NAMES,
            channel_names,
            {
                "title": t("Share of credit by channel, every model (95% bootstrap intervals)"),
                "x": t("Channel"),
                "y": t("Share of revenue") if value == "revenue" else t("Share of conversions"),
            },
        ),
        width="stretch",
    )
    chosen = credits[credits["model"] == model].sort_values("share", ascending=False)
    st.subheader(MODEL_NAMES[model])
    st.dataframe(
        pd.DataFrame(
            {
                t("Channel"): [channel_names.get(c, c) for c in chosen["channel"]],
                t("Conversions credited"): [fmt.number(v, digits=1) for v in chosen["conversions_credit"]],
                t("Revenue credited"): [fmt.money(v, compact=True) for v in chosen["revenue_credit"]],
                t("Share"): [fmt.percent(v) for v in chosen["share"]],
                t("95% interval"): [
                    interval(lo, hi, fmt.percent) for lo, hi in zip(chosen["share_lo"], chosen["share_hi"], strict=True)
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if model == "shapley" and result.shapley_sampled:
        st.caption(
            t(
                "With {n} channels the Shapley values are estimated from sampled orders; the largest sampling "
                "standard error of a share is {se}.",
                n=fmt.count(result.channels),
                se=fmt.percent(chosen["share_se_sampling"].max(), digits=2),
            )
        )
    st.caption(
        t(
            "Intervals resample whole journeys (bootstrap, {reps} replicates). Markov: removal effects of a "
            "first-order chain, computed exactly. Shapley: the same chain's conversion probability as the "
            "worth of each set of channels.",
            reps=fmt.count(touch.BOOTSTRAP_REPS),
        )
    )


sources_tab, touch_tab = st.tabs([t("Lead sources"), t("Multi-touch credit")])
with sources_tab:
    sources_view()
with touch_tab:
    touch_view()
