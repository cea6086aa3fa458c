"""The team's macro workbook: build it from data, rebuild its generated sheets, save it without losing anything.

`build` renders the whole layout with xlsxwriter, adds the VBA project (xlwings' standalone
module, `macros/*.bas`) with pyopenvba and the ribbon from `macros/customUI14.xml`.
`rebuild` reads the team's data sheet, renders only the sheets the tool owns (marked with
the sheet-scoped name `ElinvoimaOma`) and splices them into the package (`splice`), checks
that everything it does not own came through unchanged, and only then replaces the file.
"""

from __future__ import annotations

__all__ = ["DEFAULT_WORKBOOK", "RebuildReport", "build_workbook", "rebuild_workbook", "save_workbook"]

import io
import multiprocessing
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any, TypeVar

from .calc import Settings
from .checks import run_checks
from .errors import ElinvoimaError, InputError, Place
from .fileio import write_atomic
from .layout import (
    CHECKS_SHEET,
    CONF_SHEET,
    DATA_SHEET,
    FILL,
    GOALS_SHEET,
    KPI_SHEET,
    OWNED_NAME,
    RISKS_SHEET,
    SUMMARY_SHEET,
    DataMap,
    Mark,
    WorkbookLayout,
    cell_ref,
    sheet_names,
    workbook_layout,
)
from .model import Goal, Kpi, Review, Risk, Source
from .package import finish_package, inspect_package
from .sources.datafile import read_data_xlsx, review_from_rows
from .vba import MACROS_DIR, RIBBON_FILE, project_modules

_T = TypeVar("_T")
DEFAULT_WORKBOOK = Path(__file__).resolve().parents[1] / "workbook" / "Elinvoima.xlsm"
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
            return z.read(VBA_PART), book_code.group(1).decode() if book_code else "ThisWorkbook", codes


def build_workbook(review: Review, settings: Settings = Settings(), macros_dir: Path = MACROS_DIR) -> bytes:
    """The team's workbook for `review` as .xlsm bytes: every sheet, macros and ribbon.

    The VBA project depends only on the sheet names, so where the platform can fork it is
    made in a second process while this one lays out and renders the sheets.
    """
    from .writers.xlsx import render_xlsx

    names = sheet_names(review)
    with _background(vba_project, names, macros_dir) as project:
        layout = workbook_layout(review, run_checks(review, settings), settings)
        data = render_xlsx(layout, project())
    return finish_package(data, _ribbon_xml(macros_dir))


