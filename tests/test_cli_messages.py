"""Messages a person reads: one Finnish line on stderr, no Python class names, the same words in the CLI and in Excel."""

from __future__ import annotations

import errno
import io
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.excel import ribbon
from elinvoima_xl.workbook.layout import DATA_SHEET
from elinvoima_xl.jobs.messages import os_error_message
from elinvoima_xl.workbook.package import finish_package

from .fake_xlwings import FakeBook

# What must never reach a Finnish user: click's English frame, Python's class names, a traceback.
ENGLISH = re.compile(r"\b(Error|Usage|Options|Commands|Try|Missing|Invalid|No such|Got unexpected|default|"
                     r"Show this|not a valid|is not one of|Permission denied|No such file)\b")
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b")


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elinvoima_xl", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120, check=False)


def assert_one_finnish_line(r: subprocess.CompletedProcess[str], *words: str) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert not ENGLISH.search(lines[0]) and not CLASS_NAME.search(lines[0]), lines[0]
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def built(built_workbook: bytes) -> bytes:
    """The session's build of the seed: every test here reads it or copies its bytes to tmp_path."""
    return built_workbook


@pytest.mark.parametrize(("args", "words"), [
    (["check", "--frob"], ["--frob", "elinvoima check --help"]),
    (["chek"], ["'chek'", "check"]),
    (["show", "--forecast", "kuukausi"], ["--forecast", "seasonal, linear"]),
    (["import"], ["LEDGER", "puuttuu"]),
    (["import", "k.csv"], ["--into", "puuttuu"]),
    (["show", "a.txt", "b.txt"], ["argumentteja"]),
    (["generate-ledger", "-o", "k.csv", "--seed", "kaksi"], ["--seed", "kokonaisluku"]),
    (["build", "-o", "Elinvoima.xlsx"], ["--output", ".xlsm"]),
    (["check", "puuttuu.csv"], ["puuttuu.csv", "ei löydy"]),
    (["rebuild"], ["Elinvoima.xlsm", "ei löydy"]),
    (["rebuild", "puuttuu.xlsm"], ["puuttuu.xlsm", "ei löydy"]),
    (["job", "tarkista_summat", "puuttuu.xlsm"], ["puuttuu.xlsm", "ei löydy"]),
    (["import", "puuttuu.csv", "--into", "Elinvoima.xlsm"], ["puuttuu.csv", "ei löydy"]),
    (["init", "uusi", "--data", "puuttuu.csv"], ["puuttuu.csv", "ei löydy"]),
])
def test_mistakes_on_the_command_line_are_one_finnish_line(tmp_path: Path, args: list[str], words: list[str]) -> None:
    assert_one_finnish_line(run_cli(*args, cwd=tmp_path), *words)
    assert not (tmp_path / "uusi").exists()     # init with bad data makes no folder


def test_a_bad_number_is_one_finnish_line_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "tiedot.csv").write_text("taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (€)\n"
                                         "palvelualue;Kirjasto;Myyntituotot;12 000;1 2x0\n", encoding="utf-8")
    assert_one_finnish_line(run_cli("check", "tiedot.csv", cwd=tmp_path), "tiedot.csv", "rivi 2", "'1 2x0'")


def test_help_is_finnish_and_says_which_inputs_check_and_show_take() -> None:
    for command in ("check", "show"):
        r = run_cli(command, "--help")
        assert r.returncode == 0
        text = " ".join(r.stdout.split())        # click wraps lines
        for suffix in (".txt", ".csv", ".xlsx", ".xlsm"):
            assert suffix in text, (command, suffix)
        assert text.startswith(f"Käyttö: elinvoima {command} [VALITSIMET] [PATH]")
        assert "Valitsimet:" in text and "Näytä tämä ohje." in text
        assert not ENGLISH.search(text), text
    top = run_cli("--help").stdout
    assert "Komennot:" in top and "init" in top and not ENGLISH.search(top)


def test_os_errors_name_the_file_in_finnish_without_the_english_strerror() -> None:
    cases = {
        PermissionError(errno.EACCES, "Permission denied", "Elinvoima.xlsm"): "sulje se",
        FileNotFoundError(errno.ENOENT, "No such file or directory", "k.csv"): "ei löydy",
        IsADirectoryError(errno.EISDIR, "Is a directory", "kansio"): "kansio, ei tiedosto",
        OSError(errno.ENOSPC, "No space left on device", "Elinvoima.xlsm"): "levy on täynnä",
        OSError(errno.EIO, "Input/output error", "Elinvoima.xlsm"): f"virhekoodi {errno.EIO}",
    }
    for exc, words in cases.items():
        message = os_error_message(exc)
        assert message.startswith(f"{exc.filename}: ") and words in message, message
        assert not ENGLISH.search(message) and exc.strerror not in message


