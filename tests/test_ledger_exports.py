"""Ledger exports in the shapes Finnish municipal accounting systems write: each imports to the cent or stops cleanly.

Fixtures are written here and by `render_export` from the bundled review's figures: report
preamble and a closing Yhteensä row (Raindance-style), Excel's Unicode text with Debet and
Kredit (Basware-style), Windows-1252 with the general ledger's debit-positive sign and no
Debet/Kredit (Heeros-style), an .xlsx report with text amounts. Expected figures are the
seed's; a refused file leaves the target byte-identical.
"""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from elinvoima_xl.core.checks import run_checks
from elinvoima_xl.core.errors import InputError
from elinvoima_xl.jobs.importer import import_ledger
from elinvoima_xl.sources.load import bundled_path, load_review
from elinvoima_xl.core.model import Review
from elinvoima_xl.sources.datafile import read_data_csv
from elinvoima_xl.sources.ledger import DEFAULT_MAPPING, Mapping, read_mapping
from elinvoima_xl.sources.ledger_generator import Entry, render_export, review_entries
from elinvoima_xl.core.structure import Kind

BUNDLED = bundled_path("heinola_elinvoima_1-6_2023.csv")


@pytest.fixture(scope="module")
def bundled() -> Review:
    return load_review(BUNDLED)


@pytest.fixture(scope="module")
def mapping() -> Mapping:
    return read_mapping(bundled_path(DEFAULT_MAPPING).read_bytes(), DEFAULT_MAPPING)


@pytest.fixture(scope="module")
def entries(bundled: Review, mapping: Mapping) -> list[Entry]:
    return review_entries(bundled, mapping)[0]


def details(review: Review, digits: int | None = 2) -> dict[tuple[str, str, str], float]:
    """Every area detail figure by (area, line, column heading), zeros left out; rounded to `digits` (None: as read)."""
    out = {}
    for t in review.areas:
        for li, line in enumerate(t.structure.lines):
            if line.kind is Kind.DETAIL:
                for j, c in enumerate(review.columns):
                    v = float(np.nan_to_num(t.values[li, j]))
                    if v:
                        out[(t.name, line.key, c.heading)] = v if digits is None else round(v, digits)
    return out


def investments(review: Review) -> list[tuple[str, list[list[float]], list[float], list[float]]]:
    """Every investment figure, with the printed Jäljellä and %."""
    tables = [*review.investments, *([review.investments_total] if review.investments_total else [])]
    return [(t.name, np.nan_to_num(t.values, nan=-1e9).tolist(), np.nan_to_num(t.printed_remaining, nan=-1e9).tolist(),
             np.nan_to_num(t.printed_pct, nan=-1e9).tolist()) for t in tables]


def target(tmp_path: Path) -> Path:
    path = tmp_path / "tiedot.csv"
    path.write_bytes(BUNDLED.read_bytes())
    return path


def refused(tmp_path: Path, data: bytes, name: str, match: str, **kwargs: object) -> InputError:
    """Import `data`; it must stop with `match` and leave the target byte for byte as it was."""
    (tmp_path / name).write_bytes(data)
    into = target(tmp_path)
    with pytest.raises(InputError, match=match) as err:
        import_ledger(tmp_path / name, into, **kwargs)  # type: ignore[arg-type]
    assert into.read_bytes() == BUNDLED.read_bytes()
    assert not (tmp_path / "tiedot.csv.tuonnit.csv").exists()
    return err.value


@pytest.mark.parametrize("style, sign_word", [
    ("raindance", "tuloslaskelman etumerkki"), ("basware", "debet +"), ("heeros", "debet +"), ("plain", "tuloslaskelman"),
])
def test_every_export_shape_imports_to_the_cent(tmp_path: Path, bundled: Review, entries: list[Entry], style: str,
                                                sign_word: str) -> None:
    (tmp_path / "k.csv").write_bytes(render_export(entries, style))
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.csv", into)
    imported = read_data_csv(into.read_bytes(), "tiedot.csv")
    assert details(imported) == details(bundled)                   # every figure; TA kept (no budget given)
    assert investments(imported) == investments(bundled)           # no investment rows: untouched
    assert imported.division == "Elinvoimalautakunnan toimiala"
    def block_notes(review: Review) -> list[str]:
        return sorted(f.message for f in run_checks(review) if "lohkossa" in f.message)

    # subtotal rows kept: exactly the seed's own notes, no false "rivi 'Henkilöstökulut' on tuottolohkossa"
    assert block_notes(imported) == block_notes(bundled)
    assert not any("Henkilöstökulut' on tuottolohkossa" in n for n in block_notes(imported))
    summary = report.summary()
    assert sign_word in summary and "kausi 1–6/2023 (tiedoista)" in summary
    assert "TA 2023 +muutos: säilytetty" in summary and "TOT 2023 6 kk: korvattu" in summary
    # sum in = sum out: the seed's TOT 2023 + TP 2022 of the areas, in euros, in the export's own sign
    total = sum(v * (1000 if h.startswith("TP") else 1) for (_a, _l, h), v in details(bundled).items()
                if h.startswith(("TOT 2023", "TP 2022")))
    flip = -1 if sign_word == "debet +" else 1
    assert report.result.cents_in == report.result.cents_out == round(total * 100) * flip
    if style in ("raindance", "basware"):
        assert "Yhteensä-rivi" in summary and "täsmää" in summary


