"""elinvoima-xl: budget follow-up and the half-year review of a Finnish municipal division.

The core (model, structure, calc, checks) is pure; readers live in `sources`, the command
line in `cli`. Nothing here imports xlwings: the core and the CLI run where Excel cannot.
"""

from .core.calc import Settings, complete, execution_pct, forecast, remaining
from .core.rollup import rollup
from .core.checks import Finding, has_errors, run_checks
from .core.errors import ElinvoimaError, InputError, NumberFormatError
from .sources.load import bundled_review, load_review
from .core.model import Column, ColumnKind, Review, Table
from .core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Structure

__version__ = "0.1.0"

__all__ = [
    "COUNCIL",
    "INCOME_STATEMENT",
    "INVESTMENT",
    "Column",
    "ColumnKind",
    "ElinvoimaError",
    "Finding",
    "InputError",
    "NumberFormatError",
    "Review",
    "Settings",
    "Structure",
    "Table",
    "bundled_review",
    "complete",
    "execution_pct",
    "forecast",
    "has_errors",
    "load_review",
    "remaining",
    "rollup",
    "run_checks",
]
