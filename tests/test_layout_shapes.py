"""The team workbook of other municipalities' shapes, recalculated by LibreOffice, agrees with the core.

Summary-level areas (subtotals without their lines are data), expenses printed positive (the
identities signed as the review's convention), a council table alone, 1–9 months with cents,
plus shapes written here (mixed areas, TOIMINTAKATE as a net cost, an investment group giving
only NETTO). The core (`calc`) is tested against arithmetic elsewhere; here the spreadsheet
engine must reproduce its figures, Jäljellä, TOT-% and Ennuste, and a few figures are worked
out by hand from the tables below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest

from elinvoima_xl.core.calc import ComputedTable, Settings, apply_convention, computed_table, convention_for
from elinvoima_xl.core.rollup import computed_division, rollup
from elinvoima_xl.workbook.head_writer import head_workbook
from elinvoima_xl.sources.load import load_review
from elinvoima_xl.core.model import Review, Table
from elinvoima_xl.core.structure import COUNCIL, INCOME_STATEMENT, Kind, SignConvention, Structure
from elinvoima_xl.jobs.team_workbook import build_workbook, rebuild_bytes

from .spreadsheet_engine import convert, convert_all

pytestmark = pytest.mark.libreoffice
SHAPES = Path(__file__).parent / "shapes"
FIRST = 5          # 1-based row of the first income-statement line on area and summary sheets
HEAD = ("taso;alue;rivi;TP 2023 (1000 €);TOT 2023 6 kk (1000 €);TA 2024 (€);TOT 2024 6 kk (€);"
        "Jäljellä (€);%\n")

# One area with its lines, one with subtotals only: the division sums both.
MIXED = HEAD + """\
palvelualue;Liikunta;Myyntituotot;1 000;500;1 000 000;480 000;;
palvelualue;Liikunta;Maksutuotot;180;90;200 000;99 567;;
palvelualue;Liikunta;Toimintatuotot;1 180;590;1 200 000;579 567;;
palvelualue;Liikunta;Henkilöstökulut;-2 000;-960;-2 100 000;-1 000 000;;
palvelualue;Liikunta;Palvelujen ostot;-1 000;-490;-1 000 000;-500 000;;
palvelualue;Liikunta;Toimintakulut;-3 000;-1 450;-3 100 000;-1 500 000;;
palvelualue;Liikunta;Toimintakate;-1 820;-860;-1 900 000;-920 433;;
palvelualue;Nuoriso;Toimintatuotot;200;100;210 000;98 000;;
palvelualue;Nuoriso;Toimintakulut;-900;-430;-950 000;-461 000;;
palvelualue;Nuoriso;Toimintakate;-700;-330;-740 000;-363 000;;
"""

# Expenses positive, TOIMINTAKATE and NETTO as net costs (kulut − tuotot); an investment group
# gives only its NETTO, another its TULOT and MENOT.
NET_COST = HEAD + """\
valtuusto;Tekninen toimi;TULOT;300;150;320 000;160 000;;
valtuusto;Tekninen toimi;MENOT;1 000;480;1 050 000;510 000;;
valtuusto;Tekninen toimi;NETTO;700;330;730 000;350 000;;
palvelualue;Kadut;Myyntituotot;300;150;320 000;160 000;;
palvelualue;Kadut;Toimintatuotot;300;150;320 000;160 000;;
palvelualue;Kadut;Henkilöstökulut;600;290;630 000;300 000;;
palvelualue;Kadut;Aineet, tarvikkeet ja tavarat;400;190;420 000;210 000;;
palvelualue;Kadut;Toimintakulut;1 000;480;1 050 000;510 000;;
palvelualue;Kadut;Toimintakate;700;330;730 000;350 000;;
palvelualue;Kadut;Poistot;100;50;100 000;50 000;;
investointi;Katuvalot;NETTO;80;30;90 000;40 000;;
investointi;Puistot;TULOT;10;0;20 000;5 000;;
investointi;Puistot;MENOT;50;20;60 000;25 000;;
investointi;Puistot;NETTO;40;20;40 000;20 000;;
"""

WRITTEN = {"mixed_areas.csv": MIXED, "net_cost.csv": NET_COST}
NAMES = sorted(p.name for p in SHAPES.iterdir()) + sorted(WRITTEN)


Shape = tuple[str, Review, SignConvention, openpyxl.Workbook]


def _review(name: str, tmp: Path) -> Review:
    if name in WRITTEN:
        path = tmp / name
        path.write_text(WRITTEN[name], encoding="utf-8")
        return load_review(path)
    return load_review(SHAPES / name)


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Review, Path]]:
    """Every shape's review and its built workbook as LibreOffice recalculated it, all in one LibreOffice run."""
    tmp = tmp_path_factory.mktemp("shapes")
    reviews = {name: _review(name, tmp) for name in NAMES}
    sources = []
    for name, review in reviews.items():
        sources.append(tmp / (name.replace(".", "_") + ".xlsm"))
        sources[-1].write_bytes(build_workbook(review))
    outs = convert_all(sources, "xlsx", tmp / "lo")
    return {name: (reviews[name], out) for name, out in zip(NAMES, outs)}


