"""The ribbon's rebuild in Excel proves a tool sheet the tool's before replacing it, as the file backend does (Excel is the strict fake)."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.core.errors import ElinvoimaError
from elinvoima_xl.excel import ribbon
from elinvoima_xl.excel.live_backend import LiveBackend
from elinvoima_xl.excel.live_ownership import live_status, sheet_names_of
from elinvoima_xl.jobs.team_workbook import rebuild_bytes
from elinvoima_xl.jobs.workbook_jobs import run_job
from elinvoima_xl.workbook.layout import CONF_SHEET, OWNED_NAME, SUMMARY_SHEET
from elinvoima_xl.workbook.ownership import FINGERPRINT_NAME

from .fake_xlwings import FakeBook
from .test_ownership import _copy_as_excel_does, _excel_save, _strip_fingerprints


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    return built_workbook


def _edited(built: bytes, edit: Callable[[openpyxl.Workbook], None]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    edit(wb)
    return _excel_save(wb)


def _snapshot(book: FakeBook) -> list[tuple[str, dict[tuple[int, int], object], dict[tuple[int, int], str]]]:
    return [(s.name, dict(s._values), dict(s._formulas)) for s in book._sheets]


def _refused_in_both(data: bytes, pattern: str) -> None:
    """The file backend and the live one refuse the same edit with the same message, and Excel's book is untouched."""
    with pytest.raises(ElinvoimaError, match=pattern) as file_refusal:
        rebuild_bytes(data, "Elinvoima.xlsm")
    book = FakeBook.from_xlsx(data)
    before = _snapshot(book)
    with pytest.raises(ElinvoimaError, match=pattern) as live_refusal:
        run_job(LiveBackend(book), "rebuild")
    assert str(live_refusal.value) == str(file_refusal.value)
    assert _snapshot(book) == before
    assert not [w for _s, w in book.log if w.endswith(".set") or w in ("clear", "delete", "names.add")]


def test_a_built_workbook_is_owned_sheet_by_sheet(built: bytes) -> None:
    book = FakeBook.from_xlsx(built)
    owned = [s for s in book._sheets if OWNED_NAME in sheet_names_of(s)]
    assert {s.name for s in owned} >= {"Kulttuuri", SUMMARY_SHEET}
    assert {s.name: live_status(s, sheet_names_of(s)).status for s in owned} == {s.name: "owned" for s in owned}


def test_a_note_typed_inside_an_area_table_is_refused_naming_the_cell(built: bytes) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(built))["Kulttuuri"]
    empty = next(c for row in ws.iter_rows(min_row=4, max_row=ws.max_row, max_col=ws.max_column)
                 for c in row if c.value is None and c.row < ws.max_row and c.column < ws.max_column)
    data = _edited(built, lambda wb: wb["Kulttuuri"].__setitem__(empty.coordinate, "huom. vuokrat"))
    _refused_in_both(data, rf"'Kulttuuri'.*\b{empty.coordinate}\b")


def test_a_number_typed_over_a_formula_is_refused_naming_the_cell(built: bytes) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(built))["Kulttuuri"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("="))
    data = _edited(built, lambda wb: wb["Kulttuuri"].__setitem__(cell.coordinate, 12345))
    _refused_in_both(data, rf"'Kulttuuri'.*\b{cell.coordinate}\b")


def test_a_changed_label_on_the_summary_is_refused(built: bytes) -> None:
    ws = openpyxl.load_workbook(io.BytesIO(built))[SUMMARY_SHEET]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and not c.value.startswith("="))
    data = _edited(built, lambda wb: wb[SUMMARY_SHEET].__setitem__(cell.coordinate, cell.value + " (tarkistettu)"))
    _refused_in_both(data, rf"'{SUMMARY_SHEET}'.*\b{cell.coordinate}\b")


