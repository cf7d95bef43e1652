"""Findings on a page: :func:`analytics.findings.render` in the session's language.

Pages call :func:`text` (one sentence) or :func:`show` (a box by level); the template is
translated and every parameter formatted by the one renderer the CLI and the report use.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from analytics.findings import Finding, render
from ui.i18n import current_lang

#: Streamlit box per finding level.
LEVEL_BOX: dict[str, Callable[..., object]] = {"info": st.info, "good": st.success, "warning": st.warning}


def text(finding: Finding, labels: Callable[[str, object], str] | None = None) -> str:
    """The finding as one sentence in the session's language (``labels``: display names of text values)."""
    return render(finding, current_lang(), labels=labels)


def show(finding: Finding, labels: Callable[[str, object], str] | None = None) -> None:
    """The finding in a box matching its level (info, good, warning)."""
    LEVEL_BOX.get(finding.level, st.info)(text(finding, labels))


def bullet(finding: Finding, labels: Callable[[str, object], str] | None = None) -> None:
    """The finding as a bullet point."""
    st.markdown("- " + text(finding, labels))