def test_padding_blank_lines_and_code_name_cells_change_nothing(tmp_path: Path, bundled: Review,
                                                               entries: list[Entry]) -> None:
    text = render_export(entries, "raindance").decode("utf-8-sig").split("\r\n")
    text = text[:10] + ["", ";;;;;", ""] + text[10:]              # blank and separator-only lines among the rows
    (tmp_path / "k.csv").write_bytes("\r\n".join(text).encode("utf-8-sig"))
    into = target(tmp_path)
    import_ledger(tmp_path / "k.csv", into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)


def test_xlsx_report_with_preamble_and_text_amounts(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("Raportti")
    date = wb.add_format({"num_format": "d.m.yyyy"})
    ws.write(0, 0, "Heinolan kaupunki")
    ws.write(1, 0, "Kausi: 1-6/2023")
    ws.write_row(3, 0, ["Kustannuspaikka", "Tili", "Tositepäivämäärä", "Selite", "Summa EUR"])
    total = 0
    for r, (c, a, y, mo, d, x, t) in enumerate(entries, start=4):
        ws.write(r, 0, f"{c} Kustannuspaikka" if r % 2 else c)
        ws.write(r, 1, a)
        if r % 3:
            ws.write_datetime(r, 2, datetime.datetime(y, mo, d), date)
        else:
            ws.write_string(r, 2, f"{d}.{mo}.{y}")
        ws.write(r, 3, t)
        if r % 2:     # half the amounts typed as Finnish text, as some reports do
            whole, frac = divmod(abs(x), 100)
            ws.write_string(r, 4, f"{'-' if x < 0 else ''}{whole:,},{frac:02d}".replace(",", "\u00a0", whole > 999))
        else:
            ws.write_number(r, 4, x / 100)
        total += x
    ws.write(len(entries) + 4, 0, "Yhteensä")
    ws.write_number(len(entries) + 4, 4, total / 100)
    wb.close()
    (tmp_path / "k.xlsx").write_bytes(buf.getvalue())
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.xlsx", into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)
    assert f"Yhteensä-rivi {len(entries) + 5}" in report.summary()      # the sheet's own row number


@pytest.mark.parametrize("where", ["middle", "last"])
def test_an_unclosed_quote_stops_the_import_naming_its_line(tmp_path: Path, entries: list[Entry], where: str) -> None:
    lines = render_export(entries, "raindance").decode("utf-8-sig").split("\r\n")
    n = 200                                    # a data line (line numbers are 1-based: lines[n - 1])
    cells = lines[n - 1].split(";")
    if where == "middle":
        cells[4] = '"avoin lainaus ' + cells[4]
    else:
        cells[5] = '"' + cells[5]
    lines[n - 1] = ";".join(cells)
    err = refused(tmp_path, "\r\n".join(lines).encode("utf-8-sig"), "k.csv", "lainausmerkki jää auki")
    assert f"k.csv, rivi {n}:" in str(err)


def test_quote_spanning_to_the_end_cannot_hide_rows(tmp_path: Path) -> None:
    """The unclosed quote of the reported defect: the last field swallows the rest of the file."""
    rows = ["kustannuspaikka;tili;pvm;summa;selite"]
    rows += [f"1101;3001;{1 + i % 28}.{1 + i % 6}.2023;1,00;rivi {i}" for i in range(2000)]
    rows[7] = rows[7].replace("rivi 6", '"rivi 6')
    err = refused(tmp_path, ("\n".join(rows) + "\n").encode(), "k.csv", "lainausmerkki jää auki")
    assert "rivi 8" in str(err)


def test_amount_beyond_a_trillion_is_refused(tmp_path: Path) -> None:
    data = "Kp;Tili;Pvm;Summa\n1101;3001;1.1.2023;5,00\n1101;3001;2.2.2023;1e20\n".encode()
    err = refused(tmp_path, data, "k.csv", "yli 10\\^12 €")
    assert "rivi 3: '1e20'" in str(err)


def test_undefined_cp1252_byte_names_its_line(tmp_path: Path) -> None:
    data = "Kp;Tili;Pvm;Selite;Summa\n1101;3001;1.1.2023;Hämeenkatu;5,00\n".encode("cp1252") + \
        b"1101;3001;2.1.2023;caf\x81;5,00\n"
    err = refused(tmp_path, data, "k.csv", "tavu 0x81 ei ole UTF-8- eikä Windows-1252-merkki")
    assert "k.csv, rivi 3" in str(err)


def test_control_total_must_match_to_the_cent(tmp_path: Path) -> None:
    data = ("Raportti;;;\nKausi: 1-1/2023;;;\nKp;Tili;Pvm;Summa\n1101;3001;1.1.2023;5,00\n1101;4001;2.1.2023;-2,00\n"
            "Yhteensä;;;3,01\n").encode()
    err = refused(tmp_path, data, "k.csv", "ei täsmää Yhteensä-riviin 3,01 €")
    assert "k.csv, rivi 6" in str(err) and "ero -0,01 €" in str(err)


def test_missing_columns_are_all_listed_with_the_header_found(tmp_path: Path) -> None:
    data = "Yritys Oy;;\nPääkirja;;\nKustannuspaikka;Tili;Selite\n1101;3001;x\n".encode()
    err = refused(tmp_path, data, "k.csv", "puuttuu päivämäärä \\(tai jakso\\), summa \\(tai Debet ja Kredit\\)")
    assert "löytyi otsikko 'Kustannuspaikka; Tili; Selite'" in str(err) and "rivi 3" in str(err)


def test_a_saved_column_profile_reads_other_headings(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    rows = ["KP-tunniste;Pääkirjanpidon tilinro;Tap.aika;Rahamäärä (EUR)"]
    rows += [f"{c};{a};{y}{mo:02d}{d:02d};{x / 100:.2f}" for c, a, y, mo, d, x, _t in entries]
    data = ("\n".join(rows) + "\n").encode()
    refused(tmp_path, data, "k.csv", "--profile")
    (tmp_path / "profiili.csv").write_text(
        "rooli;otsikko\nkustannuspaikka;KP-tunniste\ntili;Pääkirjanpidon tilinro\npvm;Tap.aika\nsumma;Rahamäärä (EUR)\n",
        encoding="utf-8")
    into = target(tmp_path)
    import_ledger(tmp_path / "k.csv", into, profile_path=tmp_path / "profiili.csv")
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)


def test_a_profile_saved_with_tabs_after_a_blank_line_is_read(tmp_path: Path, bundled: Review,
                                                              entries: list[Entry]) -> None:
    # The profile's delimiter is told by its first non-blank line (sources.sniff_delimiter), not its first line.
    rows = ["KP-tunniste;Pääkirjanpidon tilinro;Tap.aika;Rahamäärä (EUR)"]
    rows += [f"{c};{a};{y}{mo:02d}{d:02d};{x / 100:.2f}" for c, a, y, mo, d, x, _t in entries]
    (tmp_path / "k.csv").write_bytes(("\n".join(rows) + "\n").encode())
    (tmp_path / "profiili.tsv").write_text(
        "\nrooli\totsikko\nkustannuspaikka\tKP-tunniste\ntili\tPääkirjanpidon tilinro\npvm\tTap.aika\n"
        "summa\tRahamäärä (EUR)\n", encoding="utf-8")
    into = target(tmp_path)
    import_ledger(tmp_path / "k.csv", into, profile_path=tmp_path / "profiili.tsv")
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)


