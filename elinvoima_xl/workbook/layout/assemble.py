"""The whole team workbook as one layout: area sheets, the summary, the checks and the input sheets, in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from ...core.calc import (
    Settings,
    apply_convention,
    computed_table,
    convention_for,
)
from ...core.findings import Finding
from ...core.errors import ElinvoimaError
from ...core.model import Level, Review, Table
from ...core.names import chart_title, quote_sheet, sheet_name
from ...core.rollup import (
    Term,
    computed_division,
    council_terms,
    council_values,
    division_terms,
    identity_totals,
    investment_terms,
    mixed_totals,
    rollup,
)
from ...core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Kind
from ...ooxml.cells import cell_ref
from .input_sheets import conf_sheet, goals_sheet, kpi_sheet, risks_sheet, data_sheet_layout
from .locate import checks_sheet, Locator
from .tables import (
    Grid,
    _signed_sum,
    sheet_frame,
    table_rows,
)
from .values import (
    CHECKS_SHEET,
    CONF_SHEET,
    DATA_SHEET,
    INPUT_SHEETS,
    MAX_FORMULA,
    SUMMARY_SHEET,
    TEAM_SHEETS,
    Chart,
    DataMap,
    SheetLayout,
    WorkbookLayout,
    style,
)


def area_sheet_names(review: Review, reserved: Sequence[str] = ()) -> dict[str, str]:
    """Area name -> its sheet's name (valid, unique ignoring case, never one of the fixed sheets nor
    one of `reserved`: the team's own sheets in the workbook)."""
    taken = {n.casefold() for n in (SUMMARY_SHEET, CHECKS_SHEET, CONF_SHEET, *INPUT_SHEETS, *TEAM_SHEETS, *reserved)}
    return {t.name: sheet_name(t.name, taken) for t in review.areas}


def sheet_names(review: Review, with_inputs: bool = True) -> list[str]:
    """The sheets `workbook_layout` makes, in workbook order."""
    inputs = list(INPUT_SHEETS) if with_inputs else []
    return [SUMMARY_SHEET, *area_sheet_names(review).values(), CHECKS_SHEET, *inputs, CONF_SHEET]


