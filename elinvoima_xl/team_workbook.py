"""The team's macro workbook: build it from data, rebuild its generated sheets, save it without losing anything.

`build` renders the whole layout with xlsxwriter, adds the VBA project (xlwings' standalone
module, `macros/*.bas`) with pyopenvba and the ribbon from `macros/customUI14.xml`.
`rebuild` reads the team's data sheet, renders only the sheets the tool owns (marked with
the sheet-scoped name `ElinvoimaOma` and proven by the fingerprint of their cells, `ownership`)
and splices them into the package (`splice`), checks that everything it does not own came
through unchanged, and only then replaces the file: under the job's lock (`locking`), after
checking the file is still the one read, keeping three backup generations.
"""

from __future__ import annotations

__all__ = ["BACKUPS", "DEFAULT_WORKBOOK", "RebuildReport", "backup_paths", "build_workbook", "in_background",
           "libreoffice_lock_file", "ownership", "rebuild_workbook", "refuse_if_open", "refuse_modified",
           "run_job_on_file", "save_workbook"]

import io
import multiprocessing
import os
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .calc import Settings
from .checks import run_checks
from .errors import ElinvoimaError, InputError, Place
from .fileio import clean_stray_temps, write_atomic
from .jobs import JobReport
from .layout import (
    CHECKS_SHEET,
    CONF_SHEET,
    FILL,
    OWNED_NAME,
    SUMMARY_SHEET,
    Mark,
    SheetLayout,
    cell_ref,
    parse_ref,
    sheet_names,
    workbook_layout,
)
from .locking import check_unchanged, note_written, read_for_update, workbook_lock
from .model import Review
from .ownership import OwnedSheet
from .package import finish_package, inspect_package
from .vba import MACROS_DIR, RIBBON_FILE, conform_vba_project, project_modules, vba_project_grew_only

_T = TypeVar("_T")
DEFAULT_WORKBOOK = Path("Elinvoima.xlsm")   # relative to the current folder, as `elinvoima init` lays it out
VBA_PART = "xl/vbaProject.bin"

def _ribbon_xml(macros_dir: Path) -> bytes:
    path = macros_dir / RIBBON_FILE
    if not path.is_file():
        raise ElinvoimaError(f"nauhan määrittely puuttuu: {path}")
    return path.read_bytes()


def vba_project(names: list[str], macros_dir: Path = MACROS_DIR) -> tuple[bytes, str, dict[str, str]]:
    """The VBA project of a workbook with sheets `names`: (vbaProject.bin, workbook code name, code names).

    pyopenvba makes it as Excel does for a first macro (a document module per sheet, named
    as Excel names them) on a skeleton with the same sheets; then xlwings' modules and ours.
    """
    import pyopenvba
    import xlsxwriter

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.xlsm", Path(tmp) / "out.xlsm"
        skeleton = xlsxwriter.Workbook(str(src))
        for name in names:
            skeleton.add_worksheet(name)
        skeleton.close()
        with pyopenvba.ExcelFile(src) as book:
            project = book.add_vba_project()
            for name, source, is_class in project_modules(macros_dir):
                kind = pyopenvba.VBAModuleKind.other if is_class else pyopenvba.VBAModuleKind.standard
                project.add_module(name, source.replace("\r\n", "\n").replace("\n", "\r\n"), kind=kind)
            book.save(dst)
        from .splice import sheet_parts

        built = dst.read_bytes()
        parts = sheet_parts(built)
        with zipfile.ZipFile(io.BytesIO(built)) as z:
            book_code = re.search(rb'<workbookPr[^>]*codeName="([^"]+)"', z.read("xl/workbook.xml"))
            codes = {}
            for name, part in parts.items():
                m = re.search(rb'<sheetPr[^>]*codeName="([^"]+)"', z.read(part))
                if m:
                    codes[name] = m.group(1).decode()
            return (conform_vba_project(z.read(VBA_PART)), book_code.group(1).decode() if book_code else "ThisWorkbook",
                    codes)


def build_workbook(review: Review, settings: Settings = Settings(), macros_dir: Path = MACROS_DIR) -> bytes:
    """The team's workbook for `review` as .xlsm bytes: every sheet, macros and ribbon.

    The VBA project depends only on the sheet names, so where the platform can fork it is
    made in a second process while this one lays out and renders the sheets.
    """
    from .writers.xlsx import render_xlsx

    from .ownership import layout_fingerprints
    from .recipients import add_recipients_sheet, with_recipients_sheet

    names = with_recipients_sheet(sheet_names(review))
    with in_background(vba_project, names, macros_dir) as project:
        layout = add_recipients_sheet(workbook_layout(review, run_checks(review, settings), settings), review)
        data = render_xlsx(layout, project())
    return finish_package(data, _ribbon_xml(macros_dir), stamp=True, fingerprints=layout_fingerprints(layout.sheets))