def test_the_same_bad_cell_gives_the_same_message_in_the_cli_and_in_excel(built: bytes, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(built), keep_vba=True)
    wb[DATA_SHEET]["F3"] = "paljon"
    buf = io.BytesIO()
    wb.save(buf)
    edited = finish_package(buf.getvalue(), None)
    (tmp_path / "Elinvoima.xlsm").write_bytes(edited)
    cli_line = assert_one_finnish_line(run_cli("rebuild", "Elinvoima.xlsm", cwd=tmp_path), "Tiedot!F3", "paljon")

    book = FakeBook.from_xlsx(edited, name="Elinvoima.xlsm")
    monkeypatch.setattr(ribbon, "_caller", lambda: book)
    ribbon.paivita_yhteenveto()
    assert book.app._alerts[-1] == ("Elinvoima", cli_line)


def test_the_same_missing_ledger_gives_the_same_message_in_the_cli_and_in_excel(
        built: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Elinvoima.xlsm").write_bytes(built)
    ledger = str(tmp_path / "kirjanpito.csv")
    cli_line = assert_one_finnish_line(run_cli("import", ledger, "--into", "Elinvoima.xlsm", cwd=tmp_path),
                                       "kirjanpito.csv", "ei löydy")
    book = FakeBook.from_xlsx(built)
    monkeypatch.setattr(ribbon, "_caller", lambda: book)
    ribbon.tuo_kirjanpito(ledger)
    assert book.app._alerts[-1] == ("Elinvoima", cli_line)


def test_a_bug_in_excel_is_a_finnish_message_with_the_details_in_a_log(built: bytes, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import elinvoima_xl.jobs.workbook_jobs as jobs

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(jobs, "run_job", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    book = FakeBook.from_xlsx(built)
    monkeypatch.setattr(ribbon, "_caller", lambda: book)
    ribbon.tarkista_summat()
    title, message = book.app._alerts[-1]
    log = tmp_path / "elinvoima_virhe.log"
    assert message.startswith("Odottamaton virhe ohjelmassa") and str(log) in message
    assert not CLASS_NAME.search(message)
    assert "ZeroDivisionError: division by zero" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["tiedot.xlsx", "Elinvoima.xlsm"])
def test_a_file_that_is_not_a_workbook_is_one_finnish_line(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(b"taso;alue;rivi\n")      # a CSV saved under a workbook's name
    for args in (["check", name], ["rebuild", name], ["import", name, "--into", "tiedot.csv"]):
        if args[0] == "rebuild" and name.endswith(".xlsx"):
            continue
        assert_one_finnish_line(run_cli(*args, cwd=tmp_path), name, "vioittunut")


def test_writing_into_a_missing_folder_names_the_folder_not_a_temporary_file(tmp_path: Path) -> None:
    line = assert_one_finnish_line(run_cli("export", "-o", "puuttuva/tiedot.csv", cwd=tmp_path),
                                   "puuttuva: kansiota ei löydy")
    assert ".tmp" not in line and not (tmp_path / "puuttuva").exists()


def test_a_date_where_a_number_belongs_is_named_in_finnish() -> None:
    from datetime import datetime

    from elinvoima_xl.core.errors import NumberFormatError, Place
    from elinvoima_xl.core.numbers import parse_fi_number

    with pytest.raises(NumberFormatError) as caught:
        parse_fi_number(datetime(2023, 6, 30), Place(sheet="Tiedot", cell="F3"))
    assert "päivämäärä" in str(caught.value) and "datetime" not in str(caught.value)


def test_a_command_added_later_with_click_defaults_still_has_finnish_help() -> None:
    import click

    from elinvoima_xl.cli import main

    command = main.command_class("koe", help="Kokeilu.", params=[
        click.Option(["--maara"], type=int, default=3, show_default=True, required=True, help="Määrä.")])
    text = " ".join(command.get_help(click.Context(command, info_name="koe")).split())
    assert "Käyttö: koe [VALITSIMET]" in text and "Määrä. [oletus: 3; pakollinen]" in text
    assert not ENGLISH.search(text), text
