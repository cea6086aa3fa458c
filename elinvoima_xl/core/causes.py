"""One wrong figure is one error: the findings that follow from another (a subtotal of a wrong line) name it as their cause."""

from __future__ import annotations

__all__ = ["TableRef", "cause_tables", "link_causes"]

from collections.abc import Mapping, Sequence
from dataclasses import replace

from .findings import SUM_CODES, Code, Finding, Location, Measure, Severity, rounding_tolerance
from .model import Column, Level, Review
from .rollup import division_terms, investment_terms
from .structure import Structure

_CAUSE_CODES = SUM_CODES

TableRef = tuple[Level, str]                         # a table: its level and its name
_Place = tuple[Level | None, str | None, str | None, str | None]   # table, line key, column key


def cause_tables(review: Review) -> tuple[dict[TableRef, Structure], dict[TableRef, list[TableRef]]]:
    """What `link_causes` needs of a review: each table's structure, and each printed total's parts."""
    structures = {(level, t.name): t.structure for level, t in review.levelled()}
    parts: dict[TableRef, list[TableRef]] = {}
    if review.division_table is not None:
        parts[(Level.DIVISION, review.division_table.name)] = [(Level.AREA, t.part) for t in division_terms(review, "")]
    if review.investments_total is not None:
        parts[(Level.INVESTMENTS, review.investments_total.name)] = [
            (Level.INVESTMENT, t.part) for t in investment_terms(review, "")]
    return structures, parts


def _column_key(column: Column | Measure | None) -> str | None:
    """A column as a key: the period's (`ta_2023`, whatever its unit) or the derived measure's."""
    return column.key if isinstance(column, Column) else (str(column) if column is not None else None)


def _gap_place(f: Finding) -> _Place | None:
    """Where a sum check's gap is (table, line key, column key); None for other findings and those without a line key."""
    loc: Location | None = f.location
    if f.code not in _CAUSE_CODES or f.gap is None or loc is None or loc.line is None:
        return None
    return loc.level, loc.table, loc.line, _column_key(loc.column)


def link_causes(findings: list[Finding], structures: Mapping[TableRef, Structure],
                parts: Mapping[TableRef, Sequence[TableRef]] | None = None) -> list[Finding]:
    """Name, for each subtotal error that is wholly its lines' errors, the error it follows from.

    Findings are matched by `Finding.location` (level, table, line key, column), never by the
    printed label. Within one check, table and column: a subtotal whose gap equals
    Σ coefficient × its terms' gaps (within rounding), with at least one term in error, gets
    `cause` = the root of its first erring term. `structures` maps a table (level, name) to its
    structure (`cause_tables`). Also: a total table's gap that is its parts' identity errors on
    that line (`parts`: total -> its part tables), and a second check's gap on the same printed
    figure, follow from them.
    """
    parts = parts or {}
    places = [_gap_place(f) for f in findings]   # a finding keeps its location when it gets a cause
    gaps: dict[tuple[Code, Level | None, str | None, str | None], dict[str, Finding]] = {}
    for f, place in zip(findings, places):
        if place is None:
            continue
        level, table, key, column = place
        if key is not None:
            gaps.setdefault((f.code, level, table, column), {})[key] = f
    linked: dict[int, Finding] = {}
    for (_code, level, table, _column), by_key in gaps.items():
        s = structures.get((level, table)) if level is not None and table is not None else None
        if s is not None:  # pragma: no mutate (every gap finding names its table)
            _link_table(s, by_key, linked)
    current = [linked.get(id(f), f) for f in findings]
    by_place = _errors_by_place(findings, places)
    return _link_same_figure(_link_part_identity(current, places, by_place, parts), by_place)


def _errors_by_place(findings: list[Finding], places: list[_Place | None]) -> dict[_Place, list[int]]:
    """The indices of the errors at each place (severities do not change while causes are linked)."""
    out: dict[_Place, list[int]] = {}
    for i, (f, place) in enumerate(zip(findings, places)):
        if place is not None and f.severity is Severity.ERROR:
            out.setdefault(place, []).append(i)
    return out


def _link_same_figure(findings: list[Finding], by_place: dict[_Place, list[int]]) -> list[Finding]:
    """One printed figure, two checks with the same gap (NETTO against its lines and the division): one error."""
    out = list(findings)
    for indices in by_place.values():
        root = out[indices[0]]
        for i in indices[1:]:
            f = out[i]
            if f.cause is None and root.gap is not None and f.gap is not None and abs(f.gap - root.gap) <= 1.0:
                out[i] = replace(f, cause=root.cause or root.id)
    return out


def _link_part_identity(findings: list[Finding], places: list[_Place | None], by_place: dict[_Place, list[int]],
                        parts: Mapping[TableRef, Sequence[TableRef]]) -> list[Finding]:
    """A total table's gap on a line that is wholly its parts' identity errors there follows from them.

    `parts`: total table -> its parts (the division's areas, the investment groups).
    """
    out = list(findings)
    # The identity errors on each line and column, by table: a total looks only at the tables in error there.
    identity_errors: dict[tuple[str | None, str | None], dict[TableRef, list[int]]] = {}
    for (level, table, key, column), indices in by_place.items():
        if level is not None and table is not None:
            found = [j for j in indices if findings[j].code is Code.IDENTITY]
            if found:
                identity_errors.setdefault((key, column), {})[(level, table)] = found
    for i, (f, place) in enumerate(zip(findings, places)):
        if f.code not in (Code.DIVISION_SUM, Code.INVESTMENT_SUM) or f.cause is not None or place is None:
            continue
        level, table, key, column = place
        in_error = identity_errors.get((key, column))
        if f.gap is None or level is None or table is None or not in_error:
            continue
        order = {part: n for n, part in enumerate(parts.get((level, table), []))}
        hits = sorted((order[part], j) for part, js in in_error.items() if part in order for j in js)
        causes = [out[j] for _n, j in hits]
        carried = -sum(c.gap or 0.0 for c in causes)
        if causes and abs(f.gap - carried) <= rounding_tolerance(len(causes) + 1):
            out[i] = replace(f, cause=causes[0].cause or causes[0].id)
    return out


def _link_table(s: Structure, by_key: dict[str, Finding], linked: dict[int, Finding]) -> None:
    """`link_causes` for one table's findings of one check and column (`by_key`: line key -> finding)."""
    for ident in s.evaluation_order:
        total = by_key.get(ident.total)
        if total is None or total.severity is not Severity.ERROR or total.gap is None:
            continue
        terms = [(by_key.get(t), c) for t, c in zip(ident.terms, ident.coefficients)]
        erring = [f for f, _c in terms if f is not None and f.severity is Severity.ERROR]
        carried = sum(c * (f.gap or 0.0) for f, c in terms if f is not None)
        if not erring or abs(total.gap - carried) > rounding_tolerance(len(ident.terms) + 1):
            continue
        first = erring[0]
        updated = replace(total, cause=first.cause or first.id)
        by_key[ident.total] = updated
        linked[id(total)] = updated
