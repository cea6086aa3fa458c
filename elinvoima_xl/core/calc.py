"""The review's arithmetic, pure and vectorised: subtotals, remaining, execution %, forecasts, the sign convention.

Every function takes arrays over a structure's line axis (and optionally a leading area
axis) and returns arrays. Absent is not zero (`resolve`): a line a table lists is a figure
(an empty cell in it is zero); a line it does not list is zero only where the table lists
another line of the same identity (published tables omit zero lines), and otherwise
unknown (NaN), so a subtotal printed without its detail lines is data, not a sum of zeros.
"""

from __future__ import annotations

__all__ = [
    "ComputedTable",
    "Forecast",
    "Resolved",
    "Settings",
    "apply_convention",
    "complete",
    "convention_for",
    "describe_convention",
    "detect_convention",
    "computed_table",
    "execution_pct",
    "fill_subtotals",
    "forecast",
    "forecast_lines",
    "last_year_share",
    "remaining",
    "resolve",
    "seasonal_share_is_sound",
]

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .model import Column, Review, Table, column_roles
from .numbers import round_half_away
from .structure import INCOME_STATEMENT, INVESTMENT, Block, Kind, SignConvention, Structure

FloatArray = npt.NDArray[np.float64]
ForecastMethod = Literal["linear", "seasonal"]


@dataclass(frozen=True)
class Settings:
    """Conventions that differ between municipalities; the defaults follow the Heinola review."""

    pct_absolute: bool = False          # print TOT/TA as a positive share (some towns do)
    pct_decimals: int = 1               # the review rounds to one decimal, prints "38,20"
    forecast_method: ForecastMethod = "seasonal"
    # Seasonal share TOT prev 6 kk / TP prev is trusted only inside these bounds; outside
    # them (a line invoiced once a year, a sign flip) the rest of the year is taken as last
    # year's second half instead of dividing by a share near zero.
    min_share: float = 0.1
    max_share: float = 1.0
    # ... and only while rounding last year's figures (to 1000 €) cannot move it by more.
    max_share_uncertainty: float = 0.05
    far_over_points: float = 25.0       # a line this many %-points above its expected share is flagged
    min_amount: float = 1000.0          # plausibility findings below this many € are not worth a line
    # None: detected from the figures (or the data's own setting); True/False: given by the user.
    expenses_positive: bool | None = None


@dataclass(frozen=True)
class Resolved:
    """A table's figures with absent lines settled (see the module docstring).

    `values` (…, lines, columns): NaN only where a figure is unknown. `known` (…, lines):
    the line has figures, given or derived. `derived` (…, identities, in the structure's
    order): the identity's terms were given (at least one of them), so its total follows from
    them; where False the total, if printed, is data of its own and cannot be checked.
    """

    values: FloatArray
    known: npt.NDArray[np.bool_]
    derived: npt.NDArray[np.bool_]


def resolve(values: FloatArray, structure: Structure, recompute: bool = False) -> Resolved:
    """Settle absent figures: listed lines' empty cells are 0; unlisted lines are 0 beside a listed sibling.

    A subtotal that was not given is computed from its terms where any term is known; with
    `recompute` every such subtotal is recomputed (a printed one replaced). A subtotal whose
    terms are all unknown keeps its printed figure (a summary-level table). Works on
    (lines, columns) or (tables, lines, columns).
    """
    v = np.asarray(values, dtype=float)  # pragma: no mutate (equivalent: NaN needs floats in already)
    known = ~np.isnan(v).all(axis=-1)
    out = np.where(known[..., None], np.nan_to_num(v, nan=0.0), np.nan)  # pragma: no mutate (nan=0 is the default)
    derived = np.zeros(v.shape[:-2] + (len(structure.identities),), dtype=bool)  # pragma: no mutate
    position = {id(ident): i for i, ident in enumerate(structure.identities)}
    for ident in structure.evaluation_order:
        t = structure.index[ident.total]
        idx = [structure.index[k] for k in ident.terms]
        has_terms = known[..., idx].any(axis=-1)
        derived[..., position[id(ident)]] = has_terms
        # The table omits zero lines: an absent sibling of a listed line is zero.
        fill = has_terms[..., None] & ~known[..., idx]
        out[..., idx, :] = np.where(fill[..., None], 0.0, out[..., idx, :])
        known[..., idx] = has_terms[..., None]     # all of them known, or (as before) none
        coef = np.asarray(ident.coefficients)
        total = (coef[:, None] * out[..., idx, :]).sum(axis=-2)   # (same summation order as a plain sum)
        replace_it = has_terms if recompute else has_terms & ~known[..., t]
        out[..., t, :] = np.where(replace_it[..., None], total, out[..., t, :])
        known[..., t] |= has_terms
    for line in structure.lines:
        if line.kind is Kind.HEADER:
            out[..., structure.index[line.key], :] = np.nan  # pragma: no mutate (None is NaN in a float array)
    return Resolved(out, known, derived)


