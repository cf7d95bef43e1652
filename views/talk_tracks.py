"""Talk tracks & drivers: adjusted talk-track effects on conversion, and what separates top performers."""

from __future__ import annotations

import streamlit as st

from analytics import lookups, talk_tracks
from analytics.periods import Quarter
from analytics.talk_tracks import drivers
from ui import data, findings
from ui import format as fmt
from ui import talk_tracks_charts as charts
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Talk tracks & drivers"))
if ctx.filters is None:
    st.info(t("The store has no leads or deals yet. Import data on the Data page."))
    st.stop()
f = ctx.filters
tag_names = data.run(lookups.display_names, "talk_track", ctx.lang)
DIMENSIONS = charts.dimension_names()


def tag_label(tag: str) -> str:
    """Display name of a stored talk-track tag."""
    return tag_names.get(tag, tag)


def metric_label(metric: str) -> str:
    """Translated label of a driver or result metric."""
    return t(drivers.metric_label(metric))


def metric_title(metric: str) -> str:
    """Translated metric label with a capital first letter (tables and charts)."""
    text = metric_label(metric)
    return text[:1].upper() + text[1:]


def value_label(key: str, value: object) -> str:
    """Display name for a finding parameter that holds a stored value (a tag or a metric)."""
    return tag_label(str(value)) if key == "tag" else metric_label(str(value))


#: The ``labels`` callback of every finding on this page.
LABELS = talk_tracks.finding_labels(ctx.lang, value_label)

impact_tab, drivers_tab = st.tabs([t("Talk-track impact"), t("Key drivers of top performers")])

with impact_tab:
    res = data.run(talk_tracks.impact, f, ctx.scope)
    st.caption(
        t(
            "Leads created {start} to {end} that are closed (won or lost): {leads}. A lead used a talk track "
            "when any of its calls up to its close date used it.",
            start=fmt.day(f.start),
            end=fmt.day(f.end),
            leads=fmt.count(res.n_closed),
        )
    )
    if res.sampled:
        st.info(findings.text(talk_tracks.sample_note(res), LABELS))
    if res.n_leads and res.open_share > talk_tracks.OPEN_SHARE_WARNING:
        st.warning(
            t(
                "{share} of the leads created in this period are still open and are left out; the closed ones "
                "over-represent quick losses. An earlier period gives a steadier estimate.",
                share=fmt.percent(res.open_share),
            )
        )
    if res.message is not None:
        st.info(findings.text(res.message, LABELS))
    else:
        st.subheader(t("What the talk tracks do"))
        st.markdown("\n".join(f"- {findings.text(fi, LABELS)}" for fi in res.findings))
        reported = res.effects[res.effects["reported"]].copy()
        if reported.empty:
            st.info(
                t(
                    "No talk track has at least {n} leads with it and {n} without it in this selection; widen the "
                    "period or the filters.",
                    n=fmt.count(talk_tracks.MIN_GROUP_LEADS),
                )
            )
        else:
            reported["label"] = reported["tag"].map(tag_label)
            st.plotly_chart(
                charts.lift_forest(
                    reported,
                    {
                        "title": t("Conversion lift: adjusted (95% interval) vs raw"),
                        "x": t("Relative change in conversion"),
                        "adjusted": t("Adjusted (doubly robust)"),
                        "raw": t("Raw comparison"),
                    },
                ),
                width="stretch",
            )
        st.dataframe(charts.effects_display(res.effects, tag_label), hide_index=True, width="stretch")
        with st.expander(t("How the adjusted effect is estimated")):
            st.markdown(
                t(
                    "The raw comparison mixes the talk track with who uses it: strong reps use good talk tracks more "
                    "often and get easier leads. The adjusted effect compares leads that are alike in source, segment, "
                    "region, quarter, deal-size band and rep (augmented inverse-propensity weighting with "
                    "cross-fitting). Leads whose chance of getting the talk track is below {lo} or above {hi} are "
                    "left out of the adjusted estimate (trimming). Intervals come from a bootstrap that resamples "
                    "reps; q-values control the false discovery rate across talk tracks. Tags with fewer than {n} "
                    "leads with or without them are not reported.",
                    lo=fmt.percent(talk_tracks.TRIM, digits=0),
                    hi=fmt.percent(1 - talk_tracks.TRIM, digits=0),
                    n=fmt.count(talk_tracks.MIN_GROUP_LEADS),
                )
            )

        @st.fragment
        def diagnostics() -> None:
            """Overlap and balance of one tag (the tag picker reruns only this part)."""
            tags = res.effects.loc[res.effects["reported"], "tag"].tolist()
            if not tags:
                return
            st.subheader(t("Diagnostics"))
            tag = st.selectbox(t("Talk track"), tags, format_func=tag_label, key="talk_tracks_tag")
            left, right = st.columns(2)
            left.plotly_chart(
                charts.overlap_histogram(
                    res.overlap[res.overlap["tag"] == tag],
                    talk_tracks.TRIM,
                    {
                        "title": t("Propensity overlap"),
                        "x": t("Chance of getting the talk track (propensity)"),
                        "y": t("Leads"),
                        "treated": t("With the talk track"),
                        "control": t("Without it"),
                        "bounds": t("trimming bounds"),
                    },
                ),
                width="stretch",
            )
            bal = res.balance[res.balance["tag"] == tag].copy()
            levels = {
                "source": data.run(lookups.display_names, "source", ctx.lang),
                "segment": dict(data.run(lookups.segments, lang=ctx.lang).set_index("segment")["label"]),
                "region_id": dict(data.run(lookups.regions, lang=ctx.lang).set_index("region_id")["label"]),
                "deal_size_band": charts.deal_size_names(),
            }
            bal["label"] = charts.balance_labels(bal, levels)
            right.plotly_chart(
                charts.balance_plot(
                    bal,
                    {
                        "title": t("Covariate balance"),
                        "x": t("Absolute standardised mean difference"),
                        "before": t("Before weighting"),
                        "after": t("After weighting"),
                    },
                ),
                width="stretch",
            )
            n_trim = int(res.effects.loc[res.effects["tag"] == tag, "n_trimmed"].iloc[0])
            st.caption(
                t(
                    "Trimming rule: leads with a propensity below {lo} or above {hi} are dropped from the adjusted "
                    "estimate ({n} leads here). A standardised difference below 0.1 after weighting counts as "
                    "balanced.",
                    lo=fmt.percent(talk_tracks.TRIM, digits=0),
                    hi=fmt.percent(1 - talk_tracks.TRIM, digits=0),
                    n=fmt.count(n_trim),
                )
            )
            st.dataframe(charts.balance_display(bal), hide_index=True, width="stretch")

        diagnostics()

