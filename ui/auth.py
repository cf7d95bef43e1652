"""Who is using the app, as an access :class:`~analytics.access.Scope`.

Three modes, decided on every run:

1. **OIDC** (``[auth]`` configured in .streamlit/secrets.toml): Streamlit's ``st.login``;
   the e-mail must be an account in the store (``users add EMAIL --oidc``), else the user
   sees nothing but a message.
2. **Local accounts** (the store has accounts): a login form; argon2 password check; the
   session token lives in a server-side registry and expires after
   ``LAB_SESSION_IDLE_MINUTES`` (default 30) without activity.
3. **Local mode** (no accounts): a single local leader; the server listens on 127.0.0.1
   only (.streamlit/config.toml) and a banner says so.

The scope is re-read from the store on every run: nothing in session state is trusted
except a random token that must be in the registry.
"""

from __future__ import annotations

import os
import secrets
import threading
import time

import streamlit as st

from analytics import users
from analytics.access import NOBODY, Scope
from ui import data
from ui.i18n import t

IDLE_MINUTES_ENV = "LAB_SESSION_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30
TOKEN_KEY = "auth_token"


class _Registry:
    """Server-side sessions: token -> (username, last activity)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, tuple[str, float]] = {}


@st.cache_resource(show_spinner=False)
def _registry() -> _Registry:
    return _Registry()


def idle_seconds() -> float:
    """Idle time after which a session expires."""
    try:
        return 60 * float(os.environ.get(IDLE_MINUTES_ENV, DEFAULT_IDLE_MINUTES))
    except ValueError:
        return 60.0 * DEFAULT_IDLE_MINUTES


def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _attempt_login() -> None:
    """Form callback: check the password, open a session, and never keep the password."""
    name = str(st.session_state.get("auth_user", ""))
    password = str(st.session_state.get("auth_password", ""))
    st.session_state["auth_password"] = ""
    account = users.verify_login(data.store(), name, password)
    if account is None:
        users.log_access(data.store(), Scope(role="none", user=name), "login_failed", "app")
        st.session_state["auth_failed"] = True
        return
    token = secrets.token_urlsafe(32)
    reg = _registry()
    with reg.lock:
        reg.sessions[token] = (account.username, time.time())
    st.session_state[TOKEN_KEY] = token
    users.log_access(data.store(), account.scope(), "login", "app")


def _login_form() -> None:
    st.title(t("Sign in"))
    if st.session_state.pop("auth_failed", False):
        st.error(t("Wrong user name or password."))
    with st.form("auth_login"):
        st.text_input(t("User name"), key="auth_user")
        st.text_input(t("Password"), type="password", key="auth_password")
        st.form_submit_button(t("Sign in"), type="primary", on_click=_attempt_login)
    st.stop()


def _session_user() -> str | None:
    """The user of a live session token (refreshing its activity time), else None."""
    token = st.session_state.get(TOKEN_KEY)
    if not isinstance(token, str):
        return None
    reg = _registry()
    with reg.lock:
        entry = reg.sessions.get(token)
        if entry is None:
            return None
        name, last = entry
        if time.time() - last > idle_seconds():
            del reg.sessions[token]
            st.session_state["auth_expired"] = True
            return None
        reg.sessions[token] = (name, time.time())
    return name


def logout() -> None:
    """Button callback: end this session (local accounts) or sign out of OIDC."""
    token = st.session_state.pop(TOKEN_KEY, None)
    reg = _registry()
    with reg.lock:
        reg.sessions.pop(token, None)
    if oidc_configured():
        st.logout()


def current_scope() -> Scope:
    """The scope of this run; draws the login screen and stops the run when needed."""
    store = data.store()
    if oidc_configured():
        if not st.user.is_logged_in:
            st.title(t("Sign in"))
            st.button(t("Sign in with your company account"), on_click=st.login, type="primary")
            st.stop()
        account = users.get_account(store, str(st.user.get("email", "")))
        scope = account.scope() if account else NOBODY
    elif users.count_accounts(store) == 0:
        return Scope.leader(user="local")
    else:
        name = _session_user()
        if name is None:
            if st.session_state.pop("auth_expired", False):
                st.warning(t("Your session expired after a period of inactivity; sign in again."))
            _login_form()
        account = users.get_account(store, name)  # type: ignore[arg-type]
        scope = account.scope() if account else NOBODY
    if not scope.known or scope == NOBODY:
        st.error(t("Your account has no access to any data. Ask a leader to set your scope."))
        st.button(t("Sign out"), key="auth_logout_nobody", on_click=logout)
        st.stop()
    return scope


def sidebar_identity(scope: Scope) -> None:
    """Who is signed in (with a sign-out button), or the local-mode banner."""
    if scope.user == "local" and scope.role == "leader" and not oidc_configured():
        st.sidebar.caption(t("Local mode: you are the only user (leader), and the app listens on 127.0.0.1 only."))
        return
    st.sidebar.caption(t("Signed in as {user} ({role}).", user=scope.user, role=t(scope.role)))
    st.sidebar.button(t("Sign out"), key="auth_logout", on_click=logout)


def log_view(scope: Scope, obj: str, detail: str = "") -> None:
    """Record once per session that ``scope`` viewed pay or performance data ``obj``."""
    seen = st.session_state.setdefault("auth_logged_views", set())
    key = (scope.user, obj, detail)
    if key in seen:
        return
    seen.add(key)
    users.log_access(data.store(), scope, "view", obj, detail)
