"""Owned means proven owned: a fingerprint of each sheet the tool writes (its name and every cell's formula
or constant), kept in the hidden sheet-scoped name `ElinvoimaTarkiste`, and the verdict on each sheet at rebuild.

A sheet marked `ElinvoimaOma` is the tool's only when its fingerprint still matches:
- the same name and the same cells: **owned**, the rebuild may replace it;
- another name than the one fingerprinted (the team renamed it, or Excel copied it with its
  names, `Kulttuuri (2)`): **adopted**, it is the team's from now on and kept as it is;
- the same name, other cells (a note typed in the table, a number over a formula): **modified**,
  the rebuild refuses and names the cells (`xlwings.conf`, whose settings the team may edit, is
  kept instead);
- no fingerprint (a workbook from before fingerprints, or sheets written in Excel by the ribbon):
  **legacy**, owned as before, refused only for content outside the tool's area.

Cached values of formulas are not part of the fingerprint (Excel recalculates them), nor are
formats; shared strings, inline strings and shared formulas read the same however the file was
saved. Pure: works on the parts' bytes.
"""

from __future__ import annotations

__all__ = ["FINGERPRINT_NAME", "OWNED_NAME", "OwnedSheet", "canonical_cells", "fingerprint", "fingerprint_value",
           "owned_status", "shared_strings", "suspicious_cells"]

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape
from typing import Literal

from .layout import OWNED_NAME

FINGERPRINT_NAME = "ElinvoimaTarkiste"
Status = Literal["owned", "adopted", "modified", "legacy"]

_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.DOTALL)
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_F = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.DOTALL)
_V = re.compile(rb"<v>(.*?)</v>", re.DOTALL)
_IS = re.compile(rb"<is>(.*?)</is>", re.DOTALL)
_T = re.compile(r"<t\b[^>]*>(.*?)</t>|<t\b[^>]*/>", re.DOTALL)
_RPH = re.compile(r"<rPh\b.*?</rPh>", re.DOTALL)
_SI = re.compile(r"<si>(.*?)</si>|<si/>", re.DOTALL)
_PREFIX = re.compile(r"_xl(?:fn|ws)\.")

Cells = dict[str, tuple[str, str]]      # ref -> ("f", formula) or ("v", constant)


def _text_of(xml: str) -> str:
    return unescape("".join(m.group(1) or "" for m in _T.finditer(_RPH.sub("", xml))))


def shared_strings(sst_xml: str | bytes | None) -> list[str]:
    """The texts of a shared-strings part, in order (rich text runs joined, phonetic runs left out)."""
    if not sst_xml:
        return []
    text = sst_xml.decode("utf-8") if isinstance(sst_xml, bytes) else sst_xml
    return [_text_of(m.group(1) or "") for m in _SI.finditer(text)]




def _formula(text: str) -> str:
    """A formula as Excel may write it back: future-function prefixes and the quotes around sheet names
    (Excel drops those it does not need) do not count; apostrophes are left out everywhere for it."""
    if "&" in text:
        text = unescape(text)
    if "_xl" in text:
        text = _PREFIX.sub("", text)
    return text.strip().lstrip("=").replace("'", "")


def _plain(xml: bytes) -> bytes:
    """The sheet's XML with what `_formula` ignores taken out in a few passes over the whole text:
    the common entities resolved, future-function prefixes and apostrophes dropped."""
    for entity, char in ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b""), (b"'", b""),
                         (b"_xlfn.", b""), (b"_xlws.", b""), (b"&amp;", b"&")):
        if entity in xml:
            xml = xml.replace(entity, char)
    return xml


def _formula_cell(formula: str) -> tuple[str, str]:
    """A formula cell; `TRUE()`/`FALSE()` read as the constant (LibreOffice writes booleans so)."""
    if formula in ("TRUE()", "FALSE()"):
        return ("v", formula[:-2])
    return ("f", formula)


def _number(text: str) -> str:
    try:
        return repr(float(text))
    except ValueError:
        return text


