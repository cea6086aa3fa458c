"""The ledger import job: aggregate a ledger into the data (a data CSV or the team workbook), replacing, never adding twice.

The imported columns (this year's actual and budget, last year's accounts and actual for the
same months) replace what the data had in them, for every area; other columns stay. Printed
division and council tables are dropped (they are sums of the areas) and so are the printed
Jäljellä and % of the areas (they would no longer match). Each import is recorded: in the
workbook on the sheet `Tuonnit`, beside a data CSV in `<name>.tuonnit.csv` (file, SHA-256,
time, rows, sums in and out, unallocated rows).
"""

from __future__ import annotations

__all__ = ["IMPORTS_SHEET", "MAPPING_SHEET", "import_ledger", "import_live", "merge_import", "prepare_import"]

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ElinvoimaError, InputError, Place
from .jobs import JobReport, WorkbookPort
from .layout import DATA_SHEET, HEAD_LEFT, PLAIN, SheetLayout, data_sheet_layout
from .model import Column, ColumnKind, Review, Table, column_roles
from .names import area_key
from .sources.datafile import read_data_csv, write_data_csv
from .sources.ledger import (
    DEFAULT_MAPPING,
    Budget,
    ImportResult,
    Ledger,
    Mapping,
    aggregate,
    mapping_rows,
    read_budget,
    read_ledger,
    read_mapping,
)
from .structure import INCOME_STATEMENT, Kind

MAPPING_SHEET = "Kohdistus"
IMPORTS_SHEET = "Tuonnit"
IMPORT_HEADS = ("Aika", "Tiedosto", "SHA-256", "Rivejä", "Summa sisään (€)", "Summa ulos (€)",
                "Kohdistamattomia rivejä", "Kohdistamattomat (€)", "Sarakkeet")


def _same_slot(a: Column, b: Column) -> bool:
    """Whether an imported column takes the place of an existing one (same kind and year)."""
    return a.kind is b.kind and a.year == b.year


def merge_import(review: Review | None, result: ImportResult, name: str) -> Review:
    """`review`'s data with the imported columns replaced (or added) for every area."""
    old_cols = review.columns if review is not None else ()
    cols: list[Column] = list(old_cols)
    for new in result.columns:
        slot = next((i for i, c in enumerate(cols) if _same_slot(c, new)), None)
        if slot is None:
            cols.append(new)
        else:   # keep the data's unit; a new month count replaces the old column
            cols[slot] = Column(new.kind, new.year, new.months, cols[slot].unit)
    if not any(c.kind is ColumnKind.TA for c in cols):   # a ledger without a budget: an empty TA to fill in
        now = max((c for c in result.columns if c.kind is ColumnKind.TOT), key=lambda c: c.year)
        cols.insert(len(cols) - 1, Column(ColumnKind.TA, now.year, 12, 1))
    columns = tuple(cols)
    imported = {j for j, c in enumerate(columns) if any(_same_slot(c, n) for n in result.columns)}
    old_areas = {t.name: t for t in (review.areas if review is not None else [])}
    # An area is the same area whatever its case: the mapping's "LIIKUNTA" fills the data's "Liikunta".
    spelling = {area_key(a): a for a in old_areas}
    figures = {spelling.get(area_key(a), a): f for a, f in result.figures.items()}
    names = list(old_areas) + [a for a in figures if a not in old_areas]
    areas = []
    for area in names:
        table = Table.empty(area, INCOME_STATEMENT, columns)
        old = old_areas.get(area)
        if old is not None:
            for j, c in enumerate(columns):
                if j in imported or c not in old_cols:
                    continue
                table.values[:, j] = old.values[:, old_cols.index(c)]
            table.labels = dict(old.labels)
            table.sources = {}
        for key, values in figures.get(area, {}).items():
            li = INCOME_STATEMENT.index[key]
            for col, v in values.items():
                j = next(j for j in imported if _same_slot(columns[j], col))
                table.values[li, j] = v * col.unit / columns[j].unit
        for li, line in enumerate(INCOME_STATEMENT.lines):
            if line.kind is Kind.DETAIL and not np.isnan(table.values[li]).all():
                table.labels.setdefault(line.key, line.label)
        table.labels = {k: v for k, v in table.labels.items()
                        if INCOME_STATEMENT.line(k).kind is Kind.DETAIL and not np.isnan(table.values[INCOME_STATEMENT.index[k]]).all()}
        areas.append(table)
    column_roles(columns, Place(file=name))
    actual = columns[column_roles(columns).actual]

    def moved(t: Table) -> Table:
        """An investment table on the new columns: its figures kept where the column stays."""
        out = Table.empty(t.name, t.structure, columns)
        for j, c in enumerate(columns):
            if j not in imported and c in old_cols:
                out.values[:, j] = t.values[:, old_cols.index(c)]
        out.labels = dict(t.labels)
        return out

    return Review(
        title=f"Katsaus 1–{actual.months}/{actual.year}",
        division=review.division if review is not None else "Toimiala", columns=columns, areas=areas,
        investments=[moved(t) for t in review.investments] if review is not None else [],
        investments_total=moved(review.investments_total) if review is not None and review.investments_total else None,
        goals=review.goals if review is not None else [], kpis=review.kpis if review is not None else [],
        risks=review.risks if review is not None else [], source=name)


