"""The public surface is pinned: a change to it is a decision, not an accident."""

from __future__ import annotations

import subprocess
import sys

import elinvoima_xl


def test_public_api() -> None:
    assert sorted(elinvoima_xl.__all__) == sorted([
        "COUNCIL", "Column", "ColumnKind", "ElinvoimaError", "Finding", "INCOME_STATEMENT", "INVESTMENT",
        "InputError", "NumberFormatError", "Review", "Settings", "Structure", "Table", "bundled_review",
        "complete", "execution_pct", "forecast", "has_errors", "load_review", "remaining", "rollup",
        "run_checks",
    ])
    for name in elinvoima_xl.__all__:
        assert hasattr(elinvoima_xl, name)


def test_core_and_cli_do_not_import_xlwings() -> None:
    code = ("import sys, elinvoima_xl, elinvoima_xl.cli, elinvoima_xl.core.checks, elinvoima_xl.excel.values, "
            "elinvoima_xl.jobs.workbook_jobs, elinvoima_xl.jobs.team_workbook, elinvoima_xl.jobs.importer, elinvoima_xl.workbook.splice, "
            "elinvoima_xl.jobs.file_backend, elinvoima_xl.excel.live_backend, elinvoima_xl.excel.ribbon, elinvoima_xl.workbook.vba; "
            "print('xlwings' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
