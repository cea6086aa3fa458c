"""The team workbook's layout as data (cells, formulas, formats, charts), built once from the core and rendered by every writer.

Pure: no I/O and no spreadsheet library. The xlsxwriter writer (build), the openpyxl
writer (rebuild) and the live Excel layer all render these objects, so no writer invents
its own layout. Rows and columns are 0-based; formulas are English-syntax Excel
formulas (as stored in the file) starting with "=".
"""

from __future__ import annotations

__all__ = [
    "CHECKS_SHEET",
    "CONF_SHEET",
    "DATA_SHEET",
    "GOALS_SHEET",
    "INPUT_SHEETS",
    "KPI_SHEET",
    "OWNED_NAME",
    "RISKS_SHEET",
    "SUMMARY_SHEET",
    "Cell",
    "Chart",
    "DataMap",
    "Mark",
    "PageSetup",
    "SheetLayout",
    "Style",
    "TextRule",
    "Validation",
    "WorkbookLayout",
    "area_sheet_names",
    "cell_ref",
    "col_letter",
    "data_sheet_layout",
    "parse_ref",
    "quote_sheet",
    "sheet_names",
    "workbook_layout",
]

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ..core.calc import (ComputedTable, Settings, apply_convention, computed_table, convention_for, council_values,
                   resolve, rollup)
from ..core.checks import Finding
from ..core.errors import ElinvoimaError
from ..core.labels import normalize_label
from ..core.model import Column, ColumnRoles, Review, Table, column_roles
from ..core.names import chart_title, clean_text, quote_sheet, sheet_name


@cache
def _roles(columns: tuple[Column, ...]) -> ColumnRoles:
    return column_roles(columns)


@cache
def style(**kw: object) -> Style:
    """One shared `Style` per distinct look (writers cache their formats by identity)."""
    return Style(**kw)  # type: ignore[arg-type]
from ..sources.datafile import SHEET_NAME, data_groups, data_row_keys, data_rows
from ..sources.review_text import TILA_CHOICES
from ..core.structure import COUNCIL, COUNCIL_FROM_INCOME, INCOME_STATEMENT, INVESTMENT, Kind, Structure

DATA_SHEET = SHEET_NAME
SUMMARY_SHEET = "Yhteenveto"
CHECKS_SHEET = "Tarkistukset"
GOALS_SHEET = "Tavoitteet"
KPI_SHEET = "Tunnusluvut"
RISKS_SHEET = "Riskit"
CONF_SHEET = "xlwings.conf"
INPUT_SHEETS = (DATA_SHEET, GOALS_SHEET, KPI_SHEET, RISKS_SHEET)   # the team's; rebuild never rewrites them
TEAM_SHEETS = ("Kohdistus", "Tuonnit")   # the team's sheets the ledger import adds
UDF_MODULE = "elinvoima_xl.udfs"
OWNED_NAME = "ElinvoimaOma"        # a sheet-scoped defined name on every sheet the tool owns

MAX_FORMULA = 8192                 # characters Excel allows in one formula
AMOUNT = "#,##0;-#,##0;0"           # shows "1 644" in a Finnish Excel
PCT = "0.00"                        # the review prints "38,20"
FILL = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
SEVERITY_FI = {"error": "Virhe", "warning": "Varoitus", "info": "Huomio"}
TILA_FILLS = {"Toteutuu": "C6EFCE", "Toteutuu osittain": "FFEB9C", "Ei toteudu": "FFC7CE"}


# ---------------------------------------------------------------------------- the objects

@dataclass(frozen=True)
class Style:
    bold: bool = False
    italic: bool = False
    size: float | None = None
    number_format: str | None = None
    fill: str | None = None          # RGB hex without '#'
    wrap: bool = False
    top_border: bool = False
    align: str | None = None         # "left", "center", "right"
    font_color: str | None = None    # RGB hex


PLAIN = Style()
TITLE = Style(bold=True, size=14)
SUBTITLE = Style(italic=True)
HEAD = Style(bold=True, wrap=True, fill="D9E1F2", align="center")
HEAD_LEFT = replace(HEAD, align="left")
LINK = Style(font_color="0563C1")


