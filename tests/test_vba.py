"""The VBA project follows MS-OVBA: `_VBA_PROJECT` without a performance cache, no compiled code, a code name and
a document module for every sheet (also those the import and rebuild add); olevba and LibreOffice read it all."""

from __future__ import annotations

import ast
import io
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import olefile
import openpyxl
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

from elinvoima_xl.workbook.package import finish_package
from elinvoima_xl.jobs.team_workbook import rebuild_bytes

from .conftest import REPO
from .spreadsheet_engine import convert_all


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    return built_workbook


def _project(data: bytes) -> olefile.OleFileIO:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return olefile.OleFileIO(z.read("xl/vbaProject.bin"))


def _dir_records(ole: olefile.OleFileIO) -> list[tuple[int, bytes]]:
    """The dir stream's records (MS-OVBA 2.3.4.2), read here from the bytes, not by the library that wrote them."""
    raw = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    out, at = [], 0
    while at + 6 <= len(raw):
        rid, size = struct.unpack_from("<HI", raw, at)
        at += 6
        if rid == 0x0009:        # PROJECTVERSION: Reserved (=4), then 6 bytes of version
            size = 6
        out.append((rid, raw[at:at + size]))
        at += size
    return out


def _modules(ole: olefile.OleFileIO) -> list[tuple[str, int]]:
    """(stream name, MODULEOFFSET) of every module."""
    out, stream = [], None
    for rid, data in _dir_records(ole):
        if rid == 0x001A:        # MODULESTREAMNAME
            stream = data.decode("latin-1")
        elif rid == 0x0031:      # MODULEOFFSET
            out.append((stream or "", struct.unpack("<I", data)[0]))
    return out


def _code_names(data: bytes) -> dict[str, str | None]:
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
    return {ws.title: ws.sheet_properties.codeName for ws in wb.worksheets}


def _olevba_modules(data: bytes) -> dict[str, str]:
    parser = VBA_Parser("Elinvoima.xlsm", data=data)
    try:
        return {name.rsplit(".", 1)[0]: code for _f, _s, name, code in parser.extract_macros()}
    finally:
        parser.close()


@pytest.mark.parametrize("source", ["build", "committed"])
def test_vba_project_stream_is_the_version_independent_header(built: bytes, source: str) -> None:
    data = built if source == "build" else (REPO / "workbook" / "Elinvoima.xlsm").read_bytes()
    ole = _project(data)
    assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x00, 0x00])


def test_no_module_carries_compiled_code(built: bytes) -> None:
    ole = _project(built)
    modules = _modules(ole)
    assert len(modules) == 18                          # ThisWorkbook, 13 sheets, xlwings, Dictionary, ours
    assert [m for m in modules if m[1] != 0] == []
    for stream, _ in modules:                          # the stream is its compressed source from byte 0
        source = bytes(decompress_stream(bytearray(ole.openstream(f"VBA/{stream}").read())))
        assert source.startswith(b'Attribute VB_Name = "')


def _with_new_area(data: bytes) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
    ws = wb["Tiedot"]
    for r in [r for r in ws.iter_rows(min_row=2, values_only=True) if r[1] == "Kulttuuri"]:
        ws.append(["palvelualue", "Nuorisopalvelut", *r[2:]])
    buf = io.BytesIO()
    wb.save(buf)
    return finish_package(buf.getvalue(), None)


def test_every_sheet_has_a_code_name_and_a_document_module_after_a_rebuild(built: bytes) -> None:
    out, _ = rebuild_bytes(_with_new_area(built), "Elinvoima.xlsm")
    codes = _code_names(out)
    assert all(codes.values()), codes
    assert len(set(codes.values())) == len(codes)
    modules = _olevba_modules(out)
    for sheet, code in codes.items():
        assert code in modules, sheet
        assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in modules[code]
    assert [m for m in _modules(_project(out)) if m[1] != 0] == []
    assert _project(out).openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000000")


