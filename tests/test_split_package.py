"""The fast package writer of the heads' workbooks against the project's xlsxwriter writer: the same cells, looks, names and properties."""

from __future__ import annotations

import copy
import io
import math

import numpy as np
import openpyxl

from elinvoima_xl.workbook.head_layout import goals_for_area, head_layout
from elinvoima_xl.workbook.head_writer import render_head_package, render_xlsxwriter
from elinvoima_xl.core.model import Review


def _cells(wb: openpyxl.Workbook) -> dict[tuple[str, str], tuple[object, ...]]:
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style:
                    continue
                fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type else None
                out[(ws.title, c.coordinate)] = (
                    c.value, c.number_format, bool(c.font.b), bool(c.font.i), c.font.sz, fill,
                    bool(c.alignment.wrap_text), c.alignment.horizontal, bool(c.border.top.style),
                    c.protection.locked)
    return out


def _sheet_facts(ws: openpyxl.worksheet.worksheet.Worksheet) -> tuple[object, ...]:
    hidden = sorted(r for r, d in ws.row_dimensions.items() if d.hidden)
    widths = {k: round(d.width, 2) for k, d in ws.column_dimensions.items() if d.customWidth}
    dv = [(d.type, d.formula1, str(d.sqref), d.error) for d in ws.data_validations.dataValidation]
    cf = sorted((str(rng.sqref), r.operator, r.formula, r.dxf.fill.bgColor.rgb if r.dxf and r.dxf.fill else None)
                for rng in ws.conditional_formatting for r in rng.rules)
    p = ws.protection
    return (hidden, widths, ws.freeze_panes, dv, cf, ws.sheet_properties.tabColor.rgb if ws.sheet_properties.tabColor
            else None, p.sheet, p.formatColumns, p.formatRows, p.selectLockedCells, p.selectUnlockedCells)


def _variants(seed_review: Review) -> list[tuple[Review, str, list[str]]]:
    odd = copy.deepcopy(seed_review.areas[4])
    odd.name = 'Tekniset & <ympäristö> "palvelut"\x07 ja O\'Brien'
    odd.values = np.where(np.isnan(odd.values), np.nan, odd.values * 1.37)
    review = Review(seed_review.title, seed_review.division, seed_review.columns, [*seed_review.areas, odd],
                    goals=seed_review.goals)
    return [(review, t.name, ["Työllisyyskoordinaattori"] if t.name == "Työllisyyspalvelut" else [])
            for t in review.areas]


def test_fast_package_equals_the_xlsxwriter_rendering(seed_review: Review) -> None:
    for review, area, titles in _variants(seed_review):
        hl = head_layout(review, review.area(area), goals=goals_for_area(review, area, titles), deadline="15.8.2023")
        fast = render_head_package(hl)
        ref = render_xlsxwriter(hl)
        for data_only in (False, True):
            a = openpyxl.load_workbook(io.BytesIO(fast), data_only=data_only)
            b = openpyxl.load_workbook(io.BytesIO(ref), data_only=data_only)
            assert a.sheetnames == b.sheetnames
            ca, cb = _cells(a), _cells(b)
            assert ca.keys() == cb.keys(), (area, ca.keys() ^ cb.keys())
            for key in cb:
                # xlsxwriter writes 16 significant digits, the fast writer the exact shortest repr
                va, vb = ca[key][0], cb[key][0]
                if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and not isinstance(va, bool):
                    assert math.isclose(va, vb, rel_tol=1e-14), (area, key, va, vb)
                    va = vb
                assert (va, *ca[key][1:]) == cb[key], (area, key, ca[key], cb[key])
            for name in b.sheetnames:
                assert _sheet_facts(a[name]) == _sheet_facts(b[name]), (area, name)
            assert {n: d.attr_text for n, d in a.defined_names.items()} == {
                n: d.attr_text for n, d in b.defined_names.items()}
            assert {p.name: p.value for p in a.custom_doc_props.props} == {
                p.name: p.value for p in b.custom_doc_props.props}
            assert a.properties.title == b.properties.title and a.active.title == b.active.title
