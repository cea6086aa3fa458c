"""Render a `WorkbookLayout` into a new .xlsx/.xlsm package with xlsxwriter (fast, deterministic)."""

from __future__ import annotations

__all__ = ["render_xlsx"]

import datetime as dt
import io
from typing import Any

import xlsxwriter

from ..layout import DATA_SHEET, FILL, OWNED_NAME, SheetLayout, Style, WorkbookLayout, quote_sheet

_FIXED_TIME = dt.datetime(2023, 1, 1, 0, 0, 0)   # same bytes for the same layout


class _Formats:
    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.cache: dict[Style, Any] = {}

    def get(self, style: Style) -> Any:
        fmt = self.cache.get(style)
        if fmt is None:
            spec: dict[str, Any] = {"valign": "top"}
            if style.bold:
                spec["bold"] = True
            if style.italic:
                spec["italic"] = True
            if style.size:
                spec["font_size"] = style.size
            if style.number_format:
                spec["num_format"] = style.number_format
            if style.fill:
                spec.update(pattern=1, bg_color="#" + style.fill)
            if style.wrap:
                spec["text_wrap"] = True
            if style.top_border:
                spec["top"] = 1
            if style.align:
                spec["align"] = style.align
            fmt = self.wb.add_format(spec)
            self.cache[style] = fmt
        return fmt


def _write_sheet(wb: Any, formats: _Formats, sheet: SheetLayout, fills: dict[tuple[int, int], str]) -> None:
    ws = wb.add_worksheet(sheet.name)
    for c, w in sheet.widths.items():
        ws.set_column(c, c, w)
    for r in sorted(sheet.hidden_rows):
        ws.set_row(r, None, None, {"hidden": True})
    for cell in sheet.cells:
        style = cell.style
        if (cell.row, cell.col) in fills:
            style = Style(**{**style.__dict__, "fill": fills[(cell.row, cell.col)]})
        fmt = formats.get(style)
        v = cell.value
        if cell.link is not None:
            ws.write_url(cell.row, cell.col, "internal:" + cell.link, fmt, string=str(v))
        elif cell.formula is not None:
            ws.write_formula(cell.row, cell.col, cell.formula, fmt, v if v is not None else 0)
        elif isinstance(v, bool):
            ws.write_boolean(cell.row, cell.col, v, fmt)
        elif isinstance(v, (int, float)):
            ws.write_number(cell.row, cell.col, v, fmt)
        elif v is None:
            ws.write_blank(cell.row, cell.col, None, fmt)
        else:
            ws.write_string(cell.row, cell.col, v, fmt)
    if sheet.freeze:
        ws.freeze_panes(*sheet.freeze)
    if sheet.tab_color:
        ws.set_tab_color("#" + sheet.tab_color)
    for chart in sheet.charts:
        ch = wb.add_chart({"type": "bar"})
        col, first, last = chart.categories
        for name, vcol in chart.series:
            ch.add_series({"name": name, "categories": [sheet.name, first, col, last, col],
                           "values": [sheet.name, first, vcol, last, vcol]})
        ch.set_title({"name": chart.title})
        ch.set_y_axis({"reverse": True})
        ch.set_x_axis({"num_format": "#,##0"})
        ch.set_size({"width": 620, "height": 460})
        ws.insert_chart(chart.anchor[0], chart.anchor[1], ch)
    for v in sheet.validations:
        ws.data_validation(v.first_row, v.col, v.last_row, v.col,
                           {"validate": "list", "source": list(v.choices),
                            "error_title": "Tila", "error_message": "Valitse: " + ", ".join(v.choices)})
    for rule in sheet.rules:
        ws.conditional_format(rule.first_row, rule.col, rule.last_row, rule.col,
                              {"type": "cell", "criteria": "==", "value": f'"{rule.text}"',
                               "format": wb.add_format({"bg_color": "#" + rule.fill})})


def render_xlsx(layout: WorkbookLayout) -> bytes:
    """The whole workbook as .xlsx bytes (macros and ribbon are added by `team_workbook`)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"created": _FIXED_TIME, "title": "Elinvoima", "author": "elinvoima-xl"})
    wb.set_calc_mode("auto")
    formats = _Formats(wb)
    marks = {(m.row, m.col): FILL[m.severity] for m in layout.data_marks}
    for sheet in layout.sheets:
        _write_sheet(wb, formats, sheet, marks if sheet.name == DATA_SHEET else {})
        if sheet.owned:   # how rebuild knows which sheets it may replace
            wb.define_name(f"{quote_sheet(sheet.name)}!{OWNED_NAME}", "=TRUE")
    wb.close()
    return buf.getvalue()
