"""The review's arithmetic, pure and vectorised: subtotals, remaining, execution %, roll-ups, forecasts.

Every function takes arrays over a structure's line axis (and optionally a leading area
axis) and returns arrays; missing figures (NaN) count as zero, as a missing line does in
the published review.
"""

from __future__ import annotations

__all__ = [
    "ComputedTable",
    "Forecast",
    "Settings",
    "complete",
    "computed_table",
    "council_values",
    "execution_pct",
    "fill_subtotals",
    "forecast",
    "forecast_lines",
    "remaining",
    "rollup",
    "seasonal_share_is_sound",
]

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .model import Column, Table, column_roles
from .numbers import round_half_away
from .structure import COUNCIL, COUNCIL_FROM_INCOME, INCOME_STATEMENT, Kind, Structure

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


def complete(values: FloatArray, structure: Structure) -> FloatArray:
    """Details as given (NaN -> 0); every subtotal recomputed from its terms, printed ones ignored.

    Works on (lines, columns) or (areas, lines, columns).
    """
    out = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0).copy()
    for ident in structure.evaluation_order:
        idx = [structure.index[t] for t in ident.terms]
        out[..., structure.index[ident.total], :] = out[..., idx, :].sum(axis=-2)
    for line in structure.lines:
        if line.kind is Kind.HEADER:
            out[..., structure.index[line.key], :] = np.nan
    return out


def fill_subtotals(values: FloatArray, structure: Structure) -> FloatArray:
    """Figures as given; a subtotal that was not given is computed from its (given or computed) terms.

    This is the table a reader of the published review sees; `complete` instead recomputes
    every subtotal.
    """
    out = np.asarray(values, dtype=float).copy()
    for ident in structure.evaluation_order:
        t = structure.index[ident.total]
        idx = [structure.index[k] for k in ident.terms]
        part = out[..., idx, :]
        terms = np.where(np.isnan(part), 0.0, part).sum(axis=-2)
        out[..., t, :] = np.where(np.isnan(out[..., t, :]), terms, out[..., t, :])
    return out


def remaining(budget: npt.ArrayLike, actual: npt.ArrayLike) -> FloatArray:
    """Jäljellä = TA − TOT, sign kept; a missing figure counts as zero."""
    b = np.nan_to_num(np.asarray(budget, dtype=float))
    a = np.nan_to_num(np.asarray(actual, dtype=float))
    return b - a


def execution_pct(actual: npt.ArrayLike, budget: npt.ArrayLike, *, absolute: bool = False,
                  decimals: int | None = 1) -> FloatArray:
    """TOT / TA × 100; 0 where the budget is 0 (as the review prints it); rounded if `decimals`."""
    a = np.nan_to_num(np.asarray(actual, dtype=float))
    b = np.nan_to_num(np.asarray(budget, dtype=float))
    a, b = np.broadcast_arrays(a, b)
    pct = np.zeros(a.shape)
    np.divide(a, b, out=pct, where=b != 0)
    pct *= 100.0
    if absolute:
        np.abs(pct, out=pct)
    if decimals is not None:
        pct = round_half_away(pct, decimals)
    return pct + 0.0  # no negative zero


def rollup(values: FloatArray, structure: Structure) -> FloatArray:
    """The division = Σ areas, line by line, column by column: (areas, lines, cols) -> (lines, cols)."""
    return complete(np.nansum(np.asarray(values, dtype=float), axis=0), structure)


def council_values(income: FloatArray) -> FloatArray:
    """TULOT / valmistus / MENOT / NETTO from a completed income statement (lines, cols)."""
    out = np.zeros((len(COUNCIL.lines), income.shape[-1]))
    for key, src in COUNCIL_FROM_INCOME.items():
        out[COUNCIL.index[key]] = income[INCOME_STATEMENT.index[src]]
    return out


@dataclass(frozen=True)
class Forecast:
    """Year-end forecast per line in the actual column's unit, and how each line was forecast."""

    values: FloatArray
    method: npt.NDArray[np.str_]   # "linear", "seasonal" or "last_year_rest" per line


