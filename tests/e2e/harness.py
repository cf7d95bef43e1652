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
    ``script`` is the script run, relative to ``app_dir`` (``app.py``; the benchmarks' floor
    app is ``bench/floor_app.py``): it runs from ``app_dir``, so under the same
    ``.streamlit/config.toml`` as the product.
    """

    db: Path
    log_path: Path
    session_ttl: int | None = None
    app_dir: Path = ROOT
    extra_args: tuple[str, ...] = ()
    script: str = "app.py"
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
            self.script,
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

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system, children included), seconds.

        Read it before and after a move: the difference is that move's work on the server.
        """
        if self.proc is None:
            return 0.0
        import psutil

        t = psutil.Process(self.proc.pid).cpu_times()
        return float(t.user + t.system + t.children_user + t.children_system)


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

#: ``(host) => instance | null``: the ECharts instance drawing into ``host`` (the element ECharts
#: was initialised on, marked ``_echarts_instance_``: in Streamlit 1.67 the ``stEChartsChart``
#: element itself). Streamlit keeps it in the React state of
#: its chart component and exposes no registry, so it is found on the host's React fiber
#: (the state hooks of the components above it); cached per host while it is not disposed.
ECHARTS_INSTANCE_JS = """(host) => {
  const cache = window.__labEchartsInstances = window.__labEchartsInstances || new WeakMap();
  const isInst = (v) => !!v && typeof v === 'object' && typeof v.getOption === 'function'
    && typeof v.isDisposed === 'function' && typeof v.getDom === 'function' && !v.isDisposed()
    && v.getDom() === host;
  const known = cache.get(host);
  if (isInst(known)) return known;
  const key = Object.keys(host).find((k) => k.startsWith('__reactFiber$'));
  let found = null;
  for (let f = key ? host[key] : null, up = 0; f && up < 40 && !found; f = f.return, up++) {
    for (let h = f.memoizedState, k = 0; h && typeof h === 'object' && k < 200 && !found; h = h.next, k++) {
      const v = h.memoizedState;
      if (isInst(v)) found = v;
      else if (v && typeof v === 'object' && isInst(v.current)) found = v.current;
    }
  }
  if (found) cache.set(host, found);
  return found;
}"""

#: ``(instance) => signature`` of the data an ECharts instance draws: its title, the axes'
#: categories and every series' type, name, data and marked lines, read from
#: ``getOption()`` (the option the canvas was last painted from; ``setOption`` paints
#: synchronously, so the data read is the data drawn). Every value counts, however small
#: its effect on the pixels.
ECHARTS_DATA_JS = """(inst) => {
  const o = inst.getOption() || {};
  const all = (a) => (Array.isArray(a) ? a : a ? [a] : []);
  const parts = [
    all(o.title).map((x) => x.text),
    all(o.xAxis).map((x) => x.data || null),
    all(o.yAxis).map((x) => x.data || null),
    all(o.series).map((x) => [x.type, x.name, x.data, x.markLine ? x.markLine.data : null]),
  ];
  const s = JSON.stringify(parts);
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return 'data:' + s.length + ':' + h;
}"""

#: ``(canvas) => signature`` of every pixel of a 2D canvas (its full ``getImageData`` buffer):
#: the fallback for a canvas chart whose data cannot be read.
CANVAS_PIXELS_JS = """(canvas) => {
  if (!canvas.width || !canvas.height) return 'px:empty';
  const cx = canvas.getContext('2d');
  if (!cx) return 'px:none';
  const d = new Uint32Array(cx.getImageData(0, 0, canvas.width, canvas.height).data.buffer);
  let h = 0;
  for (let i = 0; i < d.length; i++) h = (Math.imul(h, 31) + d[i]) | 0;
  return 'px:' + canvas.width + 'x' + canvas.height + ':' + h;
}"""