def _q(text: str) -> str:
    """Text inside a formula's string literal."""
    return text.replace('"', '""')


class Cell(NamedTuple):
    row: int
    col: int
    value: str | float | bool | None = None     # the value, or a formula's cached result
    formula: str | None = None
    style: Style = PLAIN


@dataclass(frozen=True)
class Chart:
    title: str
    categories: tuple[int, int, int]                      # (col, first row, last row) on the same sheet
    series: tuple[tuple[str, int], ...]                   # (name, value column), rows as categories
    anchor: tuple[int, int]


@dataclass(frozen=True)
class Validation:
    col: int
    first_row: int
    last_row: int
    choices: tuple[str, ...]


@dataclass(frozen=True)
class TextRule:
    """Conditional fill of cells in one column whose text equals `text`."""

    col: int
    first_row: int
    last_row: int
    text: str
    fill: str


@dataclass(frozen=True)
class Mark:
    """A fill set on a cell of the team's data sheet, where a finding points."""

    row: int
    col: int
    severity: str


@dataclass(frozen=True)
class PageSetup:
    """How a sheet prints (the board's document): A4, orientation, fit to pages, repeated rows, breaks."""

    landscape: bool = True
    fit_width: int = 1                            # pages across (0: as many as needed)
    fit_height: int = 0                           # pages down (0: as many as needed)
    repeat_rows: tuple[int, int] | None = None    # first and last row printed on top of every page
    area: tuple[int, int, int, int] | None = None  # first row, first col, last row, last col
    row_breaks: tuple[int, ...] = ()              # a new page starts at each of these rows
    footer: str = ""                              # Excel header/footer codes, e.g. "&R&P / &N"


@dataclass
class SheetLayout:
    name: str
    owned: bool                                   # regenerated by rebuild; else the team's sheet
    cells: list[Cell] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    freeze: tuple[int, int] | None = None
    hidden_rows: set[int] = field(default_factory=set)
    charts: list[Chart] = field(default_factory=list)
    validations: list[Validation] = field(default_factory=list)
    rules: list[TextRule] = field(default_factory=list)
    tab_color: str | None = None
    heights: dict[int, float] = field(default_factory=dict)            # row -> height in points
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, col, last row, col
    page: PageSetup | None = None                                       # print settings, where they matter

    def put(self, row: int, col: int, value: str | float | bool | None = None, formula: str | None = None,
            style: Style = PLAIN) -> None:
        if value == "" and formula is None:
            if style == PLAIN:
                return
            value = None   # a formatted blank cell
        self.cells.append(Cell(row, col, value, formula, style))


@dataclass
class WorkbookLayout:
    sheets: list[SheetLayout]
    data_marks: list[Mark]                        # fills on the data sheet for the findings
    area_sheets: dict[str, str]                   # area name -> sheet name


@dataclass(frozen=True)
class DataMap:
    """Where each figure of the review sits on the data sheet: 0-based rows and columns."""

    rows: dict[tuple[str, str, str], int]         # (level, table name casefolded, line key) -> row
    columns: tuple[int, ...]                      # sheet column of review.columns[j]
    remaining_col: int | None
    pct_col: int | None

    @classmethod
    def as_written(cls, review: Review) -> DataMap:
        """Positions of `data_rows(review)` written from A1 (what build writes)."""
        rows = {(level, t.name.casefold(), t.structure.lines[li].key): n
                for n, (level, t, li) in enumerate(data_row_keys(review), start=1)}
        n = len(review.columns)
        return cls(rows, tuple(range(3, 3 + n)), 3 + n, 4 + n)

    @classmethod
    def from_sheet(cls, review: Review, header: Sequence[object]) -> DataMap:
        """Positions in an existing data sheet read with `read_data_xlsx` (rows from the sources)."""
        rows: dict[tuple[str, str, str], int] = {}
        for level, table in data_groups(review):
            for key, src in table.sources.items():
                if src.row is not None:
                    rows[(level, table.name.casefold(), key)] = src.row - 1
        heads = [str(h).strip() if h is not None else "" for h in header]
        by_heading = {normalize_label(h): i for i, h in enumerate(heads) if h}
        cols = []
        for c in review.columns:
            found = next((i for i, h in enumerate(heads) if h and _same_column(h, c)), None)
            if found is None:
                raise ValueError(f"column {c.heading} not in the data sheet header")
            cols.append(found)
        rem = next((i for h, i in by_heading.items() if h.startswith("jäljellä")), None)
        pct = next((i for i, h in enumerate(heads) if h.endswith("%")), None)
        return cls(rows, tuple(cols), rem, pct)