def test_the_import_gives_its_sheets_code_names_and_modules(built: bytes, tmp_path: Path) -> None:
    from elinvoima_xl.jobs.importer import import_ledger
    from elinvoima_xl.sources.load import bundled_path, bundled_review
    from elinvoima_xl.sources.ledger import DEFAULT_MAPPING, read_mapping
    from elinvoima_xl.sources.ledger_generator import ledger_for_review

    mapping = read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(), DEFAULT_MAPPING)
    ledger, budget = ledger_for_review(bundled_review(), mapping, 2023)
    (tmp_path / "k.csv").write_bytes(ledger)
    (tmp_path / "ta.csv").write_bytes(budget)
    book = tmp_path / "Elinvoima.xlsm"
    book.write_bytes(built)
    import_ledger(tmp_path / "k.csv", book, tmp_path / "ta.csv")
    data = book.read_bytes()
    codes = _code_names(data)
    modules = _olevba_modules(data)
    assert codes["Kohdistus"] and codes["Tuonnit"] and all(c in modules for c in codes.values())
    before = _olevba_modules(built)
    assert {k: v for k, v in modules.items() if k in before} == before


@pytest.mark.libreoffice
def test_libreoffice_imports_every_module(built: bytes, tmp_path: Path) -> None:
    out, _ = rebuild_bytes(_with_new_area(built), "Elinvoima.xlsm")
    versions = (("build", built), ("rebuild", out))
    for label, data in versions:
        (tmp_path / f"{label}.xlsm").write_bytes(data)
    converted = convert_all([tmp_path / f"{label}.xlsm" for label, _ in versions], "ods", tmp_path / "lo")
    for (label, data), ods in zip(versions, converted):
        with zipfile.ZipFile(ods) as z:
            basic = {Path(n).stem: z.read(n) for n in z.namelist()
                     if n.startswith("Basic/") and n.endswith(".xml") and not n.endswith("-lb.xml")}
        expected = set(_olevba_modules(data))
        assert expected <= set(basic), (label, expected - set(basic))
        assert b"RunPython" in basic["Elinvoima"] and re.search(rb"Function TOT_PCT", basic["xlwings_udfs"])


@pytest.mark.skipif(sys.platform == "win32", reason="the COM modules are real on Windows")
def test_udf_wrappers_leave_the_process_as_it_was() -> None:
    """In a process of its own (xlwings imported there): the generator's stubs and decorators are undone after it."""
    code = ("import sys, xlwings\n"
            "func = (xlwings.func, xlwings.arg, xlwings.ret)\n"
            f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / 'scripts')!r})\n"
            "from elinvoima_xl.workbook.vba import MACROS_DIR, UDF_MODULE_FILE\n"
            "from udf_wrappers import udf_wrapper_source\n"
            "first, second = udf_wrapper_source(), udf_wrapper_source()\n"
            "assert first == second == (MACROS_DIR / UDF_MODULE_FILE).read_text(encoding='utf-8')\n"
            "assert (xlwings.func, xlwings.arg, xlwings.ret) == func\n"
            "left = {'pythoncom', 'pywintypes', 'win32com', 'win32com.client', 'xlwings.udfs'} & set(sys.modules)\n"
            "assert not left and not hasattr(xlwings, 'udfs'), left\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and out.stdout == "ok\n", out.stderr


def _patches(tree: ast.AST) -> list[str]:
    """What a module does to process-wide state: writes to `sys.modules`, assignments to `xlwings.<name>`."""
    def is_modules(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "modules" and isinstance(node.value, ast.Name)
                and node.value.id == "sys")

    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_modules(node.func.value):
            if node.func.attr in ("update", "pop", "setdefault", "__setitem__", "__delitem__", "clear", "popitem"):
                found.append(f"sys.modules.{node.func.attr} line {node.lineno}")
        targets: list[ast.expr] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            for e in ast.walk(t):
                if isinstance(e, ast.Subscript) and is_modules(e.value):
                    found.append(f"sys.modules[...] line {e.lineno}")
                if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "xlwings":
                    found.append(f"xlwings.{e.attr} line {e.lineno}")
    return found


def test_the_package_leaves_sys_modules_and_xlwings_alone() -> None:
    """The UDF wrapper generator (which must patch both) lives in scripts/, outside the package."""
    root = Path(__file__).resolve().parents[1]
    script = _patches(ast.parse((root / "scripts" / "udf_wrappers.py").read_text(encoding="utf-8")))
    assert any(p.startswith("sys.modules.update") for p in script) and any(p.startswith("xlwings.func") for p in script)
    offenders = {str(p.relative_to(root)): found for p in sorted((root / "elinvoima_xl").rglob("*.py"))
                 if (found := _patches(ast.parse(p.read_text(encoding="utf-8"))))}
    assert offenders == {}
