"""The OPC layer (ooxml/opc.py) on packages of many shapes: odd prefixes, mc:Ignorable, extLst, relative and
absolute relationship targets, a missing part; and the splice through it on an Excel-shaped workbook.xml."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from elinvoima_xl.ooxml.opc import (
    DOC_REL_NS,
    MAIN_NS,
    SHEET_REL,
    ContentTypes,
    Package,
    PackageError,
    Rel,
    Workbook,
    add_rel,
    read_rels,
    resolve_target,
    sheet_code_name,
    sheet_parts,
    with_sheet_code_name,
    write_rels,
)

MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X15 = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"
DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# workbook.xml as the Open XML SDK writes it (main namespace under `x:`, relationships under `rel:`), with
# Excel's mc:Ignorable and an extLst; one sheet hidden, a global and a sheet-scoped defined name.
ODD_WORKBOOK = DECL + (f'''<x:workbook xmlns:x="{MAIN_NS}" xmlns:rel="{DOC_REL_NS}" xmlns:mc="{MC}"
 mc:Ignorable="x15" xmlns:x15="{X15}"><x:workbookPr codeName="TamaTyokirja"/><x:bookViews><x:workbookView
 activeTab="1" firstSheet="1"/></x:bookViews><x:sheets><x:sheet name="Eka &amp; toka" sheetId="3" rel:id="rId7"/>
<x:sheet name="Piilo" sheetId="9" state="hidden" rel:id="rId2"/><x:sheet name="Kolmas" sheetId="4" rel:id="rId3"/></x:sheets>
<x:definedNames><x:definedName name="Kaikki">'Eka &amp; toka'!$A$1</x:definedName><x:definedName name="Oma"
 localSheetId="2" hidden="1">"x&lt;y"</x:definedName></x:definedNames><x:calcPr calcId="191029"/>
<x:extLst><x:ext uri="{{140A7094-0E35-4892-8432-C4D2E57EDEB5}}"><x15:workbookPr chartTrackingRefBase="1"/></x:ext>
</x:extLst></x:workbook>''').encode("utf-8")

WORKBOOK_RELS = DECL + (f'''<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId7" Type="{SHEET_REL}" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{SHEET_REL}" Target="/xl/worksheets/hidden.xml"/>
<Relationship Id="rId3" Type="{SHEET_REL}" Target="../xl/worksheets/./sheet3.xml"/>
<Relationship Id="rId9" Type="{DOC_REL_NS}/hyperlink" Target="https://example.org/a b" TargetMode="External"/>
</Relationships>''').encode()

ROOT_RELS = (DECL + b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             b'<Relationship Id="rId1" Type="' + DOC_REL_NS.encode() + b'/officeDocument" Target="/xl/workbook.xml"/>'
             b'</Relationships>')

CONTENT_TYPES = (DECL + b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="XML" ContentType="application/xml"/>'
                 b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>'
                 b'</Types>')


def _sheet(code: str | None = None, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = f' xmlns:{prefix}="{MAIN_NS}"' if prefix else f' xmlns="{MAIN_NS}"'
    pr = f'<{p}sheetPr codeName="{code}"><{p}tabColor rgb="FF00FF00"/></{p}sheetPr>' if code else ""
    return (DECL.decode() + f'<{p}worksheet{ns}>{pr}<{p}sheetData/></{p}worksheet>').encode()


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def _odd_package(**replace: bytes) -> bytes:
    parts = {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS, "xl/workbook.xml": ODD_WORKBOOK,
             "xl/_rels/workbook.xml.rels": WORKBOOK_RELS, "xl/worksheets/sheet1.xml": _sheet("Taul1", "x"),
             "xl/worksheets/hidden.xml": _sheet(), "xl/worksheets/sheet3.xml": _sheet("Taul3")}
    parts.update(replace)
    return _zip({k: v for k, v in parts.items() if v})


def test_sheets_of_a_workbook_with_odd_prefixes() -> None:
    book = Workbook(Package(_odd_package()))
    assert [(s.name, s.sheet_id, s.rid, s.state, s.part) for s in book.sheets] == [
        ("Eka & toka", 3, "rId7", "visible", "xl/worksheets/sheet1.xml"),
        ("Piilo", 9, "rId2", "hidden", "xl/worksheets/hidden.xml"),
        ("Kolmas", 4, "rId3", "visible", "xl/worksheets/sheet3.xml")]
    assert book.code_name == "TamaTyokirja"
    assert book.rel_prefix == "rel"
    assert [(d.name, d.local_sheet_id, d.hidden, d.text) for d in book.defined_names()] == [
        ("Kaikki", None, False, "'Eka & toka'!$A$1"), ("Oma", 2, True, '"x<y"')]
    assert book.local_names() == {2: {"Oma": '"x<y"'}}
    assert sheet_parts(_odd_package()) == {"Eka & toka": "xl/worksheets/sheet1.xml", "Piilo": "xl/worksheets/hidden.xml",
                                           "Kolmas": "xl/worksheets/sheet3.xml"}


def test_workbook_xml_written_back_keeps_prefixes_ignorable_and_extlst() -> None:
    pkg = Package(_odd_package())
    book = Workbook(pkg)
    new = book.new_sheet("Uusi", 10, "rIdE1")
    book.set_sheets([book.sheets[2].element, new, book.sheets[0].element])
    book.set_defined_names([Workbook.defined_name("Tarkiste", '"a&b"', 1, hidden=True)])
    book.set_attribute("calcPr", "fullCalcOnLoad", "1")
    book.set_attribute("workbookView", "firstSheet", None)
    out = book.to_bytes()
    assert out.startswith(DECL)
    assert b'mc:Ignorable="x15"' in out and b'xmlns:x15="' + X15.encode() + b'"' in out
    assert b'<x15:workbookPr chartTrackingRefBase="1"/>' in out and b"<x:extLst>" in out
    assert b'<x:sheet name="Uusi" sheetId="10" rel:id="rIdE1"/>' in out          # the file's own prefixes
    assert b"ns0" not in out and b"<sheet" not in out
    assert b'<x:definedName name="Tarkiste" localSheetId="1" hidden="1">"a&amp;b"</x:definedName>' in out
    assert b'firstSheet' not in out and b'activeTab="1"' in out and b'fullCalcOnLoad="1"' in out
    pkg.write(book.part, out)
    again = Workbook(pkg)
    assert [s.name for s in again.sheets] == ["Kolmas", "Uusi", "Eka & toka"]
    assert again.local_names() == {1: {"Tarkiste": '"a&b"'}}
    # extLst stays the last child, as the schema orders it
    assert etree.QName(etree.fromstring(out)[-1]).localname == "extLst"


def test_relationship_targets_relative_absolute_and_external() -> None:
    assert resolve_target("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve_target("xl/workbook.xml", "/xl/styles.xml") == "xl/styles.xml"
    assert resolve_target("xl/worksheets/sheet1.xml", "../drawings/drawing1.xml") == "xl/drawings/drawing1.xml"
    assert resolve_target("", "xl/workbook.xml") == "xl/workbook.xml"
    pkg = Package(_odd_package())
    rels = read_rels(pkg, "xl/workbook.xml")
    assert [(r.id, r.target, r.external) for r in rels] == [
        ("rId7", "xl/worksheets/sheet1.xml", False), ("rId2", "xl/worksheets/hidden.xml", False),
        ("rId3", "xl/worksheets/sheet3.xml", False), ("rId9", "https://example.org/a b", True)]
    written = write_rels(rels, "xl/workbook.xml")
    assert b'Target="worksheets/hidden.xml"' in written and b'TargetMode="External"' in written
    pkg.write("xl/_rels/workbook.xml.rels", written)
    assert read_rels(pkg, "xl/workbook.xml") == rels
    assert pkg.workbook_part() == "xl/workbook.xml"        # from the absolute target in _rels/.rels
    assert read_rels(pkg, "xl/worksheets/sheet1.xml") == []


def test_add_rel_takes_a_free_id_and_reuses_an_existing_relationship() -> None:
    pkg = Package(_odd_package())
    rid = add_rel(pkg, "xl/workbook.xml", DOC_REL_NS + "/styles", "xl/styles.xml")
    assert rid == "rId1"                                    # rId2, rId3, rId7, rId9 are taken; rId1 is free
    assert add_rel(pkg, "xl/workbook.xml", DOC_REL_NS + "/styles", "xl/styles.xml") == "rId1"
    assert Rel("rId1", DOC_REL_NS + "/styles", "xl/styles.xml") in read_rels(pkg, "xl/workbook.xml")
    assert add_rel(pkg, "xl/worksheets/sheet1.xml", DOC_REL_NS + "/drawing", "xl/drawings/drawing1.xml") == "rId1"
    assert b'Target="../drawings/drawing1.xml"' in pkg.read("xl/worksheets/_rels/sheet1.xml.rels")


def test_content_types_defaults_and_overrides() -> None:
    pkg = Package(_odd_package())
    types = ContentTypes.read(pkg)
    assert types.defaults == {"xml": "application/xml"}      # extensions compare in lower case
    assert types.of("xl/workbook.xml") == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    assert types.of("xl/worksheets/sheet1.xml") == "application/xml"
    assert types.of("xl/media/image1.png") is None
    types.overrides["xl/styles.xml"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
    pkg.write("[Content_Types].xml", types.to_bytes())
    assert ContentTypes.read(pkg) == types


def test_a_missing_part_is_a_clear_error() -> None:
    with pytest.raises(PackageError, match=r"paketista puuttuu osa xl/workbook.xml"):
        Workbook(Package(_odd_package(**{"xl/workbook.xml": b""})))
    with pytest.raises(PackageError, match="välilehtiluetteloa"):
        Workbook(Package(_odd_package(**{"xl/workbook.xml": DECL + f'<workbook xmlns="{MAIN_NS}"/>'.encode()})))
    with pytest.raises(PackageError, match="DTD"):
        Workbook(Package(_odd_package(**{"xl/workbook.xml": b'<!DOCTYPE x [<!ENTITY a "b">]><workbook/>'})))
    with pytest.raises(PackageError, match="zip"):
        Package(b"not a zip")


def test_a_package_from_outside_is_checked_first() -> None:
    from elinvoima_xl.core.errors import InputError

    bomb = _odd_package(**{"xl/worksheets/sheet3.xml": DECL + b'<!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet/>'})
    with pytest.raises(InputError, match=r"palautus.xlsx.*xl/worksheets/sheet3.xml.*DTD"):
        Package.checked(bomb, "palautus.xlsx")
    assert Workbook(Package.checked(_odd_package(), "palautus.xlsx")).sheets[0].name == "Eka & toka"


def test_a_missing_workbook_part_ends_the_cli_in_one_finnish_line(tmp_path: Path, built_workbook: bytes) -> None:
    from .test_cli_messages import assert_one_finnish_line, run_cli

    with zipfile.ZipFile(io.BytesIO(built_workbook)) as z:
        parts = {n: z.read(n) for n in z.namelist() if n != "xl/workbook.xml"}
    target = tmp_path / "Elinvoima.xlsm"
    broken = _zip(parts)
    target.write_bytes(broken)
    assert_one_finnish_line(run_cli("rebuild", str(target)), "Elinvoima.xlsm")
    assert target.read_bytes() == broken               # nothing written


@pytest.mark.parametrize("prefix", ["", "x"])
def test_sheet_code_names_read_and_set_on_the_bytes(prefix: str) -> None:
    named = _sheet("Taul1", prefix)
    assert sheet_code_name(named) == "Taul1"
    assert sheet_code_name(_sheet(None, prefix)) is None
    renamed = with_sheet_code_name(named, "Sheet&2")
    assert sheet_code_name(renamed) == "Sheet&2"
    root = etree.fromstring(renamed)
    pr = root.find(f"{{{MAIN_NS}}}sheetPr")
    assert pr is not None and pr.get("codeName") == "Sheet&2" and len(pr) == 1    # tabColor kept
    added = etree.fromstring(with_sheet_code_name(_sheet(None, prefix), "Sheet9"))
    assert added[0].tag == f"{{{MAIN_NS}}}sheetPr" and added[0].get("codeName") == "Sheet9"
    assert etree.QName(added[1]).localname == "sheetData"      # sheetPr first, as the schema orders it


def _excel_shaped(data: bytes, prefix: bool) -> bytes:
    """The built workbook with workbook.xml as Excel 365 writes it (mc:Ignorable, xr revision, extLst), and with
    `prefix` its main namespace under `x:` as the Open XML SDK writes it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                body = body.replace(b"<workbook ", f'<workbook xmlns:mc="{MC}" mc:Ignorable="x15" xmlns:x15="{X15}" '
                                                   .encode(), 1)
                body = body.replace(b"</workbook>", b'<extLst><ext uri="{140A7094-0E35-4892-8432-C4D2E57EDEB5}">'
                                    b'<x15:workbookPr chartTrackingRefBase="1"/></ext></extLst></workbook>')
                if prefix:
                    body = re.sub(rb"<(/?)([A-Za-z]+)(?=[\s/>])", rb"<\1x:\2", body)
                    body = body.replace(f'xmlns="{MAIN_NS}"'.encode(), f'xmlns:x="{MAIN_NS}"'.encode())
            dst.writestr(item, body)
    return out.getvalue()


