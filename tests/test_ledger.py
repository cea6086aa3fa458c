"""Ledger import: exact sums from a generated ledger, nothing dropped, clear errors, idempotent, into CSV and workbook.

Export shapes of real systems: test_ledger_exports.py; period, coverage and sign: test_ledger_period.py.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from elinvoima_xl.core.errors import InputError
from elinvoima_xl.jobs.importer import IMPORTS_SHEET, MAPPING_SHEET, import_ledger
from elinvoima_xl.core.model import Review
from elinvoima_xl.sources.datafile import read_data_csv
from elinvoima_xl.sources.ledger import Period, aggregate
from elinvoima_xl.sources.ledger_read import scan_export
from elinvoima_xl.sources.ledger_generator import ledger_for_review
from elinvoima_xl.jobs.team_workbook import build_workbook

from .test_ledger_exports import BUNDLED, bundled, details, mapping  # noqa: F401  (fixtures)

HEAD = "kustannuspaikka;tili;pvm;summa\n"


@pytest.fixture(scope="module")
def generated(bundled: Review, mapping: object) -> tuple[bytes, bytes]:
    return ledger_for_review(bundled, mapping)  # type: ignore[arg-type]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "elinvoima_xl", *args], cwd=cwd, capture_output=True, text=True,
                          check=False)


def test_generated_ledger_reproduces_the_bundled_figures_through_the_cli(bundled: Review, tmp_path: Path) -> None:
    r = _run("generate-ledger", "-o", "kirjanpito.csv", "--budget-output", "ta.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _run("import", "kirjanpito.csv", "--budget", "ta.csv", "--into", "tiedot.csv", cwd=tmp_path)
    assert r.returncode == 2 and "--period 1-6/2023" in r.stderr and "Traceback" not in r.stderr   # a new file: no period
    assert not (tmp_path / "tiedot.csv").exists()
    r = _run("import", "kirjanpito.csv", "--budget", "ta.csv", "--into", "tiedot.csv", "--period", "1-6/2023",
             cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    imported = read_data_csv((tmp_path / "tiedot.csv").read_bytes(), "tiedot.csv")
    assert [c.heading for c in imported.columns] == [c.heading for c in bundled.columns]
    assert details(imported, digits=None) == details(bundled, digits=None)          # every figure, to the cent
    # sums in and out, both reported: the ledger's total is the areas' TOT 2023 + TP 2022 in euros
    expected = sum(v * (1000 if "1000" in h and h.startswith("TP") else 1)
                   for (_a, _l, h), v in details(bundled, digits=None).items() if h.startswith(("TOT 2023", "TP 2022")))
    euros = f"{expected:,.2f}".replace(",", " ").replace(".", ",").replace("-", "-")
    assert f"summa sisään {euros} €, summa ulos {euros} €" in r.stdout.replace("\u00a0", " ")


def test_unmapped_rows_stop_the_import_and_are_listed(tmp_path: Path, generated: tuple[bytes, bytes]) -> None:
    ledger = generated[0] + "9999;3001;3.3.2023;100,00;x\r\n1101;8888;4.3.2023;-50,50;y\r\n".encode()
    (tmp_path / "k.csv").write_bytes(ledger)
    target = tmp_path / "tiedot.csv"
    target.write_bytes(BUNDLED.read_bytes())
    with pytest.raises(InputError) as err:
        import_ledger(tmp_path / "k.csv", target)
    text = str(err.value)
    n = ledger.decode("utf-8-sig").count("\n")
    assert "2 riviä (49,50 €) ilman kohdistusta" in text
    assert f"rivi {n - 1}: kp 9999, tili 3001, 3/2023, 100,00 € (kustannuspaikka)" in text
    assert f"rivi {n}: kp 1101, tili 8888, 3/2023, -50,50 € (tili)" in text
    assert target.read_bytes() == BUNDLED.read_bytes()                  # nothing written
    assert not (tmp_path / "tiedot.csv.tuonnit.csv").exists()


def test_unmapped_rows_kept_visibly_on_request(tmp_path: Path, generated: tuple[bytes, bytes]) -> None:
    (tmp_path / "k.csv").write_bytes(generated[0] + "9999;3001;3.3.2023;100,00;x\r\n1101;8888;4.3.2023;-50,50;y\r\n".encode())
    report = import_ledger(tmp_path / "k.csv", tmp_path / "tiedot.csv", keep_unallocated=True, period="1-6/2023")
    assert report.result.cents_in == report.result.cents_out
    assert report.result.unallocated_rows == 2 and report.result.unallocated_cents == 4950
    review = read_data_csv((tmp_path / "tiedot.csv").read_bytes(), "tiedot.csv")
    tot = [c.heading for c in review.columns].index("TOT 2023 6 kk (€)")
    assert review.area("Kohdistamattomat").value("myyntituotot", tot) == 100.0
    assert review.area("Työllisyyspalvelut").value("kohdistamattomat", tot) == -50.5


def test_reimport_is_idempotent_and_a_new_period_replaces(bundled: Review, mapping: object, tmp_path: Path,
                                                         generated: tuple[bytes, bytes]) -> None:
    (tmp_path / "k.csv").write_bytes(generated[0])
    (tmp_path / "ta.csv").write_bytes(generated[1])
    target = tmp_path / "tiedot.csv"
    target.write_bytes(BUNDLED.read_bytes())
    import_ledger(tmp_path / "k.csv", target, tmp_path / "ta.csv")
    first = target.read_bytes()
    import_ledger(tmp_path / "k.csv", target, tmp_path / "ta.csv")
    assert target.read_bytes() == first
    log = (tmp_path / "tiedot.csv.tuonnit.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(log) == 3 and log[1].split(";")[2] == log[2].split(";")[2]   # same file, same hash, twice
    # the 1–9 ledger: this year's actual is replaced by the new period, not added to; asked for explicitly
    nine = generated[0] + "".join(f"1101;3001;15.{mm}.2023;{x};kk {mm}\r\n"
                                  for mm, x in ((7, "400,00"), (8, "-400,00"), (9, "1 000,00"))).encode()
    (tmp_path / "k9.csv").write_bytes(nine)
    with pytest.raises(InputError, match="3 riviä .* ovat kauden 1–6/2023 jälkeen"):
        import_ledger(tmp_path / "k9.csv", target, tmp_path / "ta.csv")
    assert target.read_bytes() == first
    report = import_ledger(tmp_path / "k9.csv", target, tmp_path / "ta.csv", period="1-9/2023")
    assert "TOT 2023 9 kk: korvattu (TOT 2023 6 kk → TOT 2023 9 kk)" in report.summary()
    review = read_data_csv(target.read_bytes(), "tiedot.csv")
    headings = [c.heading for c in review.columns]
    # last year's months 7–9 are in the ledger: TOT 2022 9 kk takes the place of TOT 2022 6 kk, in € because
    # its sums are not whole tens of euros (1000 € with two decimals would round cents away)
    assert headings == ["TP 2022 (1000 €)", "TOT 2022 9 kk (€)", "TA 2023 +muutos (€)", "TOT 2023 9 kk (€)"]
    assert "TOT 2022 9 kk: korvattu (TOT 2022 6 kk → TOT 2022 9 kk), yksikkö 1000 € → €" in report.summary()
    j = headings.index("TOT 2023 9 kk (€)")
    assert review.area("Työllisyyspalvelut").value("myyntituotot", j) == \
        bundled.area("Työllisyyspalvelut").value("myyntituotot", 3) + 1000.0


@pytest.mark.parametrize("content, expected", [
    (b"", "tyhjä"),
    (HEAD.encode(), "ei ole yhtään kirjausta"),
    (b"kustannuspaikka;tili;summa\n1101;3001;5\n", "puuttuu päivämäärä .*löytyi otsikko 'kustannuspaikka; tili; summa'"),
    (b"kustannuspaikka|tili|pvm|summa\n1101|3001|1.1.2023|5\n", "puuttuu kustannuspaikka, tili, päivämäärä"),
    ((HEAD + "1101;3001;1.1.2023;paljon\n").encode(), "rivi 2: 'paljon'"),
    ((HEAD + "1101;3001;1.1.2023;5\n1101;3001;2.1.2023\n").encode(), "rivi 3: rivillä on 3 saraketta"),  # truncated
    ((HEAD + "1101;3001;32.13.2023;5\n").encode(), "rivi 2: '32.13.2023'"),
    ((HEAD + "11x1;3001;1.1.2023;5\n").encode(), "rivi 2: '11x1'"),
])
def test_malformed_ledgers_get_a_clear_error(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "k.csv").write_bytes(content)
    target = tmp_path / "tiedot.csv"
    target.write_bytes(BUNDLED.read_bytes())
    with pytest.raises(InputError, match=expected) as err:
        import_ledger(tmp_path / "k.csv", target)
    assert "k.csv" in str(err.value)
    assert target.read_bytes() == BUNDLED.read_bytes()


def test_finnish_number_and_file_formats(mapping: object) -> None:
    rows = ("kustannuspaikka;tili;pvm;summa\r\n"
            "1101;3001;31.3.2023;1\u00a0234,56\r\n"
            "1101;3001;2023-03-01;1 234,56-\r\n"
            "1101;4001;1.2.2023;\u22122 000\r\n"
            "1101;4001;11.1.2023;0,00\r\n")
    for data in (rows.encode("utf-8-sig"), rows.replace("\u2212", "-").encode("cp1252"), rows.encode("utf-8")):
        result = aggregate(scan_export(data, "k.csv"), mapping, Period(2023, 3, True))  # type: ignore[arg-type]
        figures = result.figures["Työllisyyspalvelut"]
        assert figures["myyntituotot"]["tot"] == 0.0                 # 1 234,56 − 1 234,56
        assert figures["henkilostokulut"]["tot"] == -2000.0
        assert result.cents_in == -200000 and result.covered["tot"] == "" and result.covered["tp"]


def test_xlsx_ledger_gives_the_same_figures(mapping: object, generated: tuple[bytes, bytes]) -> None:
    import xlsxwriter

    text = generated[0].decode("utf-8-sig").splitlines()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("Kirjaukset")
    for r, line in enumerate(text):
        for c, v in enumerate(line.split(";")):
            ws.write_string(r, c, v)
    wb.close()
    period = Period(2023, 6)
    from_csv = aggregate(scan_export(generated[0], "k.csv"), mapping, period)  # type: ignore[arg-type]
    from_xlsx = aggregate(scan_export(buf.getvalue(), "k.xlsx"), mapping, period)  # type: ignore[arg-type]
    assert from_xlsx.figures == from_csv.figures and from_xlsx.cents_in == from_csv.cents_in


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    (tmp_path / "map.csv").write_text(
        "tyyppi;alku;loppu;kohde\nkustannuspaikka;1100;1199;=HYPERLINK(\"http://x\",\"y\")\ntili;3000;3999;Myyntituotot\n",
        encoding="utf-8")
    (tmp_path / "k.csv").write_text(HEAD + "1101;3001;1.1.2023;5,00\n1101;3001;1.2.2023;5,00\n", encoding="utf-8")
    import_ledger(tmp_path / "k.csv", tmp_path / "tiedot.csv", map_path=tmp_path / "map.csv", period="1-2/2023")
    raw = (tmp_path / "tiedot.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in raw                                       # marked as text for Excel
    review = read_data_csv((tmp_path / "tiedot.csv").read_bytes(), "tiedot.csv")
    assert review.areas[0].name == '=HYPERLINK("http://x","y")'       # and read back as it was
    workbook = tmp_path / "Elinvoima.xlsm"
    workbook.write_bytes(build_workbook(review))
    ws = openpyxl.load_workbook(workbook)["Tiedot"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value)
    assert cell.data_type == "s"


def test_import_into_the_team_workbook(tmp_path: Path, generated: tuple[bytes, bytes], bundled: Review,
                                      built_csv_workbook: bytes) -> None:
    (tmp_path / "k.csv").write_bytes(generated[0])
    (tmp_path / "ta.csv").write_bytes(generated[1])
    workbook = tmp_path / "Elinvoima.xlsm"
    built = built_csv_workbook      # the workbook of `bundled`, built once per session
    workbook.write_bytes(built)
    report = import_ledger(tmp_path / "k.csv", workbook, tmp_path / "ta.csv")
    # the only errors are the seed's own: the printed investment total ELINVOIMA (TULOT and NETTO, TP 2022),
    # kept because the ledger has no investment rows
    assert report.errors == 2 and report.backup is not None
    data = workbook.read_bytes()
    with zipfile.ZipFile(io.BytesIO(built)) as a, zipfile.ZipFile(io.BytesIO(data)) as b:
        # the VBA project only gains the document modules of the sheets the import adds (issue 11)
        from elinvoima_xl.workbook.vba import vba_project_grew_only

        assert vba_project_grew_only(a.read("xl/vbaProject.bin"), b.read("xl/vbaProject.bin"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert {MAPPING_SHEET, IMPORTS_SHEET} <= set(wb.sheetnames)
    assert all(wb[s].sheet_properties.codeName for s in wb.sheetnames)
    log = list(wb[IMPORTS_SHEET].iter_rows(values_only=True))
    assert log[1][1] == "k.csv + ta.csv" and len(log[1][2]) == 64
    from elinvoima_xl.sources.datafile import read_data_xlsx

    imported = read_data_xlsx(data, "Elinvoima.xlsm", sheet="Tiedot")
    assert details(imported, digits=None) == details(bundled, digits=None)
    assert imported.division == "Elinvoimalautakunnan toimiala"
    assert [(t.name, np.nan_to_num(t.values, nan=-1e9).tolist()) for t in imported.investments] == \
        [(t.name, np.nan_to_num(t.values, nan=-1e9).tolist()) for t in bundled.investments]
    assert log[0][9:11] == ("Kausi", "Etumerkki") and log[1][9] == "1–6/2023"
    import_ledger(tmp_path / "k.csv", workbook, tmp_path / "ta.csv")      # again: same figures, one more log row
    again = openpyxl.load_workbook(workbook)
    assert len(list(again[IMPORTS_SHEET].iter_rows(values_only=True))) == 3
    assert details(read_data_xlsx(workbook.read_bytes(), "E.xlsm", sheet="Tiedot"), digits=None) == \
        details(bundled, digits=None)