def _same_column(heading: str, column: Column) -> bool:
    try:
        return Column.parse(heading) == column
    except ValueError:  # InputError: a heading that is not a period column
        return False


# ---------------------------------------------------------------------------- helpers

@cache
def col_letter(col: int) -> str:
    """0-based column index to letters: 0 -> A, 26 -> AA."""
    out = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row: int, col: int) -> str:
    return f"{col_letter(col)}{row + 1}"


def parse_ref(ref: str) -> tuple[int, int]:
    """"K12" -> (11, 10): 0-based row and column (the inverse of `cell_ref`)."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1


def _num(x: float) -> str:
    """A constant in a formula: shortest exact text."""
    return repr(float(x)).removesuffix(".0") if float(x).is_integer() else repr(float(x))


def _scaled(ref: str, factor: float) -> str:
    return ref if factor == 1 else f"{ref}*{_num(factor)}"


def _cached(x: float) -> float:
    return 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _term_sum(refs: list[str]) -> str:
    return "=" + "+".join(refs) if refs else "=0"


# ---------------------------------------------------------------------------- financial tables

@dataclass(frozen=True)
class _Grid:
    """Column positions of a financial table block."""

    columns: tuple[Column, ...]

    @property
    def roles(self) -> ColumnRoles:
        return _roles(self.columns)

    @property
    def n(self) -> int:
        return len(self.columns)

    def figure(self, j: int) -> int:
        return 1 + j

    @property
    def remaining(self) -> int:
        return 1 + self.n

    @property
    def pct(self) -> int:
        return 2 + self.n

    @property
    def forecast(self) -> int:
        return 3 + self.n

    @property
    def width(self) -> int:
        return 4 + self.n


def _header(sheet: SheetLayout, row: int, grid: _Grid, first: str) -> None:
    roles = grid.roles
    b, a = grid.columns[roles.budget], grid.columns[roles.actual]
    sheet.put(row, 0, first, style=HEAD_LEFT)
    for j, c in enumerate(grid.columns):
        sheet.put(row, grid.figure(j), f"{c.label}\n{c.unit_label}", style=HEAD)
    sheet.put(row, grid.remaining, f"Jäljellä\n{b.unit_label}", style=HEAD)
    sheet.put(row, grid.pct, "TOT-%", style=HEAD)
    sheet.put(row, grid.forecast, f"Ennuste {a.year}\n{a.unit_label}", style=HEAD)


def _derived(sheet: SheetLayout, r: int, grid: _Grid, ct: ComputedTable, li: int, settings: Settings,
             bold: bool, forecast_formula: str | None, fill: dict[int, str]) -> None:
    """Jäljellä, TOT-% and Ennuste of row r as formulas over the row's own figures."""
    roles = grid.roles
    b, a = grid.columns[roles.budget], grid.columns[roles.actual]
    ta = cell_ref(r, grid.figure(roles.budget))
    tot = cell_ref(r, grid.figure(roles.actual))
    rem = f"={ta}-{_scaled(tot, a.unit / b.unit)}"
    ratio = f"{_scaled(tot, a.unit)}/({_scaled(ta, b.unit)})"
    pct_expr = f"ROUND({ratio}*100,{settings.pct_decimals})"
    if settings.pct_absolute:
        pct_expr = f"ABS({pct_expr})"
    sheet.put(r, grid.remaining, _cached(ct.remaining[li]), rem,
              style(bold=bold, number_format=AMOUNT, fill=fill.get(grid.remaining)))
    sheet.put(r, grid.pct, _cached(ct.pct[li]), f"=IF({ta}=0,0,{pct_expr})",
              style(bold=bold, number_format=PCT, fill=fill.get(grid.pct)))
    if forecast_formula is not None:
        sheet.put(r, grid.forecast, _cached(ct.forecast.values[li]), forecast_formula,
                  style(bold=bold, number_format=AMOUNT, fill=fill.get(grid.forecast)))


