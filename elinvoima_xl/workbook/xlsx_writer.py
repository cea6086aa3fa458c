"""Render a `WorkbookLayout` into a new .xlsx/.xlsm package with xlsxwriter (fast, deterministic)."""

from __future__ import annotations

__all__ = ["FIXED_TIME", "Formats", "new_workbook", "render_xlsx", "write_sheet"]

import datetime as dt
import io
import re
from dataclasses import replace
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from .layout import DATA_SHEET, FILL, OWNED_NAME, PageSetup, SheetLayout, Style, WorkbookLayout

FIXED_TIME = dt.datetime(2023, 1, 1, 0, 0, 0)   # same bytes for the same layout


# Functions xlsxwriter rewrites to their `_xlfn.` names; our formulas use none of them.
_DYNAMIC = re.compile(r"\b(ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|"
                      r"MAKEARRAY|MAP|RANDARRAY|REDUCE|SCAN|SINGLE|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|"
                      r"TOCOL|TOROW|UNIQUE|VSTACK|WRAPCOLS|WRAPROWS|XLOOKUP)\(")


class _Worksheet(Worksheet):  # type: ignore[misc]
    """xlsxwriter's worksheet without its 30 regex passes over every formula when none can apply.

    xlsxwriter (pinned exactly) rewrites future-function names with one `re.sub` per name,
    which made up half of the build time of a 200-area workbook.
    """

    def _prepare_formula(self, formula: str, expand_future_functions: bool = False) -> str:
        if self.use_future_functions or expand_future_functions or _DYNAMIC.search(formula):
            return str(super()._prepare_formula(formula, expand_future_functions))
        formula = formula.removeprefix("{")
        formula = formula.removeprefix("=")
        formula = formula.removesuffix("}")
        return formula


class Formats:
    """xlsxwriter formats for the layout's looks: one format per distinct `Style`, made on first use."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self.cache: dict[Style, Any] = {}
        self.by_id: dict[int, tuple[Style, Any]] = {}   # shared Style objects: skip hashing

    def get(self, style: Style) -> Any:
        hit = self.by_id.get(id(style))
        if hit is not None and hit[0] is style:
            return hit[1]
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
            if style.font_color:
                spec["font_color"] = "#" + style.font_color
            fmt = self.wb.add_format(spec)
            self.cache[style] = fmt
        self.by_id[id(style)] = (style, fmt)
        return fmt


def write_sheet(wb: Any, formats: Formats, sheet: SheetLayout, fills: dict[tuple[int, int], str]) -> Any:
    """`sheet` as a new worksheet of `wb` (cells, widths, rows, panes, print setup, charts, validations,
    conditional formats), `fills` overriding the fill of single cells; returns the worksheet."""
    ws = wb.add_worksheet(sheet.name, worksheet_class=_Worksheet)
    for c, w in sheet.widths.items():
        ws.set_column(c, c, w)
    for r in sorted(sheet.hidden_rows | set(sheet.heights)):
        ws.set_row(r, sheet.heights.get(r), None, {"hidden": True} if r in sheet.hidden_rows else None)
    merged = {(m[0], m[1]): m for m in sheet.merges}
    for cell in sheet.cells:
        look = cell.style
        if fills and (cell.row, cell.col) in fills:
            look = replace(look, fill=fills[(cell.row, cell.col)])
        fmt = formats.get(look)
        v = cell.value
        if (cell.row, cell.col) in merged:
            m = merged[(cell.row, cell.col)]
            ws.merge_range(*m, "", fmt)     # a merged range's first cell carries the value
        if cell.formula is not None:
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
    if sheet.page is not None:
        _page_setup(ws, sheet.page)
    for chart in sheet.charts:
        ch = wb.add_chart({"type": "bar"})
        col, first, last = chart.categories
        for name, vcol in chart.series:
            ch.add_series({"name": name, "categories": [sheet.name, first, col, last, col],
                           "values": [sheet.name, first, vcol, last, vcol]})
        ch.set_title({"name": "-"})
        # xlsxwriter takes a title that looks like "X!A1" (with or without "=") for a formula:
        # an area named "=Tiedot!A1" would title its chart with a cell. The title is text.
        ch.title.name, ch.title.formula, ch.title.data_id = chart.title, None, None
        ch.set_y_axis({"reverse": True})
        ch.set_x_axis({"num_format": "#,##0"})
        ch.set_size({"width": 620, "height": 460})
        ws.insert_chart(chart.anchor[0], chart.anchor[1], ch)
    for dv in sheet.validations:
        ws.data_validation(dv.first_row, dv.col, dv.last_row, dv.col,
                           {"validate": "list", "source": list(dv.choices),
                            "error_title": "Tila", "error_message": "Valitse: " + ", ".join(dv.choices)})
    for rule in sheet.rules:
        ws.conditional_format(rule.first_row, rule.col, rule.last_row, rule.col,
                              {"type": "cell", "criteria": "==", "value": f'"{rule.text}"',
                               "format": wb.add_format({"bg_color": "#" + rule.fill})})
    return ws


def _page_setup(ws: Any, page: PageSetup) -> None:
    ws.set_paper(9)   # A4
    if page.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(page.fit_width, page.fit_height)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.center_horizontally()
    if page.repeat_rows is not None:
        ws.repeat_rows(*page.repeat_rows)
    if page.area is not None:
        ws.print_area(*page.area)
    if page.row_breaks:
        ws.set_h_pagebreaks(list(page.row_breaks))
    if page.footer:
        ws.set_footer(page.footer)


def new_workbook(buf: io.BytesIO) -> Any:
    """An in-memory xlsxwriter workbook into `buf` that writes text as text (no formulas, numbers or links guessed)."""
    return xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False})


def render_xlsx(layout: WorkbookLayout, vba: tuple[bytes, str, dict[str, str]] | None = None) -> bytes:
    """The whole workbook as .xlsx bytes, or .xlsm bytes with `vba` = (vbaProject.bin, workbook
    code name, sheet name -> code name); the ribbon is added by `package.finish_package`."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    wb.set_properties({"created": FIXED_TIME, "title": "Elinvoima", "author": "elinvoima-xl"})
    wb.set_calc_mode("auto")
    formats = Formats(wb)
    marks = {(m.row, m.col): FILL[m.severity] for m in layout.data_marks}
    for sheet in layout.sheets:
        ws = write_sheet(wb, formats, sheet, marks if sheet.name == DATA_SHEET else {})
        if vba is not None and sheet.name in vba[2]:
            ws.set_vba_name(vba[2][sheet.name])
        if sheet.owned:   # how rebuild knows which sheets it may replace
            # Straight into the list define_name fills: its parser cannot take a sheet named
            # "Nuoriso!" or "O'Brien", and the name would silently be missing.
            wb.defined_names.append([OWNED_NAME, ws.index, "TRUE", False])
    if vba is not None:
        wb.add_vba_project(io.BytesIO(vba[0]), is_stream=True)
        wb.set_vba_name(vba[1])
    wb.close()
    return buf.getvalue()
