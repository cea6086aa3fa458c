"""LibreOffice recalculates every head's workbook: its formulas give the team workbook's figures and its stored values."""

from __future__ import annotations

import io
import math
import subprocess
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.core.model import Review
from elinvoima_xl.jobs.sending import SendInput, split_review
from elinvoima_xl.core.structure import INCOME_STATEMENT

from .spreadsheet_engine import _RECALC_ALWAYS, soffice

pytestmark = pytest.mark.libreoffice
FIRST = 5


def _recalculated(files: list[Path], out_dir: Path) -> list[Path]:
    """All files opened, recalculated (cached values ignored) and saved as .xlsx by one LibreOffice run."""
    profile = out_dir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
    result = subprocess.run([soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                             "--convert-to", "xlsx", "--outdir", str(out_dir), *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    outs = [out_dir / f.name for f in files]
    assert result.returncode == 0 and all(o.exists() for o in outs), result.stdout + result.stderr
    return outs


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
    recalculated = _recalculated(files, tmp_path / "lo")
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
