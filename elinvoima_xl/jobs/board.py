"""The finished review for the board: the team workbook's own layout made print-ready, as a clean .xlsx and as a PDF.

The sheets are those of `layout.workbook_layout` (the division summary with the council
table and investments, one sheet per area, the goals), with figures as values instead of
references to the data sheet, subtotals and Jäljellä / TOT-% / Ennuste still native
formulas with their values stored, no macros, no UDFs, no charts. On top come print
settings (A4, landscape, fit to width, the title and column heads on every page, a page
break before the investments) and Finnish number formats that carry their locale
(`[$-40B]`), so a space separates thousands and a comma the decimals whatever the locale
of the machine that prints. Each area's sheet lists the heads' explanations of deviations
below its table. The division, council and investment totals are the printed figures where
they agree with their parts within the checks' rounding tolerance, else the sums of the parts.
The PDF is LibreOffice's rendering of the same .xlsx (headless).
"""

from __future__ import annotations

__all__ = ["AMOUNT_FI", "NOTES_SHEET", "PCT_FI", "PRINTED_NOTE", "SUMS_NOTE", "AreaNote", "board_layout", "board_pdf",
           "board_xlsx", "find_soffice"]

import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.calc import Settings, computed_table, convention_for
from ..core.checks import Code, Finding, Location, Severity
from ..core.errors import ElinvoimaError
from ..workbook.layout import (
    AMOUNT,
    DATA_SHEET,
    HEAD_LEFT,
    SUBTITLE,
    TITLE,
    GOALS_SHEET,
    PCT,
    SUMMARY_SHEET,
    Cell,
    PageSetup,
    SheetLayout,
    WorkbookLayout,
    quote_sheet,
    style,
    workbook_layout,
)
from ..core.model import Column, Level, Review, Table
from ..core.numbers import format_fi
from ..core.rollup import council_terms
from ..core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Kind, Structure

# Finnish, whatever the printing machine's locale: the format names its locale (fi-FI, 0x040B),
# and a negative amount gets the minus sign of Finnish typography (U+2212).
AMOUNT_FI = '[$-40B]#,##0;[$-40B]"\u2212"#,##0;0'
PCT_FI = "[$-40B]0.0"
FOOTER = "&L&8&A&R&8&P / &N"
_DATA_REF = quote_sheet(DATA_SHEET) + "!"
_TEXT_WIDTH = 1.0     # characters per unit of column width at the default font, for row heights


@dataclass(frozen=True)
class AreaNote:
    """A head's answer for one line of an area's table: the explanation of a deviation and/or a forecast."""

    line: str                       # the line's label as printed
    explanation: str
    forecast: float | None = None   # the head's year-end forecast in €


def _print_cell(cell: Cell) -> Cell:
    """A cell of the team's layout as the board gets it: data-sheet figures as values, Finnish formats."""
    formula = cell.formula
    if formula is not None and formula.startswith("=" + _DATA_REF):
        formula = None                       # the figure itself; the cached value is the figure
    fmt = cell.style.number_format
    look = cell.style
    if fmt == AMOUNT:
        look = replace(look, number_format=AMOUNT_FI)
    elif fmt == PCT:
        look = replace(look, number_format=PCT_FI)
    if look is cell.style and formula is cell.formula:
        return cell
    return cell._replace(formula=formula, style=style(**{f: getattr(look, f) for f in look.__dataclass_fields__}))


def _lines_needed(text: str, width_chars: float, bold: bool = False) -> int:
    per_line = max(int(width_chars * _TEXT_WIDTH * (0.85 if bold else 1.0)), 6)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _add_notes(sheet: SheetLayout, notes: list[AreaNote], width: int) -> int:
    """The heads' explanations below an area's table; returns the last row used."""
    top = max(c.row for c in sheet.cells) + 2
    sheet.put(top, 0, "Poikkeamien selitykset (palvelualue)", style=style(bold=True))
    r = top
    for note in notes:
        r += 1
        text = note.explanation or "(ei selitystä)"
        if note.forecast is not None:
            amount = f"{note.forecast:,.0f}".replace(",", "\u00a0").replace("-", "\u2212")
            text += f"\nPalvelualueen ennuste vuoden lopussa: {amount} €"
        sheet.put(r, 0, note.line, style=style(bold=True, wrap=True))
        sheet.put(r, 1, text, style=style(wrap=True))
        sheet.merges.append((r, 1, r, width - 1))
    return r