@pytest.fixture(scope="module", params=NAMES)
def shape(request: pytest.FixtureRequest, recalculated: dict[str, tuple[Review, Path]]) -> Shape:
    """(name, the review in its sign convention, the convention, the workbook as LibreOffice recalculated it)."""
    review, out = recalculated[request.param]
    wb = openpyxl.load_workbook(out, data_only=True)
    conv = convention_for(review, Settings())   # of the review as loaded (detection reads its figures)
    return request.param, apply_convention(review, conv), conv, wb


def _cells(ws: openpyxl.worksheet.worksheet.Worksheet, row: int, n: int) -> list[float | None]:
    """Figures, Jäljellä, TOT-% and Ennuste of a 1-based row (n period columns)."""
    return [ws.cell(row, c).value for c in range(2, 6 + n)]


def _figure(x: float | None) -> float:
    assert x is None or isinstance(x, (int, float)), x   # never an error value such as #VALUE!
    return 0.0 if x is None else float(x)


def _assert_rows(ws: openpyxl.worksheet.worksheet.Worksheet, top: int, ct: ComputedTable, where: str,
                 with_forecast: bool = True) -> int:
    """Every value line of `ct` from 1-based row `top` equals the core's; returns how many were compared."""
    n = len(ct.table.columns)
    compared = 0
    for li, line in enumerate(ct.table.structure.lines):
        if line.kind is Kind.HEADER:
            continue
        got = _cells(ws, top + li, n)
        for j in range(n):
            assert _figure(got[j]) == pytest.approx(ct.values[li, j], abs=1e-6), (where, line.key, j)
        assert _figure(got[n]) == pytest.approx(ct.remaining[li], abs=1e-6), (where, line.key)
        assert _figure(got[n + 1]) == pytest.approx(ct.pct[li], abs=1e-9), (where, line.key)
        if with_forecast:
            assert _figure(got[n + 2]) == pytest.approx(ct.forecast.values[li], rel=1e-9, abs=1e-6), \
                (where, line.key)
        compared += 1
    return compared


def _table(name: str, structure: Structure, review: Review, values: np.typing.NDArray[np.float64]) -> Table:
    t = Table.empty(name, structure, review.columns)
    t.values = values
    return t


def _council_top(ws: openpyxl.worksheet.worksheet.Worksheet) -> int:
    rows = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "VALTUUSTON HYVÄKSYMÄ TALOUSARVIO"]
    assert len(rows) == 1
    return rows[0] + 1


