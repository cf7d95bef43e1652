"""Anomalies: region- (or team-) weeks whose metric left its expected band, and the drill-down
that decomposes one of them into segment / source / rep terms and behaviour changes."""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import anomalies
from analytics.anomalies import explain
from analytics.periods import iso_week_label
from ui import anomalies_charts, data, findings
from ui import anomalies_tables as tables
from ui import format as fmt
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Anomalies"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
f = ctx.filters
METRIC_LABELS = tables.metric_labels()

st.caption(
    t(
        "Each week of each region is compared with its own recent weeks, scaled by how the rest of the "
        "company moved that week, so company-wide dips such as holidays are not flagged. "
        "Period: {start} to {end}.",
        start=fmt.day(f.start),
        end=fmt.day(f.end),
    )
)
c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
metric = c1.selectbox(t("Metric"), list(METRIC_LABELS), format_func=METRIC_LABELS.get, key="anomalies_metric")
level = c2.radio(
    t("Watch"),
    ["region", "team"],
    horizontal=True,
    key="anomalies_level",
    format_func=lambda v: t("Regions") if v == "region" else t("Teams"),
)
sensitivity = c3.slider(
    t("Sensitivity: robust z threshold (lower flags more)"),
    min_value=2.0,
    max_value=5.0,
    value=anomalies.DEFAULT_SENSITIVITY,
    step=0.25,
    key="anomalies_sensitivity",
)
by_segment = c4.checkbox(
    t("Test each segment too"),
    value=True,
    key="anomalies_by_segment",
    help=t(
        "A collapse inside one segment is often invisible in the region's total. Each "
        "segment is tested as well, with a Bonferroni correction so the false-alarm "
        "rate per region-week stays at the chosen sensitivity."
    ),
)

names = tables.load_names(level)
spec = anomalies.metric_spec(metric)
# The weekly panel does not depend on the sensitivity: read once, a slider move only re-scores it.
panel = data.run(anomalies.weekly_panel, f, ctx.scope, level=level)
result = data.run_with(
    (f, ctx.scope, level),
    anomalies.detect,
    panel,
    f,
    metric=metric,
    level=level,
    sensitivity=sensitivity,
    by_segment=by_segment,
)
for note in result.notes:
    findings.show(note, names.labels())
found = result.anomalies
st.caption(
    t(
        "{checked} unit-weeks checked in the period; {flagged} outside their band.",
        checked=fmt.count(result.scored_weeks),
        flagged=fmt.count(len(found)),
    )
)
if found.empty:
    if result.scored_weeks:
        st.success(t("No week in the period is outside its band at this sensitivity."))
else:
    st.dataframe(tables.anomaly_table(found, level, spec.unit, names), hide_index=True, width="stretch")
    st.caption(
        t(
            "Sorted by severity: the robust z-score (after the multiple-testing correction), then the money "
            "at stake: expected minus actual in {currency}, positive when below expectation; for conversion or "
            "leads, the gap times the baseline revenue per win or per lead.",
            currency=fmt.display_currency(),
        )
    )


def pick(result: anomalies.Detection) -> tuple[str, date, str] | None:
    """The unit, week and series to explain (the most severe anomaly by default), or None."""
    series = result.series
    if series.empty:
        st.info(t("Nothing to explain in this selection."))
        return None
    scored = series[(series["series"] == anomalies.TOTAL) & series["expected"].notna()]
    unit_options = sorted(scored["unit"].unique(), key=names.unit)
    if not unit_options:
        st.info(t("No week in the period has enough history for a baseline yet."))
        return None
    top = result.anomalies.iloc[0] if len(result.anomalies) else None
    if st.session_state.get("anomalies_unit") not in unit_options:
        st.session_state["anomalies_unit"] = top["unit"] if top is not None else unit_options[0]
    a, b, c = st.columns(3)
    unit = a.selectbox(
        t("Region") if result.level == "region" else t("Team"),
        unit_options,
        format_func=names.unit,
        key="anomalies_unit",
    )
    week_options = sorted(scored.loc[scored["unit"] == unit, "week_start"].unique(), reverse=True)
    if st.session_state.get("anomalies_week") not in week_options:
        default = top["week_start"] if top is not None and top["unit"] == unit else week_options[0]
        st.session_state["anomalies_week"] = default
    week: date = b.selectbox(
        t("Week"), week_options, key="anomalies_week", format_func=lambda w: f"{iso_week_label(w)} ({fmt.day(w)})"
    )
    series_options = sorted(series.loc[series["unit"] == unit, "series"].unique(), key=lambda s: (s != "*", s))
    found = result.anomalies
    flagged_series = found.loc[(found["unit"] == unit) & (found["week_start"] == week), "series"]
    if st.session_state.get("anomalies_series") not in series_options:
        st.session_state["anomalies_series"] = anomalies.TOTAL
    if len(flagged_series) and st.session_state.get("_anomalies_last_pick") != (unit, week):
        st.session_state["anomalies_series"] = flagged_series.iloc[0]
    st.session_state["_anomalies_last_pick"] = (unit, week)
    which = c.selectbox(t("Series"), series_options, format_func=names.series, key="anomalies_series")
    return unit, week, which


