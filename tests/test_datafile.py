"""The data file (CSV and .xlsx): round trips, the bundled CSV, and clear errors on bad input."""

from __future__ import annotations

import io
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elinvoima_xl.core.errors import InputError, NumberFormatError
from elinvoima_xl.sources.load import BUNDLED_CSV, bundled_path
from elinvoima_xl.core.model import Review
from elinvoima_xl.sources.datafile import read_data_csv, read_data_xlsx, write_data_csv, write_data_xlsx
from elinvoima_xl.core.structure import INCOME_STATEMENT as IS

HEADER = "taso;alue;rivi;TP 2022 (1000 €);TOT 2022 6 kk (1000 €);TA 2023 (€);TOT 2023 6 kk (€)"


def _same_figures(a: Review, b: Review) -> None:
    pairs = list(zip(a.areas, b.areas)) + list(zip(a.investments, b.investments))
    pairs += [(a.division_table, b.division_table), (a.council, b.council),
              (a.investments_total, b.investments_total)]
    assert len(a.areas) == len(b.areas) and len(a.investments) == len(b.investments)
    for x, y in pairs:
        assert x is not None and y is not None
        assert x.name == y.name
        assert np.array_equal(x.values, y.values, equal_nan=True), x.name
        assert np.array_equal(x.printed_remaining, y.printed_remaining, equal_nan=True), x.name
        assert np.array_equal(x.printed_pct, y.printed_pct, equal_nan=True), x.name
        assert x.labels == y.labels


def test_bundled_csv_equals_the_seed(seed_review: Review) -> None:
    bundled = read_data_csv(bundled_path(BUNDLED_CSV).read_bytes(), BUNDLED_CSV)
    _same_figures(seed_review, bundled)


def test_csv_and_xlsx_round_trip(seed_review: Review) -> None:
    _same_figures(seed_review, read_data_csv(write_data_csv(seed_review), "x.csv"))
    _same_figures(seed_review, read_data_xlsx(write_data_xlsx(seed_review), "x.xlsx"))


def test_xlsx_is_a_real_workbook_with_numbers(seed_review: Review) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(write_data_xlsx(seed_review)))
    ws = wb["Tiedot"]
    assert [c.value for c in ws[1]][:4] == ["taso", "alue", "rivi", "TP 2022 (1000 €)"]
    row = [c.value for c in ws[2]]
    assert row[:3] == ["toimiala", "Elinvoimalautakunnan toimiala", "Myyntituotot"]
    assert row[3:7] == [330, 148, 207_300, 111_313]


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def test_finnish_numbers_bom_and_cp1252() -> None:
    row = "palvelualue;Kulttuuri;Maksutuotot;713;235;578\u00a0500;279 372,40"
    for data in (_csv(row), b"\xef\xbb\xbf" + _csv(row), _csv(row).decode().encode("cp1252")):
        review = read_data_csv(data, "x.csv")
        area = review.area("Kulttuuri")
        assert area.values[IS.index["maksutuotot"]].tolist() == [713, 235, 578_500, 279_372.4]


def test_comma_separated_with_plain_numbers() -> None:
    data = _csv("palvelualue,Kulttuuri,Maksutuotot,713,235,578500,279372.4",
                header=HEADER.replace(";", ","))
    assert read_data_csv(data, "x.csv").area("Kulttuuri").values[IS.index["maksutuotot"], 3] == 279_372.4


def test_misspelt_label_is_kept_and_noted() -> None:
    data = _csv("palvelualue;A;Henkilöstökulut;-1;-1;-100;-50", "palvelualue;A;Vuokratulot;-2;-1;-200;-90")
    area = read_data_csv(data, "x.csv").area("A")
    assert area.values[IS.index["vuokrakulut"], 2] == -200
    assert area.label_notes and "Vuokratulot" in area.label_notes[0][1]
    assert str(area.label_notes[0][2]) == "x.csv:3"