def test_area_sheets_are_the_core(shape: Shape) -> None:
    name, review, conv, wb = shape
    for t in review.areas:
        # every line of the income statement but its two headings: the seed's division prints 19, and the
        # sheets have one more, Kohdistamattomat (the ledger import's unallocated line): 22 − 2 = 20
        assert _assert_rows(wb[t.name], FIRST, computed_table(t, Settings(), recompute=True), t.name) == 20


def test_summary_is_the_core_sum_of_the_areas(shape: Shape) -> None:
    name, review, conv, wb = shape
    ws = wb["Yhteenveto"]
    if not review.areas:   # nothing to sum: every figure of the summary is zero, no error value
        for li, line in enumerate(INCOME_STATEMENT.lines):
            if line.kind is not Kind.HEADER:
                assert all(_figure(x) == 0 for x in _cells(ws, FIRST + li, len(review.columns))), line.key
        return
    income = conv.apply(INCOME_STATEMENT)
    division = computed_division(review, income, Settings())
    assert np.array_equal(division.values, computed_table(
        _table(review.division, income, review, rollup(np.stack([t.values for t in review.areas]), income)),
        Settings()).values, equal_nan=True)   # the figures are the plain roll-up; only a mixed forecast differs
    _assert_rows(ws, FIRST, division, "Yhteenveto")
    # The summary sums the areas' lines, whatever their signs: each figure is the sum of the sheets'.
    n = len(review.columns)
    for li, line in enumerate(INCOME_STATEMENT.lines):
        if line.kind is Kind.HEADER:
            continue
        for j in range(n):
            areas = sum(_figure(wb[t.name].cell(FIRST + li, 2 + j).value) for t in review.areas)
            assert _figure(ws.cell(FIRST + li, 2 + j).value) == pytest.approx(areas, abs=1e-6), (line.key, j)


def test_council_table(shape: Shape) -> None:
    """NETTO is its identity in the review's convention; without areas the council's own figures show."""
    name, review, conv, wb = shape
    ws = wb["Yhteenveto"]
    top = _council_top(ws)
    n = len(review.columns)
    rows = {line.key: _cells(ws, top + i, n) for i, line in enumerate(COUNCIL.lines)}
    council = conv.apply(COUNCIL)
    ident = council.identities[0]
    for j in range(n):
        netto = sum(c * _figure(rows[k][j]) for k, c in zip(ident.terms, ident.coefficients))
        assert _figure(rows["netto"][j]) == pytest.approx(netto, abs=1e-6), (name, j)
    if not review.areas:
        assert review.council is not None
        _assert_rows(ws, top, computed_table(review.council, Settings(), recompute=True), "valtuusto",
                     with_forecast=False)
    else:
        # TULOT and MENOT are the summary's Toimintatuotot and Toimintakulut.
        for key, src in (("tulot", "toimintatuotot"), ("menot", "toimintakulut")):
            for j in range(n):
                summary = _figure(ws.cell(FIRST + INCOME_STATEMENT.index[src], 2 + j).value)
                assert _figure(rows[key][j]) == pytest.approx(summary, abs=1e-6), (name, key, j)


# ---------------------------------------------------------------------------- worked out by hand

def _sheet_row(wb: openpyxl.Workbook, sheet: str, key: str) -> list[float | None]:
    return _cells(wb[sheet], FIRST + INCOME_STATEMENT.index[key], 4)


