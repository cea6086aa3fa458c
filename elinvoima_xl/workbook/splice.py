"""Replace whole worksheets inside an existing .xlsm/.xlsx package, every other part kept byte for byte.

The rebuild renders the sheets the tool owns into a separate package with xlsxwriter and
moves them into the team's workbook here: their parts (sheet, drawings, charts) are renamed
into free names, their styles and shared strings are appended to the workbook's own (reusing
identical entries, `splice_styles`), and the workbook's sheet list, defined names, relationships
and content types are edited through `ooxml.opc` (lxml keeps every namespace, extension and
attribute Excel wrote). Parts of the replaced sheets are removed; `calcChain.xml` is dropped
(Excel rebuilds it) and the workbook is marked to recalculate on open. Nothing else is parsed
and written back: the VBA project, the ribbon, the team's sheets and anything this module does
not understand leave exactly as they came.
"""

from __future__ import annotations

__all__ = ["SpliceError", "StyleBook", "replace_sheets", "restyle_cells"]

import copy
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from ..ooxml.docprops import app_xml_with_sheets
from ..ooxml.opc import (
    CALC_CHAIN_REL,
    MAIN_NS,
    SHEET_REL,
    SST_REL,
    SST_TYPE,
    STYLES_REL,
    ContentTypes,
    Package,
    PackageError,
    Rel,
    SheetEntry,
    Workbook,
    read_rels,
    rels_name,
    serialize,
    sheet_code_name,
    with_sheet_code_name,
    write_rels,
)
from .ownership import FINGERPRINT_NAME, OWNED_NAME, fingerprint_value, shared_strings
from .splice_styles import StyleBook, StyleMap, merge_strings, merge_styles, remap_sheet, restyle_cells

_TAB_SELECTED = re.compile(rb'\s+tabSelected="(?:1|true)"')


class SpliceError(PackageError):
    """The package cannot be edited safely (a structure this module does not know)."""


def _closure(pkg: Package, parts: list[str]) -> set[str]:
    """The parts and every internal part they relate to, transitively."""
    seen: set[str] = set()
    stack = list(parts)
    while stack:
        p = stack.pop()
        if p in seen or p not in pkg:
            continue
        seen.add(p)
        stack += [r.target for r in read_rels(pkg, p) if not r.external]
    return seen


def _free_name(pkg: Package, taken: dict[tuple[str, str, str], int], part: str) -> str:
    """A part name like `part` (same folder and stem, another number) that the package does not use."""
    d, base = posixpath.split(part)
    stem, ext = posixpath.splitext(base)
    stem = stem.rstrip("0123456789")
    k = taken.get((d, stem, ext), 1)
    while posixpath.join(d, f"{stem}{k}{ext}") in pkg:
        k += 1
    taken[(d, stem, ext)] = k + 1
    return posixpath.join(d, f"{stem}{k}{ext}")


@dataclass
class _Source:
    """One rendered package and where its styles and strings went in the workbook."""

    pkg: Package
    book: Workbook
    styles: StyleMap | None = None
    strings: dict[int, int] = field(default_factory=dict)


@dataclass
class _Target:
    """The workbook being edited: its package, workbook.xml, content types and the parts read once."""

    pkg: Package
    book: Workbook
    types: ContentTypes
    styles_part: str
    styles: etree._Element
    sst_part: str | None
    sst: etree._Element | None
    styles_changed: bool = False
    sst_changed: bool = False


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
    pkg = Package(old)
    book = Workbook(pkg)
    sources = [_Source(p, Workbook(p)) for p in (Package(n) for n in
                                                   ([] if new is None else [new] if isinstance(new, bytes) else new))]
    new_sheets = [sh for src in sources for sh in src.book.sheets]
    by_name = {s.name: s for s in book.sheets}
    missing = [n for n in remove if n not in by_name]
    if missing:
        raise SpliceError(f"työkirjassa ei ole välilehteä '{missing[0]}'")
    removed = [by_name[n] for n in remove]
    kept = [s for s in book.sheets if s.name not in set(remove)]
    clash = {s.name.casefold() for s in kept} & {s.name.casefold() for s in new_sheets}
    if clash:
        raise SpliceError(f"säilyvällä välilehdellä on uuden nimi: {sorted(clash)[0]}")
    code_names = {s.name: sheet_code_name(pkg.read(s.part)) for s in removed if s.part in pkg}

    target = _open_target(pkg, book)
    gone = _drop_removed(target, {s.part for s in removed})
    for src in sources:
        _merge_source(target, src)
    _edit_kept(target, kept, edit_kept or {})
    new_part: dict[str, str] = {}          # new sheet name -> its part in the result
    taken: dict[tuple[str, str, str], int] = {}
    for src in sources:
        new_part.update(_copy_source(target, src, code_names, taken))
    new_rid = _write_relationships(target, gone | {s.part for s in removed}, new_sheets, new_part)

    final = _place_sheets(book, kept, removed, new_sheets, new_rid, insert_at, append_last)
    index_of = {e.get("name", ""): i for i, e in enumerate(final)}
    _defined_names(target, sources, index_of, removed, disown, new_part, fingerprints or {})
    _select_one(target, final, index_of, {s.name: s.part for s in kept}, new_part)
    book.set_attribute("calcPr", "fullCalcOnLoad", "1")
    pkg.write(book.part, book.to_bytes())
    if "docProps/app.xml" in pkg:    # the sheet list Excel shows in the file's properties
        pkg.write("docProps/app.xml", app_xml_with_sheets(pkg.read("docProps/app.xml"), list(index_of)))
    return pkg.to_bytes()