def _forecast_formula(r: int, grid: _Grid, settings: Settings) -> str:
    """The core's forecast rule (calc.forecast_lines) as one Excel formula for a detail row."""
    roles = grid.roles
    a = grid.columns[roles.actual]
    tot = cell_ref(r, grid.figure(roles.actual))
    linear = f"{tot}*12/{roles.months}"
    if settings.forecast_method != "seasonal" or roles.prev_year is None or roles.prev_period is None:
        return f"={linear}"
    py_col, pp_col = grid.columns[roles.prev_year], grid.columns[roles.prev_period]
    py = cell_ref(r, grid.figure(roles.prev_year))
    pp = _scaled(cell_ref(r, grid.figure(roles.prev_period)), pp_col.unit / py_col.unit)   # in TP's unit
    share = f"({pp})/{py}"
    rest = f"{tot}+{_scaled(f'({py}-{pp})', py_col.unit / a.unit)}"
    sound = (f"AND({share}>={_num(settings.min_share)},{share}<={_num(settings.max_share)},"
             f"ABS({share})*(0.5/ABS({pp})+0.5/ABS({py}))<={_num(settings.max_share_uncertainty)})")
    return f"=IF({py}=0,{linear},IF({pp}=0,{rest},IF({sound},{tot}/({share}),{rest})))"


def _derived_totals(values: npt.NDArray[np.float64], structure: Structure) -> set[str]:
    """Subtotals whose identity has a known term in `values` (`calc.resolve`): the others are data."""
    derived = resolve(values, structure).derived
    flags = np.asarray(derived).reshape(-1, len(structure.identities)).all(axis=0)
    return {ident.total for ident, d in zip(structure.identities, flags) if d}


def _signed_sum(refs: list[str], coefficients: Sequence[float]) -> str:
    """An identity as a formula: "=A+B-C" (a coefficient is +1 or −1, `structure.SignConvention`)."""
    if not refs:
        return "=0"
    out = ""
    for n, (ref, c) in enumerate(zip(refs, coefficients)):
        out += ("-" if c < 0 else ("" if n == 0 else "+")) + ref
    return "=" + out


