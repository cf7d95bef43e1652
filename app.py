"""Router: page config, shared sidebar (language, identity, filters), navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import auth, data
from ui import filters as filter_widgets
from ui.context import Context, set_context
from ui.i18n import current_lang, t

#: (page file, title message id, material icon). The first page is the default.
PAGES = [
    ("pages/overview.py", "Overview", ":material/dashboard:"),
    ("pages/data.py", "Data", ":material/upload_file:"),
]

st.set_page_config(page_title="Performance & Incentive Lab", page_icon=":material/insights:", layout="wide")
filter_widgets.load_from_url()
filter_widgets.language_switch()
scope = auth.current_scope()
auth.local_mode_banner()

if not Path(data.db_path()).exists():
    st.error(t("No store found at {path}. Create the demo store with: python -m analytics demo --db {path}",
               path=data.db_path()))
    st.stop()

filters = filter_widgets.sidebar_filters()
set_context(Context(filters=filters, scope=scope, lang=current_lang()))
filter_widgets.save_to_url()

pages = [st.Page(path, title=t(title), icon=icon, default=(i == 0)) for i, (path, title, icon) in enumerate(PAGES)]
st.navigation(pages).run()
