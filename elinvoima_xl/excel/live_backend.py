"""The jobs' workbook port over the workbook open in Excel, through xlwings: whole blocks, a bounded number of calls per sheet.

Takes an `xlwings.Book` (or anything with its interface: the tests use a strict fake);
imports nothing of xlwings itself. A sheet is written with one call for all its values
and formulas, then one call per block of cells sharing a format (a block is a run of
rows in a run of columns), per column width and per run of hidden rows: the number of
calls depends on the layout's shape, never on its number of rows of the same kind.
A tool sheet is proven the tool's before it is replaced, as in the file backend
(`live_ownership`): one the team changed is refused with its cells, one renamed or copied is
the team's, and every tool sheet written gets its fingerprint.
"""

from __future__ import annotations

__all__ = ["LiveBackend", "style_blocks"]

import re
from collections import defaultdict
from typing import Any

from ..workbook.layout import (
    CHECKS_SHEET,
    CONF_SHEET,
    DATA_SHEET,
    FILL,
    OWNED_NAME,
    Mark,
    SheetLayout,
    cell_ref,
    col_letter,
    parse_ref,
)
from ..workbook.ownership import FINGERPRINT_NAME, layout_fingerprints
from ..workbook.package_guard import refuse_modified
from .live_ownership import adopted, fingerprint_formula, live_status, marked_owned, sheet_names_of

Rows = list[tuple[object, ...]]
STANDARD_ROW_HEIGHT = 15.0


