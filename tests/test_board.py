"""The board's document: a print-ready .xlsx and its PDF, Finnish number formats whatever the locale, one page per area table."""

from __future__ import annotations

import copy
import io
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.jobs.board import AMOUNT_FI, NOTES_SHEET, PRINTED_NOTE, SUMS_NOTE, AreaNote, board_layout, board_xlsx
from elinvoima_xl.core.checks import rounding_tolerance, run_checks
from elinvoima_xl.sources.load import bundled_path, bundled_review, load_review
from elinvoima_xl.core.model import Review, Table
from elinvoima_xl.sources.datafile import read_data_xlsx, write_data_xlsx
from elinvoima_xl.core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Kind

from .ooxml import assert_valid_package
from .spreadsheet_engine import convert_all, soffice

REVENUE = ("myyntituotot", "maksutuotot", "tuet_ja_avustukset", "vuokratuotot", "muut_toimintatuotot")
EXPENSES = ("henkilostokulut", "palvelujen_ostot", "aineet_tarvikkeet", "avustukset", "vuokrakulut",
            "muut_toimintakulut")
MARGIN = (*REVENUE, "valmistus_omaan_kayttoon", *EXPENSES)      # TOIMINTAKATE's terms (DOMAIN.md)


def published(label: str) -> list[int]:
    """The figures of the seed's first line labelled `label` (the division's table comes before the areas')."""
    for line in bundled_path().read_text(encoding="utf-8").splitlines():
        cells = re.sub(r"</?b>", "", line).split("\t")
        if cells[0].strip() == label and len(cells) > 4:
            return [int(c.replace(" ", "").replace("\u2212", "-")) for c in cells[1:5]]
    raise AssertionError(f"{label!r} not in the seed")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elinvoima_xl", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def english_env() -> dict[str, str]:
    """A machine whose locale writes 2,791,330.00: the document must still be Finnish."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG="en_US.UTF-8", LC_ALL="C.UTF-8", LANGUAGE="en")
    return env


def fi(x: float) -> str:
    """A whole euro figure as the board reads it: space between thousands, U+2212 minus."""
    text = f"{abs(round(x)):,}".replace(",", " ")
    return ("\u2212" if round(x) < 0 else "") + text


def pages_text(pdf: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext puuttuu CI:stä: .ci/run asentaa poppler-utils-paketin.")
        pytest.skip("pdftotext (poppler-utils) is not installed: PDF tests SKIPPED (CI runs them)")
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                         check=True, timeout=60).stdout.decode("utf-8")
    # Thousands are separated by a (narrow) no-break space; read them as spaces.
    out = out.replace("\u00a0", " ").replace("\u202f", " ")
    return out.split("\f")[:-1]


def first_line(page: str) -> str:
    return next(line.strip() for line in page.splitlines() if line.strip())


def line_of(page: str, label: str) -> str:
    found = [line for line in page.splitlines() if line.strip().startswith(label)]
    assert found, f"{label!r} not on the page:\n{page}"
    return found[0]


def division_sum(review: Review, key_filter: tuple[str, ...] | None, j: int) -> float:
    """The sum over every area of its detail lines (all of them, or those in `key_filter`) in column j."""
    total = 0.0
    for t in review.areas:
        for line in INCOME_STATEMENT.lines:
            if line.kind is Kind.DETAIL and (key_filter is None or line.key in key_filter):
                v = t.value(line.key, j)
                total += 0.0 if v != v else v
    return total


def png_ink(path: Path) -> tuple[int, int]:
    """(pixels that are not white, all pixels) of an 8-bit RGB/gray PNG, decoded with zlib alone."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 3
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8
            channels = {0: 1, 2: 3, 6: 4}[color]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    prev = bytearray(stride)
    ink = 0
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        ink += sum(1 for x in range(0, stride, channels) if min(line[x:x + min(channels, 3)]) < 200)
        prev = line
    return ink, width * height


@pytest.fixture(scope="module")
def board_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    soffice()
    out = tmp_path_factory.mktemp("board") / "katsaus.pdf"
    r = run_cli("export", "-o", str(out), env=english_env())
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF")
    return out