def complete(values: FloatArray, structure: Structure) -> FloatArray:
    """Every subtotal recomputed from its terms (printed ones ignored) where its terms are given.

    A subtotal printed without any of its lines is kept as printed; unknown figures are 0
    here (headers NaN). Works on (lines, columns) or (areas, lines, columns).
    """
    r = resolve(values, structure, recompute=True)
    out = np.nan_to_num(r.values, nan=0.0)
    for line in structure.lines:
        if line.kind is Kind.HEADER:
            out[..., structure.index[line.key], :] = np.nan
    return out


def fill_subtotals(values: FloatArray, structure: Structure) -> FloatArray:
    """Figures as given; a subtotal that was not given is computed from its (given or computed) terms.

    This is the table a reader of the published review sees; `complete` instead recomputes
    every subtotal. Unknown figures stay NaN (`resolve`).
    """
    return resolve(values, structure).values


def remaining(budget: npt.ArrayLike, actual: npt.ArrayLike) -> FloatArray:
    """Jäljellä = TA − TOT, sign kept; a missing figure counts as zero."""
    b = np.nan_to_num(np.asarray(budget, dtype=float))  # pragma: no mutate (equivalent: int in, same difference)
    a = np.nan_to_num(np.asarray(actual, dtype=float))  # pragma: no mutate
    return b - a


def execution_pct(actual: npt.ArrayLike, budget: npt.ArrayLike, *, absolute: bool = False,
                  decimals: int | None = 1) -> FloatArray:
    """TOT / TA × 100; 0 where the budget is 0 (as the review prints it); rounded if `decimals`."""
    a = np.nan_to_num(np.asarray(actual, dtype=float))  # pragma: no mutate (equivalent: the division makes floats)
    b = np.nan_to_num(np.asarray(budget, dtype=float))  # pragma: no mutate
    a, b = np.broadcast_arrays(a, b)
    pct = np.zeros(a.shape)
    np.divide(a, b, out=pct, where=b != 0)
    pct *= 100.0
    if absolute:
        np.abs(pct, out=pct)
    if decimals is not None:
        pct = round_half_away(pct, decimals)
    return pct + 0.0  # no negative zero


@dataclass(frozen=True)
class Forecast:
    """Year-end forecast per line in the actual column's unit, and how each line was forecast."""

    values: FloatArray
    method: npt.NDArray[np.str_]   # "linear", "seasonal" or "last_year_rest" per line


