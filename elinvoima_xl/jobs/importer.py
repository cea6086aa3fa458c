"""The ledger import job: a ledger into the data (a data CSV or the team workbook), replacing only what it covers.

Each period column (this year's TOT, TA, last year's TP and TOT of the same months) is replaced
only when the ledger covers it; everything else stays as it was: the other columns, the
investments (unless the mapping sends fixed-asset accounts to investment groups), the
division's and council's printed tables (recomputed in the replaced columns), names, goals,
KPIs and risks. The period comes from the data's TOT column or `--period`, never from the
ledger's rows. Each import is recorded (workbook sheet `Tuonnit`, or `<data>.tuonnit.csv`):
files, SHA-256, time, rows, sums in and out, what was left out, period, sign convention,
control total, and per column replaced or kept. Sum in = sum out + sum left out is checked in
whole cents from the figures actually written before anything is saved.
"""

from __future__ import annotations

__all__ = ["IMPORTS_SHEET", "MAPPING_SHEET", "PROFILE_SHEET", "import_ledger", "import_live", "merge_import",
           "prepare_import"]

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..core.calc import complete
from ..core.rollup import council_values
from ..core.errors import ElinvoimaError, InputError, Place
from .workbook_jobs import JobReport, WorkbookPort
from ..workbook.layout import DATA_SHEET, HEAD_LEFT, PLAIN, SheetLayout, data_sheet_layout
from ..core.model import Column, ColumnKind, Review, Table, column_roles
from ..core.names import area_key, text_for_csv
from ..sources.datafile import read_data_csv, write_data_csv
from ..sources.ledger import (
    DEFAULT_MAPPING,
    SIGN_DEBIT,
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
from ..core.structure import INCOME_STATEMENT, INVESTMENT, Kind

MAPPING_SHEET = "Kohdistus"
IMPORTS_SHEET = "Tuonnit"
PROFILE_SHEET = "Tuontiprofiili"
IMPORT_HEADS = ("Aika", "Tiedosto", "SHA-256", "Rivejä", "Summa sisään (€)", "Summa ulos (€)",
                "Kohdistamattomia rivejä", "Kohdistamattomat (€)", "Sarakkeet", "Kausi", "Etumerkki",
                "Yhteensä-rivi (€)", "Jätetty pois (€)", "Jätetty pois")
BUDGET_ROLES = ("kustannuspaikka", "tili", "talousarvio")
_ROLE_KIND = {"tot": ColumnKind.TOT, "ta": ColumnKind.TA, "tp": ColumnKind.TP, "tot_prev": ColumnKind.TOT}
_DEFAULT_UNIT = {"tot": 1, "ta": 1, "tp": 1000, "tot_prev": 1000}


def _role_column(role: str, period: Period, unit: int) -> Column:
    y, m = period.year, period.months
    return {"tot": Column(ColumnKind.TOT, y, m, unit), "ta": Column(ColumnKind.TA, y, 12, unit),
            "tp": Column(ColumnKind.TP, y - 1, 12, unit), "tot_prev": Column(ColumnKind.TOT, y - 1, m, unit)}[role]


def _slot(cols: list[Column], role: str, period: Period) -> int | None:
    """Where the column of `role` sits in the data (same kind and year; last year's TOT: same months first)."""
    year = period.year - (1 if role in ("tp", "tot_prev") else 0)
    same = [i for i, c in enumerate(cols) if c.kind is _ROLE_KIND[role] and c.year == year]
    if role == "tot_prev":
        exact = [i for i in same if cols[i].months == period.months]
        return (exact or same or [None])[0]
    return same[0] if same else None


def in_data_spelling(mapping: Mapping, review: Review | None) -> Mapping:
    """The mapping with its areas spelt as the data spells them: an area is the same area whatever its
    case, so the mapping's "LIIKUNTA" fills the data's "Liikunta" (and is compared with its figures)."""
    if review is None:
        return mapping
    spelling = {area_key(t.name): t.name for t in review.areas}
    return replace(mapping, centres=tuple((a, b, spelling.get(area_key(t), t)) for a, b, t in mapping.centres))


def reference_figures(review: Review | None) -> dict[str, dict[str, dict[str, float]]]:
    """The data's area figures in euros by role (tot, ta, tp), for comparing the ledger's signs."""
    if review is None:
        return {}
    roles = column_roles(review.columns)
    picks = {"tot": roles.actual, "ta": roles.budget, "tp": roles.prev_year}
    out: dict[str, dict[str, dict[str, float]]] = {}
    for t in review.areas:
        for li, line in enumerate(t.structure.lines):
            if line.kind is not Kind.DETAIL:
                continue
            vals = {r: float(t.values[li, j]) * review.columns[j].unit for r, j in picks.items()
                    if j is not None and not np.isnan(t.values[li, j])}
            if vals:
                out.setdefault(t.name, {})[line.key] = vals
    return out


def _exact_in_unit(values: list[float], unit: int) -> bool:
    """Whether euro figures survive being written in `unit` with two decimals (the data file's format)."""
    return all(round(v * 100) % unit == 0 for v in values)     # two decimals of `unit` € = `unit` cents


def merge_import(review: Review | None, result: ImportResult, name: str, csv_target: bool = False
                 ) -> tuple[Review, list[str]]:
    """`review`'s data with the columns the ledger covers replaced, everything else kept; and a note per column."""
    period = result.period
    old_cols = list(review.columns) if review is not None else []
    cols = list(old_cols)
    replaced: dict[str, int] = {}
    notes: list[str] = []
    all_values: dict[str, list[float]] = {}
    for area in result.figures.values():
        for line in area.values():
            for role, v in line.items():
                all_values.setdefault(role, []).append(v)
    for group in result.investments.values():
        for line in group.values():
            for role, v in line.items():
                all_values.setdefault(role, []).append(v)
    for role in ("tp", "tot_prev", "ta", "tot"):
        slot = _slot(cols, role, period)
        why = result.covered.get(role, "")
        if why:
            if slot is not None:
                notes.append(f"{cols[slot].label}: säilytetty ({why})")
            continue
        unit = cols[slot].unit if slot is not None else _DEFAULT_UNIT[role]
        if csv_target and unit != 1 and not _exact_in_unit(all_values.get(role, []), unit):
            unit = 1     # 1000 € with two decimals would round away euros: the column is written in €
        new = _role_column(role, period, unit)
        if slot is None:
            cols.insert({"tp": 0, "tot_prev": 1}.get(role, len(cols)), new) if role in ("tp", "tot_prev") \
                else cols.append(new)
            notes.append(f"{new.label}: lisätty")
        else:
            old = cols[slot]
            cols[slot] = new
            change = f" ({old.label} → {new.label})" if old.label != new.label else ""
            unit_note = f", yksikkö {old.unit_label} → {new.unit_label}" if old.unit != new.unit else ""
            notes.append(f"{new.label}: korvattu{change}{unit_note}")
        replaced[role] = -1
    if not any(c.kind is ColumnKind.TA for c in cols):   # a ledger without a budget: an empty TA to fill in
        cols.append(Column(ColumnKind.TA, period.year, 12, 1))
        notes.append(f"TA {period.year} +muutos: lisätty tyhjänä (ei talousarviota)")
    columns = tuple(cols)
    for role in replaced:
        replaced[role] = next(j for j, c in enumerate(columns) if c == _role_column(role, period, c.unit)
                              and (role != "tot_prev" or c.kind is ColumnKind.TOT))
    fresh = set(replaced.values())
    # where each new column's old figures are: the same column object if kept
    source = {j: old_cols.index(c) for j, c in enumerate(columns) if j not in fresh and c in old_cols}
    stale_printed = "tot" in replaced or "ta" in replaced
    actual_changed = "tot" in replaced and review is not None and \
        columns[replaced["tot"]].months != review.columns[column_roles(review.columns).actual].months

    def carry(t: Table | None, name_: str, structure: object) -> Table:
        out = Table.empty(name_, structure, columns)  # type: ignore[arg-type]
        if t is not None:
            for j, i in source.items():
                out.values[:, j] = t.values[:, i]
            out.labels = dict(t.labels)
            if not stale_printed:
                out.printed_remaining = t.printed_remaining.copy()
                out.printed_pct = t.printed_pct.copy()
        return out

    old_areas = {t.name: t for t in (review.areas if review is not None else [])}
    names = list(old_areas) + [a for a in result.figures if a not in old_areas]
    areas: list[Table] = []
    subtotals = [ln.key for ln in INCOME_STATEMENT.lines if ln.kind is Kind.SUBTOTAL]
    for area in names:
        table = carry(old_areas.get(area), area, INCOME_STATEMENT)
        figures = result.figures.get(area, {})
        for key in figures:
            table.labels.setdefault(key, INCOME_STATEMENT.line(key).label)
        if fresh:
            for key in subtotals:
                table.labels.setdefault(key, INCOME_STATEMENT.line(key).label)
        for role, j in replaced.items():
            col = columns[j]
            for li, line in enumerate(INCOME_STATEMENT.lines):
                if line.kind is Kind.DETAIL and line.key in table.labels:
                    table.values[li, j] = figures.get(line.key, {}).get(role, 0.0) / col.unit
        _recompute(table, sorted(fresh))
        areas.append(table)
    if not areas:
        raise InputError("tuonnista ei tullut yhtään palvelualuetta.", Place(file=name), "Tarkista kohdistustaulukko.")
    division_table = council = None
    if review is not None and review.division_table is not None:
        division_table = carry(review.division_table, review.division_table.name, INCOME_STATEMENT)
        if fresh:
            summed = complete(np.nansum([t.values for t in areas], axis=0), INCOME_STATEMENT)
            for j in fresh:
                for li, line in enumerate(INCOME_STATEMENT.lines):
                    if line.key in division_table.labels:
                        division_table.values[li, j] = summed[li, j]
    if review is not None and review.council is not None:
        council = carry(review.council, review.council.name, review.council.structure)
        if fresh:
            summed = complete(np.nansum([t.values for t in areas], axis=0), INCOME_STATEMENT)
            values = council_values(summed)
            for j in fresh:
                for li, line in enumerate(council.structure.lines):
                    if line.key in council.labels:
                        council.values[li, j] = values[li, j]
    investments, inv_total, inv_note = _investments(review, result, columns, replaced, source, carry,
                                                    actual_changed)
    if inv_note:
        notes.append(inv_note)
    merged = Review(
        title=f"Katsaus {period.label}", division=review.division if review is not None else "Toimiala",
        columns=columns, areas=areas, division_table=division_table, council=council,
        investments=investments, investments_total=inv_total,
        goals=review.goals if review is not None else [], kpis=review.kpis if review is not None else [],
        risks=review.risks if review is not None else [], source=name)
    column_roles(columns, Place(file=name))
    return merged, notes


def _recompute(table: Table, columns: list[int]) -> None:
    """Subtotals the table prints, recomputed from its lines in the replaced columns."""
    if not columns:
        return
    full = complete(table.values, table.structure)
    for li, line in enumerate(table.structure.lines):
        if line.kind is Kind.SUBTOTAL and line.key in table.labels:
            table.values[li, columns] = full[li, columns]


def _investments(review: Review | None, result: ImportResult, columns: tuple[Column, ...], replaced: dict[str, int],
                 source: dict[int, int], carry: object, actual_changed: bool
                 ) -> tuple[list[Table], Table | None, str]:
    old = list(review.investments) if review is not None else []
    total = review.investments_total if review is not None else None
    covered = bool(result.investments)
    tables = {t.name: carry(t, t.name, INVESTMENT) for t in old}   # type: ignore[operator]
    out_total = carry(total, total.name, INVESTMENT) if total is not None else None  # type: ignore[operator]
    note = ""
    if not covered:
        # the ledger says nothing about investments: their figures stay, also in the replaced columns' places
        for role, j in replaced.items():
            slot = next((i for i, c in enumerate(review.columns) if c.kind is columns[j].kind
                         and c.year == columns[j].year) if review is not None else iter(()), None)
            if slot is None or (role == "tot" and actual_changed):
                continue
            scale = review.columns[slot].unit / columns[j].unit   # type: ignore[union-attr]
            for t in [*old, *([total] if total is not None else [])]:
                target = tables[t.name] if t is not total else out_total
                target.values[:, j] = t.values[:, slot] * scale   # type: ignore[union-attr]
        for t in [*old, *([total] if total is not None else [])]:     # their printed Jäljellä and % stay too
            target = tables[t.name] if t is not total else out_total
            target.printed_remaining = t.printed_remaining.copy()   # type: ignore[union-attr]
            target.printed_pct = t.printed_pct.copy()               # type: ignore[union-attr]
        if old and actual_changed:
            note = "investoinnit: toteuma tyhjä, koska kausi vaihtui (kirjanpidossa ei investointeja)"
        elif old:
            note = "investoinnit: säilytetty (kohdistustaulukossa ei investointiryhmiä)"
        return list(tables.values()), out_total, note
    for group in result.investments:
        if group not in tables:
            t = Table.empty(group, INVESTMENT, columns)
            t.labels = {ln.key: ln.label for ln in INVESTMENT.lines if ln.kind is not Kind.HEADER}
            tables[group] = t
    for name, t in tables.items():
        figures = result.investments.get(name, {})
        for role, j in replaced.items():
            for key in ("tulot", "menot"):
                t.labels.setdefault(key, INVESTMENT.line(key).label)
                t.values[INVESTMENT.index[key], j] = figures.get(key, {}).get(role, 0.0) / columns[j].unit
        _recompute(t, sorted(replaced.values()))
    if out_total is not None and replaced:
        summed = complete(np.nansum([t.values for t in tables.values()], axis=0), INVESTMENT)
        for j in replaced.values():
            for li, line in enumerate(INVESTMENT.lines):
                if line.key in out_total.labels:
                    out_total.values[li, j] = summed[li, j]
    note = f"investoinnit: {len(result.investments)} ryhmää kirjanpidosta"
    return list(tables.values()), out_total, note


def cents_out(review: Review, result: ImportResult) -> int:
    """What the written figures hold, back in whole cents and in the export's sign: this year's actual and
    last year's accounts (or, without them, last year's actual of the period), areas and investment groups."""
    period = result.period
    roles = ["tot"] + (["tp"] if not result.covered.get("tp") else
                       ["tot_prev"] if not result.covered.get("tot_prev") else [])
    total = 0.0
    for role in roles:
        if result.covered.get(role):
            continue
        j = next((j for j, c in enumerate(review.columns) if c == _role_column(role, period, c.unit)), None)
        if j is None:
            continue
        unit = review.columns[j].unit
        tables = list(review.areas) + (list(review.investments) if result.investments else [])
        for t in tables:
            for li, line in enumerate(t.structure.lines):
                if line.kind is Kind.DETAIL and not np.isnan(t.values[li, j]):
                    total += round(t.values[li, j] * unit * 100)
    sign = -1 if result.sign == SIGN_DEBIT else 1
    return int(round(total)) * sign


def _verify_sums(review: Review, result: ImportResult, name: str) -> None:
    result.cents_out = cents_out(review, result)
    if result.cents_in != result.cents_out + result.cents_left_out:
        raise ElinvoimaError(
            f"{name}: summat eivät täsmää (sisään {result.cents_in / 100:.2f} €, ulos {result.cents_out / 100:.2f} €, "
            f"jätetty pois {result.cents_left_out / 100:.2f} €). Mitään ei kirjoitettu. "
            "Ilmoita virheestä ylläpitäjälle.")


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
    from ..sources import decode_text

    text = decode_text(path.read_bytes(), path.name).lstrip("\ufeff")
    first = text.splitlines()[0] if text.strip() else ""
    delim = max((";", "\t", ","), key=lambda d: first.count(d))
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
    _verify_sums(merged, result, into.name)
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
    _verify_sums(merged, result, port.name)
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
    return result, run_job(port, "rebuild")


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