@pytest.mark.libreoffice
def test_pdf_holds_the_reviews_figures_in_finnish_format(board_pdf: Path) -> None:
    review = bundled_review()
    a = review.roles.actual
    pages = pages_text(board_pdf)
    summary = pages[0]
    assert first_line(summary) == review.division
    tp = review.roles.prev_year
    assert tp is not None
    # The published totals agree with the areas within rounding, and the board prints them.
    expenses = published("Toimintakulut")                    # the seed's division table: −7 866 in TP 2022
    assert expenses[0] == -7866
    assert round(division_sum(review, EXPENSES, tp)) == -7868       # the rounded areas drift by 2 (1000 €)
    line = line_of(summary, "Toimintakulut")
    assert fi(expenses[0]) in line and "\u22127 868" not in line
    assert "\u22123 587" in line_of(summary, "Henkilöstökulut")          # printed −3 587, areas sum to −3 588
    assert published("Henkilöstökulut")[0] == -3587
    council = summary[summary.index("VALTUUSTON HYVÄKSYMÄ TALOUSARVIO"):]
    revenue = published("TULOT")                             # the council table, first TULOT in the seed
    assert revenue[3] == 1_122_509 and round(division_sum(review, REVENUE, a)) == 1_122_508
    assert "1 122 509" in line_of(council, "TULOT") and "1 122 508" not in line_of(council, "TULOT")
    assert "2 941 800" in line_of(council, "TULOT")                      # the council's budget, printed in the seed
    assert "1 819 291" in line_of(council, "TULOT")                      # Jäljellä: 2 941 800 − 1 122 509
    assert "38,2" in line_of(council, "TULOT")                           # 1 122 509 / 2 941 800 = 38,16 %
    # Beyond rounding (Avustukset is off by 148 302), the division keeps the sum of its areas.
    margin = division_sum(review, MARGIN, a)
    assert round(margin) == -2_643_028    # by hand from the seed's area lines
    assert fi(margin) in line_of(summary, "TOIMINTAKATE")
    assert "\u22122 643 028" in line_of(council, "NETTO")
    assert "painettuja lukuja" in summary and "pyöristystarkkuudella" in summary
    # The published figures that disagree are shown to the board with the sum beside them.
    notes = next(p for p in pages if first_line(p) == "Tarkastushuomautukset")
    row = next(ln for ln in notes.splitlines() if re.match(r"\s*Elinvoimalautakunnan toimiala\s+TOIMINTAKATE\s", ln))
    assert "\u22122 791 330" in row and "\u22122 643 028" in row and "\u2212148 302" in row
    assert published("TOIMINTAKATE")[3] == -2_791_330 and -2_791_330 - -2_643_028 == -148_302
    # The printed council figures the seed gives where they agree with the areas.
    text = "\n".join(pages)
    estates = text[text.index("\n Kiinteistö- ja mittauspalvelut"):]
    assert "46,6" in line_of(estates, "Toimintakulut")      # −424 384 / −911 300 = 46,57 %, printed 46,60 in the seed
    # Never a locale's own separators: no 1,234 and no 12.5 anywhere among the figures.
    assert not re.search(r"\d,\d{3}(?!\d)", text.replace("\n", " ")), "English thousands separator in the PDF"
    assert not re.search(r"(?<![\d.])\d+\.\d(?!\d|\.)", text), "decimal point in the PDF"


@pytest.mark.libreoffice
def test_every_area_table_on_one_page(board_pdf: Path) -> None:
    review = bundled_review()
    pages = pages_text(board_pdf)
    titles = [first_line(p) for p in pages]
    for t in review.areas:
        assert titles.count(t.name) == 1, f"{t.name}: {titles}"
        page = pages[titles.index(t.name)]
        # Title, every shown line and the last line of the table on the same page.
        assert "TOIMINTATUOTOT" in page and "TILIKAUDEN TULOS" in page
        margin = division_sum(Review(review.title, review.division, review.columns, [t]), MARGIN, review.roles.actual)
        assert fi(margin) in line_of(page, "TOIMINTAKATE")     # the sum of the area's lines
    work = pages[titles.index("Työllisyyspalvelut")]
    assert "\u22121 342 506" in line_of(work, "TOIMINTAKATE") and "37,3" in line_of(work, "TOIMINTAKATE")
    goals = [p for p in pages if first_line(p).startswith("Taso")]
    assert goals and "Toteutuu osittain" in "".join(goals)


