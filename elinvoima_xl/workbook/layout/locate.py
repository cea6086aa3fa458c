"""Where a finding points in the workbook, and the `Tarkistukset` sheet that links to it."""

from __future__ import annotations

import math

from ...core.findings import Code, Finding, Measure, Severity
from ...core.model import Column, Level, Review
from ...core.names import quote_sheet
from ...core.structure import INCOME_STATEMENT
from ...ooxml.cells import cell_ref
from .tables import (
    Grid,
)
from .values import (
    CHECKS_SHEET,
    DATA_SHEET,
    FILL,
    GOALS_SHEET,
    HEAD_LEFT,
    KPI_SHEET,
    LINK,
    SEVERITY_FI,
    SUBTITLE,
    TITLE,
    DataMap,
    Mark,
    SheetLayout,
    _q,
    style,
)


class Locator:
    """Finds the cell a finding is about (by its `location`): the data sheet's figure, else the owned sheet's cell."""

    def __init__(self, review: Review, dmap: DataMap, area_sheets: dict[str, str], grid: Grid) -> None:
        self.review, self.dmap, self.area_sheets, self.grid = review, dmap, area_sheets, grid
        self.tables = {(level, t.name.casefold()): t for level, t in review.levelled()}
        self.goal_rows = {g.source: 1 + i for i, g in enumerate(review.goals)}
        self.kpi_rows = {k.name.casefold(): 1 + i for i, k in enumerate(review.kpis)}

    def _column(self, column: Column | Measure | None) -> int | Measure | None:
        """A period column's index in the review, or the derived measure."""
        if isinstance(column, Column):
            return self.review.columns.index(column) if column in self.review.columns else None
        return column

    def locate(self, f: Finding) -> tuple[str, int, int] | None:
        """(sheet, row, col) of the finding's cell, or None."""
        loc = f.location
        if loc is None:
            return None
        if f.code is Code.GOAL_STATUS and loc.source in self.goal_rows:
            return GOALS_SHEET, self.goal_rows[loc.source], 7
        if f.code is Code.KPI and loc.table and loc.table.casefold() in self.kpi_rows:
            return KPI_SHEET, self.kpi_rows[loc.table.casefold()], 0
        if loc.level is None or loc.table is None or loc.line is None:
            return None
        table = self.tables.get((loc.level, loc.table.casefold()))
        if table is None:
            return None
        key, col = loc.line, self._column(loc.column)
        row = self.dmap.rows.get((loc.level, table.name.casefold(), key))
        if row is not None:
            if isinstance(col, int):
                return DATA_SHEET, row, self.dmap.columns[col]
            if col is Measure.REMAINING and self.dmap.remaining_col is not None:
                return DATA_SHEET, row, self.dmap.remaining_col
            if col is Measure.PCT and self.dmap.pct_col is not None:
                return DATA_SHEET, row, self.dmap.pct_col
        if loc.level is Level.AREA and table.name in self.area_sheets:
            r = 4 + INCOME_STATEMENT.index[key]
            derived = {Measure.REMAINING: self.grid.remaining, Measure.PCT: self.grid.pct,
                       Measure.FORECAST: self.grid.forecast}
            c = self.grid.figure(col) if isinstance(col, int) else derived.get(col, 0) if col is not None else 0
            return self.area_sheets[table.name], r, c
        if row is not None:
            return DATA_SHEET, row, 2
        return None

    def marks(self, findings: list[Finding]) -> tuple[list[Mark], dict[str, dict[tuple[str, int], str]]]:
        """Fills for the data sheet, and for area sheet cells: {area: {(line key, col): fill}}."""
        marks: dict[tuple[int, int], Severity] = {}
        area: dict[str, dict[tuple[str, int], str]] = {}
        rank = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
        for f in findings:
            if f.severity is Severity.INFO:
                continue
            loc = self.locate(f)
            if loc is None:
                continue
            sheet, r, c = loc
            if sheet == DATA_SHEET:
                if rank[f.severity] > rank[marks.get((r, c), Severity.INFO)]:
                    marks[(r, c)] = f.severity
            elif sheet in self.area_sheets.values():
                name = next(n for n, s in self.area_sheets.items() if s == sheet)
                key = INCOME_STATEMENT.lines[r - 4].key
                area.setdefault(name, {})[(key, c)] = FILL[f.severity]
        return [Mark(r, c, s) for (r, c), s in sorted(marks.items())], area


# ---------------------------------------------------------------------------- the other sheets

def checks_sheet(findings: list[Finding], locate: Locator) -> SheetLayout:
    sheet = SheetLayout(CHECKS_SHEET, owned=True, tab_color="C00000")
    counts = {s: sum(f.severity is s for f in findings) for s in Severity}
    sheet.put(0, 0, "Tarkistukset", style=TITLE)
    sheet.put(1, 0, f"Virheitä {counts[Severity.ERROR]}, varoituksia {counts[Severity.WARNING]}, "
                    f"huomioita {counts[Severity.INFO]}. "
                    "Linkki vie soluun, jota havainto koskee.", style=SUBTITLE)
    heads = ("Vakavuus", "Tarkistus", "Alue", "Rivi", "Sarake", "Odotettu", "Annettu", "Ero", "Viesti", "Solu")
    for c, h in enumerate(heads):
        sheet.put(3, c, h, style=HEAD_LEFT)
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    located = [(f, locate.locate(f)) for f in findings]
    # Errors first, then warnings, then notes; within each, those with a cell to go to first.
    located.sort(key=lambda fl: (order[fl[0].severity], fl[1] is None))
    for i, (f, loc) in enumerate(located, start=4):
        fill = FILL[f.severity]
        sheet.put(i, 0, SEVERITY_FI[f.severity], style=style(fill=fill, bold=f.severity is Severity.ERROR))
        sheet.put(i, 1, f.code)
        sheet.put(i, 2, f.area or "")
        sheet.put(i, 3, f.line or "")
        sheet.put(i, 4, f.column or "")
        for c, v in ((5, f.expected), (6, f.actual), (7, f.gap)):   # the column formatted even where empty
            number = None if v is None or math.isnan(v) else float(v)
            sheet.put(i, c, number, style=style(number_format="#,##0.0"))
        sheet.put(i, 8, f.message)
        if loc is not None:
            text = f"{loc[0]}!{cell_ref(loc[1], loc[2])}"
            target = f"#{quote_sheet(loc[0])}!{cell_ref(loc[1], loc[2])}"
            sheet.put(i, 9, text, formula=f'=HYPERLINK("{_q(target)}","{_q(text)}")', style=LINK)
        elif f.where:
            sheet.put(i, 9, f.where)
    sheet.widths = {0: 10, 1: 16, 2: 28, 3: 26, 4: 15, 5: 12, 6: 12, 7: 12, 8: 90, 9: 22}
    sheet.freeze = (4, 0)
    return sheet