def forecast(completed: FloatArray, columns: tuple[Column, ...], structure: Structure,
             method: ForecastMethod = "seasonal", settings: Settings = Settings()) -> Forecast:
    """Year-end forecast of every line; subtotals are the sums of their lines' forecasts.

    linear:   TOT × 12 / months.
    seasonal: TOT / s, s = TOT prev period / TP prev (last year's share at the same point);
              where s is outside [min_share, max_share] or has the wrong sign, TOT plus last
              year's remainder (TP prev − TOT prev period); linear where there is no last year.
    """
    roles = column_roles(columns)
    act_col = columns[roles.actual]
    actual = completed[..., roles.actual]
    if method == "seasonal" and roles.prev_year is not None and roles.prev_period is not None:
        py, pp = columns[roles.prev_year], columns[roles.prev_period]
        # Last year's two columns in one unit (TP's), then scaled to the actual's unit.
        result, how = forecast_lines(actual, act_col.months, completed[..., roles.prev_year],
                                     completed[..., roles.prev_period] * pp.unit / py.unit,
                                     py.unit / act_col.unit, "seasonal", settings)
    else:
        result, how = forecast_lines(actual, act_col.months, None, None, 1.0, "linear", settings)
    # Subtotals: sum of their lines' forecasts, so the forecast table adds up.
    out = result.copy()
    for ident in structure.evaluation_order:
        idx = [structure.index[t] for t in ident.terms]
        out[..., structure.index[ident.total]] = out[..., idx].sum(axis=-1)
        how[..., structure.index[ident.total]] = "sum"
    return Forecast(out, how)


def forecast_lines(actual: FloatArray, months: float, prev_year: FloatArray | None, prev_part: FloatArray | None,
                   prev_scale: float = 1.0, method: ForecastMethod = "seasonal",
                   settings: Settings = Settings()) -> tuple[FloatArray, npt.NDArray[np.str_]]:
    """Year-end forecast of independent lines, and the method each got (see `forecast`).

    `prev_year` / `prev_part` are last year's TP and TOT of the same months in their printed
    units; `prev_scale` converts them to the actual's unit (1000 for 1000 € against €).
    """
    actual = np.asarray(actual, dtype=float)
    result = actual * 12.0 / months
    how = np.full(actual.shape, "linear", dtype="<U14")
    if method != "seasonal" or prev_year is None or prev_part is None:
        return result, how
    py_units, pp_units = np.asarray(prev_year, dtype=float), np.asarray(prev_part, dtype=float)
    py, pp = py_units * prev_scale, pp_units * prev_scale
    share, good = last_year_share(py_units, pp_units, settings)
    rest = (py != 0) & ~good
    with np.errstate(divide="ignore", invalid="ignore"):
        result = np.where(good, actual / np.where(good, share, 1.0), result)
    result = np.where(rest, actual + (py - pp), result)
    how = np.where(good, "seasonal", np.where(rest, "last_year_rest", how))
    return result, how


def last_year_share(prev_year_units: FloatArray, prev_part_units: FloatArray,
                    settings: Settings = Settings()) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Last year's share at the same point, TOT prev / TP prev (both in one unit), and where it is sound."""
    py = np.asarray(prev_year_units, dtype=float)
    pp = np.asarray(prev_part_units, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(py != 0, pp / np.where(py != 0, py, 1), np.nan)
        return share, seasonal_share_is_sound(share, pp, py, settings)


def seasonal_share_is_sound(share: FloatArray, prev_part_units: FloatArray, prev_year_units: FloatArray,
                            settings: Settings) -> npt.NDArray[np.bool_]:
    """Whether last year's share can be trusted: inside bounds and not blurred by rounding.

    Figures printed in whole units move by up to half a unit each, so the share
    pp/py can move by about s × (0.5/|pp| + 0.5/|py|): for -1/-5 (1000 €) that is ±0.12.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
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
    `recompute`; `fill` supplies figures of lines the table does not print.
    """
    roles = column_roles(table.columns)
    raw = table.values if fill is None else np.where(np.isnan(table.values), fill, table.values)
    values = complete(raw, table.structure) if recompute else np.nan_to_num(
        fill_subtotals(raw, table.structure), nan=0.0)
    for line in table.structure.lines:
        if line.kind is Kind.HEADER:
            values[table.structure.index[line.key]] = np.nan
    b = table.columns[roles.budget]
    a = table.columns[roles.actual]
    budget = values[:, roles.budget] * b.unit
    actual = values[:, roles.actual] * a.unit
    rem = remaining(budget, actual) / b.unit
    pct = execution_pct(actual, budget, absolute=settings.pct_absolute, decimals=settings.pct_decimals)
    fc = forecast(np.nan_to_num(values), table.columns, table.structure, settings.forecast_method, settings)
    present = table.present.copy()
    for ident in table.structure.identities:   # a subtotal shows when any of its terms does
        if present[[table.structure.index[t] for t in ident.terms]].any():
            present[table.structure.index[ident.total]] = True
    return ComputedTable(table, values, rem, pct, fc, present)


