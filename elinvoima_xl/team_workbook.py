"""The team's macro workbook: build it from data, rebuild its generated sheets, save it without losing anything.

`build` renders the whole layout with xlsxwriter, adds the VBA project (xlwings' standalone
module, `macros/*.bas`) with pyopenvba and the ribbon from `macros/customUI14.xml`.
`rebuild` reads the team's data sheet, replaces only the sheets the tool owns (marked with
the sheet-scoped name `ElinvoimaOma`) through openpyxl, restores what openpyxl drops, checks
that everything it does not own came through unchanged, and only then replaces the file.
"""

from __future__ import annotations

__all__ = ["DEFAULT_WORKBOOK", "RebuildReport", "build_workbook", "rebuild_workbook", "save_workbook"]

import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .calc import Settings
from .checks import run_checks
from .errors import ElinvoimaError, InputError, Place
from .fileio import write_atomic
from .layout import (CONF_SHEET, DATA_SHEET, GOALS_SHEET, KPI_SHEET, OWNED_NAME, RISKS_SHEET, DataMap,
                     workbook_layout)
from .model import Goal, Kpi, Review, Risk, Source
from .package import finish_package, inspect_package
from .sources.datafile import read_data_xlsx
from .vba import MACROS_DIR, RIBBON_FILE, project_modules

DEFAULT_WORKBOOK = Path(__file__).resolve().parents[1] / "workbook" / "Elinvoima.xlsm"
VBA_PART = "xl/vbaProject.bin"

# Parts openpyxl does not carry through a load and save: a file holding one is refused.
_LOST_PARTS = {
    "xl/metadata.xml": "dynaamisten taulukkokaavojen tiedot",
    "xl/ctrlProps/": "lomakeohjausobjektit",
    "xl/activeX/": "ActiveX-ohjausobjektit",
    "xl/slicers/": "osittajat",
    "xl/slicerCaches/": "osittajat",
    "xl/timelines/": "aikajanat",
    "xl/embeddings/": "upotetut objektit",
    "xl/model/": "tietomalli (Power Pivot)",
    "xl/richData/": "tietotyypit",
    "xl/pivotTables/": "pivot-taulukot",
    "customXml/": "Power Query -kyselyt tai muu mukautettu XML",
    "xl/persons/": "ketjutetut kommentit",
    "xl/threadedComments/": "ketjutetut kommentit",
}
_LOST_IN_SHEET = {b"sparklineGroup": "sinikäyrät (sparklines)", b"<x14:conditionalFormatting": "laajennetut ehdolliset muotoilut",
                  b"<x14:dataValidation": "laajennetut tietojen kelpoisuustarkistukset"}


def _ribbon_xml(macros_dir: Path) -> bytes:
    path = macros_dir / RIBBON_FILE
    if not path.is_file():
        raise ElinvoimaError(f"nauhan määrittely puuttuu: {path}")
    return path.read_bytes()


def _with_vba(xlsx: bytes, macros_dir: Path) -> bytes:
    """`xlsx` with a VBA project: document modules for the sheets, xlwings' modules and ours."""
    import pyopenvba

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.xlsm", Path(tmp) / "out.xlsm"
        src.write_bytes(xlsx)
        with pyopenvba.ExcelFile(src) as book:
            project = book.add_vba_project()
            for name, source, is_class in project_modules(macros_dir):
                kind = pyopenvba.VBAModuleKind.other if is_class else pyopenvba.VBAModuleKind.standard
                project.add_module(name, source.replace("\r\n", "\n").replace("\n", "\r\n"), kind=kind)
            book.save(dst)
        return dst.read_bytes()


