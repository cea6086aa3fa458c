"""Area names as the team types them: every sheet name, chart title and reference Excel accepts, and text never a formula."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from elinvoima_xl.core.names import (
    area_key,
    chart_title,
    clean_text,
    quote_sheet,
    sheet_name,
    sheet_ref,
    text_for_csv,
    utf16_len,
)

from .ooxml import assert_valid_package
from .spreadsheet_engine import convert

HEADER = "taso;alue;rivi;TP 2022 (1000 €);TOT 2022 6 kk (1000 €);TA 2023 (€);TOT 2023 6 kk (€)"
EMOJI_32 = "😀" * 32                       # 64 UTF-16 units
HOSTILE = ["Nuoriso!", "O'Brien", "=Tiedot!A1", EMOJI_32, "Kult\x01tuuri", "History", "'Lainattu'",
           "Tiet/kadut: [a*b?]", "+358 palvelut", "@Yhteiset"]


# ---------------------------------------------------------------------------- the rules, one by one

def _valid(name: str) -> bool:
    """Excel's rules for a sheet name, written out independently of names.py."""
    return (0 < utf16_len(name) <= 31 and not any(c in name for c in "\\/?*[]:")
            and not name.startswith("'") and not name.endswith("'") and name.casefold() != "history"
            and not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in name))


@pytest.mark.parametrize(("area", "expected"), [
    ("Kulttuuri", "Kulttuuri"),
    ("Nuoriso!", "Nuoriso!"),                      # "!" is allowed in a sheet name (quoted in formulas)
    ("O'Brien", "O'Brien"),
    ("=Tiedot!A1", "=Tiedot!A1"),
    ("Tiet/kadut: [a*b?]", "Tiet-kadut- -a-b--"),
    ("Kult\x01tuuri", "Kult tuuri"),
    ("Kult\x00\x1f\x7f\x85tuuri", "Kult tuuri"),
    ("History", "History (alue)"),
    ("HISTORY", "HISTORY (alue)"),
    ("'Lainattu'", "Lainattu"),
    ("''", "Alue"),
    ("   ", "Alue"),
])
def test_sheet_name_rules(area: str, expected: str) -> None:
    got = sheet_name(area, set())
    assert got == expected
    assert _valid(got)


def test_31_units_as_excel_counts_them() -> None:
    # Each emoji is two UTF-16 units: 15 fit in 31 units, and a pair is never cut in half.
    got = sheet_name(EMOJI_32, set())
    assert got == "😀" * 15 and utf16_len(got) == 30 and _valid(got)
    assert sheet_name("a" * 40, set()) == "a" * 31
    assert sheet_name("a" * 30 + "😀", set()) == "a" * 30    # 32 units: the emoji does not fit
    # A cut that leaves an apostrophe at the end drops it too (Excel refuses a trailing one).
    assert sheet_name("a" * 30 + "'b", set()) == "a" * 30


def test_unique_ignoring_case_with_room_for_the_suffix() -> None:
    taken: set[str] = set()
    names = [sheet_name(n, taken) for n in ("Liikunta", "LIIKUNTA", "liikunta", "Liikunta (2)")]
    assert names == ["Liikunta", "LIIKUNTA (2)", "liikunta (3)", "Liikunta (2) (2)"]
    assert len({n.casefold() for n in names}) == len(names)
    taken = set()
    long = [sheet_name("😀" * 20 + str(i), taken) for i in range(3)]
    assert long[0] == "😀" * 15 and all(_valid(n) for n in long) and len({n.casefold() for n in long}) == 3
    assert long[1] == "😀" * 13 + " (2)" and utf16_len(long[1]) == 30
    # Unicode case folding, as Excel compares (ς and Σ are one letter).
    taken = set()
    assert sheet_name("ΟΔΟΣ", taken) == "ΟΔΟΣ" and sheet_name("οδος", taken) == "οδος (2)"


def test_references_quote_the_sheet() -> None:
    assert quote_sheet("O'Brien") == "'O''Brien'"
    assert sheet_ref("O'Brien", "A1") == "'O''Brien'!A1"
    assert sheet_ref("Nuoriso!", "B5") == "'Nuoriso!'!B5"


def test_text_that_would_be_a_formula() -> None:
    assert [text_for_csv(t) for t in ("=A1", "+358", "-5 kk", "@x", "Kulttuuri", "")] == \
        ["'=A1", "'+358", "'-5 kk", "'@x", "Kulttuuri", ""]
    assert chart_title("=Tiedot!A1\x07: talousarvio") == "=Tiedot!A1 : talousarvio"
    assert clean_text("a\u00a0 b\tc\r\nd") == "a b c d"


def test_area_identity_ignores_case_and_spacing() -> None:
    assert area_key("Liikunta") == area_key("LIIKUNTA") == area_key(" liikunta ")
    assert area_key("Liikunta") != area_key("Liikunta 2")


