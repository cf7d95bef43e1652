"""The shared sidebar filters, mirrored in the URL query string.

Widget keys are set once here (``f_*``); the query string is read into them on a
session's first run and rewritten from them on every run, so a link reopens the same
view and switching language or page keeps every selection.
"""

from __future__ import annotations

import os
from datetime import date

import streamlit as st

from analytics import lookups
from analytics.filters import Filters
from analytics.periods import Quarter
from ui import data
from ui.i18n import LANG_KEY, LANGS, t

#: URL parameter -> session key, for the values mirrored in the query string.
URL_KEYS = {
    "lang": LANG_KEY,
    "quarter": "f_quarter",
    "from": "f_from",
    "to": "f_to",
    "region": "f_regions",
    "team": "f_teams",
    "segment": "f_segments",
    "mode": "f_mode",
}
_LIST_KEYS = {"f_regions", "f_teams", "f_segments"}
_LOADED = "_url_loaded"


def load_from_url() -> None:
    """On a session's first run, copy the query string into the widget keys."""
    if st.session_state.get(_LOADED):
        return
    params = st.query_params
    for url_key, state_key in URL_KEYS.items():
        if url_key not in params:
            continue
        raw = params.get(url_key, "")
        if state_key in _LIST_KEYS:
            st.session_state[state_key] = [v for v in raw.split(",") if v]
        elif state_key in ("f_from", "f_to"):
            try:
                st.session_state[state_key] = date.fromisoformat(raw)
            except ValueError:
                pass
        else:
            st.session_state[state_key] = raw
    st.session_state[_LOADED] = True


def save_to_url() -> None:
    """Rewrite the query string from the current selections."""
    wanted: dict[str, str] = {}
    for url_key, state_key in URL_KEYS.items():
        value = st.session_state.get(state_key)
        if value in (None, "", []):
            continue
        if isinstance(value, list):
            wanted[url_key] = ",".join(value)
        elif isinstance(value, date):
            wanted[url_key] = value.isoformat()
        else:
            wanted[url_key] = str(value)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def default_lang() -> str:
    """The app's default language: ``LAB_DEFAULT_LANG`` (en or zh), else English."""
    lang = os.environ.get("LAB_DEFAULT_LANG", "en")
    return lang if lang in LANGS else "en"


def language_switch() -> None:
    """The language select box (top of the sidebar)."""
    if st.session_state.get(LANG_KEY) not in LANGS:
        st.session_state[LANG_KEY] = default_lang()
    st.sidebar.selectbox(
        "Language / 语言", LANGS, key=LANG_KEY, format_func=lambda v: {"en": "English", "zh": "中文"}[v]
    )


def _keep_valid(key: str, options: list[str]) -> None:
    """Drop selections no longer offered (e.g. a team outside the chosen regions, or a bad URL value)."""
    if key in st.session_state:
        st.session_state[key] = [v for v in st.session_state[key] if v in options]


def filters_from_state() -> Filters | None:
    """The current selection rebuilt from session state alone (no widgets drawn).

    Pages call this (through ui.context.get_context) so they never depend on values left
    by an earlier run; it gives the same result as :func:`sidebar_filters` in the run that
    drew the widgets.
    """
    quarters = data.run(lookups.quarters)
    if not quarters:
        return None
    state = st.session_state
    if state.get("f_mode") == "range" and isinstance(state.get("f_from"), date) and isinstance(state.get("f_to"), date):
        start, end = sorted((state["f_from"], state["f_to"]))
    else:
        q = Quarter.parse(state["f_quarter"] if state.get("f_quarter") in quarters else quarters[-1])
        start, end = q.start, q.end

    def _sel(key: str) -> tuple[str, ...]:
        value = state.get(key) or []
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    return Filters(
        start=start, end=end, region_ids=_sel("f_regions"), team_ids=_sel("f_teams"), segments=_sel("f_segments")
    )


def sidebar_filters() -> Filters | None:
    """Draw the shared filters; return the selection (None when the store has no data)."""
    lang = st.session_state.get(LANG_KEY, "en")
    quarters = data.run(lookups.quarters)
    if not quarters:
        return None
    sb = st.sidebar
    modes = ["quarter", "range"]
    if st.session_state.get("f_mode") not in modes:
        st.session_state["f_mode"] = "quarter"
    mode_labels = {"quarter": t("Quarter"), "range": t("Date range")}  # labels fixed in this run's language
    sb.radio(t("Period"), modes, key="f_mode", horizontal=True, format_func=mode_labels.__getitem__)
    if st.session_state["f_mode"] == "quarter":
        if st.session_state.get("f_quarter") not in quarters:
            st.session_state["f_quarter"] = quarters[-1]
        sb.selectbox(t("Quarter"), quarters, key="f_quarter")
        q = Quarter.parse(st.session_state["f_quarter"])
        start, end = q.start, q.end
    else:
        first, last = Quarter.parse(quarters[0]).start, Quarter.parse(quarters[-1]).end
        st.session_state.setdefault("f_from", Quarter.parse(quarters[-1]).start)
        st.session_state.setdefault("f_to", last)
        start = sb.date_input(t("From"), key="f_from", min_value=first, max_value=last)
        end = sb.date_input(t("To"), key="f_to", min_value=first, max_value=last)
        if start > end:
            sb.warning(t("The start date is after the end date; the two were swapped."))
            start, end = end, start
    regions = data.run(lookups.regions, lang=lang)
    region_labels = dict(zip(regions["region_id"], regions["label"], strict=True))
    _keep_valid("f_regions", list(region_labels))
    sel_regions = sb.multiselect(
        t("Region"),
        list(region_labels),
        key="f_regions",
        format_func=lambda r: region_labels.get(r, r),
        placeholder=t("All regions"),
    )
    teams = data.run(lookups.teams, tuple(sel_regions), lang=lang)
    team_labels = dict(zip(teams["team_id"], teams["label"], strict=True))
    _keep_valid("f_teams", list(team_labels))
    sel_teams = sb.multiselect(
        t("Team"),
        list(team_labels),
        key="f_teams",
        format_func=lambda v: team_labels.get(v, v),
        placeholder=t("All teams"),
    )
    segs = data.run(lookups.segments, lang=lang)
    seg_labels = dict(zip(segs["segment"], segs["label"], strict=True))
    _keep_valid("f_segments", list(seg_labels))
    sel_segments = sb.multiselect(
        t("Segment"),
        list(seg_labels),
        key="f_segments",
        format_func=lambda v: seg_labels.get(v, v),
        placeholder=t("All segments"),
    )
    return Filters(
        start=start, end=end, region_ids=tuple(sel_regions), team_ids=tuple(sel_teams), segments=tuple(sel_segments)
    )
