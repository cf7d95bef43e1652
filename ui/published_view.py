"""Published quarter results on the Scorecard and the Incentive lab.

When the selected quarter has a publication (:mod:`analytics.incentives.published`), a page
says when, by whom and on which data and plan it was published (:func:`header`), lets the
reader switch between live data and the frozen numbers (:func:`as_published`), and lists
where live data now differs (:func:`differences`). A leader publishes the quarter from the
Scorecard (:func:`publish_form`). The control database changes without a new data version,
so the publication is looked up on every run; its frozen results never change and are
cached under its id.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import access, incentives, runs, users
from analytics.access import Scope
from analytics.filters import Filters
from analytics.incentives import published
from analytics.incentives.plan_messages import plan_name
from analytics.incentives.plans import Plan
from ui import data
from ui import format as fmt
from ui import incentives_charts as charts
from ui.i18n import current_lang, t

_FLASH = "published_flash"


def latest(quarter: str) -> published.Publication | None:
    """The quarter's published result (its newest publication), or None."""
    return published.latest(data.store(), quarter)


def header(pub: published.Publication) -> None:
    """One line: published on <date> by <who> (data version N, plan X), and the note."""
    text = t(
        "Published on {date} by {who} (data version {version}, plan {plan}).",
        date=fmt.day(pub.published_at.date()),
        who=pub.published_by,
        version=pub.data_version if pub.data_version is not None else "—",
        plan=plan_name(pub.plan_name, current_lang()),
    )
    st.info(text + (f" {pub.note}" if pub.note else ""), icon=":material/verified:")


def as_published(key: str) -> bool:
    """The "Live data / As published" switch; True when the frozen numbers are chosen."""
    options = {"live": t("Live data"), "published": t("As published")}
    choice = st.radio(t("Show"), list(options), format_func=options.get, horizontal=True, key=key)
    return choice == "published"


def load(pub: published.Publication, scope: Scope, filters: Filters) -> published.Published:
    """The frozen results of ``pub`` as ``scope`` sees them (cached; a publication never changes)."""
    return data.run(published.load_published, pub.publish_id, scope, regions=filters.region_ids, teams=filters.team_ids)


def _diff_table(diff: published.Differences, teams: dict[str, str]) -> pd.DataFrame:
    status = {"changed": t("changed"), "added": t("added"), "removed": t("removed")}
    reps = diff.reps
    out = pd.DataFrame(
        {
            t("Rep"): reps["rep_name"],
            t("Team"): reps["team_id"].map(lambda x: teams.get(x, x)),
            t("Status"): reps["status"].map(status),
            t("Published score"): reps["score_before"],
            t("Live score"): reps["score_after"],
            t("Published grade"): reps["grade_before"].fillna("—"),
            t("Live grade"): reps["grade_after"].fillna("—"),
        }
    )
    if "pay_before" in reps.columns:
        out[t("Published pay")] = reps["pay_before"]
        out[t("Live pay")] = reps["pay_after"]
        out[t("Pay change")] = reps["pay_delta"]
    return out