#: ``(root) => [items, hash, how]`` of what one chart draws: its SVG paths and texts (Plotly, or
#: ECharts' SVG renderer) and the ``aria-label`` descriptions; for an ECharts canvas the data of
#: its instance (``ECHARTS_DATA_JS``), and for any other canvas every pixel
#: (``CANVAS_PIXELS_JS``). ``how`` says which: ``data``, ``pixels``, ``svg`` (joined by '+').
#: (It used to sample a 96x48 downscale of each canvas, which missed small bar changes.)
CHART_DRAWING_JS = (
    """(root) => {
  const instanceOf = """
    + ECHARTS_INSTANCE_JS
    + """;
  const dataOf = """
    + ECHARTS_DATA_JS
    + """;
  const pixelsOf = """
    + CANVAS_PIXELS_JS
    + """;
  let h = 0, n = 0;
  const how = new Set();
  const mix = (s) => { for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0; n++; };
  for (const p of root.querySelectorAll('svg path, svg text')) {
    mix((p.getAttribute('d') || '') + (p.textContent || ''));
    how.add('svg');
  }
  for (const el of root.querySelectorAll('[aria-label]')) mix(el.getAttribute('aria-label'));
  const read = new Set();
  const hosts = [root, ...root.querySelectorAll('[_echarts_instance_]')].filter((e) => e.hasAttribute('_echarts_instance_'));
  for (const host of hosts) {
    const inst = instanceOf(host);
    if (!inst) continue;
    mix(dataOf(inst));
    how.add('data');
    for (const c of host.querySelectorAll('canvas')) read.add(c);
  }
  for (const c of root.querySelectorAll('canvas')) {
    if (read.has(c)) continue;
    mix(pixelsOf(c));
    how.add('pixels');
  }
  return [n, h, [...how].sort().join('+')];
}"""
)

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


# -- timing one move ----------------------------------------------------------------------
#: Installs ``window.__labMove`` on the page: from now on it records the next key or pointer
#: press (``act``), and every animation frame which chart's drawing differs from what it drew
#: at install (``charts[id].first``: the first frame with a different drawing; ``last``: the
#: last frame its drawing changed), the last DOM mutation and the last time the script state
#: became ``notRunning``. ECharts instances are watched through their ``rendered`` events (the
#: data is read only when they paint); other charts are read every frame. A chart is named
#: after its element's ``st-key-`` class (its widget key), else ``chart<n>`` in page order.
MOVE_WATCH_JS = (
    """(sel) => {
  const drawing = """
    + CHART_DRAWING_JS
    + """;
  const instanceOf = """
    + ECHARTS_INSTANCE_JS
    + """;
  const dataOf = """
    + ECHARTS_DATA_JS
    + """;
  if (window.__labMove) window.__labMove.stop = true;
  const t0 = performance.now();
  const w = window.__labMove = {t0, act: null, charts: {}, lastMutation: t0, runEnd: null, sawRun: false,
                                stop: false, frames: 0};
  const hook = (inst) => {
    if (inst.__labRec) return inst.__labRec;
    const rec = inst.__labRec = {sig: dataOf(inst), finished: null};
    inst.on('rendered', () => { rec.sig = dataOf(inst); });
    inst.on('finished', () => { rec.finished = performance.now(); });
    return rec;
  };
  const read = () => {
    const out = [];
    const seen = {};
    document.querySelectorAll(sel).forEach((root, i) => {
      if (root.parentElement && root.parentElement.closest(sel)) return;  // drawn with its outer chart
      const holder = root.closest('[class*="st-key-"]');
      const m = holder && /(?:^|\\s)st-key-(\\S+)/.exec(holder.className);
      let id = m ? m[1] : 'chart' + i;
      seen[id] = (seen[id] || 0) + 1;
      if (seen[id] > 1) id += '#' + seen[id];
      const hosts = [root, ...root.querySelectorAll('[_echarts_instance_]')].filter((e) => e.hasAttribute('_echarts_instance_'));
      const insts = hosts.map(instanceOf);
      if (hosts.length && insts.every((x) => x)) {
        const recs = insts.map(hook);
        out.push([id, 'data', recs.map((r) => r.sig).join('|'), recs]);
      } else {
        const [, h, how] = drawing(root);
        out.push([id, how || 'none', String(h), null]);
      }
    });
    return out;
  };
  for (const [id, how, sig] of read()) w.charts[id] = {how, before: sig, first: null, last: null, finished: null};
  const app = document.querySelector('[data-testid="stApp"]');
  const obs = new MutationObserver((records) => {
    const now = performance.now();
    w.lastMutation = now;
    for (const r of records) {
      if (r.target === app && r.attributeName === 'data-test-script-state') {
        const state = app.getAttribute('data-test-script-state');
        if (state === 'running') w.sawRun = true;
        else if (state === 'notRunning') w.runEnd = now;
      }
    }
  });
  obs.observe(document.body, {childList: true, subtree: true, characterData: true, attributes: true});
  const mark = () => { if (w.act === null) w.act = performance.now(); };
  document.addEventListener('keydown', mark, {capture: true, once: true});
  document.addEventListener('pointerdown', mark, {capture: true, once: true});
  const tick = () => {
    if (w.stop) { obs.disconnect(); return; }
    const now = performance.now();
    w.frames++;
    for (const [id, how, sig, recs] of read()) {
      // a chart that appears during the move (a second element under the same key while the old
      // one is stale) is compared with what its key drew before, else with nothing
      const base = w.charts[id.split('#')[0]];
      const c = w.charts[id] = w.charts[id] || {how, before: base ? base.before : '', first: null, last: null, finished: null};
      c.how = how;
      if (sig !== (c.sig === undefined ? c.before : c.sig)) c.last = now;
      c.sig = sig;
      if (sig !== c.before && c.first === null) c.first = now;
      if (recs) c.finished = Math.max(...recs.map((r) => r.finished || 0)) || null;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  return Object.keys(w.charts);
}"""
)