def _rgb(hex_rgb: str) -> tuple[int, int, int]:
    return int(hex_rgb[0:2], 16), int(hex_rgb[2:4], 16), int(hex_rgb[4:6], 16)


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted integers as (first, last) runs of consecutive values."""
    out: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


# Style fields xlwings can set on a Range (borders and alignment need the COM api: left to build/rebuild).
LIVE_PROPERTIES = ("number_format", "fill", "wrap", "bold", "italic", "size", "font_color")


def style_blocks(sheet: SheetLayout) -> dict[tuple[str, object], list[tuple[int, int, int, int]]]:
    """For each (style field, value) other than the default, its cells as rectangles (r1, c1, r2, c2), 0-based.

    Each field is grouped on its own (all amounts share one number format whether bold or
    not), rows of one column are joined into runs, neighbouring columns with the same runs
    into one rectangle: the count depends on the layout's shape, not its number of rows.
    """
    by_value: dict[tuple[str, object], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for c in sheet.cells:
        for field in LIVE_PROPERTIES:
            value = getattr(c.style, field)
            if value:
                by_value[(field, value)][c.col].append(c.row)
    out: dict[tuple[str, object], list[tuple[int, int, int, int]]] = {}
    for key, cols in by_value.items():
        rects: list[tuple[int, int, int, int]] = []
        open_: dict[tuple[int, int], tuple[int, int]] = {}    # row run -> (first col, last col)
        for col in sorted(cols):
            for run in _runs(cols[col]):
                span = open_.get(run)
                if span is not None and span[1] == col - 1:
                    open_[run] = (span[0], col)
                else:
                    if span is not None:
                        rects.append((run[0], span[0], run[1], span[1]))
                    open_[run] = (col, col)
        rects += [(run[0], span[0], run[1], span[1]) for run, span in open_.items()]
        out[key] = sorted(rects)
    return out


def _addresses(cells: list[tuple[int, int]], limit: int = 250) -> list[str]:
    """0-based cells as comma-joined A1 addresses, each string at most `limit` characters."""
    out: list[str] = []
    current = ""
    for row, col in cells:
        ref = cell_ref(row, col)
        if current and len(current) + 1 + len(ref) > limit:
            out.append(current)
            current = ""
        current = f"{current},{ref}" if current else ref
    if current:
        out.append(current)
    return out


class LiveBackend:
    """The port over an open workbook; `book` is an `xlwings.Book`."""

    def __init__(self, book: Any, autosave: bool = False) -> None:
        self.book = book
        self.name = str(book.name)
        self.autosave = autosave           # in Excel the team saves (or closes without saving to undo)
        self._old_marks: set[tuple[int, int]] = set()
        self.kept_as_teams: set[str] = set()    # the team's edited xlwings.conf, kept (as the file backend does)

    # -- reading ------------------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def owned_sheets(self) -> list[str]:
        """Sheets the tool may replace: marked as its own, and not renamed or copied by the team since."""
        out = []
        for s in self.book.sheets:
            name = s.name
            local = sheet_names_of(s) if name != CONF_SHEET else {}
            if name == CONF_SHEET or (marked_owned(local) and not adopted(name, local)):
                out.append(name)
        return out

    def read(self, sheet: str) -> Rows:
        ws = self.book.sheets[sheet]
        last = ws.used_range.last_cell
        # err_to_str: an error value (#DIV/0!) comes as its text, which the data's one reading
        # (datafile.figure) refuses with its cell, instead of as None, which would read as empty.
        values = ws.range((1, 1), (last.row, last.column)).options(ndim=2, err_to_str=True).value
        return [tuple(r) for r in values]

    # -- writing ------------------------------------------------------------------------

    def replace(self, sheets: list[SheetLayout], remove: list[str], after: str | None) -> None:
        names = self.sheet_names()
        verdicts = {}
        for s in remove:
            if s in names:
                ws = self.book.sheets[s]
                local = sheet_names_of(ws)
                if s == CONF_SHEET or marked_owned(local):
                    verdicts[s] = live_status(ws, local)
        conf = verdicts.pop(CONF_SHEET, None)
        if conf is not None and conf.status == "modified":
            # The team set xlwings' options (Interpreter_Win…): their xlwings.conf stays as it is.
            remove = [s for s in remove if s != CONF_SHEET]
            sheets = [s for s in sheets if s.name != CONF_SHEET]
            self.kept_as_teams.add(CONF_SHEET)
        refuse_modified(self.name, list(verdicts.values()), {s.name: s for s in sheets})   # before any change
        if CHECKS_SHEET in remove and CHECKS_SHEET in names:
            ws = self.book.sheets[CHECKS_SHEET]
            last = ws.used_range.last_cell
            self._old_marks = self._flagged(ws.range((1, 1), (last.row, last.column)).options(ndim=2).formula)
        keep = {s.name for s in sheets}
        anchor = after if after in names else None
        present = [names.index(s) for s in remove if s in names]
        if anchor is None and present:
            first = min(present)
            anchor = names[first - 1] if first > 0 else None
            while anchor in remove and anchor in names:   # the sheet before the first removed one that stays
                i = names.index(anchor)
                anchor = names[i - 1] if i > 0 else None
        for name in remove:
            if name not in keep and name in names:
                self.book.sheets[name].delete()
        prev = anchor
        for sheet in sheets:
            if sheet.name == CONF_SHEET:
                prev_for_this = self.book.sheets[len(self.book.sheets) - 1].name
            else:
                prev_for_this = prev
            ws = self._sheet(sheet.name, prev_for_this)
            self._render(ws, sheet)
            if sheet.name != CONF_SHEET:
                prev = sheet.name

    def _sheet(self, name: str, after: str | None) -> Any:
        """The sheet `name`, emptied (kept where it is), or a new one after `after`."""
        if name in self.sheet_names():
            ws = self.book.sheets[name]
            ws.clear()
            for chart in list(ws.charts):
                chart.delete()
            return ws
        if after is None:
            return self.book.sheets.add(name, before=self.book.sheets[0])
        return self.book.sheets.add(name, after=self.book.sheets[after])

    def _render(self, ws: Any, sheet: SheetLayout) -> None:
        if not sheet.cells:
            return
        rows = max(c.row for c in sheet.cells) + 1
        cols = max(c.col for c in sheet.cells) + 1
        grid: list[list[object]] = [[None] * cols for _ in range(rows)]
        for c in sheet.cells:
            value = c.formula if c.formula is not None else c.value
            if c.formula is None and isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
                value = "'" + value      # text stays text: Excel's own mark, not shown in the cell
            grid[c.row][c.col] = value
        ws.range((1, 1), (rows, cols)).value = grid
        for (field, setting), rects in style_blocks(sheet).items():
            for r1, c1, r2, c2 in rects:
                self._apply(ws.range((r1 + 1, c1 + 1), (r2 + 1, c2 + 1)), field, setting)
        widths: dict[float, list[int]] = defaultdict(list)
        for col, w in sheet.widths.items():
            widths[w].append(col)
        for w, columns in widths.items():
            for c1, c2 in _runs(columns):
                ws.range(f"{col_letter(c1)}:{col_letter(c2)}").column_width = w
        hidden = sorted(sheet.hidden_rows)
        shown = [r for r in range(rows) if r not in sheet.hidden_rows]
        for r1, r2 in _runs(shown):
            ws.range(f"{r1 + 1}:{r2 + 1}").row_height = STANDARD_ROW_HEIGHT
        for r1, r2 in _runs(hidden):
            ws.range(f"{r1 + 1}:{r2 + 1}").row_height = 0
        for chart in sheet.charts:
            col, first, last = chart.categories
            source = ",".join([f"{cell_ref(first - 1, col)}:{cell_ref(last, col)}",
                               *(f"{cell_ref(first - 1, vcol)}:{cell_ref(last, vcol)}" for _, vcol in chart.series)])
            anchor = ws.range(cell_ref(*chart.anchor))
            ch = ws.charts.add(anchor.left, anchor.top, 620, 460)
            ch.set_source_data(ws.range(source))
            ch.chart_type = "bar_clustered"
        if sheet.owned:   # Names.Add gives a name already there its new content
            ws.names.add(OWNED_NAME, "=TRUE")
            ws.names.add(FINGERPRINT_NAME, fingerprint_formula(layout_fingerprints([sheet])[sheet.name]))

    @staticmethod
    def _apply(rng: Any, field: str, value: object) -> None:
        if field == "number_format":
            rng.number_format = value
        elif field == "fill":
            rng.color = _rgb(str(value))
        elif field == "wrap":
            rng.wrap_text = True
        elif field == "font_color":
            rng.font.color = _rgb(str(value))
        else:   # bold, italic, size
            setattr(rng.font, field, value)

    @staticmethod
    def _flagged(formulas: list[list[object]]) -> set[tuple[int, int]]:
        """Data-sheet cells the previous checks coloured: errors and warnings whose link goes to `Tiedot`."""
        out = set()
        for row in formulas[4:]:
            if len(row) > 9 and row[0] in ("Virhe", "Varoitus") and isinstance(row[9], str):
                m = re.search(rf"#'?{DATA_SHEET}'?!([A-Z]+\d+)", row[9])
                if m:
                    out.add(parse_ref(m.group(1)))
        return out

    def mark(self, sheet: str, marks: list[Mark]) -> None:
        """Take our colour off the cells the previous checks flagged, put it on the new ones.

        Cells of one colour go in multi-area ranges ("G12,G16,…", Excel takes up to 255
        characters), so a hundred flagged cells cost a handful of calls.
        """
        ws = self.book.sheets[sheet]
        new = {(m.row, m.col): m.severity for m in marks}
        groups: dict[tuple[int, int, int] | None, list[tuple[int, int]]] = defaultdict(list)
        for cell in self._old_marks - set(new):
            groups[None].append(cell)
        for cell, severity in new.items():
            groups[_rgb(FILL[severity])].append(cell)
        for colour, cells in groups.items():
            for address in _addresses(sorted(cells)):
                ws.range(address).color = colour

    def progress(self, text: str) -> None:
        self.book.app.status_bar = text if text else False   # False gives the bar back to Excel

    def save(self) -> None:
        if self.autosave:
            self.book.save()
