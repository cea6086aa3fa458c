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

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .background import in_background
from ..core.calc import Settings
from ..core.checks import run_checks
from ..core.errors import ElinvoimaError, InputError, Place
from ..ooxml.fileio import clean_stray_temps, write_atomic
from .workbook_jobs import JobReport
from ..workbook.layout import sheet_names, workbook_layout
from ..ooxml.locking import check_unchanged, note_written, read_for_update, workbook_lock
from ..core.model import Review
from ..workbook.package import finish_package
from ..workbook.package_guard import VBA_PART, ownership, refuse_modified
from ..workbook.vba import MACROS_DIR, RIBBON_FILE, conform_vba_project, project_modules

DEFAULT_WORKBOOK = Path("Elinvoima.xlsm")   # relative to the current folder, as `elinvoima init` lays it out

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
        from ..ooxml.opc import Package, Workbook, sheet_code_name

        pkg = Package(dst.read_bytes())
        book = Workbook(pkg)
        codes = {s.name: code for s in book.sheets if (code := sheet_code_name(pkg.read(s.part))) is not None}
        return conform_vba_project(pkg.read(VBA_PART)), book.code_name or "ThisWorkbook", codes


def build_workbook(review: Review, settings: Settings = Settings(), macros_dir: Path = MACROS_DIR) -> bytes:
    """The team's workbook for `review` as .xlsm bytes: every sheet, macros and ribbon.

    The VBA project depends only on the sheet names, so where the platform can fork it is
    made in a second process while this one lays out and renders the sheets.
    """
    from ..workbook.xlsx_writer import render_xlsx

    from ..workbook.ownership import layout_fingerprints
    from .recipients import add_recipients_sheet, with_recipients_sheet

    names = with_recipients_sheet(sheet_names(review))
    with in_background(vba_project, names, macros_dir) as project:
        layout = add_recipients_sheet(workbook_layout(review, run_checks(review, settings), settings), review)
        data = render_xlsx(layout, project())
    return finish_package(data, _ribbon_xml(macros_dir), stamp=True, fingerprints=layout_fingerprints(layout.sheets))


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

@dataclass(frozen=True)
class RebuildReport:
    replaced: tuple[str, ...]        # owned sheets written anew
    kept: tuple[str, ...]            # sheets carried over untouched (the team's)
    findings: int
    errors: int


def run_file_job(data: bytes, name: str, job: str, settings: Settings = Settings(),
                 on_progress: Callable[[str], None] | None = None) -> tuple[bytes, JobReport]:
    """Run a ribbon job on workbook bytes (the command line's way); returns the new bytes and the report."""
    from .file_backend import FileBackend
    from .workbook_jobs import run_job

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
    from ..ooxml.opc import sheet_parts

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