@pytest.mark.libreoffice
def test_a_rendered_page_is_not_blank(board_pdf: Path, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm puuttuu CI:stä: .ci/run asentaa poppler-utils-paketin.")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "30", "-png", str(board_pdf), str(tmp_path / "p")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("p*.png"))
    ink, total = png_ink(png)
    assert ink > total * 0.01, f"page 1 nearly blank: {ink} of {total} pixels"


def test_board_xlsx_is_clean_and_print_ready(tmp_path: Path) -> None:
    out = tmp_path / "katsaus.xlsx"
    r = run_cli("export", "-o", str(out), "--board")
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        xml = {n: z.read(n).decode("utf-8") for n in names if n.endswith(".xml") or n.endswith(".rels")}
    assert not any("vba" in n.lower() or "customui" in n.lower() or "externalLink" in n for n in names)
    assert "macroEnabled" not in xml["[Content_Types].xml"]
    review = bundled_review()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Yhteenveto", NOTES_SHEET, *(t.name for t in review.areas), "Tavoitteet"]
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (1, None)
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    assert "Tiedot" not in c.value and "_PCT" not in c.value and "[" not in c.value, c.value
    area = wb["Työllisyyspalvelut"]
    assert area.print_title_rows == "$1:$4"
    assert area.page_setup.fitToHeight in (1, None)     # 1 page tall (OOXML's default, left out by the writer)
    margin = area["E21"] if area["A21"].value == "TOIMINTAKATE" else None   # row 5 + index 16
    assert margin is not None and margin.number_format == AMOUNT_FI
    summary = wb["Yhteenveto"]
    assert summary.page_setup.fitToHeight == 0             # as many pages down as needed, one across
    invest = next(c.row for c in summary["A"] if c.value == "INVESTOINNIT")
    assert [b.id for b in summary.row_breaks.brk] == [invest - 1]


TOTAL_CODES = ("division_sum", "council", "investment_sum")
DIVISION_TOP = 4                                            # 0-based row of the summary's first income line
COUNCIL_TOP = DIVISION_TOP + len(INCOME_STATEMENT.lines) + 2


def without_errors() -> Review:
    """The bundled review with the published division, council and investment tables corrected to agree
    with their parts: Avustukset TOT 2023 is printed −998 195, the areas add up to −849 893 (148 302 more);
    the investment total's TULOT TP 2022 is printed 69, its groups 0 + 60 (9 less)."""
    review = copy.deepcopy(bundled_review())
    a, tp = review.roles.actual, review.roles.prev_year
    assert review.division_table is not None and review.council is not None
    assert review.investments_total is not None and tp is not None
    div = review.division_table
    assert div.value("avustukset", a) == -998_195
    changed: list[tuple[Table, int]] = []
    for key in ("avustukset", "toimintakulut", "toimintakate", "vuosikate", "tilikauden_tulos"):
        div.values[INCOME_STATEMENT.index[key], a] += 148_302
        changed.append((div, INCOME_STATEMENT.index[key]))
    for key in ("menot", "netto"):
        review.council.values[COUNCIL.index[key], a] += 148_302
        changed.append((review.council, COUNCIL.index[key]))
    total = review.investments_total
    assert total.value("tulot", tp) == 69 and total.value("netto", tp) == 18
    for key in ("tulot", "netto"):
        total.values[INVESTMENT.index[key], tp] -= 9
    for table, li in changed:           # the published Jäljellä and % of a corrected line no longer apply
        table.printed_remaining[li] = table.printed_pct[li] = math.nan
    return review


def without_printed_tables() -> Review:
    """The bundled review as a team's data file gives it: areas and investment groups, no printed totals."""
    review = copy.deepcopy(bundled_review())
    review.division_table = review.council = review.investments_total = None
    return review


def summary_of(review: Review) -> dict[tuple[int, int], tuple[object, str | None]]:
    """(row, col) -> (value, formula) of the board's summary sheet (0-based)."""
    layout = board_layout(review)
    assert layout.sheets[0].name == "Yhteenveto"
    return {(c.row, c.col): (c.value, c.formula) for c in layout.sheets[0].cells}


def total_rows(summary: dict[tuple[int, int], tuple[object, str | None]]) -> int:
    """The first row of the investment total's lines."""
    return next(r for (r, c), (v, _) in summary.items() if c == 0 and v == "Investoinnit yhteensä") + 1


def notes_rows(review: Review) -> list[list[object]]:
    layout = board_layout(review)
    sheet = next((s for s in layout.sheets if s.name == NOTES_SHEET), None)
    if sheet is None:
        return []
    rows: dict[int, list[object]] = {}
    for c in sorted(sheet.cells, key=lambda c: (c.row, c.col)):
        if c.row >= 4:
            rows.setdefault(c.row, []).append(c.value)
    return list(rows.values())


def printed_cells(table: Table | None, top: int) -> list[tuple[int, int, float]]:
    """(row, col, printed figure) of every figure a printed table gives, placed as the summary places it."""
    assert table is not None
    return [(top + li, 1 + j, float(table.values[li, j])) for li, line in enumerate(table.structure.lines)
            for j in range(len(table.columns))
            if line.kind is not Kind.HEADER and not math.isnan(table.values[li, j])]


def test_a_review_without_errors_shows_every_printed_figure() -> None:
    review = without_errors()
    assert not [f for f in run_checks(review) if f.severity == "error" and f.code in TOTAL_CODES]
    summary = summary_of(review)
    cells = (printed_cells(review.division_table, DIVISION_TOP)
             + printed_cells(review.council, COUNCIL_TOP)
             + printed_cells(review.investments_total, total_rows(summary)))
    # 22 income lines less 2 headers and Kohdistamattomat (not printed); the council without Valmistus; 4 columns.
    assert len(cells) == 19 * 4 + 3 * 4 + 3 * 4
    for row, col, figure in cells:
        assert summary[(row, col)] == (figure, None), (row, col)     # the printed figure itself, as a value
    # The published figures the areas miss by rounding: TP 2022 Toimintakulut −7 866, Avustukset TOT −849 893.
    assert summary[(DIVISION_TOP + INCOME_STATEMENT.index["toimintakulut"], 1)][0] == published("Toimintakulut")[0]
    assert summary[(DIVISION_TOP + INCOME_STATEMENT.index["avustukset"], 4)][0] == -998_195 + 148_302
    assert not [r for r in notes_rows(review) if r[0] in (review.division, "ELINVOIMA")]
    # Jäljellä and TOT-% follow the printed figure: council TULOT 2 941 800 − 1 122 509, 38,2 %.
    n = len(review.columns)
    tulot = COUNCIL_TOP + COUNCIL.index["tulot"]
    assert summary[(tulot, 1 + n)][0] == 2_941_800 - 1_122_509 and summary[(tulot, 2 + n)][0] == 38.2


@pytest.mark.parametrize("over", [0, 1])
def test_the_checks_rounding_tolerance_decides(over: int) -> None:
    """Printed Avustukset TOT off the areas' sum by the tolerance is shown; one euro more is the sum."""
    review = without_errors()
    a = review.roles.actual
    n_areas = sum(1 for t in review.areas if t.value("avustukset", a) == t.value("avustukset", a))
    tolerance = (n_areas + 1) / 2                            # each of n + 1 rounded figures off by ½ €
    assert float(rounding_tolerance(n_areas + 1)) == tolerance
    areas = round(division_sum(review, ("avustukset",), a))
    assert areas == -849_893
    gap = math.floor(tolerance) + over
    assert review.division_table is not None
    review.division_table.values[INCOME_STATEMENT.index["avustukset"], a] = areas + gap
    value, formula = summary_of(review)[(DIVISION_TOP + INCOME_STATEMENT.index["avustukset"], 1 + a)]
    listed = [r for r in notes_rows(review) if r[:3] == [review.division, "Avustukset", review.columns[a].label]]
    if over:
        assert value == areas and formula is not None and formula.count("!") == len(review.areas)
        assert listed == [[review.division, "Avustukset", review.columns[a].label, areas + gap, areas, gap]]
    else:
        assert value == areas + gap and formula is None and not listed


def test_beyond_rounding_the_division_adds_up_to_the_lines_it_shows() -> None:
    """Toimintakulut TOT 2023 is printed −3 914 574, 148 302 beyond its areas (Avustukset): the board shows
    the sum of the lines above it, the printed ones and the areas' Avustukset −849 893."""
    review = bundled_review()
    a = review.roles.actual
    summary = summary_of(review)
    shown = {key: summary[(DIVISION_TOP + INCOME_STATEMENT.index[key], 1 + a)] for key in (*EXPENSES, "toimintakulut")}
    assert shown["avustukset"][0] == round(division_sum(review, ("avustukset",), a)) == -849_893
    assert shown["avustukset"][1] is not None                         # a formula over the area sheets
    printed = {"henkilostokulut": -1_913_143, "palvelujen_ostot": -533_798, "aineet_tarvikkeet": -98_294,
               "vuokrakulut": -354_439, "muut_toimintakulut": -16_705}      # the seed's division table
    assert {k: shown[k] for k in printed} == {k: (v, None) for k, v in printed.items()}
    total = sum(printed.values()) - 849_893
    assert total == -3_766_272
    value, formula = shown["toimintakulut"]
    assert value == total and formula is not None and formula.startswith("=") and "!" not in formula
    assert [review.division, "Toimintakulut", "TOT 2023 6 kk", -3_914_574, total, -3_914_574 - total] \
        in notes_rows(review)


def test_a_review_without_printed_tables_shows_the_sums() -> None:
    review = without_printed_tables()
    bundled = bundled_review()
    a, tp = review.roles.actual, review.roles.prev_year
    assert tp is not None
    summary = summary_of(review)
    value, formula = summary[(DIVISION_TOP + INCOME_STATEMENT.index["toimintakulut"], 1 + tp)]
    assert value == round(division_sum(review, EXPENSES, tp)) == -7868 and formula is not None
    value, formula = summary[(COUNCIL_TOP + COUNCIL.index["tulot"], 1 + a)]
    assert value == round(division_sum(review, REVENUE, a)) == 1_122_508
    assert formula == f"=E{DIVISION_TOP + INCOME_STATEMENT.index['toimintatuotot'] + 1}"
    inv = total_rows(summary)
    value, formula = summary[(inv + INVESTMENT.index["tulot"], 1 + tp)]
    groups = [g.value("tulot", tp) for g in bundled.investments]
    assert value == sum(0 if math.isnan(x) else x for x in groups) == 60 and formula is not None
    assert summary[(2, 0)] == (SUMS_NOTE, None)
    assert summary_of(bundled)[(2, 0)] == (PRINTED_NOTE, None)
    assert not [r for r in notes_rows(review) if r[0] in (review.division, "ELINVOIMA")]


def expenses_positive() -> Review:
    """Another municipality's shape (tests/shapes): expenses printed positive, NETTO = MENOT − TULOT."""
    return load_review(Path(__file__).parent / "shapes" / "expenses_positive.csv")


REVIEWS = {"bundled": bundled_review, "without_errors": without_errors, "without_tables": without_printed_tables,
           "expenses_positive": expenses_positive}
# Numbers checked at the least: every figure, subtotal, Jäljellä, % and forecast of the tables and the summary.
FIGURES = {"bundled": 800, "without_errors": 800, "without_tables": 800, "expenses_positive": 150}


@pytest.fixture(scope="module")
def board_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (the board's .xlsx of that review, the same recalculated by LibreOffice), all in one LibreOffice run."""
    tmp = tmp_path_factory.mktemp("board")
    sources = []
    for name, make in REVIEWS.items():
        sources.append(tmp / f"katsaus_{name}.xlsx")
        sources[-1].write_bytes(board_xlsx(make()))
    return dict(zip(REVIEWS, zip(sources, convert_all(sources, "xlsx", tmp / "lo"))))


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", list(REVIEWS))
def test_board_xlsx_recalculates_to_its_stored_values(board_files: dict[str, tuple[Path, Path]], name: str) -> None:
    src, recalculated = board_files[name]
    stored = openpyxl.load_workbook(src, data_only=True)
    fresh = openpyxl.load_workbook(recalculated, data_only=True)
    checked = 0
    for ws in stored.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, float | int) and not isinstance(c.value, bool):
                    # LibreOffice saves 15 significant digits: a relative error of at most 5e-15 (the forecasts)
                    assert fresh[ws.title][c.coordinate].value == pytest.approx(c.value, rel=1e-14, abs=1e-9), \
                        f"{ws.title}!{c.coordinate}"
                    checked += 1
    assert checked > FIGURES[name]   # every figure, subtotal, Jäljellä, % and forecast of the tables and the summary
    if name != "bundled":
        return
    # The published figures, as LibreOffice computes the sheet (rows 1-based).
    summary = fresh["Yhteenveto"]
    row = {line.key: DIVISION_TOP + 1 + i for i, line in enumerate(INCOME_STATEMENT.lines)}
    council = {line.key: COUNCIL_TOP + 1 + i for i, line in enumerate(COUNCIL.lines)}
    assert summary[f"B{row['toimintakulut']}"].value == published("Toimintakulut")[0] == -7866
    assert summary[f"B{row['henkilostokulut']}"].value == -3587
    assert summary[f"E{council['tulot']}"].value == published("TULOT")[3] == 1_122_509
    assert summary[f"F{council['tulot']}"].value == 2_941_800 - 1_122_509
    assert summary[f"E{row['toimintakate']}"].value == -2_643_028               # beyond rounding: the areas' sum
    assert summary[f"E{council['netto']}"].value == -2_643_028
    notes = fresh[NOTES_SHEET]
    found = [[c.value for c in r] for r in notes.iter_rows(min_row=5)]
    assert ["Elinvoimalautakunnan toimiala", "TOIMINTAKATE", "TOT 2023 6 kk", -2_791_330, -2_643_028, -148_302] \
        in found


def test_board_xlsx_passes_openxml_audit(tmp_path: Path) -> None:
    out = tmp_path / "katsaus.xlsx"
    notes = {"Kulttuuri": [AreaNote("Avustukset", "Kesäteatterin avustus maksettiin keväällä.\nÅbo – Öljy", -90500.0)]}
    out.write_bytes(board_xlsx(bundled_review(), notes=notes))
    assert_valid_package(out, out.name)
    ws = openpyxl.load_workbook(out)["Kulttuuri"]
    [note] = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "Kesäteatterin" in c.value]
    # the explanation as written, then the area's forecast the note carries (−90 500 €, Finnish format)
    assert note.value == "Kesäteatterin avustus maksettiin keväällä.\nÅbo – Öljy\n" \
                         "Palvelualueen ennuste vuoden lopussa: \u221290\u00a0500 €"
    assert [str(m) for m in ws.merged_cells.ranges] == [f"B{note.row}:H{note.row}"]   # one merged note row