# ---------------------------------------------------------------------------- through the command line

def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elinvoima_xl", *map(str, args)],
                          capture_output=True, text=True, check=False)


def _data(areas: list[str]) -> bytes:
    rows = [f"palvelualue;{a};Myyntituotot;1;1;{100 * (i + 1)};{10 * (i + 1)}" for i, a in enumerate(areas)]
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def hostile_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("names")
    (tmp / "tiedot.csv").write_bytes(_data(["Kulttuuri", *HOSTILE]))
    r = _cli("build", "--data", tmp / "tiedot.csv", "-o", tmp / "Elinvoima.xlsm")
    assert r.returncode == 0, r.stderr
    return tmp / "Elinvoima.xlsm"


def _well_formed(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for part in z.namelist():
            if part.endswith((".xml", ".rels", ".vml")):
                ElementTree.fromstring(z.read(part))   # raises on a character XML cannot hold


def test_hostile_names_build_and_rebuild_twice(hostile_workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "Elinvoima.xlsm"
    target.write_bytes(hostile_workbook.read_bytes())
    built_names = openpyxl.load_workbook(target, read_only=True).sheetnames
    for _ in range(2):    # the second rebuild used to refuse, taking our own sheets for the team's
        r = _cli("rebuild", target)
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        _well_formed(target.read_bytes())
    names = openpyxl.load_workbook(target, read_only=True).sheetnames
    assert names == built_names
    areas = names[1:names.index("Tarkistukset")]
    assert areas == ["Kulttuuri", "Nuoriso!", "O'Brien", "=Tiedot!A1", "😀" * 15, "Kult tuuri", "History (alue)",
                     "Lainattu", "Tiet-kadut- -a-b--", "+358 palvelut", "@Yhteiset"]
    assert all(_valid(n) for n in names)


def test_hostile_names_pass_openxml_audit(hostile_workbook: Path, tmp_path: Path) -> None:
    assert_valid_package(hostile_workbook.read_bytes(), "Elinvoima.xlsm")
    target = tmp_path / "Elinvoima.xlsm"
    target.write_bytes(hostile_workbook.read_bytes())
    assert _cli("rebuild", target).returncode == 0
    assert_valid_package(target.read_bytes(), "Elinvoima.xlsm")
    r = _cli("export", hostile_workbook.parent / "tiedot.csv", "-o", tmp_path / "tiedot.xlsx")
    assert r.returncode == 0, r.stderr
    assert_valid_package(tmp_path / "tiedot.xlsx", "tiedot.xlsx")


def test_area_text_stays_text(hostile_workbook: Path) -> None:
    data = hostile_workbook.read_bytes()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["=Tiedot!A1"]
    assert ws["A1"].value == "=Tiedot!A1" and ws["A1"].data_type == "s"
    tiedot = wb["Tiedot"]
    texts = [c.value for c in tiedot["B"]]
    assert "=Tiedot!A1" in texts and "+358 palvelut" in texts
    assert all(c.data_type == "s" for c in tiedot["B"] if c.value is not None)
    # Every chart title is literal text: never a reference to a cell (<c:strRef> in <c:title>).
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
    titles = [re.search(r"<c:title>(.*?)</c:title>", c, re.S).group(1) for c in charts]   # type: ignore[union-attr]
    assert len(titles) == 11 and not any("strRef" in t or "<c:f>" in t for t in titles)
    assert any("<a:t>=Tiedot!A1: talousarvio ja toteuma</a:t>" in t for t in titles)


def test_formulas_quote_sheet_names(hostile_workbook: Path) -> None:
    wb = openpyxl.load_workbook(hostile_workbook)
    formula = wb["Yhteenveto"]["D6"].value      # Myyntituotot, TA: the sum over the area sheets
    assert "'O''Brien'!D6" in formula and "'Nuoriso!'!D6" in formula and "'=Tiedot!A1'!D6" in formula


@pytest.mark.libreoffice
def test_libreoffice_sums_the_hostile_sheets(hostile_workbook: Path, tmp_path: Path) -> None:
    src = tmp_path / "Elinvoima.xlsm"
    src.write_bytes(hostile_workbook.read_bytes())
    wb = openpyxl.load_workbook(convert(src, "xlsx", tmp_path), data_only=True)
    n = 1 + len(HOSTILE)
    # Myyntituotot: TA of area i is 100·(i+1) €, TOT 10·(i+1) €; the summary adds them by formula.
    assert wb["Yhteenveto"]["D6"].value == pytest.approx(100 * n * (n + 1) / 2)
    assert wb["Yhteenveto"]["E6"].value == pytest.approx(10 * n * (n + 1) / 2)
    assert wb["O'Brien"]["D6"].value == pytest.approx(300)


def test_areas_equal_but_for_case_are_refused(tmp_path: Path) -> None:
    (tmp_path / "tiedot.csv").write_bytes(_data(["Liikunta", "Kulttuuri", "LIIKUNTA"]))
    r = _cli("build", "--data", tmp_path / "tiedot.csv", "-o", tmp_path / "Elinvoima.xlsm")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "'Liikunta' (rivi 2)" in r.stderr and "'LIIKUNTA' (rivi 4)" in r.stderr
    assert not (tmp_path / "Elinvoima.xlsm").exists()
    r = _cli("check", tmp_path / "tiedot.csv")
    assert r.returncode == 2 and "'LIIKUNTA' (rivi 4)" in r.stderr


def test_a_team_sheet_named_like_an_area_is_left_alone(hostile_workbook: Path, tmp_path: Path) -> None:
    """An area whose name a team sheet already has (ignoring case) gets its own sheet name; the team's stays."""
    from elinvoima_xl.jobs.team_workbook import rebuild_bytes

    data = hostile_workbook.read_bytes()
    # A new area "Muistio" in Tiedot, and the team's own sheet "MUISTIO" in the workbook.
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
    note = wb.create_sheet("MUISTIO")
    note["A1"] = "tiimin muistiinpanot"
    ws = wb["Tiedot"]
    ws.append(["palvelualue", "Muistio", "Myyntituotot", 1, 1, 5, 2])
    buf = io.BytesIO()
    wb.save(buf)
    out, report = rebuild_bytes(buf.getvalue(), "Elinvoima.xlsm")
    names = openpyxl.load_workbook(io.BytesIO(out), read_only=True).sheetnames
    assert "MUISTIO" in names and "Muistio (2)" in names and "MUISTIO" in report.kept
    assert openpyxl.load_workbook(io.BytesIO(out))["MUISTIO"]["A1"].value == "tiimin muistiinpanot"


def test_import_log_keeps_a_formula_like_file_name_as_text(tmp_path: Path) -> None:
    from elinvoima_xl.jobs.importer import _log_line

    line = _log_line(["2023-07-01", "=HYPERLINK(\"x\");k.csv", "ab", 3, 1.5])
    assert line == "2023-07-01;\"'=HYPERLINK(\"\"x\"\");k.csv\";ab;3;1.5\r\n"


def test_mapping_areas_equal_but_for_case() -> None:
    """Within the mapping two spellings are refused; against the data, the data's spelling is the area."""
    from elinvoima_xl.core.errors import InputError
    from elinvoima_xl.sources.ledger import read_mapping

    with pytest.raises(InputError) as exc:
        read_mapping(b"tyyppi;alku;loppu;kohde\nkustannuspaikka;1100;1199;Liikunta\n"
                     b"tili;3000;3099;Myyntituotot\nkustannuspaikka;1200;1299;LIIKUNTA\n", "kohdistus.csv")
    assert "kohdistus.csv, rivi 4" in str(exc.value) and "'Liikunta' (rivi 2)" in str(exc.value)


def test_import_fills_the_area_whatever_the_case(tmp_path: Path) -> None:
    (tmp_path / "tiedot.csv").write_bytes(
        "taso;alue;rivi;TA 2023 (€);TOT 2023 3 kk (€)\npalvelualue;Liikunta;Myyntituotot;100;10\n".encode())
    (tmp_path / "map.csv").write_bytes(b"tyyppi;alku;loppu;kohde\nkustannuspaikka;1100;1199;LIIKUNTA\n"
                                       b"tili;3000;3099;Myyntituotot\n")
    (tmp_path / "k.csv").write_bytes(b"kustannuspaikka;tili;pvm;summa\n1101;3001;10.1.2023;30,00\n"
                                     b"1101;3001;15.2.2023;250,00\n1101;3001;20.3.2023;-50,00\n")
    r = _cli("import", tmp_path / "k.csv", "--into", tmp_path / "tiedot.csv", "--map", tmp_path / "map.csv")
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "tiedot.csv").read_text(encoding="utf-8-sig").splitlines()
    # One area, spelt as the data spells it; its actual is the ledger's 30 + 250 − 50 = 230 €, its budget kept.
    assert lines[1] == "palvelualue;Liikunta;Myyntituotot;100;230;;", lines
    assert {line.split(";")[1] for line in lines[1:]} == {"Liikunta"}, lines   # subtotals follow, same area


def test_exported_csv_keeps_formula_like_names_as_text_and_reads_them_back() -> None:
    from elinvoima_xl.sources.datafile import read_data_csv, write_data_csv

    review = read_data_csv(_data(["Kulttuuri", *HOSTILE]), "tiedot.csv")
    exported = write_data_csv(review)
    cells = [line.split(";")[1] for line in exported.decode("utf-8-sig").splitlines()[1:]]
    assert "'=Tiedot!A1" in cells and "'+358 palvelut" in cells and "'@Yhteiset" in cells and "O'Brien" in cells
    assert [t.name for t in read_data_csv(exported, "x.csv").areas] == [t.name for t in review.areas]