def differences(pub: published.Publication, scope: Scope, filters: Filters, teams: dict[str, str]) -> None:
    """An expander listing the reps (and, for aggregate-only viewers, the teams) where live data differs."""
    diff = data.run(published.differences, pub.publish_id, scope, regions=filters.region_ids, teams=filters.team_ids)
    n = diff.counts["reps_changed"]
    with st.expander(t("Differences between published and live data ({n} reps)", n=fmt.count(n))):
        if not n and not diff.counts["teams_pay_changed"]:
            st.caption(t("Live data gives the same scores, grades and pay as the published results."))
            return
        money = st.column_config.NumberColumn(format="%.2f")
        score = st.column_config.NumberColumn(format="%.1f")
        cfg = {t("Published score"): score, t("Live score"): score}
        cfg.update({t("Published pay"): money, t("Live pay"): money, t("Pay change"): money})
        if n:
            st.dataframe(_diff_table(diff, teams), hide_index=True, width="stretch", column_config=cfg)
        if not access.sees_individual_pay(scope) and len(diff.teams):
            st.caption(t("Your role sees pay aggregated only: pay differences per team."))
            st.dataframe(
                pd.DataFrame(
                    {
                        t("Team"): diff.teams["team_id"].map(lambda x: teams.get(x, x)),
                        t("Published pay"): diff.teams["pay_before"],
                        t("Live pay"): diff.teams["pay_after"],
                        t("Pay change"): diff.teams["pay_delta"],
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config=cfg,
            )


def publish_form(quarter: str, plan: Plan, scope: Scope) -> None:
    """A leader's "publish this quarter" form, with a confirmation; other roles see nothing."""
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(t("Published {quarter} as publication {id}.", quarter=quarter, id=flash))
    if not access.may_publish(scope):
        return
    with st.expander(t("Publish {quarter}", quarter=quarter)):
        st.caption(
            t(
                "Publishing freezes this quarter's scores, grades and pay under the plan {plan} as they are now. "
                "Earlier publications are kept; the newest is the published result.",
                plan=plan_name(plan.name, current_lang()),
            )
        )
        note = st.text_input(t("Note"), key="scorecard_publish_note")
        sure = st.checkbox(t("I have checked the numbers; publish them."), key="scorecard_publish_sure")
        if st.button(t("Publish"), disabled=not sure, key="scorecard_publish", type="primary"):
            store = data.store()
            with runs.recorded(store.control, "publish", source="page", command=f"publish {quarter} ({plan.name})"):
                pub = published.publish(store, quarter, plan, by=scope, note=note)
            users.log_access(
                store, scope, "publish", "scorecard", f"{quarter} publication {pub.publication.publish_id}"
            )
            st.session_state[_FLASH] = pub.publication.publish_id
            st.session_state.pop("scorecard_publish_sure", None)
            st.rerun()


def frozen_pay(frozen: published.Published, teams: dict[str, str], *, scope: Scope) -> None:
    """The Incentive lab's "as published" view: pay per rep (per team for aggregate-only viewers)."""
    quarter = frozen.quarter
    st.subheader(t("Pay for {quarter} as published", quarter=quarter))
    c = st.columns(2)
    c[0].metric(t("Total pay"), fmt.money(frozen.total_pay()))
    if not access.sees_individual_pay(scope):
        by_team = frozen.pay_by_team()
        c[1].metric(t("Teams"), fmt.count(len(by_team)))
        st.dataframe(
            pd.DataFrame(
                {
                    t("Team"): by_team["team_id"].map(lambda x: teams.get(x, x)),
                    t("Reps"): by_team["reps"],
                    t("Attainment"): by_team["attainment"],
                    t("Total pay"): by_team["total_pay"],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={t("Attainment"): st.column_config.NumberColumn(format="percent")},
        )
        return
    pay = frozen.pay_lines()
    c[1].metric(t("Reps"), fmt.count(len(pay)))
    st.dataframe(
        pd.DataFrame(
            {
                t("Rep"): pay["rep_name"],
                t("Team"): pay["team_id"].map(lambda x: teams.get(x, x)),
                t("Attainment"): pay["attainment"],
                t("Base bonuses"): pay["base_bonus"],
                t("Commission"): pay["commission"],
                t("Team pools"): pay["team_bonus"],
                t("Innovation pool"): pay["innovation_bonus"],
                t("Total pay"): pay["total_pay"],
                t("Grade"): pay["grade"].fillna("—"),
            }
        ),
        hide_index=True,
        width="stretch",
        key="incentives_published_pay",
        column_config={t("Attainment"): st.column_config.NumberColumn(format="percent")},
    )
    lang = current_lang()

    def log(kind: str) -> None:
        users.log_access(data.store(), scope, "export", "statements", f"{quarter} published {kind} {len(pay)} reps")

    def file(kind: str) -> bytes:
        frame = charts.localised_statement(frozen.statement(), lang=lang)
        return published_bytes(frame, kind)

    d = st.columns(2)
    stem = f"statements_{quarter}_published_{frozen.publication.publish_id}"
    d[0].download_button(
        t("Statement (CSV)"), lambda: file("csv"), file_name=f"{stem}.csv", mime="text/csv", on_click=log, args=("csv",)
    )
    d[1].download_button(
        t("Statement (Excel)"),
        lambda: file("xlsx"),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click=log,
        args=("xlsx",),
    )


def published_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    """A statement frame as formula-safe CSV or XLSX bytes."""
    return incentives.to_xlsx_bytes(frame) if kind == "xlsx" else incentives.to_csv_bytes(frame)
