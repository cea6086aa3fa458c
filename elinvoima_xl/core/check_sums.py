"""The sum checks: every subtotal against its lines, printed totals against the roll-up, printed Jäljellä and %.

A gap within the rounding tolerance (derived from the units and the number of rounded
figures in the identity, DOMAIN.md) is reported as rounding (severity "info"); beyond it,
as an error with both figures and the gap. Absent is not zero (`calc.resolve`): an identity
is checked only where its terms were given, a sum of tables only on lines every part knows.
"""

from __future__ import annotations

__all__ = [
    "check_council",
    "check_division_sum",
    "check_identities",
    "check_investment_sum",
    "check_printed_remaining_and_pct",
    "financial_tables",
    "gap_finding",
    "groups",
    "identity_gaps",
    "location_of",
    "where_of",
    "zero",
]

import numpy as np
import numpy.typing as npt

from .calc import Settings, execution_pct, resolve
from .findings import Code, Finding, Location, Measure, Severity, rounding_tolerance
from .model import Column, Level, Review, Table, column_roles
from .numbers import format_fi
from .rollup import area_structure, comparable_sum, council_terms, division_values
from .structure import COUNCIL, INCOME_STATEMENT, Kind, Structure

FloatArray = npt.NDArray[np.float64]
Levelled = tuple[Level, Table]


def _unit_word(col: Column) -> str:
    return "t€" if col.unit == 1000 else "€"


def where_of(table: Table, key: str) -> str | None:
    """The source row of a table's line, as text for the report (None when the line was not read)."""
    src = table.sources.get(key)
    return str(src) if src else None


def location_of(level: Level, table: Table, key: str | None, column: Column | Measure | None) -> Location:
    """Where a finding about line `key` of `table` points, with the row it was read from."""
    return Location(level, table.name, key, column, table.sources.get(key) if key else None)


def gap_finding(code: Code, level: Level, table: Table, key: str, col: Column, expected: float, actual: float,
                tol: float, what_expected: str, measure: Measure | None = None,
                column_label: str | None = None) -> Finding:
    """A printed figure against the arithmetic, in `col`'s unit; the column named `column_label` if given."""
    table_name, line_label = table.name, table.structure.labels[key]
    gap = actual - expected
    u = _unit_word(col)
    rounding = abs(gap) <= tol + 1e-9
    label = column_label or col.label
    head = f"{table_name}, {line_label}, {label}: painettu {format_fi(actual)} {u}, {what_expected} {format_fi(expected)} {u}"
    if rounding:
        msg = f"{head} (ero {format_fi(gap)} {u}, pyöristysero)."
    else:
        msg = (f"{head}: ero {format_fi(gap)} {u}, enemmän kuin pyöristys selittää "
               f"(enintään {format_fi(tol, 1)} {u}). Korjaa luku tai sen osat.")
    return Finding(Severity.INFO if rounding else Severity.ERROR, code, table_name, line_label, label,
                   expected, actual, gap, msg, where_of(table, key), rounding,
                   location=location_of(level, table, key, measure or col))


def financial_tables(review: Review, council: bool = False) -> list[Levelled]:
    """The tables with an income-statement or investment structure, each with its level; the council's last if asked."""
    out = [(level, t) for level, t in review.levelled() if level is not Level.COUNCIL]
    return out + ([(Level.COUNCIL, review.council)] if council and review.council is not None else [])


def zero(x: FloatArray) -> FloatArray:
    return np.where(np.isnan(x), 0.0, x)


def groups(tables: list[Levelled]) -> list[list[Levelled]]:
    """Tables that share a structure and columns, so one array operation serves them all."""
    out: dict[tuple[str, tuple[Column, ...]], list[Levelled]] = {}
    for lt in tables:
        out.setdefault((lt[1].structure.key, lt[1].columns), []).append(lt)
    return list(out.values())


# ---------------------------------------------------------------------------- checks


