"""Collecting the heads' answers: build, send, split, answer as heads do (Excel-like re-saves, renames, copies), collect."""

from __future__ import annotations

import copy
import dataclasses
import functools
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from msoffcrypto.format.ooxml import OOXMLFile
import numpy as np
import openpyxl
import pytest

from elinvoima_xl.jobs.collect import EXPLANATIONS_SHEET, STATUS_SHEET
from elinvoima_xl.workbook.head_layout import goals_for_area
from elinvoima_xl.workbook.head_writer import head_workbook
from elinvoima_xl.sources.load import bundled_review
from elinvoima_xl.core.model import Review
from elinvoima_xl.sources.datafile import write_data_xlsx
from elinvoima_xl.ooxml.opc import sheet_parts
from elinvoima_xl.core.structure import INCOME_STATEMENT
from elinvoima_xl.jobs.team_workbook import build_workbook

from .ooxml import assert_valid_package
from .spreadsheet_engine import convert, soffice
from .test_team_workbook import vba_modules

RECIPIENTS = """alue;nimi;sähköposti;kopio;vastuu
Työllisyyspalvelut;Tiina Työ;tiina@heinola.example.fi;;Työllisyyskoordinaattori
Elinkeinopalvelut;Eero Elo;eero@heinola.example.fi;;
Kulttuuri;Kaisa Kulta;kaisa@heinola.example.fi;;Kulttuurisihteerit
Kaupunkisuunnittelu;Kalle Kaava;kalle@heinola.example.fi;;Kaupungin arkkitehti
Kiinteistö- ja mittauspalvelut;Mirja Mitta;mirja@heinola.example.fi;;
"""
WORK_WHY = "Kesätyöllistämisen setelit maksettiin keväällä.\nLoppuvuonna ostot tasaantuvat – Åbo, Öljy, ärrä."
WORK_GOAL = "Työpaja Torpalta sijoittui avoimille työmarkkinoille kolme henkilöä.\nYhteistyö jatkuu syksyllä (å, ä, ö)."
CULTURE_WHY = "Kesäteatterin avustus maksettiin kerralla.\r\nEi ylitystä vuoden tasolla."
ROW = {line.key: 5 + i for i, line in enumerate(INCOME_STATEMENT.lines)}     # Excel row of each line