#: ``([quiet, limit]) => ms``: resolves once the app is idle (``IDLE_JS``) and neither the DOM nor
#: any chart's drawing has changed for ``quiet`` ms, or after ``limit`` ms (then ``-1``).
MOVE_QUIET_JS = (
    """([quiet, limit]) => new Promise((resolve) => {
  const idle = """
    + IDLE_JS
    + """;
  const w = window.__labMove;
  const start = performance.now();
  const tick = () => {
    const now = performance.now();
    const lastChart = Math.max(0, ...Object.values(w.charts).map((c) => c.last || 0));
    if (idle() && now - Math.max(w.lastMutation, lastChart) >= quiet) resolve(now - start);
    else if (now - start >= limit) resolve(-1);
    else setTimeout(tick, 25);
  };
  tick();
})"""
)

#: Stops the watch and returns its record (times relative to the key or pointer press, ms).
MOVE_RESULT_JS = """() => {
  const w = window.__labMove;
  w.stop = true;
  const act = w.act === null ? w.t0 : w.act;
  const rel = (t) => (t === null || t === undefined ? null : t - act);
  const charts = {};
  for (const [id, c] of Object.entries(w.charts)) {
    const done = c.first === null ? null : Math.max(c.last || c.first, c.finished && c.finished > c.first ? c.finished : 0);
    charts[id] = {how: c.how, first: rel(c.first), done: rel(done)};
  }
  return {pressed: w.act !== null, charts, lastMutation: rel(w.lastMutation), runEnd: rel(w.runEnd),
          sawRun: w.sawRun, frames: w.frames};
}"""

#: Outcomes of :func:`measure_move`.
MOVE_CHANGED, MOVE_UNCHANGED, MOVE_NO_RUN, MOVE_TIMEOUT = "changed", "unchanged", "no run", "timeout"


