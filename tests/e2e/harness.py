"""Shared machinery for the browser tests and the browser benchmarks (no pytest here).

- :func:`app_pages` reads ``PAGES`` from app.py's text (so new pages are covered without
  editing the tests, and without importing Streamlit code).
- :class:`Server` starts the real ``streamlit run app.py`` on a free port with
  ``LAB_DB`` pointing at a store, waits for ``/_stcore/health``, reports its memory.
- :func:`launch_browser` starts Debian's Chromium through Playwright (never a downloaded
  browser); :class:`Watch` collects console errors, page errors and requests that left
  the machine; :func:`wait_idle` / :func:`rerun` wait for Streamlit's script runs.
"""

from __future__ import annotations

import ast
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from analytics import access

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
#: Headless flags: no sandbox (containers), no GPU, no background traffic to Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Console lines that are not errors by themselves. Chromium logs a failed load without its
#: URL ("Failed to load resource: ..."), so those lines are skipped here and the failed
#: requests / error responses are judged by URL instead (Watch.errors).
RESOURCE_CONSOLE = "Failed to load resource:"
#: Hosts a request may fail to reach without it counting as an app error: the favicon of
#: st.set_page_config(page_icon=":material/insights:"), which the Streamlit client fetches
#: from fonts.gstatic.com (unreachable here; test_no_request_leaves_the_machine covers it).
BENIGN_FAILED_HOSTS = ("fonts.gstatic.com",)
#: Error responses that are Streamlit's own probing, not app errors: opening a page's URL
#: directly (/data) makes the client first try /data/_stcore/health and host-config (404)
#: before the root (streamlit/streamlit#7074).
BENIGN_RESPONSE = re.compile(r"^/[^/]+/_stcore/(health|host-config|allowed-message-origins)$")
VIEWPORT = {"width": 1400, "height": 900}


# -- pages ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AppPage:
    """One entry of app.PAGES: page file, English title (message id), icon, roles (analytics.access.PAGES)."""

    path: str
    title: str
    icon: str
    roles: tuple[str, ...] | None = None
    default: bool = False

    @property
    def name(self) -> str:
        """File stem (``overview`` for views/overview.py)."""
        return Path(self.path).stem


def _literal(node: ast.AST, names: dict[str, Any]) -> Any:
    """A literal, allowing names of earlier module-level literal constants (``ALL_ROLES``)."""
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_literal(e, names) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    return ast.literal_eval(node)


def app_pages(app_file: Path = ROOT / "app.py") -> list[AppPage]:
    """The PAGES list of app.py, read from its source text (first entry is the default page)."""
    names: dict[str, Any] = {}
    for node in ast.parse(app_file.read_text("utf-8")).body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or value is None:
            continue
        try:
            names[target.id] = _literal(value, names)
        except (ValueError, KeyError, TypeError, SyntaxError):
            continue
        if target.id == "PAGES":
            return [
                AppPage(f"views/{e[0]}.py", e[1], e[2], access.PAGES[e[0]], default=(i == 0))
                for i, e in enumerate(names["PAGES"])
            ]
    raise RuntimeError(f"no PAGES list found in {app_file}")


def find_page(name: str) -> AppPage | None:
    """The page whose file stem is ``name`` (e.g. "incentives"), if app.PAGES lists it."""
    return next((p for p in app_pages() if p.name == name), None)


