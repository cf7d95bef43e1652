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


#: plain session key -> the key of the widget that edits it. The plain keys hold the
#: selection; widgets get their own keys and are created from the plain values, so a widget
#: state that Streamlit drops (it does, e.g. when many sessions start at once, or for widgets
#: drawn around st.navigation) can never reset the selection.
WIDGET_KEYS = {LANG_KEY: "w_lang", "f_quarter": "w_quarter", "f_from": "w_from", "f_to": "w_to"}
#: Widgets whose option labels depend on the language get one key per language, so switching
#: language draws them anew (from the plain value) with labels in the new language.
LANG_WIDGETS = {"f_mode": "w_mode", "f_regions": "w_regions", "f_segments": "w_segments"}


def _widget_key(plain: str) -> str:
    """The current widget key of a language-dependent (or, for teams, region-dependent) filter."""
    lang = st.session_state.get(LANG_KEY, "en")
    if plain == "f_teams":
        regions = st.session_state.get("f_regions") or []
        return f"w_teams_{lang}_" + "_".join(sorted(str(r) for r in regions))
    return f"{LANG_WIDGETS[plain]}_{lang}"


def sync_from_widgets() -> None:
    """At the start of a run, copy what the user changed in the widgets into the plain keys."""
    state = st.session_state
    for plain, widget in WIDGET_KEYS.items():
        if widget in state:
            state[plain] = state[widget]
    for plain in (*LANG_WIDGETS, "f_teams"):  # teams last: its key depends on the regions
        key = _widget_key(plain)
        if key in state:
            state[plain] = list(state[key]) if isinstance(state[key], list) else state[key]


def language_switch() -> None:
    """The language select box (top of the sidebar)."""
    if st.session_state.get(LANG_KEY) not in LANGS:
        st.session_state[LANG_KEY] = default_lang()
    names = {"en": "English", "zh": "中文"}
    st.session_state[LANG_KEY] = st.sidebar.selectbox(
        "Language / 语言",
        LANGS,
        index=LANGS.index(st.session_state[LANG_KEY]),
        key="w_lang",
        format_func=names.__getitem__,
    )


def _keep_valid(key: str, options: list[str]) -> list[str]:
    """Drop selections no longer offered (e.g. a team outside the chosen regions, or a bad URL value)."""
    value = st.session_state.get(key) or []
    kept = [v for v in value if v in options] if isinstance(value, list) else []
    st.session_state[key] = kept
    return kept


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
    state = st.session_state
    lang = state.get(LANG_KEY, "en")
    quarters = data.run(lookups.quarters)
    if not quarters:
        return None
    sb = st.sidebar
    modes = ["quarter", "range"]
    if state.get("f_mode") not in modes:
        state["f_mode"] = "quarter"
    mode_labels = {"quarter": t("Quarter"), "range": t("Date range")}  # labels fixed in this run's language
    state["f_mode"] = sb.radio(
        t("Period"),
        modes,
        index=modes.index(state["f_mode"]),
        key=_widget_key("f_mode"),
        horizontal=True,
        format_func=mode_labels.__getitem__,
    )
    if state["f_mode"] == "quarter":
        if state.get("f_quarter") not in quarters:
            state["f_quarter"] = quarters[-1]
        state["f_quarter"] = sb.selectbox(
            t("Quarter"), quarters, index=quarters.index(state["f_quarter"]), key="w_quarter"
        )
        q = Quarter.parse(state["f_quarter"])
        start, end = q.start, q.end
    else:
        first, last = Quarter.parse(quarters[0]).start, Quarter.parse(quarters[-1]).end
        if not isinstance(state.get("f_from"), date):
            state["f_from"] = Quarter.parse(quarters[-1]).start
        if not isinstance(state.get("f_to"), date):
            state["f_to"] = last
        clamp = lambda d: min(max(d, first), last)  # noqa: E731
        start = state["f_from"] = sb.date_input(
            t("From"), value=clamp(state["f_from"]), key="w_from", min_value=first, max_value=last
        )
        end = state["f_to"] = sb.date_input(
            t("To"), value=clamp(state["f_to"]), key="w_to", min_value=first, max_value=last
        )
        if start > end:
            sb.warning(t("The start date is after the end date; the two were swapped."))
            start, end = end, start
    regions = data.run(lookups.regions, lang=lang)
    region_labels = dict(zip(regions["region_id"], regions["label"], strict=True))
    state["f_regions"] = sb.multiselect(
        t("Region"),
        list(region_labels),
        default=_keep_valid("f_regions", list(region_labels)),
        key=_widget_key("f_regions"),
        format_func=lambda r: region_labels.get(r, r),
        placeholder=t("All regions"),
    )
    sel_regions = state["f_regions"]
    teams = data.run(lookups.teams, tuple(sel_regions), lang=lang)
    team_labels = dict(zip(teams["team_id"], teams["label"], strict=True))
    state["f_teams"] = sb.multiselect(
        t("Team"),
        list(team_labels),
        default=_keep_valid("f_teams", list(team_labels)),
        key=_widget_key("f_teams"),
        format_func=lambda v: team_labels.get(v, v),
        placeholder=t("All teams"),
    )
    segs = data.run(lookups.segments, lang=lang)
    seg_labels = dict(zip(segs["segment"], segs["label"], strict=True))
    state["f_segments"] = sb.multiselect(
        t("Segment"),
        list(seg_labels),
        default=_keep_valid("f_segments", list(seg_labels)),
        key=_widget_key("f_segments"),
        format_func=lambda v: seg_labels.get(v, v),
        placeholder=t("All segments"),
    )
    return Filters(
        start=start,
        end=end,
        region_ids=tuple(sel_regions),
        team_ids=tuple(state["f_teams"]),
        segments=tuple(state["f_segments"]),
    )


def data_version_caption() -> None:
    """Which data version this run reads, and when it was published, under the sidebar identity."""
    version, when = data.version_stamp()
    if not version:
        return
    if when:
        st.sidebar.caption(t("Data version {version}, published {when}.", version=version, when=when))
    else:
        st.sidebar.caption(t("Data version {version}.", version=version))
