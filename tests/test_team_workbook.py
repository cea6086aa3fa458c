"""The team's workbook as a file: package, macros, ribbon, layout, and rebuild keeping what the tool does not own."""

from __future__ import annotations

import importlib
import inspect
import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from oletools.olevba import VBA_Parser

from elinvoima_xl.excel import udfs
from elinvoima_xl.core.errors import ElinvoimaError
from elinvoima_xl.workbook.layout import CHECKS_SHEET, DATA_SHEET, FILL, OWNED_NAME, SUMMARY_SHEET
from elinvoima_xl.core.model import Review
from elinvoima_xl.workbook.package import MACRO_MAIN, RIBBON_PART, RIBBON_REL_TYPE, finish_package, inspect_package
from elinvoima_xl.jobs.team_workbook import build_workbook, rebuild_bytes, rebuild_workbook
from elinvoima_xl.ooxml.opc import sheet_parts
from elinvoima_xl.workbook.vba import MACROS_DIR, UDF_MODULE_FILE

CUSTOMUI_NS = {"c": "http://schemas.microsoft.com/office/2009/07/customui"}


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    return built_workbook


def vba_modules(data: bytes) -> dict[str, str]:
    parser = VBA_Parser("Elinvoima.xlsm", data=data)
    try:
        return {vba_name.rsplit(".", 1)[0]: code.replace("\r\n", "\n")
                for _f, _s, vba_name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_package_is_a_valid_macro_workbook(built: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(built)) as z:
        assert z.testzip() is None
    info = inspect_package(built)
    assert info.main_content_type == MACRO_MAIN
    assert info.has_vba
    assert info.ribbon_targets == (RIBBON_PART,)
    assert RIBBON_PART in info.names
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    assert wb.sheetnames[:2] == [SUMMARY_SHEET, "Työllisyyspalvelut"]
    assert {DATA_SHEET, "Tavoitteet", "Tunnusluvut", "Riskit", CHECKS_SHEET, "xlwings.conf"} <= set(wb.sheetnames)


def test_committed_workbook_is_the_build_output(built: bytes) -> None:
    # The bundled text is the seed (tests/test_seed.py, test_datafile.py); the committed file must be what
    # `elinvoima build` makes of it, which is the session's build of the seed.
    committed = Path(__file__).resolve().parents[1] / "workbook" / "Elinvoima.xlsm"
    assert committed.read_bytes() == built, "workbook/Elinvoima.xlsm is stale: run `elinvoima build` and commit it"


def test_building_twice_gives_the_same_vba_project(seed_review: Review, built: bytes) -> None:
    again = build_workbook(seed_review)     # the one second build of the seed: determinism needs two
    with zipfile.ZipFile(io.BytesIO(built)) as a, zipfile.ZipFile(io.BytesIO(again)) as b:
        assert a.read("xl/vbaProject.bin") == b.read("xl/vbaProject.bin")


def test_olevba_reads_back_the_macro_sources(built: bytes) -> None:
    modules = vba_modules(built)
    for path in sorted(MACROS_DIR.glob("*.bas")):
        name = path.stem
        assert name in modules, f"{name} missing from the VBA project"
        assert modules[name].rstrip("\n") == path.read_text(encoding="utf-8").rstrip("\n")
    xlwings_bas = Path(importlib.util.find_spec("xlwings").origin).parent / "xlwings.bas"  # type: ignore[union-attr, arg-type]
    assert modules["xlwings"].rstrip("\n") == xlwings_bas.read_text(encoding="utf-8").replace("\r\n", "\n").rstrip("\n")
    assert "Dictionary" in modules   # the standalone module's class


def test_every_ribbon_button_calls_a_public_ribbon_sub(built: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(built)) as z:
        ui = ET.fromstring(z.read(RIBBON_PART))
    buttons = ui.findall(".//c:button", CUSTOMUI_NS)
    labels = {b.get("label") for b in buttons}
    assert labels == {"Tuo kirjanpito", "Luo palvelualueiden välilehdet", "Päivitä yhteenveto",
                      "Tarkista summat", "Lähetä palvelualueille", "Kerää vastaukset"}
    tab = ui.find(".//c:tab", CUSTOMUI_NS)
    assert tab is not None and tab.get("label") == "Elinvoima"
    code = "\n".join(vba_modules(built).values())
    for b in buttons:
        sub = b.get("onAction")
        assert re.search(rf"^Public Sub {sub}\(control As IRibbonControl\)$", code, re.MULTILINE), sub


def test_every_runpython_calls_an_existing_function(built: bytes) -> None:
    code = vba_modules(built)["Elinvoima"]
    calls = re.findall(r'RunPython "import ([\w.]+) as (\w+); \2\.(\w+)\(', code)
    assert len(calls) == 6
    for module, _alias, func in calls:
        assert callable(getattr(importlib.import_module(module), func))
    assert len(re.findall(r"^\s*RunPython\b", code, re.MULTILINE)) == len(calls)   # no other form slipped past


def test_udf_wrappers_match_the_python_udfs(built: bytes) -> None:
    code = vba_modules(built)["xlwings_udfs"]
    wrappers = {name: [a for a in args.split(", ") if a] for name, args in
                re.findall(r"^Function (\w+)\(([^)]*)\)", code, re.MULTILINE)}
    python = {name: [p.name for p in inspect.signature(getattr(udfs, name)).parameters.values()
                     if p.name != "caller"]          # xlwings fills `caller` itself
              for name in udfs.__all__}
    assert {n: [a.removeprefix("Optional ") for a in args] for n, args in wrappers.items()} == python


def test_committed_udf_wrapper_module_is_what_xlwings_generates() -> None:
    script = Path(__file__).resolve().parents[1] / "scripts" / "udf_wrappers.py"
    fresh = subprocess.run([sys.executable, str(script), "--print"], capture_output=True,
                           text=True, check=True, encoding="utf-8").stdout
    assert fresh.startswith('Attribute VB_Name = "xlwings_udfs"') and "Function TOT_PCT(" in fresh
    assert (MACROS_DIR / UDF_MODULE_FILE).read_text(encoding="utf-8") == fresh, \
        "UDFs changed: run `python scripts/udf_wrappers.py` and commit macros/xlwings_udfs.bas"


def test_layout_details(built: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built))
    conf = {r[0]: r[1] for r in wb["xlwings.conf"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert conf["UDF Modules"] == "elinvoima_xl.udfs"
    area = wb["Työllisyyspalvelut"]
    assert area["A1"].value == "Työllisyyspalvelut"
    assert area["A5"].value == "TOIMINTATUOTOT" and area["A5"].font.b
    assert area.freeze_panes == "B5"
    assert area["B6"].value.startswith("='Tiedot'!")              # figures come from the data sheet
    assert area["F6"].value == "=D6-E6"                             # Jäljellä
    assert area["G6"].value == "=IF(D6=0,0,ROUND(E6/(D6)*100,1))"   # TOT-%
    assert len(area._charts) == 1
    goals = wb["Tavoitteet"]
    lists = [dv for dv in goals.data_validations.dataValidation if dv.type == "list"]
    assert lists and lists[0].formula1 == '"Toteutuu,Toteutuu osittain,Ei toteudu"'
    # traffic lights: one rule per Tila of the dropdown, each its own fill
    rules = [r for cf in goals.conditional_formatting for r in cf.rules]
    assert [(r.operator, r.formula) for r in rules] == \
        [("equal", ['"Toteutuu"']), ("equal", ['"Toteutuu osittain"']), ("equal", ['"Ei toteudu"'])]
    assert len({r.dxf.fill.bgColor.rgb for r in rules}) == 3
    for ws in wb.worksheets:
        assert (OWNED_NAME in ws.defined_names) == (ws.title not in (DATA_SHEET, "Tavoitteet", "Tunnusluvut", "Riskit",
                                                                     "Vastaanottajat"))


def test_checks_sheet_links_to_the_wrong_figure_and_marks_it(built: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built))
    checks = wb[CHECKS_SHEET]
    rows = [r for r in checks.iter_rows(min_row=5) if r[1].value == "division_sum" and r[0].value == "Virhe"]
    avustukset = next(r for r in rows if r[3].value == "Avustukset")
    assert avustukset[7].value == -148302            # the seed's error: printed −998 195, areas −849 893
    link = avustukset[9].value
    m = re.fullmatch(r'=HYPERLINK\("#\'Tiedot\'!([A-Z]+\d+)","Tiedot!\1"\)', link)
    assert m, link
    cell = wb[DATA_SHEET][m.group(1)]
    assert cell.value == -998195
    assert cell.fill.fgColor.rgb.endswith(FILL["error"])
    row = cell.row
    assert wb[DATA_SHEET].cell(row, 1).value == "toimiala" and wb[DATA_SHEET].cell(row, 3).value == "Avustukset"


# ---------------------------------------------------------------------------- rebuild

def _staff_edit(data: bytes, tmp: Path) -> bytes:
    """What the team does in Excel: a sheet of their own, a new area in Tiedot, one area removed."""
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
    notes = wb.create_sheet("Omat muistiinpanot")
    notes["A1"] = "Kysy Kulttuurilta vuokrista"
    notes["B2"] = 42
    notes["C2"] = "=B2*2"
    data_ws = wb[DATA_SHEET]
    rows = [r for r in data_ws.iter_rows(min_row=2, values_only=True) if r[0] == "palvelualue" and r[1] == "Kulttuuri"]
    for r in rows:
        data_ws.append(["palvelualue", "Uusi palvelualue", *r[2:]])
    for r in range(data_ws.max_row, 1, -1):   # remove Kaupunkisuunnittelu's rows
        if data_ws.cell(r, 2).value == "Kaupunkisuunnittelu":
            data_ws.delete_rows(r)
    buf = io.BytesIO()
    wb.save(buf)
    return finish_package(buf.getvalue(), None)   # as Excel would save it: ribbon and macros kept


def test_rebuild_keeps_vba_ribbon_and_staff_sheets(built: bytes, tmp_path: Path) -> None:
    edited = _staff_edit(built, tmp_path)
    out, report = rebuild_bytes(edited, "Elinvoima.xlsm")
    with zipfile.ZipFile(io.BytesIO(built)) as a, zipfile.ZipFile(io.BytesIO(out)) as b:
        # the one change ever made to the VBA project: a document module for the new area's sheet
        assert a.read("xl/vbaProject.bin") != b.read("xl/vbaProject.bin")
        old_modules, new_modules = vba_modules(built), vba_modules(out)
        assert {k: v for k, v in new_modules.items() if k in old_modules} == old_modules
        added = set(new_modules) - set(old_modules)
        new_part = sheet_parts(out)["Uusi palvelualue"]
        code = re.search(rb'codeName="([^"]+)"', b.read(new_part))
        assert code is not None and added == {code.group(1).decode()}
        assert b"codeName" not in b.read(sheet_parts(out)["Omat muistiinpanot"])   # the team's sheet: untouched
        assert b.read(RIBBON_PART) == a.read(RIBBON_PART)
    again, _ = rebuild_bytes(out, "Elinvoima.xlsm")      # no new sheet: the project byte for byte
    with zipfile.ZipFile(io.BytesIO(out)) as a, zipfile.ZipFile(io.BytesIO(again)) as b:
        assert a.read("xl/vbaProject.bin") == b.read("xl/vbaProject.bin")
    with zipfile.ZipFile(io.BytesIO(out)) as b:
        rels = ET.fromstring(b.read("_rels/.rels"))
    assert [r.get("Target") for r in rels if r.get("Type") == RIBBON_REL_TYPE] == [RIBBON_PART]
    assert inspect_package(out).main_content_type == MACRO_MAIN
    wb = openpyxl.load_workbook(io.BytesIO(out), keep_vba=True)
    assert "Uusi palvelualue" in wb.sheetnames and "Kaupunkisuunnittelu" not in wb.sheetnames
    notes = wb["Omat muistiinpanot"]
    assert (notes["A1"].value, notes["B2"].value, notes["C2"].value) == ("Kysy Kulttuurilta vuokrista", 42, "=B2*2")
    assert "Omat muistiinpanot" in report.kept and "Uusi palvelualue" in report.replaced
    summary = wb[SUMMARY_SHEET]
    assert "'Uusi palvelualue'!" in summary["B6"].value and "Kaupunkisuunnittelu" not in summary["B6"].value


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr(name, content)
    return buf.getvalue()


def test_rebuild_carries_parts_it_does_not_know(built: bytes) -> None:
    # openpyxl would drop a slicer (and sparklines, shapes, …); the splice never opens such parts.
    content = b'<slicers xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"/>'
    out, _ = rebuild_bytes(_with_part(built, "xl/slicers/slicer1.xml", content), "Elinvoima.xlsm")
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        assert z.read("xl/slicers/slicer1.xml") == content


def test_rebuild_refuses_to_overwrite_staff_notes_in_an_owned_sheet(built: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    wb["Kulttuuri"]["M3"] = "Tarkista vuokrat syksyllä"
    buf = io.BytesIO()
    wb.save(buf)
    edited = finish_package(buf.getvalue(), None)
    with pytest.raises(ElinvoimaError, match=r"'Kulttuuri'.*M3"):
        rebuild_bytes(edited, "Elinvoima.xlsm")


def test_rebuild_refuses_a_workbook_open_in_excel(built: bytes, tmp_path: Path) -> None:
    path = tmp_path / "Elinvoima.xlsm"
    path.write_bytes(built)
    (tmp_path / "~$Elinvoima.xlsm").write_bytes(b"owner")
    with pytest.raises(ElinvoimaError, match="auki Excelissä"):
        rebuild_workbook(path)
    assert path.read_bytes() == built
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Elinvoima.xlsm", "~$Elinvoima.xlsm"]


def test_rebuild_in_place_makes_a_backup(built: bytes, tmp_path: Path) -> None:
    path = tmp_path / "Elinvoima.xlsm"
    path.write_bytes(built)
    report, backup = rebuild_workbook(path)
    assert backup is not None and backup.read_bytes() == built
    assert report.errors == 7
    assert inspect_package(path.read_bytes()).ribbon_targets == (RIBBON_PART,)


def test_cli_build_and_rebuild(tmp_path: Path) -> None:
    target = tmp_path / "Tiimi.xlsm"
    run = [sys.executable, "-m", "elinvoima_xl"]
    r = subprocess.run([*run, "build", "-o", str(target)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([*run, "rebuild", str(target)], capture_output=True, text=True)
    assert r.returncode == 0 and "virheitä 7" in r.stdout, r.stderr
    (tmp_path / "~$Tiimi.xlsm").write_text("x")
    r = subprocess.run([*run, "rebuild", str(target)], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "auki Excelissä" in r.stderr
    r = subprocess.run([*run, "build", "-o", str(tmp_path / "x.xlsx")], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_fast_and_plain_readers_agree_on_the_data_sheet(built: bytes) -> None:
    from elinvoima_xl.ooxml.sheet_rows import sheet_rows
    from elinvoima_xl.ooxml.opc import sheet_parts

    fast = sheet_rows(built, DATA_SHEET, sheet_parts(built)[DATA_SHEET])
    wb = openpyxl.load_workbook(io.BytesIO(built), read_only=True)
    plain = [tuple(r) for r in wb[DATA_SHEET].iter_rows(values_only=True)]
    wb.close()
    assert fast is not None and len(fast) == len(plain)
    for a, b in zip(fast, plain):
        assert [None if v in ("", None) else v for v in a] == [None if v in ("", None) else v for v in b]


def test_rebuild_refuses_a_data_formula_without_a_value(built: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    wb[DATA_SHEET]["G2"] = "=F2*2"     # openpyxl writes no calculated value
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ElinvoimaError, match=r"Tiedot!G2.*kaava"):
        rebuild_bytes(finish_package(buf.getvalue(), None), "Elinvoima.xlsm")


def test_both_writers_render_the_same_cells(seed_review: Review) -> None:
    """xlsxwriter (build and rebuild) and openpyxl (the benchmark's baseline) draw one layout: same cells."""
    from elinvoima_xl.core.checks import run_checks
    from elinvoima_xl.workbook.layout import workbook_layout
    from elinvoima_xl.workbook.xlsx_writer import render_xlsx

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from openpyxl_writer import render_openpyxl

    layout = workbook_layout(seed_review, run_checks(seed_review))
    a = openpyxl.load_workbook(io.BytesIO(render_xlsx(layout)))
    b = openpyxl.load_workbook(io.BytesIO(render_openpyxl(layout)))
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        va = [[c.value for c in r] for r in a[name].iter_rows()]
        vb = [[c.value for c in r] for r in b[name].iter_rows()]
        assert va == vb, name
        assert {r for r, d in a[name].row_dimensions.items() if d.hidden} == \
               {r for r, d in b[name].row_dimensions.items() if d.hidden}, name


def test_rebuild_leaves_one_selected_sheet_and_the_active_tab_on_it(built: bytes) -> None:
    from elinvoima_xl.ooxml.opc import sheet_parts

    out, _ = rebuild_bytes(built, "Elinvoima.xlsm")
    parts = sheet_parts(out)
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        selected = [name for name, part in parts.items() if b'tabSelected="1"' in z.read(part)]
        active = re.search(rb'activeTab="(\d+)"', z.read("xl/workbook.xml"))
    assert len(selected) == 1, selected
    assert active is not None and list(parts)[int(active.group(1))] == selected[0]


def test_rebuild_keeps_the_teams_sheet_scoped_names_on_their_sheets(built: bytes, tmp_path: Path) -> None:
    """Sheet-scoped names refer to sheets by position; new and removed area sheets shift positions."""
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.load_workbook(io.BytesIO(_staff_edit(built, tmp_path)), keep_vba=True)
    wb["Riskit"].defined_names["Tulostus"] = DefinedName("Tulostus", attr_text="Riskit!$A$1:$D$20")
    wb["Omat muistiinpanot"].defined_names["Muistio"] = DefinedName("Muistio", attr_text="'Omat muistiinpanot'!$B$2")
    buf = io.BytesIO()
    wb.save(buf)
    out, _ = rebuild_bytes(finish_package(buf.getvalue(), None), "Elinvoima.xlsm")
    result = openpyxl.load_workbook(io.BytesIO(out), keep_vba=True)
    assert "Tulostus" in result["Riskit"].defined_names
    assert "Muistio" in result["Omat muistiinpanot"].defined_names
    owned = [ws.title for ws in result.worksheets if OWNED_NAME in ws.defined_names]
    assert "Riskit" not in owned and "Uusi palvelualue" in owned


def test_cli_rebuild_names_the_bad_cell_and_writes_nothing(built: bytes, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    wb[DATA_SHEET]["F3"] = "paljon"
    buf = io.BytesIO()
    wb.save(buf)
    target = tmp_path / "Elinvoima.xlsm"
    target.write_bytes(finish_package(buf.getvalue(), None))
    before = target.read_bytes()
    r = subprocess.run([sys.executable, "-m", "elinvoima_xl", "rebuild", str(target)], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "Tiedot!F3" in r.stderr and "paljon" in r.stderr
    assert target.read_bytes() == before and not (tmp_path / "Elinvoima.edellinen.xlsm").exists()


def test_rebuild_rendered_in_two_processes_gives_the_same_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    import elinvoima_xl.jobs.file_backend as file_backend

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from synthetic import synthetic_income_review

    data = build_workbook(synthetic_income_review(45, seed=3))
    parallel, _ = rebuild_bytes(data, "Elinvoima.xlsm")                 # 49 owned sheets: two renderers
    monkeypatch.setattr(file_backend, "PARALLEL_FROM", 10_000)
    single, _ = rebuild_bytes(data, "Elinvoima.xlsm")
    a, b = openpyxl.load_workbook(io.BytesIO(parallel)), openpyxl.load_workbook(io.BytesIO(single))
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        cells_a = [(c.coordinate, c.value, c.number_format, c.font.b, c.fill.fgColor.rgb) for r in a[name].iter_rows() for c in r]
        cells_b = [(c.coordinate, c.value, c.number_format, c.font.b, c.fill.fgColor.rgb) for r in b[name].iter_rows() for c in r]
        assert cells_a == cells_b, name


def test_a_rebuild_right_after_a_build_changes_no_cell_of_the_generated_sheets(built: bytes,
                                                                              seed_review: Review) -> None:
    """The title read back from Tiedot is the published text's: "Osavuosikatsaus 1–6/2023" in both.

    It used to come back as "Katsaus 1–6/2023", so the first rebuild rewrote every area sheet's A2, and a
    refusal listed A2 among the cells the team had changed.
    """
    again, _ = rebuild_bytes(built, "Elinvoima.xlsm")
    before = openpyxl.load_workbook(io.BytesIO(built))
    after = openpyxl.load_workbook(io.BytesIO(again))
    # Tarkistukset differs on purpose: built from the text it points at the text's lines, rebuilt at Tiedot's cells.
    generated = [n for n in before.sheetnames if n not in (DATA_SHEET, CHECKS_SHEET, "xlwings.conf")]
    # the summary, the seed's five areas, the team's lists and the recipients, in this order before and after
    assert generated == [SUMMARY_SHEET, *(t.name for t in seed_review.areas), "Tavoitteet", "Tunnusluvut", "Riskit",
                         "Vastaanottajat"]
    assert generated == [n for n in after.sheetnames if n in generated]
    for name in generated:
        old = {c.coordinate: c.value for row in before[name].iter_rows() for c in row if c.value is not None}
        new = {c.coordinate: c.value for row in after[name].iter_rows() for c in row if c.value is not None}
        assert new == old, name
    area = seed_review.areas[0].name
    assert before[area]["A2"].value == f"{seed_review.division} – Osavuosikatsaus 1–6/2023"