def workbook_layout(review: Review, findings: list[Finding], settings: Settings = Settings(),
                    data_map: DataMap | None = None, reserved: Sequence[str] = ()) -> WorkbookLayout:
    """Every sheet of the team's workbook for `review`; `data_map` places figures on the data sheet.

    Without `data_map` the data sheet is written from the review (a new workbook); with one,
    the team's existing data sheet is referenced where it is (rebuild). Subtotal formulas follow
    the core: signed as the review's convention (`calc.convention_for`), and a subtotal given
    without its lines refers to its figure in Tiedot (`calc.resolve`).
    """
    # The identities in the review's sign convention (figures untouched): formulas follow the core.
    conv = convention_for(review, settings)
    review = apply_convention(review, conv)
    income, council_s, invest = conv.apply(INCOME_STATEMENT), conv.apply(COUNCIL), conv.apply(INVESTMENT)
    dmap = data_map or DataMap.as_written(review)
    grid = Grid(review.columns)
    roles = grid.roles
    area_sheets = area_sheet_names(review, reserved)
    locate = Locator(review, dmap, area_sheets, grid)
    marks, area_fills = locate.marks(findings)

    def data_figure(level: Level, table: Table) -> Callable[[str, int], tuple[str | None, float]]:
        def figure(key: str, j: int) -> tuple[str | None, float]:
            row = dmap.rows.get((level, table.name.casefold(), key))
            value = table.values[table.structure.index[key], j]
            if row is None:
                return None, 0.0
            return f"={quote_sheet(DATA_SHEET)}!{cell_ref(row, dmap.columns[j])}", value
        return figure

    sheets: list[SheetLayout] = []
    # Division summary: every line the sum of the area sheets.
    summary = SheetLayout(SUMMARY_SHEET, owned=True, tab_color="1F4E78")
    sheet_frame(summary, review.division, f"{review.title} – yhteenveto palvelualueista", grid, "")
    # Absent stays absent (`calc.resolve`): an area that gives only its subtotals counts in them.
    stack = (np.stack([t.values for t in review.areas]) if review.areas
             else np.full((0, len(INCOME_STATEMENT.lines), len(review.columns)), np.nan))
    div_ct = computed_division(review, income, settings)
    # A division subtotal is its identity where every area derives it; else the sum of the areas' cells.
    div_identity = identity_totals(stack, income)
    area_cts = [computed_table(t, settings, recompute=True) for t in review.areas]
    present_any = np.zeros(len(INCOME_STATEMENT.lines), dtype=bool)
    for ct in area_cts:
        present_any |= ct.present
    area_present = {k: bool(present_any[INCOME_STATEMENT.index[k]]) for k in INCOME_STATEMENT.keys}
    row_of: dict[str, int] = {}

    def rolled(terms: tuple[Term, ...], ref: Callable[[Term], str]) -> str:
        """A rolled-up line as a formula: the signed sum of its terms' cells (`core.rollup`)."""
        return _signed_sum([ref(t) for t in terms], [t.coefficient for t in terms])

    def summed(key: str, j: int) -> tuple[str | None, float]:
        formula = rolled(division_terms(review, key),
                         lambda t: f"{quote_sheet(area_sheets[t.part])}!{cell_ref(row_of[t.line], grid.figure(j))}")
        if len(formula) > MAX_FORMULA:
            raise ElinvoimaError(
                f"yhteenvedon kaava olisi {len(formula)} merkkiä, Excel sallii {MAX_FORMULA}: palvelualueita on "
                f"{len(review.areas)}. Lyhennä palvelualueiden nimiä Tiedot-välilehdellä.")
        return formula, div_ct.values[INCOME_STATEMENT.index[key], j]

    row_of.update({line.key: 4 + i for i, line in enumerate(INCOME_STATEMENT.lines)})
    # A subtotal of a mixed division: its Ennuste is Σ the areas' Ennuste cells (`rollup.division_forecast`).
    mixed_forecasts = {key: rolled(division_terms(review, key), lambda t: (
        f"{quote_sheet(area_sheets[t.part])}!{cell_ref(row_of[t.line], grid.forecast)}"))
        for key in sorted(mixed_totals(stack, income))}
    table_rows(summary, 4, INCOME_STATEMENT, grid, div_ct, summed, settings,
                lambda k: area_present.get(k, False) or INCOME_STATEMENT.line(k).kind is not Kind.DETAIL,
                identity=div_identity, forecast_formulas=mixed_forecasts)
    # Council table: TULOT / MENOT / NETTO from the summary's lines.
    top = 4 + len(INCOME_STATEMENT.lines) + 2
    summary.put(top - 1, 0, "VALTUUSTON HYVÄKSYMÄ TALOUSARVIO", style=style(bold=True))
    council_figure: Callable[[str, int], tuple[str | None, float]]
    if review.areas or review.council is None:
        council = Table.empty(review.division, council_s, review.columns)
        council.values = council_values(div_ct.values, conv)
        council_ct = computed_table(council, settings, recompute=True)

        terms = council_terms(council_s, income)

        def from_summary(key: str, j: int) -> tuple[str | None, float]:
            return rolled((terms[key],), lambda t: cell_ref(row_of[t.line], grid.figure(j))), council.value(key, j)

        council_figure = from_summary
    else:   # a council table without areas: its figures from the data sheet
        council_ct = computed_table(review.council, settings, recompute=True)
        council_figure = data_figure(Level.COUNCIL, review.council)
    table_rows(summary, top, COUNCIL, grid, council_ct, council_figure, settings,
                lambda k: k != "valmistus_omaan_kayttoon", with_forecast=False)
    # Investments: each group from the data sheet, the total as their sum.
    top += len(COUNCIL.lines) + 2
    if review.investments:
        summary.put(top - 1, 0, "INVESTOINNIT", style=style(bold=True))
        group_rows: dict[str, dict[str, int]] = {}
        for t in review.investments:
            summary.put(top, 0, t.name, style=style(bold=True, italic=True))
            rows = table_rows(summary, top + 1, INVESTMENT, grid, computed_table(t, settings, recompute=True),
                               data_figure(Level.INVESTMENT, t), settings, lambda k: True, with_forecast=False)
            group_rows[t.name] = rows
            top += len(INVESTMENT.lines) + 2
        total = Table.empty("Investoinnit yhteensä", invest, review.columns)
        groups = np.stack([t.values for t in review.investments])
        total.values = rollup(groups, invest)
        summary.put(top, 0, "Investoinnit yhteensä", style=style(bold=True, italic=True))

        def group_sum(key: str, j: int) -> tuple[str | None, float]:
            return (rolled(investment_terms(review, key), lambda t: cell_ref(group_rows[t.part][t.line], grid.figure(j))),
                    total.value(key, j))

        table_rows(summary, top + 1, INVESTMENT, grid, computed_table(total, settings),
                    group_sum, settings, lambda k: True, with_forecast=False,
                    identity=identity_totals(groups, invest))
    sheets.append(summary)

    # One sheet per service area, in the layout of the published review.
    for t, ct in zip(review.areas, area_cts):
        sheet = SheetLayout(area_sheets[t.name], owned=True)
        sheet_frame(sheet, t.name, f"{review.division} – {review.title}", grid, "")
        present = ct.present

        def shown(key: str, p: npt.NDArray[np.bool_] = present) -> bool:
            return bool(p[INCOME_STATEMENT.index[key]])

        rows = table_rows(sheet, 4, INCOME_STATEMENT, grid, ct, data_figure(Level.AREA, t), settings, shown,
                           fills=area_fills.get(t.name, {}))
        first, last = 4, 4 + len(INCOME_STATEMENT.lines) - 1
        sheet.charts.append(Chart(
            chart_title(f"{t.name}: talousarvio ja toteuma"),
            (0, first, last),
            ((review.columns[roles.budget].label, grid.figure(roles.budget)),
             (review.columns[roles.actual].label, grid.figure(roles.actual))),
            (3, grid.width + 1)))
        for k, r in rows.items():   # a header row shows when its block has a line shown
            if INCOME_STATEMENT.line(k).kind is Kind.HEADER:
                block = INCOME_STATEMENT.line(k).block
                if any(bool(present[i]) for i, ln in enumerate(INCOME_STATEMENT.lines)
                       if ln.block is block and ln.kind is Kind.DETAIL):
                    sheet.hidden_rows.discard(r)
        sheets.append(sheet)

    sheets.append(checks_sheet(findings, locate))
    if data_map is None:
        sheets.append(data_sheet_layout(review))
        sheets += [goals_sheet(review), kpi_sheet(review), risks_sheet(review)]
    sheets.append(conf_sheet())
    return WorkbookLayout(sheets, marks, area_sheets)


# ---------------------------------------------------------------------------- where findings point
