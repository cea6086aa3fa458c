"""Benchmark: all checks over a synthetic 200-area division (40 lines, 6 columns) against a naive loop.

Target (issue 2): ≤ 50 ms median. The baseline computes the same identity, roll-up,
Jäljellä and % gaps cell by cell in plain Python, in the same run, on the same data.
Run: `make bench` or `python benchmarks/bench_checks.py`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthetic import synthetic_review

from elinvoima_xl.core.checks import ALL_CHECKS as ALL
from elinvoima_xl.core.check_sums import gap_finding
from elinvoima_xl.core.checks import (
    Code,
    Finding,
    check_division_sum,
    check_identities,
    check_printed_remaining_and_pct,
    rounding_tolerance,
    run_checks,
)
from elinvoima_xl.core.model import Level, Review

SAME_CHECKS = (check_identities, check_division_sum, check_printed_remaining_and_pct)


def naive_checks(review: Review) -> list[tuple[str, str, str, int, float]]:
    """The same gaps, one cell at a time, as a spreadsheet macro would do it; each gap that is
    not zero becomes the same Finding (message included) the vectorised checks make."""
    out: list[tuple[str, str, str, int, float]] = []
    made: list[Finding] = []
    cols = range(len(review.columns))
    tables = review.areas + ([review.division_table] if review.division_table is not None else [])
    for t in tables:
        level = Level.DIVISION if t is review.division_table else Level.AREA
        s = t.structure
        v = {ln.key: [float(x) for x in t.values[i]] for i, ln in enumerate(s.lines)}
        for ident in s.identities:
            for c in cols:
                total = v[ident.total][c]
                if total != total:
                    continue
                expected = 0.0
                for term in ident.terms:
                    x = v[term][c]
                    if x == x:
                        expected += x
                if total - expected != 0:
                    out.append(("identity", t.name, ident.total, c, total - expected))
                    n = 1 + sum(1 for term in ident.terms if v[term][c] == v[term][c])
                    made.append(gap_finding(Code.IDENTITY, level, t, ident.total, t.columns[c], expected,
                                            total, float(rounding_tolerance(n)), "="))
        for i, ln in enumerate(s.lines):
            b, a = v[ln.key][2], v[ln.key][3]
            rem = float(t.printed_remaining[i])
            if rem == rem and rem - (b - a) != 0:
                out.append(("remaining", t.name, ln.key, 0, rem - (b - a)))
                made.append(gap_finding(Code.REMAINING, level, t, ln.key, t.columns[2], b - a, rem,
                                        float(rounding_tolerance(3)), "TA − TOT ="))
            pct = float(t.printed_pct[i])
            if pct == pct and b != 0 and abs(pct - a / b * 100) > 0.05 + 100 * (0.5 / abs(b) + 0.5 * abs(a) / b**2):
                out.append(("pct", t.name, ln.key, 0, pct - a / b * 100))
    d = review.division_table
    if d is not None:
        for i, ln in enumerate(d.structure.lines):
            for c in cols:
                total = float(d.values[i, c])
                acc = 0.0
                for t in review.areas:
                    x = float(t.values[i, c])
                    if x == x:
                        acc += x
                if total == total and total - acc != 0:
                    out.append(("division_sum", d.name, ln.key, c, total - acc))
                    made.append(gap_finding(Code.DIVISION_SUM, Level.DIVISION, d, ln.key, d.columns[c], acc, total,
                                            float(rounding_tolerance(len(review.areas) + 1)), "="))
    return out


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    review = synthetic_review(200)
    findings = run_checks(review)
    naive = naive_checks(review)
    codes = ("identity", "remaining", "division_sum")
    ours = sorted((f.code, f.area) for f in findings if f.code in codes)
    theirs = sorted((c, a) for c, a, *_ in naive if c in codes)
    assert ours == theirs, "the vectorised checks and the naive loop disagree"
    everything = median_ms(lambda: run_checks(review), 25)
    same = median_ms(lambda: run_checks(review, checks=SAME_CHECKS), 25)
    slow = median_ms(lambda: naive_checks(review), 5)
    cells = len(review.areas) * len(review.areas[0].structure.lines) * 6
    print(f"checks over 200 areas × 40 lines × 6 columns ({cells} cells), {len(findings)} findings")
    print(f"  run_checks, all {len(ALL)} checks (vectorised):        {everything:8.1f} ms median   target ≤ 50 ms")
    print(f"  identities + roll-up + Jäljellä/% (vectorised):  {same:8.1f} ms median")
    print(f"  the same three, naive per-cell loop:             {slow:8.1f} ms median")
    print(f"  ratio on the same work: {slow / same:.1f}× faster")


if __name__ == "__main__":
    main()