def _fit_rows(sheet: SheetLayout) -> None:
    """Row heights for wrapped text, set explicitly: neither Excel nor LibreOffice fits them on opening."""
    spans = {(m[0], m[1]): sum(sheet.widths.get(c, 8.43) for c in range(m[1], m[3] + 1)) for m in sheet.merges}
    need: dict[int, int] = {}
    for c in sheet.cells:
        if c.style.wrap and isinstance(c.value, str) and c.formula is None and c.row not in sheet.hidden_rows:
            width = spans.get((c.row, c.col), sheet.widths.get(c.col, 8.43))
            lines = _lines_needed(c.value, width, c.style.bold)
            if lines > 1 or "\n" in c.value:
                need[c.row] = max(need.get(c.row, 1), lines)
    sheet.heights.update({r: 15.0 * n for r, n in need.items()})


NOTES_SHEET = "Huomautukset"


def _errors_sheet(findings: list[Finding]) -> SheetLayout:
    """The checks' errors, for the board to see where printed figures and the sums of the areas disagree."""
    sheet = SheetLayout(NOTES_SHEET, owned=False, tab_color="C00000")
    sheet.put(0, 0, "Tarkastushuomautukset", style=TITLE)
    sheet.put(1, 0, "Painetut luvut, jotka eivät täsmää osiinsa pyöristystarkkuudella: näissä katsaus "
                    "näyttää osien summan. Muualla toimialan, valtuuston ja investointien luvut ovat "
                    "painettuja lukuja.",
              style=SUBTITLE)
    heads = ("Taulukko", "Rivi", "Sarake", "Painettu", "Osien summa", "Ero")
    for c, h in enumerate(heads):
        sheet.put(3, c, h, style=HEAD_LEFT)
    amount = style(number_format=AMOUNT_FI)
    for r, f in enumerate((f for f in findings if f.severity is Severity.ERROR), start=4):
        sheet.put(r, 0, f.area or "", style=style(wrap=True))
        sheet.put(r, 1, f.line or "")
        sheet.put(r, 2, f.column or "")
        for c, v in ((3, f.actual), (4, f.expected), (5, f.gap)):
            sheet.put(r, c, None if v is None or math.isnan(v) else float(v), style=amount)
    sheet.widths = {0: 34, 1: 26, 2: 16, 3: 15, 4: 15, 5: 13}
    _fit_rows(sheet)
    last = max(c.row for c in sheet.cells)
    sheet.page = PageSetup(landscape=True, repeat_rows=(3, 3), area=(0, 0, last, len(heads) - 1), footer=FOOTER)
    return sheet


# ---------------------------------------------------------------------------- printed totals

PRINTED_NOTE = ("Toimialan, valtuuston ja investointien yhteissummat ovat painettuja lukuja, kun ne täsmäävät "
                "osiinsa pyöristystarkkuudella; muuten palvelualueiden (investoinneissa ryhmien) summa.")
SUMS_NOTE = "Toimialan ja valtuuston luvut ovat palvelualueiden summia (painettua toimialan taulukkoa ei ole)."


def _error_cells(findings: list[Finding], code: Code, level: Level, table: Table) -> set[tuple[str, int]]:
    """(line key, column) of `table` (at `level`) where the checks report an error of `code`: printed beyond rounding.

    Matched by each finding's location (level, table, line key, column); a column printed twice marks both
    (the sum is kept).
    """
    bad = {(loc.line, loc.column) for f in findings
           if f.severity is Severity.ERROR and f.code is code and (loc := f.location) is not None
           and loc.level is level and loc.table == table.name}
    return {(k, j) for k in table.structure.keys for j, c in enumerate(table.columns) if (k, c) in bad}


