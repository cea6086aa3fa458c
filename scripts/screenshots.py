"""Render the sheets of the team's workbook to PNG for the user's guide: LibreOffice to PDF, then pdftoppm.

Usage: `python scripts/screenshots.py [OUT_DIR]` (default docs/img). Needs `soffice` and `pdftoppm`
(Debian: libreoffice-calc, poppler-utils). Each sheet is printed alone (the others hidden),
landscape, one page wide, with every formula recalculated by LibreOffice in the Finnish locale (numbers as Finnish Excel
shows them: 1 094,50); the first page becomes `<name>.png`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

from elinvoima_xl.sources.load import bundled_review
from elinvoima_xl.jobs.team_workbook import build_workbook

# file name in docs/img -> (sheet, the range shown: the table without the chart, the first rows of long lists)
SHEETS = {
    "yhteenveto": ("Yhteenveto", "A1:H52"),
    "palvelualue": ("Työllisyyspalvelut", "A1:H26"),
    "tarkistukset": ("Tarkistukset", "A1:I16"),
    "tiedot": ("Tiedot", "A1:I22"),
}
RESOLUTION = 70   # dpi: legible in the guide, small in the repository

_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>fi-FI</value></prop></item>
</oor:items>
"""


def sheet_alone(workbook: bytes, sheet: str, area: str) -> bytes:
    """A copy of `workbook` (.xlsx, no macros) in which only `area` of `sheet` prints: landscape, one page wide."""
    wb = openpyxl.load_workbook(io.BytesIO(workbook))
    for ws in wb.worksheets:
        ws.sheet_state = "visible" if ws.title == sheet else "hidden"
    target = wb[sheet]
    wb.active = wb.worksheets.index(target)
    target.page_setup.orientation = "landscape"
    target.page_setup.paperSize = target.PAPERSIZE_A4
    target.sheet_properties.pageSetUpPr.fitToPage = True
    target.page_setup.fitToWidth = 1
    target.page_setup.fitToHeight = 0
    target.print_options.gridLines = True
    target.print_area = area
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(workbook: bytes, out_dir: Path) -> list[Path]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    pdftoppm = shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        sys.exit("soffice ja pdftoppm tarvitaan (Debian: libreoffice-calc, poppler-utils).")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        user = tmp / "profile" / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
        for name, (sheet, area) in SHEETS.items():
            src = tmp / f"{name}.xlsx"
            src.write_bytes(sheet_alone(workbook, sheet, area))
            subprocess.run([soffice, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless",
                            "--norestore", "--convert-to", "pdf", "--outdir", str(tmp), str(src)],
                           check=True, capture_output=True, timeout=180)
            subprocess.run([pdftoppm, "-png", "-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile", "-cropbox",
                            str(tmp / f"{name}.pdf"), str(out_dir / name)], check=True, timeout=60)
            written.append(out_dir / f"{name}.png")
    return written


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "img"
    for path in render(build_workbook(bundled_review()), out_dir):
        print(f"Kirjoitettu {path} ({path.stat().st_size // 1024} kt)")


if __name__ == "__main__":
    main()