def build_workbook(review: Review, settings: Settings = Settings(), macros_dir: Path = MACROS_DIR) -> bytes:
    """The team's workbook for `review` as .xlsm bytes: every sheet, macros and ribbon."""
    from .writers.xlsx import render_xlsx

    layout = workbook_layout(review, run_checks(review, settings), settings)
    return finish_package(_with_vba(render_xlsx(layout), macros_dir), _ribbon_xml(macros_dir))


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


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> worksheet part path."""
    from xml.etree import ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for s in wb.iterfind("m:sheets/m:sheet", ns):
        t = targets.get(s.get(f"{{{ns['r']}}}id"), "")
        out[s.get("name", "")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def _refuse_losses(z: zipfile.ZipFile, name: str, kept_parts: dict[str, str]) -> None:
    problems = []
    for prefix, what in _LOST_PARTS.items():
        if any(n == prefix or (prefix.endswith("/") and n.startswith(prefix)) for n in z.namelist()):
            problems.append(f"{what} ({prefix})")
    for sheet, part in kept_parts.items():
        if part in z.namelist():
            xml = z.read(part)
            problems += [f"{what} välilehdellä '{sheet}'" for needle, what in _LOST_IN_SHEET.items() if needle in xml]
    if problems:
        raise ElinvoimaError(
            f"{name}: työkirjassa on osia, jotka päivitys hävittäisi: {'; '.join(problems)}. "
            "Mitään ei kirjoitettu. Siirrä ne omaan työkirjaansa tai poista ne, ja yritä uudelleen.")


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


def _owned_sheets(wb: Any) -> list[str]:
    owned = [ws.title for ws in wb.worksheets if OWNED_NAME in ws.defined_names]
    if CONF_SHEET in wb.sheetnames and CONF_SHEET not in owned:
        owned.append(CONF_SHEET)
    return owned


def _sheet_values(ws: Any) -> list[tuple[object, ...]]:
    """Every value and formula of a sheet; an empty string counts as an empty cell (openpyxl saves it so)."""
    return [tuple(None if v == "" else v for v in r) for r in ws.iter_rows(values_only=True)]


def rebuild_bytes(data: bytes, name: str, settings: Settings = Settings()) -> tuple[bytes, RebuildReport]:
    """Regenerate the owned sheets of the workbook `data` from its data sheet; everything else is kept.

    Raises before producing anything when the file holds parts the writer would lose, when
    the data sheet cannot be read, or when a kept sheet or the VBA project would change.
    """
    import openpyxl

    info = inspect_package(data)
    if not info.has_vba:
        raise InputError("työkirjassa ei ole makroja (VBA-projektia).", Place(file=name),
                         "Anna tiimin .xlsm-työkirja tai luo uusi komennolla elinvoima build.")
    review = read_data_xlsx(data, name, sheet=DATA_SHEET)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = _sheet_parts(z)
        vba_before = z.read(VBA_PART)
        ribbon_before = set(info.ribbon_targets) & set(z.namelist())
        wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True, keep_links=True)
        owned = _owned_sheets(wb)
        kept = [s for s in wb.sheetnames if s not in owned]
        _refuse_losses(z, name, {s: parts[s] for s in kept if s in parts})
    review.goals, review.kpis, review.risks = _read_inputs(wb, name)
    header = next(wb[DATA_SHEET].iter_rows(max_row=1, values_only=True))
    dmap = DataMap.from_sheet(review, header)
    findings = run_checks(review, settings)
    layout = workbook_layout(review, findings, settings, data_map=dmap)
    new_owned = [s for s in layout.sheets if s.owned]
    clash = [s.name for s in new_owned if s.name in kept]
    if clash:
        raise ElinvoimaError(f"{name}: välilehti '{clash[0]}' on tiimin oma, mutta päivitys loisi samannimisen "
                             "välilehden. Nimeä tiimin välilehti toisin ja yritä uudelleen.")
    before = {s: _sheet_values(wb[s]) for s in kept if s != DATA_SHEET}
    first = min((wb.sheetnames.index(s) for s in owned), default=0)
    code_names = {s: wb[s].sheet_properties.codeName for s in owned}   # the VBA project's document modules
    for s in owned:
        wb.remove(wb[s])
    from .writers.openpyxl_sheet import _StyleCache, clear_marks, render_sheet, set_marks

    styles = _StyleCache()
    for i, sheet in enumerate(new_owned):
        at = first + i if sheet.name != CONF_SHEET else len(wb.sheetnames)
        ws = wb.create_sheet(sheet.name, at)
        if code_names.get(sheet.name):
            ws.sheet_properties.codeName = code_names[sheet.name]
        render_sheet(ws, sheet, styles)
    clear_marks(wb[DATA_SHEET])
    set_marks(wb[DATA_SHEET], layout.data_marks)
    buf = io.BytesIO()
    wb.save(buf)
    out = finish_package(buf.getvalue(), None)
    _verify(out, name, vba_before, ribbon_before, before)
    errors = sum(f.severity == "error" for f in findings)
    return out, RebuildReport(tuple(s.name for s in new_owned), tuple(kept), len(findings), errors)


def _verify(out: bytes, name: str, vba_before: bytes, ribbon_before: set[str],
            before: dict[str, list[tuple[object, ...]]]) -> None:
    """Refuse the result unless the VBA project, the ribbon and every kept sheet came through."""
    import openpyxl

    info = inspect_package(out)
    with zipfile.ZipFile(io.BytesIO(out)) as z:
        if z.read(VBA_PART) != vba_before:
            raise ElinvoimaError(f"{name}: VBA-projekti muuttuisi tallennuksessa; mitään ei kirjoitettu.")
    if not ribbon_before <= set(info.ribbon_targets):
        raise ElinvoimaError(f"{name}: Elinvoima-nauha katoaisi tallennuksessa; mitään ei kirjoitettu.")
    if before:
        wb = openpyxl.load_workbook(io.BytesIO(out), read_only=True)
        try:
            for sheet, rows in before.items():
                if _sheet_values(wb[sheet]) != rows:
                    raise ElinvoimaError(f"{name}: välilehden '{sheet}' sisältö muuttuisi; mitään ei kirjoitettu.")
        finally:
            wb.close()


def rebuild_workbook(path: Path, settings: Settings = Settings()) -> tuple[RebuildReport, Path | None]:
    """Rebuild the team's workbook at `path` in place (atomic, with a backup)."""
    path = Path(path)
    if not path.exists():
        raise InputError("tiedostoa ei löydy.", Place(file=str(path)), "Tarkista polku tai luo työkirja: elinvoima build.")
    if lock_file(path).exists():   # refuse before any work
        save_workbook(path, b"")
    out, report = rebuild_bytes(path.read_bytes(), path.name, settings)
    return report, save_workbook(path, out)
