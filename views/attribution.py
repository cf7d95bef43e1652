"""Attribution: which lead sources pay off (conversion, speed, deal value), and multi-touch credit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import attribution as attr
from analytics import lookups
from analytics.attribution import touch
from ui import attribution_charts as charts
from ui import data, findings
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

SPLITS = charts.split_names()
MODEL_NAMES = charts.model_names()
STEP_NAMES = charts.step_names()
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
    headlines = data.run_with(("headlines", f, ctx.scope, by, baseline), attr.headlines, table, baseline=baseline)

    def labels(name: str, value: object) -> str:
        return group_label(value, cols) if name == "group" else source_label(str(value))  # type: ignore[arg-type]

    if not headlines:
        st.caption(t("No source converts differently from the baseline after adjusting for multiple comparisons."))
    for finding in headlines[:8]:
        findings.bullet(finding, labels)
    if len(headlines) > 8:
        st.caption(t("{n} more findings in the table below.", n=fmt.count(len(headlines) - 8)))

    st.subheader(t("By lead source"))
    st.dataframe(charts.source_display(table, cols, source_label, dim_names), hide_index=True, width="stretch")
    st.caption(
        t(
            "Conversion = won / leads created, with a 95% Wilson interval; open leads count as not (yet) "
            "converted. Days to convert: Kaplan-Meier, open leads censored. Deal value: 95% bootstrap "
            "interval. Ratio p-values are Holm-adjusted across the rows."
        )
    )

    forest = charts.forest_frame(
        table,
        cols,
        lambda r: source_label(r["source"]) + (" · " + group_label(r, cols) if cols else ""),
        attr.FINDING_ALPHA,
    )
    if not forest.empty:
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
        st.dataframe(charts.funnel_display(funnel, source_label, STEP_NAMES), hide_index=True, width="stretch")


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
    first_w, last_w = (
        c4.slider(label, 0.0, 1.0, default, step=0.05, key=key)
        for label, default, key in (
            (t("Position-based: first-touch weight"), touch.DEFAULT_POSITION_WEIGHTS[0], "attribution_first_weight"),
            (t("Position-based: last-touch weight"), touch.DEFAULT_POSITION_WEIGHTS[1], "attribution_last_weight"),
        )
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
    st.dataframe(charts.credit_display(chosen, channel_names), hide_index=True, width="stretch")
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
