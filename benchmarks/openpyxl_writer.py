"""Render the layout with openpyxl: the plain-openpyxl baseline of the benchmarks, and a second writer the tests hold to xlsxwriter's cells.

Test and benchmark code only, outside the package: nothing in elinvoima_xl imports it.
"""

from __future__ import annotations

__all__ = ["render_openpyxl", "render_sheet"]

import io
from typing import Any

from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from elinvoima_xl.workbook.layout import OWNED_NAME, SheetLayout, Style, WorkbookLayout, cell_ref, col_letter

_TOP = Border(top=Side(style="thin"))


class _StyleCache:
    def __init__(self) -> None:
        self.cache: dict[Style, tuple[Any, ...]] = {}

    def get(self, s: Style) -> tuple[Any, ...]:
        got = self.cache.get(s)
        if got is None:
            font = Font(bold=s.bold, italic=s.italic, size=s.size or 11, color=s.font_color)
            fill = PatternFill("solid", fgColor=s.fill) if s.fill else None
            align = Alignment(wrap_text=s.wrap or None, horizontal=s.align, vertical="top")
            got = (font, fill, align, _TOP if s.top_border else None, s.number_format)
            self.cache[s] = got
        return got


def render_sheet(ws: Any, sheet: SheetLayout, styles: _StyleCache | None = None) -> None:
    """Write every cell, format, chart, validation and rule of `sheet` into the empty worksheet `ws`."""
    styles = styles or _StyleCache()
    for cell in sheet.cells:
        c = ws.cell(row=cell.row + 1, column=cell.col + 1)
        c.value = cell.formula if cell.formula is not None else cell.value
        if cell.formula is None and isinstance(cell.value, str) and cell.value.startswith("="):
            c.data_type = "s"      # text, never a formula
        font, fill, align, border, number_format = styles.get(cell.style)
        c.font = font
        if fill is not None:
            c.fill = fill
        c.alignment = align
        if border is not None:
            c.border = border
        if number_format:
            c.number_format = number_format
    for col, width in sheet.widths.items():
        ws.column_dimensions[col_letter(col)].width = width
    for r in sheet.hidden_rows:
        ws.row_dimensions[r + 1].hidden = True
    if sheet.freeze:
        ws.freeze_panes = cell_ref(*sheet.freeze)
    if sheet.tab_color:
        ws.sheet_properties.tabColor = sheet.tab_color
    for chart in sheet.charts:
        ch = BarChart()
        ch.type = "bar"
        ch.title = chart.title
        col, first, last = chart.categories
        for _name, vcol in chart.series:
            data = Reference(ws, min_col=vcol + 1, min_row=first, max_row=last + 1)   # header row as series name
            ch.add_data(data, titles_from_data=True)
        ch.set_categories(Reference(ws, min_col=col + 1, min_row=first + 1, max_row=last + 1))
        ch.width, ch.height = 16, 12
        ws.add_chart(ch, cell_ref(*chart.anchor))
    for v in sheet.validations:
        dv = DataValidation(type="list", formula1='"' + ",".join(v.choices) + '"', allow_blank=True,
                            errorTitle="Tila", error="Valitse: " + ", ".join(v.choices))
        dv.add(f"{cell_ref(v.first_row, v.col)}:{cell_ref(v.last_row, v.col)}")
        ws.add_data_validation(dv)
    for rule in sheet.rules:
        ws.conditional_formatting.add(
            f"{cell_ref(rule.first_row, rule.col)}:{cell_ref(rule.last_row, rule.col)}",
            CellIsRule(operator="equal", formula=[f'"{rule.text}"'], fill=PatternFill("solid", bgColor=rule.fill)))
    if sheet.owned:
        ws.defined_names[OWNED_NAME] = DefinedName(OWNED_NAME, attr_text="TRUE")


def render_openpyxl(layout: WorkbookLayout) -> bytes:
    """Every sheet of `layout` in a new workbook, saved by openpyxl."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    styles = _StyleCache()
    for sheet in layout.sheets:
        render_sheet(wb.create_sheet(sheet.name), sheet, styles)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