@contextmanager
def _background(fn: Callable[..., _T], *args: Any) -> Iterator[Callable[[], _T]]:
    """Run `fn(*args)` in a forked process when possible (else lazily here); yield a getter of its result."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: fn(*args)
        return
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        future = pool.submit(fn, *args)
        yield future.result


# ---------------------------------------------------------------------------- saving

def lock_file(path: Path) -> Path:
    """The owner file Excel keeps beside an open workbook: `~$Elinvoima.xlsm`."""
    return path.with_name("~$" + path.name)


def save_workbook(path: Path, data: bytes, backup: bool = True) -> Path | None:
    """Replace `path` atomically with `data`, keeping the previous file as `<name>.edellinen<suffix>`.

    Refuses while the workbook is open in Excel (its `~$` lock file is beside it).
    Returns the backup's path, if one was made.
    """
    path = Path(path)
    if lock_file(path).exists():
        raise ElinvoimaError(f"{path.name} on auki Excelissä (lukkotiedosto {lock_file(path).name}). "
                             "Sulje työkirja Excelissä ja yritä uudelleen.")
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = None
    if backup and path.exists():
        saved = path.with_name(f"{path.stem}.edellinen{path.suffix}")
        shutil.copy2(path, saved)
    write_atomic(path, data)
    return saved


# ---------------------------------------------------------------------------- rebuild

@dataclass(frozen=True)
class RebuildReport:
    replaced: tuple[str, ...]        # owned sheets written anew
    kept: tuple[str, ...]            # sheets carried over untouched (the team's)
    findings: int
    errors: int


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def _read_inputs(wb: Any, name: str) -> tuple[list[Goal], list[Kpi], list[Risk]]:
    """Goals, KPIs and risks from the team's sheets (the checks use them)."""
    goals: list[Goal] = []
    if GOALS_SHEET in wb.sheetnames:
        for n, row in enumerate(wb[GOALS_SHEET].iter_rows(min_row=2, values_only=True), start=2):
            cells = [_text(v) for v in row] + [""] * 8
            if not any(cells[:8]):
                continue
            goals.append(Goal(cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7],
                              cells[7], Source(file=name, sheet=GOALS_SHEET, row=n)))
    kpis: list[Kpi] = []
    if KPI_SHEET in wb.sheetnames:
        rows = list(wb[KPI_SHEET].iter_rows(values_only=True))
        heads = [_text(h) for h in rows[0]] if rows else []
        for n, row in enumerate(rows[1:], start=2):
            if row and _text(row[0]):
                kpis.append(Kpi(_text(row[0]), tuple((heads[i], _text(row[i])) for i in range(1, len(heads))
                                                     if i < len(row)), Source(file=name, sheet=KPI_SHEET, row=n)))
    risks: list[Risk] = []
    if RISKS_SHEET in wb.sheetnames:
        for n, row in enumerate(wb[RISKS_SHEET].iter_rows(min_row=2, values_only=True), start=2):
            cells = [_text(v) for v in row] + [""] * 4
            if any(cells[:4]):
                risks.append(Risk(cells[0], cells[1], cells[2], cells[3], Source(file=name, sheet=RISKS_SHEET, row=n)))
    return goals, kpis, risks


