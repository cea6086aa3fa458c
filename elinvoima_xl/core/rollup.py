"""One roll-up: the division is the sum of its areas, the council table comes from the division, the investment total is the sum of its groups.

The checks compare printed totals with it, the report shows it where a source printed none,
and the layout writes it as the summary's formulas: all three take the parts, the lines and
the signed coefficients from here.
"""

from __future__ import annotations

__all__ = [
    "Term",
    "area_structure",
    "comparable_sum",
    "computed_division",
    "council_terms",
    "council_values",
    "division_forecast",
    "division_terms",
    "division_values",
    "identity_totals",
    "investment_terms",
    "mixed_totals",
    "net_sign",
    "rollup",
]

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from .calc import ComputedTable, Forecast, Settings, computed_table, forecast, resolve
from .model import Column, Review, Table
from .structure import COUNCIL, COUNCIL_FROM_INCOME, INCOME_STATEMENT, SignConvention, Structure

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Term:
    """One term of a rolled-up line: `coefficient` × line `line` of the part named `part` ("" = the division)."""

    part: str
    line: str
    coefficient: float = 1.0


def division_terms(review: Review, key: str) -> tuple[Term, ...]:
    """A line of the division: the same line of every area, added."""
    return tuple(Term(a.name, key) for a in review.areas)


def investment_terms(review: Review, key: str) -> tuple[Term, ...]:
    """A line of the investment total: the same line of every group, added."""
    return tuple(Term(g.name, key) for g in review.investments)


def net_sign(structure: Structure) -> float:
    """+1 where the structure's net is printed as tuotot − kulut, −1 where as a net cost.

    Read from the identities in force (`SignConvention.apply`): the net's first term is the
    revenue (Toimintatuotot, TULOT), + in a margin and − in a net cost.
    """
    ident = next(i for i in structure.identities if i.total == structure.net)
    return 1.0 if ident.coefficients[0] > 0 else -1.0


def council_terms(council: Structure = COUNCIL, income: Structure = INCOME_STATEMENT) -> dict[str, Term]:
    """Each council line from one line of the division: NETTO is TOIMINTAKATE, turned over when one
    of them is printed as a net cost and the other as a margin (the structures in their convention)."""
    turn = net_sign(council) != net_sign(income)
    return {key: Term("", src, -1.0 if turn and key == "netto" else 1.0) for key, src in COUNCIL_FROM_INCOME.items()}


def council_values(income: FloatArray, convention: SignConvention | None = None) -> FloatArray:
    """TULOT / valmistus / MENOT / NETTO from a completed income statement (lines, cols)."""
    conv = convention or SignConvention()
    terms = council_terms(conv.apply(COUNCIL), conv.apply(INCOME_STATEMENT))
    out = np.zeros((len(COUNCIL.lines), income.shape[-1]))
    for key, term in terms.items():
        figures = income[INCOME_STATEMENT.index[term.line]]
        out[COUNCIL.index[key]] = -figures if term.coefficient < 0 else figures
    return out


def rollup(values: FloatArray, structure: Structure) -> FloatArray:
    """The division = Σ areas, line by line, column by column: (areas, lines, cols) -> (lines, cols).

    Each area is completed first, so an area that gives only its subtotals still counts in
    them; a line no area knows is NaN. This is the table the summary shows.
    """
    r = resolve(np.asarray(values, dtype=float), structure, recompute=True)  # pragma: no mutate (resolve casts)
    summed = np.nansum(r.values, axis=0)
    return np.where(np.asarray(r.known.any(axis=0))[:, None], summed, np.nan)


def identity_totals(stack: FloatArray, structure: Structure) -> set[str]:
    """Subtotals the roll-up writes as their identity over its own lines: those every part derives from its
    lines (`calc.resolve`); any other is the sum of the parts' own figures of it. With no parts, all of them."""
    derived = resolve(stack, structure).derived.reshape(-1, len(structure.identities))   # (parts, identities)
    return {ident.total for ident, every in zip(structure.identities, np.asarray(derived.all(axis=0)).tolist()) if every}


