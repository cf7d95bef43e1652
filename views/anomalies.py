"""Anomalies: region- (or team-) weeks whose metric left its expected band, and the drill-down
that decomposes one of them into segment / source / rep terms and behaviour changes."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import anomalies, lookups
from analytics.anomalies import explain
from analytics.periods import iso_week_label
from ui import anomalies_charts, data
from ui import format as fmt
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Anomalies"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
f = ctx.filters
lang = ctx.lang

METRIC_LABELS = {
    "won_revenue": t("Won revenue"),
    "conversion_rate": t("Conversion rate"),
    "leads": t("Leads"),
    "avg_deal_value": t("Average deal value"),
}
#: The metric inside a sentence.
METRIC_WORDS = {
    "won_revenue": t("won revenue"),
    "conversion_rate": t("conversion rate"),
    "leads": t("leads"),
    "avg_deal_value": t("average deal value"),
}
TERM_LABELS = {
    "volume": t("volume"),
    "mix": t("mix"),
    "rate": t("rate"),
    "value": t("deal value"),
    "other": t("renewals & other"),
}
#: Words analytics.explain puts in its sentences (``term``), translated.
TERM_WORDS = {
    "conversion": t("conversion"),
    "share of closed leads": t("share of closed leads"),
    "revenue per win": t("revenue per win"),
    "renewal and upsell revenue": t("renewal and upsell revenue"),
    "closed leads": t("closed leads"),
    "leads": t("leads"),
    "share of deals": t("share of deals"),
    "average deal value": t("average deal value"),
}
DIRECTIONS = {"down": t("↓ down"), "up": t("↑ up")}

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

if level == "region":
    units = data.run(lookups.regions, lang=lang)
    unit_labels = dict(zip(units["region_id"], units["label"], strict=True))
else:
    units = data.run(lookups.teams, (), lang=lang)
    unit_labels = dict(zip(units["team_id"], units["label"], strict=True))
segs = data.run(lookups.segments, lang=lang)
#: Rows without a segment (or source) are grouped under anomalies.NO_SEGMENT.
seg_labels = {**dict(zip(segs["segment"], segs["label"], strict=True)), anomalies.NO_SEGMENT: t("(none)")}
tag_labels = data.run(lookups.display_names, "talk_track", lang)
source_labels = {**data.run(lookups.display_names, "source", lang), anomalies.NO_SEGMENT: t("(none)")}
spec = anomalies.metric_spec(metric)


def show(value: float, unit: str) -> str:
    """A metric value in its unit."""
    if unit == "money":
        return fmt.money(value, compact=True)
    if unit == "rate":
        return fmt.percent(value)
    return fmt.count(value)


def contribution(value: float) -> str:
    """A decomposition term in the metric's unit (percentage points for rates)."""
    if spec.unit == "rate":
        return t("{value} pp", value=("+" if value >= 0 else "") + fmt.number(100 * value, digits=2))
    if spec.unit == "money":
        return ("+" if value >= 0 else "") + fmt.money(value, compact=True)
    return ("+" if value >= 0 else "") + fmt.number(value, digits=1)


def unit_name(u: str) -> str:
    return unit_labels.get(u, u)


def series_name(s: str) -> str:
    return t("All segments") if s == anomalies.TOTAL else seg_labels.get(s, s)


def say(template: str, params: dict[str, object]) -> str:
    """Translate an analytics sentence and format its parameters by name."""
    out: dict[str, object] = {}
    for k, v in params.items():
        if k.endswith("_signed"):
            out[k] = fmt.signed_percent(float(v), digits=0)  # type: ignore[arg-type]
        elif k.endswith("_pct"):
            out[k] = fmt.percent(float(v))  # type: ignore[arg-type]
        elif k.endswith("_money"):
            out[k] = fmt.money(float(v), compact=True)  # type: ignore[arg-type]
        elif k.endswith("_n"):
            out[k] = fmt.count(float(v))  # type: ignore[arg-type]
        elif k.endswith("_num"):
            out[k] = fmt.number(float(v), digits=1)  # type: ignore[arg-type]
        elif k == "unit":
            out[k] = unit_name(str(v))
        elif k == "segment":
            out[k] = t("all segments") if v == "all segments" else seg_labels.get(str(v), str(v))
        elif k == "tag":
            out[k] = tag_labels.get(str(v), str(v).replace("_", " "))
        elif k == "metric":
            out[k] = METRIC_WORDS.get(str(v), str(v))
        elif k == "term":
            out[k] = TERM_WORDS.get(str(v), str(v))
        else:
            out[k] = v
    return t(template, **out)


