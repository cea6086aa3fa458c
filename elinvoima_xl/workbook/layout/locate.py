"""Where a finding points in the workbook, and the `Tarkistukset` sheet that links to it."""

from __future__ import annotations

import math

from ...core.checks import Finding
from ...core.labels import normalize_label
from ...core.model import Review, Table
from ...core.names import quote_sheet
from ...core.structure import INCOME_STATEMENT
from ...ooxml.cells import cell_ref
from ...sources.datafile import data_groups
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
    """Finds the cell a finding is about: the data sheet's figure, else the owned sheet's cell."""

    _LEVELS = {"division_sum": ("toimiala",), "council": ("valtuusto",), "investment_sum": ("investoinnit",)}
    _SEARCH = ("palvelualue", "investointi", "toimiala", "valtuusto", "investoinnit")

    def __init__(self, review: Review, dmap: DataMap, area_sheets: dict[str, str], grid: Grid) -> None:
        self.review, self.dmap, self.area_sheets, self.grid = review, dmap, area_sheets, grid
        self.tables = {(level, t.name.casefold()): t for level, t in data_groups(review)}
        for t in review.areas:
            self.tables.setdefault(("palvelualue", t.name.casefold()), t)
        self.goal_rows = {str(g.source): 1 + i for i, g in enumerate(review.goals)}
        self.kpi_rows = {k.name.casefold(): 1 + i for i, k in enumerate(review.kpis)}

    def _line_key(self, table: Table, label: str | None) -> str | None:
        if label is None:
            return None
        norm = normalize_label(label)
        for line in table.structure.lines:
            if normalize_label(line.label) == norm or normalize_label(table.labels.get(line.key, "")) == norm:
                return line.key
        return None

    def _column(self, name: str | None) -> int | str | None:
        if name is None:
            return None
        for j, c in enumerate(self.review.columns):
            if c.label == name or c.heading == name:
                return j
        n = normalize_label(name)
        if n.startswith("jäljellä"):
            return "rem"
        if n in ("%", "tot-%", "tot %"):
            return "pct"
        if n.startswith("ennuste"):
            return "forecast"
        return None

    def locate(self, f: Finding) -> tuple[str, int, int] | None:
        """(sheet, row, col) of the finding's cell, or None."""
        if f.code == "goal_status" and f.where in self.goal_rows:
            return GOALS_SHEET, self.goal_rows[f.where], 7
        if f.code == "kpi" and f.area and f.area.casefold() in self.kpi_rows:
            return KPI_SHEET, self.kpi_rows[f.area.casefold()], 0
        if f.area is None:
            return None
        col = self._column(f.column)
        for level in self._LEVELS.get(f.code, self._SEARCH):
            table = self.tables.get((level, f.area.casefold()))
            if table is None:
                continue
            key = self._line_key(table, f.line)
            if key is None:
                continue
            row = self.dmap.rows.get((level, table.name.casefold(), key))
            if row is not None:
                if isinstance(col, int):
                    return DATA_SHEET, row, self.dmap.columns[col]
                if col == "rem" and self.dmap.remaining_col is not None:
                    return DATA_SHEET, row, self.dmap.remaining_col
                if col == "pct" and self.dmap.pct_col is not None:
                    return DATA_SHEET, row, self.dmap.pct_col
            if level == "palvelualue" and table.name in self.area_sheets:
                r = 4 + INCOME_STATEMENT.index[key]
                c = {"rem": self.grid.remaining, "pct": self.grid.pct, "forecast": self.grid.forecast}.get(
                    col, self.grid.figure(col) if isinstance(col, int) else 0)   # type: ignore[arg-type]
                return self.area_sheets[table.name], r, c
            if row is not None:
                return DATA_SHEET, row, 2
        return None

    def marks(self, findings: list[Finding]) -> tuple[list[Mark], dict[str, dict[tuple[str, int], str]]]:
        """Fills for the data sheet, and for area sheet cells: {area: {(line key, col): fill}}."""
        marks: dict[tuple[int, int], str] = {}
        area: dict[str, dict[tuple[str, int], str]] = {}
        rank = {"info": 0, "warning": 1, "error": 2}
        for f in findings:
            if f.severity == "info":
                continue
            loc = self.locate(f)
            if loc is None:
                continue
            sheet, r, c = loc
            if sheet == DATA_SHEET:
                if rank[f.severity] > rank.get(marks.get((r, c), "info"), 0):
                    marks[(r, c)] = f.severity
            elif sheet in self.area_sheets.values():
                name = next(n for n, s in self.area_sheets.items() if s == sheet)
                key = INCOME_STATEMENT.lines[r - 4].key
                area.setdefault(name, {})[(key, c)] = FILL[f.severity]
        return [Mark(r, c, s) for (r, c), s in sorted(marks.items())], area


# ---------------------------------------------------------------------------- the other sheets

def checks_sheet(findings: list[Finding], locate: Locator) -> SheetLayout:
    sheet = SheetLayout(CHECKS_SHEET, owned=True, tab_color="C00000")
    counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
    sheet.put(0, 0, "Tarkistukset", style=TITLE)
    sheet.put(1, 0, f"Virheitä {counts['error']}, varoituksia {counts['warning']}, huomioita {counts['info']}. "
                    "Linkki vie soluun, jota havainto koskee.", style=SUBTITLE)
    heads = ("Vakavuus", "Tarkistus", "Alue", "Rivi", "Sarake", "Odotettu", "Annettu", "Ero", "Viesti", "Solu")
    for c, h in enumerate(heads):
        sheet.put(3, c, h, style=HEAD_LEFT)
    order = {"error": 0, "warning": 1, "info": 2}
    located = [(f, locate.locate(f)) for f in findings]
    # Errors first, then warnings, then notes; within each, those with a cell to go to first.
    located.sort(key=lambda fl: (order[fl[0].severity], fl[1] is None))
    for i, (f, loc) in enumerate(located, start=4):
        fill = FILL[f.severity]
        sheet.put(i, 0, SEVERITY_FI[f.severity], style=style(fill=fill, bold=f.severity == "error"))
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