def mixed_totals(stack: FloatArray, structure: Structure) -> set[str]:
    """Subtotals that some areas derive from their lines and others give as data alone (a mixed division)."""
    if stack.shape[0] == 0:
        return set()
    derived = resolve(stack, structure).derived          # (areas, identities)
    flags = (np.asarray(derived.any(axis=0)) & ~np.asarray(derived.all(axis=0))).tolist()
    return {ident.total for ident, mixed in zip(structure.identities, flags) if mixed}


def division_forecast(stack: FloatArray, columns: tuple[Column, ...], structure: Structure,
                      settings: Settings = Settings()) -> Forecast:
    """The division's year-end forecast: each line forecast from the division's summed figures, its
    subtotals the sums of their lines' forecasts; but a subtotal of a mixed division (`mixed_totals`) is
    Σ the areas' forecasts of it, since an area that gives it without its lines forecasts it from its own
    figures, and the subtotals above it sum their terms again."""
    base = forecast(resolve(rollup(stack, structure), structure).values, columns, structure, settings)
    mixed = mixed_totals(stack, structure)
    if not mixed:
        return base
    areas = forecast(resolve(stack, structure).values, columns, structure, settings).values   # (areas, lines)
    out, how = base.values.copy(), base.method.copy()
    for ident in structure.evaluation_order:
        t = structure.index[ident.total]
        if ident.total in mixed:
            out[t], how[t] = np.nansum(areas[:, t]), "sum"
        elif how[t] == "sum":
            out[t] = (np.asarray(ident.coefficients) * out[[structure.index[k] for k in ident.terms]]).sum()
    return Forecast(out, how)


def computed_division(review: Review, structure: Structure, settings: Settings = Settings()) -> ComputedTable:
    """The division's table as the sum of its areas (`rollup`), with Jäljellä, % and `division_forecast`."""
    stack = (np.stack([t.values for t in review.areas]) if review.areas
             else np.full((0, len(structure.lines), len(review.columns)), np.nan))
    division = Table.empty(review.division, structure, review.columns)
    division.values = rollup(stack, structure)
    for li, line in enumerate(structure.lines):   # the lines the areas give, as the division's own
        if not np.isnan(division.values[li]).all():
            division.labels[line.key] = line.label
    ct = computed_table(division, settings)
    if not mixed_totals(stack, structure):
        return ct
    fc = division_forecast(stack, review.columns, structure, settings)
    return replace(ct, forecast=Forecast(np.nan_to_num(fc.values, nan=0.0), fc.method))


def comparable_sum(parts: list[Table], structure: Structure) -> tuple[FloatArray, npt.NDArray[np.int_]]:
    """Σ parts to compare with a printed total: only on lines every part gives (else NaN), and how many
    figures were printed per line and column (for the rounding tolerance)."""
    stack = np.stack([p.values for p in parts])
    r = resolve(stack, structure)
    summed = np.where(np.asarray(r.known.all(axis=0))[:, None], np.nansum(r.values, axis=0), np.nan)
    return summed, (~np.isnan(stack)).sum(axis=0)


def area_structure(review: Review) -> Structure:
    """The structure (in the review's convention) the areas and the division share."""
    if review.areas:
        return review.areas[0].structure
    return review.division_table.structure if review.division_table is not None else INCOME_STATEMENT


def division_values(review: Review) -> FloatArray:
    """The division's table for the checks: as printed where printed, else Σ areas; NaN where neither tells."""
    structure = area_structure(review)
    if review.areas:
        summed = comparable_sum(review.areas, structure)[0]
    else:
        summed = np.full((len(structure.lines), len(review.columns)), np.nan)
    if review.division_table is None:
        return summed
    printed = resolve(review.division_table.values, review.division_table.structure).values
    return np.where(np.isnan(printed), summed, printed)