with drivers_tab:

    @st.fragment
    def key_drivers() -> None:
        """Top performers of one quarter and the metrics that separate them (widgets rerun only this part)."""
        q = str(Quarter.of(f.end))
        st.caption(
            t(
                "Quarter {quarter} (the quarter of the selected period's end). Reps are ranked by attainment: "
                "won revenue signed in the quarter / target.",
                quarter=q,
            )
        )
        if f.segments:
            st.caption(t("The segment filter does not apply here: targets are set per rep, not per segment."))
        mode = st.radio(
            t("Top performers"),
            ["decile", "top_n"],
            horizontal=True,
            key="talk_tracks_top_mode",
            format_func=lambda m: t("Top 10% by attainment") if m == "decile" else t("Top N by attainment"),
        )
        top = None
        if mode == "top_n":
            top = int(
                st.number_input(
                    t("N"), min_value=drivers.MIN_TOP, max_value=500, value=10, step=1, key="talk_tracks_top_n"
                )
            )
        dres = data.run(drivers.key_drivers, f, ctx.scope, quarter=q, top=top)
        if dres.message is not None:
            st.info(findings.text(dres.message, LABELS))
        else:
            st.subheader(t("What the top {n} have in common", n=fmt.count(dres.n_top)))
            st.markdown("\n".join(f"- {findings.text(fi, LABELS)}" for fi in dres.findings))
            st.caption(
                t(
                    "These are associations among reps, not causes: a metric can go with top results because "
                    "both follow from skill or territory."
                )
            )
            eff = dres.effects.copy()
            eff["label"] = eff["metric"].map(metric_title)
            left, right = st.columns(2)
            left.plotly_chart(
                charts.coef_forest(
                    eff,
                    {
                        "title": t("Effect per 1 SD (regularised logistic regression, 95% interval)"),
                        "x": t("Change in log-odds of being a top performer"),
                    },
                ),
                width="stretch",
            )
            right.plotly_chart(
                charts.importance_bars(
                    eff,
                    {
                        "title": t("Permutation importance (tree model)"),
                        "x": t("Drop in cross-validated AUC"),
                    },
                ),
                width="stretch",
            )
            st.dataframe(charts.drivers_display(eff), hide_index=True, width="stretch")

        st.subheader(t("Rep profile"))
        reps = dres.reps.sort_values("rank")
        if reps.empty:
            st.info(t("No rep in the selection has a target in {quarter}.", quarter=q))
            return
        names = dict(zip(reps["rep_id"], reps["rep_name"], strict=True))
        rep_id = st.selectbox(
            t("Rep"), reps["rep_id"].tolist(), key="talk_tracks_rep", format_func=lambda r: f"{names.get(r, r)} ({r})"
        )
        prof = data.run(drivers.rep_profile, f, ctx.scope, rep_id=rep_id, quarter=q)
        if prof.empty:
            st.info(t("This rep has no target in {quarter}.", quarter=q))
            return
        prof["label"] = [
            f"{DIMENSIONS[d]} · {metric_title(m)}" for d, m in zip(prof["dimension"], prof["metric"], strict=True)
        ]
        st.plotly_chart(
            charts.profile_bars(
                prof,
                {
                    "title": t("{rep} against the team and the top decile", rep=names.get(rep_id, rep_id)),
                    "x": t("Position among reps (100% = best)"),
                    "rep": t("Rep"),
                    "team": t("Team mean"),
                    "top": t("Top-decile mean"),
                },
            ),
            width="stretch",
        )
        st.dataframe(charts.profile_display(prof, metric_title), hide_index=True, width="stretch")

    key_drivers()