def _open_target(pkg: Package, book: Workbook) -> _Target:
    styles_part = book.related(STYLES_REL) or "xl/styles.xml"
    sst_part = book.related(SST_REL)
    return _Target(pkg, book, ContentTypes.read(pkg), styles_part, pkg.xml(styles_part), sst_part,
                   pkg.xml(sst_part) if sst_part else None)


def _drop_removed(t: _Target, removed_parts: set[str]) -> set[str]:
    """Delete the parts of the removed sheets that nothing kept refers to, and the calculation chain."""
    keep_roots = [r.target for r in t.book.rels if not r.external and r.target not in removed_parts]
    keep_roots += [r.target for r in read_rels(t.pkg, "") if not r.external and r.target != t.book.part]
    still_used = _closure(t.pkg, keep_roots) | {t.book.part}
    gone = _closure(t.pkg, sorted(removed_parts)) - still_used
    gone |= {r.target for r in t.book.rels if r.type == CALC_CHAIN_REL}
    for p in gone:
        t.pkg.delete(p)
        t.pkg.delete(rels_name(p))
        t.types.overrides.pop(p, None)
    return gone


def _merge_source(t: _Target, src: _Source) -> None:
    """The source's cell formats and shared strings appended to the workbook's (identical ones reused)."""
    src_styles = src.book.related(STYLES_REL) or "xl/styles.xml"
    src.styles, changed = merge_styles(t.styles, src.pkg.xml(src_styles))
    t.styles_changed |= changed
    src_sst = src.book.related(SST_REL)
    t.sst, src.strings, changed = merge_strings(t.sst, src.pkg.xml(src_sst) if src_sst else None)
    t.sst_changed |= changed


def _edit_kept(t: _Target, kept: list[SheetEntry], edits: dict[str, Callable[[bytes, StyleBook], bytes]]) -> None:
    """Edits of kept sheets (e.g. fills where findings point), cell formats appended as they come."""
    book = StyleBook(t.styles)
    for s in kept:
        if s.name in edits and s.part in t.pkg:
            t.pkg.write(s.part, edits[s.name](t.pkg.read(s.part), book))
    if t.styles_changed or book.changed:
        t.pkg.write(t.styles_part, serialize(t.styles))


def _copy_source(t: _Target, src: _Source, code_names: dict[str, str | None],
                 taken: dict[tuple[str, str, str], int]) -> dict[str, str]:
    """Copy a source's sheets and every part they relate to under free names; sheet name -> its new part."""
    assert src.styles is not None
    renamed: dict[str, str] = {}
    new_part: dict[str, str] = {}
    for sh in src.book.sheets:
        for p in sorted(_closure(src.pkg, [sh.part])):
            if p not in renamed:
                renamed[p] = _free_name(t.pkg, taken, p)
        new_part[sh.name] = renamed[sh.part]
    sheet_by_part = {sh.part: sh for sh in src.book.sheets}
    src_types = ContentTypes.read(src.pkg)
    for old_name, new_name in renamed.items():
        data = src.pkg.read(old_name)
        if old_name in sheet_by_part:
            data = remap_sheet(data, src.styles, src.strings)
            code = code_names.get(sheet_by_part[old_name].name)
            if code:
                data = with_sheet_code_name(data, code)
            data = _TAB_SELECTED.sub(b"", data)   # one selected sheet, set at the end
        t.pkg.write(new_name, data)
        rels = read_rels(src.pkg, old_name)
        if rels:
            for r in rels:
                if not r.external:
                    r.target = renamed[r.target]
            t.pkg.write(rels_name(new_name), write_rels(rels, new_name))
        ext = posixpath.splitext(new_name)[1].lstrip(".").lower()
        ct = src_types.overrides.get(old_name) or src_types.defaults.get(ext)
        if ct and t.types.defaults.get(ext) != ct:
            t.types.overrides[new_name] = ct
        for d_ext, d_ct in src_types.defaults.items():
            t.types.defaults.setdefault(d_ext, d_ct)
    return new_part