# -- server -----------------------------------------------------------------------------
def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def python_exe() -> str:
    """The project's virtualenv interpreter (the one running this code as a fallback)."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@dataclass
class Server:
    """The real app (``streamlit run app.py``) serving ``db`` on a free port.

    ``session_ttl`` sets ``server.disconnectedSessionTTL`` (Streamlit's default is 120 s):
    how long the server keeps a closed tab's session before it may free it. ``app_dir`` is
    the checkout whose app.py runs (this one by default; another to try out a change).
    """

    db: Path
    log_path: Path
    session_ttl: int | None = None
    app_dir: Path = ROOT
    extra_args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90.0) -> Server:
        """Start the server and wait until /_stcore/health answers ok."""
        cmd = [
            python_exe(),
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        if self.session_ttl is not None:
            cmd += ["--server.disconnectedSessionTTL", str(self.session_ttl)]
        cmd += list(self.extra_args)
        env = {**os.environ, "LAB_DB": str(self.db), "PYTHONUNBUFFERED": "1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=self.app_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return self
            except OSError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout_s:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 15 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_tail(self, n: int = 4000) -> str:
        """The end of the server's output."""
        try:
            return self.log_path.read_text("utf-8", errors="replace")[-n:]
        except OSError:
            return ""

    def rss(self) -> int:
        """Resident memory of the server process now, bytes."""
        return _status_kb(self.proc.pid, "VmRSS") * 1024 if self.proc else 0

    def peak_rss(self) -> int:
        """Highest resident memory the server process has had (VmHWM), bytes."""
        return _status_kb(self.proc.pid, "VmHWM") * 1024 if self.proc else 0


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


# -- browser ----------------------------------------------------------------------------
def launch_browser(pw: Any) -> Any:
    """Debian's Chromium, headless. Playwright gives every launch a fresh temporary profile."""
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def new_context(browser: Any, *, locale: str = "en-US") -> Any:
    """A fresh browser context (own cookies and storage = a separate Streamlit session)."""
    ctx = browser.new_context(viewport=VIEWPORT, locale=locale, accept_downloads=True)
    ctx.on("page", RunCounter.attach)
    return ctx


@dataclass
class Watch:
    """Console errors, uncaught page errors and requests to other hosts seen by one page."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    @classmethod
    def attach(cls, page: Any) -> Watch:
        w = cls()
        page.on("console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: w.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: w.failed_requests.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: w.bad_responses.append(f"{r.url} ({r.status})") if r.status >= 400 else None)

        def on_request(r: Any) -> None:
            host = urlparse(r.url).hostname or ""
            if r.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in ("127.0.0.1", "localhost"):
                w.foreign_requests.append(r.url)

        page.on("request", on_request)
        return w

    def errors(self) -> list[str]:
        """Everything that counts as an error (known benign noise removed, see above)."""
        out = [f"console: {m}" for m in self.console_errors if not m.startswith(RESOURCE_CONSOLE)]
        out += [f"page error: {m}" for m in self.page_errors]
        out += [
            f"request failed: {m}"
            for m in self.failed_requests
            if (urlparse(m.split(" ")[0]).hostname or "") not in BENIGN_FAILED_HOSTS
        ]
        out += [
            f"error response: {m}"
            for m in self.bad_responses
            if not BENIGN_RESPONSE.match(urlparse(m.split(" ")[0]).path)
        ]
        return out


#: script_finished statuses of runs that completed (a whole page, or a fragment).
COMPLETED_RUNS = (
    ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY,
    ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
)


class RunCounter:
    """Counts the script runs the server reports finished to one page (and its open requests).

    Every run (full or fragment) ends with a ``script_finished`` ForwardMsg on the page's
    websocket; counting those is exact, unlike watching the DOM, whose "running" state can
    come and go between two observations.
    """

    _by_page: ClassVar[weakref.WeakKeyDictionary[Any, RunCounter]] = weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.finished = 0
        self.inflight = 0  # HTTP requests sent and not yet answered (lazy JS chunks, media)

    @classmethod
    def attach(cls, page: Any) -> RunCounter:
        if page in cls._by_page:
            return cls._by_page[page]
        counter = cls._by_page[page] = cls()
        page.on("websocket", lambda ws: ws.on("framereceived", counter.frame))
        page.on("request", counter._sent)
        page.on("requestfinished", counter._done)
        page.on("requestfailed", counter._done)
        return counter

    def _sent(self, _request: Any) -> None:
        self.inflight += 1

    def _done(self, _request: Any) -> None:
        self.inflight -= 1

    @classmethod
    def of(cls, page: Any) -> RunCounter:
        found = cls._by_page.get(page)
        if found is None:
            raise RuntimeError("open pages with harness.new_context (it counts their script runs)")
        return found

    def frame(self, payload: bytes | str) -> None:
        if isinstance(payload, (bytes, bytearray)):
            msg = ForwardMsg()
            msg.ParseFromString(bytes(payload))
            # A run cut short by a rerun request also ends with script_finished; the page is
            # not drawn until the run that replaced it completes, so only completed runs count.
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished in COMPLETED_RUNS:
                self.finished += 1


#: True when the app is connected, no script runs and no element is stale (left from a run).
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
      && app.getAttribute('data-test-script-state') === 'notRunning'
      && document.querySelectorAll('[data-stale="true"]').length === 0;
}"""


def runs(page: Any) -> int:
    """Script runs the server has finished for this page."""
    return RunCounter.of(page).finished


def wait_idle(page: Any, timeout_ms: float = 90_000, *, min_runs: int = 1) -> None:
    """Wait until ``min_runs`` script runs have finished and the app is connected, idle, not stale."""
    counter = RunCounter.of(page)
    deadline = time.monotonic() + timeout_ms / 1000
    while counter.finished < min_runs:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"no script run finished within {timeout_ms / 1000:.0f}s ({counter.finished} of {min_runs})"
            )
        page.wait_for_timeout(20)  # lets Playwright deliver the websocket events
    page.wait_for_function(IDLE_JS, timeout=max(deadline - time.monotonic(), 1) * 1000, polling=20)


#: Resolves once the DOM has had no changes for ``quiet`` ms (lazy components such as
#: st.metric and charts render a little after the script run has finished).
SETTLE_JS = """([quiet, limit]) => new Promise((resolve) => {
  const t0 = performance.now();
  let last = t0;
  const obs = new MutationObserver(() => { last = performance.now(); });
  obs.observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
  const tick = () => {
    const now = performance.now();
    if (now - last >= quiet || now - t0 >= limit) { obs.disconnect(); resolve([now - t0, last - t0]); }
    else setTimeout(tick, 25);
  };
  tick();
})"""