def driver_name(driver: str) -> str:
    if not driver:
        return "—"
    key, term = driver.split(":", 1)
    who = t("all segments") if key == anomalies.TOTAL else seg_labels.get(key, key)
    return f"{who} · {TERM_LABELS.get(term, term)}"


result = data.run(
    anomalies.find_anomalies, f, ctx.scope, metric=metric, level=level, sensitivity=sensitivity, by_segment=by_segment
)
for note in result.notes:
    st.info(say(note.template, dict(note.params)))
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
    table = pd.DataFrame(
        {
            t("Region") if level == "region" else t("Team"): [unit_name(u) for u in found["unit"]],
            t("Week"): [
                f"{lbl} ({fmt.day(w)})" for lbl, w in zip(found["week_label"], found["week_start"], strict=True)
            ],
            t("Series"): [series_name(s) for s in found["series"]],
            t("Direction"): [DIRECTIONS[d] for d in found["direction"]],
            t("Actual"): [show(v, spec.unit) for v in found["actual"]],
            t("Expected"): [show(v, spec.unit) for v in found["expected"]],
            t("Band"): [
                f"{show(lo, spec.unit)} – {show(hi, spec.unit)}"
                for lo, hi in zip(found["lower"], found["upper"], strict=True)
            ],
            t("Score (robust z)"): [fmt.number(v, digits=1) for v in found["score"]],
            t("Money at stake"): [fmt.money(v, compact=True) for v in found["money_at_stake"]],
            t("Top driver"): [driver_name(d) for d in found["top_driver"]],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(
        t(
            "Sorted by severity: the robust z-score (after the multiple-testing correction), then the money "
            "at stake: expected minus actual in CNY, positive when below expectation; for conversion or leads, "
            "the gap times the baseline revenue per win or per lead."
        )
    )


@st.fragment
def drill_down(result: anomalies.Detection) -> None:
    """Pick a unit and week; show its series, the decomposition and the behaviour changes."""
    st.subheader(t("Explain a week"))
    series = result.series
    if series.empty:
        st.info(t("Nothing to explain in this selection."))
        return
    scored = series[(series["series"] == anomalies.TOTAL) & series["expected"].notna()]
    unit_options = sorted(scored["unit"].unique(), key=lambda u: unit_name(u))
    if not unit_options:
        st.info(t("No week in the period has enough history for a baseline yet."))
        return
    top = result.anomalies.iloc[0] if len(result.anomalies) else None
    if st.session_state.get("anomalies_unit") not in unit_options:
        st.session_state["anomalies_unit"] = top["unit"] if top is not None else unit_options[0]
    a, b, c = st.columns(3)
    unit = a.selectbox(
        t("Region") if result.level == "region" else t("Team"),
        unit_options,
        format_func=unit_name,
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
    flagged_series = result.anomalies.loc[
        (result.anomalies["unit"] == unit) & (result.anomalies["week_start"] == week), "series"
    ]
    if st.session_state.get("anomalies_series") not in series_options:
        st.session_state["anomalies_series"] = anomalies.TOTAL
    if len(flagged_series) and st.session_state.get("_anomalies_last_pick") != (unit, week):
        st.session_state["anomalies_series"] = flagged_series.iloc[0]
    st.session_state["_anomalies_last_pick"] = (unit, week)
    which = c.selectbox(t("Series"), series_options, format_func=series_name, key="anomalies_series")
    chart = series[(series["unit"] == unit) & (series["series"] == which)].sort_values("week_start")
    st.plotly_chart(
        anomalies_charts.series_with_band(
            chart,
            {
                "title": t(
                    "{metric} of {unit} ({series})",
                    metric=METRIC_LABELS[result.metric],
                    unit=unit_name(unit),
                    series=series_name(which),
                ),
                "x": t("Week starting"),
                "y": METRIC_LABELS[result.metric],
                "actual": t("Actual"),
                "expected": t("Expected"),
                "band": t("Expected band"),
                "flagged": t("Flagged"),
            },
            rate=spec.unit == "rate",
        ),
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
        st.warning(say(exc.template, dict(exc.params)))
        return
    for finding in ex.summary:
        st.markdown("- " + say(finding.template, dict(finding.params)))
    seg = ex.decompositions["segment"]
    p = ex.point
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(t("Actual"), show(seg.actual, spec.unit))
    m2.metric(
        t("Expected"),
        show(seg.expected, spec.unit),
        help=t(
            "The average of {n} earlier normal weeks, times the company-wide factor {g} of this week.",
            n=len(ex.baseline_weeks),
            g=fmt.number(ex.ref_factor, digits=2),
        ),
    )
    m3.metric(t("Band (all segments)"), f"{show(p['lower'], spec.unit)} – {show(p['upper'], spec.unit)}")
    m4.metric(t("Score (robust z)"), fmt.number(p["score"], digits=1))

    def label(row: pd.Series, names: dict[str, str]) -> str:
        who = t("all") if row["key"] == anomalies.TOTAL else names.get(row["key"], row["key"])
        return f"{who} · {TERM_LABELS.get(row['term'], row['term'])}"

    terms = seg.terms.assign(label=[label(r, seg_labels) for _, r in seg.terms.iterrows()])
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
    names = {"segment": seg_labels, "source": source_labels, "rep": ex.rep_names}
    tabs = st.tabs([t("By segment"), t("By source"), t("By rep"), t("Behaviour")])
    for tab, dim in zip(tabs[:3], ("segment", "source", "rep"), strict=True):
        dec = ex.decompositions[dim].terms
        tab.dataframe(
            pd.DataFrame(
                {
                    t("Who"): [
                        t("all") if k == anomalies.TOTAL else names[dim].get(k, str(k).replace("_", " "))
                        for k in dec["key"]
                    ],
                    t("Term"): [TERM_LABELS.get(x, x) for x in dec["term"]],
                    t("Contribution"): [contribution(v) for v in dec["contribution"]],
                    t("Share of the change"): [fmt.percent(v) for v in dec["share"]],
                    t("Before"): [show(v, u) for v, u in zip(dec["before"], dec["value_unit"], strict=True)],
                    t("After"): [show(v, u) for v, u in zip(dec["after"], dec["value_unit"], strict=True)],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    beh = ex.behaviour
    if beh.empty:
        tabs[3].info(t("No calls recorded for this unit in these weeks."))
    else:
        is_tag = beh["behaviour"] == "talk_track"
        tabs[3].dataframe(
            pd.DataFrame(
                {
                    t("Segment"): [series_name(s) for s in beh["scope"]],
                    t("Behaviour"): [
                        t("Calls using '{tag}'", tag=tag_labels.get(g, g.replace("_", " ")))
                        if it
                        else t("Needs-discovery score")
                        for g, it in zip(beh["tag"], is_tag, strict=True)
                    ],
                    t("Baseline"): [
                        fmt.percent(v) if it else fmt.number(v, digits=1)
                        for v, it in zip(beh["before"], is_tag, strict=True)
                    ],
                    t("This week"): [
                        fmt.percent(v) if it else fmt.number(v, digits=1)
                        for v, it in zip(beh["after"], is_tag, strict=True)
                    ],
                    t("z"): [fmt.number(v, digits=1) for v in beh["z"]],
                    t("Rest of company, this week"): [
                        fmt.percent(v) if it else fmt.number(v, digits=1)
                        for v, it in zip(beh["others_after"], is_tag, strict=True)
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        tabs[3].caption(
            t(
                "Share of the unit's calls that used each talk track, and the average needs-discovery "
                "score, this week against the pooled baseline weeks; z compares the two."
            )
        )


drill_down(result)
