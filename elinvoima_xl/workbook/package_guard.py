"""The guards of a package the tool rewrites: which sheets it owns, what it must refuse to overwrite, what must come through unchanged.

Used by the file backend (`backends/file.py`) while it splices a job's sheets into the
team's package, and by `team_workbook`; imports neither, so dependencies point one way.
"""

from __future__ import annotations

__all__ = ["VBA_PART", "mark_data_sheet", "only_sheets", "ownership", "refuse_modified", "refuse_staff_content",
           "verify"]

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

from ..core.errors import ElinvoimaError
from ..ooxml.opc import DECLARATION, MAIN_NS, rels_name
from .layout import CHECKS_SHEET, CONF_SHEET, FILL, OWNED_NAME, SUMMARY_SHEET, Mark, SheetLayout, cell_ref, parse_ref
from .ownership import OwnedSheet
from .package import inspect_package
from .vba import vba_project_grew_only

VBA_PART = "xl/vbaProject.bin"


def ownership(data: bytes, parts: dict[str, str]) -> dict[str, OwnedSheet]:
    """The verdict on every sheet marked as the tool's (and xlwings.conf): owned, adopted, modified or legacy."""
    from ..ooxml.opc import SST_REL, Package, Workbook
    from .ownership import FINGERPRINT_NAME, owned_status, shared_strings

    pkg = Package(data)
    book = Workbook(pkg)
    marked = book.local_names()
    sst = book.related(SST_REL)
    strings: list[str] | None = None
    out: dict[str, OwnedSheet] = {}
    for i, sheet in enumerate(parts):
        names = marked.get(i, {})
        if OWNED_NAME not in names and sheet != CONF_SHEET:
            continue
        stored = names.get(FINGERPRINT_NAME)
        if stored is None:
            out[sheet] = OwnedSheet(sheet, "legacy")
            continue
        if strings is None:
            strings = shared_strings(pkg.read(sst)) if sst and sst in pkg else []
        xml = pkg.read(parts[sheet]) if parts[sheet] in pkg else b""
        out[sheet] = owned_status(sheet, stored, xml, strings)
    return out


def refuse_modified(name: str, verdicts: list[OwnedSheet], layouts: dict[str, SheetLayout]) -> None:
    """Refuse, naming sheet and cells, when a sheet the tool would replace is no longer what it wrote."""
    from .ownership import layout_cells, suspicious_cells

    for v in verdicts:
        if v.status != "modified":
            continue
        new = layouts.get(v.name)
        cells = suspicious_cells(v.cells, None if new is None else
                                 layout_cells([(c.row, c.col, c.value, c.formula) for c in new.cells]))
        where = (f"solut {', '.join(cells[:8])}{'…' if len(cells) > 8 else ''}" if cells
                 else "muotoilun ulkopuolella, esim. kaava tai teksti muutettu")
        raise ElinvoimaError(
            f"{name}: välilehdellä '{v.name}' on muutoksia, joita työkalu ei tehnyt ({where}); päivitys "
            "kirjoittaisi niiden yli. Mitään ei kirjoitettu. Siirrä omat merkinnät omalle välilehdelle "
            "(kopio tai uudelleen nimetty välilehti jää tiimin omaksi) ja yritä uudelleen.")


def only_sheets(data: bytes, parts: dict[str, str], sheets: list[str]) -> bytes:
    """The package with every other worksheet emptied: openpyxl then opens it without reading 200 sheets."""
    keep = {parts[s] for s in sheets}
    empty = DECLARATION + f'<worksheet xmlns="{MAIN_NS}"><sheetData/></worksheet>'.encode()
    others = set(parts.values()) - keep
    emptied_rels = {rels_name(p) for p in others}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            if item.filename in emptied_rels:
                continue   # the emptied sheets' drawings and the like are not needed to read values
            dst.writestr(item.filename, empty if item.filename in others else src.read(item.filename))
    return out.getvalue()


_CELL_WITH_VALUE = re.compile(rb'<c\b[^>]*?\br="([A-Z]+\d+)"[^>/]*>')   # not self-closing: it has content
_OWNED_EXTRAS = {"comments": "kommentteja", "vmlDrawing": "kommentteja tai ohjausobjekteja", "table": "taulukoita",
                 "image": "kuvia", "pivotTable": "pivot-taulukoita", "ctrlProp": "lomakeohjausobjekteja"}