def _table_rows(sheet: SheetLayout, top: int, structure: Structure, grid: _Grid, ct: ComputedTable,
                figure: Callable[[str, int], tuple[str | None, float]], settings: Settings,
                shown: Callable[[str], bool], fills: dict[tuple[str, int], str] | None = None,
                with_forecast: bool = True, identity: set[str] | None = None,
                forecast_sum: set[str] | None = None) -> dict[str, int]:
    """Write one financial table, every line of `structure` from row `top`; returns line key -> row.

    Detail figures come from `figure(key, j)` -> (formula or None, cached value). A subtotal
    in `identity` is its identity over the rows, signed as the table's convention (the
    identities of `ct.table.structure`); any other subtotal is data, from `figure` too.
    Jäljellä, % and Ennuste are formulas over each row; a subtotal's Ennuste is the signed
    sum of its terms' where it is in `forecast_sum`, else forecast from its own figures
    (`calc.forecast`). Both sets default to the subtotals derived in `ct.table` (`calc.resolve`).
    """
    rows = {line.key: top + i for i, line in enumerate(structure.lines)}
    signed = ct.table.structure if ct.table.structure.keys == structure.keys else structure
    totals = {ident.total: ident for ident in signed.identities}
    if identity is None or forecast_sum is None:
        own = _derived_totals(ct.table.values, signed)
        identity = own if identity is None else identity
        forecast_sum = own if forecast_sum is None else forecast_sum
    fills = fills or {}
    for li, line in enumerate(structure.lines):
        r = rows[line.key]
        bold = line.bold
        sheet.put(r, 0, line.label, style=style(bold=bold, top_border=line.kind is Kind.SUBTOTAL))
        if not shown(line.key):
            sheet.hidden_rows.add(r)
        if line.kind is Kind.HEADER:
            continue
        row_fill = {c: f for (k, c), f in fills.items() if k == line.key}
        for j in range(grid.n):
            c = grid.figure(j)
            look = style(bold=bold, number_format=AMOUNT, fill=row_fill.get(c),
                         top_border=line.kind is Kind.SUBTOTAL)
            if line.key in totals and line.key in identity:
                ident = totals[line.key]
                refs = [cell_ref(rows[t], c) for t in ident.terms]
                sheet.put(r, c, _cached(ct.values[li, j]), _signed_sum(refs, ident.coefficients), look)
            elif line.key in totals:
                formula, _ = figure(line.key, j)
                sheet.put(r, c, _cached(ct.values[li, j]), formula, look)
            else:
                formula, cached = figure(line.key, j)
                sheet.put(r, c, _cached(cached), formula, look)
        fc: str | None = None
        if with_forecast:
            if line.key in totals and line.key in forecast_sum:
                ident = totals[line.key]
                fc = _signed_sum([cell_ref(rows[t], grid.forecast) for t in ident.terms], ident.coefficients)
            else:
                fc = _forecast_formula(r, grid, settings)
        _derived(sheet, r, grid, ct, li, settings, bold, fc, row_fill)
    return rows


def _sheet_frame(sheet: SheetLayout, title: str, subtitle: str, grid: _Grid, first_head: str) -> None:
    # Titles are presentation: an area name's control characters (kept as typed in Tiedot) are not shown.
    sheet.put(0, 0, clean_text(title), style=TITLE)
    sheet.put(1, 0, clean_text(subtitle), style=SUBTITLE)
    _header(sheet, 3, grid, first_head)
    sheet.widths = {0: 34.0, **{c: 13.5 for c in range(1, grid.width)}}
    sheet.freeze = (4, 1)


# ---------------------------------------------------------------------------- the workbook

def area_sheet_names(review: Review, reserved: Sequence[str] = ()) -> dict[str, str]:
    """Area name -> its sheet's name (valid, unique ignoring case, never one of the fixed sheets nor
    one of `reserved`: the team's own sheets in the workbook)."""
    taken = {n.casefold() for n in (SUMMARY_SHEET, CHECKS_SHEET, CONF_SHEET, *INPUT_SHEETS, *TEAM_SHEETS, *reserved)}
    return {t.name: sheet_name(t.name, taken) for t in review.areas}


def sheet_names(review: Review, with_inputs: bool = True) -> list[str]:
    """The sheets `workbook_layout` makes, in workbook order."""
    inputs = list(INPUT_SHEETS) if with_inputs else []
    return [SUMMARY_SHEET, *area_sheet_names(review).values(), CHECKS_SHEET, *inputs, CONF_SHEET]


