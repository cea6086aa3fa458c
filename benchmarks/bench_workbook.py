"""Benchmark: build and rebuild of the team workbook for a synthetic 200-area division, against plain openpyxl.

Targets (issue 3): build ≤ 1.0 s median, rebuild ≤ 1.0 s median (replace the owned sheets of a
~200-sheet .xlsm and save, nothing lost). The baseline renders the same layout with openpyxl
in the same run: a new workbook saved (build), and load with keep_vba, owned sheets replaced,
saved (rebuild), as one would with openpyxl alone.
Run: `make bench` or `python benchmarks/bench_workbook.py [N_AREAS] [REPEATS]`.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl
from synthetic import synthetic_income_review
from timing import median_time
from openpyxl_writer import render_openpyxl, render_sheet

from elinvoima_xl.core.checks import run_checks
from elinvoima_xl.workbook.layout import OWNED_NAME, DataMap, workbook_layout
from elinvoima_xl.jobs.team_workbook import build_workbook, rebuild_bytes


def openpyxl_build(review: object) -> bytes:
    return render_openpyxl(workbook_layout(review, run_checks(review)))  # type: ignore[arg-type]


def openpyxl_rebuild(data: bytes, review: object) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=True)
    header = next(wb["Tiedot"].iter_rows(max_row=1, values_only=True))
    layout = workbook_layout(review, run_checks(review), data_map=DataMap.from_sheet(review, header))  # type: ignore[arg-type]
    for ws in list(wb.worksheets):
        if OWNED_NAME in ws.defined_names or ws.title == "xlwings.conf":
            wb.remove(ws)
    for sheet in layout.sheets:
        if sheet.owned:
            render_sheet(wb.create_sheet(sheet.name), sheet)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    review = synthetic_income_review(n)
    data = build_workbook(review)
    from elinvoima_xl.sources.datafile import read_data_xlsx

    as_read = read_data_xlsx(data, "bench.xlsm", sheet="Tiedot")   # with sources, as rebuild reads it
    sheets = len(openpyxl.load_workbook(io.BytesIO(data), read_only=True).sheetnames)
    print(f"synthetic division: {n} areas, {sheets} sheets, {len(data) / 1e6:.1f} MB .xlsm; median of {repeats}")
    rows = [
        ("build", lambda: build_workbook(review), lambda: openpyxl_build(review), 1.0),
        ("rebuild", lambda: rebuild_bytes(data, "bench.xlsm"), lambda: openpyxl_rebuild(data, as_read), 1.0),
    ]
    for name, ours, plain, target in rows:
        t_ours, all_ours = median_time(ours, repeats)
        t_plain, _ = median_time(plain, max(1, repeats // 2))
        verdict = "met" if t_ours <= target else "NOT met"
        print(f"{name:8s} ours {t_ours:6.3f} s (runs {', '.join(f'{t:.2f}' for t in all_ours)})  "
              f"plain openpyxl {t_plain:6.3f} s  ratio {t_plain / t_ours:4.1f}x  target {target:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