class _Summary:
    """The board's summary sheet, cell by cell, for putting printed figures where the team's layout has sums."""

    def __init__(self, sheet: SheetLayout, n_columns: int) -> None:
        self.sheet = sheet
        self.n = n_columns
        self.at = {(c.row, c.col): i for i, c in enumerate(sheet.cells)}

    def cell(self, row: int, col: int) -> Cell:
        return self.sheet.cells[self.at[(row, col)]]

    def refresh(self, row: int, col: int, value: float) -> None:
        """The cell's cached value, its formula kept; a cell the layout does not have is left alone."""
        i = self.at.get((row, col))
        if i is not None:
            self.sheet.cells[i] = self.sheet.cells[i]._replace(value=float(value))

    def put(self, row: int, col: int, value: float, formula: str | None) -> None:
        """The cell's value and formula (None: the value itself)."""
        i = self.at[(row, col)]
        self.sheet.cells[i] = self.sheet.cells[i]._replace(value=float(value), formula=formula)

    def label_rows(self, top: int, structure: Structure) -> dict[str, int]:
        """Line key -> row of a table block starting at `top`, checked against the labels written there."""
        rows = {line.key: top + i for i, line in enumerate(structure.lines)}
        for line in structure.lines:
            if self.cell(rows[line.key], 0).value != line.label:       # pragma: no cover - a layout change
                raise ElinvoimaError(f"yhteenvedon rivi {rows[line.key] + 1} ei ole '{line.label}'.")
        return rows

    def block(self, rows: dict[str, int], structure: Structure, columns: tuple[Column, ...], printed: Table | None,
              use: set[tuple[str, int]], detail: Callable[[str, int], float],
              settings: Settings) -> npt.NDArray[np.float64]:
        """Rewrite one table block; returns the figures it shows (lines × columns).

        A cell in `use` shows the printed figure as a value. Any other detail keeps its formula (the sum
        of the parts) with the value `detail(key, j)`; any other subtotal keeps its formula, the sum of
        the terms shown above it. Jäljellä, TOT-% and Ennuste keep their formulas over the row and get
        the values that follow.
        """
        values = np.full((len(structure.lines), self.n), np.nan)
        totals = {ident.total: ident for ident in structure.identities}
        for li, line in enumerate(structure.lines):
            if line.kind is Kind.HEADER or line.key in totals:
                continue
            for j in range(self.n):
                if (line.key, j) in use and printed is not None:
                    values[li, j] = printed.values[printed.structure.index[line.key], j]
                    self.put(rows[line.key], 1 + j, values[li, j], None)
                else:
                    values[li, j] = detail(line.key, j)
                    self.refresh(rows[line.key], 1 + j, values[li, j])
        for ident in structure.evaluation_order:
            li = structure.index[ident.total]
            for j in range(self.n):
                if (ident.total, j) in use and printed is not None:
                    values[li, j] = printed.values[printed.structure.index[ident.total], j]
                    self.put(rows[ident.total], 1 + j, values[li, j], None)
                else:
                    values[li, j] = sum(c * values[structure.index[t], j]
                                        for t, c in zip(ident.terms, ident.coefficients))
                    self.refresh(rows[ident.total], 1 + j, values[li, j])
        table = Table.empty("", structure, columns)
        table.values = values
        ct = computed_table(table, settings)
        for li, line in enumerate(structure.lines):
            if line.kind is Kind.HEADER:
                continue
            r = rows[line.key]
            self.refresh(r, 1 + self.n, ct.remaining[li])
            self.refresh(r, 2 + self.n, ct.pct[li])
            self.refresh(r, 3 + self.n, ct.forecast.values[li])
        return values


# The summary sheet's blocks as `workbook_layout` places them: the division's table from row 4, the
# council's two rows below it, then the investment groups (each name row, lines, a blank row) under a heading.
_DIVISION_TOP = 4
_COUNCIL_TOP = _DIVISION_TOP + len(INCOME_STATEMENT.lines) + 2
_INVESTMENTS_TOP = _COUNCIL_TOP + len(COUNCIL.lines) + 2


def _cell_location(level: Level, table: Table, key: str, column: Column) -> Location:
    """A cell of a financial table as the checks locate it (`Finding.location` without the source row)."""
    return Location(level, table.name, key, column)


