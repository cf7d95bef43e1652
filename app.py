"""Router: page config, shared sidebar (language, identity, filters), navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics import access
from ui import auth, data
from ui import filters as filter_widgets
from ui.context import Context, set_context
from ui.i18n import current_lang, t

#: (page id, title message id, material icon); the page file is views/<id>.py and the first page
#: is the default. Who may open each page is decided by analytics.access.PAGES; every page also
#: restricts its rows to the identity's scope below the UI.
PAGES = [
    ("overview", "Overview", ":material/dashboard:"),
    ("scorecard", "Scorecard", ":material/leaderboard:"),
    ("incentive_lab", "Incentive lab", ":material/tune:"),
    ("attribution", "Attribution", ":material/alt_route:"),
    ("talk_tracks", "Talk tracks & drivers", ":material/record_voice_over:"),
    ("anomalies", "Anomalies", ":material/crisis_alert:"),
    ("pilots", "Pilots & audit", ":material/science:"),
    ("data", "Data", ":material/upload_file:"),
]

ICON = str(Path(__file__).resolve().parent / "static" / "icon.png")  # local: no request leaves the machine

st.set_page_config(page_title="Performance & Incentive Lab", page_icon=ICON, layout="wide")
filter_widgets.load_from_url()
filter_widgets.sync_from_widgets()

if not Path(data.db_path()).exists():
    st.error(
        t(
            "No store found at {path}. Create the demo store with: python -m analytics demo --db {path}",
            path=data.db_path(),
        )
    )
    st.stop()
data.pin_version()  # every query of this run reads one snapshot of the store
scope = auth.current_scope()

# Navigation comes before any sidebar widget: widgets drawn before st.navigation can lose
# their first change in a new session.
allowed = [p for p in PAGES if access.may_open(scope, p[0])]
pages = [
    st.Page(f"views/{page_id}.py", title=t(title), icon=icon, default=(i == 0))
    for i, (page_id, title, icon) in enumerate(allowed)
]
page = st.navigation(pages)

filter_widgets.language_switch()
auth.sidebar_identity(scope)
filter_widgets.data_version_caption()
filters = filter_widgets.sidebar_filters()
set_context(Context(filters=filters, scope=scope, lang=current_lang()))
filter_widgets.save_to_url()
page.run()
