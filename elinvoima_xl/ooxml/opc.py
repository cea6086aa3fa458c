"""The Open Packaging Conventions layer on lxml: a package's parts, relationships, content types and workbook.xml.

One home for each of these ideas: reading parts (`Package`), relationships (`read_rels`,
`resolve_target`, `write_rels`, `add_rel`), content types (`ContentTypes`), workbook.xml (`Workbook`:
the sheets with name, sheetId, r:id and state, defined names, the workbook's code name), the sheets'
code names and the map sheet name -> worksheet part (`sheet_parts`). XML is parsed with lxml, which
keeps namespace prefixes, `mc:Ignorable` and `extLst` when a part is written back; a DTD is refused.
"""

from __future__ import annotations

__all__ = ["APP_REL", "APP_TYPE", "CALC_CHAIN_REL", "CORE_NS", "CORE_REL", "CORE_TYPE", "CT_NS", "CUSTOM_NS",
           "CUSTOM_REL", "CUSTOM_TYPE", "ContentTypes", "DCMITYPE_NS", "DCTERMS_NS", "DC_NS", "DECLARATION",
           "DOC_REL_NS", "DefinedName", "EXTENDED_NS", "MACRO_MAIN_TYPE", "MAIN_NS", "MAIN_TYPE", "OFFICE_DOC_REL",
           "PKG_REL_NS", "Package", "PackageError", "RELS_TYPE", "RIBBON_REL", "Rel", "SHEET_REL", "SHEET_TYPE",
           "SST_REL", "SST_TYPE", "STYLES_REL", "STYLES_TYPE", "SheetEntry", "THEME_REL", "THEME_TYPE", "VT_NS",
           "Workbook", "XML_TYPE", "XSI_NS", "add_rel", "parse", "read_rels", "rels_name", "relative_target",
           "resolve_target", "serialize", "sheet_code_name", "sheet_parts", "with_sheet_code_name", "write_rels"]

import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape

from lxml import etree

from .safe_zip import check_package

# Namespaces (ECMA-376 and the Dublin Core ones the core properties use).
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
EXTENDED_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"   # docProps/app.xml
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CORE_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
DCMITYPE_NS = "http://purl.org/dc/dcmitype/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# Relationship types.
OFFICE_DOC_REL = DOC_REL_NS + "/officeDocument"
SHEET_REL = DOC_REL_NS + "/worksheet"
SST_REL = DOC_REL_NS + "/sharedStrings"
STYLES_REL = DOC_REL_NS + "/styles"
THEME_REL = DOC_REL_NS + "/theme"
CALC_CHAIN_REL = DOC_REL_NS + "/calcChain"
APP_REL = DOC_REL_NS + "/extended-properties"
CUSTOM_REL = DOC_REL_NS + "/custom-properties"
CORE_REL = PKG_REL_NS + "/metadata/core-properties"
RIBBON_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
# Content types.
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
MAIN_TYPE = _SML + ".sheet.main+xml"
MACRO_MAIN_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET_TYPE = _SML + ".worksheet+xml"
SST_TYPE = _SML + ".sharedStrings+xml"
STYLES_TYPE = _SML + ".styles+xml"
THEME_TYPE = "application/vnd.openxmlformats-officedocument.theme+xml"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
XML_TYPE = "application/xml"
CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
APP_TYPE = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


class PackageError(Exception):
    """The package lacks a part or has a structure this layer cannot read or edit safely (message in Finnish)."""


def _m(tag: str) -> str:
    return f"{{{MAIN_NS}}}{tag}"


# ---------------------------------------------------------------------------- XML


def parse(data: bytes, part: str = "") -> etree._Element:
    """An XML part parsed with lxml; a DTD (and so any entity declaration) or broken XML raises `PackageError`."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise PackageError(f"paketin osa {part or '?'} ei ole kelvollista XML:ää ({exc.msg})") from None
    if root.getroottree().docinfo.doctype:
        raise PackageError(f"paketin osassa {part or '?'} on DTD-määrittely, jota Excel ei koskaan kirjoita")
    return root


def serialize(root: etree._Element) -> bytes:
    """A part's bytes: the standalone UTF-8 declaration Excel writes, then the element as lxml writes it."""
    return DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


# ---------------------------------------------------------------------------- the package