def test_data_export_unchanged_without_board(tmp_path: Path) -> None:
    out = tmp_path / "tiedot.xlsx"
    r = run_cli("export", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == write_data_xlsx(bundled_review())
    assert read_data_xlsx(out.read_bytes(), out.name).areas[0].name == "Työllisyyspalvelut"


def test_board_needs_pdf_or_xlsx_and_libreoffice(tmp_path: Path) -> None:
    r = run_cli("export", "-o", str(tmp_path / "katsaus.txt"), "--board")
    assert r.returncode == 2 and "pdf tai .xlsx" in r.stderr
    env = {**os.environ, "PATH": str(tmp_path), "ELINVOIMA_SOFFICE": ""}
    r = subprocess.run([sys.executable, "-m", "elinvoima_xl", "export", "-o", str(tmp_path / "k.pdf")],
                       capture_output=True, text=True, timeout=120, env=env)
    if Path(r"C:\Program Files\LibreOffice\program\soffice.exe").is_file():   # pragma: no cover - Windows
        pytest.skip("LibreOffice in its Windows place")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "LibreOffice" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "k.pdf").exists()


@pytest.mark.libreoffice
def test_many_explanations_keep_the_table_on_its_own_page(tmp_path: Path) -> None:
    soffice()
    from elinvoima_xl.jobs.board import board_pdf as to_pdf

    review = bundled_review()
    labels = [ln.label for ln in INCOME_STATEMENT.lines if ln.kind is Kind.DETAIL][:12]
    long = "Selitys, joka jatkuu usealle riville: " + "kausivaihtelu ja kertaluonteiset erät " * 6
    notes = {"Kulttuuri": [AreaNote(label, f"{long}({i})\nToinen kappale – åäö.", None) for i, label in
                           enumerate(labels)]}
    pdf = tmp_path / "k.pdf"
    pdf.write_bytes(to_pdf(board_xlsx(review, notes=notes)))
    pages = pages_text(pdf)
    titles = [first_line(p) for p in pages]
    page = pages[titles.index("Kulttuuri")]
    assert "TOIMINTATUOTOT" in page and "TILIKAUDEN TULOS" in page     # the whole table on the area's first page
    text = "\n".join(pages[titles.index("Kulttuuri"):])
    assert all(f"({i})" in text for i in range(12))                  # every explanation printed, none cut off


