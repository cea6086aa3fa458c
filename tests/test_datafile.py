"""The data file (CSV and .xlsx): round trips, the bundled CSV, and clear errors on bad input."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest

from elinvoima_xl.errors import InputError, NumberFormatError
from elinvoima_xl.load import BUNDLED_CSV, bundled_path
from elinvoima_xl.model import Review
from elinvoima_xl.sources.datafile import read_data_csv, read_data_xlsx, write_data_csv, write_data_xlsx
from elinvoima_xl.structure import INCOME_STATEMENT as IS

HEADER = "taso;alue;rivi;TP 2022 (1000 €);TOT 2022 6 kk (1000 €);TA 2023 (€);TOT 2023 6 kk (€)"


def _same_figures(a: Review, b: Review) -> None:
    pairs = list(zip(a.areas, b.areas)) + list(zip(a.investments, b.investments))
    pairs += [(a.division_table, b.division_table), (a.council, b.council),
              (a.investments_total, b.investments_total)]
    assert len(a.areas) == len(b.areas) and len(a.investments) == len(b.investments)
    for x, y in pairs:
        assert x is not None and y is not None
        assert x.name == y.name
        assert np.array_equal(x.values, y.values, equal_nan=True), x.name
        assert np.array_equal(x.printed_remaining, y.printed_remaining, equal_nan=True), x.name
        assert np.array_equal(x.printed_pct, y.printed_pct, equal_nan=True), x.name
        assert x.labels == y.labels


def test_bundled_csv_equals_the_seed(seed_review: Review) -> None:
    bundled = read_data_csv(bundled_path(BUNDLED_CSV).read_bytes(), BUNDLED_CSV)
    _same_figures(seed_review, bundled)


def test_csv_and_xlsx_round_trip(seed_review: Review) -> None:
    _same_figures(seed_review, read_data_csv(write_data_csv(seed_review), "x.csv"))
    _same_figures(seed_review, read_data_xlsx(write_data_xlsx(seed_review), "x.xlsx"))


def test_xlsx_is_a_real_workbook_with_numbers(seed_review: Review) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(write_data_xlsx(seed_review)))
    ws = wb["Tiedot"]
    assert [c.value for c in ws[1]][:4] == ["taso", "alue", "rivi", "TP 2022 (1000 €)"]
    row = [c.value for c in ws[2]]
    assert row[:3] == ["toimiala", "Elinvoimalautakunnan toimiala", "Myyntituotot"]
    assert row[3:7] == [330, 148, 207_300, 111_313]


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def test_finnish_numbers_bom_and_cp1252() -> None:
    row = "palvelualue;Kulttuuri;Maksutuotot;713;235;578\u00a0500;279 372,40"
    for data in (_csv(row), b"\xef\xbb\xbf" + _csv(row), _csv(row).decode().encode("cp1252")):
        review = read_data_csv(data, "x.csv")
        area = review.area("Kulttuuri")
        assert area.values[IS.index["maksutuotot"]].tolist() == [713, 235, 578_500, 279_372.4]


def test_comma_separated_with_plain_numbers() -> None:
    data = _csv("palvelualue,Kulttuuri,Maksutuotot,713,235,578500,279372.4",
                header=HEADER.replace(";", ","))
    assert read_data_csv(data, "x.csv").area("Kulttuuri").values[IS.index["maksutuotot"], 3] == 279_372.4


def test_misspelt_label_is_kept_and_noted() -> None:
    data = _csv("palvelualue;A;Henkilöstökulut;-1;-1;-100;-50", "palvelualue;A;Vuokratulot;-2;-1;-200;-90")
    area = read_data_csv(data, "x.csv").area("A")
    assert area.values[IS.index["vuokrakulut"], 2] == -200
    assert area.label_notes and "Vuokratulot" in area.label_notes[0][1]
    assert str(area.label_notes[0][2]) == "x.csv:3"


@pytest.mark.parametrize(("data", "words"), [
    (b"", ["x.csv", "tyhjä"]),
    (b"\n\n", ["x.csv", "tyhjä"]),
    (_csv(header="taso;alue;TA 2023 (€);TOT 2023 6 kk (€)"), ["x.csv", "rivi 1", "'rivi' puuttuu"]),
    (_csv(header="taso;alue;rivi;TOT 2023 6 kk (€)"), ["TA", "puuttuu"]),
    (_csv(header="taso;alue;rivi;Budjetti;TA 2023 (€);TOT 2023 6 kk (€)"), ["Budjetti", "ei tunnistettu"]),
    (_csv(), ["vain otsikkorivi"]),
    (_csv("palvelualue;A;Lounasseteli;1;1;1;1"), ["rivi 2", "Lounasseteli", "ei tunnistettu", "Myyntituotot"]),
    (_csv("alue;A;Myyntituotot;1;1;1;1"), ["rivi 2", "taso 'alue'", "palvelualue"]),
    (_csv("palvelualue;;Myyntituotot;1;1;1;1"), ["rivi 2", "alue puuttuu"]),
    (_csv("palvelualue;A;Myyntituotot;1;1;1;1", "palvelualue;A;Myyntituotot;1;1;1;1"), ["rivi 3", "jo rivillä"]),
])
def test_bad_csv_gives_a_clear_error_with_its_place(data: bytes, words: list[str]) -> None:
    with pytest.raises(InputError) as exc:
        read_data_csv(data, "x.csv")
    for w in words:
        assert w in str(exc.value)


def test_text_where_a_number_belongs() -> None:
    with pytest.raises(NumberFormatError) as exc:
        read_data_csv(_csv("palvelualue;A;Myyntituotot;1;1;paljon;1"), "x.csv")
    assert "x.csv, rivi 2, sarake 'TA 2023 (€)'" in str(exc.value) and "'paljon'" in str(exc.value)


def _xlsx(cell: object) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tiedot"
    ws.append(HEADER.split(";"))
    ws.append(["palvelualue", "A", "Myyntituotot", 1, 1, cell, 1])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_error_names_sheet_and_cell() -> None:
    with pytest.raises(NumberFormatError) as exc:
        read_data_xlsx(_xlsx("paljon"), "x.xlsx")
    assert "Tiedot!F2" in str(exc.value)


def test_xlsx_formula_without_value_is_refused_not_zero() -> None:
    with pytest.raises(InputError) as exc:  # openpyxl writes formulas without a cached value
        read_data_xlsx(_xlsx("=SUM(D2)"), "x.xlsx")
    assert "Tiedot!F2" in str(exc.value) and "=SUM(D2)" in str(exc.value)


def test_broken_xlsx() -> None:
    with pytest.raises(InputError) as exc:
        read_data_xlsx(b"PK\x03\x04 not really", "x.xlsx")
    assert "x.xlsx" in str(exc.value) and "Excel" in str(exc.value)


def test_other_period_needs_no_code_change() -> None:
    header = "taso;alue;rivi;TP 2023 (1000 €);TOT 2023 1-9 kk (1000 €);TA 2024 (€);TOT 2024 1-9 kk (€)"
    review = read_data_csv(_csv("palvelualue;A;Myyntituotot;100;70;120 000;90 000", header=header), "x.csv")
    assert [c.label for c in review.columns] == ["TP 2023", "TOT 2023 9 kk", "TA 2024 +muutos", "TOT 2024 9 kk"]
    assert review.roles.months == 9 and review.title == "Katsaus 1–9/2024"
