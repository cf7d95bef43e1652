"""Talk tracks & drivers: adjusted talk-track effects on conversion, and what separates top performers."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import lookups, talk_tracks
from analytics.periods import Quarter
from analytics.talk_tracks import drivers
from ui import data
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
DIMENSIONS = {
    "results": t("Business results"),
    "behaviour": t("Behaviour quality"),
    "collaboration": t("Team collaboration"),
}


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


def value_label(key: str, value: str) -> str:
    """Display name for a finding parameter that holds a stored value."""
    return tag_label(value) if key == "tag" else metric_label(value)


def interval(lo: float, hi: float, *, signed: bool = False) -> str:
    """'12.0% to 26.0%' (signed: '+12.0% to +26.0%')."""
    f_ = fmt.signed_percent if signed else fmt.percent
    return t("{lo} to {hi}", lo=f_(lo), hi=f_(hi))


def metric_value(metric: str, value: float) -> str:
    """A metric value in its unit."""
    if metric == "won_amount":
        return fmt.money(value, compact=True)
    if metric in ("attainment", "conversion_rate"):
        return fmt.percent(value)
    return fmt.number(value, digits=2)


def effects_display(effects: pd.DataFrame) -> pd.DataFrame:
    """The effects table with translated headers and locale-formatted values (one row per tag)."""
    rows = []
    for r in effects.itertuples():
        rate_with = f"{fmt.percent(r.raw_rate_treated)} ({interval(r.raw_rate_treated_lo, r.raw_rate_treated_hi)})"
        rate_without = f"{fmt.percent(r.raw_rate_control)} ({interval(r.raw_rate_control_lo, r.raw_rate_control_hi)})"
        adjusted = {
            t("Adjusted lift"): fmt.signed_percent(r.adj_lift),
            t("95% interval (lift)"): interval(r.adj_lift_lo, r.adj_lift_hi, signed=True),
            t("Adjusted difference (points)"): fmt.signed_percent(r.adj_diff),
            t("95% interval (difference)"): interval(r.adj_diff_lo, r.adj_diff_hi, signed=True),
            t("q-value"): charts.p_text(r.q_value),
            t("Leads trimmed"): fmt.count(r.n_trimmed),
        }
        rows.append(
            {
                t("Talk track"): tag_label(r.tag),
                t("Leads with it"): fmt.count(r.n_treated),
                t("Leads without it"): fmt.count(r.n_control),
                t("Conversion with it"): rate_with,
                t("Conversion without it"): rate_without,
                t("Raw lift"): fmt.signed_percent(r.raw_lift),
                **{k: (v if r.reported else "—") for k, v in adjusted.items()},
                t("Reported"): t("yes") if r.reported else t("no (see the note above)"),
            }
        )
    return pd.DataFrame(rows)


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
        st.info(charts.finding_text(talk_tracks.sample_note(res), value_label))
    if res.n_leads and res.open_share > talk_tracks.OPEN_SHARE_WARNING:
        st.warning(
            t(
                "{share} of the leads created in this period are still open and are left out; the closed ones "
                "over-represent quick losses. An earlier period gives a steadier estimate.",
                share=fmt.percent(res.open_share),
            )
        )
    if res.message is not None:
        st.info(charts.finding_text(res.message, value_label))
    else:
        st.subheader(t("What the talk tracks do"))
        st.markdown("\n".join(f"- {charts.finding_text(fi, value_label)}" for fi in res.findings))
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
        st.dataframe(effects_display(res.effects), hide_index=True, width="stretch")
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
            names = {
                "source": t("Source"),
                "segment": t("Segment"),
                "region_id": t("Region"),
                "created_quarter": t("Quarter"),
                "deal_size_band": t("Deal-size band"),
                "rep_skill_proxy": t("Rep's conversion on other leads"),
            }
            levels = {
                "source": data.run(lookups.display_names, "source", ctx.lang),
                "segment": dict(data.run(lookups.segments, lang=ctx.lang).set_index("segment")["label"]),
                "region_id": dict(data.run(lookups.regions, lang=ctx.lang).set_index("region_id")["label"]),
                "deal_size_band": {
                    "small": t("small"),
                    "medium": t("medium"),
                    "large": t("large"),
                    "unknown": t("unknown"),
                },
            }
            bal["label"] = [
                f"{names.get(c, c)}: {levels.get(c, {}).get(lv, lv)}" if lv else names.get(c, c)
                for c, lv in zip(bal["covariate"], bal["level"], strict=True)
            ]
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
            st.dataframe(
                pd.DataFrame(
                    {
                        t("Covariate"): bal["label"],
                        t("Mean with the talk track"): [fmt.number(v, digits=3) for v in bal["mean_treated"]],
                        t("Mean without it"): [fmt.number(v, digits=3) for v in bal["mean_control"]],
                        t("Standardised difference before"): [fmt.number(v, digits=3) for v in bal["smd_before"]],
                        t("Standardised difference after"): [fmt.number(v, digits=3) for v in bal["smd_after"]],
                    }
                ),
                hide_index=True,
                width="stretch",
            )

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
            st.info(charts.finding_text(dres.message, value_label))
        else:
            st.subheader(t("What the top {n} have in common", n=fmt.count(dres.n_top)))
            st.markdown("\n".join(f"- {charts.finding_text(fi, value_label)}" for fi in dres.findings))
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
            st.dataframe(
                pd.DataFrame(
                    {
                        t("Metric"): eff["label"],
                        t("Dimension"): [DIMENSIONS[d] for d in eff["dimension"]],
                        t("Top performers better than the median"): [
                            f"{fmt.count(k)} / {fmt.count(n)}"
                            for k, n in zip(eff["k_better"], eff["n_top"], strict=True)
                        ],
                        t("All reps better than the median"): [fmt.percent(v) for v in eff["expected_share"]],
                        t("p-value"): [charts.p_text(v) for v in eff["p_value"]],
                        t("q-value"): [charts.p_text(v) for v in eff["q_value"]],
                        t("Top mean"): [fmt.number(v, digits=2) for v in eff["top_mean"]],
                        t("Others' mean"): [fmt.number(v, digits=2) for v in eff["rest_mean"]],
                        t("Effect per 1 SD"): [fmt.number(v, digits=2) for v in eff["coef_per_sd"]],
                        t("95% interval"): [
                            t("{lo} to {hi}", lo=fmt.number(lo, digits=2), hi=fmt.number(hi, digits=2))
                            for lo, hi in zip(eff["coef_lo"], eff["coef_hi"], strict=True)
                        ],
                        t("Permutation importance"): [fmt.number(v, digits=3) for v in eff["perm_importance"]],
                    }
                ),
                hide_index=True,
                width="stretch",
            )

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
        st.dataframe(
            pd.DataFrame(
                {
                    t("Dimension"): [DIMENSIONS[d] for d in prof["dimension"]],
                    t("Metric"): [metric_title(m) for m in prof["metric"]],
                    t("Rep"): [metric_value(m, v) for m, v in zip(prof["metric"], prof["rep_value"], strict=True)],
                    t("Team mean"): [
                        metric_value(m, v) for m, v in zip(prof["metric"], prof["team_mean"], strict=True)
                    ],
                    t("Top-decile mean"): [
                        metric_value(m, v) for m, v in zip(prof["metric"], prof["top_decile_mean"], strict=True)
                    ],
                    t("Median"): [metric_value(m, v) for m, v in zip(prof["metric"], prof["median"], strict=True)],
                    t("Position among reps"): [fmt.percent(v, digits=0) for v in prof["rep_percentile"]],
                }
            ),
            hide_index=True,
            width="stretch",
        )

    key_drivers()