@pytest.mark.parametrize(("data", "words"), [
    (b"", ["x.csv", "tyhjä"]),
    (b"\n\n", ["x.csv", "tyhjä"]),
    (_csv(header="taso;alue;TA 2023 (€);TOT 2023 6 kk (€)"), ["x.csv", "rivi 1", "'rivi' puuttuu"]),
    (_csv(header="taso;alue;rivi;TOT 2023 6 kk (€)"), ["TA", "puuttuu"]),
    (_csv(header="taso;alue;rivi;Budjetti;TA 2023 (€);TOT 2023 6 kk (€)"), ["Budjetti", "ei tunnistettu"]),
    (_csv(), ["vain otsikkorivi"]),
    (_csv("palvelualue;A;Lounasseteli;1;1;1;1"), ["rivi 2", "Lounasseteli", "ei tunnistettu", "Myyntituotot"]),
    (_csv("alue;A;Myyntituotot;1;1;1;1"), ["rivi 2", "taso 'alue'", "palvelualue"]),
    (_csv("palvelualue;;Myyntituotot;1;1;1;1"), ["rivi 2", "alue puuttuu"]),
    (_csv("palvelualue;A;Myyntituotot;1;1;1;1", "palvelualue;A;Myyntituotot;1;1;1;1"), ["rivi 3", "jo rivillä"]),
])
def test_bad_csv_gives_a_clear_error_with_its_place(data: bytes, words: list[str]) -> None:
    with pytest.raises(InputError) as exc:
        read_data_csv(data, "x.csv")
    for w in words:
        assert w in str(exc.value)


def test_text_where_a_number_belongs() -> None:
    with pytest.raises(NumberFormatError) as exc:
        read_data_csv(_csv("palvelualue;A;Myyntituotot;1;1;paljon;1"), "x.csv")
    assert "x.csv, rivi 2, sarake 'TA 2023 (€)'" in str(exc.value) and "'paljon'" in str(exc.value)


def _xlsx(cell: object) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tiedot"
    ws.append(HEADER.split(";"))
    ws.append(["palvelualue", "A", "Myyntituotot", 1, 1, cell, 1])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_error_names_sheet_and_cell() -> None:
    with pytest.raises(NumberFormatError) as exc:
        read_data_xlsx(_xlsx("paljon"), "x.xlsx")
    assert "Tiedot!F2" in str(exc.value)


def test_xlsx_formula_without_value_is_refused_not_zero() -> None:
    with pytest.raises(InputError) as exc:  # openpyxl writes formulas without a cached value
        read_data_xlsx(_xlsx("=SUM(D2)"), "x.xlsx")
    assert "Tiedot!F2" in str(exc.value) and "=SUM(D2)" in str(exc.value)


def test_broken_xlsx() -> None:
    with pytest.raises(InputError) as exc:
        read_data_xlsx(b"PK\x03\x04 not really", "x.xlsx")
    assert "x.xlsx" in str(exc.value) and "Excel" in str(exc.value)


def test_other_period_needs_no_code_change() -> None:
    header = "taso;alue;rivi;TP 2023 (1000 €);TOT 2023 1-9 kk (1000 €);TA 2024 (€);TOT 2024 1-9 kk (€)"
    review = read_data_csv(_csv("palvelualue;A;Myyntituotot;100;70;120 000;90 000", header=header), "x.csv")
    assert [c.label for c in review.columns] == ["TP 2023", "TOT 2023 9 kk", "TA 2024 +muutos", "TOT 2024 9 kk"]
    assert review.roles.months == 9 and review.title == "Osavuosikatsaus 1–9/2024"


# ---------------------------------------------------------------------------- one reading of Tiedot

@pytest.fixture(scope="module")
def workbook(built_workbook: bytes) -> bytes:
    return built_workbook


def _area_row(data: bytes) -> int:
    ws = openpyxl.load_workbook(io.BytesIO(data), read_only=True)["Tiedot"]
    return next(n for n, row in enumerate(ws.iter_rows(values_only=True), start=1) if row[0] == "palvelualue")


