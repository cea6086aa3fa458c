"""Dependencies point one way: no import cycle among the modules of elinvoima_xl, imports inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

import elinvoima_xl

PACKAGE = Path(elinvoima_xl.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package by its __init__)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ["elinvoima_xl", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules `name` imports anywhere in its file: at the top, in functions, under TYPE_CHECKING."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from .pkg import mod` imports the module pkg.mod; `from .mod import thing` the module mod
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:      # `import a.b.c` of a non-module tail: its module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each a cycle or a knot of cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walker_sees_lazy_and_relative_imports() -> None:
    graph = _graph()
    assert "elinvoima_xl.jobs.workbook_jobs" in graph["elinvoima_xl.jobs.team_workbook"]              # at the top
    assert "elinvoima_xl.jobs.file_backend" in graph["elinvoima_xl.jobs.team_workbook"]     # inside a function
    assert "elinvoima_xl.workbook.layout" in graph["elinvoima_xl.jobs.file_backend"]            # two dots
    assert "elinvoima_xl.sources.datafile" in graph["elinvoima_xl.jobs.workbook_jobs"]           # into a subpackage
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


# Knots still to untie; the list may only shrink (the folder restructure of issue 12 emptied it).
KNOWN: list[list[str]] = []


def test_no_import_cycle() -> None:
    cycles = sorted(_cycles(_graph()))
    new = [c for c in cycles if c not in KNOWN]
    assert new == [], "import cycles (each list is a knot of modules importing each other): " + repr(new)
    assert cycles == KNOWN, "a known knot was untied: take it off KNOWN"


def test_the_job_side_and_the_package_side_point_one_way() -> None:
    graph = _graph()
    for module in ("elinvoima_xl.jobs.file_backend", "elinvoima_xl.jobs.workbook_jobs", "elinvoima_xl.workbook.package_guard"):
        assert "elinvoima_xl.jobs.team_workbook" not in _reachable(graph, module), module
    assert "elinvoima_xl.jobs.collect" not in _reachable(graph, "elinvoima_xl.jobs.workbook_jobs")
    # the head's layout is data: its writers import it, never the other way
    head = _reachable(graph, "elinvoima_xl.workbook.head_layout")
    assert not head & {"elinvoima_xl.workbook.head_writer", "elinvoima_xl.workbook.xlsx_writer"}, head


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for w in graph[todo.pop()] - seen:
            seen.add(w)
            todo.append(w)
    return seen


def test_test_code_is_not_in_the_package() -> None:
    """The openpyxl writer is the benchmarks' baseline and a test's second writer: it lives in benchmarks/, not here."""
    assert not (PACKAGE / "writers" / "openpyxl_sheet.py").exists()
    sources = {name: path.read_text(encoding="utf-8") for name, path in _modules().items()}
    assert [n for n, text in sources.items() if "openpyxl_writer" in text or "openpyxl_sheet" in text] == []