class Package:
    """The parts of a zip package, read when first asked for; writes and deletes kept in memory until `to_bytes`."""

    def __init__(self, data: bytes | dict[str, bytes]) -> None:
        """A package from its zip bytes, or from its parts already read (name -> bytes, in order)."""
        self._zip: zipfile.ZipFile | None = None
        self._cache: dict[str, bytes] = {}
        if isinstance(data, dict):
            self.order = list(data)
            self._cache.update(data)
        else:
            try:
                self._zip = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile:
                raise PackageError("tiedosto ei ole zip-paketti") from None
            self.order = self._zip.namelist()
        self._names = set(self.order)       # parts present now
        self._listed = set(self.order)      # names in `order` (a deleted part may come back)

    @classmethod
    def checked(cls, data: bytes, name: str) -> Package:
        """A package that entered from outside (file `name`): refused with one Finnish line (`InputError`) unless it
        is within `safe_zip`'s limits and no XML part carries a DTD."""
        check_package(data, name)
        return cls(data)

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def names(self) -> Iterator[str]:
        return (n for n in self.order if n in self._names)

    def read(self, name: str) -> bytes:
        if name not in self._names:
            raise PackageError(f"paketista puuttuu osa {name}")
        if name not in self._cache:
            assert self._zip is not None
            self._cache[name] = self._zip.read(name)
        return self._cache[name]

    def xml(self, name: str) -> etree._Element:
        """The part `name` parsed (a fresh tree each time: edit it and `write` it back)."""
        return parse(self.read(name), name)

    def write(self, name: str, data: bytes) -> None:
        if name not in self._listed:
            self.order.append(name)
            self._listed.add(name)
        self._names.add(name)
        self._cache[name] = data

    def delete(self, name: str) -> None:
        if name in self._names:
            self._names.discard(name)
            self._cache.pop(name, None)

    def to_bytes(self) -> bytes:
        """The package zipped again, parts in their order, with a fixed date (the same input gives the same bytes)."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:   # speed over 10 % of size
            for n in self.names():
                info = zipfile.ZipInfo(n, _FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                # the level per part: ZipFile's own applies only to parts written by name, not by ZipInfo
                z.writestr(info, self.read(n), compresslevel=1)
        return out.getvalue()

    def workbook_part(self) -> str:
        """The main part, as `_rels/.rels` relates it (`xl/workbook.xml` when it does not say)."""
        return next((r.target for r in read_rels(self, "") if r.type == OFFICE_DOC_REL and not r.external),
                    "xl/workbook.xml")


# ---------------------------------------------------------------------------- relationships


@dataclass
class Rel:
    id: str
    type: str
    target: str          # the absolute part name (no leading /) when internal, else as written
    external: bool = False


def rels_name(part: str) -> str:
    """The relationships part of `part` (`""` is the package itself: `_rels/.rels`)."""
    d, base = posixpath.split(part)
    return posixpath.join(d, "_rels", base + ".rels")


def resolve_target(source: str, target: str) -> str:
    """The part a relationship of `source` points to: absolute targets (`/xl/x.xml`) as they are, relative ones
    from `source`'s folder."""
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target)).lstrip("/")