def workbook_layout(review: Review, findings: list[Finding], settings: Settings = Settings(),
                    data_map: DataMap | None = None, reserved: Sequence[str] = ()) -> WorkbookLayout:
    """Every sheet of the team's workbook for `review`; `data_map` places figures on the data sheet.

    Without `data_map` the data sheet is written from the review (a new workbook); with one,
    the team's existing data sheet is referenced where it is (rebuild). Subtotal formulas follow
    the core: signed as the review's convention (`calc.convention_for`), and a subtotal given
    without its lines refers to its figure in Tiedot (`calc.resolve`).
    """
    # The identities in the review's sign convention (figures untouched): formulas follow the core.
    conv = convention_for(review, settings)
    review = apply_convention(review, conv)
    income, council_s, invest = conv.apply(INCOME_STATEMENT), conv.apply(COUNCIL), conv.apply(INVESTMENT)
    dmap = data_map or DataMap.as_written(review)
    grid = _Grid(review.columns)
    roles = grid.roles
    area_sheets = area_sheet_names(review, reserved)
    locate = _Locator(review, dmap, area_sheets, grid)
    marks, area_fills = locate.marks(findings)

    def data_figure(level: str, table: Table) -> Callable[[str, int], tuple[str | None, float]]:
        def figure(key: str, j: int) -> tuple[str | None, float]:
            row = dmap.rows.get((level, table.name.casefold(), key))
            value = table.values[table.structure.index[key], j]
            if row is None:
                return None, 0.0
            return f"={quote_sheet(DATA_SHEET)}!{cell_ref(row, dmap.columns[j])}", value
        return figure

    sheets: list[SheetLayout] = []
    # Division summary: every line the sum of the area sheets.
    summary = SheetLayout(SUMMARY_SHEET, owned=True, tab_color="1F4E78")
    _sheet_frame(summary, review.division, f"{review.title} – yhteenveto palvelualueista", grid, "")
    # Absent stays absent (`calc.resolve`): an area that gives only its subtotals counts in them.
    stack = (np.stack([t.values for t in review.areas]) if review.areas
             else np.full((0, len(INCOME_STATEMENT.lines), len(review.columns)), np.nan))
    division = Table.empty(review.division, income, review.columns)
    division.values = rollup(stack, income)
    div_ct = computed_table(division, settings)
    # A division subtotal is its identity where every area derives it; else the sum of the areas' cells.
    div_identity = (_derived_totals(stack, income) if review.areas
                    else {ident.total for ident in income.identities})
    area_cts = [computed_table(t, settings, recompute=True) for t in review.areas]
    present_any = np.zeros(len(INCOME_STATEMENT.lines), dtype=bool)
    for ct in area_cts:
        present_any |= ct.present
    area_present = {k: bool(present_any[INCOME_STATEMENT.index[k]]) for k in INCOME_STATEMENT.keys}
    row_of: dict[str, int] = {}

    def summed(key: str, j: int) -> tuple[str | None, float]:
        refs = [f"{quote_sheet(area_sheets[t.name])}!{cell_ref(row_of[key], grid.figure(j))}" for t in review.areas]
        formula = _term_sum(refs)
        if len(formula) > MAX_FORMULA:
            raise ElinvoimaError(
                f"yhteenvedon kaava olisi {len(formula)} merkkiä, Excel sallii {MAX_FORMULA}: palvelualueita on "
                f"{len(review.areas)}. Lyhennä palvelualueiden nimiä Tiedot-välilehdellä.")
        return formula, div_ct.values[INCOME_STATEMENT.index[key], j]

    row_of.update({line.key: 4 + i for i, line in enumerate(INCOME_STATEMENT.lines)})
    _table_rows(summary, 4, INCOME_STATEMENT, grid, div_ct, summed, settings,
                lambda k: area_present.get(k, False) or INCOME_STATEMENT.line(k).kind is not Kind.DETAIL,
                identity=div_identity)
    # Council table: TULOT / MENOT / NETTO from the summary's lines.
    top = 4 + len(INCOME_STATEMENT.lines) + 2
    summary.put(top - 1, 0, "VALTUUSTON HYVÄKSYMÄ TALOUSARVIO", style=style(bold=True))
    council_figure: Callable[[str, int], tuple[str | None, float]]
    if review.areas or review.council is None:
        council = Table.empty(review.division, council_s, review.columns)
        council.values = council_values(div_ct.values, conv)
        council_ct = computed_table(council, settings, recompute=True)

        def from_summary(key: str, j: int) -> tuple[str | None, float]:
            return f"={cell_ref(row_of[COUNCIL_FROM_INCOME[key]], grid.figure(j))}", council.value(key, j)

        council_figure = from_summary
    else:   # a council table without areas: its figures from the data sheet
        council_ct = computed_table(review.council, settings, recompute=True)
        council_figure = data_figure("valtuusto", review.council)
    _table_rows(summary, top, COUNCIL, grid, council_ct, council_figure, settings,
                lambda k: k != "valmistus_omaan_kayttoon", with_forecast=False)
    # Investments: each group from the data sheet, the total as their sum.
    top += len(COUNCIL.lines) + 2
    if review.investments:
        summary.put(top - 1, 0, "INVESTOINNIT", style=style(bold=True))
        group_rows: list[dict[str, int]] = []
        for t in review.investments:
            summary.put(top, 0, t.name, style=style(bold=True, italic=True))
            rows = _table_rows(summary, top + 1, INVESTMENT, grid, computed_table(t, settings, recompute=True),
                               data_figure("investointi", t), settings, lambda k: True, with_forecast=False)
            group_rows.append(rows)
            top += len(INVESTMENT.lines) + 2
        total = Table.empty("Investoinnit yhteensä", invest, review.columns)
        groups = np.stack([t.values for t in review.investments])
        total.values = rollup(groups, invest)
        summary.put(top, 0, "Investoinnit yhteensä", style=style(bold=True, italic=True))

        def group_sum(key: str, j: int) -> tuple[str | None, float]:
            return _term_sum([cell_ref(g[key], grid.figure(j)) for g in group_rows]), total.value(key, j)

        _table_rows(summary, top + 1, INVESTMENT, grid, computed_table(total, settings),
                    group_sum, settings, lambda k: True, with_forecast=False,
                    identity=_derived_totals(groups, invest))
    sheets.append(summary)

    # One sheet per service area, in the layout of the published review.
    for t, ct in zip(review.areas, area_cts):
        sheet = SheetLayout(area_sheets[t.name], owned=True)
        _sheet_frame(sheet, t.name, f"{review.division} – {review.title}", grid, "")
        present = ct.present

        def shown(key: str, p: npt.NDArray[np.bool_] = present) -> bool:
            return bool(p[INCOME_STATEMENT.index[key]])

        rows = _table_rows(sheet, 4, INCOME_STATEMENT, grid, ct, data_figure("palvelualue", t), settings, shown,
                           fills=area_fills.get(t.name, {}))
        first, last = 4, 4 + len(INCOME_STATEMENT.lines) - 1
        sheet.charts.append(Chart(
            chart_title(f"{t.name}: talousarvio ja toteuma"),
            (0, first, last),
            ((review.columns[roles.budget].label, grid.figure(roles.budget)),
             (review.columns[roles.actual].label, grid.figure(roles.actual))),
            (3, grid.width + 1)))
        for k, r in rows.items():   # a header row shows when its block has a line shown
            if INCOME_STATEMENT.line(k).kind is Kind.HEADER:
                block = INCOME_STATEMENT.line(k).block
                if any(bool(present[i]) for i, ln in enumerate(INCOME_STATEMENT.lines)
                       if ln.block is block and ln.kind is Kind.DETAIL):
                    sheet.hidden_rows.discard(r)
        sheets.append(sheet)

    sheets.append(_checks_sheet(findings, locate))
    if data_map is None:
        sheets.append(data_sheet_layout(review))
        sheets += [_goals_sheet(review), _kpi_sheet(review), _risks_sheet(review)]
    sheets.append(_conf_sheet())
    return WorkbookLayout(sheets, marks, area_sheets)