def test_a_council_table_without_a_division_table_is_checked_against_the_areas() -> None:
    """A source that prints the council's table but not the division's: TULOT agrees with the areas'
    printed Toimintatuotot (1 122 509) and is printed; MENOT (−3 914 574) is 148 302 beyond them and
    the board shows the areas' sum, listed in the notes."""
    review = copy.deepcopy(bundled_review())
    review.division_table = None
    a = review.roles.actual
    summary = summary_of(review)
    tulot = summary[(COUNCIL_TOP + COUNCIL.index["tulot"], 1 + a)]
    assert tulot == (published("TULOT")[3], None) == (1_122_509, None)
    menot_row = COUNCIL_TOP + COUNCIL.index["menot"]
    value, formula = summary[(menot_row, 1 + a)]
    expenses = round(division_sum(review, EXPENSES, a))
    assert value == expenses == -3_766_271
    assert formula == f"=E{DIVISION_TOP + INCOME_STATEMENT.index['toimintakulut'] + 1}"
    assert published("MENOT")[3] == -3_914_574
    assert [review.division, "MENOT", "TOT 2023 6 kk", -3_914_574, expenses, -3_914_574 - expenses] \
        in notes_rows(review)


def test_error_cells_are_found_by_location_not_by_label() -> None:
    """The board marks the cell a finding's location names (level, table, line key, column), whatever
    its printed label: the council and the division share a name and the label Valmistus omaan käyttöön."""
    from dataclasses import replace

    from elinvoima_xl.core.checks import Code, Finding, Location, Severity
    from elinvoima_xl.core.model import Level
    from elinvoima_xl.jobs.board import _error_cells

    review = bundled_review()
    council, division = review.council, review.division_table
    assert council is not None and division is not None and council.name == division.name
    a = review.roles.actual
    col = review.columns[a]
    key = "valmistus_omaan_kayttoon"
    f = Finding(Severity.ERROR, Code.COUNCIL, council.name, "Valmistus omaan kaytoon (sic)", "sarake", 0.0, 5.0, 5.0,
                "m", location=Location(Level.COUNCIL, council.name, key, col))
    assert _error_cells([f], Code.COUNCIL, Level.COUNCIL, council) == {(key, a)}
    assert _error_cells([f], Code.COUNCIL, Level.DIVISION, division) == set()       # the other table of the name
    assert _error_cells([f], Code.DIVISION_SUM, Level.COUNCIL, council) == set()    # another check
    assert _error_cells([replace(f, severity=Severity.INFO)], Code.COUNCIL, Level.COUNCIL, council) == set()
    assert _error_cells([replace(f, location=None)], Code.COUNCIL, Level.COUNCIL, council) == set()
    # The same line of another column (TP 2022) is another cell.
    prev = review.roles.prev_year
    assert prev is not None and prev != a
    moved = replace(f, location=Location(Level.COUNCIL, council.name, key, review.columns[prev]))
    assert _error_cells([moved], Code.COUNCIL, Level.COUNCIL, council) == {(key, prev)}