@pytest.mark.parametrize("prefix", [False, True])
def test_rebuild_through_opc_keeps_what_excel_wrote_in_workbook_xml(built_workbook: bytes, prefix: bool) -> None:
    from elinvoima_xl.jobs.team_workbook import rebuild_bytes

    from .ooxml import assert_valid_package

    data = _excel_shaped(built_workbook, prefix)
    before = sheet_parts(data)
    out, _ = rebuild_bytes(data, "Elinvoima.xlsm")
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        wb = z.read("xl/workbook.xml")
    assert b'mc:Ignorable="x15"' in wb and b"x15:workbookPr" in wb
    assert etree.QName(etree.fromstring(wb)[-1]).localname == "extLst"
    if prefix:
        assert b"<sheet " not in wb and wb.count(b"<x:sheet ") == len(before)
        assert b"<x:definedName " in wb and b"<definedName" not in wb
    assert list(sheet_parts(out)) == list(before)
    assert openpyxl.load_workbook(io.BytesIO(out), read_only=True).sheetnames == list(before)
    assert_valid_package(out, "Elinvoima.xlsm")
    # The fingerprints were read through the prefix: a second rebuild finds every sheet still the tool's.
    again, _ = rebuild_bytes(out, "Elinvoima.xlsm")
    assert list(sheet_parts(again)) == list(before)


