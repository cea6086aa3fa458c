"""The splice's cell formats and shared strings: another package's merged into the workbook's on lxml, and sheet bodies remapped.

`merge_styles` and `merge_strings` append to the workbook's `styles.xml` and `sharedStrings.xml`
what a rendered package has and they lack (identical entries are reused) and say where each
of its indices went; `remap_sheet` and `restyle_cells` rewrite the indices inside sheet bodies;
`StyleBook` gives cells of a kept sheet another fill.
"""

from __future__ import annotations

__all__ = ["StyleBook", "StyleMap", "merge_strings", "merge_styles", "remap_sheet", "restyle_cells"]

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..ooxml.opc import MAIN_NS

# The styleSheet's children in the schema's order: a block is created before the first later one.
_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles",
          "colors", "extLst")
_CHILD = {"numFmts": "numFmt", "fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf", "dxfs": "dxf"}
_FIRST_CUSTOM_FORMAT = 164


def _m(tag: str) -> str:
    return f"{{{MAIN_NS}}}{tag}"


def key(e: etree._Element) -> tuple[Any, ...]:
    """What makes two entries the same: tag, attributes in any order, text, children; indentation aside."""
    kids = [c for c in e if isinstance(c.tag, str)]
    text = e.text or ""
    if kids and not text.strip():
        text = ""
    return (e.tag, tuple(sorted(e.attrib.items())), text, tuple(key(c) for c in kids))


def _children(root: etree._Element, block: str) -> list[etree._Element]:
    b = root.find(_m(block))
    return [] if b is None else [c for c in b if c.tag == _m(_CHILD[block])]


def _block(root: etree._Element, block: str) -> etree._Element:
    """The `<block>` of a styleSheet, created in its place when missing."""
    b = root.find(_m(block))
    if b is not None:
        return b
    b = etree.Element(_m(block))
    later = {_m(t) for t in _ORDER[_ORDER.index(block) + 1:]}
    at = next((c for c in root if c.tag in later), None)
    if at is not None:
        at.addprevious(b)
    else:
        root.append(b)
    return b


def _append(root: etree._Element, block: str, entries: list[etree._Element]) -> None:
    """Append `entries` to `<block>` and set its count."""
    if not entries:
        return
    b = _block(root, block)
    b.extend(entries)
    b.set("count", str(sum(1 for c in b if c.tag == _m(_CHILD[block]))))


@dataclass
class StyleMap:
    xf: dict[int, int]        # the rendered package's cell format -> the workbook's
    dxf: dict[int, int]       # its differential formats (conditional formats) -> the workbook's


def merge_styles(old: etree._Element, new: etree._Element) -> tuple[StyleMap, bool]:
    """Append to the styleSheet `old` what `new` has and it lacks; where each of `new`'s indices went, and
    whether `old` changed."""
    changed = False
    codes: dict[str, int] = {}
    for f in _children(old, "numFmts"):
        codes.setdefault(f.get("formatCode", ""), int(f.get("numFmtId", "0")))
    next_id = max([_FIRST_CUSTOM_FORMAT - 1, *codes.values()]) + 1
    fmt_map: dict[int, int] = {}
    added: list[etree._Element] = []
    for f in _children(new, "numFmts"):
        code = f.get("formatCode", "")
        if code not in codes:
            codes[code] = next_id
            e = etree.Element(_m("numFmt"))
            e.set("numFmtId", str(next_id))
            e.set("formatCode", code)
            added.append(e)
            next_id += 1
        fmt_map[int(f.get("numFmtId", "0"))] = codes[code]
    _append(old, "numFmts", added)
    changed |= bool(added)
    maps: dict[str, dict[int, int]] = {}
    for block in ("fonts", "fills", "borders", "dxfs"):
        maps[block], grew = _merge_block(old, block, _children(new, block))
        changed |= grew

    def remapped(x: etree._Element) -> etree._Element:
        x = copy.deepcopy(x)
        for attr, mapping in (("numFmtId", fmt_map), ("fontId", maps["fonts"]), ("fillId", maps["fills"]),
                              ("borderId", maps["borders"])):
            if attr in x.attrib:
                n = int(x.get(attr, "0"))
                x.set(attr, str(mapping.get(n, n) if attr == "numFmtId" else mapping[n]))
        if "xfId" in x.attrib:
            x.set("xfId", "0")
        return x

    xf_map, grew = _merge_block(old, "cellXfs", [remapped(x) for x in _children(new, "cellXfs")])
    return StyleMap(xf_map, maps["dxfs"]), changed or grew


def _merge_block(old: etree._Element, block: str, entries: list[etree._Element]) -> tuple[dict[int, int], bool]:
    have = _children(old, block)
    index = {key(x): i for i, x in reversed(list(enumerate(have)))}
    mapping: dict[int, int] = {}
    added: list[etree._Element] = []
    for i, x in enumerate(entries):
        k = key(x)
        if k not in index:
            index[k] = len(have) + len(added)
            added.append(copy.deepcopy(x))
        mapping[i] = index[k]
    _append(old, block, added)
    return mapping, bool(added)