def relative_target(source: str, part: str) -> str:
    """`part` as a target relative to `source`'s folder."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


def read_rels(pkg: Package, part: str) -> list[Rel]:
    """The relationships of `part` in their order, internal targets resolved to part names; [] without any."""
    name = rels_name(part)
    if name not in pkg:
        return []
    out = []
    for r in pkg.xml(name).iter(f"{{{PKG_REL_NS}}}Relationship"):
        target = r.get("Target", "")
        external = r.get("TargetMode") == "External"
        out.append(Rel(r.get("Id", ""), r.get("Type", ""), target if external else resolve_target(part, target),
                       external))
    return out


def write_rels(rels: list[Rel], part: str) -> bytes:
    """The relationships part of `part` listing `rels` (internal targets written relative to `part`)."""
    root = etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})
    for r in rels:
        e = etree.SubElement(root, f"{{{PKG_REL_NS}}}Relationship")
        e.set("Id", r.id)
        e.set("Type", r.type)
        e.set("Target", r.target if r.external else relative_target(part, r.target))
        if r.external:
            e.set("TargetMode", "External")
    return serialize(root)


def add_rel(pkg: Package, part: str, type_: str, target: str, prefix: str = "rId") -> str:
    """Relate `part` to the part `target` (kept when already related so); its relationship id."""
    rels = read_rels(pkg, part)
    same = next((r.id for r in rels if r.type == type_ and r.target == target and not r.external), None)
    if same is not None:
        return same
    ids = {r.id for r in rels}
    k = 1
    while f"{prefix}{k}" in ids:
        k += 1
    rels.append(Rel(f"{prefix}{k}", type_, target))
    pkg.write(rels_name(part), write_rels(rels, part))
    return f"{prefix}{k}"


# ---------------------------------------------------------------------------- content types


@dataclass
class ContentTypes:
    defaults: dict[str, str]     # extension (lower case) -> content type
    overrides: dict[str, str]    # part name (no leading /) -> content type

    @classmethod
    def read(cls, pkg: Package) -> ContentTypes:
        root = pkg.xml("[Content_Types].xml")
        return cls({d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.iter(f"{{{CT_NS}}}Default")},
                   {o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
                    for o in root.iter(f"{{{CT_NS}}}Override")})

    def of(self, part: str) -> str | None:
        """The content type of `part`: its override, else its extension's default."""
        return self.overrides.get(part) or self.defaults.get(posixpath.splitext(part)[1].lstrip(".").lower())

    def to_bytes(self) -> bytes:
        root = etree.Element(f"{{{CT_NS}}}Types", nsmap={None: CT_NS})
        for ext, ct in self.defaults.items():
            etree.SubElement(root, f"{{{CT_NS}}}Default", Extension=ext, ContentType=ct)
        for part, ct in self.overrides.items():
            etree.SubElement(root, f"{{{CT_NS}}}Override", PartName="/" + part, ContentType=ct)
        return serialize(root)


# ---------------------------------------------------------------------------- workbook.xml


@dataclass
class SheetEntry:
    name: str
    sheet_id: int
    rid: str
    state: str             # visible, hidden or veryHidden
    part: str              # the worksheet part ("" when no relationship names one)
    element: etree._Element


@dataclass
class DefinedName:
    name: str
    local_sheet_id: int | None
    hidden: bool
    text: str
    element: etree._Element


class Workbook:
    """workbook.xml of a package, parsed: its sheets, defined names and code name; `to_bytes` writes it back."""

    def __init__(self, pkg: Package, part: str | None = None) -> None:
        self.part = part or pkg.workbook_part()
        self.root = pkg.xml(self.part)
        self.rels = read_rels(pkg, self.part)
        sheets = self.root.find(_m("sheets"))
        if sheets is None:
            raise PackageError(f"{self.part}: työkirjassa ei ole välilehtiluetteloa (<sheets>)")
        self.sheets_element = sheets
        targets = {r.id: r.target for r in self.rels if not r.external}
        self.sheets = [SheetEntry(e.get("name", ""), int(e.get("sheetId", "0") or 0), e.get(f"{{{DOC_REL_NS}}}id", ""),
                                  e.get("state", "visible"), targets.get(e.get(f"{{{DOC_REL_NS}}}id", ""), ""), e)
                       for e in sheets.iter(_m("sheet"))]

    def related(self, type_: str) -> str | None:
        """The part the workbook relates with `type_` (styles, shared strings…), if any."""
        return next((r.target for r in self.rels if r.type == type_ and not r.external), None)

    @property
    def rel_prefix(self) -> str:
        """The prefix this file gives the relationships namespace (`r` in nearly every file)."""
        for e in [self.root, *(s.element for s in self.sheets)]:
            prefix = next((p for p, ns in e.nsmap.items() if ns == DOC_REL_NS and p), None)
            if prefix:
                return prefix
        return "r"

    def new_sheet(self, name: str, sheet_id: int, rid: str) -> etree._Element:
        """A `<sheet>` element (not yet placed: see `set_sheets`)."""
        e = etree.Element(_m("sheet"), nsmap={self.rel_prefix: DOC_REL_NS})
        e.set("name", name)
        e.set("sheetId", str(sheet_id))
        e.set(f"{{{DOC_REL_NS}}}id", rid)
        return e

    def set_sheets(self, elements: list[etree._Element]) -> None:
        """`<sheets>` holding exactly `elements`, in that order."""
        for e in list(self.sheets_element):
            self.sheets_element.remove(e)
        self.sheets_element.extend(elements)

    # -- defined names

    def defined_names(self) -> list[DefinedName]:
        block = self.root.find(_m("definedNames"))
        if block is None:
            return []
        out = []
        for e in block.iter(_m("definedName")):
            local = e.get("localSheetId")
            out.append(DefinedName(e.get("name", ""), int(local) if local is not None and local.isdigit() else None,
                                   e.get("hidden") in ("1", "true"), e.text or "", e))
        return out

    def local_names(self) -> dict[int, dict[str, str]]:
        """Sheet-scoped defined names: sheet index -> {name: content}."""
        out: dict[int, dict[str, str]] = {}
        for d in self.defined_names():
            if d.local_sheet_id is not None:
                out.setdefault(d.local_sheet_id, {})[d.name] = d.text
        return out

    def set_defined_names(self, elements: list[etree._Element]) -> None:
        """`<definedNames>` holding exactly `elements` (none: no block), placed where the schema orders it."""
        block = self.root.find(_m("definedNames"))
        if not elements:
            if block is not None:
                self.root.remove(block)
            return
        if block is None:
            block = etree.Element(_m("definedNames"))
            after = [c for c in self.root if c.tag in (_m("sheets"), _m("functionGroups"), _m("externalReferences"))]
            after[-1].addnext(block)
        for e in list(block):
            block.remove(e)
        block.extend(elements)

    @staticmethod
    def defined_name(name: str, text: str, local_sheet_id: int | None = None, hidden: bool = False) -> etree._Element:
        e = etree.Element(_m("definedName"))
        e.set("name", name)
        if local_sheet_id is not None:
            e.set("localSheetId", str(local_sheet_id))
        if hidden:
            e.set("hidden", "1")
        e.text = text
        return e

    # -- the rest

    @property
    def code_name(self) -> str | None:
        """The workbook's VBA code name (`ThisWorkbook` in an English Excel), if the file gives one."""
        pr = self.root.find(_m("workbookPr"))
        return pr.get("codeName") if pr is not None else None

    def set_attribute(self, child: str, attr: str, value: str | None) -> None:
        """Set (None: remove) an attribute of the first child `<child>` (`workbookView`, `calcPr`…), if there is one."""
        e = self.root.find(f"{_m('bookViews')}/{_m(child)}") if child == "workbookView" else self.root.find(_m(child))
        if e is None:
            return
        if value is None:
            e.attrib.pop(attr, None)
        else:
            e.set(attr, value)

    def to_bytes(self) -> bytes:
        return serialize(self.root)


