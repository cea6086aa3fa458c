"""A finding: one problem the checks see, with its severity, its kind and a structured location.

`Finding.line` and `Finding.column` are the texts a person reads (and JSON v1 carries);
`Finding.location` is what a program uses to find the figure: the table's level, the line's
key in its structure, the column, and the source row.
"""

from __future__ import annotations

__all__ = ["Code", "Finding", "Location", "Measure", "Severity", "has_errors", "rounding_tolerance"]

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from .model import Column, Level, Source

FloatArray = npt.NDArray[np.float64]


class Severity(StrEnum):
    """How bad a finding is; the value is what JSON v1 prints."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    """Which check made a finding; the value is the `code` of JSON v1."""

    LABEL = "label"
    IDENTITY = "identity"
    DIVISION_SUM = "division_sum"
    INVESTMENT_SUM = "investment_sum"
    COUNCIL = "council"
    REMAINING = "remaining"
    PCT = "pct"
    SIGN_FLIP = "sign_flip"
    NO_BUDGET = "no_budget"
    FAR_OVER = "far_over"
    BINDING = "binding"
    BINDING_FORECAST = "binding_forecast"
    GOAL_STATUS = "goal_status"
    KPI = "kpi"
    EXPLANATION = "explanation"


# Checks whose finding is a printed figure that disagrees with the sum of its parts.
SUM_CODES: frozenset[Code] = frozenset({Code.IDENTITY, Code.DIVISION_SUM, Code.INVESTMENT_SUM, Code.COUNCIL})


class Measure(StrEnum):
    """A column the review derives rather than prints as a period: Jäljellä, TOT-% and the forecast."""

    REMAINING = "remaining"
    PCT = "pct"
    FORECAST = "forecast"


@dataclass(frozen=True)
class Location:
    """Where a finding points: the table (level and name), the line's key, the column and the source row.

    `column` is a period column of the review, a derived `Measure`, or None (the whole line).
    """

    level: Level | None = None
    table: str | None = None
    line: str | None = None
    column: Column | Measure | None = None
    source: Source | None = None


@dataclass(frozen=True)
class Finding:
    """One problem, named so a person can find it: table, line, column, and file line or cell."""

    severity: Severity
    code: Code                   # which check: identity, division_sum, remaining, pct, ...
    area: str | None             # table name as printed (area, division, investment group)
    line: str | None             # line label as the structure names it (for people; the key is in `location`)
    column: str | None           # column heading, e.g. "TOT 2023 6 kk"
    expected: float | None       # what the arithmetic gives
    actual: float | None         # what is printed / given
    gap: float | None            # actual − expected
    message: str                 # Finnish, complete on its own
    where: str | None = None     # "seed.txt:89" or "Tyollisyyspalvelut!E12"
    rounding: bool = False       # True when the gap is within rounding tolerance
    cause: str | None = None     # `id` of the error this one follows from (a subtotal of a wrong line)
    location: Location | None = None   # not in JSON v1

    def __post_init__(self) -> None:
        # Plain strings (a caller's "error", "identity") become the enums, so comparisons are by member.
        if type(self.severity) is not Severity:
            object.__setattr__(self, "severity", Severity(self.severity))
        if type(self.code) is not Code:
            object.__setattr__(self, "code", Code(self.code))

    @property
    def id(self) -> str:
        """A reference to this finding: check, table, line and column."""
        return f"{self.code}:{self.area or ''}:{self.line or ''}:{self.column or ''}"

    @property
    def line_key(self) -> str | None:
        """The line's key in its table's structure, where the finding is about a line."""
        return self.location.line if self.location is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON v1: the fields as they have always been, plus `id` (the location is not part of it)."""
        return {
            "severity": str(self.severity), "code": str(self.code), "area": self.area, "line": self.line,
            "column": self.column, "expected": self.expected, "actual": self.actual, "gap": self.gap,
            "message": self.message, "where": self.where, "rounding": self.rounding, "cause": self.cause,
            "id": self.id,
        }


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == Severity.ERROR for f in findings)


def rounding_tolerance(n_figures: int | npt.NDArray[np.int_]) -> FloatArray:
    """Largest gap rounding alone can make when `n_figures` rounded figures meet in one identity.

    Each printed figure is off by at most half a unit, so an identity among n of them
    (terms and total) can be off by n/2 units. Anything larger is a real error.
    """
    return np.asarray(n_figures, dtype=float) / 2.0
