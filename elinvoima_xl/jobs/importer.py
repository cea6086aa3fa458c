"""The ledger import job: a ledger into the data (a data CSV or the team workbook), replacing only what it covers.

Each period column (this year's TOT, TA, last year's TP and TOT of the same months) is replaced
only when the ledger covers it; everything else stays as it was: the other columns, the
investments (unless the mapping sends fixed-asset accounts to investment groups), the
division's and council's printed tables (recomputed in the replaced columns), names, goals,
KPIs and risks (the merging itself is `import_merge`, pure). The period comes from the data's
TOT column or `--period`, never from the ledger's rows. Each import is recorded (workbook sheet
`Tuonnit`, or `<data>.tuonnit.csv`): files, SHA-256, time, rows, sums in and out, what was left
out, period, sign convention, control total, and per column replaced or kept. Sum in = sum out + sum left out is checked in
whole cents from the figures actually written before anything is saved.
"""

from __future__ import annotations

__all__ = ["IMPORTS_SHEET", "MAPPING_SHEET", "PROFILE_SHEET", "import_ledger", "import_live", "merge_import",
           "prepare_import"]

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ElinvoimaError, InputError, Place
from .workbook_jobs import JobReport, WorkbookPort
from ..workbook.layout import DATA_SHEET, SheetLayout, data_sheet_layout
from ..workbook.layout.list_sheet import list_sheet
from ..core.model import Review, column_roles
from ..core.names import text_for_csv
from ..sources.datafile import read_data_csv, write_data_csv
from ..sources.ledger import (
    DEFAULT_MAPPING,
    SIGN_TEXT,
    ImportResult,
    Mapping,
    Period,
    aggregate,
    mapping_rows,
    parse_period,
    read_mapping,
)
from ..sources.ledger_read import ExportScan, Profile, read_profile, scan_export
from .import_merge import cents_out, in_data_spelling, merge_import, reference_figures, verify_sums
from .registry import REBUILD

MAPPING_SHEET = "Kohdistus"
IMPORTS_SHEET = "Tuonnit"
PROFILE_SHEET = "Tuontiprofiili"
IMPORT_HEADS = ("Aika", "Tiedosto", "SHA-256", "Rivejä", "Summa sisään (€)", "Summa ulos (€)",
                "Kohdistamattomia rivejä", "Kohdistamattomat (€)", "Sarakkeet", "Kausi", "Etumerkki",
                "Yhteensä-rivi (€)", "Jätetty pois (€)", "Jätetty pois")
BUDGET_ROLES = ("kustannuspaikka", "tili", "talousarvio")
def _log_row(result: ImportResult) -> list[object]:
    total = result.control_total
    return [result.time, " + ".join(f for f, _ in result.files), result.files[0][1], result.rows,
            result.cents_in / 100, result.cents_out / 100, result.unallocated_rows, result.unallocated_cents / 100,
            "; ".join(result.column_notes), result.period.label + (" (annettu)" if result.period.explicit else ""),
            SIGN_TEXT[result.sign] + f" ({result.sign_reason})",
            " / ".join(f"{c / 100:.2f}" for c in total[1]) + f" (rivi {total[0]})" if total else "",
            result.cents_left_out / 100, "; ".join(x.text() for x in result.left_out)]


def _log_line(row: list[object]) -> str:
    """One CSV line of the import log: quoted where needed, and a file name a spreadsheet would take
    for a formula ("=…") kept as text with Excel's apostrophe."""
    from ..core.names import text_for_csv

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


def _profile_file(path: Path) -> Profile:
    from ..sources import decode_text, sniff_delimiter

    text = decode_text(path.read_bytes(), path.name).lstrip("\ufeff")
    delim = sniff_delimiter(text)
    return read_profile([list(r) for r in csv.reader(io.StringIO(text), delimiter=delim)], path.name)


def _period_of(review: Review | None, period: Period | str | None, name: str) -> Period:
    if isinstance(period, str):
        period = parse_period(period)
    if period is not None:
        return period
    if review is None:
        raise InputError("katsauskausi puuttuu: kohteessa ei ole vielä tietoja, joista kausi näkyisi.",
                         Place(file=name), "Anna kausi, esimerkiksi --period 1-6/2023.")
    actual = review.columns[column_roles(review.columns).actual]
    return Period(actual.year, actual.months, explicit=False)