def _import_row(result: ImportResult) -> list[object]:
    return [result.time, " + ".join(f for f, _ in result.files), result.files[0][1], result.rows,
            result.cents_in / 100, result.cents_out / 100, result.unallocated_rows, result.unallocated_cents / 100,
            ", ".join(c.label for c in result.columns)]


def _log_line(row: list[object]) -> str:
    """One CSV line of the import log: quoted where needed, and a file name a spreadsheet would take
    for a formula ("=…") kept as text with Excel's apostrophe."""
    from .names import text_for_csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerow(
        [text_for_csv(v) if isinstance(v, str) else v for v in row])
    return buf.getvalue()


@dataclass(frozen=True)
class ImportReport:
    result: ImportResult
    target: Path
    backup: Path | None
    findings: int
    errors: int

    def summary(self) -> str:
        text = f"Tuotu {self.target.name}: {self.result.summary()}"
        if self.findings:
            text += f" Tarkistukset: havaintoja {self.findings}, virheitä {self.errors}."
        return text


def _mapping_from_rows(rows: list[tuple[object, ...]], name: str) -> Mapping:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";")
    for row in rows:
        w.writerow(["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                    for v in row])
    return read_mapping(buf.getvalue().encode("utf-8"), name)


def import_ledger(ledger_path: Path, into: Path, budget_path: Path | None = None, map_path: Path | None = None,
                  keep_unallocated: bool = False) -> ImportReport:
    """Import a ledger (and optionally a budget file) into a data CSV or the team workbook, atomically."""
    from .fileio import write_atomic
    from .load import bundled_path
    from .team_workbook import save_workbook

    for p in (ledger_path, budget_path, map_path):
        if p is not None and not p.exists():
            raise InputError("tiedostoa ei löydy.", Place(file=str(p)), "Tarkista polku ja tiedoston nimi.")
    ledger = read_ledger(ledger_path.read_bytes(), ledger_path.name)
    budget = read_budget(budget_path.read_bytes(), budget_path.name) if budget_path is not None else None
    workbook = into.suffix.lower() == ".xlsm"
    if not workbook and into.suffix.lower() not in (".csv", ".tsv"):
        raise InputError(f"tuonnin kohde '{into.name}' ei ole tietotiedosto (.csv) eikä tiimin työkirja (.xlsm).",
                         Place(file=str(into)), "Anna --into tiedot.csv tai Elinvoima.xlsm.")
    if workbook:
        return _into_workbook(ledger, budget, budget_path, map_path, into, keep_unallocated)
    mapping = read_mapping((map_path or bundled_path(DEFAULT_MAPPING)).read_bytes(),
                           (map_path or bundled_path(DEFAULT_MAPPING)).name)
    review = read_data_csv(into.read_bytes(), into.name) if into.exists() else None
    units = _units(review)
    result = aggregate(ledger, mapping, budget, budget_path.name if budget_path else "", keep_unallocated,
                       units=units)
    merged = merge_import(review, result, into.name)
    log = into.with_name(into.name + ".tuonnit.csv")
    old_log = log.read_text(encoding="utf-8-sig") if log.exists() else ";".join(IMPORT_HEADS) + "\r\n"
    line = _log_line(_import_row(result))
    backup = save_workbook(into, write_data_csv(merged))
    write_atomic(log, (old_log + line).encode("utf-8-sig"))
    return ImportReport(result, into, backup, 0, 0)


def _units(review: Review | None) -> dict[ColumnKind, int] | None:
    if review is None:
        return None
    roles = column_roles(review.columns)
    units = {ColumnKind.TP: 1000, ColumnKind.TA: review.columns[roles.budget].unit,
             ColumnKind.TOT: review.columns[roles.actual].unit}
    if roles.prev_year is not None:
        units[ColumnKind.TP] = review.columns[roles.prev_year].unit
    return units


def prepare_import(port: WorkbookPort, ledger: Ledger, budget: Budget | None, budget_name: str,
                   map_path: Path | None, keep_unallocated: bool) -> tuple[ImportResult, list[SheetLayout], list[str]]:
    """The sheets an import writes into a workbook (Tiedot, Kohdistus, Tuonnit) and those it replaces.

    Reads the mapping (`map_path`, else the workbook's Kohdistus sheet, else the shipped one) and
    the data through the port; refuses when Tiedot has columns the import would drop.
    """
    from .jobs import read_review
    from .load import bundled_path

    names = port.sheet_names()
    if map_path is not None:
        mapping = read_mapping(map_path.read_bytes(), map_path.name)
    elif MAPPING_SHEET in names:
        mapping = _mapping_from_rows(port.read(MAPPING_SHEET), f"{port.name}!{MAPPING_SHEET}")
    else:
        mapping = read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(), DEFAULT_MAPPING)
    review, _dmap = read_review(port)
    header = [str(h).strip() for h in port.read(DATA_SHEET)[0] if h is not None and str(h).strip()]
    known = {"taso", "alue", "rivi", "%"} | {c.heading.casefold() for c in review.columns}
    unknown = [h for h in header if h.casefold() not in known and not h.casefold().startswith("jäljellä")]
    if unknown:
        raise ElinvoimaError(f"{port.name}: Tiedot-välilehdellä on sarakkeita, joita tuonti ei tunne "
                             f"({', '.join(unknown)}); ne katoaisivat. Mitään ei kirjoitettu. "
                             "Siirrä ne omalle välilehdelle ja yritä uudelleen.")
    result = aggregate(ledger, mapping, budget, budget_name, keep_unallocated, units=_units(review))
    merged = merge_import(review, result, port.name)
    log_rows = port.read(IMPORTS_SHEET)[1:] if IMPORTS_SHEET in names else []
    sheets = [data_sheet_layout(merged), _mapping_sheet(mapping), _imports_sheet([*log_rows, _import_row(result)])]
    remove = [s for s in (DATA_SHEET, MAPPING_SHEET, IMPORTS_SHEET) if s in names]
    return result, sheets, remove


def import_live(port: WorkbookPort, ledger_path: Path, budget_path: Path | None = None) -> tuple[ImportResult, JobReport]:
    """The ribbon's import: into the open workbook, then every generated sheet rebuilt (left unsaved)."""
    from .jobs import run_job

    ledger = read_ledger(ledger_path.read_bytes(), ledger_path.name)
    budget = read_budget(budget_path.read_bytes(), budget_path.name) if budget_path is not None else None
    port.progress("Tuodaan kirjanpito…")
    result, sheets, remove = prepare_import(port, ledger, budget, budget_path.name if budget_path else "", None, False)
    port.replace(sheets, remove, None)
    return result, run_job(port, "rebuild")


def _into_workbook(ledger: Ledger, budget: Budget | None, budget_path: Path | None, map_path: Path | None, into: Path,
                   keep_unallocated: bool) -> ImportReport:
    from .backends.file import FileBackend
    from .jobs import run_job
    from .team_workbook import refuse_if_open, save_workbook

    if not into.exists():
        raise InputError("työkirjaa ei löydy.", Place(file=str(into)), "Luo se ensin: elinvoima build.")
    refuse_if_open(into)
    port = FileBackend(into.read_bytes(), into.name)
    result, sheets, remove = prepare_import(port, ledger, budget, budget_path.name if budget_path else "", map_path,
                                            keep_unallocated)
    port.replace(sheets, remove, None)    # where Tiedot was
    port.save()
    backend = FileBackend(port.data, into.name)
    job = run_job(backend, "rebuild")
    backup = save_workbook(into, backend.data)
    return ImportReport(result, into, backup, len(job.findings), job.errors)


def _mapping_sheet(mapping: Mapping) -> SheetLayout:
    sheet = SheetLayout(MAPPING_SHEET, owned=False, tab_color="7F6000")
    for r, row in enumerate(mapping_rows(mapping)):
        for c, v in enumerate(row):
            sheet.put(r, c, v if isinstance(v, str) else float(v), style=HEAD_LEFT if r == 0 else PLAIN)  # type: ignore[arg-type]
    sheet.widths = {0: 16, 1: 10, 2: 10, 3: 34}
    sheet.freeze = (1, 0)
    return sheet


def _imports_sheet(rows: list[list[object] | tuple[object, ...]]) -> SheetLayout:
    sheet = SheetLayout(IMPORTS_SHEET, owned=False, tab_color="7F6000")
    for c, h in enumerate(IMPORT_HEADS):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is not None and v != "":
                sheet.put(r, c, float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v))
    sheet.widths = {0: 22, 1: 40, 2: 66, 3: 10, 4: 16, 5: 16, 6: 12, 7: 16, 8: 60}
    sheet.freeze = (1, 0)
    return sheet
