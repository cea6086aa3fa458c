"""A head's workbook as an .xlsx package, fast: the sheets' XML written straight from the layout, the styles rendered once by xlsxwriter.

Sending to 200 areas renders 200 small workbooks, where xlsxwriter spends most of its time
on what is the same in every one (styles, theme, format objects, a zip of a dozen parts).
Here xlsxwriter renders, once per set of looks, a workbook with one cell per look; its
styles.xml and theme are reused and each look's cell format index read from it, so no
style XML is written by hand. What differs per area (cells, names, properties) is written
from the `HeadLayout` alone: a shared-string table of this file's texts only, formulas with
their cached values. `head_workbook` lays out and renders one area's workbook; `render_xlsxwriter`
renders the same layout through the project's xlsxwriter writer, the reference a test compares
every cell, look, name and property with.
"""

from __future__ import annotations

__all__ = ["ANSWER_SPECS", "PROTECTION", "StyleBook", "head_workbook", "render_head_package", "render_xlsxwriter",
           "style_book"]

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..core.calc import Settings
from ..core.model import Goal, Review, Table
from ..ooxml.opc import (
    APP_REL,
    APP_TYPE,
    CORE_NS,
    CORE_REL,
    CORE_TYPE,
    CT_NS,
    CUSTOM_NS,
    CUSTOM_REL,
    CUSTOM_TYPE,
    DC_NS,
    DCMITYPE_NS,
    DCTERMS_NS,
    DECLARATION,
    DOC_REL_NS,
    EXTENDED_NS,
    MAIN_NS,
    MAIN_TYPE,
    OFFICE_DOC_REL,
    PKG_REL_NS,
    RELS_TYPE,
    SHEET_REL,
    SHEET_TYPE,
    SST_REL,
    SST_TYPE,
    STYLES_REL,
    STYLES_TYPE,
    THEME_REL,
    THEME_TYPE,
    VT_NS,
    XML_TYPE,
    XSI_NS,
    rels_name,
)
from .head_layout import ANSWER_FILL, HeadLayout, HeadWorkbook, head_layout
from .layout import AMOUNT, SheetLayout, Style, cell_ref, quote_sheet
from .xlsx_writer import FIXED_TIME, Formats, new_workbook, write_sheet

_DECL = DECLARATION.decode("ascii")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CREATED = "2023-01-01T00:00:00Z"

# The look of a cell a head fills, and what the protected sheets still let a head do.
ANSWER_SPECS: dict[str, dict[str, Any]] = {
    "amount": {"locked": False, "bg_color": ANSWER_FILL, "pattern": 1, "valign": "top", "border": 1,
               "border_color": "#BFBFBF", "num_format": AMOUNT},
    "text": {"locked": False, "bg_color": ANSWER_FILL, "pattern": 1, "valign": "top", "border": 1,
             "border_color": "#BFBFBF", "text_wrap": True},
}
PROTECTION = {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True}


def _abs(row: int, col: int) -> str:
    """"C$5": with a leading "$" (the caller adds it) an absolute reference for a defined name."""
    ref = cell_ref(row, col)
    letters = ref.rstrip("0123456789")
    return f"{letters}${ref[len(letters):]}"


def _text(value: str) -> str:
    """Text for a cell or attribute: XML-escaped, control characters as Excel's _xHHHH_."""
    out = escape(value)
    if _CONTROL.search(out):
        out = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", out)
    return out


def _num(x: float) -> str:
    """A number as the cell stores it: the shortest text that reads back exactly."""
    text = repr(float(x))
    if text.endswith(".0"):
        return text[:-2]
    return "0" if text in ("nan", "inf", "-inf") else text


# ---------------------------------------------------------------------------- styles, once

@dataclass(frozen=True)
class StyleBook:
    """styles.xml and theme from xlsxwriter, and the cell format index of each look in it."""

    styles_xml: bytes
    theme_xml: bytes
    xf: dict[Style | str, int]          # a layout Style, or an answer kind ("amount", "text")
    dxf: dict[str, int]                 # fill RGB of a conditional format -> its dxf id


