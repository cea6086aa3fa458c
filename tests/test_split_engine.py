"""LibreOffice recalculates every head's workbook: its formulas give the team workbook's figures and its stored values."""

from __future__ import annotations

import io
import math
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.core.model import Review
from elinvoima_xl.jobs.sending import SendInput, split_review
from elinvoima_xl.core.structure import INCOME_STATEMENT

from .spreadsheet_engine import convert_all

pytestmark = pytest.mark.libreoffice
FIRST = 5


def test_libreoffice_recalculation_gives_the_team_workbooks_figures(seed_review: Review, tmp_path: Path,
                                                                     built_workbook: bytes) -> None:
    team = openpyxl.load_workbook(io.BytesIO(built_workbook), data_only=True)
    books = split_review(SendInput(seed_review, "t", None))
    src = tmp_path / "src"
    src.mkdir()
    files = []
    for book in books:
        path = src / book.filename
        path.write_bytes(book.data)
        files.append(path)
    recalculated = convert_all(files, "xlsx", tmp_path / "lo")
    compared = 0
    for book, path in zip(books, recalculated):
        lo = openpyxl.load_workbook(path, data_only=True)[book.area[:31]]
        stored = openpyxl.load_workbook(io.BytesIO(book.data), data_only=True)[book.area[:31]]
        ws = team[book.area[:31]]
        for r in range(FIRST, FIRST + len(INCOME_STATEMENT.lines)):
            for c in range(2, 9):          # the four figures, Jäljellä, TOT-%, Ennuste
                want = ws.cell(r, c).value
                if want is None:
                    continue
                got, kept = lo.cell(r, c).value, stored.cell(r, c).value
                assert isinstance(got, (int, float)), (book.area, r, c, got)
                assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6), (book.area, r, c, got, want)
                assert math.isclose(kept, want, rel_tol=1e-9, abs_tol=1e-6), (book.area, r, c, kept, want)
                compared += 1
    # five areas × the 20 lines with figures (22 lines, two headings; hidden lines hold 0) × seven columns
    assert compared == 5 * 20 * 7
    # and the seed's own figures, e.g. Työllisyyspalvelut Myyntituotot 59,90 % and TOIMINTAKATE TOT 2023
    lo = openpyxl.load_workbook(recalculated[0], data_only=True)["Työllisyyspalvelut"]
    assert lo.cell(FIRST + INCOME_STATEMENT.index["myyntituotot"], 7).value == pytest.approx(59.9)
    assert lo.cell(FIRST + INCOME_STATEMENT.index["myyntituotot"], 6).value == pytest.approx(39942)
