"""Router: page config, shared sidebar (language, identity, filters), navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import auth, data
from ui import filters as filter_widgets
from ui.context import Context, set_context
from ui.i18n import current_lang, t

#: (page file, title message id, material icon, roles that may open it). The first page is
#: the default. Every page also restricts its rows to the identity's scope below the UI.
ALL_ROLES = ("leader", "manager", "analyst", "rep")
ANALYSTS = ("leader", "manager", "analyst")
PAGES = [
    ("views/overview.py", "Overview", ":material/dashboard:", ALL_ROLES),
    ("views/scorecard.py", "Scorecard", ":material/leaderboard:", ALL_ROLES),
    ("views/incentive_lab.py", "Incentive lab", ":material/tune:", ALL_ROLES),
    ("views/attribution.py", "Attribution", ":material/alt_route:", ANALYSTS),
    ("views/talk_tracks.py", "Talk tracks & drivers", ":material/record_voice_over:", ANALYSTS),
    ("views/anomalies.py", "Anomalies", ":material/crisis_alert:", ANALYSTS),
    ("views/pilots.py", "Pilots & audit", ":material/science:", ANALYSTS),
    ("views/data.py", "Data", ":material/upload_file:", ("leader",)),
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
scope = auth.current_scope()

# Navigation comes before any sidebar widget: widgets drawn before st.navigation can lose
# their first change in a new session.
allowed = [p for p in PAGES if scope.role in p[3]]
pages = [st.Page(path, title=t(title), icon=icon, default=(i == 0)) for i, (path, title, icon, _) in enumerate(allowed)]
page = st.navigation(pages)

filter_widgets.language_switch()
auth.sidebar_identity(scope)
filters = filter_widgets.sidebar_filters()
set_context(Context(filters=filters, scope=scope, lang=current_lang()))
filter_widgets.save_to_url()
page.run()
