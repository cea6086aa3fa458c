"""The ribbon jobs: the same job code through the file backend and the live backend (on a strict xlwings fake)."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.excel import ribbon
from elinvoima_xl.workbook.vba import MACROS_DIR
from elinvoima_xl.excel.live_backend import LiveBackend, style_blocks
from elinvoima_xl.jobs.workbook_jobs import run_job
from elinvoima_xl.workbook.layout import CHECKS_SHEET, DATA_SHEET, FILL, SUMMARY_SHEET
from elinvoima_xl.core.model import Review
from elinvoima_xl.jobs.team_workbook import build_workbook, run_file_job

from .fake_xlwings import FakeBook, Strict

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    return built_workbook


def _file_cells(data: bytes, sheet: str) -> dict[tuple[int, int], object]:
    ws = openpyxl.load_workbook(io.BytesIO(data))[sheet]
    return {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value not in (None, "")}


def test_fake_offers_only_what_xlwings_has() -> None:
    import tests.fake_xlwings as fake

    checked = set()
    for cls in vars(fake).values():
        if isinstance(cls, type) and issubclass(cls, Strict) and cls is not Strict:
            checked.add(cls.__name__)
            public = {n for n, v in vars(cls).items() if not n.startswith("_") and n not in ("REAL", "from_xlsx")
                      and (callable(v) or isinstance(v, property))}
            missing = {n for n in public if not hasattr(cls.REAL, n)}
            assert not missing, f"{cls.__name__} offers {missing}, which xlwings.{cls.REAL.__name__} lacks"
    assert {"FakeApp", "FakeBook", "FakeSheet", "FakeRange", "FakeName"} <= checked, checked


def test_fake_rejects_what_xlwings_lacks(built: bytes) -> None:
    book = FakeBook.from_xlsx(built)
    rng = book.sheets[DATA_SHEET].range("A1")
    with pytest.raises(AttributeError):
        rng.hidden = True                 # not an xlwings Range property
    with pytest.raises(AttributeError):
        rng.api                           # the fake does not hand out COM objects  # noqa: B018
    with pytest.raises(AttributeError):
        book.sheets[DATA_SHEET].freeze_panes = "B2"


@pytest.mark.parametrize("job", ["rebuild", "luo_valilehdet", "paivita_yhteenveto", "tarkista_summat"])
def test_both_backends_write_the_same_cells(built: bytes, job: str) -> None:
    new_file, report = run_file_job(built, "Elinvoima.xlsm", job)
    book = FakeBook.from_xlsx(built)
    live_report = run_job(LiveBackend(book), job)
    assert live_report.written == report.written and live_report.errors == report.errors
    assert [s.name for s in book.sheets] == openpyxl.load_workbook(io.BytesIO(new_file), read_only=True).sheetnames
    for sheet in report.written:
        assert book.sheets[sheet]._grid() == _file_cells(new_file, sheet), sheet


def test_live_job_marks_and_unmarks_the_data_sheet(built: bytes) -> None:
    book = FakeBook.from_xlsx(built)
    run_job(LiveBackend(book), "tarkista_summat")
    data = book.sheets[DATA_SHEET]
    red = tuple(int(FILL["error"][i:i + 2], 16) for i in (0, 2, 4))
    flagged = {cell for cell, f in data._formats.items() if f.get("color") == red}
    assert flagged, "the division's Avustukset figure must be flagged"
    row, col = next(iter(sorted(flagged)))
    # the team corrects the figure: the areas add up to −849 893
    assert data._values[(row, col)] == -998195
    data._put(row, col, -849893)
    for (r, c), v in list(data._values.items()):
        if r > 1 and data._values.get((r, 1)) == "toimiala" and data._values.get((r, 3)) in (
                "Toimintakulut", "TOIMINTAKATE", "VUOSIKATE", "TILIKAUDEN TULOS") and c == col:
            data._put(r, c, v + 148302)
    report = run_job(LiveBackend(book), "tarkista_summat")
    assert (row, col) not in {cell for cell, f in data._formats.items() if f.get("color") == red}
    assert not [f for f in report.findings if f.severity == "error" and f.code == "division_sum"
                and f.line == "Avustukset"]


def test_excel_calls_per_sheet_do_not_grow_with_rows(seed_review: Review) -> None:
    from synthetic import synthetic_income_review

    def calls(review: Review) -> dict[str, int]:
        book = FakeBook.from_xlsx(build_workbook(review))
        run_job(LiveBackend(book), "rebuild")
        return dict(book.calls)

    small = calls(synthetic_income_review(3, seed=1))
    large = calls(synthetic_income_review(40, seed=2))     # 13× the rows on the data sheet and checks
    # Fixed bounds, whatever the number of rows; the checks sheet varies only with which of the
    # three severities occur (one fill and one bold block each). Proving a tool sheet the tool's
    # before replacing it (its names, its fingerprint, its cells in two reads) costs about 20.
    for sheet_calls in (small, large):
        assert max(v for k, v in sheet_calls.items() if k.startswith("Palvelualue")) <= 95
        assert sheet_calls[SUMMARY_SHEET] <= 100
        assert sheet_calls[CHECKS_SHEET] <= 95
        assert sheet_calls[DATA_SHEET] <= 20
    assert large[CHECKS_SHEET] <= small[CHECKS_SHEET] + 12   # at most 3 fills, 1 bold, 3 link runs more
    assert {v for k, v in large.items() if k.startswith("Palvelualue")} == \
           {v for k, v in small.items() if k.startswith("Palvelualue")}


def test_style_blocks_cover_each_styled_cell_once(seed_review: Review) -> None:
    from elinvoima_xl.excel.live_backend import LIVE_PROPERTIES
    from elinvoima_xl.core.checks import run_checks
    from elinvoima_xl.workbook.layout import workbook_layout

    layout = workbook_layout(seed_review, run_checks(seed_review))
    for sheet in layout.sheets:
        covered: dict[tuple[str, int, int], object] = {}
        for (field, value), rects in style_blocks(sheet).items():
            for r1, c1, r2, c2 in rects:
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        assert (field, r, c) not in covered
                        covered[(field, r, c)] = value
        expected = {(f, c.row, c.col): getattr(c.style, f) for c in sheet.cells for f in LIVE_PROPERTIES
                    if getattr(c.style, f)}
        assert covered == expected, sheet.name


def test_ribbon_buttons_run_on_the_caller(built: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    book = FakeBook.from_xlsx(built)
    monkeypatch.setattr(ribbon, "_caller", lambda: book)
    ribbon.tarkista_summat()
    assert book.app._alerts == [("Elinvoima", "Tarkistuksissa löytyi 7 virhettä. Katso välilehti Tarkistukset.")]
    assert "Tarkista summat: " in book.app.status_bar
    assert book._saved == 0      # the team saves
    ribbon.keraa_vastaukset()      # no folder of returned workbooks beside it: says where to put them
    assert "palautettujen työkirjojen kansiota ei ole" in book.app._alerts[-1][1]


def test_ribbon_reports_a_data_problem_in_finnish(built: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    book = FakeBook.from_xlsx(built)
    data = book.sheets[DATA_SHEET]
    data._put(2, 4, "paljon")          # text in a number cell
    monkeypatch.setattr(ribbon, "_caller", lambda: book)
    ribbon.paivita_yhteenveto()
    title, message = book.app._alerts[-1]
    assert title == "Elinvoima" and "Tiedot!D2" in message and "Traceback" not in message
    assert book.app.status_bar is False


def test_cli_runs_a_ribbon_job(built: bytes, tmp_path: Path) -> None:
    import subprocess

    target = tmp_path / "Elinvoima.xlsm"
    target.write_bytes(built)
    r = subprocess.run([sys.executable, "-m", "elinvoima_xl", "job", "paivita_yhteenveto", str(target)],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "1 välilehteä päivitetty" in r.stdout and "Päivitetään yhteenveto" in r.stderr
    assert (tmp_path / "Elinvoima.edellinen.xlsm").read_bytes() == built
    r = subprocess.run([sys.executable, "-m", "elinvoima_xl", "job", "tarkista_summat", str(tmp_path / "puuttuu.xlsm")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "ei löydy" in r.stderr


def test_ribbon_import_matches_the_command_line_import(built: bytes, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, seed_review: Review) -> None:
    from elinvoima_xl.jobs.importer import import_ledger
    from elinvoima_xl.sources.load import bundled_path
    from elinvoima_xl.sources.ledger import DEFAULT_MAPPING, read_mapping
    from elinvoima_xl.sources.ledger_generator import ledger_for_review
    from elinvoima_xl.sources.load import load_review

    mapping = read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(), DEFAULT_MAPPING)
    ledger, budget = ledger_for_review(load_review(bundled_path("heinola_elinvoima_1-6_2023.csv")), mapping)
    (tmp_path / "k.csv").write_bytes(ledger)
    (tmp_path / "ta.csv").write_bytes(budget)
    workbook = tmp_path / "Elinvoima.xlsm"
    workbook.write_bytes(built)
    import_ledger(tmp_path / "k.csv", workbook, tmp_path / "ta.csv")
    book = FakeBook.from_xlsx(built)
    monkeypatch.setattr(ribbon, "_caller", lambda: book)
    ribbon.tuo_kirjanpito(str(tmp_path / "k.csv"), str(tmp_path / "ta.csv"))
    # the import keeps the investments, whose printed total has the seed's two real errors (TP 2022)
    assert book.app._alerts == [("Elinvoima", "Tarkistuksissa löytyi 2 virhettä. Katso välilehti Tarkistukset.")]
    assert "642 riviä" in book.app.status_bar
    for sheet in (DATA_SHEET, "Kohdistus", SUMMARY_SHEET, "Työllisyyspalvelut"):
        assert book.sheets[sheet]._grid() == _file_cells(workbook.read_bytes(), sheet), sheet
    log = book.sheets["Tuonnit"]._grid()
    assert log[(2, 2)] == "k.csv + ta.csv" and len(log[(2, 3)]) == 64


_VBA_TOKEN = re.compile(r'"(?:[^"]|"")*"|&|\(|\)|,|\w+')


def _vba_string_function(name: str) -> tuple[str, str]:
    """(parameter, expression) of a one-line VBA string function `name` in the real macros/Elinvoima.bas."""
    text = (MACROS_DIR / "Elinvoima.bas").read_text(encoding="utf-8")
    m = re.search(rf"^Private Function {name}\((\w+) As String\) As String\n(.*?)^End Function", text, re.M | re.S)
    assert m, f"no Function {name} in Elinvoima.bas"
    body = [line.strip() for line in m[2].splitlines() if line.strip() and not line.strip().startswith("'")]
    assert len(body) == 1 and body[0].startswith(f"{name} = "), body
    return m[1], body[0][len(name) + 3:]


def _eval_vba(expr: str, variables: dict[str, str]) -> str:
    """Evaluate a VBA string expression of literals, variables, `&` and `Replace(a, b, c)` (all that PyString uses)."""
    tokens = _VBA_TOKEN.findall(expr)
    assert not _VBA_TOKEN.sub("", expr).strip(), f"unsupported VBA in {expr!r}"
    pos = 0

    def take(expected: str | None = None) -> str:
        nonlocal pos
        tok = tokens[pos]
        assert expected is None or tok == expected, (expected, tok, expr)
        pos += 1
        return tok

    def term() -> str:
        tok = take()
        if tok.startswith('"'):
            return tok[1:-1].replace('""', '"')
        if tok == "Replace":
            take("(")
            a = concat()
            take(",")
            b = concat()
            take(",")
            c = concat()
            take(")")
            return a.replace(b, c)
        return variables[tok]

    def concat() -> str:
        value = term()
        while pos < len(tokens) and tokens[pos] == "&":
            take("&")
            value += term()
        return value

    out = concat()
    assert pos == len(tokens), expr
    return out


def test_vba_path_literal_round_trips() -> None:
    """macros/Elinvoima.bas PyString, read from the real file: the literal it makes gives Python the path back."""
    import ast

    param, expr = _vba_string_function("PyString")
    for path in (r"C:\Users\Liisa\Kirjanpito\raportti 6-2023.csv", r"\\palvelin\talous\Liisan 'oma'.csv",
                 "C:\\a\\\\b\\'\\'.csv", "plain.csv", "\\"):
        literal = _eval_vba(expr, {param: path})
        assert ast.literal_eval(literal) == path, (path, literal)
    # the evaluator reads VBA, not Python: a doubled quote in a VBA literal is one quote
    assert _eval_vba('"a""b" & Replace(x, "1", "22")', {"x": "010"}) == 'a"b0220'