def test_cli_refusal_is_one_finnish_line_exit_2(tmp_path: Path) -> None:
    data = b"Kp;Tili;Pvm;Summa\n1101;3001;1.1.2023;5\n1101;3001;1.1.2023;\"5\n1101;3001;1.1.2023;5\n"
    (tmp_path / "k.csv").write_bytes(data)
    into = target(tmp_path)
    r = subprocess.run([sys.executable, "-m", "elinvoima_xl", "import", "k.csv", "--into", "tiedot.csv"],
                       cwd=tmp_path, capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0 and "k.csv, rivi 3: lainausmerkki jää auki" in r.stderr
    assert into.read_bytes() == BUNDLED.read_bytes()


def test_group_subtotals_and_the_grand_total_are_all_checked(tmp_path: Path) -> None:
    head = "Kustannuspaikka;Tili;Pvm;Summa\n"
    group1 = "1101;3001;1.1.2023;5,00\n1101;4001;2.1.2023;-2,00\n1101 Yhteensä;;;3,00\n"
    group2 = "1201;3001;3.1.2023;10,00\nKustannuspaikka 1201 yhteensä;;;10,00\n"
    (tmp_path / "k.csv").write_text(head + group1 + group2 + "Yhteensä;;;13,00\n", encoding="utf-8")
    into = tmp_path / "uusi.csv"
    report = import_ledger(tmp_path / "k.csv", into, period="1-1/2023", sign="income")
    assert report.result.cents_in == 1300 and "Yhteensä-rivi 7 (13,00 €) täsmää, samoin 2 välisummaa" in report.summary()
    # a group total one cent off is named by its line
    (tmp_path / "k.csv").write_text(head + group1.replace("3,00", "3,01") + group2 + "Yhteensä;;;13,00\n",
                                    encoding="utf-8")
    with pytest.raises(InputError, match="rivi 4: kirjausten summa 3,00 € ei täsmää Yhteensä-riviin 3,01 €"):
        import_ledger(tmp_path / "k.csv", tmp_path / "toinen.csv", period="1-1/2023", sign="income")


def test_report_page_breaks_repeat_their_heads_without_losing_rows(tmp_path: Path, bundled: Review,
                                                                 entries: list[Entry]) -> None:
    lines = render_export(entries, "raindance").decode("utf-8-sig").split("\r\n")
    preamble, body = lines[:6], lines[6:]
    paged: list[str] = list(preamble)
    for page, start in enumerate(range(0, len(body), 100), start=1):
        paged += body[start:start + 100] + [f"Sivu {page};;;;;", ""] + preamble[:2] + [preamble[5]]
    (tmp_path / "k.csv").write_bytes("\r\n".join(paged).encode("utf-8-sig"))
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.csv", into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)
    pages = (len(body) + 99) // 100
    assert f"sivunvaihtojen toistetut otsikkorivit {4 * pages}" in report.summary()


def test_period_and_year_columns_and_amounts_with_a_currency(tmp_path: Path) -> None:
    data = ("Tilikausi;Jakso;Kustannuspaikka;Tili;Summa\n"
            "2023;1;1101;3001;1 234,56 EUR\n2023;2;1101;3001;100,00 €\n2023;02;1101;4001;-34,56 eur\n").encode()
    (tmp_path / "k.csv").write_bytes(data)
    report = import_ledger(tmp_path / "k.csv", tmp_path / "uusi.csv", period="1-2/2023")
    review = read_data_csv((tmp_path / "uusi.csv").read_bytes(), "uusi.csv")
    tot = [c.heading for c in review.columns].index("TOT 2023 2 kk (€)")
    assert review.area("Työllisyyspalvelut").value("myyntituotot", tot) == 1334.56
    assert review.area("Työllisyyspalvelut").value("henkilostokulut", tot) == -34.56
    assert report.result.cents_in == 130000


def test_amount_with_a_debit_credit_column(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    rows = ["Tietoevry Talous;;;;;", "Kirjanpitoraportti;;;;;", "Kp;Tili;Kirjauspäivä;Selite;Summa;D/K"]
    gross = 0
    for c, a, y, mo, d, x, t in entries:     # amounts without sign: D for costs (debit), K for revenue (credit)
        rows.append(f"{c};{a};{d}.{mo}.{y};{t};{abs(x) // 100},{abs(x) % 100:02d};{'K' if x > 0 else 'D'}")
        gross += abs(x)
    rows.append(f"Yhteensä;;;;{gross // 100},{gross % 100:02d};")
    (tmp_path / "k.csv").write_text("\n".join(rows) + "\n", encoding="cp1252")
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.csv", into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)
    assert "Debet- ja Kredit-sarakkeista" in report.summary() and "täsmää" in report.summary()
    bad = "\n".join(rows[:4] + [rows[4].rsplit(";", 1)[0] + ";X"]) + "\n"
    (tmp_path / "toinen").mkdir()
    refused(tmp_path / "toinen", bad.encode("cp1252"), "k.csv", "rivi 5: 'X'")
