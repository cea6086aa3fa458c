"""One wrong figure is one error: the findings that follow from another (a subtotal of a wrong line) name it as their cause."""

from __future__ import annotations

__all__ = ["link_causes"]

from dataclasses import replace

from .findings import SUM_CODES, Code, Finding, Severity, rounding_tolerance
from .structure import Structure

_CAUSE_CODES = SUM_CODES


def link_causes(findings: list[Finding], structures: dict[str, list[Structure]],
                parts: dict[str, list[str]] | None = None) -> list[Finding]:
    """Name, for each subtotal error that is wholly its lines' errors, the error it follows from.

    Within one check, table and column: a subtotal whose gap equals Σ coefficient × its
    terms' gaps (within rounding), with at least one term in error, gets `cause` = the
    root of its first erring term. `structures` maps a table name to the structures of the
    tables of that name (the division's income statement and the council table share one).
    Also: a total table's gap that is its parts' identity errors on that line (`parts`: total
    name -> part names), and a second check's gap on the same printed figure, follow from them.
    """
    parts = parts or {}
    gaps: dict[tuple[str, str | None, str | None], dict[str | None, Finding]] = {}
    for f in findings:
        if f.code in _CAUSE_CODES and f.gap is not None:
            gaps.setdefault((f.code, f.area, f.column), {})[f.line] = f
    linked: dict[int, Finding] = {}
    for (code, area, column), by_line in gaps.items():
        for s in structures.get(area or "", []):  # pragma: no mutate (every gap finding names its table)
            _link_table(s, by_line, linked)
    current = [linked.get(id(f), f) for f in findings]
    return _link_same_figure(_link_part_identity(current, parts))


def _errors_by_place(findings: list[Finding]) -> dict[tuple[str | None, str | None, str | None], list[int]]:
    places: dict[tuple[str | None, str | None, str | None], list[int]] = {}
    for i, f in enumerate(findings):
        if f.severity is Severity.ERROR and f.code in _CAUSE_CODES and f.gap is not None:
            places.setdefault((f.area, f.line, f.column), []).append(i)
    return places


def _link_same_figure(findings: list[Finding]) -> list[Finding]:
    """One printed figure, two checks with the same gap (NETTO against its lines and the division): one error."""
    out = list(findings)
    for indices in _errors_by_place(out).values():
        root = out[indices[0]]
        for i in indices[1:]:
            f = out[i]
            if f.cause is None and root.gap is not None and f.gap is not None and abs(f.gap - root.gap) <= 1.0:
                out[i] = replace(f, cause=root.cause or root.id)
    return out


def _link_part_identity(findings: list[Finding], parts: dict[str, list[str]]) -> list[Finding]:
    """A total table's gap on a line that is wholly its parts' identity errors there follows from them.

    `parts`: total table name -> names of its parts (the division's areas, the investment groups).
    """
    out = list(findings)
    places = _errors_by_place(out)
    for i, f in enumerate(out):
        if f.code not in (Code.DIVISION_SUM, Code.INVESTMENT_SUM) or f.cause is not None or f.gap is None:
            continue
        causes = [out[j] for name in parts.get(f.area or "", [])
                  for j in places.get((name, f.line, f.column), []) if out[j].code is Code.IDENTITY]
        carried = -sum(c.gap or 0.0 for c in causes)
        if causes and abs(f.gap - carried) <= rounding_tolerance(len(causes) + 1):
            out[i] = replace(f, cause=causes[0].cause or causes[0].id)
    return out


def _link_table(s: Structure, by_line: dict[str | None, Finding], linked: dict[int, Finding]) -> None:
    """`link_causes` for one table's findings of one check and column (`by_line`: line label -> finding)."""
    for ident in s.evaluation_order:
        total = by_line.get(s.labels[ident.total])
        if total is None or total.severity is not Severity.ERROR or total.gap is None:
            continue
        terms = [(by_line.get(s.labels[t]), c) for t, c in zip(ident.terms, ident.coefficients)]
        erring = [f for f, _c in terms if f is not None and f.severity is Severity.ERROR]
        carried = sum(c * (f.gap or 0.0) for f, c in terms if f is not None)
        if not erring or abs(total.gap - carried) > rounding_tolerance(len(ident.terms) + 1):
            continue
        first = erring[0]
        updated = replace(total, cause=first.cause or first.id)
        by_line[s.labels[ident.total]] = updated
        linked[id(total)] = updated
