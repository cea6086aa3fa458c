"""Report lines around a ledger's rows (print time, user, page x/y, end of report) are skipped and counted in the
import's log; a line with a code or an amount is never skipped.

Fixtures are the bundled review's entries rendered as each accounting system prints them
(`render_export`), with the footers such reports carry added where those systems put them:
after every page, after the closing total, in one cell or spread over the row.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest

from elinvoima_xl.core.errors import InputError
from elinvoima_xl.core.model import Review
from elinvoima_xl.jobs.importer import import_ledger
from elinvoima_xl.sources.datafile import read_data_csv
from elinvoima_xl.sources.ledger_generator import Entry, render_export
from elinvoima_xl.sources.ledger_read import scan_export

from .test_ledger_exports import bundled, details, entries, mapping, target  # noqa: F401  (fixtures)

def with_footers(lines: list[str], body_from: int, every: int, page_foot: list[str], end: list[str]) -> list[str]:
    """The report's lines with `page_foot` after every `every` data rows and `end` after the last line."""
    head, body = lines[:body_from], [ln for ln in lines[body_from:] if ln]
    out = list(head)
    pages = (len(body) + every - 1) // every
    for page, start in enumerate(range(0, len(body), every), start=1):
        out += body[start:start + every] + [f.format(page=page, pages=pages) for f in page_foot]
    return out + end


def test_raindance_footers_are_counted_not_refused(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    lines = render_export(entries, "raindance").decode("utf-8-sig").split("\r\n")
    # each page ends with the print time and the page number in one cell, the whole report with its end line
    paged = with_footers(lines, 6, 150, ["Tulostettu 12.7.2023 klo 10.15, Sivu {page}/{pages};;;;;"],
                         ["", "Käyttäjä: MVIRTANE;;;;;", "*** Raportti päättyy ***", "--------------------"])
    (tmp_path / "k.csv").write_bytes("\r\n".join(paged).encode("utf-8-sig"))
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.csv", into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)
    pages = (len(entries) + 1 + 149) // 150               # the data rows and the closing Yhteensä row
    summary = report.summary()
    # every footer counted, the first ones named by line: page 1's footer follows the preamble (6) and 150 rows
    assert f"raportin muut rivit {pages + 3} (ei kirjauksia: rivi 157: 'Tulostettu 12.7.2023 klo 10.15, " \
           f"Sivu 1/{pages}'" in summary, summary
    assert "Käyttäjä: MVIRTANE" in str(report.result.report_lines) and "*** Raportti päättyy ***" in \
        str(report.result.report_lines)
    # the lines the import skipped are the footers exactly, at their own lines
    text = "\r\n".join(paged).split("\r\n")
    assert [text[n - 1].strip(";").replace(";", " ") for n, _t in report.result.report_lines] == \
        [t for _n, t in report.result.report_lines]
    assert report.result.cents_in == report.result.cents_out


def test_basware_unicode_text_with_a_report_end(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    """Excel's Unicode text (UTF-16, tabs): the end lines have other field counts than the rows."""
    lines = render_export(entries, "basware").decode("utf-16").split("\r\n")
    lines = [ln for ln in lines if ln] + ["", "Raportin loppu", "Tulostettu\t12.7.2023 klo 10.15"]
    (tmp_path / "k.csv").write_bytes("\r\n".join(lines).encode("utf-16"))
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.csv", into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)
    n = len(entries) + 2                      # header, rows, Yhteensä: the blank line follows at n + 1
    assert report.result.report_lines == [(n + 2, "Raportin loppu"), (n + 3, "Tulostettu 12.7.2023 klo 10.15")]
    assert "raportin muut rivit 2" in report.summary()


def test_xlsx_report_footer_rows(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Raportti")
    date = wb.add_format({"num_format": "d.m.yyyy"})
    ws.write(0, 0, "Heinolan kaupunki")
    ws.write_row(2, 0, ["Kustannuspaikka", "Tili", "Kirjauspvm", "Summa"])
    for r, (c, a, y, mo, d, x, _t) in enumerate(entries, start=3):
        ws.write_row(r, 0, [c, a])
        ws.write_datetime(r, 2, datetime.datetime(y, mo, d), date)
        ws.write_number(r, 3, x / 100)
    last = len(entries) + 3
    ws.write(last, 0, "Tulostettu 12.7.2023 klo 10.15")
    ws.write(last + 1, 1, "Raportti päättyy")
    wb.close()
    (tmp_path / "k.xlsx").write_bytes(buf.getvalue())
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.xlsx", into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)
    # sheet rows are 1-based: the footers are rows last + 1 and last + 2
    assert report.result.report_lines == [(last + 1, "Tulostettu 12.7.2023 klo 10.15"), (last + 2, "Raportti päättyy")]


HEAD = "Kustannuspaikka;Tili;Pvm;Summa\n1101;3001;15.1.2023;100,00\n"


@pytest.mark.parametrize(("line", "why"), [
    ("Tulostettu 12.7.2023 klo 10.15;;;1 250,00", "tili puuttuu"),        # an amount: a data row, never a footer
    ("1101 Hallinto;;;250,00", "tili puuttuu"),                            # a group line with an amount
    ("1101;;15.2.2023;", "tili puuttuu"),                                  # a code alone is data too
    ("Raportti päättyy;;;;-75,00", "5 saraketta"),                         # an amount in an extra field
    ("Sivu 3;10.15", "2 saraketta"),                                        # a number by itself in a short line
])
def test_a_line_with_a_code_or_an_amount_is_never_skipped(tmp_path: Path, line: str, why: str) -> None:
    data = (HEAD + line + "\n").encode("utf-8")
    scan = scan_export(data, "k.csv")
    with pytest.raises(InputError, match=why) as err:
        for _batch in scan.batches():
            pass
    assert err.value.place is not None and err.value.place.line == 3


def test_footers_beside_a_control_total_that_must_still_match(tmp_path: Path) -> None:
    """A footer line is skipped, the Yhteensä row before it still checks the sum to the cent."""
    ok = HEAD + "1101;4001;16.1.2023;-40,00\nYhteensä;;;60,00\nTulostettu 12.7.2023 klo 10.15;;;\nSivu 1/1\n"
    scan = scan_export(ok.encode("utf-8"), "k.csv")
    assert sum(int(b.cents.sum()) for b in scan.batches()) == 10000 - 4000
    assert scan.report_lines == [(5, "Tulostettu 12.7.2023 klo 10.15")] and scan.page_heads == 1
    assert scan.control_total() == (4, (6000,))
    off = ok.replace("Yhteensä;;;60,00", "Yhteensä;;;60,01")
    with pytest.raises(InputError, match="rivi 4: kirjausten summa 60,00 € ei täsmää"):
        for _batch in scan_export(off.encode("utf-8"), "k.csv").batches():
            pass