def merge_strings(old: etree._Element | None, new: etree._Element | None) -> tuple[etree._Element | None, dict[int, int], bool]:
    """`old`'s shared strings (a new part when None) with `new`'s appended where not already there; where each
    of `new`'s indices went, and whether anything was added."""
    if new is None:
        return old, {}, False
    base = old if old is not None else etree.Element(_m("sst"), nsmap={None: MAIN_NS})
    items = [c for c in base if c.tag == _m("si")]
    index = {key(x): i for i, x in reversed(list(enumerate(items)))}
    mapping: dict[int, int] = {}
    added: list[etree._Element] = []
    for i, x in enumerate(c for c in new if c.tag == _m("si")):
        k = key(x)
        if k not in index:
            index[k] = len(items) + len(added)
            added.append(copy.deepcopy(x))
        mapping[i] = index[k]
    if added or old is None:
        base.extend(added)
        base.attrib.pop("count", None)       # the number of references: no longer known, and optional
        base.set("uniqueCount", str(len(items) + len(added)))
    return base, mapping, bool(added) or old is None


# ---------------------------------------------------------------------------- sheet bodies
# Sheet bodies are the bulk of a package (megabytes at 200 areas); their style and string indices are
# rewritten on the bytes, as a parse and write of every cell costs several times the whole splice.

_CELL = re.compile(rb"<c\b([^>]*?)(/>|>)")
_CELL_S = re.compile(rb'(<c\b[^>]*?\bs=")(\d+)"')
_SHARED = re.compile(rb'(<c\b[^>]*?\bt="s"[^>]*><v>)(\d+)(</v>)')
_ROW_S = re.compile(rb'(<row\b[^>]*?\bs=")(\d+)"')
_COL_S = re.compile(rb'(<col\b[^>]*?\bstyle=")(\d+)"')
_DXF = re.compile(rb'\bdxfId="(\d+)"')


def remap_sheet(xml: bytes, styles: StyleMap, strings: dict[int, int]) -> bytes:
    """A rendered sheet body with its cell formats, differential formats and shared strings renumbered."""
    xf = styles.xf
    xml = _CELL_S.sub(lambda m: m.group(1) + b'%d"' % xf[int(m.group(2))], xml)
    xml = _SHARED.sub(lambda m: m.group(1) + b"%d" % strings[int(m.group(2))] + m.group(3), xml)
    xml = _ROW_S.sub(lambda m: m.group(1) + b'%d"' % xf[int(m.group(2))], xml)
    xml = _COL_S.sub(lambda m: m.group(1) + b'%d"' % xf[int(m.group(2))], xml)
    return _DXF.sub(lambda m: b'dxfId="%d"' % styles.dxf[int(m.group(1))], xml)


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
    """The workbook's fills and cell formats (a parsed styleSheet), for edits that give cells another fill."""

    def __init__(self, styles: etree._Element) -> None:
        self.root = styles
        self.fills = _children(styles, "fills")
        self.xfs = _children(styles, "cellXfs")
        self.changed = False
        self._xf_index = {key(x): i for i, x in reversed(list(enumerate(self.xfs)))}

    def fill_of(self, xf: int) -> int:
        """The fill of cell format `xf` (0, no fill, for an index the workbook does not have)."""
        return int(self.xfs[xf].get("fillId", "0")) if 0 <= xf < len(self.xfs) else 0

    def fill_colour(self, fill: int) -> str | None:
        """The colour (RRGGBB, upper case) of a solid fill; None for any other fill."""
        p = self.fills[fill].find(_m("patternFill")) if 0 <= fill < len(self.fills) else None
        colour = p.find(_m("fgColor")) if p is not None and p.get("patternType") == "solid" else None
        rgb = colour.get("rgb") if colour is not None else None
        if rgb and (len(rgb) == 6 or (len(rgb) == 8 and rgb[:2].upper() == "FF")):
            return rgb[-6:].upper()
        return None

    def solid_fill(self, rgb: str) -> int:
        """Index of a solid fill of colour `rgb` (RRGGBB), added if the workbook has none."""
        for i in range(len(self.fills)):
            if self.fill_colour(i) == rgb.upper():
                return i
        fill = etree.Element(_m("fill"))
        pattern = etree.SubElement(fill, _m("patternFill"), patternType="solid")
        etree.SubElement(pattern, _m("fgColor"), rgb="FF" + rgb.upper())
        etree.SubElement(pattern, _m("bgColor"), indexed="64")
        _append(self.root, "fills", [fill])
        self.fills.append(fill)
        self.changed = True
        return len(self.fills) - 1

    def with_fill(self, xf: int, fill: int) -> int:
        """The cell format `xf` with fill `fill` (an existing identical format is reused)."""
        if 0 <= xf < len(self.xfs):
            new = copy.deepcopy(self.xfs[xf])
        else:
            new = etree.Element(_m("xf"), numFmtId="0", fontId="0", fillId="0", borderId="0", xfId="0")
        new.set("fillId", str(fill))
        new.attrib.pop("applyFill", None)
        if fill:
            new.set("applyFill", "1")
        k = key(new)
        if k not in self._xf_index:
            self._xf_index[k] = len(self.xfs)
            _append(self.root, "cellXfs", [new])
            self.xfs.append(new)
            self.changed = True
        return self._xf_index[k]