def forecast(completed: FloatArray, columns: tuple[Column, ...], structure: Structure,
             settings: Settings = Settings()) -> Forecast:
    """Year-end forecast of every line by `settings.forecast_method`; subtotals are the sums of their lines' forecasts.

    linear:   TOT × 12 / months.
    seasonal: TOT / s, s = TOT prev period / TP prev (last year's share at the same point);
              where s is outside [min_share, max_share] or has the wrong sign, TOT plus last
              year's remainder (TP prev − TOT prev period); linear where there is no last year.
    """
    roles = column_roles(columns)
    act_col = columns[roles.actual]
    completed = np.asarray(completed, dtype=float)  # pragma: no mutate (equivalent: figures are floats)
    actual = completed[..., roles.actual]
    if settings.forecast_method == "seasonal" and roles.prev_year is not None and roles.prev_period is not None:
        py, pp = columns[roles.prev_year], columns[roles.prev_period]
        # Last year's two columns in one unit (TP's), then scaled to the actual's unit.
        result, how = forecast_lines(actual, act_col.months, completed[..., roles.prev_year],
                                     completed[..., roles.prev_period] * pp.unit / py.unit,
                                     py.unit / act_col.unit, settings)
    else:
        result, how = forecast_lines(actual, act_col.months, None, None)
    # Subtotals: sum of their lines' forecasts, so the forecast table adds up; a subtotal given
    # without its lines (NaN in `completed`) is forecast from its own figures.
    known = np.asarray(~np.isnan(completed).all(axis=-1))
    out = result   # NaN where a line is unknown; a subtotal's terms are known where it is summed
    for ident in structure.evaluation_order:
        idx = [structure.index[t] for t in ident.terms]
        t = structure.index[ident.total]
        has_terms = known[..., idx].any(axis=-1)
        total = (np.asarray(ident.coefficients) * out[..., idx]).sum(axis=-1)
        out[..., t] = np.where(has_terms, total, out[..., t])
        how[..., t] = np.where(has_terms, "sum", how[..., t])
        known[..., t] |= has_terms
    return Forecast(out, how)


def forecast_lines(actual: FloatArray, months: float, prev_year: FloatArray | None, prev_part: FloatArray | None,
                   prev_scale: float = 1.0, settings: Settings = Settings()) -> tuple[FloatArray, npt.NDArray[np.str_]]:
    """Year-end forecast of independent lines by `settings.forecast_method`, and the method each got (see `forecast`).

    `prev_year` / `prev_part` are last year's TP and TOT of the same months in their printed
    units; `prev_scale` converts them to the actual's unit (1000 for 1000 € against €). Without
    them the forecast is linear whatever the method.
    """
    actual = np.asarray(actual, dtype=float)  # pragma: no mutate (equivalent: the division makes floats)
    result = actual * 12.0 / months
    how = np.full(actual.shape, "linear", dtype="<U14")  # pragma: no mutate (long enough for every method)
    if settings.forecast_method != "seasonal" or prev_year is None or prev_part is None:
        return result, how
    py_units, pp_units = np.asarray(prev_year, dtype=float), np.asarray(prev_part, dtype=float)  # pragma: no mutate
    py, pp = py_units * prev_scale, pp_units * prev_scale
    share, good = last_year_share(py_units, pp_units, settings)
    rest = (py != 0) & ~good
    with np.errstate(divide="ignore", invalid="ignore"):  # pragma: no mutate (warnings only)
        result = np.where(good, actual / np.where(good, share, 1.0), result)  # pragma: no mutate (divisor masked)
    result = np.where(rest, actual + (py - pp), result)
    how = np.where(good, "seasonal", np.where(rest, "last_year_rest", how))
    return result, how


def last_year_share(prev_year_units: FloatArray, prev_part_units: FloatArray,
                    settings: Settings = Settings()) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Last year's share at the same point, TOT prev / TP prev (both in one unit), and where it is sound."""
    py = np.asarray(prev_year_units, dtype=float)  # pragma: no mutate (equivalent: the division makes floats)
    pp = np.asarray(prev_part_units, dtype=float)  # pragma: no mutate
    with np.errstate(divide="ignore", invalid="ignore"):  # pragma: no mutate (warnings only)
        share = np.where(py != 0, pp / np.where(py != 0, py, 1), np.nan)  # pragma: no mutate (divisor masked)
        return share, seasonal_share_is_sound(share, pp, py, settings)