def refuse_staff_content(data: bytes, name: str, replaced: list[str], sheets: list[SheetLayout],
                         cells_of: set[str] | None = None) -> None:
    """Refuse when a sheet the tool regenerates holds something the team put there (it would be lost).

    A regenerated sheet may hold its layout's columns, and its rows where their number is fixed
    (area sheets); the summary and the checks grow and shrink with the data. Comments, images,
    tables and controls are never the tool's. `cells_of` limits the look at cells to those sheets
    (the others' cells are proven by their fingerprint).
    """
    from ..ooxml.opc import Package, read_rels, sheet_parts

    parts = sheet_parts(data)
    pkg = Package(data)
    bounds: dict[str, tuple[int | None, int]] = {}
    for s in sheets:
        max_row = max((c.row for c in s.cells), default=0)
        max_col = max((c.col for c in s.cells), default=0)
        bounds[s.name] = (None if s.name in (SUMMARY_SHEET, CHECKS_SHEET, CONF_SHEET) else max_row, max_col)
    for sheet in replaced:
        part = parts.get(sheet, "")
        if part not in pkg:
            continue
        types = [r.type.rsplit("/", 1)[-1] for r in read_rels(pkg, part)]
        extra = [_OWNED_EXTRAS[t] for t in types if t in _OWNED_EXTRAS]
        if extra:
            raise ElinvoimaError(
                f"{name}: välilehdellä '{sheet}' on {extra[0]}, mutta päivitys luo välilehden uudelleen. "
                "Mitään ei kirjoitettu. Siirrä ne omalle välilehdelle ja yritä uudelleen.")
        if sheet in bounds and (cells_of is None or sheet in cells_of):
            row_limit, col_limit = bounds[sheet]
            extra_cells = []
            for m in _CELL_WITH_VALUE.finditer(pkg.read(part)):   # a sheet body: searched, not parsed
                ref = m.group(1).decode()
                row, col = parse_ref(ref)
                if col > col_limit or (row_limit is not None and row > row_limit):
                    extra_cells.append(ref)
            if extra_cells:
                raise ElinvoimaError(
                    f"{name}: välilehdellä '{sheet}' on tietoja soluissa, joita päivitys ei tee "
                    f"({', '.join(extra_cells[:5])}{'…' if len(extra_cells) > 5 else ''}). Mitään ei kirjoitettu. "
                    "Siirrä ne omalle välilehdelle tai Tiedot-välilehdelle ja yritä uudelleen.")


def mark_data_sheet(marks: list[Mark]) -> Callable[[bytes, Any], bytes]:
    """An edit of the data sheet: our fills off every cell, then on the cells the findings point to."""
    from .splice_styles import restyle_cells

    targets = {cell_ref(m.row, m.col): FILL[m.severity] for m in marks}

    def edit(xml: bytes, book: Any) -> bytes:
        ours = {i for i in range(len(book.fills)) if book.fill_colour(i) in {rgb.upper() for rgb in FILL.values()}}

        def restyle(ref: str, s: int) -> int | None:
            current = book.fill_of(s)
            want = book.solid_fill(targets[ref]) if ref in targets else (0 if current in ours else current)
            return None if want == current else book.with_fill(s, want)

        our_xfs = {i for i in range(len(book.xfs)) if book.fill_of(i) in ours}
        return restyle_cells(xml, restyle, refs=set(targets), styles=our_xfs)

    return edit


_S_ATTR = re.compile(rb'\s+s="\d+"')


def verify(before: bytes, out: bytes, name: str, kept: list[str], edited: set[str] = frozenset(),  # type: ignore[assignment]
           vba_may_grow: bool = False) -> None:
    """Refuse the result unless the VBA project, the ribbon and every kept sheet came through unchanged.

    Kept sheets must be byte-identical; sheets in `edited` may differ only in their cells' formats.
    With `vba_may_grow` the VBA project may have gained document modules for new sheets, every
    module it had keeping its source (`vba.vba_project_grew_only`); otherwise it is byte-identical.
    """
    from ..ooxml.opc import sheet_parts

    def fail(what: str) -> None:
        raise ElinvoimaError(f"{name}: {what} muuttuisi tallennuksessa; mitään ei kirjoitettu.")

    a, b = inspect_package(before), inspect_package(out)
    if b.main_content_type != a.main_content_type:
        fail("työkirjan tyyppi (makrot)")
    if set(a.ribbon_targets) - set(b.ribbon_targets):
        fail("Elinvoima-nauha")
    pa, pb = sheet_parts(before), sheet_parts(out)
    with zipfile.ZipFile(io.BytesIO(before)) as za, zipfile.ZipFile(io.BytesIO(out)) as zb:
        if a.has_vba and za.read(VBA_PART) != zb.read(VBA_PART) and not (
                vba_may_grow and vba_project_grew_only(za.read(VBA_PART), zb.read(VBA_PART))):
            fail("VBA-projekti")
        for target in a.ribbon_targets:
            if za.read(target) != zb.read(target):
                fail("Elinvoima-nauha")
        for sheet in kept:
            if sheet not in pb:
                fail(f"välilehti '{sheet}'")
            old, new = za.read(pa[sheet]), zb.read(pb[sheet])
            if sheet in edited:
                old, new = _S_ATTR.sub(b"", old), _S_ATTR.sub(b"", new)
            if old != new:
                fail(f"välilehti '{sheet}'")
