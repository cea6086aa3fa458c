"""Owned means proven owned: what the team did in or with the tool's sheets is kept, or the rebuild refuses naming it."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from elinvoima_xl.core.errors import ElinvoimaError
from elinvoima_xl.workbook.layout import CONF_SHEET, OWNED_NAME, SUMMARY_SHEET
from elinvoima_xl.core.model import Review
from elinvoima_xl.workbook.ownership import FINGERPRINT_NAME
from elinvoima_xl.workbook.package import finish_package
from elinvoima_xl.ooxml.opc import sheet_parts
from elinvoima_xl.jobs.team_workbook import backup_paths, build_workbook, rebuild_bytes, rebuild_workbook


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    return built_workbook


def _excel_save(wb: openpyxl.Workbook) -> bytes:
    """Stand-in for the team saving in Excel: openpyxl rewrites every sheet (shared strings, no cached
    values), finish_package restores the ribbon and macro type openpyxl drops."""
    buf = io.BytesIO()
    wb.save(buf)
    return finish_package(buf.getvalue(), None)


def _part(data: bytes, sheet: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(sheet_parts(data)[sheet])


def _copy_as_excel_does(wb: openpyxl.Workbook, source: str, title: str) -> openpyxl.worksheet.worksheet.Worksheet:
    """Excel's Move or Copy: the copy carries the sheet's cells and its sheet-scoped names."""
    ws = wb.copy_worksheet(wb[source])
    ws.title = title
    for key, name in wb[source].defined_names.items():
        ws.defined_names[key] = DefinedName(key, attr_text=name.attr_text, hidden=name.hidden)
    return ws


def test_every_owned_sheet_carries_a_hidden_fingerprint(built: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(built)) as z:
        text = z.read("xl/workbook.xml").decode()
    owned = re.findall(rf'<definedName name="{OWNED_NAME}" localSheetId="(\d+)"', text)
    stamped = re.findall(rf'<definedName name="{FINGERPRINT_NAME}" localSheetId="(\d+)" hidden="1">"[0-9a-f]{{12}}:[0-9a-f]{{40}}:[0-9a-f]{{16}}"<', text)
    assert owned and sorted(owned) == sorted(stamped)


def test_an_excel_save_of_untouched_sheets_keeps_them_owned(built: bytes) -> None:
    # openpyxl rewrites every sheet (shared strings, cached values dropped); the cells are the same, so owned.
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    out, report = rebuild_bytes(_excel_save(wb), "Elinvoima.xlsm")
    assert "Kulttuuri" in report.replaced and SUMMARY_SHEET in report.replaced
    assert set(report.kept) == {"Tiedot", "Tavoitteet", "Tunnusluvut", "Riskit", "Vastaanottajat"}


def test_a_copied_area_sheet_with_a_note_is_kept_as_the_teams(built: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    copy = _copy_as_excel_does(wb, "Kulttuuri", "Kulttuuri (2)")
    copy["M3"] = "Vuokrat kysytty 12.9."
    edited = _excel_save(wb)
    assert OWNED_NAME in openpyxl.load_workbook(io.BytesIO(edited))["Kulttuuri (2)"].defined_names
    out, report = rebuild_bytes(edited, "Elinvoima.xlsm")
    assert "Kulttuuri (2)" in report.kept and "Kulttuuri" in report.replaced
    assert _part(out, "Kulttuuri (2)") == _part(edited, "Kulttuuri (2)")
    assert openpyxl.load_workbook(io.BytesIO(out))["Kulttuuri (2)"]["M3"].value == "Vuokrat kysytty 12.9."
    # it is no longer marked as the tool's (so the ribbon in Excel will not take it either), and stays
    assert OWNED_NAME not in openpyxl.load_workbook(io.BytesIO(out))["Kulttuuri (2)"].defined_names
    assert OWNED_NAME in openpyxl.load_workbook(io.BytesIO(out))["Kulttuuri"].defined_names
    again, report2 = rebuild_bytes(out, "Elinvoima.xlsm")
    assert "Kulttuuri (2)" in report2.kept and _part(again, "Kulttuuri (2)") == _part(edited, "Kulttuuri (2)")


def test_a_renamed_area_sheet_is_kept_as_the_teams(built: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    wb["Kulttuuri"].title = "Kulttuuri arkisto 2022"
    edited = _excel_save(wb)
    out, report = rebuild_bytes(edited, "Elinvoima.xlsm")
    assert "Kulttuuri arkisto 2022" in report.kept
    assert "Kulttuuri" in report.replaced         # the area is still in Tiedot: its sheet is made anew
    assert _part(out, "Kulttuuri arkisto 2022") == _part(edited, "Kulttuuri arkisto 2022")


def _refused(data: bytes, tmp_path: Path, pattern: str) -> None:
    path = tmp_path / "Elinvoima.xlsm"
    path.write_bytes(data)
    with pytest.raises(ElinvoimaError, match=pattern):
        rebuild_workbook(path)
    assert path.read_bytes() == data
    assert not any(p.exists() for p in backup_paths(path))


def test_a_note_typed_inside_an_area_table_is_refused_naming_the_cell(built: bytes, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    ws = wb["Kulttuuri"]
    # an empty cell inside the table's rows and columns (the old check looked only outside them)
    empty = next(c for row in ws.iter_rows(min_row=4, max_row=ws.max_row, max_col=ws.max_column)
                 for c in row if c.value is None and c.row < ws.max_row and c.column < ws.max_column)
    ws[empty.coordinate] = "huom. vuokrat"
    _refused(_excel_save(wb), tmp_path, rf"'Kulttuuri'.*{empty.coordinate}\b")


def test_a_number_typed_over_a_formula_is_refused_naming_the_cell(built: bytes, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    ws = wb["Kulttuuri"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("="))
    ws[cell.coordinate] = 12345
    _refused(_excel_save(wb), tmp_path, rf"'Kulttuuri'.*\b{cell.coordinate}\b")


def test_a_changed_label_on_the_summary_is_refused(built: bytes, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    ws = wb[SUMMARY_SHEET]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and not c.value.startswith("="))
    ws[cell.coordinate] = cell.value + " (tarkistettu)"
    _refused(_excel_save(wb), tmp_path, rf"'{SUMMARY_SHEET}'.*\b{cell.coordinate}\b")


def test_the_teams_xlwings_settings_are_kept(built: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    conf = wb[CONF_SHEET]
    conf.append(["Interpreter_Win", r"C:\Python311\pythonw.exe"])   # a setting the team adds on the sheet
    edited = _excel_save(wb)
    out, report = rebuild_bytes(edited, "Elinvoima.xlsm")
    assert CONF_SHEET in report.kept and CONF_SHEET not in report.replaced
    rows = list(openpyxl.load_workbook(io.BytesIO(out))[CONF_SHEET].iter_rows(values_only=True))
    # kept as the team left it: every row, the added setting last
    assert rows == list(conf.iter_rows(values_only=True))
    assert rows[-1][:2] == ("Interpreter_Win", r"C:\Python311\pythonw.exe")


def test_a_workbook_without_fingerprints_rebuilds_as_before(built: bytes, tmp_path: Path) -> None:
    legacy = _strip_fingerprints(built)
    out, report = rebuild_bytes(legacy, "Elinvoima.xlsm")
    assert "Kulttuuri" in report.replaced
    with zipfile.ZipFile(io.BytesIO(out)) as z:   # and now they have fingerprints
        assert FINGERPRINT_NAME in z.read("xl/workbook.xml").decode()
    wb = openpyxl.load_workbook(io.BytesIO(legacy), keep_vba=True)
    wb["Kulttuuri"]["M3"] = "muistiinpano"            # outside the table: still refused, as before
    with pytest.raises(ElinvoimaError, match=r"'Kulttuuri'.*M3"):
        rebuild_bytes(_strip_fingerprints(_excel_save(wb)), "Elinvoima.xlsm")


def _strip_fingerprints(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = re.sub(rb'<definedName name="ElinvoimaTarkiste"[^>]*>[^<]*</definedName>', b"", content)
            dst.writestr(item, content)
    return buf.getvalue()


def test_three_backup_generations_rotate(built: bytes, tmp_path: Path) -> None:
    path = tmp_path / "Elinvoima.xlsm"
    path.write_bytes(built)
    versions = [built]
    for _ in range(4):
        rebuild_workbook(path)
        versions.append(path.read_bytes())
    gens = backup_paths(path)
    assert [g.name for g in gens] == ["Elinvoima.edellinen.xlsm", "Elinvoima.edellinen-2.xlsm",
                                      "Elinvoima.edellinen-3.xlsm"]
    # newest backup = the file before the last rebuild, and so on back; the first version has rotated out
    assert [g.read_bytes() for g in gens] == [versions[3], versions[2], versions[1]]
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(
        ["Elinvoima.xlsm", *(g.name for g in gens)])


def test_cells_read_the_same_however_the_file_was_saved() -> None:
    from elinvoima_xl.workbook.ownership import canonical_cells, shared_strings

    ours = (b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Kulttuuri</t></is></c>'
            b'<c r="B1" s="3"><f>SUM(\'Tiedot\'!D5:D7)</f><v>12</v></c>'
            b'<c r="B2"><f>_xlfn.IFS(Tiedot!D8&gt;0,"ok \'A\'!x")</f><v>1</v></c>'
            b'<c r="C1"><f>Tiedot!E5</f></c><c r="C2"><f>Tiedot!E6</f></c><c r="D1"><v>2.50</v></c></row></sheetData>')
    excels = (b'<sheetData><row r="1"><c r="A1" s="7" t="s"><v>0</v></c>'
              b'<c r="B1"><f>SUM(Tiedot!D5:D7)</f><v>13</v></c>'
              b'<c r="B2" t="str"><f>_xlfn.IFS(Tiedot!D8&gt;0,"ok \'A\'!x")</f><v>ok</v></c>'
              b'<c r="C1"><f t="shared" ref="C1:C2" si="0">Tiedot!E5</f><v>1</v></c>'
              b'<c r="C2"><f t="shared" si="0"/><v>2</v></c><c r="D1"><v>2.5</v></c><c r="E1" s="2"/></row></sheetData>')
    strings = shared_strings('<sst><si><r><t>Kult</t></r><r><t>tuuri</t></r><rPh><t>x</t></rPh></si></sst>')
    assert canonical_cells(ours, []) == canonical_cells(excels, strings)
    changed = excels.replace(b'"ok \'A\'!x"', b'"OK \'A\'!x"')          # text inside a literal counts
    assert canonical_cells(ours, []) != canonical_cells(changed, strings)


def test_the_layout_and_the_written_sheet_give_the_same_cells(seed_review: Review, built: bytes) -> None:
    # Fingerprints are computed from the layout while the sheets render, and checked later from the
    # XML: the two readings must agree for every owned sheet, or every rebuild would see a change.
    import sys

    from elinvoima_xl.core.checks import run_checks
    from elinvoima_xl.workbook.layout import workbook_layout
    from elinvoima_xl.workbook.ownership import canonical_cells, layout_cells, shared_strings

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from synthetic import synthetic_income_review

    synthetic = synthetic_income_review(12, seed=9)
    compared = 0
    for review, data in ((seed_review, built), (synthetic, build_workbook(synthetic))):
        parts = sheet_parts(data)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            strings = shared_strings(z.read("xl/sharedStrings.xml"))
            for sheet in workbook_layout(review, run_checks(review)).sheets:
                if sheet.owned:
                    written = canonical_cells(z.read(parts[sheet.name]), strings)
                    assert written == layout_cells([(c.row, c.col, c.value, c.formula) for c in sheet.cells]), sheet.name
                    assert written
                    compared += 1
    # owned sheets: the seed's Yhteenveto, 5 areas, Tarkistukset and xlwings.conf (8); the synthetic's 12 areas and 3
    assert compared == 8 + 12 + 3


@pytest.mark.libreoffice
def test_a_libreoffice_save_keeps_every_untouched_sheet_owned(tmp_path: Path) -> None:
    # A real third-party writer rewrites every sheet (its own strings, formulas, booleans as FALSE()):
    # the cells are the same, so each sheet is still proven the tool's; a note typed in LibreOffice is not.
    from elinvoima_xl.jobs.team_workbook import ownership

    from .conftest import REPO

    from .spreadsheet_engine import convert

    src = tmp_path / "Elinvoima.xlsm"
    src.write_bytes((REPO / "workbook" / "Elinvoima.xlsm").read_bytes())
    saved = convert(src, "xlsm:Calc MS Excel 2007 VBA XML", tmp_path / "lo").read_bytes()
    verdicts = ownership(saved, sheet_parts(saved))
    assert verdicts and {v.status for v in verdicts.values()} == {"owned"}, {k: v.status for k, v in verdicts.items()}
    out, report = rebuild_bytes(saved, "Elinvoima.xlsm")
    assert "Kulttuuri" in report.replaced and CONF_SHEET in report.replaced