def seasonal_share_is_sound(share: FloatArray, prev_part_units: FloatArray, prev_year_units: FloatArray,
                            settings: Settings) -> npt.NDArray[np.bool_]:
    """Whether last year's share can be trusted: inside bounds and not blurred by rounding.

    Figures printed in whole units move by up to half a unit each, so the share
    pp/py can move by about s × (0.5/|pp| + 0.5/|py|): for -1/-5 (1000 €) that is ±0.12.
    """
    with np.errstate(divide="ignore", invalid="ignore"):  # pragma: no mutate (warnings only)
        blur = np.abs(share) * (0.5 / np.abs(prev_part_units) + 0.5 / np.abs(prev_year_units))
    return ((share >= settings.min_share) & (share <= settings.max_share)
            & (blur <= settings.max_share_uncertainty))


@dataclass(frozen=True)
class ComputedTable:
    """A table with everything the review shows or derives: completed figures, Jäljellä, %, forecast."""

    table: Table
    values: FloatArray        # completed (subtotals recomputed), lines × columns
    remaining: FloatArray     # per line, unit of the budget column
    pct: FloatArray
    forecast: Forecast
    present: npt.NDArray[np.bool_]


def computed_table(table: Table, settings: Settings = Settings(), fill: FloatArray | None = None,
                   recompute: bool = False) -> ComputedTable:
    """A table's figures with Jäljellä, % and forecast computed.

    Printed subtotals are kept as printed (as the review's reader sees them) unless
    `recompute`; `fill` supplies figures of lines the table does not print. A line whose
    figures are unknown (`resolve`) is 0 in `values` and not `present`.
    """
    roles = column_roles(table.columns)
    raw = table.values if fill is None else np.where(np.isnan(table.values), fill, table.values)
    resolved = resolve(raw, table.structure, recompute=recompute)
    values = np.nan_to_num(resolved.values, nan=0.0)
    for line in table.structure.lines:
        if line.kind is Kind.HEADER:
            values[table.structure.index[line.key]] = np.nan
    b = table.columns[roles.budget]
    a = table.columns[roles.actual]
    budget = values[:, roles.budget] * b.unit
    actual = values[:, roles.actual] * a.unit
    rem = remaining(budget, actual) / b.unit
    pct = execution_pct(actual, budget, absolute=settings.pct_absolute, decimals=settings.pct_decimals)
    fc = forecast(resolved.values, table.columns, table.structure, settings)
    fc = Forecast(np.nan_to_num(fc.values, nan=0.0), fc.method)
    present = table.present.copy()
    for ident in table.structure.identities:   # a subtotal shows when any of its terms does
        if present[[table.structure.index[t] for t in ident.terms]].any():
            present[table.structure.index[ident.total]] = True
    return ComputedTable(table, values, rem, pct, fc, present)


# ---------------------------------------------------------------------------- sign convention


def apply_convention(review: Review, convention: SignConvention) -> Review:
    """The review with every table's identities in `convention` (figures untouched, shared)."""
    from dataclasses import replace as _replace

    def conv(t: Table) -> Table:
        return _replace(t, structure=convention.apply(t.structure))

    return _replace(
        review, areas=[conv(t) for t in review.areas],
        division_table=conv(review.division_table) if review.division_table is not None else None,
        council=conv(review.council) if review.council is not None else None,
        investments=[conv(t) for t in review.investments],
        investments_total=conv(review.investments_total) if review.investments_total is not None else None,
    )


_HYPOTHESES = (
    SignConvention(False, False, False), SignConvention(True, False, True), SignConvention(True, False, False),
    SignConvention(True, True, True), SignConvention(False, True, True),
)


def _tables(review: Review) -> list[Table]:
    out = [t for t in (review.division_table, review.council, review.investments_total) if t is not None]
    return out + list(review.areas) + list(review.investments)


_Evidence = list[tuple[Structure, FloatArray, FloatArray]]


def _net_evidence(tables: list[Table]) -> _Evidence:
    """Tables with a net, stacked per structure and columns: (structure, values (T, L, C), units (C))."""
    groups: dict[tuple[str, tuple[Column, ...]], list[Table]] = {}
    for t in tables:
        if t.structure.net is not None:
            groups.setdefault((t.structure.key, t.columns), []).append(t)
    return [(g[0].structure, np.stack([t.values for t in g]), np.array([c.unit for c in g[0].columns], dtype=float))
            for g in groups.values()]