def test_by_hand(shape: Shape) -> None:
    name, _, _, wb = shape
    if name == "summary_areas.csv":
        # Liikunta gives Toimintatuotot 579 567 without its lines: data, not a sum of empty lines.
        tuotot = _sheet_row(wb, "Liikunta", "toimintatuotot")
        assert tuotot[3] == 579567
        # Seasonal forecast from its own figures: last year's share 590 / 1 180 = 0,5.
        assert tuotot[6] == pytest.approx(579567 / 0.5)
        kate = _sheet_row(wb, "Liikunta", "toimintakate")
        assert kate[3] == 579567 - 1500000
        assert kate[6] == pytest.approx(579567 / 0.5 - 1500000 / (1450 / 3000))
        summary = _sheet_row(wb, "Yhteenveto", "toimintatuotot")
        assert summary[3] == 579567 + 98000 and summary[2] == 1200000 + 210000
        assert summary[6] == pytest.approx((579567 + 98000) / (690 / 1380))
        netto = _cells(wb["Yhteenveto"], _council_top(wb["Yhteenveto"]) + 3, 4)
        assert netto[3] == 677567 - 1961000   # NETTO = TULOT + MENOT (expenses negative)
    elif name == "expenses_positive.csv":
        # Expenses positive: TOIMINTAKATE = Toimintatuotot − Toimintakulut = 132 095 − 332 343.
        kate = _sheet_row(wb, "Ympäristönsuojelu", "toimintakate")
        assert kate[3] == 82095 + 50000 - (220343 + 112000) == -200248
        assert kate[2] == 280000 - 700000
        assert kate[4] == -420000 - -200248     # Jäljellä = TA − TOT
        assert kate[5] == pytest.approx(47.7)   # TOT-% as printed
        ws = wb["Yhteenveto"]
        netto = _cells(ws, _council_top(ws) + 3, 4)
        assert netto[3] == 332343 - 132095      # the council's NETTO as a net cost: MENOT − TULOT
        assert netto[2] == 700000 - 280000
    elif name == "council_only.txt":
        ws = wb["Yhteenveto"]
        netto = _cells(ws, _council_top(ws) + 3, 4)
        # The council's own figures from Tiedot; NETTO = TULOT + MENOT (the printed −1 752 600 is wrong).
        assert netto[3] == 1260300 - 3010900 and netto[2] == 2500000 - 6300000
    elif name == "period_1_9_cents.csv":
        kate = _sheet_row(wb, "Kirjasto", "toimintakate")
        assert kate[3] == pytest.approx(37512.34 - 76234.56 - 15000.00, abs=1e-9)
        assert kate[5] == pytest.approx(76.7)
    elif name == "mixed_areas.csv":
        summary = _sheet_row(wb, "Yhteenveto", "toimintatuotot")
        assert summary[3] == 579567 + 98000     # Nuoriso's Toimintatuotot counts, though it gives no lines
        kate = _sheet_row(wb, "Yhteenveto", "toimintakate")
        assert kate[3] == (579567 + 98000) - (1500000 + 461000)
        # The division's Ennuste of a subtotal Nuoriso gives without its lines is Σ the areas' forecasts:
        # Liikunta's lines (last year's share 500/1000 and 90/180 = 0,5) 480 000/0,5 + 99 567/0,5, and
        # Nuoriso's own Toimintatuotot 98 000/(100/200); not the sum of the summary's lines (Liikunta's alone).
        liikunta, nuoriso = 480000 / 0.5 + 99567 / 0.5, 98000 / 0.5
        assert _sheet_row(wb, "Liikunta", "toimintatuotot")[6] == pytest.approx(liikunta)
        assert _sheet_row(wb, "Nuoriso", "toimintatuotot")[6] == pytest.approx(nuoriso)
        assert summary[6] == pytest.approx(liikunta + nuoriso)
        # Toimintakulut alike: Liikunta −1 000 000/(960/2000) − 500 000/(490/1000), Nuoriso −461 000/(430/900).
        kulut = -1000000 / 0.48 - 500000 / 0.49 - 461000 / (430 / 900)
        assert _sheet_row(wb, "Yhteenveto", "toimintakulut")[6] == pytest.approx(kulut)
        # and TOIMINTAKATE, derived in every area, the sum of its terms' forecasts.
        assert kate[6] == pytest.approx(liikunta + nuoriso + kulut)
    elif name == "net_cost.csv":
        # TOIMINTAKATE as a net cost with expenses positive: Toimintakulut − Toimintatuotot.
        kate = _sheet_row(wb, "Kadut", "toimintakate")
        assert kate[3] == 510000 - 160000
        # VUOSIKATE and TULOS carry the net cost on: + Poistot (an expense, positive).
        assert _sheet_row(wb, "Kadut", "tilikauden_tulos")[3] == 350000 + 50000
        ws = wb["Yhteenveto"]
        labels = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
        katuvalot, total = labels["Katuvalot"], labels["Investoinnit yhteensä"]
        assert _cells(ws, katuvalot + 3, 4)[3] == 40000       # a NETTO given alone is data
        assert _cells(ws, labels["Puistot"] + 3, 4)[3] == 25000 - 5000   # NETTO = MENOT − TULOT
        assert _cells(ws, total + 3, 4)[3] == 40000 + 20000   # the total sums the groups' NETTO
    elif name == "other_order.txt":
        # Costs printed before revenue and the council's NETTO first: the sheet has the standard order of lines.
        assert _sheet_row(wb, "Museo", "toimintakulut")[3] == -155000 - 96000
        kate = _sheet_row(wb, "Museo", "toimintakate")
        assert kate[2:5] == [50000 - 510000, 25000 - 251000, (50000 - 510000) - (25000 - 251000)]
        assert kate[5] == pytest.approx(49.1)                  # 226 000 / 460 000 = 49,13 %
        ws = wb["Yhteenveto"]
        netto = _cells(ws, _council_top(ws) + 3, 4)
        assert netto[2:4] == [50000 - 510000, 25000 - 251000]  # NETTO = TULOT + MENOT
    else:
        pytest.fail(f"{name}: no figures worked out by hand for this shape; add them here")


