"""Benchmark: the heads' workbooks of a synthetic 200-area review, against openpyxl and xlsxwriter in memory.

Target (issue 14): 200 per-area workbooks ≤ 1.5 s median. All three render the same head
layouts (`head_workbook.head_layout`) in the same run: ours with the fast package writer
(`head_package`), the baselines with openpyxl (a new workbook per area, saved to memory) and
with the project's xlsxwriter writer (`render_xlsxwriter`, in memory).
Run: `make bench` or `python benchmarks/bench_split.py [N_AREAS] [REPEATS]`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl
from openpyxl.styles import Alignment, Border, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from synthetic import synthetic_income_review
from openpyxl_writer import render_sheet
from timing import median_time

from elinvoima_xl.workbook.head_layout import ANSWER_FILL, HeadLayout, head_layout
from elinvoima_xl.workbook.head_writer import _abs, render_xlsxwriter
from elinvoima_xl.workbook.layout import AMOUNT, quote_sheet
from elinvoima_xl.core.model import Review
from elinvoima_xl.jobs.sending import SendInput, split_review


def _openpyxl_book(hl: HeadLayout) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    fill = PatternFill("solid", fgColor=ANSWER_FILL.lstrip("#"))
    for sheet in hl.sheets:
        ws = wb.create_sheet(sheet.name)
        render_sheet(ws, sheet)
        for a in hl.answers:
            if a.sheet == sheet.name:
                c = ws.cell(a.row + 1, a.col + 1, a.value)
                c.fill, c.protection = fill, Protection(locked=False)
                c.border = Border(*(Side("thin", color="BFBFBF"),) * 4)
                if a.kind == "amount":
                    c.number_format = AMOUNT
                else:
                    c.alignment = Alignment(wrap_text=True, vertical="top")
                wb.defined_names[a.name] = DefinedName(a.name, attr_text=f"{quote_sheet(a.sheet)}!${_abs(a.row, a.col)}")
        ws.protection.sheet = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def layouts(review: Review) -> list[HeadLayout]:
    return [head_layout(review, t) for t in review.areas]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    review = synthetic_income_review(n)
    inp = SendInput(review, "bench", None)
    books = split_review(inp)
    size = sum(len(b.data) for b in books)
    print(f"synthetic division: {n} areas, {size / 1e6:.1f} MB of .xlsx in all; median of {repeats} (baselines fewer)")
    target = 1.5
    t_ours, runs = median_time(lambda: split_review(inp), repeats)
    t_xw, _ = median_time(lambda: [render_xlsxwriter(hl) for hl in layouts(review)], max(1, repeats // 2))
    t_op, _ = median_time(lambda: [_openpyxl_book(hl) for hl in layouts(review)], max(1, repeats // 2))
    verdict = "met" if t_ours <= target else "NOT met"
    print(f"split   ours {t_ours:6.3f} s (runs {', '.join(f'{t:.2f}' for t in runs)})  "
          f"xlsxwriter in memory {t_xw:6.3f} s ({t_xw / t_ours:4.1f}x)  openpyxl {t_op:6.3f} s ({t_op / t_ours:4.1f}x)  "
          f"target {target:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