@st.fragment
def drill_down(result: anomalies.Detection) -> None:
    """Pick a unit and week; show its series, the decomposition and the behaviour changes."""
    st.subheader(t("Explain a week"))
    picked = pick(result)
    if picked is None:
        return
    unit, week, which = picked
    series = result.series
    chart = series[(series["unit"] == unit) & (series["series"] == which)].sort_values("week_start")
    title = t(
        "{metric} of {unit} ({series})",
        metric=METRIC_LABELS[result.metric],
        unit=names.unit(unit),
        series=names.series(which),
    )
    labels = {"title": title, "x": t("Week starting"), "y": METRIC_LABELS[result.metric], "actual": t("Actual")}
    labels |= {"expected": t("Expected"), "band": t("Expected band"), "flagged": t("Flagged")}
    st.plotly_chart(
        anomalies_charts.series_with_band(chart, labels, rate=spec.unit == "rate"),
        width="stretch",
        key="anomalies_series_chart",
    )
    try:
        ex = data.run(
            explain.explain,
            f,
            ctx.scope,
            unit=unit,
            week=week,
            metric=result.metric,
            level=result.level,
            sensitivity=result.sensitivity,
            by_segment=by_segment,
        )
    except explain.ExplainError as exc:
        findings.show(exc.finding, names.labels())
        return
    for finding in ex.summary:
        findings.bullet(finding, names.labels())
    seg = ex.decompositions["segment"]
    p = ex.point
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("Actual"), tables.show(seg.actual, spec.unit))
    m2.metric(
        t("Expected"),
        tables.show(seg.expected, spec.unit),
        help=t(
            "The average of {n} earlier normal weeks, times the company-wide factor {g} of this week.",
            n=len(ex.baseline_weeks),
            g=fmt.number(ex.ref_factor, digits=2),
        ),
    )
    m3.metric(t("Band (all segments)"), f"{tables.show(p['lower'], spec.unit)} – {tables.show(p['upper'], spec.unit)}")
    m4.metric(t("Score (robust z)"), fmt.number(p["score"], digits=1))

    terms = seg.terms.assign(
        label=[
            tables.term_label(k, x, names.segments) for k, x in zip(seg.terms["key"], seg.terms["term"], strict=True)
        ]
    )
    st.plotly_chart(
        anomalies_charts.decomposition_waterfall(
            seg.expected,
            seg.actual,
            terms,
            {
                "title": t("From expected to actual, by segment"),
                "y": METRIC_LABELS[result.metric],
                "expected": t("Expected"),
                "actual": t("Actual"),
                "rest": t("Other terms"),
            },
            rate=spec.unit == "rate",
        ),
        width="stretch",
        key="anomalies_waterfall",
    )
    st.caption(
        t(
            "Shift-share (Shapley) decomposition: the terms add up exactly to actual minus expected. Mix = "
            "volume moved between segments; rate = conversion moved inside a segment."
        )
    )
    by_dim = {"segment": names.segments, "source": names.sources, "rep": ex.rep_names}
    tabs = st.tabs([t("By segment"), t("By source"), t("By rep"), t("Behaviour")])
    for tab, dim in zip(tabs[:3], ("segment", "source", "rep"), strict=True):
        table = tables.terms_table(ex.decompositions[dim].terms, by_dim[dim], spec.unit)
        tab.dataframe(table, hide_index=True, width="stretch")
    if ex.behaviour.empty:
        tabs[3].info(t("No calls recorded for this unit in these weeks."))
    else:
        tabs[3].dataframe(tables.behaviour_table(ex.behaviour, names), hide_index=True, width="stretch")
        tabs[3].caption(
            t(
                "Share of the unit's calls that used each talk track, and the average needs-discovery "
                "score, this week against the pooled baseline weeks; z compares the two."
            )
        )


drill_down(result)
