"""LibreOffice Calc recalculates the built workbook: its formulas must give the core's figures and the seed's printed ones."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from elinvoima_xl.core.calc import computed_table, execution_pct
from elinvoima_xl.core.rollup import rollup
from elinvoima_xl.core.checks import rounding_tolerance
from elinvoima_xl.core.model import Review
from elinvoima_xl.core.structure import INCOME_STATEMENT, Kind
from elinvoima_xl.jobs.team_workbook import build_workbook, rebuild_bytes

from .spreadsheet_engine import convert

pytestmark = pytest.mark.libreoffice
FIRST = 5          # 1-based row of the first income-statement line on area and summary sheets


@pytest.fixture(scope="module")
def engine(built_workbook: bytes, tmp_path_factory: pytest.TempPathFactory) -> tuple[openpyxl.Workbook, Path]:
    tmp = tmp_path_factory.mktemp("lo")
    src = tmp / "Elinvoima.xlsm"
    src.write_bytes(built_workbook)
    out = convert(src, "xlsx", tmp)
    return openpyxl.load_workbook(out, data_only=True), src


def _row(ws: openpyxl.worksheet.worksheet.Worksheet, key: str) -> list[float]:
    r = FIRST + INCOME_STATEMENT.index[key]
    return [ws.cell(r, c).value for c in range(2, 9)]


def test_area_sheets_compute_the_core_figures(engine: tuple[openpyxl.Workbook, Path], seed_review: Review) -> None:
    wb, _ = engine
    for table in seed_review.areas:
        ws = wb[table.name]
        ct = computed_table(table, recompute=True)
        for li, line in enumerate(INCOME_STATEMENT.lines):
            if line.kind is Kind.HEADER:
                continue
            got = _row(ws, line.key)
            assert got[:4] == pytest.approx(list(ct.values[li]), abs=1e-9), (table.name, line.key)
            assert got[4] == pytest.approx(ct.remaining[li], abs=1e-6), (table.name, line.key)
            assert got[5] == pytest.approx(ct.pct[li], abs=1e-9), (table.name, line.key)
            assert got[6] == pytest.approx(ct.forecast.values[li], rel=1e-9, abs=1e-6), (table.name, line.key)


def test_area_sheets_match_the_printed_review(engine: tuple[openpyxl.Workbook, Path], seed_review: Review) -> None:
    """Jäljellä and % as printed in the seed; subtotals within the rounding of their printed terms."""
    wb, _ = engine
    compared = 0
    for table in seed_review.areas:
        ws = wb[table.name]
        for li, line in enumerate(INCOME_STATEMENT.lines):
            if line.kind is Kind.HEADER or np.isnan(table.printed_remaining[li]):
                continue
            got = _row(ws, line.key)
            n_terms = 1 if line.kind is Kind.DETAIL else 2 + sum(
                1 for ident in INCOME_STATEMENT.identities if ident.total == line.key for _ in ident.terms)
            if line.kind is Kind.DETAIL:
                # A line's figures are the data's own: exact. Its Jäljellä is TA − TOT of two figures printed
                # rounded to the euro, against the print of the unrounded difference: three ½ € roundings,
                # under 1,5 € apart, and the printed figures are whole euros: at most 1 €.
                tol, remaining_tol = 1e-9, 1.0
            else:
                tol = float(rounding_tolerance(n_terms))
                remaining_tol = tol + 1
            for j in range(4):
                if not np.isnan(table.values[li, j]):
                    assert abs(got[j] - table.values[li, j]) <= tol, (table.name, line.key, j)
            assert abs(got[4] - table.printed_remaining[li]) <= remaining_tol, (table.name, line.key)
            if line.kind is Kind.DETAIL:
                assert got[5] == pytest.approx(table.printed_pct[li], abs=1e-9), (table.name, line.key)
            compared += 1
    # the five areas' lines with Jäljellä, counted by hand in the seed (tests/test_seed.py):
    # Työllisyyspalvelut 16, Elinkeinopalvelut 16, Kulttuuri 17, Kaupunkisuunnittelu 14, Kiinteistö- ja mittauspalvelut 18
    assert compared == 16 + 16 + 17 + 14 + 18


def test_summary_is_the_sum_of_the_areas_and_shows_the_seed_error(engine: tuple[openpyxl.Workbook, Path],
                                                                   seed_review: Review) -> None:
    wb, _ = engine
    ws = wb["Yhteenveto"]
    stack = np.stack([np.nan_to_num(t.values) for t in seed_review.areas])
    summed = rollup(stack, INCOME_STATEMENT)
    printed = seed_review.division_table
    assert printed is not None
    gaps = {}
    for li, line in enumerate(INCOME_STATEMENT.lines):
        if line.kind is Kind.HEADER:
            continue
        got = _row(ws, line.key)
        assert got[:4] == pytest.approx(list(summed[li]), abs=1e-9), line.key
        budget, actual = summed[li, 2], summed[li, 3]
        assert got[5] == pytest.approx(float(execution_pct(actual, budget)), abs=1e-9), line.key
        for j in range(4):
            if not np.isnan(printed.values[li, j]) and abs(printed.values[li, j] - got[j]) > 5:
                gaps[(line.key, j)] = printed.values[li, j] - got[j]
    # The published division table prints Avustukset TOT 2023 as −998 195; the areas add up to
    # −787 493 − 43 500 − 18 900 + 0 = −849 893: −148 302. The subtotals carry the same gap, each exactly:
    # Toimintakulut −3 914 574 printed; the areas' lines add to −3 766 271 (Työllisyyspalvelut's lines to
    # −1 712 010, its print says −1 712 011): −148 303.
    # TOIMINTAKATE = VUOSIKATE (Rahoitustuotot ja -kulut 0) −2 791 330 printed; the areas
    # −1 342 506 − 691 397 − 373 086 − 285 998 + 49 959 = −2 643 028: −148 302.
    # TILIKAUDEN TULOS −2 815 481 printed; −1 346 425 − 691 397 − 373 086 − 285 998 + 29 727 = −2 667 179: −148 302.
    assert gaps == {("avustukset", 3): -148302.0, ("toimintakulut", 3): -148303.0, ("toimintakate", 3): -148302.0,
                    ("vuosikate", 3): -148302.0, ("tilikauden_tulos", 3): -148302.0}


def test_council_and_investments(engine: tuple[openpyxl.Workbook, Path], seed_review: Review) -> None:
    wb, _ = engine
    ws = wb["Yhteenveto"]
    labels = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
    council_top = labels["VALTUUSTON HYVÄKSYMÄ TALOUSARVIO"]
    council = {ws.cell(r, 1).value: [ws.cell(r, c).value for c in range(2, 8)] for r in range(council_top + 1, council_top + 5)}
    # Seed: TULOT 3 545 | 1 644 | 2 941 800 | 1 122 509 | 1 819 292 | 38,20. TOT is the areas' Toimintatuotot
    # from their lines: (59 558 + 309 946) − 152 561 + 422 447 + 9 510 + 473 608 = 1 122 508; the print adds
    # Työllisyyspalvelut's printed subtotal 369 505, 1 € more than its lines.
    assert council["TULOT"][0] == 3545 and council["TULOT"][2] == 2941800
    assert council["TULOT"][3] == 1122508 and council["TULOT"][5] == pytest.approx(38.2)
    assert council["NETTO"][3] == pytest.approx(council["TULOT"][3] + council["MENOT"][3]
                                                + council["Valmistus omaan käyttöön"][3])
    total_row = labels["Investoinnit yhteensä"]
    tulot = [ws.cell(total_row + 1, c).value for c in range(2, 6)]
    groups = sum(np.nan_to_num(t.values[0]) for t in seed_review.investments)
    assert tulot == pytest.approx(list(groups))
    assert tulot[0] == 60   # the seed prints 69: the investment_sum error


def test_rebuilt_workbook_recalculates_too(engine: tuple[openpyxl.Workbook, Path], tmp_path: Path,
                                           seed_review: Review) -> None:
    _, src = engine
    out, _ = rebuild_bytes(src.read_bytes(), src.name)
    path = tmp_path / "Rebuilt.xlsm"
    path.write_bytes(out)
    wb = openpyxl.load_workbook(convert(path, "xlsx", tmp_path), data_only=True)
    for table in seed_review.areas:
        ct = computed_table(table, recompute=True)
        li = INCOME_STATEMENT.index["toimintakate"]
        got = _row(wb[table.name], "toimintakate")
        assert got[:4] == pytest.approx(list(ct.values[li])) and got[5] == pytest.approx(ct.pct[li])


def test_pdf_export(engine: tuple[openpyxl.Workbook, Path], tmp_path: Path) -> None:
    _, src = engine
    pdf = convert(src, "pdf", tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000


def test_division_table_in_a_data_file_is_not_needed(seed_review: Review) -> None:
    # The summary does not depend on a printed division table: a review of areas only builds too.
    only_areas = Review(seed_review.title, seed_review.division, seed_review.columns, seed_review.areas)
    wb = openpyxl.load_workbook(io.BytesIO(build_workbook(only_areas)))
    formula = wb["Yhteenveto"]["B6"].value
    assert all(f"'{t.name}'!B6" in formula for t in seed_review.areas)
    assert {r[0] for r in wb["Tiedot"].iter_rows(min_row=2, values_only=True)} == {"palvelualue"}
