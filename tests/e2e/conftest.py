"""Fixtures for the browser tests: a demo store, the REAL server on it, Chromium, pages.

One server and one browser per test process (session fixtures; with ``-n 2 --dist
loadfile`` each worker that gets e2e files starts its own). The server serves a copy of the
demo store; the tests compute expected numbers from the other, untouched copy, because
DuckDB lets only one process open a file for writing.
"""

from __future__ import annotations

import atexit
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analytics import demo
from analytics.store import Store
from tests.e2e.harness import CHROMIUM, ROOT, Server, Watch, goto, launch_browser, new_context

E2E_LEADS = 60_000
E2E_SEED = 11
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
#: Default Playwright timeout for one step (a cold first page run on 2 busy cores included).
STEP_TIMEOUT_MS = 90_000


@pytest.fixture(scope="session")
def e2e_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated demo store (the tests read it; servers get copies)."""
    path = tmp_path_factory.mktemp("e2e") / "reference.duckdb"
    with Store(path) as s:
        demo.generate(s, seed=E2E_SEED, n_leads=E2E_LEADS)
    return path


def copy_store(reference: Path, target: Path) -> Path:
    """A byte copy of the (closed, checkpointed) reference store."""
    shutil.copyfile(reference, target)
    return target


@pytest.fixture(scope="session")
def ref_store(e2e_reference: Path) -> Iterator[Store]:
    """The reference store, read-only: expected values come from here."""
    store = Store(e2e_reference, read_only=True)
    yield store
    store.close()


def start_server(reference: Path, folder: Path, name: str, **kwargs: Any) -> Server:
    """Start the real app on a fresh copy of ``reference`` (stopped at exit in any case)."""
    db = copy_store(reference, folder / f"{name}.duckdb")
    srv = Server(db, log_path=ARTIFACTS / "logs" / f"server-{name}-{folder.name}.log", **kwargs)
    atexit.register(srv.stop)
    return srv.start()


def warm_up(browser: Any, srv: Server) -> None:
    """Run one browser session on a new server before the tests' sessions.

    It takes the cold start (imports, store, first results), so timings and timeouts of the
    tests do not depend on which one runs first; the first session after a start is tested
    on its own servers (test_first_session_after_a_start_keeps_the_chosen_quarter,
    test_first_visit_to_a_bookmarked_page_after_a_start).
    """
    ctx = new_context(browser)
    goto(ctx.new_page(), srv.url + "/")
    ctx.close()


@pytest.fixture(scope="session")
def server(e2e_reference: Path, tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Server]:
    """The real server on a copy of the demo store (warmed up); tests must not import into it."""
    srv = start_server(e2e_reference, tmp_path_factory.mktemp("served"), "main")
    warm_up(browser, srv)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium (scripts/install_browser.sh installs it; never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser.sh (the browser tests are not optional)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch_browser(pw)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context (so a fresh Streamlit session)."""
    ctx = new_context(browser)
    ctx.set_default_timeout(STEP_TIMEOUT_MS)
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture
def watch(page: Any) -> Watch:
    """Console errors, page errors and foreign requests of ``page`` (attached before it loads)."""
    return Watch.attach(page)


def screenshot(page: Any, name: str, *, full: bool = True) -> Path:
    """Save a screenshot under test-artifacts/screenshots/ (git-ignored).

    Streamlit scrolls inside its main container, not the document, so a "full page" shot
    is taken by growing the viewport to the content's height (at most 8000 px) and back.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    if full and size:
        height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 0")
        page.set_viewport_size({"width": size["width"], "height": int(min(max(size["height"], height), 8000))})
        page.wait_for_timeout(400)  # charts re-lay out to the new size
    page.screenshot(path=str(path))
    if full and size:
        page.set_viewport_size(size)
    return path


def record(name: str, values: dict[str, Any]) -> None:
    """Append measured figures to test-artifacts/e2e-figures.jsonl (for the benchmark notes)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "e2e-figures.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"name": name, **values}, ensure_ascii=False) + "\n")
