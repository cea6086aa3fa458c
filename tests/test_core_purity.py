"""The core is pure: its modules import only each other, the standard library and numpy (functions' imports included)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import elinvoima_xl.core

CORE = Path(elinvoima_xl.core.__file__).resolve().parent
# Standard-library modules that read or write files, talk to the network or run programs: not in the core.
IO = {"io", "os", "shutil", "subprocess", "socket", "tempfile", "sqlite3", "csv", "json", "smtplib", "urllib",
      "http", "logging"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(level, module) of every import in the file; level 0 is absolute."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(0, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module or ""))
    return out


def test_core_imports_only_core_stdlib_and_numpy() -> None:
    modules = sorted(CORE.glob("*.py"))
    assert len(modules) >= 15      # every module of the core is looked at (checks are split in several)
    wrong = []
    for path in modules:
        for level, module in _imports(path):
            top = module.split(".")[0]
            if level == 1:
                assert (CORE / f"{top}.py").exists(), (path.name, module)   # a sibling in core/
            elif level > 1 or top == "elinvoima_xl":
                wrong.append((path.name, "." * level + module))            # something of the package outside core/
            elif top != "numpy" and (top not in sys.stdlib_module_names or top in IO):
                wrong.append((path.name, module))
    assert wrong == []


def test_every_core_module_stays_small() -> None:
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in CORE.glob("*.py")}
    assert {n: s for n, s in sizes.items() if s > 500} == {}
