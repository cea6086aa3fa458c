"""Merging an aggregated ledger into the review (pure): the columns the ledger covers replaced, everything else kept.

Each period column (this year's TOT, TA, last year's TP and TOT of the same months) is replaced
only when the ledger covers it; the other columns, the investments (unless the mapping sends
fixed-asset accounts to investment groups), the division's and council's printed tables
(recomputed in the replaced columns), names, goals, KPIs and risks stay. `verify_sums` checks
sum in = sum out + sum left out in whole cents from the figures actually merged.
"""

from __future__ import annotations

__all__ = ["cents_out", "in_data_spelling", "merge_import", "reference_figures", "verify_sums"]

from dataclasses import replace

import numpy as np

from ..core.calc import complete
from ..core.rollup import council_values
from ..core.errors import ElinvoimaError, InputError, Place
from ..core.model import Column, ColumnKind, Review, Table, column_roles, review_title
from ..core.names import area_key
from ..core.structure import INCOME_STATEMENT, INVESTMENT, Kind
from ..sources.ledger import SIGN_DEBIT, ImportResult, Mapping, Period

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
        return (exact or same)[0] if same else None
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
    for by_line in (*result.figures.values(), *result.investments.values()):
        for by_role in by_line.values():
            for role, v in by_role.items():
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
        title=review_title(period.months, period.year), division=review.division if review is not None else "Toimiala",
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


def verify_sums(review: Review, result: ImportResult, name: str) -> None:
    result.cents_out = cents_out(review, result)
    if result.cents_in != result.cents_out + result.cents_left_out:
        raise ElinvoimaError(
            f"{name}: summat eivät täsmää (sisään {result.cents_in / 100:.2f} €, ulos {result.cents_out / 100:.2f} €, "
            f"jätetty pois {result.cents_left_out / 100:.2f} €). Mitään ei kirjoitettu. "
            "Ilmoita virheestä ylläpitäjälle.")
