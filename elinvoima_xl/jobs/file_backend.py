"""The jobs' workbook port over a workbook file: read in blocks, sheets rendered with xlsxwriter and spliced in.

Reads use fastexcel where cell positions are certain, else openpyxl. `replace` and `mark`
are collected and applied in `save` as one splice of the package (`splice.replace_sheets`),
so the VBA project, the ribbon and the team's sheets stay byte for byte; the result is
checked (`verify`) before anything is handed back.
"""

from __future__ import annotations

__all__ = ["FileBackend"]

import io
from collections.abc import Callable
from typing import Any

from ..core.errors import ElinvoimaError, InputError, Place
from ..workbook.layout import CONF_SHEET, DATA_SHEET, Mark, SheetLayout, WorkbookLayout
from ..workbook.package import inspect_package
from ..ooxml.safe_zip import check_package, reading
from ..workbook.vba import add_document_modules

Rows = list[tuple[object, ...]]
_INPUT_SHEETS = ("Tavoitteet", "Tunnusluvut", "Riskit", "Kohdistus", "Tuonnit")


class FileBackend:
    """A workbook held as bytes; `save` leaves the new bytes in `.data` (the caller writes the file)."""

    def __init__(self, data: bytes, name: str, on_progress: Callable[[str], None] | None = None) -> None:
        from ..ooxml.opc import PackageError, sheet_parts

        self.name = name
        self.original = data
        self.data = data
        check_package(data, name)   # limits and DTDs before anything inflates a part
        with reading(name):
            try:
                self._parts = sheet_parts(data)
            except (PackageError, KeyError):
                raise InputError(("tiedostoa ei voi avata Excel-työkirjana: se ei ole .xlsx- tai .xlsm-tiedosto, "
                                  "tai se on vioittunut."), Place(file=name),
                                 "Tallenna tiedosto Excelissä .xlsm-muodossa.") from None
            has_vba = inspect_package(data).has_vba
        if not has_vba:
            raise InputError("työkirjassa ei ole makroja (VBA-projektia).", Place(file=name),
                             "Anna tiimin .xlsm-työkirja tai luo uusi komennolla elinvoima build.")
        self._replace: tuple[list[SheetLayout], list[str], str | None] | None = None
        self._marks: dict[str, list[Mark]] = {}
        self._progress = on_progress
        self._cache: dict[str, Rows] = {}
        self._verdicts: tuple[bytes, dict[str, Any]] | None = None
        self.kept_as_teams: set[str] = set()     # owned sheets the team changed in a way that keeps them
        self.saved = False

    # -- reading ------------------------------------------------------------------------

    def sheet_names(self) -> list[str]:
        return list(self._parts)

    def ownership(self) -> dict[str, Any]:
        """The verdict on each sheet marked as the tool's (`package_guard.ownership`), for the current bytes."""
        from ..workbook.package_guard import ownership

        if self._verdicts is None or self._verdicts[0] is not self.data:
            with reading(self.name):
                self._verdicts = (self.data, ownership(self.data, self._parts))
        return self._verdicts[1]

    def owned_sheets(self) -> list[str]:
        """Sheets the tool may replace: marked as its own, and not renamed or copied by the team since."""
        return [s for s, v in self.ownership().items() if v.status != "adopted"]

    def read(self, sheet: str) -> Rows:
        from ..ooxml.sheet_rows import sheet_rows

        with reading(self.name):
            rows = sheet_rows(self.data, sheet, self._parts[sheet]) if sheet == DATA_SHEET else None
            if rows is None:
                rows = self._openpyxl_rows(sheet)
        return rows

    def _openpyxl_rows(self, sheet: str) -> Rows:
        """Values by openpyxl (calculated values; a formula never calculated is refused with its cell).

        The first call reads the jobs' small input sheets in one pass (goals, KPIs, risks, the
        mapping, the import log), from a copy of the package whose other sheets are emptied.
        """
        if sheet not in self._cache:
            wanted = [s for s in self._parts if s == sheet or s in _INPUT_SHEETS]
            self._cache.update(self._load_rows(wanted))
        return self._cache[sheet]

    def _load_rows(self, sheets: list[str]) -> dict[str, Rows]:
        import openpyxl

        from ..sources.datafile import has_formula, refuse_uncalculated
        from ..workbook.package_guard import only_sheets

        data = only_sheets(self.data, self._parts, sheets)
        passes: list[dict[str, Rows]] = []
        for data_only in (False, True):
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
            read: dict[str, Rows] = {}
            try:
                for s in sheets:
                    read[s] = [tuple(r) for r in wb[s].iter_rows(values_only=True)]
            except Exception as exc:  # a cell openpyxl cannot convert: one line naming it
                from ..sources.datafile import unreadable_workbook

                raise unreadable_workbook(exc, self.name, s, data) from None
            finally:
                wb.close()
            passes.append(read)
            if not any(has_formula(rows) for rows in passes[0].values()):
                return passes[0]
        formulas, values = passes
        for s in sheets:
            refuse_uncalculated(formulas[s], values[s], self.name, s)
        return values

    # -- writing ------------------------------------------------------------------------

    def replace(self, sheets: list[SheetLayout], remove: list[str], after: str | None) -> None:
        if self._replace is not None:
            raise RuntimeError("FileBackend.replace is called once per job")
        self._replace = (sheets, remove, after)

    def mark(self, sheet: str, marks: list[Mark]) -> None:
        self._marks[sheet] = marks

    def progress(self, text: str) -> None:
        if self._progress is not None and text:
            self._progress(text)

    def save(self) -> None:
        """Apply the collected changes in one splice, refuse what would lose the team's content, verify."""
        from ..ooxml.opc import PackageError
        from ..workbook.splice import replace_sheets
        from ..workbook.package_guard import mark_data_sheet, refuse_modified, refuse_staff_content, verify

        sheets, remove, after = self._replace or ([], [], None)
        verdicts = self.ownership()
        conf = verdicts.get(CONF_SHEET)
        if conf is not None and conf.status == "modified" and CONF_SHEET in remove:
            # The team set xlwings' options (Interpreter_Win…): their xlwings.conf stays as it is.
            remove = [s for s in remove if s != CONF_SHEET]
            sheets = [s for s in sheets if s.name != CONF_SHEET]
            self.kept_as_teams.add(CONF_SHEET)
        refuse_modified(self.name, [verdicts[r] for r in remove if r in verdicts], {s.name: s for s in sheets})
        order = list(self._parts)
        kept_order = [s for s in order if s not in remove]
        if after is not None and after in kept_order:
            insert_at = kept_order.index(after) + 1
        elif remove:
            first = min(order.index(s) for s in remove)
            insert_at = sum(1 for s in order[:first] if s not in remove)
        else:
            insert_at = len([s for s in kept_order if s != CONF_SHEET])
        # Only the tool's own sheets can hold something of the team's by mistake; a team sheet
        # that a job replaces (the import's Tiedot) is checked by that job.
        owned = set(self.owned_sheets())
        legacy = {s for s, v in verdicts.items() if v.status == "legacy"}
        refuse_staff_content(self.data, self.name, [r for r in remove if r in owned], sheets, cells_of=legacy)
        edits: dict[str, Any] = {name: mark_data_sheet(marks) for name, marks in self._marks.items()}
        rendered, fingerprints = _render_in_two(sheets) if sheets else (None, {})
        with reading(self.name):
            try:
                out = replace_sheets(self.data, rendered, remove, insert_at, append_last=(CONF_SHEET,),
                                     edit_kept=edits, fingerprints=fingerprints,
                                     disown=frozenset(s for s, v in verdicts.items() if v.status == "adopted"))
            except PackageError as exc:
                raise ElinvoimaError(f"{self.name}: työkirjan rakennetta ei voi päivittää turvallisesti ({exc}). "
                                     "Mitään ei kirjoitettu.") from None
            # New sheets (a new area, the import's Kohdistus and Tuonnit) get a code name and a document
            # module, as Excel gives them: the only change ever made to the VBA project.
            out, added = add_document_modules(out, only={s.name for s in sheets if s.name not in remove})
            verify(self.data, out, self.name, kept_order, edited=set(edits), vba_may_grow=bool(added))
        self.data = out
        self.saved = True


PARALLEL_FROM = 40                       # sheets; below this a second process costs more than it saves


def _render(sheets: list[SheetLayout]) -> tuple[bytes, dict[str, str]]:
    from ..workbook.ownership import layout_fingerprints
    from ..workbook.xlsx_writer import render_xlsx

    return render_xlsx(WorkbookLayout(sheets, [], {})), layout_fingerprints(sheets)


def _render_in_two(sheets: list[SheetLayout]) -> tuple[list[bytes], dict[str, str]]:
    """The sheets rendered with xlsxwriter, in two packages made by two processes when there are many,
    and the fingerprints of the owned ones' cells (each process those of its sheets)."""
    from .background import in_background_shared

    if len(sheets) < PARALLEL_FROM:
        data, prints = _render(sheets)
        return [data], prints
    cells = [len(s.cells) for s in sheets]
    half, running = 0, 0
    while half < len(sheets) and running + cells[half] <= sum(cells) / 2:
        running += cells[half]
        half += 1
    with in_background_shared(_render, sheets[half:]) as second:   # the forked process reads them unpickled
        first, prints = _render(sheets[:half])
        other, other_prints = second()
        return [first, other], {**prints, **other_prints}