@dataclass
class Move:
    """One widget move, timed in the page from the key (or pointer) press.

    ``status``: ``changed`` (a chart's drawing changed), ``unchanged`` (the run finished and the
    page settled, but no chart draws anything different), ``no run`` (no script run finished
    within the time allowed) or ``timeout`` (the page did not settle in time).
    ``first_chart_s``: to the first frame in which any chart's drawing differs (None when none
    changed); ``settled_s``: to the whole page settled: the run finished, every chart that
    changes redrawn (ECharts: its ``finished`` event), the last DOM change; ``run_s`` (this
    process's clock): to the server's "run finished" message received; ``charts``: each chart's
    first redraw (None: unchanged); ``how``: how each chart was read (``data``, ``pixels``,
    ``svg``); ``server_cpu_s``: the server's CPU time during the move (when a server is given);
    ``frames``: animation frames the page ran while watching (0: the page was not drawing, e.g.
    a hidden tab, and the chart times cannot be trusted).
    """

    status: str
    first_chart_s: float | None = None
    settled_s: float | None = None
    run_s: float | None = None
    server_cpu_s: float | None = None
    charts: dict[str, float | None] = field(default_factory=dict)
    how: dict[str, str] = field(default_factory=dict)
    frames: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the fields."""
        return {
            "status": self.status,
            "first_chart_s": self.first_chart_s,
            "settled_s": self.settled_s,
            "run_s": self.run_s,
            "server_cpu_s": self.server_cpu_s,
            "charts": self.charts,
            "how": self.how,
            "frames": self.frames,
        }


def measure_move(
    page: Any,
    act: Callable[[], object],
    *,
    charts: str = CHARTS,
    server: Server | None = None,
    quiet_ms: float = 400,
    run_timeout_s: float = 60.0,
    settle_timeout_s: float = 60.0,
) -> Move:
    """Do ``act`` (a key press on a slider, a click) and time what it changes on ``page``.

    Waits until the server reports a completed run (else ``no run`` after ``run_timeout_s``),
    then until the page is idle and nothing (DOM, chart drawing) has changed for ``quiet_ms``
    (else ``timeout`` after ``settle_timeout_s``); never raises for a slow or empty move. The
    times are measured in the page (see :class:`Move`); with ``server``, its CPU time is read
    just before ``act`` and after the page settled.
    """
    page.evaluate(MOVE_WATCH_JS, charts)
    counter = RunCounter.of(page)
    before = counter.finished
    cpu0 = server.cpu_seconds() if server else None
    t0 = time.perf_counter()
    act()
    run_s: float | None = None
    while counter.finished <= before:
        if time.perf_counter() - t0 > run_timeout_s:
            break
        page.wait_for_timeout(5)
    else:
        run_s = time.perf_counter() - t0
    waited = -1.0
    if run_s is not None:
        waited = page.evaluate(MOVE_QUIET_JS, [quiet_ms, settle_timeout_s * 1000])
    cpu = server.cpu_seconds() - cpu0 if server and cpu0 is not None else None
    rec = page.evaluate(MOVE_RESULT_JS)
    per = {k: (v["first"] / 1000 if v["first"] is not None else None) for k, v in rec["charts"].items()}
    how = {k: v["how"] for k, v in rec["charts"].items()}
    firsts = [s for s in per.values() if s is not None]
    move = Move(MOVE_CHANGED, run_s=run_s, server_cpu_s=cpu, charts=per, how=how, frames=int(rec["frames"]))
    move.first_chart_s = min(firsts) if firsts else None
    if run_s is None:
        move.status = MOVE_NO_RUN
        return move
    if waited < 0:
        move.status = MOVE_TIMEOUT
        return move
    ends = [rec["lastMutation"], rec["runEnd"], *(v["done"] for v in rec["charts"].values())]
    move.settled_s = max((e for e in ends if e is not None), default=0.0) / 1000
    if not firsts:
        move.status = MOVE_UNCHANGED
    return move
