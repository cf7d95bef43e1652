"""The per-run context app.py hands to every page: filters, scope and language."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from analytics.access import Scope
from analytics.filters import Filters

_KEY = "_page_context"


@dataclass(frozen=True)
class Context:
    """What a page needs from the frame: the shared filters (None: empty store), scope, language."""

    filters: Filters | None
    scope: Scope
    lang: str


def set_context(ctx: Context) -> None:
    """Called by app.py once per run, before the page runs."""
    st.session_state[_KEY] = ctx


def get_context() -> Context:
    """The context of this run (pages call this first).

    Identity and filters are re-derived here, not taken from an earlier run: the scope is
    re-checked against the session registry and the store (a signed-out or expired session
    gets the sign-in screen), and the filters are rebuilt from the widget state.
    """
    from ui import auth
    from ui import filters as filter_widgets
    from ui.i18n import current_lang

    if not isinstance(st.session_state.get(_KEY), Context):
        st.error("Open the app through app.py (streamlit run app.py).")
        st.stop()
    filter_widgets.sync_from_widgets()
    scope = auth.current_scope()
    ctx = Context(filters=filter_widgets.filters_from_state(), scope=scope, lang=current_lang())
    st.session_state[_KEY] = ctx
    return ctx
