"""Replace whole worksheets inside an existing .xlsm/.xlsx package, every other part kept byte for byte.

The rebuild renders the sheets the tool owns into a separate package with xlsxwriter and
moves them into the team's workbook here: their parts (sheet, drawings, charts) are renamed
into free names, their styles and shared strings are appended to the workbook's own (reusing
identical entries), the workbook's sheet list, defined names, relationships and content types
are edited as text so that every namespace, extension and attribute Excel wrote stays as it
was. Parts of the replaced sheets are removed; `calcChain.xml` is dropped (Excel rebuilds it)
and the workbook is marked to recalculate on open. Nothing else is parsed and written back:
the VBA project, the ribbon, the team's sheets and anything this module does not understand
leave exactly as they came.
"""

from __future__ import annotations

__all__ = ["SpliceError", "StyleBook", "replace_sheets", "restyle_cells", "sheet_parts"]

import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html import escape, unescape
from xml.etree import ElementTree as ET

from .ownership import FINGERPRINT_NAME, OWNED_NAME, fingerprint_name, shared_strings, without_fingerprints
from .ownership import local_names as local_names_of
from ..ooxml.safe_zip import parse_xml

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_REL = DOC_REL_NS + "/worksheet"
SST_REL = DOC_REL_NS + "/sharedStrings"
CALC_CHAIN_REL = DOC_REL_NS + "/calcChain"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


class SpliceError(Exception):
    """The package cannot be edited safely (a structure this module does not know)."""


# ---------------------------------------------------------------------------- the package

class _Package:
    """The parts of a zip package, read when first asked for; writes and deletes kept in memory."""

    def __init__(self, data: bytes) -> None:
        self._zip = zipfile.ZipFile(io.BytesIO(data))
        self.order = self._zip.namelist()
        self._names = set(self.order)       # parts present now
        self._listed = set(self.order)      # names in `order` (a deleted part may come back)
        self._cache: dict[str, bytes] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def read(self, name: str) -> bytes:
        if name not in self._cache:
            self._cache[name] = self._zip.read(name)
        return self._cache[name]

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
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for n in (n for n in self.order if n in self._names):
                info = zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, self.read(n))
        return out.getvalue()


def _rels_name(part: str) -> str:
    d, base = posixpath.split(part)
    return posixpath.join(d, "_rels", base + ".rels")


@dataclass
class _Rel:
    id: str
    type: str
    target: str          # absolute part name when internal, else as written
    external: bool


def _rels(pkg: _Package, part: str) -> list[_Rel]:
    name = _rels_name(part)
    if name not in pkg:
        return []
    out = []
    for r in parse_xml(pkg.read(name)):
        target = r.get("Target", "")
        external = r.get("TargetMode") == "External"
        if not external:
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(posixpath.dirname(part), target))
        out.append(_Rel(r.get("Id", ""), r.get("Type", ""), target, external))
    return out


def _write_rels(rels: list[_Rel], part: str) -> bytes:
    ET.register_namespace("", PKG_REL_NS)
    root = ET.Element(f"{{{PKG_REL_NS}}}Relationships")
    for r in rels:
        attrs = {"Id": r.id, "Type": r.type,
                 "Target": r.target if r.external else posixpath.relpath(r.target, posixpath.dirname(part))}
        if r.external:
            attrs["TargetMode"] = "External"
        ET.SubElement(root, f"{{{PKG_REL_NS}}}Relationship", attrs)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


def _closure(pkg: _Package, parts: list[str]) -> set[str]:
    """The parts and every internal part they relate to, transitively."""
    seen: set[str] = set()
    stack = list(parts)
    while stack:
        p = stack.pop()
        if p in seen or p not in pkg:
            continue
        seen.add(p)
        stack += [r.target for r in _rels(pkg, p) if not r.external]
    return seen


# ---------------------------------------------------------------------------- workbook.xml

@dataclass
class _Sheet:
    name: str
    rid: str
    xml: str              # the <sheet .../> element as written
    part: str