def _scan(path: Path, profile: Profile | None, wanted: tuple[str, ...] | None = None) -> ExportScan:
    if wanted is None:
        return scan_export(path.read_bytes(), path.name, profile=profile)
    return scan_export(path.read_bytes(), path.name, wanted=wanted, profile=profile)


def import_ledger(ledger_path: Path, into: Path, budget_path: Path | None = None, map_path: Path | None = None,
                  keep_unallocated: bool = False, period: Period | str | None = None, sign: str | None = None,
                  profile_path: Path | None = None) -> ImportReport:
    """Import a ledger (and optionally a budget file) into a data CSV or the team workbook, atomically."""
    from ..ooxml.fileio import write_atomic
    from ..sources.load import bundled_path
    from .team_workbook import save_workbook

    for p in (ledger_path, budget_path, map_path, profile_path):
        if p is not None and not p.exists():
            raise InputError("tiedostoa ei löydy.", Place(file=str(p)), "Tarkista polku ja tiedoston nimi.")
    workbook = into.suffix.lower() == ".xlsm"
    if not workbook and into.suffix.lower() not in (".csv", ".tsv"):
        raise InputError(f"tuonnin kohde '{into.name}' ei ole tietotiedosto (.csv) eikä tiimin työkirja (.xlsm).",
                         Place(file=str(into)), "Anna --into tiedot.csv tai Elinvoima.xlsm.")
    if isinstance(period, str):
        period = parse_period(period)
    profile = _profile_file(profile_path) if profile_path is not None else None
    if workbook:
        return _into_workbook(ledger_path, budget_path, map_path, into, keep_unallocated, period, sign, profile)
    sign = sign or (profile.sign if profile is not None else None)
    ledger = _scan(ledger_path, profile)
    budget = _scan(budget_path, profile, BUDGET_ROLES) if budget_path is not None else None
    mapping_path = map_path or bundled_path(DEFAULT_MAPPING)
    mapping = read_mapping(mapping_path.read_bytes(), mapping_path.name)
    review = read_data_csv(into.read_bytes(), into.name) if into.exists() else None
    chosen = _period_of(review, period, into.name)
    result = aggregate(ledger, in_data_spelling(mapping, review), chosen, budget, keep_unallocated, sign,
                       reference_figures(review))
    merged, notes = merge_import(review, result, into.name, csv_target=True)
    result.column_notes = notes
    verify_sums(merged, result, into.name)
    data = write_data_csv(merged)
    _verify_written(read_data_csv(data, into.name), merged, result, into.name)
    log = into.with_name(into.name + ".tuonnit.csv")
    old_log = log.read_text(encoding="utf-8-sig") if log.exists() else ""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    if not old_log:
        w.writerow(IMPORT_HEADS)
    # A file name a spreadsheet would take for a formula ("=…") stays text, with Excel's apostrophe.
    w.writerow([text_for_csv("" if v is None else str(v)) for v in _log_row(result)])
    backup = save_workbook(into, data)
    write_atomic(log, (old_log + buf.getvalue()).encode("utf-8-sig"))
    return ImportReport(result, into, backup, 0, 0)


def _verify_written(back: Review, merged: Review, result: ImportResult, name: str) -> None:
    """The data file read back holds every imported figure to the cent (nothing rounded away by the format)."""
    if cents_out(back, result) != result.cents_out:
        raise ElinvoimaError(f"{name}: kirjoitettu tiedosto ei pidä lukuja sentilleen. Mitään ei kirjoitettu. "
                             "Ilmoita virheestä ylläpitäjälle.")