def canonical_cells(xml: bytes, strings: list[str]) -> Cells | None:
    """Every cell with content: its formula, or its constant as text; None when a cell cannot be read
    (no reference, a missing shared string), which no fingerprint then matches.

    The cells as every writer we know puts them (`<c r="A1" …>` with `<f>`/`<v>` inside) are read by
    slicing; anything else (shared formulas, inline strings, `r` not first) by the general reading."""
    if b"<c " in xml.split(b'<c r="', 1)[0] or b't="shared"' in xml or b"inlineStr" in xml or b"<c>" in xml \
            or b"&#" in xml:
        return _canonical_cells_general(xml, strings)
    cells: Cells = {}
    for chunk in _plain(xml).split(b'<c r="')[1:]:
        q = chunk.find(b'"')
        gt = chunk.find(b">", q)
        if q < 0 or gt < 0:
            return None
        if chunk[gt - 1] == 47:          # "/>": an empty cell
            continue
        end = chunk.find(b"</c>", gt)
        if end < 0:
            return None
        if end == gt + 1:
            continue
        ref = chunk[:q].decode("ascii", "replace")
        if chunk.startswith(b"<f", gt + 1):
            f_end = chunk.find(b"</f>", gt, end)
            if f_end < 0:
                cells[ref] = ("f", "")
                continue
            cells[ref] = _formula_cell(chunk[chunk.find(b">", gt + 1) + 1:f_end].decode("utf-8", "replace").strip()
                                       .lstrip("="))
            continue
        inner = chunk[gt + 1:end]
        if inner.startswith(b"<v>") and inner.endswith(b"</v>"):
            raw = inner[3:-4]
        else:
            v = _V.search(inner)
            if v is None:
                continue
            raw = v.group(1)
        attrs = chunk[q + 1:gt]
        t = attrs.find(b't="')
        kind = attrs[t + 3:attrs.find(b'"', t + 3)] if t >= 0 else b"n"
        if kind == b"s":
            try:
                value = strings[int(raw)]
            except (ValueError, IndexError):
                return None
        elif kind == b"n":
            try:
                value = repr(float(raw))
            except ValueError:
                value = raw.decode("utf-8", "replace")
        else:
            value = raw.decode("utf-8", "replace")
            if kind == b"b":
                value = "TRUE" if value.strip() in ("1", "true") else "FALSE"
        if value != "":
            cells[ref] = ("v", value)
    return cells


def _canonical_cells_general(xml: bytes, strings: list[str]) -> Cells | None:
    """Every cell with content: its formula, or its constant as text; None when a cell cannot be read
    (no reference, a missing shared string), which no fingerprint then matches."""
    cells: Cells = {}
    shared: dict[bytes, tuple[str, str]] = {}     # si -> (master ref, master formula)
    for m in _CELL.finditer(xml):
        attrs = dict(_ATTR.findall(m.group(1)))
        inner = m.group(2) or b""
        ref_b = attrs.get(b"r")
        if ref_b is None:
            if inner.strip():
                return None
            continue
        ref = ref_b.decode()
        f = _F.search(inner)
        if f is not None:
            fattrs = dict(_ATTR.findall(f.group(1)))
            text = unescape((f.group(2) or b"").decode("utf-8", "replace"))
            if fattrs.get(b"t") == b"shared" and b"si" in fattrs:
                si = fattrs[b"si"]
                if text:
                    shared[si] = (ref, text)
                elif si in shared:
                    text = _translate(shared[si][1], shared[si][0], ref)
                else:
                    return None
            cells[ref] = _formula_cell(_formula(text))
            continue
        kind = attrs.get(b"t", b"n")
        if kind == b"inlineStr":
            i = _IS.search(inner)
            value = _text_of(i.group(1).decode("utf-8", "replace")) if i else ""
        else:
            v = _V.search(inner)
            if v is None:
                continue
            raw = unescape(v.group(1).decode("utf-8", "replace"))
            if kind == b"s":
                try:
                    value = strings[int(raw)]
                except (ValueError, IndexError):
                    return None
            elif kind in (b"n", b"d"):
                value = _number(raw)
            elif kind == b"b":
                value = "TRUE" if raw.strip() in ("1", "true") else "FALSE"
            else:
                value = raw.replace("'", "")
        if value != "":
            cells[ref] = ("v", value)
    return cells


def _translate(formula: str, origin: str, dest: str) -> str:
    from openpyxl.formula.translate import Translator

    try:
        return Translator("=" + formula, origin=origin).translate_formula(dest)[1:]
    except Exception:   # noqa: BLE001 - an untranslatable shared formula: the fingerprint will not match
        return "\0" + formula


def fingerprint(sheet: str, cells: Cells) -> str:
    """`NAMEHASH:CELLSHASH` (12 and 40 hex digits): the sheet's name, and its name with every cell."""
    name_hash = hashlib.sha256(sheet.encode("utf-8")).hexdigest()[:12]
    text = "\n".join([f"{ref}\t{kind}\t{value}" for ref, (kind, value) in sorted(cells.items())])
    h = hashlib.sha256(sheet.encode("utf-8") + b"\0" + text.encode("utf-8", "surrogatepass"))
    return f"{name_hash}:{h.hexdigest()[:40]}"


