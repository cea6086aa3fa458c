"""elinvoima-xl: budget follow-up and the half-year review of a Finnish municipal division.

The layers, from the bottom: `core` (pure domain: figures, arithmetic, checks), `ooxml` (packages
and files), `sources` (readers), `workbook` (layouts, writers, package surgery), `jobs` (every ribbon
button and command), `excel` (the xlwings side). `cli` is the command line, `udfs` and `ribbon`
the names every workbook calls (re-exports of `excel/`), `__main__` runs the CLI; `data` holds the
bundled review and mapping, `macros` the VBA modules and the ribbon XML. Each subpackage's
docstring says what lives there and what it may import.

The names below are the public API. They load lazily, so importing `elinvoima_xl.core` pulls in
nothing above the core, and nothing here imports xlwings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Settings": "core.calc", "complete": "core.calc", "execution_pct": "core.calc", "forecast": "core.calc",
    "remaining": "core.calc", "rollup": "core.rollup",
    "Finding": "core.checks", "has_errors": "core.checks", "run_checks": "core.checks",
    "ElinvoimaError": "core.errors", "InputError": "core.errors", "NumberFormatError": "core.errors",
    "bundled_review": "sources.load", "load_review": "sources.load",
    "Column": "core.model", "ColumnKind": "core.model", "Review": "core.model", "Table": "core.model",
    "COUNCIL": "core.structure", "INCOME_STATEMENT": "core.structure", "INVESTMENT": "core.structure",
    "Structure": "core.structure",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .core.calc import Settings, complete, execution_pct, forecast, remaining
    from .core.rollup import rollup
    from .core.checks import Finding, has_errors, run_checks
    from .core.errors import ElinvoimaError, InputError, NumberFormatError
    from .core.model import Column, ColumnKind, Review, Table
    from .core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Structure
    from .sources.load import bundled_review, load_review


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'elinvoima_xl' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