def _with_cell(data: bytes, ref: str, cell_xml: str) -> bytes:
    """The workbook with the Tiedot cell `ref` replaced by `cell_xml` (what Excel writes for such a cell)."""
    import re
    import zipfile

    from elinvoima_xl.ooxml.opc import sheet_parts

    part = sheet_parts(data)["Tiedot"]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == part:
                body, n = re.subn(rf'<c r="{ref}"([^>]*)>.*?</c>'.encode(),
                                  lambda m: cell_xml.format(ref=ref, s=re.sub(r'\s+t="[^"]*"', "", m.group(1).decode())).encode(), body, count=1)
                assert n == 1
            dst.writestr(item, body)
    return out.getvalue()


BAD_CELLS = {   # cell XML as Excel saves it -> the words every reader must say
    "div0": ('<c r="{ref}"{s} t="e"><f>1/0</f><v>#DIV/0!</v></c>', "virhearvo #DIV/0!"),
    "na": ('<c r="{ref}"{s} t="e"><v>#N/A</v></c>', "virhearvo #N/A"),
    "true": ('<c r="{ref}"{s} t="b"><v>1</v></c>', "totuusarvo TOSI"),
    "text number": ('<c r="{ref}"{s} t="inlineStr"><is><t>1 234,50</t></is></c>', "luku on tallennettu tekstinä"),
    "text": ('<c r="{ref}"{s} t="inlineStr"><is><t>paljon</t></is></c>', "teksti 'paljon'"),
    "nan": ('<c r="{ref}"{s}><v>NaN</v></c>', "ei ole lukua (NaN)"),
    "inf": ('<c r="{ref}"{s}><v>INF</v></c>', "liian suuri"),
    "1e400": ('<c r="{ref}"{s}><v>1e400</v></c>', "liian suuri"),
}
_LIVE_VALUE = {"nan": float("nan"), "inf": float("inf"), "1e400": float("inf")}   # openpyxl cannot load these


def _errors_on_every_path(data: bytes, case: str, ref: str) -> dict[str, str]:
    from elinvoima_xl.excel.live_backend import LiveBackend
    from elinvoima_xl.jobs.workbook_jobs import run_job
    from elinvoima_xl.sources.load import load_review
    from elinvoima_xl.jobs.team_workbook import rebuild_bytes
    from elinvoima_xl.workbook.layout import parse_ref

    from .fake_xlwings import FakeBook

    got: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Elinvoima.xlsm"
        path.write_bytes(data)
        with pytest.raises(InputError) as exc:       # check / show / build --data of the .xlsm
            load_review(path)
        got["check"] = str(exc.value)
    with pytest.raises(InputError) as exc:           # rebuild and the ribbon jobs on the file
        rebuild_bytes(data, "Elinvoima.xlsm")
    got["file"] = str(exc.value)
    if case in _LIVE_VALUE:
        book = FakeBook.from_xlsx(_with_cell(data, ref, '<c r="{ref}"{s}><v>0</v></c>'))
        r, c = parse_ref(ref)
        book.sheets["Tiedot"]._put(r + 1, c + 1, _LIVE_VALUE[case])
    else:
        book = FakeBook.from_xlsx(data)
    with pytest.raises(InputError) as exc:           # the ribbon in Excel
        run_job(LiveBackend(book), "rebuild")
    got["live"] = str(exc.value)
    return got


@pytest.mark.parametrize("case", list(BAD_CELLS))
def test_one_reading_of_tiedot_on_every_path(workbook: bytes, case: str) -> None:
    ref = f"F{_area_row(workbook)}"
    cell_xml, words = BAD_CELLS[case]
    data = _with_cell(workbook, ref, cell_xml)
    got = _errors_on_every_path(data, case, ref)
    assert len(set(got.values())) == 1, got                  # the same line from every reader
    line = got["check"]
    assert f"Elinvoima.xlsm, Tiedot!{ref}, sarake 'TA 2023 +muutos (€)'" in line, line
    assert words in line and "\n" not in line


