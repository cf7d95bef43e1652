"""Guards that keep the layout of docs/architecture.md: one-way imports, no circles, small rooms.

Every import statement of the project's own code is read (module level and inside
functions), so a lazy ``import`` inside a function cannot hide a circle or a forbidden edge.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: Domain packages under analytics/ (siblings; they share code through the base only).
DOMAINS = ("ingest", "attribution", "talk_tracks", "anomalies", "incentives", "pilots", "audit")
#: Sibling edges a domain may take: the audit prices quarters with the incentive engine's public API.
ALLOWED_SIBLINGS = {("audit", "incentives")}
#: Longest page file (views/) and analysis module, in lines.
MAX_PAGE_LINES = 300
MAX_MODULE_LINES = 600
#: Analysis modules allowed above MAX_MODULE_LINES because they are one cohesive thing (why).
COHESIVE: dict[str, str] = {
    "analytics/demo.py": "one deterministic generator whose planted effects are documented together",
    "analytics/ingest/rules.py": "the import contract as one table: columns, kinds and ~370 lines of header synonyms",
}


def _project_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for top in ("analytics", "ui", "views"):
        files += sorted((ROOT / top).rglob("*.py"))
    return files


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in _project_files()}


def _resolve(name: str) -> str | None:
    """The project module ``name`` refers to (a module, or the package holding the name)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(path: Path) -> set[str]:
    """Project modules imported anywhere in ``path`` (module level or inside functions)."""
    tree = ast.parse(path.read_text("utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _resolve(alias.name)) is not None:
                    out.add(target)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}") if f"{base}.{alias.name}" in MODULES else _resolve(base)
                if target is not None:
                    out.add(target)
    out.discard(me)
    return out


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _external_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_guard_sees_a_circle_and_a_lazy_import():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    # a function-level import is an edge like any other
    assert "analytics.store" in GRAPH["analytics.cli.common"]


def test_no_import_circle_in_the_project():
    assert _cycles(GRAPH) == []


def test_analytics_never_imports_streamlit_ui_or_views():
    bad = {
        name: sorted(_external_imports(MODULES[name]) & {"streamlit", "ui", "views"})
        for name in MODULES
        if name.startswith("analytics")
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_no_analysis_module_imports_the_cli():
    offenders = {
        name: sorted(t for t in targets if t == "analytics.cli" or t.startswith("analytics.cli."))
        for name, targets in GRAPH.items()
        if name.startswith("analytics") and not name.startswith("analytics.cli") and name != "analytics.__main__"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_domain_packages_share_code_through_the_base_only():
    def domain(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 and parts[0] == "analytics" and parts[1] in DOMAINS else None

    edges = sorted(
        (name, target)
        for name, targets in GRAPH.items()
        for target in targets
        if domain(name)
        and domain(target)
        and domain(name) != domain(target)
        and (domain(name), domain(target)) not in ALLOWED_SIBLINGS
    )
    assert edges == []


def test_the_base_never_imports_a_domain():
    base = [
        n
        for n in MODULES
        if n.startswith("analytics.") and n.count(".") == 1 and n.split(".")[1] not in (*DOMAINS, "cli", "__main__")
    ]
    edges = sorted(
        (name, t) for name in base for t in GRAPH[name] if t.count(".") >= 1 and t.split(".")[1] in (*DOMAINS, "cli")
    )
    assert edges == []


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "views").glob("*.py")))
def test_page_files_stay_thin(page):
    lines = len((ROOT / "views" / page).read_text("utf-8").splitlines())
    assert lines <= MAX_PAGE_LINES, f"views/{page} has {lines} lines; move computation to analytics/ and widgets to ui/"


def test_analysis_modules_stay_small_unless_cohesive():
    big = {
        p.relative_to(ROOT).as_posix(): n
        for p in (ROOT / "analytics").rglob("*.py")
        if (n := len(p.read_text("utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert {k: v for k, v in big.items() if k not in COHESIVE} == {}
