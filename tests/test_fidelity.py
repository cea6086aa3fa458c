"""Excel fidelity: every package the project writes passes openxml-audit (the Open XML SDK's validator, Microsoft 365) with zero errors."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.sources.load import bundled_path, load_review
from elinvoima_xl.core.model import Review
from elinvoima_xl.sources.datafile import write_data_xlsx
from elinvoima_xl.jobs.team_workbook import rebuild_bytes, run_file_job

from .conftest import REPO
from .ooxml import assert_valid_package, package_errors


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    return built_workbook


def test_committed_workbook() -> None:
    assert_valid_package(REPO / "workbook" / "Elinvoima.xlsm", "Elinvoima.xlsm")


def test_build(built: bytes) -> None:
    assert_valid_package(built, "Elinvoima.xlsm")


def test_rebuild(built: bytes) -> None:
    out, _ = rebuild_bytes(built, "Elinvoima.xlsm")
    assert_valid_package(out, "Elinvoima.xlsm")


@pytest.mark.parametrize("job", ["luo_valilehdet", "paivita_yhteenveto", "tarkista_summat"])
def test_each_ribbon_job_on_the_file(built: bytes, job: str) -> None:
    out, _ = run_file_job(built, "Elinvoima.xlsm", job)
    assert_valid_package(out, "Elinvoima.xlsm")


def test_import_into_the_workbook(built: bytes, tmp_path: Path) -> None:
    """The ledger import rewrites Tiedot, adds Kohdistus and Tuonnit and rebuilds the rest; a ledger
    file whose name starts with "=" stays text in the Tuonnit log."""
    from elinvoima_xl.jobs.importer import import_ledger
    from elinvoima_xl.sources.ledger import DEFAULT_MAPPING, read_mapping
    from elinvoima_xl.sources.ledger_generator import ledger_for_review

    mapping = read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(), DEFAULT_MAPPING)
    ledger, budget = ledger_for_review(load_review(bundled_path("heinola_elinvoima_1-6_2023.csv")), mapping)
    (tmp_path / "=kirjanpito.csv").write_bytes(ledger)
    (tmp_path / "ta.csv").write_bytes(budget)
    target = tmp_path / "Elinvoima.xlsm"
    target.write_bytes(built)
    import_ledger(tmp_path / "=kirjanpito.csv", target, tmp_path / "ta.csv")
    assert_valid_package(target, "Elinvoima.xlsm")
    log = openpyxl.load_workbook(target)["Tuonnit"]
    cell = log.cell(2, 2)
    assert cell.value == "=kirjanpito.csv + ta.csv" and cell.data_type == "s"


def test_export_xlsx(seed_review: Review) -> None:
    assert_valid_package(write_data_xlsx(seed_review), "tiedot.xlsx")


def test_the_validator_finds_what_excel_would_repair(built: bytes) -> None:
    """The check can fail: a sheet whose <cols> follows <sheetData> (Excel repairs it), and a sheet
    name with a control character (the workbook part is not XML), are errors."""
    def edit(part: str, change: "re.Pattern[bytes]", to: bytes) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(built)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                body = src.read(item.filename)
                if item.filename == part:
                    body = change.sub(to, body, count=1)
                dst.writestr(item, body)
        return out.getvalue()

    misplaced = edit("xl/worksheets/sheet1.xml", re.compile(rb"(<cols>.*?</cols>)(<sheetData>.*</sheetData>)", re.S),
                     rb"\2\1")
    assert package_errors(misplaced, "Elinvoima.xlsm")
    control = edit("xl/workbook.xml", re.compile(rb'name="Yhteenveto"'), b'name="Yhteen\x01veto"')
    assert package_errors(control, "Elinvoima.xlsm")
