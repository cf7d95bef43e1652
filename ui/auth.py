"""Who is using the app, as an access :class:`~analytics.scope.Scope`.

With no accounts configured the app runs as a single local leader and the server binds
to 127.0.0.1 only (see .streamlit/config.toml); a banner says so.
"""

from __future__ import annotations

import streamlit as st

from analytics.scope import Scope
from ui.i18n import t

SCOPE_KEY = "scope"


def current_scope() -> Scope:
    """The scope of this session (the local leader when no accounts exist)."""
    scope = st.session_state.get(SCOPE_KEY)
    if isinstance(scope, Scope):
        return scope
    scope = Scope.leader(user="local")
    st.session_state[SCOPE_KEY] = scope
    return scope


def local_mode_banner() -> None:
    """Tell the user they are the single local leader on this machine."""
    st.sidebar.caption(t("Local mode: you are the only user (leader), and the app listens on 127.0.0.1 only."))
