"""Overview: KPI tiles with change vs the previous period, and the weekly curve vs target."""

from __future__ import annotations

import streamlit as st

from analytics import overview
from ui import charts, data
from ui import format as fmt
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Overview"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
f = ctx.filters
st.caption(t("{start} to {end}", start=fmt.day(f.start), end=fmt.day(f.end)))

k = data.run(overview.kpis, f, ctx.scope)
cur, prev = k.current, k.previous
cols = st.columns(4)
cols[0].metric(
    t("Leads"),
    fmt.count(cur.leads),
    fmt.signed_percent(k.change("leads")),
    help=t(
        "Leads created in the period. Change vs {start} to {end}.",
        start=fmt.day(k.previous_start),
        end=fmt.day(k.previous_end),
    ),
)
cols[1].metric(
    t("Conversion rate"),
    fmt.percent(cur.conversion_rate),
    fmt.signed_percent(k.change("conversion_rate")),
    help=t(
        "Won / closed among leads closed in the period. 95% interval: {lo} to {hi}.",
        lo=fmt.percent(cur.conversion_lo),
        hi=fmt.percent(cur.conversion_hi),
    ),
)
cols[2].metric(
    t("Won revenue"),
    fmt.money(cur.won_revenue, compact=True),
    fmt.signed_percent(k.change("won_revenue")),
    help=t("Amount of deals signed in the period: {value}.", value=fmt.money(cur.won_revenue)),
)
cols[3].metric(
    t("Attainment"),
    fmt.percent(cur.attainment),
    fmt.signed_percent(k.change("attainment")),
    help=t(
        "Won revenue / target ({target}). Not available with a segment filter.",
        target=fmt.money(cur.target, compact=True),
    ),
)
st.caption(
    t(
        "Conversion rate 95% interval: {lo} to {hi} ({won} won of {closed} closed).",
        lo=fmt.percent(cur.conversion_lo),
        hi=fmt.percent(cur.conversion_hi),
        won=fmt.count(cur.won),
        closed=fmt.count(cur.closed),
    )
)

weekly = data.run(overview.weekly_curve, f, ctx.scope)
left, right = st.columns(2)
left.plotly_chart(
    charts.attainment_curve(
        weekly,
        {
            "title": t("Cumulative won revenue vs target pace"),
            "x": t("Week starting"),
            "y": t("Won revenue ({currency})", currency=fmt.currency_unit()),
            "actual": t("Won revenue to date"),
            "pace": t("Target pace"),
            "band": t("80%-120% of target pace"),
        },
    ),
    width="stretch",
)
right.plotly_chart(
    charts.rate_with_interval(
        weekly,
        "week_start",
        "conversion_rate",
        "conversion_lo",
        "conversion_hi",
        {
            "title": t("Weekly conversion rate"),
            "x": t("Week starting"),
            "y": t("Conversion rate"),
            "rate": t("Won / closed"),
            "interval": t("95% interval"),
        },
    ),
    width="stretch",
)
last = weekly.iloc[-1]
if last["target_pace"] > 0:
    st.markdown(
        t(
            "**Pace check:** {actual} won against a target pace of {pace} ({ratio} of pace).",
            actual=fmt.money(last["cum_won_revenue"], compact=True),
            pace=fmt.money(last["target_pace"], compact=True),
            ratio=fmt.percent(last["cum_won_revenue"] / last["target_pace"]),
        )
    )
columns = {
    "week_start": t("Week starting"),
    "leads": t("Leads"),
    "closed": t("Closed"),
    "won": t("Won"),
    "conversion_rate": t("Conversion rate"),
    "conversion_lo": t("Interval low"),
    "conversion_hi": t("Interval high"),
    "won_revenue": t("Won revenue"),
    "cum_won_revenue": t("Won revenue to date"),
    "target_pace": t("Target pace"),
    "band_lo": t("80% of pace"),
    "band_hi": t("120% of pace"),
}
with st.expander(t("Weekly figures")):
    st.dataframe(weekly.rename(columns=columns), hide_index=True, width="stretch")
