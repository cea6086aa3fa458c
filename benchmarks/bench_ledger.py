"""Benchmark: ledger import of a city-scale export against plain pandas / openpyxl in the same run.

Targets (issue 5): a 1 000 000-row CSV read and aggregated ≤ 0.6 s median (pandas read_csv +
groupby: 0.28 s + 0.20 s on this machine class); a 200 000-row .xlsx ≤ 1.2 s (openpyxl
read-only 15 s, fastexcel 0.9 s). Ours includes parsing Finnish amounts and dates, the
mapping and exact cent sums; the baselines only read and group.
Run: `make bench` or `python benchmarks/bench_ledger.py [ROWS] [XLSX_ROWS]`.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from elinvoima_xl.sources.ledger import aggregate, read_ledger
from elinvoima_xl.sources.ledger_generator import city_ledger


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def pandas_baseline(data: bytes) -> object:
    df = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", dtype={"kustannuspaikka": "int64", "tili": "int64"})
    return df.groupby(["kustannuspaikka", "tili"])["summa"].sum()


def xlsx_of(data: bytes, rows: int) -> bytes:
    import xlsxwriter

    lines = data.decode("utf-8").splitlines()[: rows + 1]
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("Kirjaukset")
    for r, line in enumerate(lines):
        a, b, c, d = line.split(";")
        if r == 0:
            ws.write_row(r, 0, [a, b, c, d])
        else:
            ws.write_row(r, 0, [int(a), int(b), c, float(d.replace(",", "."))])
    wb.close()
    return buf.getvalue()


def openpyxl_baseline(data: bytes) -> object:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    wb.close()
    return pd.DataFrame(rows).groupby([0, 1])[3].sum()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_xlsx = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    data, mapping = city_ledger(n_rows=n)
    ours = median_time(lambda: aggregate(read_ledger(data, "kirjanpito.csv"), mapping), 5)
    plain = median_time(lambda: pandas_baseline(data), 3)
    print(f"CSV {n} rows ({len(data) / 1e6:.0f} MB): ours {ours:.3f} s, plain pandas read+groupby {plain:.3f} s; "
          f"target 0.6 s: {'met' if ours <= 0.6 else 'NOT met'}")
    xdata = xlsx_of(data, n_xlsx)
    ours_x = median_time(lambda: aggregate(read_ledger(xdata, "kirjanpito.xlsx"), mapping), 3)
    plain_x = median_time(lambda: openpyxl_baseline(xdata), 1)
    print(f"XLSX {n_xlsx} rows: ours {ours_x:.3f} s, openpyxl read-only {plain_x:.3f} s ({plain_x / ours_x:.0f}x); "
          f"target 1.2 s: {'met' if ours_x <= 1.2 else 'NOT met'}")


if __name__ == "__main__":
    main()