X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"


def _x_prefixed(body: bytes) -> bytes:
    """A SpreadsheetML part with its main namespace under `x:`, as the Open XML SDK writes it."""
    body = re.sub(rb"<(/?)([A-Za-z]+)(?=[\s/>])", rb"<\1x:\2", body)
    return body.replace(f'xmlns="{MAIN_NS}"'.encode(), f'xmlns:x="{MAIN_NS}"'.encode())


def _excel_styles(data: bytes, prefix: bool) -> bytes:
    """The built workbook with styles.xml and sharedStrings.xml as Excel 365 writes them (mc:Ignorable,
    x14ac:knownFonts, an extLst with slicer styles), optionally under an `x:` prefix."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/styles.xml":
                body = body.replace(b"<styleSheet ", f'<styleSheet xmlns:mc="{MC}" mc:Ignorable="x14ac" '
                                                     f'xmlns:x14ac="{X14AC}" '.encode(), 1)
                body = re.sub(rb'<fonts count="(\d+)"', rb'<fonts count="\1" x14ac:knownFonts="1"', body)
                body = body.replace(b"</styleSheet>", f'<extLst><ext uri="{{EB79DEF2-80B8-43e5-95BD-54CBDDF9020C}}" '
                                    f'xmlns:x14="{X14}"><x14:slicerStyles defaultSlicerStyle="SlicerStyleLight1"/>'
                                    '</ext></extLst></styleSheet>'.encode())
            if prefix and item.filename in ("xl/styles.xml", "xl/sharedStrings.xml"):
                body = _x_prefixed(body)
            dst.writestr(item, body)
    return out.getvalue()


@pytest.mark.parametrize("prefix", [False, True])
def test_a_job_through_opc_keeps_what_excel_wrote_in_styles(built_workbook: bytes, prefix: bool) -> None:
    """The checks job splices the area sheets and colours cells of Tiedot (new fills and formats appended):
    styles.xml keeps its prefixes, mc:Ignorable, x14ac attributes and extLst (still its last child)."""
    from elinvoima_xl.jobs.team_workbook import run_file_job

    from .ooxml import assert_valid_package

    data = _excel_styles(built_workbook, prefix)
    out, _ = run_file_job(data, "Elinvoima.xlsm", "tarkista_summat")
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        styles = z.read("xl/styles.xml")
        sst = z.read("xl/sharedStrings.xml")
    assert b'mc:Ignorable="x14ac"' in styles and b'x14ac:knownFonts="1"' in styles
    assert b'<x14:slicerStyles defaultSlicerStyle="SlicerStyleLight1"/>' in styles
    root = etree.fromstring(styles)
    assert etree.QName(root[-1]).localname == "extLst"
    for block in root:
        if block.get("count") is not None:          # every count the number of its entries
            assert int(block.get("count")) == len([c for c in block if isinstance(c.tag, str)]), block.tag
    if prefix:
        assert b"<x:styleSheet " in styles and b"<font>" not in styles and b"<x:sst " in sst and b"<si>" not in sst
    assert_valid_package(out, "Elinvoima.xlsm")
    wb = openpyxl.load_workbook(io.BytesIO(out))
    assert wb["Yhteenveto"]["A1"].value == openpyxl.load_workbook(io.BytesIO(built_workbook))["Yhteenveto"]["A1"].value


def test_merging_styles_creates_missing_blocks_in_the_schemas_order() -> None:
    from elinvoima_xl.workbook.splice_styles import StyleBook, merge_styles

    m = f'xmlns="{MAIN_NS}"'
    old = etree.fromstring(f'<styleSheet {m}><fonts count="1"><font><sz val="11"/></font></fonts><fills count="1">'
                           '<fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders>'
                           '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
                           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                           '<extLst><ext uri="x"/></extLst></styleSheet>')
    new = etree.fromstring(f'<styleSheet {m}><numFmts count="1"><numFmt numFmtId="170" formatCode="0.0 %"/></numFmts>'
                           '<fonts count="2"><font><b/></font><font>\n  <sz val="11"/>\n</font></fonts>'
                           '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
                           '<borders count="1"><border/></borders><cellXfs count="2">'
                           '<xf numFmtId="170" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                           '<xf fontId="1" numFmtId="0" borderId="0" fillId="0" xfId="0"/></cellXfs>'
                           '<dxfs count="1"><dxf><font><i/></font></dxf></dxfs></styleSheet>')
    smap, changed = merge_styles(old, new)
    assert changed
    assert [etree.QName(c).localname for c in old] == ["numFmts", "fonts", "fills", "borders", "cellXfs", "cellStyles",
                                                      "dxfs", "extLst"]
    # the first custom format id is 164; the indented font is the old font 0; the second xf is the old xf 0
    assert old.find(f"{{{MAIN_NS}}}numFmts")[0].attrib == {"numFmtId": "164", "formatCode": "0.0 %"}
    assert smap.xf == {0: 1, 1: 0} and smap.dxf == {0: 0}
    xf = old.find(f"{{{MAIN_NS}}}cellXfs")[1]
    assert (xf.get("numFmtId"), xf.get("fontId")) == ("164", "1")
    assert old.find(f"{{{MAIN_NS}}}fonts").get("count") == "2"
    book = StyleBook(old)
    red = book.solid_fill("FFC7CE")
    assert red == 1 and book.solid_fill("ffc7ce") == 1 and book.fill_colour(red) == "FFC7CE"
    assert book.with_fill(0, red) == 2 and book.with_fill(0, red) == 2 and book.fill_of(2) == red
    assert book.xfs[2].get("applyFill") == "1" and old.find(f"{{{MAIN_NS}}}cellXfs").get("count") == "3"
    assert book.with_fill(2, 0) == 0                 # back to no fill: the original format again
    _, again = merge_styles(old, new)
    assert not again                                 # everything is there now