def test_an_error_value_as_an_area_name_is_refused_on_every_path(workbook: bytes) -> None:
    ref = f"B{_area_row(workbook)}"
    data = _with_cell(workbook, ref, '<c r="{ref}"{s} t="e"><v>#N/A</v></c>')
    got = _errors_on_every_path(data, "na", ref)
    assert len(set(got.values())) == 1, got
    assert f"Tiedot!{ref}, sarake 'alue'" in got["check"] and "virhearvo #N/A" in got["check"]


def test_a_refused_rebuild_leaves_the_file_as_it_was(workbook: bytes, tmp_path: Path) -> None:
    import subprocess
    import sys

    ref = f"F{_area_row(workbook)}"
    target = tmp_path / "Elinvoima.xlsm"
    target.write_bytes(_with_cell(workbook, ref, BAD_CELLS["div0"][0]))
    before = target.read_bytes()
    r = subprocess.run([sys.executable, "-m", "elinvoima_xl", "rebuild", str(target)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and f"Tiedot!{ref}" in r.stderr
    # Nothing else written: no backup, no temporary file (the jobs' lock file stays, empty, as filelock leaves it).
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != ".Elinvoima.xlsm.lock")
    assert target.read_bytes() == before and left == ["Elinvoima.xlsm"]


def test_fast_reader_is_used_only_where_it_keeps_cell_types(workbook: bytes) -> None:
    from elinvoima_xl.ooxml.sheet_rows import sheet_rows
    from elinvoima_xl.ooxml.opc import sheet_parts

    part = sheet_parts(workbook)["Tiedot"]
    rows = sheet_rows(workbook, "Tiedot", part)
    assert rows is not None and rows[0][:3] == ("taso", "alue", "rivi")   # a clean sheet: the fast path
    ref = f"F{_area_row(workbook)}"
    for case in ("div0", "true", "text number"):
        assert sheet_rows(_with_cell(workbook, ref, BAD_CELLS[case][0]), "Tiedot", part) is None, case


def test_a_repeated_heading_reads_as_written() -> None:
    """calamine renames a repeated heading ("TA 2023 (€)_1"); the fast path steps aside, so a message
    names the column as the user wrote it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tiedot"
    ws.append([*HEADER.split(";"), "TA 2023 (€)"])
    ws.append(["palvelualue", "A", "Myyntituotot", 1, 1, 5, 1, "paljon"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InputError) as exc:
        read_data_xlsx(buf.getvalue(), "x.xlsx")
    assert "x.xlsx, Tiedot!H2, sarake 'TA 2023 (€)': odotettiin lukua, löytyi teksti 'paljon'" in str(exc.value)


def test_csv_reads_finnish_number_text_but_not_error_values() -> None:
    area = read_data_csv(_csv("palvelualue;A;Myyntituotot;1;1;1 234,50;-5"), "x.csv").area("A")
    assert area.values[IS.index["myyntituotot"], 2:].tolist() == [1234.5, -5]
    for text, words in (("#DIV/0!", "virhearvo #DIV/0!"), ("#PUUTTUU!", "virhearvo #PUUTTUU!"),
                        ("TRUE", "'TRUE'"), ("NaN", "'NaN'"), ("INF", "'INF'"), ("1e400", "'1e400'"),
                        ("9" * 400, "liian suuri"), ("1 000 000 000 000 000", "liian suuri")):
        with pytest.raises(NumberFormatError) as exc:
            read_data_csv(_csv(f"palvelualue;A;Myyntituotot;1;1;{text};1"), "x.csv")
        assert "x.csv, rivi 2, sarake 'TA 2023 (€)'" in str(exc.value) and words in str(exc.value), text


# ---------------------------------------------------------------------------- hostile files, through the CLI

def run_cli(*args: str) -> tuple[int, str, str]:
    """The console entry point in this process: (exit code, stdout, stderr). Any exception but
    SystemExit escaping `run()` is a traceback the user would see, and fails the caller."""
    from contextlib import redirect_stderr, redirect_stdout

    from elinvoima_xl import cli

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["elinvoima", *args]
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                cli.run()
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


_ROW = "palvelualue;Kulttuuri;Myyntituotot;1;1;100;50"
HOSTILE_FILES: list[tuple[str, bytes, list[str]]] = [
    ("x81.csv", _csv("palvelualue;Kult?tuuri;Myyntituotot;1;1;100;50").replace(b"?", b"\x81"), ["rivi 2", "0x81"]),
    ("inf.csv", _csv("palvelualue;A;Myyntituotot;1;1;INF;50"), ["rivi 2", "'INF'"]),
    ("nan.csv", _csv("palvelualue;A;Myyntituotot;1;1;NaN;50"), ["rivi 2", "'NaN'"]),
    ("e400.csv", _csv("palvelualue;A;Myyntituotot;1;1;1e400;50"), ["rivi 2", "'1e400'"]),
    ("digits.csv", _csv(f"palvelualue;A;Myyntituotot;1;1;{'7' * 400};50"), ["rivi 2", "liian suuri"]),
    ("tyhja.csv", b"", ["tyhjä"]),
    ("bomit.csv", b"\xef\xbb\xbf\xef\xbb\xbf", ["tyhjä"]),   # found by the fuzz: was an IndexError
    ("binaari.csv", bytes(range(256)) * 4, ["nollatavu", "rivi 1"]),
    ("tyokirja.csv", b"PK\x03\x04" + bytes(200), ["zip", ".xlsx"]),
    ("vanha.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), [".xls"]),
    ("pitka.csv", _csv(_ROW + ";" + "5" * 200_000), ["rivi 2", "CSV"]),
    ("lainaus.csv", _csv('palvelualue;"A' + "x" * 200_000), ["rivi 2", "lainausmerkit"]),
    ("vanha.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), [".xls", ".xlsx-muodossa"]),
    ("taulukko.ods", b"PK\x03\x04mimetypeapplication/vnd.oasis.opendocument.spreadsheet", [".ods"]),
    ("vanha.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), [".xls", "salasanalla"]),
    ("rikki.xlsx", b"PK\x03\x04" + bytes(100), ["Excel-työkirjana"]),
    ("tyhja.xlsx", b"", ["Excel-työkirjana"]),
    ("roskaa.txt", bytes(range(256)), ["nollatavu"]),
    ("x81.txt", b"Elinvoimalautakunta\n\x81\n", ["rivi 2", "0x81"]),
]


@pytest.mark.parametrize(("name", "data", "words"), HOSTILE_FILES, ids=[f[0] for f in HOSTILE_FILES])
def test_hostile_file_is_one_finnish_line(tmp_path: Path, name: str, data: bytes, words: list[str]) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for command in ("check", "show"):
        code, out, err = run_cli(command, str(path))
        assert code == 2, (command, out, err)
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert name in err and all(w in err for w in words), err


LEDGER_HEAD = b"kustannuspaikka;tili;pvm;summa\n"
HOSTILE_LEDGERS: list[tuple[str, bytes, list[str]]] = [
    ("x81.csv", LEDGER_HEAD + b"1101;3001;15.2.2023;\x81250\n", ["rivi 2", "0x81"]),
    ("digits.csv", LEDGER_HEAD + b"1101;3001;15.2.2023;" + b"9" * 400 + b"\n", ["rivi 2", "yli 10^12 €"]),
    ("e400.csv", LEDGER_HEAD + b"1101;3001;15.2.2023;1e400\n", ["rivi 2", "'1e400'"]),
    ("vanha.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)), [".xls"]),
]


@pytest.mark.parametrize(("name", "data", "words"), HOSTILE_LEDGERS, ids=[f[0] for f in HOSTILE_LEDGERS])
def test_hostile_ledger_is_one_finnish_line(tmp_path: Path, name: str, data: bytes, words: list[str]) -> None:
    """The import's ledger reader: a byte that is no text, a figure that would overflow the cents (it
    used to be imported as -92 233 720 368 547 760 € with exit 0), an old Excel file."""
    (tmp_path / name).write_bytes(data)
    target = tmp_path / "tiedot.csv"
    target.write_bytes(_csv("palvelualue;A;Myyntituotot;1;1;100;50"))
    before = target.read_bytes()
    code, _, err = run_cli("import", str(tmp_path / name), "--into", str(target))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert name in err and all(w in err for w in words), err
    assert target.read_bytes() == before


def test_xlsx_cell_errors_are_one_line(workbook: bytes, tmp_path: Path) -> None:
    """A number cell openpyxl cannot convert is named by its cell, on one line (it used to be a traceback)."""
    ref = f"F{_area_row(workbook)}"
    path = tmp_path / "tiedot.xlsx"
    path.write_bytes(_with_cell(workbook, ref, '<c r="{ref}"{s}><v>abc</v></c>'))
    code, _, err = run_cli("check", str(path))
    assert code == 2 and err.count("\n") == 1 and f"Tiedot!{ref}" in err and "'abc'" in err, err


# ---------------------------------------------------------------------------- fuzz: no traceback escapes

_TOKENS = [";", ",", "\t", "\n", "\r\n", '"', "'", " ", "\u00a0", "-", "=", "%", "€", "0", "1", "9", "12 345,67",
           "1e400", "INF", "NaN", "#DIV/0!", "TRUE", "taso", "alue", "rivi", "palvelualue", "toimiala",
           "valtuusto", "investointi", "investoinnit", "Myyntituotot", "TOIMINTAKATE", "Kulttuuri",
           "TA 2023 (€)", "TOT 2023 6 kk (€)", "TP 2022 (1000 €)", "Jäljellä (€)", "\x00", "\x81", "\ufeff", "😀"]
_BASE = _csv("palvelualue;Kulttuuri;Myyntituotot;1;1;100;50", "palvelualue;Kulttuuri;Henkilöstökulut;-1;-1;-90;-40")


@st.composite
def _csv_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["mutated", "tokens", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "tokens":
        text = "".join(draw(st.lists(st.sampled_from(_TOKENS), max_size=80)))
        return HEADER.encode() + b"\n" + text.encode(draw(st.sampled_from(["utf-8", "utf-16"])), "replace") \
            if draw(st.booleans()) else text.encode("utf-8")
    data = bytearray(_BASE)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["set", "insert", "delete", "token"]))
        if op == "set" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = bytes([draw(st.integers(0, 255))])
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 20))]
        else:
            data[at:at] = draw(st.sampled_from(_TOKENS)).encode("utf-8")
    return bytes(data)


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_csv_bytes(), suffix=st.sampled_from([".csv", ".csv", ".txt"]))
def test_fuzz_no_traceback_escapes_check(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"tiedot{suffix}"
        path.write_bytes(data)
        code, _out, err = run_cli("check", str(path))
    assert code in (0, 1, 2), err
    if code == 2:
        assert err.count("\n") == 1 and "Traceback" not in err and "tiedot" in err, err


# ---------------------------------------------------------------------------- property: every reader reads a cell alike

_CELL = st.one_of(
    st.none(), st.integers(-10**16, 10**16), st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(), st.sampled_from(["1 234,50", "-5", "12", " ", "paljon", "#DIV/0!", "#N/A", "#VALUE!", "'=A1"]),
    st.text(max_size=8))


def _tiedot_xlsx(cells: list[object]) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    ws = wb.add_worksheet("Tiedot")
    for c, h in enumerate(HEADER.split(";")):
        ws.write_string(0, c, h)
    for r, label in enumerate(("Myyntituotot", "Maksutuotot"), start=1):
        ws.write_string(r, 0, "palvelualue")
        ws.write_string(r, 1, "Kulttuuri")
        ws.write_string(r, 2, label)
        for c, v in enumerate(cells[(r - 1) * 4:r * 4], start=3):
            if v is None:
                continue
            if isinstance(v, bool):
                ws.write_boolean(r, c, v)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            elif v in ("#DIV/0!", "#N/A", "#VALUE!"):
                ws.write_formula(r, c, "=1/0", None, v)   # an error value as Excel saves it
            else:
                ws.write_string(r, c, v)
    wb.close()
    return buf.getvalue()


def _outcome(read: Callable[[], Review]) -> object:
    try:
        review = read()
    except InputError as exc:
        return str(exc)
    return review.areas[0].values.tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(_CELL, min_size=8, max_size=8))
def test_every_reader_reads_a_tiedot_cell_alike(cells: list[object]) -> None:
    """check's .xlsx reading (fastexcel where sure), openpyxl alone, and live Excel: the same figures or the same line."""
    from unittest import mock

    from elinvoima_xl.excel.live_backend import LiveBackend
    from elinvoima_xl.jobs.workbook_jobs import read_review

    from .fake_xlwings import FakeBook

    data = _tiedot_xlsx(cells)
    fast = _outcome(lambda: read_data_xlsx(data, "Elinvoima.xlsm"))
    with mock.patch("elinvoima_xl.ooxml.sheet_rows.sheet_rows", return_value=None):
        exact = _outcome(lambda: read_data_xlsx(data, "Elinvoima.xlsm"))
    live = _outcome(lambda: read_review(LiveBackend(FakeBook.from_xlsx(data)))[0])
    assert fast == exact == live or (
        # NaN figures (empty cells) compare unequal as floats: compare them as text
        str(fast) == str(exact) == str(live)), (cells, fast, exact, live)