def _workbook_sheets(pkg: _Package) -> tuple[str, list[_Sheet], str]:
    """(workbook.xml text, its sheets in order, the prefix of the relationships namespace)."""
    text = pkg.read("xl/workbook.xml").decode("utf-8")
    prefix = next((m.group(1) for m in re.finditer(r'xmlns:(\w+)="([^"]+)"', text) if m.group(2) == DOC_REL_NS), None)
    if prefix is None:
        raise SpliceError("workbook.xml: relationships namespace not found")
    targets = {r.id: r.target for r in _rels(pkg, "xl/workbook.xml")}
    block = re.search(r"<sheets>(.*?)</sheets>", text, re.DOTALL)
    if block is None:
        raise SpliceError("workbook.xml: no <sheets>")
    sheets = []
    for m in re.finditer(r"<sheet\b[^>]*/>", block.group(1)):
        attrs = dict(_ATTR.findall(m.group(0)))
        rid = attrs.get(f"{prefix}:id", "")
        sheets.append(_Sheet(unescape(attrs.get("name", "")), rid, m.group(0), targets.get(rid, "")))
    return text, sheets, prefix


def sheet_parts(data: bytes) -> dict[str, str]:
    """Sheet name -> worksheet part of a package."""
    return dict(_sheet_parts(data))


@functools.lru_cache(maxsize=2)
def _sheet_parts(data: bytes) -> tuple[tuple[str, str], ...]:
    # One job asks this of the same package several times (guards, reads, verification): reading
    # the zip directory of a 200-area workbook costs about 8 ms each time. bytes cache their hash.
    _, sheets, _ = _workbook_sheets(_Package(data))
    return tuple((s.name, s.part) for s in sheets)


def _defined_names(text: str) -> list[str]:
    block = re.search(r"<definedNames>(.*?)</definedNames>", text, re.DOTALL)
    return re.findall(r"<definedName\b[^>]*>.*?</definedName>|<definedName\b[^>]*/>", block.group(1), re.DOTALL) if block else []


def _local_id(name_xml: str) -> int | None:
    m = re.search(r'localSheetId="(\d+)"', name_xml.split(">", 1)[0])
    return int(m.group(1)) if m else None


def _with_local_id(name_xml: str, index: int) -> str:
    return re.sub(r'localSheetId="\d+"', f'localSheetId="{index}"', name_xml, count=1)


# ---------------------------------------------------------------------------- styles and strings

_BLOCKS = ("numFmts", "fonts", "fills", "borders", "cellXfs", "dxfs")
_CHILD = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf", "dxfs": "dxf"}


def _children(text: str, block: str) -> list[str]:
    m = re.search(rf"<{block}\b[^>]*?(?:/>|>(.*?)</{block}>)", text, re.DOTALL)
    if m is None or m.group(1) is None:
        return []
    child = _CHILD[block]
    return re.findall(rf"<{child}\b(?:[^>]*/>|[^>]*>.*?</{child}>)", m.group(1), re.DOTALL)


def _norm(xml: str) -> str:
    return re.sub(r"\s+/>", "/>", re.sub(r">\s+<", "><", xml.strip()))


def _set_block(text: str, block: str, children: list[str]) -> str:
    """Replace the children of `<block>`, keeping its own attributes; create the block if needed."""
    inner = "".join(children)
    m = re.search(rf"<{block}\b([^>]*?)(/?)>(?:(.*?)</{block}>)?", text, re.DOTALL)
    if m is not None and (m.group(2) == "/" or m.group(3) is not None):
        attrs = re.sub(r'\scount="\d+"', "", m.group(1))
        new = f'<{block} count="{len(children)}"{attrs}>{inner}</{block}>'
        return text[:m.start()] + new + text[m.end():]
    if not children:
        return text
    new = f'<{block} count="{len(children)}">{inner}</{block}>'
    if block == "numFmts":   # first child of styleSheet
        at = re.search(r"<styleSheet\b[^>]*>", text)
        assert at is not None
        return text[:at.end()] + new + text[at.end():]
    if block == "dxfs":      # after cellStyles (or cellXfs), before tableStyles
        after = re.search(r"</cellStyles>|<cellStyles\b[^>]*/>|</cellXfs>", text)
        if after is None:
            raise SpliceError("styles.xml: no place for dxfs")
        return text[:after.end()] + new + text[after.end():]
    raise SpliceError(f"styles.xml: no <{block}>")


