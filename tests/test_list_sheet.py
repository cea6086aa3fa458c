"""The list sheets (Vastaanottajat, Lähetykset, Tuonnit, Kohdistus, Selitykset, Vastaukset, Tavoitteet) come from one helper; openpyxl reads them back."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from elinvoima_xl import bundled_review
from elinvoima_xl.core.explanations import EXPLANATION_HEADS
from elinvoima_xl.jobs import collect, importer, recipients, sending
from elinvoima_xl.workbook.layout import HEAD_LEFT, PLAIN, SheetLayout, WorkbookLayout, style
from elinvoima_xl.workbook.layout.list_sheet import list_sheet, sheet_value
from elinvoima_xl.workbook.xlsx_writer import render_xlsx


def _read(sheet: SheetLayout) -> openpyxl.worksheet.worksheet.Worksheet:
    data = render_xlsx(WorkbookLayout([sheet], [], {}))
    return openpyxl.load_workbook(io.BytesIO(data))[sheet.name]


def test_heads_then_rows_with_empty_values_left_out() -> None:
    sheet = list_sheet("Lista", ("alue", "summa", "huom"), [("Kulttuuri", 12, None), ("", 1.5, "x"), ("Nuoriso",)],
                       {0: 30, 2: 12.5}, tab_color="7030A0")
    ws = _read(sheet)
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=4, max_col=3)] == [
        ["alue", "summa", "huom"], ["Kulttuuri", 12, None], [None, 1.5, "x"], ["Nuoriso", None, None]]
    assert ws["A1"].font.bold and ws["A1"].fill.fgColor.rgb.endswith("D9E1F2")
    assert not ws["A2"].font.bold
    # a left-out value is no cell at all (not a formatted blank): C2 and A3 were never written
    assert [(c.row, c.col) for c in sheet.cells if c.row > 0] == [(1, 0), (1, 1), (2, 1), (2, 2), (3, 0)]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == pytest.approx(30, abs=0.72)   # xlsxwriter adds the padding
    assert ws.sheet_properties.tabColor.rgb.endswith("7030A0")


def test_cells_are_put_row_by_row_in_order() -> None:
    """The writers number shared strings in the order cells are put: heads first, then each row left to right."""
    sheet = list_sheet("L", ("b", "a"), [("d", "c"), ("f", "e")], {})
    assert [c.value for c in sheet.cells] == ["b", "a", "d", "c", "f", "e"]
    assert [c.style for c in sheet.cells] == [HEAD_LEFT, HEAD_LEFT, PLAIN, PLAIN, PLAIN, PLAIN]


def test_values_and_looks() -> None:
    assert [sheet_value(v) for v in (None, "x", True, 3, 2.5, dt.date(2023, 6, 30))] == [
        None, "x", True, 3.0, 2.5, "2023-06-30"]
    wrap = style(wrap=True)
    sheet = list_sheet("L", ("a", "b"), [(1, "x"), (2, "y")], {}, freeze=(1, 2),
                       look=lambda r, c: wrap if c == 1 else PLAIN, value=lambda v: f"<{v}>")
    assert [(c.value, c.style) for c in sheet.cells] == [
        ("<a>", HEAD_LEFT), ("<b>", HEAD_LEFT), ("<1>", PLAIN), ("<x>", wrap), ("<2>", PLAIN), ("<y>", wrap)]
    assert sheet.freeze == (1, 2) and not sheet.owned


def test_the_recipients_sheet_lists_every_area() -> None:
    review = bundled_review()
    ws = _read(recipients.recipients_sheet_layout(review))
    assert [c.value for c in ws[1]] == list(recipients.HEADS)
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == [t.name for t in review.areas]
    assert ws.max_column == len(recipients.HEADS)


def test_the_journal_sheet_keeps_text_as_text() -> None:
    row = ["2023-08-01T10:00:00", "Kulttuuri", "Matti", "m@x.fi", "", "0123abcd", "Kulttuuri 1-6-2023.xlsx",
           "smtp", "hyväksytty", "=1+2"]
    ws = _read(sending.journal_sheet_layout([row]))
    assert [c.value for c in ws[1]] == list(sending.JOURNAL_HEADS)
    assert [c.value for c in ws[2]] == [*row[:4], None, *row[5:]]
    assert ws["J2"].data_type == "s"      # a reply that looks like a formula stays text


def test_the_imports_sheet_has_numbers_and_text() -> None:
    ws = _read(importer._imports_sheet([["2023-07-01", "a.csv", "ab", 12, 1.5, None, True]]))
    assert [c.value for c in ws[1]] == list(importer.IMPORT_HEADS)
    assert [c.value for c in ws[2]][:7] == ["2023-07-01", "a.csv", "ab", 12, 1.5, None, "True"]


def test_the_collect_sheets_keep_their_looks() -> None:
    expl = collect.explanations_sheet_layout([["Kulttuuri", "Myyntituotot", 45.25, 50.0, "syy", 1234.0]])
    ws = _read(expl)
    assert [c.value for c in ws[1]] == list(EXPLANATION_HEADS)
    assert ws["C2"].number_format == "0.0" and ws["F2"].number_format == "#,##0;-#,##0;0"
    assert ws["E2"].alignment.wrap_text and not ws["A2"].alignment.wrap_text
    answered = collect.AreaOutcome("Kulttuuri", "vastattu", "k.xlsx", "v1", dt.datetime(2023, 8, 1, 12))
    missing = collect.AreaOutcome("Nuoriso", "ei vastausta", missing=["koko vastaus"])
    ws = _read(collect.status_sheet_layout([answered, missing], {"kulttuuri": ("2023-07-01", "v1")},
                                           {"Kulttuuri": "v1", "Nuoriso": "v2"}))
    assert [c.value for c in ws[2]][:8] == ["Kulttuuri", "2023-07-01", "v1", "v1", "2023-08-01T12:00:00", "v1",
                                            "k.xlsx", "vastattu"]
    assert [c.value for c in ws[3]][:4] == ["Nuoriso", "ei lähetetty", None, "v2"]
    assert ws["H2"].fill.fgColor.rgb.endswith("C6EFCE") and ws["H3"].fill.fgColor.rgb.endswith("FFC7CE")
    goals = collect.goals_sheet_layout([("Taso", "Päämäärä", "Tavoite"), ("A", None, 3)])
    ws = _read(goals)
    assert [[c.value for c in row] for row in ws.iter_rows(max_col=3)] == [["Taso", "Päämäärä", "Tavoite"],
                                                                          ["A", None, 3]]
    assert ws.freeze_panes == "C2" and len(ws.data_validations.dataValidation) == 1