@contextmanager
def in_background(fn: Callable[..., _T], *args: Any) -> Iterator[Callable[[], _T]]:
    """Run `fn(*args)` in a forked process when possible (else lazily here); yield a getter of its result.

    The process is forked at the call, so it sees this process's memory as it is then; only
    the arguments and the result travel between the two.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: fn(*args)
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        future = pool.submit(fn, *args)
        yield future.result


def _die_with_parent(parent: int) -> None:
    """In a worker: end when the process that started it ends, even by `kill -9` (nothing else would tell it).

    Linux delivers SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG); elsewhere a thread
    watches the parent's pid.
    """
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)        # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:                            # the parent died before the call above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="elinvoima-parent-watch").start()


# ---------------------------------------------------------------------------- saving

BACKUPS = 3          # generations kept: NAME.edellinen.xlsm (newest), NAME.edellinen-2.xlsm, NAME.edellinen-3.xlsm


def lock_file(path: Path) -> Path:
    """The owner file Excel keeps beside an open workbook: `~$Elinvoima.xlsm`."""
    return path.with_name("~$" + path.name)


def libreoffice_lock_file(path: Path) -> Path:
    """The lock file LibreOffice keeps beside an open document: `.~lock.Elinvoima.xlsm#`."""
    return path.with_name(f".~lock.{path.name}#")


def refuse_if_open(path: Path) -> None:
    """Refuse a file that is open in Excel or LibreOffice (their lock file is beside it) or that is
    read-only: call before any work."""
    path = Path(path)
    for lock, program in ((lock_file(path), "Excelissä"), (libreoffice_lock_file(path), "LibreOfficessa")):
        if lock.exists():
            raise ElinvoimaError(f"{path.name} on auki {program} (lukkotiedosto {lock.name}). "
                                 f"Sulje työkirja {program} ja yritä uudelleen.")
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    if not st.st_mode & 0o222 or not os.access(path, os.W_OK):
        raise ElinvoimaError(f"{path.name} on vain luku -tiedosto, joten sitä ei korvata. Mitään ei kirjoitettu. "
                             "Poista tiedostolta vain luku -määritys tai anna toinen kohde.")


def backup_paths(path: Path) -> list[Path]:
    """The backup generations of `path`, newest first."""
    path = Path(path)
    return [path.with_name(f"{path.stem}.edellinen{'' if k == 1 else f'-{k}'}{path.suffix}")
            for k in range(1, BACKUPS + 1)]


def _rotate_backups(path: Path, current: bytes) -> Path:
    """Keep `current` (the file as it is now) as the newest backup, shifting the older ones by one.

    Every step is a rename or an atomic write: a kill leaves each generation whole or absent.
    """
    gens = backup_paths(path)
    for older, newer in zip(reversed(gens[1:]), reversed(gens[:-1]), strict=True):
        if newer.exists():
            os.replace(newer, older)
    write_atomic(gens[0], current)
    return gens[0]


def save_workbook(path: Path, data: bytes, backup: bool = True) -> Path | None:
    """Replace `path` (a workbook or a data file) atomically with `data`, keeping the previous file
    as `<name>.edellinen<suffix>` (and two older generations).

    Refuses while the file is open in Excel or LibreOffice, or read-only; under the job's lock
    (`locking.workbook_lock`) also when the file changed since the job read it. Temporary files a
    killed earlier run left beside it are removed first. Returns the backup's path, if one was made.
    """
    path = Path(path)
    refuse_if_open(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stray_temps(path)
    for gen in backup_paths(path):
        clean_stray_temps(gen)
    check_unchanged(path)
    saved = None
    if backup and path.exists():
        saved = _rotate_backups(path, path.read_bytes())
    check_unchanged(path)
    write_atomic(path, data)
    note_written(path, data)
    return saved


# ---------------------------------------------------------------------------- rebuild

def ownership(data: bytes, parts: dict[str, str]) -> dict[str, OwnedSheet]:
    """The verdict on every sheet marked as the tool's (and xlwings.conf): owned, adopted, modified or legacy."""
    from .ownership import FINGERPRINT_NAME, local_names, owned_status, shared_strings

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        text = z.read("xl/workbook.xml").decode("utf-8")
        order = list(parts)
        marked = local_names(text)
        sst = next((n for n in ("xl/sharedStrings.xml", "xl/SharedStrings.xml") if n in z.NameToInfo), None)
        strings: list[str] | None = None
        out: dict[str, OwnedSheet] = {}
        for i, sheet in enumerate(order):
            names = marked.get(i, {})
            if OWNED_NAME not in names and sheet != CONF_SHEET:
                continue
            stored = names.get(FINGERPRINT_NAME)
            if stored is None:
                out[sheet] = OwnedSheet(sheet, "legacy")
                continue
            if strings is None:
                strings = shared_strings(z.read(sst)) if sst else []
            xml = z.read(parts[sheet]) if parts[sheet] in z.NameToInfo else b""
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
    empty = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    others = set(parts.values()) - keep
    emptied_rels = {posixpath.join(posixpath.dirname(p), "_rels", posixpath.basename(p) + ".rels") for p in others}
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
    from .splice import sheet_parts

    parts = sheet_parts(data)
    bounds: dict[str, tuple[int | None, int]] = {}
    for s in sheets:
        max_row = max((c.row for c in s.cells), default=0)
        max_col = max((c.col for c in s.cells), default=0)
        bounds[s.name] = (None if s.name in (SUMMARY_SHEET, CHECKS_SHEET, CONF_SHEET) else max_row, max_col)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        for sheet in replaced:
            part = parts.get(sheet, "")
            if part not in names:
                continue
            rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
            if rels in names:
                types = re.findall(rb'Type="[^"]*/(\w+)"', z.read(rels))
                extra = [_OWNED_EXTRAS[t.decode()] for t in types if t.decode() in _OWNED_EXTRAS]
                if extra:
                    raise ElinvoimaError(
                        f"{name}: välilehdellä '{sheet}' on {extra[0]}, mutta päivitys luo välilehden uudelleen. "
                        "Mitään ei kirjoitettu. Siirrä ne omalle välilehdelle ja yritä uudelleen.")
            if sheet in bounds and (cells_of is None or sheet in cells_of):
                row_limit, col_limit = bounds[sheet]
                extra_cells = []
                for m in _CELL_WITH_VALUE.finditer(z.read(part)):
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
    from .splice import restyle_cells

    targets = {cell_ref(m.row, m.col): FILL[m.severity] for m in marks}

    def edit(xml: bytes, book: Any) -> bytes:
        ours = {i for i, f in enumerate(book.fills)
                if any(re.search(rf'rgb="(?:FF)?{rgb}"', f, re.I) for rgb in FILL.values())}

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
    from .splice import sheet_parts

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


