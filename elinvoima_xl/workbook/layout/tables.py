"""The financial tables as cells and formulas: a column grid, the header, each line with its derived columns, and the frame of an area sheet."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ...core.calc import (
    ComputedTable,
    Settings,
    resolve,
)
from ...core.model import Column, ColumnRoles
from ...core.names import clean_text
from ...core.structure import Kind, Structure
from ...ooxml.cells import cell_ref
from .values import (
    AMOUNT,
    HEAD,
    HEAD_LEFT,
    PCT,
    SUBTITLE,
    TITLE,
    SheetLayout,
    _roles,
    style,
)


def _num(x: float) -> str:
    """A constant in a formula: shortest exact text."""
    return repr(float(x)).removesuffix(".0") if float(x).is_integer() else repr(float(x))


def _scaled(ref: str, factor: float) -> str:
    return ref if factor == 1 else f"{ref}*{_num(factor)}"


def _cached(x: float) -> float:
    return 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


# ---------------------------------------------------------------------------- financial tables

@dataclass(frozen=True)
class Grid:
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


def _header(sheet: SheetLayout, row: int, grid: Grid, first: str) -> None:
    roles = grid.roles
    b, a = grid.columns[roles.budget], grid.columns[roles.actual]
    sheet.put(row, 0, first, style=HEAD_LEFT)
    for j, c in enumerate(grid.columns):
        sheet.put(row, grid.figure(j), f"{c.label}\n{c.unit_label}", style=HEAD)
    sheet.put(row, grid.remaining, f"Jäljellä\n{b.unit_label}", style=HEAD)
    sheet.put(row, grid.pct, "TOT-%", style=HEAD)
    sheet.put(row, grid.forecast, f"Ennuste {a.year}\n{a.unit_label}", style=HEAD)


def _derived(sheet: SheetLayout, r: int, grid: Grid, ct: ComputedTable, li: int, settings: Settings,
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


def _forecast_formula(r: int, grid: Grid, settings: Settings) -> str:
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
    flags = np.atleast_1d(np.asarray(derived).reshape(-1, len(structure.identities)).all(axis=0))
    return {ident.total for ident, d in zip(structure.identities, flags) if d}


def _signed_sum(refs: list[str], coefficients: Sequence[float]) -> str:
    """An identity as a formula: "=A+B-C" (a coefficient is +1 or −1, `structure.SignConvention`)."""
    if not refs:
        return "=0"
    out = ""
    for n, (ref, c) in enumerate(zip(refs, coefficients)):
        out += ("-" if c < 0 else ("" if n == 0 else "+")) + ref
    return "=" + out


def table_rows(sheet: SheetLayout, top: int, structure: Structure, grid: Grid, ct: ComputedTable,
                figure: Callable[[str, int], tuple[str | None, float]], settings: Settings,
                shown: Callable[[str], bool], fills: dict[tuple[str, int], str] | None = None,
                with_forecast: bool = True, identity: set[str] | None = None,
                forecast_sum: set[str] | None = None,
                forecast_formulas: dict[str, str] | None = None) -> dict[str, int]:
    """Write one financial table, every line of `structure` from row `top`; returns line key -> row.

    Detail figures come from `figure(key, j)` -> (formula or None, cached value). A subtotal
    in `identity` is its identity over the rows, signed as the table's convention (the
    identities of `ct.table.structure`); any other subtotal is data, from `figure` too.
    Jäljellä, % and Ennuste are formulas over each row; a subtotal's Ennuste is the signed
    sum of its terms' where it is in `forecast_sum`, else forecast from its own figures
    (`calc.forecast`). Both sets default to the subtotals derived in `ct.table` (`calc.resolve`).
    `forecast_formulas` gives a line's Ennuste formula outright (the division's Σ of its areas').
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
            if forecast_formulas and line.key in forecast_formulas:
                fc = forecast_formulas[line.key]
            elif line.key in totals and line.key in forecast_sum:
                ident = totals[line.key]
                fc = _signed_sum([cell_ref(rows[t], grid.forecast) for t in ident.terms], ident.coefficients)
            else:
                fc = _forecast_formula(r, grid, settings)
        _derived(sheet, r, grid, ct, li, settings, bold, fc, row_fill)
    return rows


def sheet_frame(sheet: SheetLayout, title: str, subtitle: str, grid: Grid, first_head: str) -> None:
    # Titles are presentation: an area name's control characters (kept as typed in Tiedot) are not shown.
    sheet.put(0, 0, clean_text(title), style=TITLE)
    sheet.put(1, 0, clean_text(subtitle), style=SUBTITLE)
    _header(sheet, 3, grid, first_head)
    sheet.widths = {0: 34.0, **{c: 13.5 for c in range(1, grid.width)}}
    sheet.freeze = (4, 1)


# ---------------------------------------------------------------------------- the workbook