def test_a_copied_area_sheet_is_the_teams_and_stays(built: bytes) -> None:
    def copy(wb: openpyxl.Workbook) -> None:
        _copy_as_excel_does(wb, "Kulttuuri", "Kulttuuri (2)")["M3"] = "Vuokrat kysytty 12.9."

    book = FakeBook.from_xlsx(_edited(built, copy))
    backend = LiveBackend(book)
    assert "Kulttuuri (2)" not in backend.owned_sheets() and "Kulttuuri" in backend.owned_sheets()
    report = run_job(backend, "rebuild")
    assert "Kulttuuri" in report.written and "Kulttuuri (2)" not in report.written + report.removed
    assert book.sheets["Kulttuuri (2)"]._values[(3, 13)] == "Vuokrat kysytty 12.9."


def test_a_live_rebuild_leaves_fingerprints_a_second_one_accepts(built: bytes) -> None:
    book = FakeBook.from_xlsx(built)
    report = run_job(LiveBackend(book), "rebuild")
    written = [book.sheets[s] for s in report.written if s != CONF_SHEET]
    assert {s.name: live_status(s, sheet_names_of(s)).status for s in written} == {s.name: "owned" for s in written}
    # the same cells as the file backend's rebuild: the fingerprint it stores, less its hash of the raw bytes
    by_file, _ = rebuild_bytes(built, "Elinvoima.xlsm")
    stored = openpyxl.load_workbook(io.BytesIO(by_file))["Kulttuuri"].defined_names[FINGERPRINT_NAME].attr_text
    live = sheet_names_of(book.sheets["Kulttuuri"])[FINGERPRINT_NAME].refers_to
    assert stored.count(":") == 2 and live == "=" + stored.rsplit(":", 1)[0] + '"'
    run_job(LiveBackend(book), "rebuild")
    # and a note typed afterwards in Excel is refused by the next rebuild
    book.sheets["Kulttuuri"]._put(40, 13, "oma huomio")
    with pytest.raises(ElinvoimaError, match=r"'Kulttuuri'.*\bM40\b"):
        run_job(LiveBackend(book), "rebuild")


def test_the_teams_xlwings_settings_are_kept(built: bytes) -> None:
    data = _edited(built, lambda wb: wb[CONF_SHEET].append(["Interpreter_Win", r"C:\Python311\pythonw.exe"]))
    book = FakeBook.from_xlsx(data)
    backend = LiveBackend(book)
    run_job(backend, "rebuild")
    assert backend.kept_as_teams == {CONF_SHEET}
    values = book.sheets[CONF_SHEET]._values
    assert "Interpreter_Win" in values.values() and r"C:\Python311\pythonw.exe" in values.values()


def test_a_workbook_without_fingerprints_rebuilds_as_before(built: bytes) -> None:
    data = _edited(built, lambda wb: wb["Kulttuuri"].__setitem__("B40", "muistiinpano"))
    book = FakeBook.from_xlsx(_strip_fingerprints(data))
    assert live_status(book.sheets["Kulttuuri"], sheet_names_of(book.sheets["Kulttuuri"])).status == "legacy"
    report = run_job(LiveBackend(book), "rebuild")
    assert "Kulttuuri" in report.written
    assert FINGERPRINT_NAME in sheet_names_of(book.sheets["Kulttuuri"])


def test_the_ribbon_refuses_with_the_command_lines_words(built: bytes, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    data = _edited(built, lambda wb: wb["Kulttuuri"].__setitem__("B40", "oma huomio"))
    (tmp_path / "Elinvoima.xlsm").write_bytes(data)
    cli = subprocess.run([sys.executable, "-m", "elinvoima_xl", "job", "luo_valilehdet", "Elinvoima.xlsm"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert cli.returncode == 2 and "'Kulttuuri'" in cli.stderr and "B40" in cli.stderr, cli.stderr
    assert (tmp_path / "Elinvoima.xlsm").read_bytes() == data
    book = FakeBook.from_xlsx(data)
    before = _snapshot(book)
    monkeypatch.setattr(ribbon, "_caller", lambda: book)
    ribbon.luo_valilehdet()
    assert book.app._alerts == [("Elinvoima", cli.stderr.strip().splitlines()[-1])]   # after its progress lines
    assert _snapshot(book) == before