def test_levels_are_level_members_written_as_the_taso_words() -> None:
    from elinvoima_xl.core.model import Level
    from elinvoima_xl.sources.datafile import LEVELS, data_row_keys, data_rows

    # The order the error names them in: "Sallitut: palvelualue, toimiala, valtuusto, investointi, investoinnit."
    assert list(LEVELS) == [Level.AREA, Level.DIVISION, Level.COUNCIL, Level.INVESTMENT, Level.INVESTMENTS]
    with pytest.raises(InputError, match="Sallitut: palvelualue, toimiala, valtuusto, investointi, investoinnit\\."):
        read_data_csv(_csv("Palvelualueet;A;Myyntituotot;1;1;1;1"), "x.csv")
    review = read_data_csv(bundled_path(BUNDLED_CSV).read_bytes(), BUNDLED_CSV)
    levels = [level for level, _t, _li in data_row_keys(review)]
    assert all(type(level) is Level for level in levels)
    # The bundled file's tables: division, council, 5 areas, 2 investment groups, the investment total.
    assert [(level, t.name) for level, t in review.levelled()][:2] == [
        (Level.DIVISION, "Elinvoimalautakunnan toimiala"), (Level.COUNCIL, "Elinvoimalautakunnan toimiala")]
    assert [level for level, _t in review.levelled()].count(Level.AREA) == 5
    # Written back as the plain words a user types (str, not the enum), one per data row, in the same order.
    written = [row[0] for row in list(data_rows(review))[1:]]
    assert [type(w) for w in written] == [str] * len(levels)
    assert written == [str(level) for level in levels]
    assert set(written) == {"toimiala", "valtuusto", "palvelualue", "investointi", "investoinnit"}
    # A level word in any case and spacing is the level.
    shouted = read_data_csv(_csv(" PALVELUALUE ;A;Myyntituotot;1;1;1;1"), "x.csv")
    assert [(level, t.name) for level, t in shouted.levelled()] == [(Level.AREA, "A")]
