"""The package's exceptions: raised only where the program cannot go on, each saying what to do.

Hierarchy::

    ElinvoimaError (Exception)
     └── InputError (ElinvoimaError, ValueError)   bad input at a known place
          └── NumberFormatError                    a cell that should hold a number

Problems *in* the figures of a well-formed input (a sum that does not hold, a misspelt
label) are not exceptions: they are `Finding` values returned by the checks.
"""

from __future__ import annotations

__all__ = ["ElinvoimaError", "InputError", "NumberFormatError", "Place"]

from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """Where in an input something was found: file, line, sheet, cell, column."""

    file: str | None = None
    line: int | None = None
    sheet: str | None = None
    cell: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"rivi {self.line}")
        if self.sheet:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        elif self.cell:
            parts.append(self.cell)
        if self.column:
            parts.append(f"sarake '{self.column}'")
        return ", ".join(parts)


class ElinvoimaError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(ElinvoimaError, ValueError):
    """An input file or value cannot be read; the message says where and what to do."""

    def __init__(self, message: str, place: Place | None = None, hint: str | None = None):
        self.place = place
        self.hint = hint
        self.bare_message = message
        text = f"{place}: {message}" if place and str(place) else message
        if hint:
            text = f"{text} {hint}"
        super().__init__(text)


class NumberFormatError(InputError):
    """A cell that should hold a number holds something else."""