def _matching(table: Table | None, structure: Structure, columns: tuple[Column, ...]) -> Table | None:
    """`table` if it has the board's lines and columns, else None (its figures cannot be placed)."""
    if table is None or table.structure.keys != structure.keys or table.columns != columns:
        return None
    return table


def _printed_use(table: Table | None, errors: set[tuple[str, int]],
                 columns: tuple[Column, ...]) -> set[tuple[str, int]]:
    """Cells of `table` printed and not an error: shown as printed (none if the table's columns differ)."""
    if table is None:
        return set()
    return {(k, j) for k in table.structure.keys for j in range(len(columns))
            if table.structure.line(k).kind is not Kind.HEADER
            and not np.isnan(table.values[table.structure.index[k], j]) and (k, j) not in errors}


def _printed_totals(sheet: SheetLayout, review: Review, findings: list[Finding], settings: Settings) -> list[Finding]:
    """Put the printed division, council and investment totals on the board's summary where they agree
    with their parts within rounding; returns the errors for the board's notes, each with the sum the
    summary shows in its place, plus the council figures left out because the division line they repeat
    is an error (the checks compare those with the printed division, not with the areas)."""
    columns = review.columns
    n = len(columns)
    s = _Summary(sheet, n)
    signed = convention_for(review, settings).apply   # the identities as the review prints them
    notes: list[Finding] = []
    shown_sums: dict[tuple[Code, Location], float] = {}

    def keep(code: Code, level: Level, table: Table, cells: set[tuple[str, int]],
             values: npt.NDArray[np.float64]) -> None:
        for key, j in cells:
            shown_sums.setdefault((code, _cell_location(level, table, key, columns[j])),
                                  float(values[table.structure.index[key], j]))

    # The division: a printed figure within rounding of the sum of the areas; else a line is that sum and
    # a subtotal the sum of the lines shown above it (as in the team's workbook).
    div_rows = s.label_rows(_DIVISION_TOP, INCOME_STATEMENT)
    div = _matching(review.division_table, INCOME_STATEMENT, columns)
    div_errors = _error_cells(findings, Code.DIVISION_SUM, Level.DIVISION, div) if div is not None else set()
    div_use = _printed_use(div, div_errors, columns)
    div_values = s.block(div_rows, signed(INCOME_STATEMENT), columns, div, div_use,
                         lambda k, j: float(s.cell(div_rows[k], 1 + j).value or 0.0), settings)
    if div is not None:
        keep(Code.DIVISION_SUM, Level.DIVISION, div, div_errors, div_values)

    # The council: printed where it agrees with the division (checks) and the division line is not an error.
    # Each council line is one line of the division (`rollup.council_terms`, in the review's convention).
    terms = council_terms(signed(COUNCIL), signed(INCOME_STATEMENT))
    council_rows = s.label_rows(_COUNCIL_TOP, COUNCIL)
    council = _matching(review.council, COUNCIL, columns)
    council_use: set[tuple[str, int]] = set()
    if council is not None:
        errors = _error_cells(findings, Code.COUNCIL, Level.COUNCIL, council)
        candidates = _printed_use(council, errors, columns)
        for key, j in sorted(candidates):
            src = terms[key].line
            if (src, j) in div_errors:
                p = float(council.values[COUNCIL.index[key], j])
                shown = float(div_values[INCOME_STATEMENT.index[src], j])
                col = columns[j]
                unit = "t€" if col.unit == 1000 else "€"
                notes.append(Finding(
                    Severity.ERROR, Code.COUNCIL, council.name, COUNCIL.labels[key], col.label, shown, p, p - shown,
                    f"{council.name}, {COUNCIL.labels[key]}, {col.label}: painettu {format_fi(p)} {unit}, toimialan "
                    f"{INCOME_STATEMENT.labels[src]} ei täsmää palvelualueisiin; katsaus näyttää niiden summan "
                    f"{format_fi(shown)} {unit}.",
                    None, location=replace(_cell_location(Level.COUNCIL, council, key, col),
                                           source=council.sources.get(key))))
            else:
                council_use.add((key, j))

    def division_value(key: str, j: int) -> float:
        term = terms[key]
        return term.coefficient * float(div_values[INCOME_STATEMENT.index[term.line], j])

    council_values = s.block(council_rows, signed(COUNCIL), columns, council, council_use, division_value, settings)
    if council is not None:
        keep(Code.COUNCIL, Level.COUNCIL, council, _error_cells(findings, Code.COUNCIL, Level.COUNCIL, council),
             council_values)

    # The investment total: printed within rounding of the sum of the groups, else that sum.
    if review.investments:
        g = len(INVESTMENT.lines) + 2
        total_rows = s.label_rows(_INVESTMENTS_TOP + len(review.investments) * g + 1, INVESTMENT)
        total = _matching(review.investments_total, INVESTMENT, columns)
        inv_errors = (_error_cells(findings, Code.INVESTMENT_SUM, Level.INVESTMENTS, total) if total is not None
                      else set())
        inv_values = s.block(total_rows, signed(INVESTMENT), columns, total, _printed_use(total, inv_errors, columns),
                             lambda k, j: float(s.cell(total_rows[k], 1 + j).value or 0.0), settings)
        if total is not None:
            keep(Code.INVESTMENT_SUM, Level.INVESTMENTS, total, inv_errors, inv_values)
    listed: list[Finding] = []
    for f in findings:
        if f.severity is not Severity.ERROR:
            continue
        summed = shown_sums.get((f.code, replace(f.location, source=None))) if f.location is not None else None
        if summed is not None and f.actual is not None:
            f = replace(f, expected=summed, gap=f.actual - summed)    # the sum as the summary shows it
        listed.append(f)
    return listed + notes