def identity_gaps(values: FloatArray, structure: Structure) -> tuple[FloatArray, FloatArray, FloatArray]:
    """For (…, lines, cols) printed figures: (expected totals, gaps, tolerance in units) per identity.

    A total that is not printed, or whose terms were none of them given, gives NaN (nothing
    to check); an absent term beside a given one counts as zero.
    """
    r = resolve(values, structure)
    coeff = structure.coefficient_matrix                      # identities × lines
    expected = np.einsum("il,...lc->...ic", coeff, zero(r.values))  # pragma: no mutate (letter case)
    printed = (~np.isnan(values)).astype(float)  # pragma: no mutate (equivalent: einsum of bools)
    printed_terms = np.einsum("il,...lc->...ic", np.abs(coeff), printed)  # pragma: no mutate (letter case)
    totals = values[..., structure.total_indices, :]
    gaps = np.where(r.derived[..., None], totals - expected, np.nan)
    tol = rounding_tolerance(printed_terms + 1)
    return expected, gaps, tol


def _identity_findings(tables: list[Levelled], values: FloatArray) -> list[Finding]:
    """`values`: (tables, lines, columns) printed figures of tables sharing one structure."""
    s = tables[0][1].structure
    expected, gaps, tol = identity_gaps(values, s)
    out: list[Finding] = []
    sums = {i: f"{ident.describe(s.labels).split(' = ')[1].lower()} =" for i, ident in enumerate(s.identities)}
    for t, i, c in zip(*np.nonzero(zero(gaps) != 0)):
        level, table = tables[t]
        ident = s.identities[i]
        out.append(gap_finding(
            Code.IDENTITY, level, table, ident.total, table.columns[c], float(expected[t, i, c]),
            float(values[t, s.index[ident.total], c]), float(tol[t, i, c]), sums[i]))
    return out


def check_identities(review: Review, settings: Settings) -> list[Finding]:
    """Every subtotal against its lines, in every column of every table."""
    out: list[Finding] = []
    for group in groups(financial_tables(review)):
        out.extend(_identity_findings(group, np.stack([t.values for _, t in group])))
    if review.council is not None:
        # The council table does not print valmistus omaan käyttöön; its NETTO includes it.
        council = review.council.values.copy()
        v = COUNCIL.index["valmistus_omaan_kayttoon"]
        division = division_values(review)[INCOME_STATEMENT.index["valmistus_omaan_kayttoon"]]
        if np.isnan(council[v]).all() and not np.isnan(division).all():
            council[v] = division
        out.extend(_identity_findings([(Level.COUNCIL, review.council)], council[None]))
    return out


def _sum_findings(code: Code, level: Level, total: Table, parts: list[Table], what: str) -> list[Finding]:
    """A printed total table against Σ parts (`rollup.comparable_sum`), on the lines every part and the total know."""
    s = total.structure
    expected, n_parts = comparable_sum(parts, s)
    tol = rounding_tolerance(n_parts + 1)
    gaps = total.values - expected
    out: list[Finding] = []
    for li, c in zip(*np.nonzero(zero(gaps) != 0)):
        line = s.lines[li]
        out.append(gap_finding(code, level, total, line.key, total.columns[c], float(expected[li, c]),
                               float(total.values[li, c]), float(tol[li, c]), what))
    # A detail line the parts have but the total omits, while the total lists its siblings: lost.
    omitted = resolve(total.values, s).known & np.isnan(total.values).all(axis=1)
    for li in np.nonzero(omitted & (zero(expected) != 0).any(axis=1))[0]:
        line = s.lines[li]
        if line.kind is not Kind.DETAIL:
            continue
        out.append(Finding(Severity.ERROR, code, total.name, line.label, None, None, None, None,
                           f"{total.name}: rivi '{line.label}' puuttuu, vaikka osissa sillä on lukuja "
                           f"({', '.join(format_fi(x) for x in expected[li])}).", None,
                           location=location_of(level, total, line.key, None)))
    return out


def check_division_sum(review: Review, settings: Settings) -> list[Finding]:
    """The division table = Σ service-area tables, line by line, column by column."""
    if review.division_table is None or not review.areas:
        return []
    return _sum_findings(Code.DIVISION_SUM, Level.DIVISION, review.division_table, review.areas,
                         "palvelualueiden summa")


def check_investment_sum(review: Review, settings: Settings) -> list[Finding]:
    """The division's investment table = Σ investment groups."""
    if review.investments_total is None or not review.investments:
        return []
    return _sum_findings(Code.INVESTMENT_SUM, Level.INVESTMENTS, review.investments_total, review.investments,
                         "ryhmien summa")