def sheet_parts(data: bytes) -> dict[str, str]:
    """Sheet name -> worksheet part of a package, in the workbook's order."""
    return dict(_sheet_parts(data))


@functools.lru_cache(maxsize=2)
def _sheet_parts(data: bytes) -> tuple[tuple[str, str], ...]:
    # One job asks this of the same package several times (guards, reads, verification): reading
    # the zip directory of a 200-area workbook costs about 8 ms each time. bytes cache their hash.
    return tuple((s.name, s.part) for s in Workbook(Package(data)).sheets)


# ---------------------------------------------------------------------------- code names in sheet bodies
# A worksheet part can be megabytes; its code name sits in `<sheetPr>` at the top, so these read and
# edit the bytes there instead of parsing the whole sheet (the splice benchmark's sheet bodies).

_SHEET_PR = re.compile(rb"<(?:\w+:)?sheetPr\b[^>]*?\bcodeName=\"([^\"]+)\"")


def sheet_code_name(xml: bytes) -> str | None:
    """The VBA code name of a worksheet part (`<sheetPr codeName>`), if it has one."""
    head = xml[:xml.find(b"<sheetData") if b"<sheetData" in xml else len(xml)]
    m = _SHEET_PR.search(head)
    return unescape(m.group(1).decode("utf-8")) if m else None


def with_sheet_code_name(xml: bytes, code: str) -> bytes:
    """The worksheet part with code name `code` (an existing one replaced, `<sheetPr>` added if missing)."""
    value = code.replace("&", "&amp;").replace('"', "&quot;").encode("utf-8")
    m = re.search(rb"<((?:\w+:)?)sheetPr\b", xml)
    if m is not None:
        attrs_end = xml.find(b">", m.end())
        head = re.sub(rb'\scodeName="[^"]*"', b"", xml[m.end():attrs_end])
        return xml[:m.end()] + b' codeName="' + value + b'"' + head + xml[attrs_end:]
    m = re.search(rb"<((?:\w+:)?)worksheet\b[^>]*>", xml)
    if m is None:
        raise PackageError("välilehden osassa ei ole <worksheet>-elementtiä")
    return xml[:m.end()] + b"<" + m.group(1) + b'sheetPr codeName="' + value + b'"/>' + xml[m.end():]
