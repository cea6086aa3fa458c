"""The OOXML package around a workbook: macro content type, ribbon part and relationship, inspection.

`finish_package` is the last step of a build: it gives the package the macro-enabled content
type and the ribbon part with its relationship in `_rels/.rels`. It also mends what openpyxl
does to a saved .xlsm (it keeps `customUI/customUI14.xml` but drops that relationship, and
writes the .xlsx content type); the tests use it so to stand in for a workbook Excel saved.
Rebuilds never go through openpyxl: they splice (`splice.py`) and leave both untouched.
"""

from __future__ import annotations

__all__ = ["MACRO_MAIN", "PLAIN_MAIN", "RIBBON_PART", "RIBBON_REL_TYPE", "PackageInfo", "finish_package",
           "inspect_package"]

import io
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree as ET

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
RIBBON_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
RIBBON_PART = "customUI/customUI14.xml"
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PackageInfo:
    names: tuple[str, ...]
    main_content_type: str | None
    ribbon_targets: tuple[str, ...]       # targets of ribbon relationships in _rels/.rels
    has_vba: bool


def _parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def _serialize(root: ET.Element, default_ns: str) -> bytes:
    ET.register_namespace("", default_ns)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


def inspect_package(data: bytes) -> PackageInfo:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = tuple(z.namelist())
        types = _parse(z.read("[Content_Types].xml"))
        main = next((o.get("ContentType") for o in types.iter(f"{{{CT_NS}}}Override")
                     if o.get("PartName") == "/xl/workbook.xml"), None)
        rels = _parse(z.read("_rels/.rels")) if "_rels/.rels" in names else ET.Element("x")
        ribbon = tuple((r.get("Target") or "").lstrip("/") for r in rels.iter(f"{{{REL_NS}}}Relationship")
                       if r.get("Type") == RIBBON_REL_TYPE)
    return PackageInfo(names, main, ribbon, "xl/vbaProject.bin" in names)


def finish_package(data: bytes, ribbon_xml: bytes | None) -> bytes:
    """The package with the macro-enabled content type and the ribbon part related from `_rels/.rels`.

    `ribbon_xml` replaces the ribbon part; None keeps the one in the package (rebuild).
    Every other part is copied as it is.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    parts = {n: src.read(n) for n in names}
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
        rels = _parse(parts["_rels/.rels"])
        have = [r for r in rels.iter(f"{{{REL_NS}}}Relationship") if r.get("Type") == RIBBON_REL_TYPE]
        if not have:
            ids = {r.get("Id") for r in rels.iter(f"{{{REL_NS}}}Relationship")}
            n = 1
            while f"rIdUI{n}" in ids:
                n += 1
            ET.SubElement(rels, f"{{{REL_NS}}}Relationship",
                          {"Id": f"rIdUI{n}", "Type": RIBBON_REL_TYPE, "Target": RIBBON_PART})
        parts["_rels/.rels"] = _serialize(rels, REL_NS)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:   # speed over 10 % of size
        for part in names:
            info = zipfile.ZipInfo(part, _FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, parts[part])
    return out.getvalue()