def fi(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elinvoima_xl", *args], capture_output=True, text=True, timeout=300)


def unanswered(review: Review) -> Review:
    """The review as it is when the heads are asked: goals without Toteuma 30.6. and Tila."""
    out = copy.copy(review)
    out.goals = [dataclasses.replace(g, status_30_6="", state="", state_printed="") for g in review.goals]
    return out


@functools.cache
def unanswered_workbook() -> bytes:
    """The team's workbook of the unanswered bundled review, built once for this module and test_collect_ribbon."""
    return build_workbook(unanswered(bundled_review()))


def answer(src: Path, dst: Path, values: dict[str, object]) -> None:
    """Fill cells by their answer names, as a head does in Excel, and save (openpyxl)."""
    wb = openpyxl.load_workbook(src)
    for name, value in values.items():
        for sheet, ref in wb.defined_names[name].destinations:
            wb[sheet][ref.replace("$", "")].value = value
    wb.save(dst)


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def audit(path: Path) -> None:
    """openxml-audit, Microsoft 365 rules: zero errors (tests/ooxml.py's validator, loaded once)."""
    assert_valid_package(path, path.name)


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The team's workbook, sent as drafts (the journal) and split into the heads' files."""
    base = tmp_path_factory.mktemp("collect")
    team = base / "Elinvoima.xlsm"
    team.write_bytes(unanswered_workbook())
    (base / "vastaanottajat.csv").write_text(RECIPIENTS, encoding="utf-8")
    r = run_cli("send", str(team), "--recipients", str(base / "vastaanottajat.csv"), "--drafts", str(base / "luonnokset"))
    assert r.returncode == 0, r.stderr
    r = run_cli("split", str(team), "-o", str(base / "lahetetyt"), "--recipients", str(base / "vastaanottajat.csv"))
    assert r.returncode == 0, r.stderr
    shutil.copy(team, base / "lahetetty.xlsm")      # as sent, for the tests that collect into a fresh copy
    return base


@pytest.fixture(scope="module")
def collected(sent: Path) -> tuple[Path, bytes, subprocess.CompletedProcess[str]]:
    soffice()
    base, out = sent, sent / "vastaukset"
    out.mkdir()
    team = base / "Elinvoima.xlsm"
    before = team.read_bytes()
    files = base / "lahetetyt"
    # Työllisyyspalvelut: an early copy, then the real answer re-saved by another program and renamed.
    answer(files / "Työllisyyspalvelut 1-6-2023.xlsx", out / "Työllisyyspalvelut 1-6-2023 - Kopio.xlsx",
           {"Vastaus_Selitys_palvelujen_ostot": "luonnos, ei lopullinen", "Vastaus_Tavoite5_Tila": "Ei toteudu"})
    time.sleep(1.1)
    answer(files / "Työllisyyspalvelut 1-6-2023.xlsx", base / "tyo.xlsx",
           {"Vastaus_Selitys_palvelujen_ostot": WORK_WHY, "Vastaus_Ennuste_henkilostokulut": -1_550_000,
            "Vastaus_Tavoite5_Toteuma": WORK_GOAL, "Vastaus_Tavoite5_Tila": "Toteutuu",
            "Vastaus_Tavoite8_Tila": "Toteutuu osittain"})
    time.sleep(1.1)
    resaved = convert(base / "tyo.xlsx", "xlsx", base / "lo")                  # LibreOffice re-saves it
    shutil.copy(resaved, out / "vastaus (2) TYÖLLISYYS.xlsx")
    # Kulttuuri: the head typed over a figure (the sheet protection has no password) and explained a line.
    wb = openpyxl.load_workbook(files / "Kulttuuri 1-6-2023.xlsx")
    ws = wb["Kulttuuri"]
    ws.protection.sheet = False
    ws[f"E{ROW['henkilostokulut']}"].value = -250_000
    explain = sorted(n for n in wb.defined_names if n.startswith("Vastaus_Selitys_"))[0]
    for name, value in (("Vastaus_Tavoite7_Tila", "Toteutuu osittain"), (explain, CULTURE_WHY)):
        for sheet, ref in wb.defined_names[name].destinations:
            wb[sheet][ref.replace("$", "")].value = value
    wb.save(out / "kulttuuri.xlsx")
    # An older version of the figures: Elinkeinopalvelut answers it alone, Kaupunkisuunnittelu answers both.
    review = unanswered(bundled_review())
    old = copy.deepcopy(review)
    for name in ("Elinkeinopalvelut", "Kaupunkisuunnittelu"):
        t = old.area(name)
        t.values[INCOME_STATEMENT.index["henkilostokulut"], review.roles.budget] -= 10_000
    for name, fname in (("Elinkeinopalvelut", "elinkeino vanha.xlsx"), ("Kaupunkisuunnittelu", "kaava vanha.xlsx")):
        book = head_workbook(old, old.area(name), goals=goals_for_area(old, name, ("Kaupungin arkkitehti",)
                                                                              if name == "Kaupunkisuunnittelu" else ()))
        (base / fname).write_bytes(book.data)
        answer(base / fname, out / fname, {"Vastaus_Ennuste_henkilostokulut": -600_000})
    answer(files / "Kaupunkisuunnittelu 1-6-2023.xlsx", out / "kaava uusi.xlsx",
           {"Vastaus_Tavoite6_Tila": "Toteutuu", "Vastaus_Tavoite6_Toteuma": "Kaava valmis."})
    # Kiinteistö- ja mittauspalvelut does not answer.
    result = run_cli("collect", str(out), "--into", str(team))
    return team, before, result


def test_collect_reports_tampering_conflict_old_version_and_the_missing_head(
        collected: tuple[Path, bytes, subprocess.CompletedProcess[str]]) -> None:
    team, _before, r = collected
    assert r.returncode == 1, r.stdout + r.stderr             # something needs the team's attention
    assert "Traceback" not in r.stderr
    out = r.stdout
    seed = bundled_review()
    culture_staff = seed.area("Kulttuuri").value("henkilostokulut", seed.roles.actual)
    assert "Kulttuuri: lukuja muutettu (kulttuuri.xlsx)" in out
    assert (f"Kulttuuri!E{ROW['henkilostokulut']} (Henkilöstökulut, TOT 2023 6 kk €): tiimin luku "
            f"{fi(culture_staff)}, palautetussa -250 000 – tiimin luku pidetään") in out
    assert "Kaupunkisuunnittelu: ristiriita" in out and "Mitään ei yhdistetty" in out
    assert "Elinkeinopalvelut: vanha versio (elinkeino vanha.xlsx)" in out
    budget = seed.area("Elinkeinopalvelut").value("henkilostokulut", seed.roles.budget)
    assert f"Elinkeinopalvelut!D{ROW['henkilostokulut']}" in out
    assert f"tiimin luku {fi(budget)}, palautetussa {fi(budget - 10_000)}" in out
    assert "Kiinteistö- ja mittauspalvelut: ei vastausta; puuttuu: koko vastaus" in out
    assert "Työllisyyspalvelut: vastattu (vastaus (2) TYÖLLISYYS.xlsx)" in out
    assert "korvaa tiedoston Työllisyyspalvelut 1-6-2023 - Kopio.xlsx" in out


def test_answers_merged_with_finnish_text_and_line_breaks(
        collected: tuple[Path, bytes, subprocess.CompletedProcess[str]]) -> None:
    team, _before, _r = collected
    wb = openpyxl.load_workbook(team)
    goals = wb["Tavoitteet"]
    assert goals["F6"].value == WORK_GOAL and goals["H6"].value == "Toteutuu"       # goal 5 (row 6)
    assert goals["H8"].value == "Toteutuu osittain"                                 # goal 7, Kulttuuri's
    assert goals["H7"].value is None and goals["F7"].value is None                  # goal 6: conflict, nothing
    lines = {(r[0], r[1]): r for r in wb[EXPLANATIONS_SHEET].iter_rows(min_row=2, values_only=True)}
    work = lines[("Työllisyyspalvelut", "Palvelujen ostot")]
    assert work[4] == WORK_WHY and work[8] == "vastaus (2) TYÖLLISYYS.xlsx"
    assert lines[("Työllisyyspalvelut", "Henkilöstökulut")][5] == -1_550_000
    assert not any("luonnos, ei lopullinen" in str(r[4]) for r in lines.values())
    assert lines[("Elinkeinopalvelut", "Henkilöstökulut")][5] == -600_000           # old version: merged, reported
    assert not any(r[0] == "Kaupunkisuunnittelu" for r in lines.values())


def test_finance_figures_vba_ribbon_and_team_sheets_untouched(
        collected: tuple[Path, bytes, subprocess.CompletedProcess[str]]) -> None:
    team, original, _r = collected
    before, after = parts(original), parts(team.read_bytes())
    b_sheets, a_sheets = sheet_parts(original), sheet_parts(team.read_bytes())
    # The data sheet: every value as it was; the checks may re-point its cells' flag colours (style indices).
    strip = re.compile(rb'\s+s="\d+"')
    assert strip.sub(b"", after[a_sheets["Tiedot"]]) == strip.sub(b"", before[b_sheets["Tiedot"]])
    for name in ("Yhteenveto", "Kulttuuri", "Työllisyyspalvelut", "Tunnusluvut", "Riskit", "Vastaanottajat",
                 "Lähetykset"):
        assert after[a_sheets[name]] == before[b_sheets[name]], name
    # The VBA project: every module as it was; the sheets collect adds get an empty document module each.
    old_vba, new_vba = vba_modules(original), vba_modules(team.read_bytes())
    assert {n: new_vba[n] for n in old_vba} == old_vba
    added = set(new_vba) - set(old_vba)
    assert len(added) == 2 and all("Sub " not in new_vba[n] and "Function " not in new_vba[n] for n in added)
    ribbon = [n for n in before if n.startswith("customUI/")]
    assert ribbon and all(after[n] == before[n] for n in ribbon)
    assert after["_rels/.rels"] == before["_rels/.rels"]             # the ribbon's relationship
    seed = bundled_review()
    staff = openpyxl.load_workbook(team, data_only=True)["Kulttuuri"][f"E{ROW['henkilostokulut']}"].value
    assert staff == seed.area("Kulttuuri").value("henkilostokulut", seed.roles.actual)
    audit(team)


def test_status_overview_and_checks(collected: tuple[Path, bytes, subprocess.CompletedProcess[str]]) -> None:
    team, _before, _r = collected
    wb = openpyxl.load_workbook(team)
    rows = {r[0]: r for r in wb[STATUS_SHEET].iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {t.name for t in bundled_review().areas}
    assert all(r[1] and r[1] != "ei lähetetty" for r in rows.values())        # the send journal: sent when
    assert rows["Kiinteistö- ja mittauspalvelut"][7] == "ei vastausta"
    assert rows["Kiinteistö- ja mittauspalvelut"][8] == "koko vastaus"
    assert rows["Työllisyyspalvelut"][7] == "vastattu" and rows["Työllisyyspalvelut"][4]
    assert "selitys: Tuet ja avustukset" in rows["Työllisyyspalvelut"][8]
    assert rows["Kaupunkisuunnittelu"][7] == "ristiriita"
    assert rows["Kulttuuri"][7] == "lukuja muutettu" and f"E{ROW['henkilostokulut']}" in rows["Kulttuuri"][9]
    checks = [r for r in wb["Tarkistukset"].iter_rows(min_row=5, values_only=True)]
    no_status = [r for r in checks if r[1] == "goal_status" and "tila puuttuu" in r[8]]
    assert len(no_status) == 8 - 3          # goals 5, 7, 8 answered; 1–4 went to nobody, 6 was in conflict
    unexplained = {(r[2], r[3]) for r in checks if r[1] == "explanation"}
    assert ("Työllisyyspalvelut", "Tuet ja avustukset") in unexplained
    assert ("Työllisyyspalvelut", "Palvelujen ostot") not in unexplained


def test_board_document_carries_the_explanations(
        collected: tuple[Path, bytes, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    team, _before, _r = collected
    out = tmp_path / "katsaus.xlsx"
    r = run_cli("export", str(team), "-o", str(out), "--board")
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(out)["Työllisyyspalvelut"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith(WORK_WHY) for t in texts)
    goals = openpyxl.load_workbook(out)["Tavoitteet"]
    assert goals["H6"].value == "Toteutuu"
    audit(out)


# ---------------------------------------------------------------------------- files that are not answers

@pytest.fixture()
def fresh(sent: Path, tmp_path: Path) -> tuple[Path, Path]:
    team = tmp_path / "Elinvoima.xlsm"
    shutil.copy(sent / "lahetetty.xlsm", team)
    return team, sent / "lahetetyt"


def _refused(team: Path, *files: Path, extra: tuple[str, ...] = ()) -> str:
    before = team.read_bytes()
    r = run_cli("collect", *map(str, files), "--into", str(team), *extra)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert "Traceback" not in r.stderr and "Error" not in lines[-1], r.stderr   # one Finnish line, no class name
    assert all(line.startswith("Luetaan ") for line in lines[:-1]), r.stderr      # progress, then one error line
    assert team.read_bytes() == before
    assert not team.with_name("Elinvoima.edellinen.xlsm").exists()
    return lines[-1]


def test_a_file_not_ours_changes_nothing(fresh: tuple[Path, Path], tmp_path: Path) -> None:
    team, files = fresh
    stranger = tmp_path / "tiedot.xlsx"
    stranger.write_bytes(write_data_xlsx(bundled_review()))
    err = _refused(team, files / "Kulttuuri 1-6-2023.xlsx", stranger)
    assert "tiedot.xlsx" in err and "ei ole Elinvoiman palvelualueen työkirja" in err


def test_a_corrupt_file_changes_nothing(fresh: tuple[Path, Path], tmp_path: Path) -> None:
    team, files = fresh
    broken = tmp_path / "Kulttuuri rikki.xlsx"
    data = (files / "Kulttuuri 1-6-2023.xlsx").read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    err = _refused(team, broken)
    assert "Kulttuuri rikki.xlsx" in err and "vioittunut" in err
    garbage = tmp_path / "vastaus.xlsx"
    garbage.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    assert "vioittunut" in _refused(team, garbage)


def test_an_encrypted_file_needs_its_password(fresh: tuple[Path, Path], tmp_path: Path) -> None:
    team, files = fresh
    locked = tmp_path / "kulttuuri salattu.xlsx"
    answer(files / "Kulttuuri 1-6-2023.xlsx", tmp_path / "k.xlsx", {"Vastaus_Tavoite7_Tila": "Ei toteudu"})
    with open(tmp_path / "k.xlsx", "rb") as src, open(locked, "wb") as dst:
        OOXMLFile(src).encrypt("Salainen-Åäö-1", dst)
    err = _refused(team, locked)
    assert "kulttuuri salattu.xlsx" in err and "salattu" in err and "--password-file" in err
    wrong = tmp_path / "salasanat.csv"
    wrong.write_text("alue;sähköposti;salasana\nKulttuuri;kaisa@heinola.example.fi;väärä\n", encoding="utf-8-sig")
    assert "salattu" in _refused(team, locked, extra=("--password-file", str(wrong)))
    right = tmp_path / "oikeat.csv"
    right.write_text("alue;sähköposti;salasana\nKulttuuri;kaisa@heinola.example.fi;Salainen-Åäö-1\n",
                     encoding="utf-8-sig")
    r = run_cli("collect", str(locked), "--into", str(team), "--password-file", str(right))
    assert r.returncode == 0, r.stdout + r.stderr
    assert openpyxl.load_workbook(team)["Tavoitteet"]["H8"].value == "Ei toteudu"


def test_an_answer_of_another_review_is_refused(fresh: tuple[Path, Path], tmp_path: Path) -> None:
    team, _files = fresh
    review = bundled_review()
    other = copy.deepcopy(review)
    other.areas[0].name = "Satama"
    other.areas[0].values = np.round(other.areas[0].values * 1.1)
    f = tmp_path / "satama.xlsx"
    f.write_bytes(head_workbook(other, other.areas[0]).data)
    assert "Satama" in _refused(team, f)


def test_sent_when_from_the_journal_csv_beside_a_workbook_without_the_sheet(tmp_path: Path) -> None:
    review = unanswered(bundled_review())
    team = tmp_path / "Talous.xlsm"
    team.write_bytes(unanswered_workbook())
    (tmp_path / "Talous.lahetykset.csv").write_text(
        "aika;alue;nimi;sähköposti;kopio;versio;tiedosto;tapa;tulos;vastaus\r\n"
        "2023-08-01T09:00:00+00:00;Kulttuuri;Kaisa;kaisa@heinola.example.fi;;v1;k.xlsx;smtp;ei lähetetty;550\r\n"
        "2023-08-02T10:30:00+00:00;Kulttuuri;Kaisa;kaisa@heinola.example.fi;;v1;k.xlsx;smtp;hyväksytty;250 OK\r\n",
        encoding="utf-8-sig")
    area = review.area("Kulttuuri")
    sent = tmp_path / "k.xlsx"
    sent.write_bytes(head_workbook(review, area, goals=goals_for_area(review, area.name, ("Kulttuurisihteerit",))).data)
    answer(sent, tmp_path / "vastaus.xlsx", {"Vastaus_Tavoite7_Tila": "Toteutuu", "Vastaus_Tavoite7_Toteuma": "Valmis."})
    r = run_cli("collect", str(tmp_path / "vastaus.xlsx"), "--into", str(team))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Yhdistetty 1 tavoitteen tietoja" in r.stdout
    wb = openpyxl.load_workbook(team)
    rows = {row[0]: row for row in wb[STATUS_SHEET].iter_rows(min_row=2, values_only=True)}
    assert rows["Kulttuuri"][1] == "2023-08-02T10:30:00+00:00"         # the accepted message, not the refused one
    assert rows["Työllisyyspalvelut"][1] == "ei lähetetty"
    assert wb["Tavoitteet"]["H8"].value == "Toteutuu" and wb["Tavoitteet"]["F8"].value == "Valmis."
    audit(team)


def test_an_old_answer_never_replaces_a_collected_answer_to_the_current_figures(fresh: tuple[Path, Path],
                                                                                tmp_path: Path) -> None:
    team, files = fresh
    answer(files / "Elinkeinopalvelut 1-6-2023.xlsx", tmp_path / "uusi.xlsx", {"Vastaus_Ennuste_henkilostokulut": -1})
    assert run_cli("collect", str(tmp_path / "uusi.xlsx"), "--into", str(team)).returncode == 0
    old = copy.deepcopy(unanswered(bundled_review()))
    t = old.area("Elinkeinopalvelut")
    t.values[INCOME_STATEMENT.index["myyntituotot"], old.roles.budget] += 500
    (tmp_path / "vanha.xlsx").write_bytes(head_workbook(old, t).data)
    r = run_cli("collect", str(tmp_path / "vanha.xlsx"), "--into", str(team))
    assert r.returncode == 1 and "Elinkeinopalvelut: ristiriita" in r.stdout, r.stdout + r.stderr
    wb = openpyxl.load_workbook(team)
    lines = {(row[0], row[1]): row for row in wb[EXPLANATIONS_SHEET].iter_rows(min_row=2, values_only=True)}
    assert lines[("Elinkeinopalvelut", "Henkilöstökulut")][5] == -1 and \
        lines[("Elinkeinopalvelut", "Henkilöstökulut")][8] == "uusi.xlsx"