def style_book(looks: Iterable[Style], rule_fills: Iterable[str]) -> StyleBook:
    """Render one cell per look (and one conditional format per fill) with xlsxwriter; read back its styles."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet()
    formats = Formats(wb)
    used: list[tuple[Style | str, Any]] = []
    for i, look in enumerate(dict.fromkeys(looks)):
        fmt = formats.get(look)
        ws.write_blank(i, 0, None, fmt)
        used.append((look, fmt))
    for j, (kind, spec) in enumerate(ANSWER_SPECS.items()):
        fmt = wb.add_format(spec)
        ws.write_blank(j, 1, None, fmt)
        used.append((kind, fmt))
    dxf_formats = []
    for k, fill in enumerate(dict.fromkeys(rule_fills)):
        fmt = wb.add_format({"bg_color": "#" + fill})
        ws.conditional_format(k, 2, k, 2, {"type": "cell", "criteria": "==", "value": '"x"', "format": fmt})
        dxf_formats.append((fill, fmt))
    wb.close()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        styles, theme = z.read("xl/styles.xml"), z.read("xl/theme/theme1.xml")
    return StyleBook(styles, theme, {look: int(fmt.xf_index) for look, fmt in used},
                     {fill: int(fmt.dxf_index) for fill, fmt in dxf_formats})


@lru_cache(maxsize=64)
def _cached_book(looks: frozenset[Style], fills: frozenset[str]) -> StyleBook:
    return style_book(sorted(looks, key=repr), sorted(fills))


# ---------------------------------------------------------------------------- parts

class _Strings:
    """The package's shared-string table: this file's texts only, in order of first use."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.index)
        return i

    def xml(self, uses: int) -> str:
        items = "".join(f'<si><t xml:space="preserve">{_text(t)}</t></si>' for t in self.index)
        return f'{_DECL}<sst xmlns="{MAIN_NS}" count="{uses}" uniqueCount="{len(self.index)}">{items}</sst>'