# ---------------------------------------------------------------------------- where findings point

class _Locator:
    """Finds the cell a finding is about: the data sheet's figure, else the owned sheet's cell."""

    _LEVELS = {"division_sum": ("toimiala",), "council": ("valtuusto",), "investment_sum": ("investoinnit",)}
    _SEARCH = ("palvelualue", "investointi", "toimiala", "valtuusto", "investoinnit")

    def __init__(self, review: Review, dmap: DataMap, area_sheets: dict[str, str], grid: _Grid) -> None:
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

def _checks_sheet(findings: list[Finding], locate: _Locator) -> SheetLayout:
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


def data_sheet_layout(review: Review) -> SheetLayout:
    """The data sheet `Tiedot`: the data-file table of `review` (build, and the ledger import)."""
    sheet = SheetLayout(DATA_SHEET, owned=False, tab_color="548235")
    for r, row in enumerate(data_rows(review)):
        for c, v in enumerate(row):
            if v is None:
                continue
            if r == 0:
                sheet.put(r, c, str(v), style=HEAD_LEFT)
            elif isinstance(v, float):
                sheet.put(r, c, v, style=style(number_format=PCT if c == len(row) - 1 else AMOUNT))
            else:
                sheet.put(r, c, str(v))
    sheet.widths = {0: 13, 1: 30, 2: 30, **{c: 15 for c in range(3, 5 + len(review.columns))}}
    sheet.freeze = (1, 3)
    return sheet