def _sub_attr(xml: str, attr: str, mapping: Callable[[int], int]) -> str:
    return re.sub(rf'\b{attr}="(\d+)"', lambda m: f'{attr}="{mapping(int(m.group(1)))}"', xml)


@dataclass
class _StyleMap:
    xf: dict[int, int]
    dxf: dict[int, int]


def _merge_styles(old: str, new: str) -> tuple[str, _StyleMap]:
    """`old` styles with `new`'s appended where not already there; maps of new indices to merged ones."""
    maps: dict[str, dict[int, int]] = {}
    # number formats: by format code
    old_fmts = _children(old, "numFmts")
    codes = {unescape(dict(_ATTR.findall(f))["formatCode"]): int(dict(_ATTR.findall(f))["numFmtId"]) for f in old_fmts}
    next_id = max([163, *codes.values()]) + 1
    fmt_map: dict[int, int] = {}
    for f in _children(new, "numFmts"):
        a = dict(_ATTR.findall(f))
        code = unescape(a["formatCode"])
        if code not in codes:
            codes[code] = next_id
            old_fmts.append(f'<numFmt numFmtId="{next_id}" formatCode="{escape(code)}"/>')
            next_id += 1
        fmt_map[int(a["numFmtId"])] = codes[code]
    old = _set_block(old, "numFmts", old_fmts)
    for block in ("fonts", "fills", "borders", "dxfs"):
        have = _children(old, block)
        index = {_norm(x): i for i, x in reversed(list(enumerate(have)))}
        mapping: dict[int, int] = {}
        for i, x in enumerate(_children(new, block)):
            key = _norm(x)
            if key not in index:
                index[key] = len(have)
                have.append(x)
            mapping[i] = index[key]
        maps[block] = mapping
        old = _set_block(old, block, have)
    have = _children(old, "cellXfs")
    index = {_norm(x): i for i, x in reversed(list(enumerate(have)))}
    xf_map: dict[int, int] = {}
    for i, x in enumerate(_children(new, "cellXfs")):
        x = _sub_attr(x, "numFmtId", lambda n: fmt_map.get(n, n))
        x = _sub_attr(x, "fontId", lambda n: maps["fonts"][n])
        x = _sub_attr(x, "fillId", lambda n: maps["fills"][n])
        x = _sub_attr(x, "borderId", lambda n: maps["borders"][n])
        x = _sub_attr(x, "xfId", lambda n: 0)
        key = _norm(x)
        if key not in index:
            index[key] = len(have)
            have.append(x)
        xf_map[i] = index[key]
    old = _set_block(old, "cellXfs", have)
    return old, _StyleMap(xf_map, maps["dxfs"])


def _strings(text: str) -> list[str]:
    return re.findall(r"<si>.*?</si>|<si/>", text, re.DOTALL)


