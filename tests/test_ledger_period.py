"""Ledger import: the period is explicit, only covered columns are replaced, signs are decided, balance sheet kept out.

Each case either imports to the cent (last year's columns and investments untouched unless
the ledger covers them) or stops with a clear message and the target byte-identical.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from elinvoima_xl.core.errors import InputError
from elinvoima_xl.jobs.importer import import_ledger
from elinvoima_xl.core.model import Review
from elinvoima_xl.sources.datafile import read_data_csv
from elinvoima_xl.sources.ledger import Mapping
from elinvoima_xl.sources.ledger_generator import Entry, render_export
from tests.test_ledger_exports import BUNDLED, bundled, details, entries, investments, mapping, refused, target

__all__ = ["bundled", "entries", "mapping"]     # fixtures shared with test_ledger_exports


def write(tmp_path: Path, rows: list[Entry], style: str = "plain", name: str = "k.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(render_export(rows, style))
    return path


def only(d: dict[tuple[str, str, str], float], prefix: str) -> dict[tuple[str, str, str], float]:
    return {k: v for k, v in d.items() if k[2].startswith(prefix)}


def test_this_year_only_keeps_last_years_columns(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    ledger = write(tmp_path, [e for e in entries if e[2] == 2023])
    into = target(tmp_path)
    report = import_ledger(ledger, into)
    imported = details(read_data_csv(into.read_bytes(), "t.csv"))
    assert imported == details(bundled)              # TP 2022 and TOT 2022 6 kk: all 56 kept as they were
    assert len(only(imported, "TP 2022")) == len(only(details(bundled), "TP 2022"))
    summary = report.summary()
    assert "TP 2022: säilytetty (ei rivejä vuodelta 2022)" in summary
    assert "TOT 2022 6 kk: säilytetty (ei rivejä kaudelta 1–6/2022)" in summary


def test_last_years_half_year_only_fills_tot_not_tp(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    # only 1–6/2022, every amount doubled: TOT 2022 6 kk becomes twice the seed's; TP 2022 and 2023 stay
    rows = [(c, a, y, m, d, 2 * x, t) for c, a, y, m, d, x, t in entries if y == 2022 and m <= 6]
    into = target(tmp_path)
    report = import_ledger(write(tmp_path, rows), into)
    imported = details(read_data_csv(into.read_bytes(), "t.csv"))
    seed = details(bundled)
    assert only(imported, "TOT 2022") == {k: 2 * v for k, v in only(seed, "TOT 2022").items()}
    assert only(imported, "TP 2022") == only(seed, "TP 2022")
    assert only(imported, "TOT 2023") == only(seed, "TOT 2023")
    assert "TP 2022: säilytetty (vuodesta 2022 puuttuvat kuukaudet 7/2022" in report.summary()


def test_stray_july_rows_stop_the_import_unless_the_period_is_given(tmp_path: Path, bundled: Review,
                                                                   entries: list[Entry]) -> None:
    stray = [(1101, 4001, 2023, 7, 3, -12_345, "heinäkuu"), (1201, 3001, 2023, 7, 4, 500, "heinäkuu")]
    rows = entries + stray
    text = render_export(rows, "plain")
    err = refused(tmp_path, text, "k.csv", "2 riviä \\(-118,45 €\\) ovat kauden 1–6/2023 jälkeen")
    n = text.count(b"\n")
    assert f"rivi {n - 1}: kp 1101, tili 4001, 7/2023, -123,45 €" in str(err) and f"rivi {n}: kp 1201" in str(err)
    assert "--period 1-7/2023" in str(err)
    # the period given: the July rows are left out and listed; the review stays 1–6/2023
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.csv", into, period="1-6/2023")
    imported = read_data_csv(into.read_bytes(), "t.csv")
    assert [c.heading for c in imported.columns] == [c.heading for c in bundled.columns]
    assert details(imported) == details(bundled)
    assert "jätetty pois kauden 1–6/2023 jälkeiset rivit: 2 riviä, -118,45 €" in report.summary()
    assert report.result.cents_in == report.result.cents_out + report.result.cents_left_out


def test_missing_months_and_other_years_stop(tmp_path: Path, entries: list[Entry]) -> None:
    no_april = [e for e in entries if not (e[2] == 2023 and e[3] == 4)]
    refused(tmp_path, render_export(no_april, "plain"), "k.csv", "kirjanpidosta puuttuvat kuukaudet 4/2023")
    old = entries + [(1101, 3001, 2021, 12, 31, 100, "vanha")]
    err = refused(tmp_path, render_export(old, "plain"), "k.csv", "1 riviä \\(1,00 €\\) ovat muulta vuodelta")
    assert "12/2021" in str(err)


def test_a_new_data_file_needs_the_period(tmp_path: Path, bundled: Review, entries: list[Entry]) -> None:
    ledger = write(tmp_path, entries)
    with pytest.raises(InputError, match="--period 1-6/2023"):
        import_ledger(ledger, tmp_path / "uusi.csv")
    assert not (tmp_path / "uusi.csv").exists()
    import_ledger(ledger, tmp_path / "uusi.csv", period="1-6/2023")
    imported = read_data_csv((tmp_path / "uusi.csv").read_bytes(), "uusi.csv")
    assert {k: v for k, v in details(imported).items() if not k[2].startswith("TA")} == \
        {k: v for k, v in details(bundled).items() if not k[2].startswith("TA")}


def test_balance_sheet_and_fixed_asset_rows_stay_off_the_income_statement(tmp_path: Path, bundled: Review,
                                                                           entries: list[Entry]) -> None:
    extra = [(1101, 1700, 2023, 3, 1, -250_000_00, "saamiset"), (1201, 2510, 2023, 4, 2, 80_000_00, "ostovelat"),
             (1501, 1101, 2023, 5, 5, -1_000_000_00, "maa-alueen osto"), (1501, 1101, 2022, 8, 5, -300_00, "maa")]
    into = target(tmp_path)
    report = import_ledger(write(tmp_path, entries + extra), into)
    imported = read_data_csv(into.read_bytes(), "t.csv")
    assert details(imported) == details(bundled)            # TILIKAUDEN TULOS of every area as before
    assert investments(imported) == investments(bundled)
    summary = report.summary()
    assert "taseen tilit: 2 riviä, -170 000,00 €" in summary
    assert "käyttöomaisuustilit ilman investointiryhmää: 2 riviä, -1 000 300,00 €" in summary
    assert report.result.cents_in == report.result.cents_out + report.result.cents_left_out


def test_fixed_assets_go_to_the_investment_group_the_mapping_names(tmp_path: Path, bundled: Review,
                                                                 entries: list[Entry]) -> None:
    shipped = Path(str(BUNDLED)).with_name("kohdistus.csv").read_text(encoding="utf-8")
    (tmp_path / "map.csv").write_text(
        shipped.replace("kayttoomaisuus;1000;1199;", "kayttoomaisuus;1000;1099;KULTTUURI\nkayttoomaisuus;1100;1199;MAANKÄYTTÖ"),
        encoding="utf-8")
    extra = [(1501, 1101, 2023, 5, 5, -12_000_00, "maa-alueen osto"), (1501, 1150, 2023, 6, 1, 3_000_00, "myynti"),
             (1301, 1001, 2023, 2, 1, -500_00, "taide"), (1501, 1101, 2022, 3, 1, -7_000_00, "maa")]
    into = target(tmp_path)
    report = import_ledger(write(tmp_path, entries + extra), into, map_path=tmp_path / "map.csv")
    imported = read_data_csv(into.read_bytes(), "t.csv")
    assert details(imported) == details(bundled)
    groups = {t.name: t for t in imported.investments}
    tot = [c.heading for c in imported.columns].index("TOT 2023 6 kk (€)")
    tp = [c.heading for c in imported.columns].index("TP 2022 (1000 €)")
    assert groups["MAANKÄYTTÖ"].value("menot", tot) == -12_000 and groups["MAANKÄYTTÖ"].value("tulot", tot) == 3_000
    assert groups["MAANKÄYTTÖ"].value("netto", tot) == -9_000
    assert groups["KULTTUURI"].value("menot", tot) == -500
    assert groups["MAANKÄYTTÖ"].value("menot", tp) == -7.0                 # 7 000 € in 1000 €
    assert "investoinnit: 2 ryhmää kirjanpidosta" in report.summary()
    assert report.result.cents_in == report.result.cents_out + report.result.cents_left_out


def test_debit_sign_without_debet_kredit_is_detected_from_the_lines(tmp_path: Path, bundled: Review,
                                                                   entries: list[Entry]) -> None:
    ledger = write(tmp_path, entries, "heeros")
    # against the data already there
    into = target(tmp_path)
    report = import_ledger(ledger, into)
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)
    assert "kirjanpidon etumerkki (debet +, kredit −), käännetty (verrattu tietojen samoihin riveihin" in report.summary()
    # a new file: from the revenue and cost accounts' own balances
    report = import_ledger(ledger, tmp_path / "uusi.csv", period="1-6/2023")
    assert "tuotto- ja kulutilien saldoista" in report.summary()
    fresh = read_data_csv((tmp_path / "uusi.csv").read_bytes(), "uusi.csv")
    assert only(details(fresh), "TOT 2023") == only(details(bundled), "TOT 2023")


def test_undecidable_sign_stops_and_asks(tmp_path: Path) -> None:
    # revenue and costs both positive, nothing to compare with: income or debit cannot be told
    rows = [(1101, 3001, 2023, m, 1, 1000_00, "x") for m in (1, 2)] + [(1101, 4001, 2023, 2, 1, 900_00, "y")]
    ledger = write(tmp_path, rows)
    with pytest.raises(InputError, match="--sign income .* --sign debit"):
        import_ledger(ledger, tmp_path / "uusi.csv", period="1-2/2023")
    assert not (tmp_path / "uusi.csv").exists()
    report = import_ledger(ledger, tmp_path / "uusi.csv", period="1-2/2023", sign="debit")
    fresh = read_data_csv((tmp_path / "uusi.csv").read_bytes(), "uusi.csv")
    tot = [c.heading for c in fresh.columns].index("TOT 2023 2 kk (€)")
    assert fresh.area("Työllisyyspalvelut").value("myyntituotot", tot) == -2000.0
    assert fresh.area("Työllisyyspalvelut").value("henkilostokulut", tot) == -900.0
    assert "annettu (--sign)" in report.summary()


def test_mixed_signs_against_the_data_stop(tmp_path: Path, entries: list[Entry]) -> None:
    # half the areas flipped: neither convention fits the data already there
    rows = [(c, a, y, m, d, -x if c < 1300 else x, t) for c, a, y, m, d, x, t in entries]
    refused(tmp_path, render_export(rows, "plain"), "k.csv", "etumerkkiä ei voi päätellä")


def test_last_year_in_1000_euros_keeps_its_cents_in_euros(tmp_path: Path, bundled: Review,
                                                         entries: list[Entry]) -> None:
    rows = entries + [(1101, 3001, 2022, 9, 1, 123_45, "sentit")]
    into = target(tmp_path)
    report = import_ledger(write(tmp_path, rows), into)
    imported = read_data_csv(into.read_bytes(), "t.csv")
    headings = [c.heading for c in imported.columns]
    assert headings[0] == "TP 2022 (€)" and "TP 2022: korvattu, yksikkö 1000 € → €" in report.summary()
    seed_tp = bundled.area("Työllisyyspalvelut").value("myyntituotot", 0) * 1000
    assert imported.area("Työllisyyspalvelut").value("myyntituotot", 0) == seed_tp + 123.45


def test_cli_period_sign_and_log(tmp_path: Path, entries: list[Entry]) -> None:
    write(tmp_path, entries + [(1101, 4001, 2023, 7, 3, -1, "heinäkuu")], "heeros")
    into = target(tmp_path)
    run = [sys.executable, "-m", "elinvoima_xl", "import", "k.csv", "--into", "tiedot.csv"]
    r = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "ovat kauden 1–6/2023 jälkeen" in r.stderr
    assert into.read_bytes() == BUNDLED.read_bytes()
    r = subprocess.run(run + ["--period", "1-6/2023", "--sign", "debit"], cwd=tmp_path, capture_output=True,
                       text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "kausi 1–6/2023 (annettu)" in r.stdout and "annettu (--sign)" in r.stdout
    log = (tmp_path / "tiedot.csv.tuonnit.csv").read_text(encoding="utf-8-sig").splitlines()
    assert log[0].startswith("Aika;Tiedosto;SHA-256") and "1–6/2023 (annettu)" in log[1] and "debet +" in log[1]
    assert "TP 2022: korvattu" in log[1] and "kauden 1–6/2023 jälkeiset rivit: 1 riviä" in log[1]


def test_workbook_profile_sheet_and_refusal_leave_the_workbook_as_it_was(tmp_path: Path, bundled: Review,
                                                                        entries: list[Entry],
                                                                        built_csv_workbook: bytes) -> None:
    from elinvoima_xl.jobs.file_backend import FileBackend
    from elinvoima_xl.jobs.importer import PROFILE_SHEET
    from elinvoima_xl.workbook.layout import SheetLayout
    from elinvoima_xl.sources.datafile import read_data_xlsx

    port = FileBackend(built_csv_workbook, "Elinvoima.xlsm")     # the workbook of `bundled`, built once per session
    sheet = SheetLayout(PROFILE_SHEET, owned=False)
    for r, row in enumerate([("rooli", "otsikko"), ("kustannuspaikka", "KP-tunniste"), ("tili", "Pääkirjan tili"),
                             ("pvm", "Tap.aika"), ("summa", "Rahamäärä")]):
        for c, v in enumerate(row):
            sheet.put(r, c, v)
    port.replace([sheet], [], None)
    port.save()
    workbook = tmp_path / "Elinvoima.xlsm"
    workbook.write_bytes(port.data)
    before = workbook.read_bytes()
    rows = ["KP-tunniste;Pääkirjan tili;Tap.aika;Rahamäärä"]
    rows += [f"{c};{a};{d}.{mo}.{y};{x / 100:.2f}" for c, a, y, mo, d, x, _t in entries]
    (tmp_path / "k.csv").write_text("\n".join(rows + ["1101;4001;1.7.2023;-5.00"]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="1 riviä .* ovat kauden 1–6/2023 jälkeen"):
        import_ledger(tmp_path / "k.csv", workbook)
    assert workbook.read_bytes() == before and not (tmp_path / "Elinvoima.edellinen.xlsm").exists()
    (tmp_path / "k.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_ledger(tmp_path / "k.csv", workbook)          # the headings come from the sheet Tuontiprofiili
    imported = read_data_xlsx(workbook.read_bytes(), "Elinvoima.xlsm", sheet="Tiedot")
    assert details(imported) == details(bundled) and investments(imported) == investments(bundled)


def test_a_budget_in_the_ledgers_debit_sign_is_turned(tmp_path: Path, bundled: Review, mapping: Mapping) -> None:
    from elinvoima_xl.sources.ledger_generator import review_entries

    rows, budget = review_entries(bundled, mapping)
    write(tmp_path, rows, "heeros")
    # the budget as the same system exports it: debit + (costs positive, revenue negative), with a preamble
    text = "Talousarvio 2023;;\nKp;Tili;Talousarvio\n" + "".join(f"{c};{a};{-x / 100:.2f}\n" for c, a, x in budget)
    (tmp_path / "ta.csv").write_text(text, encoding="utf-8")
    into = target(tmp_path)
    report = import_ledger(tmp_path / "k.csv", into, tmp_path / "ta.csv")
    assert details(read_data_csv(into.read_bytes(), "t.csv")) == details(bundled)    # TA 2023 too, to the cent
    assert "TA 2023 +muutos: korvattu" in report.summary() and "verrattu talousarvion samoihin riveihin" in report.summary()