GOAL_HEADS = ("Taso", "Strateginen päämäärä", "Tavoite", "Mittari ja tavoitetaso", "Toteuma 31.3.",
              "Toteuma 30.6.", "Vastuu", "Tila")


def _goals_sheet(review: Review) -> SheetLayout:
    sheet = SheetLayout(GOALS_SHEET, owned=False)
    for c, h in enumerate(GOAL_HEADS):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, g in enumerate(review.goals, start=1):
        for c, v in enumerate((g.level, g.aim, g.target, g.measure, g.status_31_3, g.status_30_6,
                               g.responsible, g.state_printed or g.state)):
            sheet.put(r, c, v, style=style(wrap=True))
    last = max(len(review.goals), 1) + 200          # room for goals the team adds
    sheet.validations.append(Validation(7, 1, last, TILA_CHOICES))
    sheet.rules += [TextRule(7, 1, last, text, fill) for text, fill in TILA_FILLS.items()]
    sheet.widths = {0: 16, 1: 28, 2: 45, 3: 45, 4: 45, 5: 45, 6: 28, 7: 18}
    sheet.freeze = (1, 2)
    return sheet


def _kpi_sheet(review: Review) -> SheetLayout:
    sheet = SheetLayout(KPI_SHEET, owned=False)
    heads: list[str] = []
    for k in review.kpis:
        heads += [h for h, _ in k.values if h not in heads]
    sheet.put(0, 0, "Tunnusluku", style=HEAD_LEFT)
    for c, h in enumerate(heads, start=1):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, k in enumerate(review.kpis, start=1):
        sheet.put(r, 0, k.name, style=style(wrap=True))
        for h, v in k.values:
            sheet.put(r, 1 + heads.index(h), v)
    sheet.widths = {0: 50, **{c: 16 for c in range(1, len(heads) + 1)}}
    return sheet


def _risks_sheet(review: Review) -> SheetLayout:
    sheet = SheetLayout(RISKS_SHEET, owned=False)
    for c, h in enumerate(("Tunnistettu riski", "Riskiarvo", "Hallintakeino", "Hallintakeinon toteutuminen 30.6.")):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, k in enumerate(review.risks, start=1):
        for c, v in enumerate((k.risk, k.rating, k.control, k.outcome)):
            sheet.put(r, c, v, style=style(wrap=True))
    sheet.widths = {0: 40, 1: 10, 2: 50, 3: 50}
    return sheet


# No empty rows: xlwings' GetConfig takes a key present on this sheet even when its value is empty,
# which would hide the interpreter in the xlwings.conf file beside the workbook (`elinvoima init`).
CONF_ROWS: tuple[tuple[str, str | bool], ...] = (
    ("UDF Modules", UDF_MODULE),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
)


def _conf_sheet() -> SheetLayout:
    """xlwings' settings sheet: key/value pairs from A1; a key here overrides the xlwings.conf files."""
    sheet = SheetLayout(CONF_SHEET, owned=True)
    for r, (k, v) in enumerate(CONF_ROWS):
        sheet.put(r, 0, k)
        if v != "":
            sheet.put(r, 1, v)
    sheet.put(0, 3, "xlwingsin asetukset tälle työkirjalle. Pythonin polku (Interpreter_Win) on tiedostossa "
                    "xlwings.conf työkirjan vieressä: elinvoima init kirjoittaa sen.", style=SUBTITLE)
    sheet.widths = {0: 18, 1: 28}
    return sheet