def test_rebuilt_workbook_keeps_the_convention_and_the_data_subtotals(tmp_path: Path) -> None:
    """Rebuild reads the figures back from Tiedot: the formulas are those of a fresh build."""
    review = _review("net_cost.csv", tmp_path)
    src = tmp_path / "Built.xlsm"
    src.write_bytes(build_workbook(review))
    out, _ = rebuild_bytes(src.read_bytes(), src.name)
    path = tmp_path / "Rebuilt.xlsm"
    path.write_bytes(out)
    wb = openpyxl.load_workbook(convert(path, "xlsx", tmp_path), data_only=True)
    assert _sheet_row(wb, "Kadut", "toimintakate")[3] == 510000 - 160000
    ws = wb["Yhteenveto"]
    labels = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
    assert _cells(ws, labels["Katuvalot"] + 3, 4)[3] == 40000
    assert _cells(ws, labels["Investoinnit yhteensä"] + 3, 4)[3] == 40000 + 20000


@pytest.mark.parametrize(("name", "area", "toimintatuotot", "toimintakate"), [
    ("expenses_positive.csv", "Ympäristönsuojelu", 82095 + 50000, 82095 + 50000 - (220343 + 112000)),
    ("summary_areas.csv", "Liikunta", 579567, 579567 - 1500000),
])
def test_head_workbook_follows_the_convention(name: str, area: str, toimintatuotot: float, toimintakate: float,
                                              tmp_path: Path) -> None:
    """The head's file reuses the layout: its subtotals recalculate to the core's too."""
    review = _review(name, tmp_path)
    book = head_workbook(review, review.area(area))
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / book.filename   # LibreOffice writes the .xlsx beside, not over, it
    path.write_bytes(book.data)
    wb = openpyxl.load_workbook(convert(path, "xlsx", tmp_path), data_only=True)
    ws = next(ws for ws in wb.worksheets if ws.cell(FIRST + INCOME_STATEMENT.index["toimintakate"], 1).value
              == "TOIMINTAKATE")
    assert ws.cell(FIRST + INCOME_STATEMENT.index["toimintatuotot"], 5).value == toimintatuotot
    assert ws.cell(FIRST + INCOME_STATEMENT.index["toimintakate"], 5).value == toimintakate
