"""The folders are the layers: each imports only the layers below it, the core imports nothing but itself, modules stay small."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .test_import_cycles import PACKAGE, _graph, _modules

# Bottom to top. A module may import its own layer and the layers below it, never above.
LAYERS = ["core", "ooxml", "sources", "workbook", "jobs", "excel"]
ENTRY_POINTS = {"elinvoima_xl", "elinvoima_xl.__main__", "elinvoima_xl.cli", "elinvoima_xl.ribbon",
                "elinvoima_xl.udfs"}            # above every layer: the command line and the names the workbooks call
RESOURCES = {"elinvoima_xl.data", "elinvoima_xl.macros"}      # files, no code to import
MAX_LINES = 500
# What the core may import outside itself, and the one module of the core the package layer may use.
CORE_ALLOWED = {"__future__", "collections", "dataclasses", "difflib", "enum", "functools", "itertools", "math",
                "numpy", "re", "typing", "unicodedata", "decimal", "hashlib", "textwrap", "statistics", "json",
                "operator", "string", "types", "bisect"}
OOXML_FROM_CORE = {"elinvoima_xl.core.errors"}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if module in ENTRY_POINTS:
        return len(LAYERS)
    if module in RESOURCES or len(parts) < 2:
        return None
    return LAYERS.index(parts[1])


def test_every_module_is_in_a_layer_or_an_entry_point() -> None:
    stray = [m for m in _modules() if m not in ENTRY_POINTS | RESOURCES and m.split(".")[1] not in LAYERS]
    assert stray == [], f"modules outside the layer folders: {stray}"


def test_imports_point_down() -> None:
    upward = []
    for module, targets in _graph().items():
        own = _layer(module)
        if own is None:
            continue
        for target in targets:
            other = _layer(target)
            if other is not None and other > own:
                upward.append(f"{module} -> {target}")
    assert upward == [], "imports into a higher layer: " + ", ".join(sorted(upward))


def test_the_package_layer_uses_only_the_errors_of_the_core() -> None:
    graph = _graph()
    used = {t for m, ts in graph.items() if m.startswith("elinvoima_xl.ooxml") for t in ts
            if t.startswith("elinvoima_xl.core")}
    assert used <= OOXML_FROM_CORE, used


def _third_party_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out - {"elinvoima_xl"}


def test_the_core_imports_no_io_excel_or_spreadsheet_library() -> None:
    checked = set()
    for module, path in _modules().items():
        if module.startswith("elinvoima_xl.core"):
            assert _third_party_imports(path) <= CORE_ALLOWED, (module, _third_party_imports(path) - CORE_ALLOWED)
            checked.add(path.resolve())
    # every file of the folder was checked (an empty or partial module list must not pass)
    assert checked == {p.resolve() for p in (PACKAGE / "core").glob("*.py")} and len(checked) > 1


def test_importing_the_core_loads_nothing_outside_it() -> None:
    """Directly or indirectly, at run time: the package's own __init__ loads its names lazily."""
    code = ("import sys, numpy; before = set(sys.modules); "
            "import importlib, pkgutil, elinvoima_xl.core as c; "
            "[importlib.import_module('elinvoima_xl.core.' + m.name) for m in pkgutil.iter_modules(c.__path__)]; "
            "print(sorted(m for m in set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = ast.literal_eval(out)                          # a printed list of module names
    ours = sorted(m for m in loaded if m.startswith("elinvoima_xl.") and not m.startswith("elinvoima_xl.core"))
    assert ours == [], ours
    banned = ("os.path", "io", "csv", "zipfile", "openpyxl", "xlsxwriter", "xlwings", "fastexcel", "pandas",
              "lxml", "pyarrow", "shutil", "tempfile", "pathlib", "subprocess", "socket", "smtplib")
    heavy = sorted(m for m in loaded if m.split(".")[0] in banned or m in banned)
    # io and os are loaded by the interpreter itself before any import; only new ones count.
    assert heavy == [], heavy


def test_no_module_is_over_500_lines() -> None:
    long = {m: n for m, p in _modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}, long


def test_each_subpackage_says_what_lives_there_and_what_it_may_import() -> None:
    for init in sorted(PACKAGE.rglob("__init__.py")):
        if init.parent.name in ("data", "macros"):
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "Here:" in doc or init.parent == PACKAGE, init
        assert "import" in doc, f"{init}: the docstring must say what the subpackage may import"


def test_each_docstring_names_every_module_of_its_folder() -> None:
    """The folder's map stays true: a module added without a word in its `__init__` fails here."""
    unnamed = {}
    for init in sorted(PACKAGE.rglob("__init__.py")):
        folder = init.parent
        if folder.name in ("data", "macros"):
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        parts = [p.stem for p in folder.glob("*.py") if p.stem != "__init__"]
        parts += [p.name for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
        missing = [m for m in parts if f"`{m}`" not in doc and f"`{m}/`" not in doc]
        if missing:
            unnamed[folder.relative_to(PACKAGE).as_posix() or "."] = missing
    assert len(list(PACKAGE.rglob("__init__.py"))) >= 9
    assert unnamed == {}, unnamed
