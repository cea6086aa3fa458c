"""Benchmark: TOT_PCT over a 100 000-cell column as one call against 100 000 single-cell calls.

Target (issue 4): ≤ 15 ms median for the one call, conversion from and to Excel's 2-D lists
included. Run: `python benchmarks/bench_udfs.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from elinvoima_xl.excel.udfs import TOT_PCT


def main() -> None:
    rng = np.random.default_rng(7)
    n = 100_000
    ta = np.round(rng.uniform(-5e5, 5e5, n), -2)
    ta[::50] = 0.0                                        # some lines without budget
    tot = np.round(ta * rng.uniform(0.2, 0.8, n), 2)
    # What xlwings hands a UDF for a column: a list of one-element lists of floats (None for empty).
    tot_cells = [[float(x)] for x in tot]
    ta_cells = [[float(x)] if x else None for x in ta]
    ta_cells = [c if c is not None else [None] for c in ta_cells]
    times = []
    for _ in range(15):
        t0 = time.perf_counter()
        out = TOT_PCT(tot_cells, ta_cells)
        times.append((time.perf_counter() - t0) * 1000)
    assert len(out) == n and out[1][0] == float(np.round(tot[1] / ta[1] * 100, 1))
    one_call = statistics.median(times)
    singles = []
    for _ in range(3):
        t0 = time.perf_counter()
        for a, b in zip(tot_cells, ta_cells):
            TOT_PCT(a[0], b[0])
        singles.append((time.perf_counter() - t0) * 1000)
    per_cell = statistics.median(singles)
    print(f"TOT_PCT over {n} cells")
    print(f"  one array call:       {one_call:9.1f} ms median   target ≤ 15 ms")
    print(f"  {n} single calls: {per_cell:9.1f} ms median (Python only; Excel adds its own per-call cost)")
    print(f"  ratio: {per_cell / one_call:.0f}×")


if __name__ == "__main__":
    main()