def board_layout(review: Review, settings: Settings = Settings(),
                 notes: dict[str, list[AreaNote]] | None = None) -> WorkbookLayout:
    """The board's document as a layout: summary, council table, investments, every area with notes, goals.

    The division, council and investment totals show the printed figures where they agree with
    their parts within the checks' rounding tolerance (the accounts round the exact total, so a
    printed total is the more accurate one), else the sum of the parts. Where the checks find
    errors (a printed figure beyond rounding), a sheet `Huomautukset` after the summary lists them
    with the printed figure and the sum.
    """
    from ..core.checks import run_checks

    notes = notes or {}
    team = workbook_layout(review, [], settings)
    findings = run_checks(review, settings)
    keep = {SUMMARY_SHEET, GOALS_SHEET, *team.area_sheets.values()}
    by_area = {sheet: area for area, sheet in team.area_sheets.items()}
    sheets: list[SheetLayout] = []
    board_errors: list[Finding] = []
    for s in team.sheets:
        if s.name not in keep:
            continue
        sheet = SheetLayout(s.name, owned=False, cells=[_print_cell(c) for c in s.cells], widths=dict(s.widths),
                            freeze=s.freeze, hidden_rows=set(s.hidden_rows), rules=list(s.rules),
                            tab_color=s.tab_color)
        width = max(c.col for c in sheet.cells) + 1
        if s.name == GOALS_SHEET:
            sheet.page = PageSetup(landscape=True, repeat_rows=(0, 0), footer=FOOTER)
            # The heads' fields as the board reads them: narrower columns, the text wraps.
            sheet.widths = {0: 18, 1: 24, 2: 34, 3: 34, 4: 30, 5: 34, 6: 20, 7: 16}
        elif s.name == SUMMARY_SHEET:
            board_errors = _printed_totals(sheet, review, findings, settings)
            printed_any = any(t is not None for t in (review.division_table, review.council, review.investments_total))
            sheet.put(2, 0, PRINTED_NOTE if printed_any else SUMS_NOTE, style=replace(SUBTITLE, wrap=True))
            sheet.merges.append((2, 0, 2, width - 1))
            invest = _INVESTMENTS_TOP - 1 if review.investments else None     # the INVESTOINNIT heading
            last = max(c.row for c in sheet.cells)
            sheet.page = PageSetup(landscape=True, repeat_rows=(0, 3), area=(0, 0, last, width - 1),
                                   row_breaks=(invest,) if invest is not None else (), footer=FOOTER)
        else:
            area_notes = notes.get(by_area[s.name], [])
            last = _add_notes(sheet, area_notes, width) if area_notes else max(c.row for c in sheet.cells)
            # One area's table on one page: fit to one page wide; long explanations may take a second.
            table_end = 4 + len(INCOME_STATEMENT.lines)
            sheet.page = PageSetup(landscape=True, fit_height=1 if not area_notes else 0,
                                   repeat_rows=(0, 3), area=(0, 0, last, width - 1),
                                   row_breaks=(table_end + 1,) if len(area_notes) > 8 else (), footer=FOOTER)
        _fit_rows(sheet)
        sheets.append(sheet)
        if s.name == SUMMARY_SHEET and board_errors:
            sheets.append(_errors_sheet(board_errors))
    return WorkbookLayout(sheets, [], team.area_sheets)


