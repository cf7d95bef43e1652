"""Helpers to run the real app script under Streamlit's AppTest on a given store."""

from __future__ import annotations

import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

#: Seconds AppTest waits for one script run.
TIMEOUT_S = 120


def open_page(
    db_path: Path, page: str | None = None, *, lang: str = "en", query: dict[str, str] | None = None
) -> AppTest:
    """Run app.py on ``db_path``, switch to ``page`` (e.g. "views/overview.py") and run it."""
    os.environ["LAB_DB"] = str(db_path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.session_state["lang"] = lang
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
