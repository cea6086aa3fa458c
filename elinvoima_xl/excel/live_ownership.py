"""The ownership fingerprints read and written in the workbook open in Excel: the live rebuild treats a tool sheet as the file backend does.

A sheet marked `ElinvoimaOma` carries its fingerprint in the sheet-scoped name
`ElinvoimaTarkiste` (`workbook.ownership`). Here the same verdict comes from what Excel shows:
every cell's formula, or its constant, read in two calls per sheet (`Range.formula` and
`Range.value` of the used range), canonicalised as the layout's own cells are. Renamed or copied
(`Kulttuuri (2)`): adopted, the team's. Same name, other cells: modified, and the rebuild refuses,
naming the cells. No fingerprint: legacy, as before. Imports nothing of xlwings.
"""

from __future__ import annotations

__all__ = ["adopted", "fingerprint_formula", "live_cells", "live_status", "marked_owned", "sheet_names_of"]

from html import unescape
from typing import Any

from ..workbook.layout import OWNED_NAME
from ..workbook.ownership import FINGERPRINT_NAME, Cells, OwnedSheet, fingerprint, layout_cells


def sheet_names_of(ws: Any) -> dict[str, Any]:
    """The sheet's own defined names by their bare name (xlwings gives "'Sheet'!Name"): read once, passed on."""
    return {n.name.split("!")[-1]: n for n in ws.names}


def marked_owned(local: dict[str, Any]) -> bool:
    """Whether a sheet with these names (`sheet_names_of`) carries the tool's mark `ElinvoimaOma`."""
    return OWNED_NAME in local


def live_cells(ws: Any) -> Cells:
    """Every cell with content, as the fingerprint reads it: a formula (Excel's `Range.formula` begins
    with "=" and differs from what the cell shows) or the constant the cell holds."""
    last = ws.used_range.last_cell
    rng = ws.range((1, 1), (last.row, last.column)).options(ndim=2)
    formulas, values = rng.formula, rng.value
    cells: list[tuple[int, int, object, str | None]] = []
    for r, (frow, vrow) in enumerate(zip(formulas, values)):
        for c, (f, v) in enumerate(zip(frow, vrow)):
            if isinstance(f, str) and f.startswith("=") and not (isinstance(v, str) and v == f):
                cells.append((r, c, None, f))
            else:
                cells.append((r, c, v, None))
    return layout_cells(cells)


def _stored(local: dict[str, Any]) -> list[str] | None:
    """The fields of the sheet's stored fingerprint (NAMEHASH, CELLSHASH[, RAWHASH]), None without one."""
    stored = local.get(FINGERPRINT_NAME)
    if stored is None:
        return None
    return unescape(str(stored.refers_to)).strip().lstrip("=").strip('"').split(":")


def _name_hash(sheet: str) -> str:
    return fingerprint(sheet, {}).split(":")[0]


def adopted(sheet: str, local: dict[str, Any]) -> bool:
    """Whether the sheet's fingerprint names another sheet: renamed or copied by the team, so the team's."""
    fields = _stored(local)
    return fields is not None and fields[0] != _name_hash(sheet)


def live_status(ws: Any, local: dict[str, Any]) -> OwnedSheet:
    """The verdict on a sheet marked as the tool's, from its stored fingerprint and the cells Excel shows now."""
    fields = _stored(local)
    if fields is None:
        return OwnedSheet(ws.name, "legacy")
    if fields[0] != _name_hash(ws.name):
        return OwnedSheet(ws.name, "adopted")
    cells = live_cells(ws)
    if ":".join(fields[:2]) == fingerprint(ws.name, cells):
        return OwnedSheet(ws.name, "owned")
    return OwnedSheet(ws.name, "modified", cells)


def fingerprint_formula(cells_fp: str) -> str:
    """The content of `ElinvoimaTarkiste` for a sheet just written from its layout: a text constant."""
    return f'="{cells_fp}"'
