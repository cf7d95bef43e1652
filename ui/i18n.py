"""Message catalogue (gettext .po files read with Babel) and the current UI language.

English text is the message id; ``locales/zh/LC_MESSAGES/*.po`` hold the Simplified
Chinese translations (one .po file per area of the product, merged at load). Every
user-visible string in views/ and ui/ goes through :func:`t` (or :func:`tn` for plurals).
"""

from __future__ import annotations

import streamlit as st

from analytics.i18n import DEFAULT_LANG, LANGS, LOCALES_DIR, catalogue

__all__ = ["DEFAULT_LANG", "LANGS", "LANG_KEY", "LOCALES_DIR", "catalogue", "current_lang", "t", "tn"]

LANG_KEY = "lang"


def current_lang() -> str:
    """The UI language of this session (``en`` or ``zh``)."""
    try:
        lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    except Exception:  # outside a Streamlit session
        lang = DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


def t(msgid: str, /, lang: str | None = None, **params: object) -> str:
    """Translate ``msgid`` and fill ``{placeholders}`` from ``params``."""
    text = catalogue(lang or current_lang()).get(msgid, msgid)
    if isinstance(text, tuple):
        text = text[0]
    return text.format(**params) if params else text


def tn(singular: str, plural: str, n: int, /, lang: str | None = None, **params: object) -> str:
    """Plural-aware translation; ``{n}`` is available in the text."""
    lang = lang or current_lang()
    found = catalogue(lang).get(singular)
    if isinstance(found, tuple):
        text = found[0]  # Chinese has one plural form
    elif isinstance(found, str):
        text = found
    else:
        text = singular if n == 1 else plural
    return text.format(n=n, **params)