def _write_relationships(t: _Target, dropped: set[str], new_sheets: list[SheetEntry],
                         new_part: dict[str, str]) -> dict[str, str]:
    """The workbook's relationships less the dropped parts, with the new sheets; shared strings and content
    types written. New sheet name -> its relationship id."""
    rels = [r for r in t.book.rels if r.target not in dropped]
    ids = {r.id for r in rels}
    new_rid: dict[str, str] = {}
    for s in new_sheets:
        k = 1
        while f"rIdE{k}" in ids:
            k += 1
        ids.add(f"rIdE{k}")
        new_rid[s.name] = f"rIdE{k}"
        rels.append(Rel(f"rIdE{k}", SHEET_REL, new_part[s.name]))
    if t.sst is not None and t.sst_changed:
        if t.sst_part is None:
            t.sst_part = "xl/sharedStrings.xml"
            rels.append(Rel("rIdE0", SST_REL, t.sst_part))
            t.types.overrides[t.sst_part] = SST_TYPE
        t.pkg.write(t.sst_part, serialize(t.sst))
    t.pkg.write(rels_name(t.book.part), write_rels(rels, t.book.part))
    t.pkg.write("[Content_Types].xml", t.types.to_bytes())
    return new_rid


def _place_sheets(book: Workbook, kept: list[SheetEntry], removed: list[SheetEntry], new_sheets: list[SheetEntry],
                  new_rid: dict[str, str], insert_at: int, append_last: tuple[str, ...]) -> list[etree._Element]:
    """workbook.xml's `<sheets>`: the kept ones, the new ones at `insert_at`, those of `append_last` at the end."""
    next_id = max([s.sheet_id for s in kept + removed] + [0]) + 1
    created = []
    for s in new_sheets:
        created.append((s.name, book.new_sheet(s.name, next_id, new_rid[s.name])))
        next_id += 1
    middle = [e for name, e in created if name not in append_last]
    last = [e for name, e in created if name in append_last]
    placed = [s.element for s in kept]
    at = max(0, min(insert_at, len(placed)))
    final = placed[:at] + middle + placed[at:] + last
    book.set_sheets(final)
    return final


def _defined_names(t: _Target, sources: list[_Source], index_of: dict[str, int], removed: list[SheetEntry],
                   disown: frozenset[str], new_part: dict[str, str], fingerprints: dict[str, str]) -> None:
    """Defined names follow their sheets: the removed sheets' go, the kept ones' are renumbered, the new ones'
    come from their package; each new sheet the tool owns gets the fingerprint of its cells."""
    old_index = {i: s.name for i, s in enumerate(t.book.sheets)}
    gone = {s.name for s in removed}
    out: list[etree._Element] = []
    for d in t.book.defined_names():
        if d.local_sheet_id is None:
            out.append(d.element)
            continue
        sheet = old_index.get(d.local_sheet_id)
        if sheet is None or sheet in gone or sheet not in index_of:
            continue
        if sheet in disown and d.name in (OWNED_NAME, FINGERPRINT_NAME):
            continue
        d.element.set("localSheetId", str(index_of[sheet]))
        out.append(d.element)
    stamped: list[str] = []
    for src in sources:
        local_names = {i: sh.name for i, sh in enumerate(src.book.sheets)}
        for d in src.book.defined_names():
            sheet = local_names.get(d.local_sheet_id) if d.local_sheet_id is not None else None
            if sheet is not None and sheet in index_of:
                e = copy.deepcopy(d.element)
                e.set("localSheetId", str(index_of[sheet]))
                out.append(e)
                if d.name == OWNED_NAME:
                    stamped.append(sheet)
    if stamped:
        strings = shared_strings(etree.tostring(t.sst) if t.sst is not None else None)
        indices = {index_of[s] for s in stamped}
        out = [e for e in out if not (e.get("name") == FINGERPRINT_NAME and e.get("localSheetId", "").isdigit()
                                      and int(e.get("localSheetId", "")) in indices)]
        out += [Workbook.defined_name(FINGERPRINT_NAME, fingerprint_value(s, t.pkg.read(new_part[s]), strings,
                                                                          fingerprints.get(s)),
                                      index_of[s], hidden=True) for s in stamped]
    t.book.set_defined_names(out)


def _select_one(t: _Target, final: list[etree._Element], index_of: dict[str, int], kept_parts: dict[str, str],
                new_part: dict[str, str]) -> None:
    """Exactly one selected sheet, and the active tab on it (several selected would group them)."""
    for view in t.book.root.iter(f"{{{MAIN_NS}}}workbookView"):
        view.attrib.pop("activeTab", None)
        view.attrib.pop("firstSheet", None)
    names = [e.get("name", "") for e in final]
    # A sheet body is only searched for its one attribute, not parsed (megabytes at 200 areas).
    selected = next((n for n in names if n in kept_parts and kept_parts[n] in t.pkg
                     and re.search(rb'tabSelected="(?:1|true)"', t.pkg.read(kept_parts[n]))), None)
    if selected is None and new_part:
        selected = next(n for n in names if n in new_part)
        part = new_part[selected]
        t.pkg.write(part, re.sub(rb"<sheetView\b", b'<sheetView tabSelected="1"', t.pkg.read(part), count=1))
    if selected is not None:
        t.book.set_attribute("workbookView", "activeTab", str(index_of[selected]))
