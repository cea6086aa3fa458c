"""A list sheet as layout: a header row in the heading look, then one row per item, empty values left out."""

from __future__ import annotations

__all__ = ["CellValue", "list_sheet", "plain", "sheet_value"]

from collections.abc import Callable, Iterable, Mapping, Sequence

from .values import HEAD_LEFT, PLAIN, SheetLayout, Style

CellValue = str | float | bool | None


def sheet_value(v: object) -> CellValue:
    """A value as a cell holds it: text, a number (as float), a truth value; anything else (a date the team typed) as its text."""
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return str(v)


def plain(_row: int, _col: int) -> Style:
    """Every cell below the header in the default look."""
    return PLAIN


def list_sheet(name: str, heads: Sequence[object], rows: Iterable[Sequence[object]], widths: Mapping[int, float],
               *, tab_color: str | None = None, freeze: tuple[int, int] = (1, 0),
               look: Callable[[int, int], Style] = plain,
               value: Callable[[object], CellValue] = sheet_value) -> SheetLayout:
    """The sheet `name`: `heads` on row 0 (every one, in `HEAD_LEFT`), each of `rows` below it.

    A value that is None or "" leaves its cell out (no formatted blank); the others go through
    `value` and get the look `look(row, col)` (row 1 is the first row under the header). The
    cells are put row by row, left to right: the order the writers give the shared strings.
    """
    sheet = SheetLayout(name, owned=False, tab_color=tab_color)
    for c, h in enumerate(heads):
        sheet.put(0, c, value(h), style=HEAD_LEFT)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is not None and v != "":
                sheet.put(r, c, value(v), style=look(r, c))
    sheet.widths = dict(widths)
    sheet.freeze = freeze
    return sheet