def prepare_import(port: WorkbookPort, ledger: ExportScan, budget: ExportScan | None, map_path: Path | None,
                   keep_unallocated: bool, period: Period | None = None, sign: str | None = None,
                   use_profile_sheet: bool = True) -> tuple[ImportResult, list[SheetLayout], list[str]]:
    """The sheets an import writes into a workbook (Tiedot, Kohdistus, Tuonnit) and those it replaces.

    Reads the mapping (`map_path`, else the workbook's Kohdistus sheet, else the shipped one) and
    the data through the port; refuses when Tiedot has columns the import would drop.
    """
    from .workbook_jobs import read_review
    from ..sources.load import bundled_path

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
    chosen = _period_of(review, period, port.name)
    result = aggregate(ledger, in_data_spelling(mapping, review), chosen, budget, keep_unallocated, sign,
                       reference_figures(review))
    merged, notes = merge_import(review, result, port.name)
    result.column_notes = notes
    verify_sums(merged, result, port.name)
    log_rows = port.read(IMPORTS_SHEET)[1:] if IMPORTS_SHEET in names else []
    sheets = [data_sheet_layout(merged), _mapping_sheet(mapping), _imports_sheet([*log_rows, _log_row(result)])]
    remove = [s for s in (DATA_SHEET, MAPPING_SHEET, IMPORTS_SHEET) if s in names]
    return result, sheets, remove


def _sheet_profile(port: WorkbookPort) -> Profile | None:
    if PROFILE_SHEET not in port.sheet_names():
        return None
    rows = [["" if v is None else str(v) for v in row] for row in port.read(PROFILE_SHEET)]
    return read_profile(rows, f"{port.name}!{PROFILE_SHEET}")


def import_live(port: WorkbookPort, ledger_path: Path, budget_path: Path | None = None) -> tuple[ImportResult, JobReport]:
    """The ribbon's import: into the open workbook, then every generated sheet rebuilt (left unsaved)."""
    from .workbook_jobs import run_job

    profile = _sheet_profile(port)
    ledger = _scan(ledger_path, profile)
    budget = _scan(budget_path, profile, BUDGET_ROLES) if budget_path is not None else None
    port.progress("Tuodaan kirjanpito…")
    result, sheets, remove = prepare_import(port, ledger, budget, None, False,
                                            sign=profile.sign if profile is not None else None)
    port.replace(sheets, remove, None)
    return result, run_job(port, REBUILD)


def _into_workbook(ledger_path: Path, budget_path: Path | None, map_path: Path | None, into: Path,
                   keep_unallocated: bool, period: Period | None, sign: str | None, profile: Profile | None
                   ) -> ImportReport:
    from .file_backend import FileBackend
    from .workbook_jobs import run_job
    from .team_workbook import refuse_if_open, save_workbook

    if not into.exists():
        raise InputError("työkirjaa ei löydy.", Place(file=str(into)), "Luo se ensin: elinvoima build.")
    refuse_if_open(into)
    port = FileBackend(into.read_bytes(), into.name)
    profile = profile or _sheet_profile(port)       # --profile, else the workbook's own column profile sheet
    sign = sign or (profile.sign if profile is not None else None)
    ledger = _scan(ledger_path, profile)
    budget = _scan(budget_path, profile, BUDGET_ROLES) if budget_path is not None else None
    result, sheets, remove = prepare_import(port, ledger, budget, map_path, keep_unallocated, period, sign)
    port.replace(sheets, remove, None)    # where Tiedot was
    port.save()
    backend = FileBackend(port.data, into.name)
    job = run_job(backend, REBUILD)
    backup = save_workbook(into, backend.data)
    return ImportReport(result, into, backup, len(job.findings), job.errors)


def _mapping_sheet(mapping: Mapping) -> SheetLayout:
    """`Kohdistus`: the mapping of cost centres and accounts as the import used it, header first."""
    heads, *rows = mapping_rows(mapping)
    return list_sheet(MAPPING_SHEET, heads, rows, {0: 16, 1: 10, 2: 10, 3: 34}, tab_color="7F6000")


def _log_value(v: object) -> str | float:
    """A value of the import log as its cell: numbers as numbers, everything else (a truth value too) as text."""
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def _imports_sheet(rows: list[list[object] | tuple[object, ...]]) -> SheetLayout:
    """`Tuonnit`: one row per import, the log the import appends to."""
    return list_sheet(IMPORTS_SHEET, IMPORT_HEADS, rows, {0: 22, 1: 40, 2: 66, 3: 10, 4: 16, 5: 16, 6: 12, 7: 16, 8: 60},
                      tab_color="7F6000", value=_log_value)
