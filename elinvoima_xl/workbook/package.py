"""The OOXML package around a workbook: macro content type, ribbon part and relationship, inspection.

`finish_package` is the last step of a build: it gives the package the macro-enabled content
type and the ribbon part with its relationship in `_rels/.rels`. It also mends what openpyxl
does to a saved .xlsm (it keeps `customUI/customUI14.xml` but drops that relationship, and
writes the .xlsx content type); the tests use it so to stand in for a workbook Excel saved.
Rebuilds never go through openpyxl: they splice (`splice.py`) and leave both untouched.
"""

from __future__ import annotations

__all__ = ["MACRO_MAIN", "PLAIN_MAIN", "RIBBON_PART", "RIBBON_REL_TYPE", "PackageInfo", "app_xml_with_sheets",
           "finish_package", "inspect_package"]

import functools
import io
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from ..ooxml.docprops import app_xml_with_sheets
from ..ooxml.opc import CT_NS, MACRO_MAIN_TYPE, MAIN_TYPE, RIBBON_REL, rels_name
from ..ooxml.opc import PKG_REL_NS as REL_NS

RIBBON_REL_TYPE = RIBBON_REL
RIBBON_PART = "customUI/customUI14.xml"
MACRO_MAIN = MACRO_MAIN_TYPE
PLAIN_MAIN = MAIN_TYPE
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PackageInfo:
    names: tuple[str, ...]
    main_content_type: str | None
    ribbon_targets: tuple[str, ...]       # targets of ribbon relationships in _rels/.rels
    has_vba: bool


def _parse(data: bytes) -> ET.Element:
    from ..ooxml.safe_zip import parse_xml

    return parse_xml(data)


# The build's [Content_Types].xml and _rels/.rels keep the standard library's serialisation (`<x />`): the
# committed workbook is byte for byte a fresh build, and lxml writes `<x/>`. Everything else goes through opc.
def _serialize(root: ET.Element, default_ns: str) -> bytes:
    ET.register_namespace("", default_ns)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


@functools.lru_cache(maxsize=2)   # asked several times of the same package in one job; the result is frozen
def inspect_package(data: bytes) -> PackageInfo:
    from ..ooxml.opc import ContentTypes, Package, read_rels

    pkg = Package(data)
    main = ContentTypes.read(pkg).overrides.get(pkg.workbook_part())
    ribbon = tuple(r.target for r in read_rels(pkg, "") if r.type == RIBBON_REL_TYPE)
    return PackageInfo(tuple(pkg.names()), main, ribbon, "xl/vbaProject.bin" in pkg)


def _stamp_owned(parts: dict[str, bytes], fingerprints: dict[str, str]) -> None:
    """Give each sheet marked `ElinvoimaOma` the fingerprint of its cells as written; list the sheets in app.xml."""
    from ..ooxml.opc import SST_REL, Package, Workbook
    from .ownership import FINGERPRINT_NAME, OWNED_NAME, fingerprint_value, shared_strings

    pkg = Package(parts)
    book = Workbook(pkg)
    sheets = book.sheets
    owned = [i for i, names in book.local_names().items() if OWNED_NAME in names and i < len(sheets)]
    sst = book.related(SST_REL)
    strings = shared_strings(parts.get(sst)) if sst else []
    names = book.defined_names()
    if owned and names:
        kept = [d.element for d in names if not (d.name == FINGERPRINT_NAME and d.local_sheet_id in owned)]
        stamps = [book.defined_name(FINGERPRINT_NAME, fingerprint_value(sheets[i].name, parts[sheets[i].part], strings,
                                                                        fingerprints.get(sheets[i].name)), i, hidden=True)
                  for i in owned]
        book.set_defined_names(kept + stamps)
        parts[book.part] = book.to_bytes()
    if "docProps/app.xml" in parts:
        parts["docProps/app.xml"] = app_xml_with_sheets(parts["docProps/app.xml"], [s.name for s in sheets])


def finish_package(data: bytes, ribbon_xml: bytes | None, stamp: bool = False,
                   fingerprints: dict[str, str] | None = None) -> bytes:
    """The package with the macro-enabled content type and the ribbon part related from `_rels/.rels`.

    `ribbon_xml` replaces the ribbon part; None keeps the one in the package (rebuild).
    With `stamp` (a build), every sheet marked as the tool's gets the fingerprint of its cells
    (`ownership`) and `docProps/app.xml` lists the sheets. Every other part is copied as it is.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    parts = {n: src.read(n) for n in names}
    if stamp:
        _stamp_owned(parts, fingerprints or {})
    if ribbon_xml is not None:
        parts[RIBBON_PART] = ribbon_xml
        if RIBBON_PART not in names:
            names.append(RIBBON_PART)
    types = _parse(parts["[Content_Types].xml"])
    for o in types.iter(f"{{{CT_NS}}}Override"):
        if o.get("PartName") == "/xl/workbook.xml":
            o.set("ContentType", MACRO_MAIN)
    parts["[Content_Types].xml"] = _serialize(types, CT_NS)
    if RIBBON_PART in parts:
        rels = _parse(parts[rels_name("")])
        have = [r for r in rels.iter(f"{{{REL_NS}}}Relationship") if r.get("Type") == RIBBON_REL_TYPE]
        if not have:
            ids = {r.get("Id") for r in rels.iter(f"{{{REL_NS}}}Relationship")}
            n = 1
            while f"rIdUI{n}" in ids:
                n += 1
            ET.SubElement(rels, f"{{{REL_NS}}}Relationship",
                          {"Id": f"rIdUI{n}", "Type": RIBBON_REL_TYPE, "Target": RIBBON_PART})
        parts[rels_name("")] = _serialize(rels, REL_NS)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:   # speed over 10 % of size
        for part in names:
            info = zipfile.ZipInfo(part, _FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            # the level per part: ZipFile's own applies only to parts written by name, not by ZipInfo
            z.writestr(info, parts[part], compresslevel=1)
    return out.getvalue()