def _sheet_xml(sheet: SheetLayout, book: StyleBook, answers: dict[tuple[int, int], tuple[str, str | None]],
               selected: bool, strings: _Strings) -> tuple[str, int]:
    cells: dict[int, dict[int, str]] = {}
    uses = 0
    xf = book.xf
    for c in sheet.cells:
        s = xf[c.style]
        ref = cell_ref(c.row, c.col)
        v = c.value
        if c.formula is not None:
            f = _text(c.formula[1:] if c.formula.startswith("=") else c.formula)
            if isinstance(v, str):
                xml = f'<c r="{ref}" s="{s}" t="str"><f>{f}</f><v>{_text(v)}</v></c>'
            else:
                xml = f'<c r="{ref}" s="{s}"><f>{f}</f><v>{_num(v or 0)}</v></c>'
        elif isinstance(v, bool):
            xml = f'<c r="{ref}" s="{s}" t="b"><v>{int(v)}</v></c>'
        elif isinstance(v, (int, float)):
            xml = f'<c r="{ref}" s="{s}"><v>{_num(v)}</v></c>'
        elif v is None:
            xml = f'<c r="{ref}" s="{s}"/>'
        else:
            xml = f'<c r="{ref}" s="{s}" t="s"><v>{strings(v)}</v></c>'
            uses += 1
        cells.setdefault(c.row, {})[c.col] = xml
    for (r, col), (kind, value) in answers.items():
        ref = cell_ref(r, col)
        s = xf[kind]
        if value:
            cells.setdefault(r, {})[col] = f'<c r="{ref}" s="{s}" t="s"><v>{strings(value)}</v></c>'
            uses += 1
        else:
            cells.setdefault(r, {})[col] = f'<c r="{ref}" s="{s}"/>'

    rows = sorted(set(cells) | sheet.hidden_rows)
    out = [_DECL, f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{DOC_REL_NS}">']
    if sheet.tab_color:
        out.append(f'<sheetPr><tabColor rgb="FF{sheet.tab_color}"/></sheetPr>')
    last_col = max((c for row in cells.values() for c in row), default=0)
    last_row = max(rows, default=0)
    out.append(f'<dimension ref="A1:{cell_ref(last_row, last_col)}"/>' if cells else '<dimension ref="A1"/>')
    tab = ' tabSelected="1"' if selected else ""
    if sheet.freeze and any(sheet.freeze):
        fr, fc = sheet.freeze
        top_left = cell_ref(fr, fc)
        split = (f' xSplit="{fc}"' if fc else "") + (f' ySplit="{fr}"' if fr else "")
        pane = "bottomRight" if fr and fc else ("bottomLeft" if fr else "topRight")
        out.append(f'<sheetViews><sheetView{tab} workbookViewId="0"><pane{split} topLeftCell="{top_left}" '
                   f'activePane="{pane}" state="frozen"/><selection pane="{pane}" activeCell="{top_left}" '
                   f'sqref="{top_left}"/></sheetView></sheetViews>')
    else:
        out.append(f'<sheetViews><sheetView{tab} workbookViewId="0"/></sheetViews>')
    out.append('<sheetFormatPr defaultRowHeight="15"/>')
    if sheet.widths:
        runs: list[list[float]] = []          # [first, last, width]: neighbouring columns of one width joined
        for col in sorted(sheet.widths):
            w = sheet.widths[col]
            if runs and runs[-1][1] == col - 1 and runs[-1][2] == w:
                runs[-1][1] = col
            else:
                runs.append([col, col, w])
        out.append("<cols>")
        for first, last, w in runs:
            pixels = int(w * 7 + 0.5) + 5 if w >= 1 else int(w * 12 + 0.5)   # Excel's character width to pixels
            width = (pixels * 256 // 7) / 256.0
            out.append(f'<col min="{int(first) + 1}" max="{int(last) + 1}" width="{width:.16g}" customWidth="1"/>')
        out.append("</cols>")
    out.append("<sheetData>")
    for r in rows:
        hidden = ' hidden="1"' if r in sheet.hidden_rows else ""
        row = cells.get(r)
        if row:
            out.append(f'<row r="{r + 1}"{hidden}>' + "".join(row[c] for c in sorted(row)) + "</row>")
        else:
            out.append(f'<row r="{r + 1}"{hidden}/>')
    out.append("</sheetData>")
    out.append('<sheetProtection sheet="1" objects="1" scenarios="1" formatColumns="0" formatRows="0"/>')
    for i, rule in enumerate(sheet.rules, start=1):
        area = f"{cell_ref(rule.first_row, rule.col)}:{cell_ref(rule.last_row, rule.col)}"
        literal = '"' + rule.text.replace('"', '""') + '"'
        out.append(f'<conditionalFormatting sqref="{area}"><cfRule type="cellIs" dxfId="{book.dxf[rule.fill]}" '
                   f'priority="{i}" operator="equal"><formula>{_text(literal)}</formula></cfRule>'
                   "</conditionalFormatting>")
    if sheet.validations:
        out.append(f'<dataValidations count="{len(sheet.validations)}">')
        for dv in sheet.validations:
            area = f"{cell_ref(dv.first_row, dv.col)}:{cell_ref(dv.last_row, dv.col)}"
            choices = '"' + ",".join(dv.choices) + '"'
            out.append(f'<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
                       f'errorTitle="Tila" error={quoteattr("Valitse: " + ", ".join(dv.choices))} sqref="{area}">'
                       f"<formula1>{_text(choices)}</formula1></dataValidation>")
        out.append("</dataValidations>")
    out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    out.append("</worksheet>")
    return "".join(out), uses


def _workbook_xml(hl: HeadLayout) -> str:
    sheets = "".join(f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, s in enumerate(hl.sheets, start=1))
    names = "".join(f"<definedName name={quoteattr(a.name)}>{_text(quote_sheet(a.sheet))}!${_abs(a.row, a.col)}"
                    "</definedName>" for a in sorted(hl.answers, key=lambda a: a.name.casefold()))
    return (f'{_DECL}<workbook xmlns="{MAIN_NS}" xmlns:r="{DOC_REL_NS}"><workbookPr/><bookViews>'
            f'<workbookView activeTab="{hl.active}"/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + '<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>')


def _app_xml(hl: HeadLayout) -> str:
    names = sorted((a.name for a in hl.answers), key=str.casefold)
    titles = [s.name for s in hl.sheets] + names
    pairs = (f"<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(hl.sheets)}</vt:i4>"
             "</vt:variant>")
    if names:
        pairs += f"<vt:variant><vt:lpstr>Named Ranges</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(names)}</vt:i4></vt:variant>"
    n_pairs = 4 if names else 2
    return (f'{_DECL}<Properties xmlns="{EXTENDED_NS}" xmlns:vt="{VT_NS}">'
            "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
            f'<HeadingPairs><vt:vector size="{n_pairs}" baseType="variant">{pairs}</vt:vector></HeadingPairs>'
            f'<TitlesOfParts><vt:vector size="{len(titles)}" baseType="lpstr">'
            + "".join(f"<vt:lpstr>{_text(t)}</vt:lpstr>" for t in titles)
            + f"</vt:vector></TitlesOfParts><Company>{_text(hl.company)}</Company><LinksUpToDate>false</LinksUpToDate>"
            "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion>"
            "</Properties>")


def _core_xml(hl: HeadLayout) -> str:
    return (f'{_DECL}<cp:coreProperties xmlns:cp="{CORE_NS}" xmlns:dc="{DC_NS}" xmlns:dcterms="{DCTERMS_NS}" '
            f'xmlns:dcmitype="{DCMITYPE_NS}" xmlns:xsi="{XSI_NS}">'
            f"<dc:title>{_text(hl.title)}</dc:title><dc:creator>elinvoima-xl</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{_CREATED}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_CREATED}</dcterms:modified></cp:coreProperties>')


def _custom_xml(hl: HeadLayout) -> str:
    props = "".join(f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{i}" name={quoteattr(k)}>'
                    f"<vt:lpwstr>{_text(v)}</vt:lpwstr></property>" for i, (k, v) in enumerate(hl.properties, start=2))
    return f'{_DECL}<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">{props}</Properties>'


def _content_types(n_sheets: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
                     for i in range(1, n_sheets + 1))
    return (f'{_DECL}<Types xmlns="{CT_NS}">'
            f'<Default Extension="rels" ContentType="{RELS_TYPE}"/>'
            f'<Default Extension="xml" ContentType="{XML_TYPE}"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{MAIN_TYPE}"/>{sheets}'
            f'<Override PartName="/xl/theme/theme1.xml" ContentType="{THEME_TYPE}"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{STYLES_TYPE}"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/>'
            f'<Override PartName="/docProps/core.xml" ContentType="{CORE_TYPE}"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{APP_TYPE}"/>'
            f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_TYPE}"/>'
            "</Types>")


_ROOT_RELS = (f'{_DECL}<Relationships xmlns="{PKG_REL_NS}">'
              f'<Relationship Id="rId1" Type="{OFFICE_DOC_REL}" Target="xl/workbook.xml"/>'
              f'<Relationship Id="rId2" Type="{CORE_REL}" Target="docProps/core.xml"/>'
              f'<Relationship Id="rId3" Type="{APP_REL}" Target="docProps/app.xml"/>'
              f'<Relationship Id="rId4" Type="{CUSTOM_REL}" Target="docProps/custom.xml"/>'
              "</Relationships>")


def _workbook_rels(n_sheets: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{SHEET_REL}" Target="worksheets/sheet{i}.xml"/>'
                     for i in range(1, n_sheets + 1))
    n = n_sheets
    return (f'{_DECL}<Relationships xmlns="{PKG_REL_NS}">{sheets}'
            f'<Relationship Id="rId{n + 1}" Type="{THEME_REL}" Target="theme/theme1.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{STYLES_REL}" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 3}" Type="{SST_REL}" Target="sharedStrings.xml"/></Relationships>')


def render_head_package(hl: HeadLayout, book: StyleBook | None = None) -> bytes:
    """The head's workbook as .xlsx bytes."""
    if book is None:
        looks = frozenset(c.style for s in hl.sheets for c in s.cells)
        fills = frozenset(r.fill for s in hl.sheets for r in s.rules)
        book = _cached_book(looks, fills)
    answers: dict[str, dict[tuple[int, int], tuple[str, str | None]]] = {}
    for a in hl.answers:
        answers.setdefault(a.sheet, {})[(a.row, a.col)] = (a.kind, a.value)
    parts: list[tuple[str, str | bytes]] = [
        ("[Content_Types].xml", _content_types(len(hl.sheets))),
        (rels_name(""), _ROOT_RELS),
        ("docProps/app.xml", _app_xml(hl)),
        ("docProps/core.xml", _core_xml(hl)),
        ("docProps/custom.xml", _custom_xml(hl)),
        ("xl/workbook.xml", _workbook_xml(hl)),
        (rels_name("xl/workbook.xml"), _workbook_rels(len(hl.sheets))),
        ("xl/styles.xml", book.styles_xml),
        ("xl/theme/theme1.xml", book.theme_xml),
    ]
    strings, uses = _Strings(), 0
    for i, sheet in enumerate(hl.sheets, start=1):
        xml, n = _sheet_xml(sheet, book, answers.get(sheet.name, {}), i - 1 == hl.active, strings)
        parts.append((f"xl/worksheets/sheet{i}.xml", xml))
        uses += n
    parts.append(("xl/sharedStrings.xml", strings.xml(uses)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            # The theme is the same in every file: stored, not compressed again 200 times.
            info.compress_type = zipfile.ZIP_STORED if name.startswith("xl/theme/") else zipfile.ZIP_DEFLATED
            z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data, compresslevel=1)
    return buf.getvalue()


def head_workbook(review: Review, table: Table, settings: Settings = Settings(),
                  goals: list[tuple[int, Goal]] | None = None, deadline: str = "") -> HeadWorkbook:
    """The workbook of the head of `table`'s area, from that area's figures and `goals` alone."""
    hl = head_layout(review, table, settings, goals, deadline)
    return HeadWorkbook(hl.area, hl.filename, hl.version, hl.period, render_head_package(hl))


def render_xlsxwriter(hl: HeadLayout) -> bytes:
    """`hl` rendered by xlsxwriter through the project's writer (the reference the fast package is tested against)."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    wb.set_properties({"created": FIXED_TIME, "title": hl.title, "author": "elinvoima-xl", "company": hl.company})
    for key, value in hl.properties:
        wb.set_custom_property(key, value, "text")
    wb.set_calc_mode("auto")
    formats = Formats(wb)
    answer = {kind: wb.add_format(spec) for kind, spec in ANSWER_SPECS.items()}
    for sheet in hl.sheets:
        ws = write_sheet(wb, formats, sheet, {})
        for a in hl.answers:
            if a.sheet != sheet.name:
                continue
            if a.value:
                ws.write_string(a.row, a.col, a.value, answer[a.kind])
            else:
                ws.write_blank(a.row, a.col, None, answer[a.kind])
            wb.define_name(a.name, f"={quote_sheet(a.sheet)}!${_abs(a.row, a.col)}")
        ws.protect("", PROTECTION)
    wb.worksheets()[hl.active].activate()
    wb.close()
    return buf.getvalue()