def board_xlsx(review: Review, settings: Settings = Settings(), notes: dict[str, list[AreaNote]] | None = None) -> bytes:
    """The board's document as a clean .xlsx (values and native formulas; no macros, no UDFs, no links)."""
    from ..workbook.xlsx_writer import render_xlsx

    return render_xlsx(board_layout(review, settings, notes))


def find_soffice() -> str:
    """LibreOffice's `soffice`: $ELINVOIMA_SOFFICE, else on PATH, else its usual Windows and macOS places."""
    candidates = [os.environ.get("ELINVOIMA_SOFFICE") or "", shutil.which("soffice") or "",
                  shutil.which("libreoffice") or "",
                  r"C:\Program Files\LibreOffice\program\soffice.exe",
                  "/Applications/LibreOffice.app/Contents/MacOS/soffice"]
    for c in candidates:
        if c and Path(c).is_file():
            return c
    raise ElinvoimaError("PDF tehdään LibreOfficella, mutta sitä (soffice) ei löydy. Asenna LibreOffice tai anna "
                         "sen polku ympäristömuuttujassa ELINVOIMA_SOFFICE; Excel-versio syntyy ilman: "
                         "-o katsaus.xlsx --board.")


def board_pdf(xlsx: bytes, timeout: float = 240.0) -> bytes:
    """The .xlsx `xlsx` printed to PDF by LibreOffice headless, with a profile of its own (no user settings)."""
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix="elinvoima-pdf-") as tmp:
        src = Path(tmp) / "katsaus.xlsx"
        src.write_bytes(xlsx)
        profile = Path(tmp) / "profile"
        try:
            result = subprocess.run(
                [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", tmp, str(src)],
                capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ElinvoimaError(f"LibreOffice ei saanut PDF:ää valmiiksi {timeout:.0f} sekunnissa. "
                                 "Mitään ei kirjoitettu. Sulje muut LibreOffice-ikkunat ja yritä uudelleen.") from None
        out = Path(tmp) / "katsaus.pdf"
        if result.returncode != 0 or not out.is_file():
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
            raise ElinvoimaError(f"LibreOffice ei tehnyt PDF:ää ({detail[0]}). Mitään ei kirjoitettu.")
        return out.read_bytes()


def board_from_path(path: Path | None, settings: Settings = Settings(), pdf: bool = False) -> bytes:
    """The board's document for PATH (the team's workbook with the heads' collected answers, a data file,
    a review text, or None for the bundled review), as .xlsx bytes or, with `pdf`, PDF bytes."""
    from ..sources.load import load_review

    notes: dict[str, list[AreaNote]] = {}
    if path is not None and path.suffix.lower() == ".xlsm" and path.is_file():
        from .file_backend import FileBackend
        from .workbook_jobs import read_review

        port = FileBackend(path.read_bytes(), path.name)
        review, _ = read_review(port)
        notes = _collected_notes(port)
    else:
        review = load_review(path)
    xlsx = board_xlsx(review, settings, notes)
    return board_pdf(xlsx) if pdf else xlsx


def _collected_notes(port: Any) -> dict[str, list[AreaNote]]:
    """The heads' explanations and forecasts that `collect` put on the team's workbook (none before collecting)."""
    from ..core.explanations import EXPLANATIONS_SHEET, notes_from_rows

    if EXPLANATIONS_SHEET not in port.sheet_names():
        return {}
    return {area: [AreaNote(*n) for n in notes]
            for area, notes in notes_from_rows(port.read(EXPLANATIONS_SHEET)).items()}