def _merge_strings(old: str | None, new: str | None) -> tuple[str | None, dict[int, int]]:
    if new is None:
        return old, {}
    new_items = _strings(new)
    base = old if old is not None else (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{MAIN_NS}" count="0" uniqueCount="0"></sst>')
    items = _strings(base)
    index = {x: i for i, x in reversed(list(enumerate(items)))}
    mapping = {}
    added: list[str] = []
    for i, x in enumerate(new_items):
        if x not in index:
            index[x] = len(items) + len(added)
            added.append(x)
        mapping[i] = index[x]
    if not added:
        return base, mapping
    total = len(items) + len(added)
    m = re.search(r"</sst>", base)
    if m is None:   # <sst .../> empty
        base = re.sub(r"<sst\b([^>]*)/>", r"<sst\1></sst>", base)
        m = re.search(r"</sst>", base)
        assert m is not None
    base = base[:m.start()] + "".join(added) + base[m.start():]
    base = re.sub(r'(<sst\b[^>]*?)\s(?:unique)?[cC]ount="\d+"', r"\1", base, count=1)
    base = re.sub(r'(<sst\b[^>]*?)\s(?:unique)?[cC]ount="\d+"', r"\1", base, count=1)
    base = re.sub(r"<sst\b", f'<sst uniqueCount="{total}"', base, count=1)
    return base, mapping


_CELL = re.compile(rb"<c\b([^>]*?)(/>|>)")
_CELL_S = re.compile(rb'(<c\b[^>]*?\bs=")(\d+)"')
_SHARED = re.compile(rb'(<c\b[^>]*?\bt="s"[^>]*><v>)(\d+)(</v>)')


def _remap_sheet(xml: bytes, styles: _StyleMap, strings: dict[int, int]) -> bytes:
    xf = styles.xf
    xml = _CELL_S.sub(lambda m: m.group(1) + b'%d"' % xf[int(m.group(2))], xml)
    xml = _SHARED.sub(lambda m: m.group(1) + b"%d" % strings[int(m.group(2))] + m.group(3), xml)
    xml = re.sub(rb'(<row\b[^>]*?\bs=")(\d+)"', lambda m: m.group(1) + b'%d"' % xf[int(m.group(2))], xml)
    xml = re.sub(rb'(<col\b[^>]*?\bstyle=")(\d+)"', lambda m: m.group(1) + b'%d"' % xf[int(m.group(2))], xml)
    return re.sub(rb'\bdxfId="(\d+)"', lambda m: b'dxfId="%d"' % styles.dxf[int(m.group(1))], xml)


def restyle_cells(xml: bytes, fn: Callable[[str, int], int | None], refs: set[str] | None = None,
                  styles: set[int] | None = None) -> bytes:
    """Give cells of a sheet new style indices: `fn(cell ref, current s) -> new s or None (keep)`.

    With `refs` and `styles`, only cells with one of those references or style indices are
    looked at (the rest of a large sheet is copied as it is).
    """
    pattern = _CELL
    if refs is not None and styles is not None:
        alts = [rb'\br="(?:' + b"|".join(r.encode() for r in sorted(refs)) + rb')"'] if refs else []
        alts += [rb'\bs="(?:' + b"|".join(b"%d" % i for i in sorted(styles)) + rb')"'] if styles else []
        if not alts:
            return xml
        pattern = re.compile(rb"<c\b(?=[^>]*(?:" + b"|".join(alts) + rb"))([^>]*?)(/>|>)")

    def cell(m: re.Match[bytes]) -> bytes:
        attrs = m.group(1)
        ref = re.search(rb'\br="([A-Z]+\d+)"', attrs)
        if ref is None:
            return m.group(0)
        cur = re.search(rb'\bs="(\d+)"', attrs)
        new = fn(ref.group(1).decode(), int(cur.group(1)) if cur else 0)
        if new is None:
            return m.group(0)
        attrs = (re.sub(rb'\bs="\d+"', b's="%d"' % new, attrs) if cur
                 else attrs.replace(ref.group(0), ref.group(0) + b' s="%d"' % new, 1))
        return b"<c" + attrs + m.group(2)

    return pattern.sub(cell, xml)


class StyleBook:
    """The workbook's fills and cell formats, for edits that give cells another fill."""

    def __init__(self, styles_xml: str) -> None:
        self._text = styles_xml
        self.fills = _children(styles_xml, "fills")
        self.xfs = _children(styles_xml, "cellXfs")
        self._n = (len(self.fills), len(self.xfs))
        self._xf_index = {_norm(x): i for i, x in reversed(list(enumerate(self.xfs)))}

    def fill_of(self, xf: int) -> int:
        m = re.search(r'\bfillId="(\d+)"', self.xfs[xf]) if 0 <= xf < len(self.xfs) else None
        return int(m.group(1)) if m else 0

    def solid_fill(self, rgb: str) -> int:
        """Index of a solid fill of colour `rgb` (RRGGBB), added if the workbook has none."""
        for i, f in enumerate(self.fills):
            if re.search(rf'<fgColor\b[^>]*rgb="(?:FF)?{rgb}"', f, re.IGNORECASE) and 'patternType="solid"' in f:
                return i
        self.fills.append(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                          '<bgColor indexed="64"/></patternFill></fill>')
        return len(self.fills) - 1

    def with_fill(self, xf: int, fill: int) -> int:
        """The cell format `xf` with fill `fill` (an existing identical format is reused)."""
        base = self.xfs[xf] if 0 <= xf < len(self.xfs) else '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        if re.search(r'\bfillId="\d+"', base):
            new = re.sub(r'\bfillId="\d+"', f'fillId="{fill}"', base, count=1)
        else:
            new = re.sub(r"<xf\b", f'<xf fillId="{fill}"', base, count=1)
        new = re.sub(r'\sapplyFill="\w+"', "", new)
        new = re.sub(r"<xf\b", '<xf applyFill="1"', new, count=1) if fill else new
        key = _norm(new)
        if key not in self._xf_index:
            self._xf_index[key] = len(self.xfs)
            self.xfs.append(new)
        return self._xf_index[key]

    def text(self) -> str:
        out = self._text
        if len(self.fills) != self._n[0]:
            out = _set_block(out, "fills", self.fills)
        if len(self.xfs) != self._n[1]:
            out = _set_block(out, "cellXfs", self.xfs)
        return out


# ---------------------------------------------------------------------------- the splice

def _free_name(pkg: _Package, taken: dict[tuple[str, str, str], int], part: str) -> str:
    """A part name like `part` (same folder and stem, another number) that the package does not use."""
    d, base = posixpath.split(part)
    stem, ext = posixpath.splitext(base)
    stem = stem.rstrip("0123456789")
    k = taken.get((d, stem, ext), 1)
    while posixpath.join(d, f"{stem}{k}{ext}") in pkg:
        k += 1
    taken[(d, stem, ext)] = k + 1
    return posixpath.join(d, f"{stem}{k}{ext}")


def _content_types(pkg: _Package) -> tuple[dict[str, str], dict[str, str]]:
    root = parse_xml(pkg.read("[Content_Types].xml"))
    defaults = {d.get("Extension", "").lower(): d.get("ContentType", "") for d in root.iter(f"{{{CT_NS}}}Default")}
    overrides = {o.get("PartName", "").lstrip("/"): o.get("ContentType", "") for o in root.iter(f"{{{CT_NS}}}Override")}
    return defaults, overrides


def _write_content_types(defaults: dict[str, str], overrides: dict[str, str]) -> bytes:
    ET.register_namespace("", CT_NS)
    root = ET.Element(f"{{{CT_NS}}}Types")
    for ext, ct in defaults.items():
        ET.SubElement(root, f"{{{CT_NS}}}Default", {"Extension": ext, "ContentType": ct})
    for part, ct in overrides.items():
        ET.SubElement(root, f"{{{CT_NS}}}Override", {"PartName": "/" + part, "ContentType": ct})
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + ET.tostring(root, encoding="utf-8")


def _code_name(xml: bytes) -> bytes | None:
    m = re.search(rb'<sheetPr\b[^>]*\bcodeName="([^"]+)"', xml)
    return m.group(1) if m else None


def _set_code_name(xml: bytes, code: bytes) -> bytes:
    if re.search(rb"<sheetPr\b", xml):
        return re.sub(rb"<sheetPr\b", b'<sheetPr codeName="' + code + b'"', xml, count=1)
    m = re.search(rb"<worksheet\b[^>]*>", xml)
    if m is None:
        return xml
    return xml[:m.end()] + b'<sheetPr codeName="' + code + b'"/>' + xml[m.end():]


def replace_sheets(old: bytes, new: bytes | list[bytes] | None, remove: list[str], insert_at: int,
                   append_last: tuple[str, ...] = (),
                   edit_kept: dict[str, Callable[[bytes, StyleBook], bytes]] | None = None,
                   fingerprints: dict[str, str] | None = None, disown: frozenset[str] = frozenset()) -> bytes:
    """`old` with its sheets `remove` taken out and every sheet of `new` (one package or several) put in.

    The new sheets go, in their order (package by package), at position `insert_at` of the remaining sheets,
    except those named in `append_last`, which go to the end. A new sheet whose name an
    old one had gets that sheet's VBA code name. `edit_kept[name](xml, styles)` may change a
    kept sheet's XML, adding cell formats through `styles` (a `StyleBook`). New sheets marked as
    the tool's get the fingerprint of their cells (`ownership`); `fingerprints` gives their cells'
    part of it when already known from the layout. Kept sheets in `disown` lose the tool's mark and
    fingerprint (a renamed or copied sheet the team now owns), so no job anywhere takes them for the tool's.
    """
    pkg = _Package(old)
    sources = [_Package(n) for n in ([] if new is None else [new] if isinstance(new, bytes) else new)]
    wb_text, old_sheets, prefix = _workbook_sheets(pkg)
    sheets_of = [_workbook_sheets(src)[1] for src in sources]
    new_sheets = [sh for sheets in sheets_of for sh in sheets]
    by_name = {s.name: s for s in old_sheets}
    missing = [n for n in remove if n not in by_name]
    if missing:
        raise SpliceError(f"no sheet {missing[0]!r}")
    removed = [by_name[n] for n in remove]
    kept = [s for s in old_sheets if s.name not in set(remove)]
    clash = {s.name.casefold() for s in kept} & {s.name.casefold() for s in new_sheets}
    if clash:
        raise SpliceError(f"a kept sheet has the name of a new one: {sorted(clash)[0]}")
    code_names = {s.name: _code_name(pkg.read(s.part)) for s in removed if s.part in pkg}

    # 1. parts of the removed sheets that nothing kept refers to
    wb_rels = _rels(pkg, "xl/workbook.xml")
    removed_parts = {s.part for s in removed}
    keep_roots = [r.target for r in wb_rels if not r.external and r.target not in removed_parts]
    keep_roots += [r.target for r in _rels(pkg, "") if not r.external and r.target != "xl/workbook.xml"]
    still_used = _closure(pkg, keep_roots) | {"xl/workbook.xml"}
    gone = (_closure(pkg, sorted(removed_parts)) - still_used)
    calc_chain = [r.target for r in wb_rels if r.type == CALC_CHAIN_REL]
    gone |= set(calc_chain)
    defaults, overrides = _content_types(pkg)
    for p in gone:
        pkg.delete(p)
        pkg.delete(_rels_name(p))
        overrides.pop(p, None)

    # 2. styles and shared strings, source by source (identical entries reused)
    styles_part = next((r.target for r in wb_rels if r.type == DOC_REL_NS + "/styles"), "xl/styles.xml")
    styles_text = pkg.read(styles_part).decode("utf-8")
    sst_part = next((r.target for r in wb_rels if r.type == SST_REL), None)
    sst_text = pkg.read(sst_part).decode("utf-8") if sst_part else None
    maps: list[tuple[_StyleMap, dict[int, int]]] = []
    for src in sources:
        src_rels = _rels(src, "xl/workbook.xml")
        src_styles = next((r.target for r in src_rels if r.type == DOC_REL_NS + "/styles"), "xl/styles.xml")
        styles_text, smap = _merge_styles(styles_text, src.read(src_styles).decode("utf-8"))
        src_sst = next((r.target for r in src_rels if r.type == SST_REL), None)
        sst_text, strmap = _merge_strings(sst_text, src.read(src_sst).decode("utf-8") if src_sst else None)
        maps.append((smap, strmap))

    # 3. edits of kept sheets (e.g. fills where findings point), formats appended as they come
    book = StyleBook(styles_text)
    for name, edit in (edit_kept or {}).items():
        s = by_name.get(name)
        if s is not None and s.name not in set(remove) and s.part in pkg:
            pkg.write(s.part, edit(pkg.read(s.part), book))
    pkg.write(styles_part, book.text().encode("utf-8"))

    # 4. the new sheets' parts, under free names
    taken: dict[tuple[str, str, str], int] = {}
    new_part: dict[str, str] = {}          # new sheet name -> its part in the result
    for src, sheets, (smap, strmap) in zip(sources, sheets_of, maps, strict=True):
        renamed: dict[str, str] = {}
        src_defaults, src_overrides = _content_types(src)
        for sh in sheets:
            for p in sorted(_closure(src, [sh.part])):
                if p not in renamed:
                    renamed[p] = _free_name(pkg, taken, p)
            new_part[sh.name] = renamed[sh.part]
        sheet_by_part = {sh.part: sh for sh in sheets}
        for old_name, new_name in renamed.items():
            data = src.read(old_name)
            if old_name in sheet_by_part:
                data = _remap_sheet(data, smap, strmap)
                code = code_names.get(sheet_by_part[old_name].name)
                if code:
                    data = _set_code_name(data, code)
                data = re.sub(rb'\s+tabSelected="(?:1|true)"', b"", data)   # one selected sheet, set below
            pkg.write(new_name, data)
            rels = _rels(src, old_name)
            if rels:
                for r in rels:
                    if not r.external:
                        r.target = renamed[r.target]
                pkg.write(_rels_name(new_name), _write_rels(rels, new_name))
            ext = posixpath.splitext(new_name)[1].lstrip(".").lower()
            ct = src_overrides.get(old_name) or src_defaults.get(ext)
            if ct and defaults.get(ext) != ct:
                overrides[new_name] = ct
            for d_ext, d_ct in src_defaults.items():
                defaults.setdefault(d_ext, d_ct)

    # 5. workbook relationships, sheet list, defined names
    rels_out = [r for r in wb_rels if r.target not in gone and r.target not in removed_parts]
    ids = {r.id for r in rels_out}
    new_rid: dict[str, str] = {}
    for s in new_sheets:
        k = 1
        while f"rIdE{k}" in ids:
            k += 1
        ids.add(f"rIdE{k}")
        new_rid[s.name] = f"rIdE{k}"
        rels_out.append(_Rel(f"rIdE{k}", SHEET_REL, new_part[s.name], False))
    if sst_text is not None:
        if sst_part is None:
            sst_part = "xl/sharedStrings.xml"
            rels_out.append(_Rel("rIdE0", SST_REL, sst_part, False))
            overrides[sst_part] = SST_TYPE
        pkg.write(sst_part, sst_text.encode("utf-8"))
    pkg.write(_rels_name("xl/workbook.xml"), _write_rels(rels_out, "xl/workbook.xml"))
    pkg.write("[Content_Types].xml", _write_content_types(defaults, overrides))

    used_ids = {int(dict(_ATTR.findall(s.xml)).get("sheetId", "0")) for s in kept}
    next_sheet_id = max(used_ids | {int(dict(_ATTR.findall(s.xml)).get("sheetId", "0")) for s in removed} | {0}) + 1
    placed: list[tuple[str, str]] = [(s.name, s.xml) for s in kept]    # (name, element)
    new_elems = []
    root_tag = re.search(r"<workbook\b[^>]*>", wb_text)
    declare = "" if root_tag and f'xmlns:{prefix}="{DOC_REL_NS}"' in root_tag.group(0) else \
        f' xmlns:{prefix}="{DOC_REL_NS}"'   # openpyxl declares it on each <sheet>
    for s in new_sheets:
        elem = (f'<sheet name="{escape(s.name, quote=True)}" sheetId="{next_sheet_id}" '
                f'{prefix}:id="{new_rid[s.name]}"{declare}/>')
        next_sheet_id += 1
        new_elems.append((s.name, elem))
    middle = [e for e in new_elems if e[0] not in append_last]
    last = [e for e in new_elems if e[0] in append_last]
    at = max(0, min(insert_at, len(placed)))
    final = placed[:at] + middle + placed[at:] + last
    index_of = {name: i for i, (name, _) in enumerate(final)}
    old_index = {i: s.name for i, s in enumerate(old_sheets)}

    names_out = []
    for d in _defined_names(wb_text):
        local = _local_id(d)
        if local is None:
            names_out.append(d)
        elif old_index.get(local) in index_of and old_index[local] not in set(remove):
            if old_index[local] in disown and re.search(rf'\bname="(?:{OWNED_NAME}|{FINGERPRINT_NAME})"', d):
                continue
            names_out.append(_with_local_id(d, index_of[old_index[local]]))
    stamped: list[str] = []       # new sheets the tool owns: they get the fingerprint of their cells
    for src, sheets in zip(sources, sheets_of, strict=True):
        local_names = {i: sh.name for i, sh in enumerate(sheets)}
        src_text = src.read("xl/workbook.xml").decode("utf-8")
        for d in _defined_names(src_text):
            local = _local_id(d)
            if local is not None and local_names.get(local) in index_of:
                names_out.append(_with_local_id(d, index_of[local_names[local]]))
        stamped += [local_names[i] for i, names in local_names_of(src_text).items() if OWNED_NAME in names]
    if stamped:
        strings = shared_strings(sst_text)
        names_out = without_fingerprints(names_out, {index_of[s] for s in stamped})
        names_out += [fingerprint_name(index_of[s], s, pkg.read(new_part[s]), strings, (fingerprints or {}).get(s))
                      for s in stamped]
    text = re.sub(r"<sheets>.*?</sheets>", lambda m: "<sheets>" + "".join(e for _, e in final) + "</sheets>",
                  wb_text, count=1, flags=re.DOTALL)
    block = "<definedNames>" + "".join(names_out) + "</definedNames>" if names_out else ""
    if re.search(r"<definedNames>.*?</definedNames>", text, re.DOTALL):
        text = re.sub(r"<definedNames>.*?</definedNames>", lambda m: block, text, count=1, flags=re.DOTALL)
    elif block:   # after sheets, functionGroups and externalReferences, as the schema orders them
        after = max((m.end() for m in re.finditer(r"</sheets>|</functionGroups>|</externalReferences>", text)))
        text = text[:after] + block + text[after:]
    # Exactly one selected sheet, and the active tab on it (several selected would group them).
    text = re.sub(r'\s(?:activeTab|firstSheet)="\d+"', "", text)
    selected = next((name for name, _ in final if name in by_name and name not in set(remove)
                     and re.search(rb'tabSelected="(?:1|true)"', pkg.read(by_name[name].part))), None)
    if selected is None and new_sheets:
        selected = next(name for name, _ in final if name in {s.name for s in new_sheets})
        part = new_part[selected]
        pkg.write(part, re.sub(rb"<sheetView\b", b'<sheetView tabSelected="1"', pkg.read(part), count=1))
    if selected is not None:
        text = re.sub(r"<workbookView\b", f'<workbookView activeTab="{index_of[selected]}"', text, count=1)
    if re.search(r"<calcPr\b", text):
        text = re.sub(r"<calcPr\b([^>]*?)\s*fullCalcOnLoad=\"\w+\"", r"<calcPr\1", text)
        text = re.sub(r"<calcPr\b", '<calcPr fullCalcOnLoad="1"', text, count=1)
    pkg.write("xl/workbook.xml", text.encode("utf-8"))
    if "docProps/app.xml" in pkg:    # the sheet list Excel shows in the file's properties
        from .package import app_xml_with_sheets

        pkg.write("docProps/app.xml", app_xml_with_sheets(pkg.read("docProps/app.xml"), [n for n, _ in final]))
    return pkg.to_bytes()