def _raw_hash(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()[:16]


def fingerprint_value(sheet: str, xml: bytes, strings: list[str], cells_fp: str | None = None) -> str:
    """The defined name's content for a sheet as just written (a string constant in a formula):
    `NAMEHASH:CELLSHASH:RAWHASH`, the last the part's bytes as written (a quick proof while nobody
    has saved the file since). `cells_fp` is the first two when already known from the layout
    (`layout_fingerprint`, the same cells: a test keeps the two readings equal)."""
    if cells_fp is None:
        cells_fp = fingerprint(sheet, canonical_cells(xml, strings) or {})
    return '"' + cells_fp + ":" + _raw_hash(xml) + '"'


@dataclass(frozen=True)
class OwnedSheet:
    name: str
    status: Status
    cells: Cells | None = None         # read when modified (to name the cells)


def owned_status(sheet: str, stored: str | None, xml: bytes, strings: list[str]) -> OwnedSheet:
    """The verdict on a sheet marked as the tool's, from its stored fingerprint and its cells now."""
    if stored is None:
        return OwnedSheet(sheet, "legacy")
    fields = unescape(stored).strip().lstrip("=").strip('"').split(":")
    name_hash = hashlib.sha256(sheet.encode("utf-8")).hexdigest()[:12]
    if fields[0] != name_hash:
        return OwnedSheet(sheet, "adopted")
    if len(fields) > 2 and fields[2] == _raw_hash(xml):
        return OwnedSheet(sheet, "owned")             # the very bytes the tool wrote
    cells = canonical_cells(xml, strings)
    if cells is not None and len(fields) > 1 and fingerprint(sheet, cells) == ":".join(fields[:2]):
        return OwnedSheet(sheet, "owned")
    return OwnedSheet(sheet, "modified", cells)


_TIEDOT_REF = re.compile(r"(?:[^\s!(),;:=+\-*/&^<>']+)!\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?")


def _shape(formula: str) -> str:
    """A formula with its references to other sheets blurred: they move when the team adds rows to Tiedot."""
    return _TIEDOT_REF.sub(lambda m: m.group(0).split("!", 1)[0] + "!#", formula)


def suspicious_cells(now: Cells | None, new: Cells | None) -> list[str]:
    """The cells of a modified sheet that the team most likely typed: content where the tool writes
    none, a constant over a formula, another text, another formula (references to other sheets aside).
    Without a new layout to compare with (an area no longer in Tiedot), every cell with a constant."""
    now = now or {}
    if new is None:
        return _sorted_refs([r for r, (k, _) in now.items() if k == "v"])
    out = []
    for ref, (kind, text) in now.items():
        want = new.get(ref)
        if want is None:
            out.append(ref)
        elif kind != want[0]:
            out.append(ref)
        elif kind == "v" and text != want[1]:
            try:
                if float(text) == float(want[1]):
                    continue
            except ValueError:
                pass
            out.append(ref)
        elif kind == "f" and _shape(text) != _shape(want[1]):
            out.append(ref)
    return _sorted_refs(out)


def _sorted_refs(refs: list[str]) -> list[str]:
    def key(ref: str) -> tuple[int, int]:
        m = re.match(r"([A-Z]+)(\d+)", ref)
        if m is None:
            return (0, 0)
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        return (int(m.group(2)), col)

    return sorted(refs, key=key)


def layout_cells(cells: list[tuple[int, int, object, str | None]]) -> Cells:
    """Canonical cells of a layout about to be written: (row, col, value, formula), 0-based."""
    from ..ooxml.cells import cell_ref

    out: Cells = {}
    for row, col, value, formula in cells:
        ref = cell_ref(row, col)
        if formula:
            out[ref] = _formula_cell(_formula(formula))
        elif isinstance(value, bool):
            out[ref] = ("v", "TRUE" if value else "FALSE")
        elif isinstance(value, (int, float)):
            out[ref] = ("v", repr(float(value)))
        elif value is not None and value != "":
            out[ref] = ("v", str(value))
    return out


def layout_fingerprints(sheets: Sequence[object]) -> dict[str, str]:
    """`NAMEHASH:CELLSHASH` of each owned sheet of a layout (`SheetLayout`s), as its rendered XML will read."""
    out = {}
    for sheet in sheets:
        if getattr(sheet, "owned", False):
            cells = [(c.row, c.col, c.value, c.formula) for c in sheet.cells]  # type: ignore[attr-defined]
            out[sheet.name] = fingerprint(sheet.name, layout_cells(cells))  # type: ignore[attr-defined]
    return out