def settle(page: Any, quiet_ms: float = 300, limit_ms: float = 15_000) -> float:
    """Wait until no HTTP request is open and the DOM has not changed for ``quiet_ms``.

    Returns the seconds from the call to the last DOM change (0 when nothing changed): the
    moment lazily loaded components (charts, metrics) finished drawing.
    """
    counter = RunCounter.of(page)
    waited, last = 0.0, 0.0
    while True:
        spent, changed = page.evaluate(SETTLE_JS, [quiet_ms, limit_ms])
        if changed > 0:
            last = waited + changed
        waited += spent
        if counter.inflight <= 0 or waited >= limit_ms:
            return last / 1000


def goto(page: Any, url: str, timeout_ms: float = 90_000) -> float:
    """Open ``url``, wait for the first script run and the drawing to finish; seconds to drawn."""
    t0 = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    idle = time.perf_counter() - t0
    return idle + settle(page)


def rerun(page: Any, action: Callable[[], object], timeout_ms: float = 90_000) -> float:
    """Do ``action`` (a widget change), wait for the script run it causes to finish; seconds."""
    before = runs(page)
    t0 = time.perf_counter()
    action()
    wait_idle(page, timeout_ms, min_runs=before + 1)
    return time.perf_counter() - t0


def sidebar(page: Any) -> Any:
    return page.get_by_test_id("stSidebar")


def labelled(scope: Any, testid: str, label: str) -> Any:
    """The widget (``stSelectbox``, ``stMultiSelect``, ...) in ``scope`` whose label is exactly ``label``."""
    page = getattr(scope, "page", scope)  # a Locator knows its page; a Page is its own
    return scope.get_by_test_id(testid).filter(has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))


def choose(page: Any, widget: Any, option: str) -> None:
    """Pick ``option`` (its exact text) in a select box or multiselect.

    The text is typed into the combo box first so the list holds just that option: clicking
    in the full list can hit a neighbour while the list scrolls to the current value.
    """
    box = widget.locator("input").first
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option, exact=True).click()


def metric_values(page: Any, timeout_ms: float = 30_000) -> dict[str, str]:
    """KPI tiles shown: label -> value text, once tiles are drawn and two reads agree.

    Pages that call this show tiles; on a loaded machine they can still be mounting (or one
    can be mid-replacement) right after the run's end, and a single read would report a
    missing tile that says nothing about the numbers.
    """

    def read() -> dict[str, str]:
        out = {}
        for m in page.get_by_test_id("stMetric").all():
            label = m.get_by_test_id("stMetricLabel").inner_text(timeout=5_000).strip()
            out[label] = m.get_by_test_id("stMetricValue").inner_text(timeout=5_000).strip()
        return out

    page.get_by_test_id("stMetricValue").first.wait_for(timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    last = read()
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        now = read()
        if now == last:
            return now
        last = now
    return last


def exceptions(page: Any) -> list[str]:
    """Text of every Streamlit exception box on the page."""
    return page.get_by_test_id("stException").all_inner_texts()


#: Every chart element: Plotly (SVG) and ECharts (canvas, or SVG).
CHARTS = '[data-testid="stPlotlyChart"], [data-testid="stEChartsChart"]'

#: ``(root) => [items, hash]`` of what one chart draws: its SVG paths and texts, and for a canvas
#: chart the description ECharts writes into ``aria-label`` from the drawn data (it is updated in
#: the same task that paints the canvas) plus a coarse sample of the canvas pixels.
CHART_DRAWING_JS = """(root) => {
  let h = 0, n = 0;
  const mix = (s) => { for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; n++; };
  for (const p of root.querySelectorAll('svg path, svg text')) mix((p.getAttribute('d') || '') + (p.textContent || ''));
  for (const el of root.querySelectorAll('[aria-label]')) mix(el.getAttribute('aria-label'));
  const canvases = root.querySelectorAll('canvas');
  if (canvases.length) {
    const probe = window.__labChartProbe = window.__labChartProbe || document.createElement('canvas');
    probe.width = 96; probe.height = 48;
    const cx = probe.getContext('2d', {willReadFrequently: true});
    for (const c of canvases) {
      if (!c.width || !c.height) continue;
      cx.clearRect(0, 0, 96, 48);
      cx.drawImage(c, 0, 0, 96, 48);
      const d = cx.getImageData(0, 0, 96, 48).data;
      for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + 3 * d[i + 1] + 7 * d[i + 2]) | 0;
      n++;
    }
  }
  return [n, h];
}"""

#: A short signature of what the charts matching ``sel`` draw, to tell when they are redrawn.
CHART_SIGNATURE_JS = (
    """(sel) => {
  const drawing = """
    + CHART_DRAWING_JS
    + """;
  const roots = document.querySelectorAll(sel);
  let h = 0, n = 0;
  for (const root of roots) { const [k, x] = drawing(root); n += k; h = (h * 31 + x) | 0; }
  return roots.length ? `${roots.length}:${n}:${h}` : '';
}"""
)
