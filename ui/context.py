"""The per-run context app.py hands to every page: filters, scope and language."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from analytics.filters import Filters
from analytics.scope import Scope

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
    """The context of this run (pages call this first)."""
    ctx = st.session_state.get(_KEY)
    if not isinstance(ctx, Context):
        st.error("Open the app through app.py (streamlit run app.py).")
        st.stop()
    return ctx