def check_council(review: Review, settings: Settings) -> list[Finding]:
    """TULOT / MENOT / NETTO of the council table against the division's income statement (`rollup.council_terms`)."""
    if review.council is None:
        return []
    division = division_values(review)
    source = "toimialan tuloslaskelman" if review.division_table is not None else "palvelualueiden summan"
    out: list[Finding] = []
    for key, term in council_terms(review.council.structure, area_structure(review)).items():
        ci = COUNCIL.index[key]
        for c, col in enumerate(review.council.columns):
            printed = review.council.values[ci, c]
            expected = term.coefficient * float(division[INCOME_STATEMENT.index[term.line], c])
            if np.isnan(printed) or np.isnan(expected):
                continue   # a council table without the division's figures is checked by its own identity
            if printed != expected:
                out.append(gap_finding(
                    Code.COUNCIL, Level.COUNCIL, review.council, key, col, expected, float(printed),
                    float(rounding_tolerance(2)), f"{source} {INCOME_STATEMENT.labels[term.line]} ="))
    return out


def _printed_derived_findings(tables: list[Levelled], settings: Settings) -> list[Finding]:
    """Printed Jäljellä and % of tables sharing one structure and columns, in one pass."""
    columns = tables[0][1].columns
    s = tables[0][1].structure
    roles = column_roles(columns)
    b_col, a_col = columns[roles.budget], columns[roles.actual]
    values = np.stack([t.values for _, t in tables])
    printed_rem = np.stack([t.printed_remaining for _, t in tables])
    printed_pct = np.stack([t.printed_pct for _, t in tables])
    budget = zero(values[:, :, roles.budget]) * b_col.unit
    actual = zero(values[:, :, roles.actual]) * a_col.unit
    out: list[Finding] = []
    rem_expected = (budget - actual) / b_col.unit
    rem_gap = printed_rem - rem_expected
    n_rem = (~np.isnan(values[:, :, [roles.budget, roles.actual]])).sum(axis=2) + 1
    for t, li in zip(*np.nonzero(zero(rem_gap) != 0)):
        level, table = tables[t]
        out.append(gap_finding(Code.REMAINING, level, table, s.lines[li].key, b_col, float(rem_expected[t, li]),
                               float(printed_rem[t, li]), float(rounding_tolerance(n_rem[t, li])),
                               "TA − TOT =", Measure.REMAINING, column_label="Jäljellä"))
    pct_expected = execution_pct(actual, budget, absolute=settings.pct_absolute, decimals=None)
    # Half of the printed precision, plus what rounding TOT and TA to whole units can move it.
    safe = np.where(budget != 0, budget, 1.0)  # pragma: no mutate (a zero budget's tolerance is masked)
    moved = np.where(budget != 0, 100 * (0.5 * a_col.unit / np.abs(safe) + 0.5 * b_col.unit * np.abs(actual) / safe**2), 0)
    pct_tol = 0.5 * 10.0 ** -settings.pct_decimals + moved
    pct_gap = printed_pct - pct_expected
    for t, li in zip(*np.nonzero(np.abs(zero(pct_gap)) > pct_tol + 1e-9)):
        (level, table), line = tables[t], s.lines[li]
        exp, act = float(pct_expected[t, li]), float(printed_pct[t, li])
        out.append(Finding(
            Severity.ERROR, Code.PCT, table.name, line.label, "%", round(exp, 4), act, round(act - exp, 4),
            f"{table.name}, {line.label}, %: painettu {format_fi(act, 2)}, TOT / TA × 100 = {format_fi(exp, 2)} "
            f"(ero {format_fi(act - exp, 2)} %-yksikköä). Korjaa prosentti.", where_of(table, line.key),
            location=location_of(level, table, line.key, Measure.PCT)))
    return out


def check_printed_remaining_and_pct(review: Review, settings: Settings) -> list[Finding]:
    """Printed Jäljellä against TA − TOT and printed % against TOT / TA × 100, every table."""
    out: list[Finding] = []
    for group in groups(financial_tables(review, council=True)):
        out.extend(_printed_derived_findings(group, settings))
    return out