@dataclass(frozen=True)
class RebuildReport:
    replaced: tuple[str, ...]        # owned sheets written anew
    kept: tuple[str, ...]            # sheets carried over untouched (the team's)
    findings: int
    errors: int


def run_file_job(data: bytes, name: str, job: str, settings: Settings = Settings(),
                 on_progress: Callable[[str], None] | None = None) -> tuple[bytes, JobReport]:
    """Run a ribbon job on workbook bytes (the command line's way); returns the new bytes and the report."""
    from .backends.file import FileBackend
    from .jobs import run_job

    backend = FileBackend(data, name, on_progress)
    report = run_job(backend, job, settings)
    if backend.kept_as_teams:
        from dataclasses import replace

        report = replace(report, written=tuple(s for s in report.written if s not in backend.kept_as_teams))
    return backend.data, report


def rebuild_bytes(data: bytes, name: str, settings: Settings = Settings()) -> tuple[bytes, RebuildReport]:
    """Regenerate every owned sheet of the workbook `data` from its data sheet; everything else is kept.

    The ribbon's jobs, run through the file backend: the new sheets are rendered with
    xlsxwriter and spliced into the package (`splice`), so the VBA project, the ribbon and
    every team sheet stay byte for byte. Raises before producing anything when the data sheet
    cannot be read, when an owned sheet holds the team's own content, or when the result would
    differ anywhere it must not.
    """
    out, report = run_file_job(data, name, "rebuild", settings)
    return out, _rebuild_report(report, out)


def _rebuild_report(report: JobReport, out: bytes) -> RebuildReport:
    from .splice import sheet_parts

    kept = tuple(s for s in sheet_parts(out) if s not in set(report.written))
    return RebuildReport(report.written, kept, len(report.findings), report.errors)


def run_job_on_file(path: Path, job: str, settings: Settings = Settings(),
                    on_progress: Callable[[str], None] | None = None) -> tuple[JobReport, Path | None]:
    """Run a ribbon job on the workbook at `path` and save it in place (atomic, with a backup)."""
    path = Path(path)
    if not path.exists():
        raise InputError("tiedostoa ei löydy.", Place(file=str(path)), "Tarkista polku tai luo työkirja: elinvoima build.")
    refuse_if_open(path)
    with workbook_lock(path):
        out, report = run_file_job(read_for_update(path), path.name, job, settings, on_progress)
        return report, save_workbook(path, out)


def rebuild_workbook(path: Path, settings: Settings = Settings()) -> tuple[RebuildReport, Path | None]:
    """Rebuild the team's workbook at `path` in place (atomic, with a backup)."""
    report, backup = run_job_on_file(path, "rebuild", settings)
    return _rebuild_report(report, Path(path).read_bytes()), backup