def _net_misfit(evidence: _Evidence, convention: SignConvention) -> tuple[float, int]:
    """Σ |gap| (in euros) of the nets' identities under `convention`, and how many figures decided it."""
    misfit, n = 0.0, 0
    for structure, values, units in evidence:
        s = convention.apply(structure)
        ident = next(i for i in s.identities if i.total == s.net)
        total = values[:, s.index[ident.total]]                       # (T, C)
        terms = values[:, [s.index[k] for k in ident.terms]]          # (T, k, C)
        # The net decides only where a revenue and an expense figure meet it (both non-zero).
        both = ~np.isnan(total) & ((np.nan_to_num(terms) != 0).sum(axis=1) >= 2)
        coef = np.asarray(ident.coefficients)
        gap = np.einsum("k,tkc->tc", coef, np.nan_to_num(terms)) - np.nan_to_num(total)  # pragma: no mutate (case)
        misfit += float(np.abs(gap * units)[both].sum())
        n += int(both.sum())
    return misfit, n


def detect_convention(review: Review) -> SignConvention:
    """The sign convention the figures follow: the one under which the nets add up best.

    Where no net decides it (no table prints a net beside both its revenue and expenses),
    the sign of the expense figures does (most of them positive: expenses positive).
    """
    tables = _tables(review)
    evidence = _net_evidence(tables)
    scores = [(_net_misfit(evidence, h), i, h) for i, h in enumerate(_HYPOTHESES)]
    decided = [(m, i, h) for (m, n), i, h in scores if n > 0]
    if decided:
        best = min(decided)[2]    # least misfit; on a tie the earlier hypothesis (i is unique)
        return SignConvention(best.expenses_positive, best.margin_as_cost, best.netto_as_cost,
                              "tunnistettu nettojen summista")
    signs: list[float] = []
    for t in tables:
        for ln in t.structure.lines:
            if ln.block is Block.EXPENSE and ln.kind is not Kind.HEADER:
                row = t.values[t.structure.index[ln.key]]
                signs.extend(np.sign(row[~np.isnan(row) & (row != 0)]).tolist())
    positive = bool(signs) and sum(signs) > 0
    if positive:
        return SignConvention(True, False, True, "tunnistettu kulujen etumerkistä")
    return SignConvention(source="oletus (kulut negatiivisina)" if not signs else "tunnistettu kulujen etumerkistä")


def convention_for(review: Review, settings: Settings = Settings()) -> SignConvention:
    """The convention in force: the user's option, else the data's own setting, else detected.

    An option or setting fixes the expenses' sign; how the nets are printed still follows
    the figures.
    """
    if settings.expenses_positive is not None:
        fixed: bool = settings.expenses_positive
        source = "valinta --expenses-positive" if fixed else "valinta --expenses-negative"
    elif review.sign is not None:
        fixed, source = review.sign.expenses_positive, review.sign.source
    else:
        return detect_convention(review)
    evidence = _net_evidence(_tables(review))
    candidates = [h for h in _HYPOTHESES if h.expenses_positive == fixed]
    scored = [(_net_misfit(evidence, h), i, h) for i, h in enumerate(candidates)]
    decided = [(m, i, h) for (m, n), i, h in scored if n > 0]
    best = min(decided)[2] if decided else candidates[0]
    return SignConvention(best.expenses_positive, best.margin_as_cost, best.netto_as_cost, source)


def describe_convention(convention: SignConvention) -> str:
    """One Finnish line for `show` and `check`: which signs the figures are read in, and why."""
    sign = "positiivisina" if convention.expenses_positive else "negatiivisina"
    nets = []
    for structure in (INCOME_STATEMENT, INVESTMENT):
        s = convention.apply(structure)
        ident = next(i for i in s.identities if i.total == s.net)
        nets.append(ident.describe(s.labels))
    return f"Etumerkit: kulut {sign}; {nets[0]}; {nets[1]} ({convention.source})."