def _read_team(data: bytes, name: str) -> tuple[Review, list[object]]:
    """The review of the team's sheets (data, goals, KPIs, risks) and the data sheet's header row.

    The data sheet is read with fastexcel where it can keep cell positions (an ordinary data
    sheet), else with openpyxl; the small sheets of goals, KPIs and risks with openpyxl.
    """
    import openpyxl

    from .sources.sheet_rows import sheet_rows
    from .splice import SpliceError, sheet_parts

    try:
        parts = sheet_parts(data)
    except (SpliceError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(f"tiedostoa ei voi avata Excel-työkirjana ({exc}).", Place(file=name),
                         "Tallenna tiedosto Excelissä .xlsm-muodossa.") from None
    if DATA_SHEET not in parts:
        raise InputError(f"välilehteä '{DATA_SHEET}' ei ole.", Place(file=name), f"Välilehdet: {', '.join(parts)}.")
    rows = sheet_rows(data, DATA_SHEET, parts[DATA_SHEET])
    review = read_data_xlsx(data, name, sheet=DATA_SHEET) if rows is None else review_from_rows(rows, name, DATA_SHEET)
    if rows is None:
        header = list(next(iter(_openpyxl_rows(data, DATA_SHEET, max_row=1)), ()))
    else:
        header = list(rows[0])
    inputs = [s for s in (GOALS_SHEET, KPI_SHEET, RISKS_SHEET) if s in parts]
    if inputs:
        wb = openpyxl.load_workbook(io.BytesIO(_only_sheets(data, parts, inputs)), read_only=True)
        try:
            review.goals, review.kpis, review.risks = _read_inputs(wb, name)
        finally:
            wb.close()
    return review, header


def _openpyxl_rows(data: bytes, sheet: str, max_row: int | None = None) -> list[tuple[object, ...]]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(wb[sheet].iter_rows(max_row=max_row, values_only=True))
    finally:
        wb.close()


def _only_sheets(data: bytes, parts: dict[str, str], sheets: list[str]) -> bytes:
    """The package with every other worksheet emptied: openpyxl then opens it without reading 200 sheets."""
    keep = {parts[s] for s in sheets}
    empty = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    others = set(parts.values()) - keep
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        emptied_rels = {posixpath.join(posixpath.dirname(p), "_rels", posixpath.basename(p) + ".rels") for p in others}
        for item in src.infolist():
            if item.filename in emptied_rels:
                continue   # the emptied sheets' drawings and the like are not needed to read values
            dst.writestr(item.filename, empty if item.filename in others else src.read(item.filename))
    return out.getvalue()


def _owned_sheets(data: bytes) -> list[str]:
    """Sheets carrying the sheet-scoped name `ElinvoimaOma` (made by build or rebuild), and xlwings.conf."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        text = z.read("xl/workbook.xml").decode("utf-8")
    names = [unescape(n) for n in re.findall(r'<sheet\b[^>]*?\bname="([^"]*)"', text)]
    owned = []
    for m in re.finditer(r'<definedName\b([^>]*)>', text):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if attrs.get("name") == OWNED_NAME and "localSheetId" in attrs:
            owned.append(names[int(attrs["localSheetId"])])
    if CONF_SHEET in names and CONF_SHEET not in owned:
        owned.append(CONF_SHEET)
    return [n for n in names if n in owned]


_CELL_WITH_VALUE = re.compile(rb'<c\b[^>]*?\br="([A-Z]+\d+)"[^>/]*>')   # not self-closing: it has content
_OWNED_EXTRAS = {"comments": "kommentteja", "vmlDrawing": "kommentteja tai ohjausobjekteja", "table": "taulukoita",
                 "image": "kuvia", "pivotTable": "pivot-taulukoita", "ctrlProp": "lomakeohjausobjekteja"}


def _refuse_staff_content(data: bytes, name: str, owned: list[str], layout: WorkbookLayout) -> None:
    """Refuse when a sheet the tool regenerates holds something the team put there (it would be lost)."""
    from .splice import sheet_parts

    parts = sheet_parts(data)
    # What a regenerated sheet may hold: its layout's columns, and its rows where their number is
    # fixed (area sheets); the summary and the checks grow and shrink with the data.
    bounds: dict[str, tuple[int | None, int]] = {}
    for s in layout.sheets:
        max_row = max((c.row for c in s.cells), default=0)
        max_col = max((c.col for c in s.cells), default=0)
        bounds[s.name] = (None if s.name in (SUMMARY_SHEET, CHECKS_SHEET, CONF_SHEET) else max_row, max_col)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = set(z.namelist())
        for sheet in owned:
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
            if sheet in bounds:
                row_limit, col_limit = bounds[sheet]
                extra_cells = []
                for m in _CELL_WITH_VALUE.finditer(z.read(part)):
                    ref = m.group(1).decode()
                    row, col = _split_ref(ref)
                    if col > col_limit or (row_limit is not None and row > row_limit):
                        extra_cells.append(ref)
                if extra_cells:
                    raise ElinvoimaError(
                        f"{name}: välilehdellä '{sheet}' on tietoja soluissa, joita päivitys ei tee "
                        f"({', '.join(extra_cells[:5])}{'…' if len(extra_cells) > 5 else ''}). Mitään ei kirjoitettu. "
                        "Siirrä ne omalle välilehdelle tai Tiedot-välilehdelle ja yritä uudelleen.")


def _split_ref(ref: str) -> tuple[int, int]:
    """"K12" -> (11, 10): 0-based row and column."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1


def _mark_data_sheet(marks: list[Mark]) -> Callable[[bytes, Any], bytes]:
    """An edit of the data sheet: our fills off every cell, then on the cells the findings point to."""
    from .splice import restyle_cells

    targets = {cell_ref(m.row, m.col): FILL[m.severity] for m in marks}

    def edit(xml: bytes, book: Any) -> bytes:
        ours = {i for i, f in enumerate(book.fills)
                if any(re.search(rf'rgb="(?:FF)?{rgb}"', f, re.IGNORECASE) for rgb in FILL.values())}

        def restyle(ref: str, s: int) -> int | None:
            current = book.fill_of(s)
            want = book.solid_fill(targets[ref]) if ref in targets else (0 if current in ours else current)
            return None if want == current else book.with_fill(s, want)

        our_xfs = {i for i in range(len(book.xfs)) if book.fill_of(i) in ours}
        return restyle_cells(xml, restyle, refs=set(targets), styles=our_xfs)

    return edit


def rebuild_bytes(data: bytes, name: str, settings: Settings = Settings()) -> tuple[bytes, RebuildReport]:
    """Regenerate the owned sheets of the workbook `data` from its data sheet; everything else is kept.

    The new sheets are rendered with xlsxwriter and spliced into the package (`splice`), so
    the VBA project, the ribbon and every team sheet stay byte for byte. Raises before
    producing anything when the data sheet cannot be read, when an owned sheet holds the
    team's own content, or when the result would differ anywhere it must not.
    """
    from .splice import SpliceError, replace_sheets, sheet_parts
    from .writers.xlsx import render_xlsx

    info = inspect_package(data)
    if not info.has_vba:
        raise InputError("työkirjassa ei ole makroja (VBA-projektia).", Place(file=name),
                         "Anna tiimin .xlsm-työkirja tai luo uusi komennolla elinvoima build.")
    review, header = _read_team(data, name)
    owned = _owned_sheets(data)
    order = list(sheet_parts(data))
    kept = [s for s in order if s not in owned]
    dmap = DataMap.from_sheet(review, header)
    findings = run_checks(review, settings)
    layout = workbook_layout(review, findings, settings, data_map=dmap)
    new_owned = [s for s in layout.sheets if s.owned]
    clash = [s.name for s in new_owned if s.name.casefold() in {k.casefold() for k in kept}]
    if clash:
        raise ElinvoimaError(f"{name}: välilehti '{clash[0]}' on tiimin oma, mutta päivitys loisi samannimisen "
                             "välilehden. Nimeä tiimin välilehti toisin ja yritä uudelleen.")
    _refuse_staff_content(data, name, owned, layout)
    first = next((i for i, s in enumerate(order) if s in owned), len(order))
    insert_at = sum(1 for s in order[:first] if s not in owned)
    rendered = render_xlsx(WorkbookLayout(new_owned, [], layout.area_sheets))
    try:
        out = replace_sheets(data, rendered, owned, insert_at, append_last=(CONF_SHEET,),
                             edit_kept={DATA_SHEET: _mark_data_sheet(layout.data_marks)})
    except SpliceError as exc:
        raise ElinvoimaError(f"{name}: työkirjan rakennetta ei voi päivittää turvallisesti ({exc}). "
                             "Mitään ei kirjoitettu.") from None
    _verify(data, out, name, kept)
    errors = sum(f.severity == "error" for f in findings)
    return out, RebuildReport(tuple(s.name for s in new_owned), tuple(kept), len(findings), errors)


_S_ATTR = re.compile(rb'\s+s="\d+"')


def _verify(before: bytes, out: bytes, name: str, kept: list[str]) -> None:
    """Refuse the result unless the VBA project, the ribbon and every kept sheet came through unchanged.

    Kept sheets must be byte-identical; the data sheet may differ only in its cells' formats.
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
        if za.read(VBA_PART) != zb.read(VBA_PART):
            fail("VBA-projekti")
        for target in a.ribbon_targets:
            if za.read(target) != zb.read(target):
                fail("Elinvoima-nauha")
        for sheet in kept:
            if sheet not in pb:
                fail(f"välilehti '{sheet}'")
            old, new = za.read(pa[sheet]), zb.read(pb[sheet])
            if sheet == DATA_SHEET:
                old, new = _S_ATTR.sub(b"", old), _S_ATTR.sub(b"", new)
            if old != new:
                fail(f"välilehti '{sheet}'")


def rebuild_workbook(path: Path, settings: Settings = Settings()) -> tuple[RebuildReport, Path | None]:
    """Rebuild the team's workbook at `path` in place (atomic, with a backup)."""
    path = Path(path)
    if not path.exists():
        raise InputError("tiedostoa ei löydy.", Place(file=str(path)), "Tarkista polku tai luo työkirja: elinvoima build.")
    if lock_file(path).exists():   # refuse before any work
        save_workbook(path, b"")
    out, report = rebuild_bytes(path.read_bytes(), path.name, settings)
    return report, save_workbook(path, out)
