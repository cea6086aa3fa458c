"""The model: column headings as printed, which column plays which part, tables and where rows came from."""

from __future__ import annotations

import numpy as np
import pytest

from elinvoima_xl.core.errors import InputError, Place
from elinvoima_xl.core.model import Column, ColumnKind, Figure, Review, Source, Table, column_roles
from elinvoima_xl.core.structure import COUNCIL, INCOME_STATEMENT


@pytest.mark.parametrize(("text", "expected"), [
    ("TP 2022 (1000 €)", Column(ColumnKind.TP, 2022, 12, 1000)),
    ("TP 2022 1000e", Column(ColumnKind.TP, 2022, 12, 1000)),
    ("TP-2022 t€", Column(ColumnKind.TP, 2022, 12, 1000)),
    ("tp 2022 1 000 €", Column(ColumnKind.TP, 2022, 12, 1000)),
    ("TP 2022 TEUR", Column(ColumnKind.TP, 2022, 12, 1000)),
    ("TOT 2022 6 kk/1000e", Column(ColumnKind.TOT, 2022, 6, 1000)),
    ("TOT 2023 1-9 kk (€)", Column(ColumnKind.TOT, 2023, 9, 1)),
    ("TOT 2023 1–12 kk (€)", Column(ColumnKind.TOT, 2023, 12, 1)),
    ("TOT 2023 1/6 (€)", Column(ColumnKind.TOT, 2023, 6, 1)),
    ("TOT 2023 4 kk", Column(ColumnKind.TOT, 2023, 4, 1)),
    ("TA 2023 +muutos (€)", Column(ColumnKind.TA, 2023, 12, 1)),
    ("TA\u00a02023   (€)", Column(ColumnKind.TA, 2023, 12, 1)),
])
def test_headings_are_read(text: str, expected: Column) -> None:
    assert Column.parse(text) == expected


def test_tot_without_months_takes_the_review_period_or_refuses() -> None:
    assert Column.parse("TOT 2023 (€)", default_months=9) == Column(ColumnKind.TOT, 2023, 9, 1)
    with pytest.raises(InputError, match="kuukausimäärä"):
        Column.parse("TOT 2023 (€)", Place(file="x.csv", line=1))


@pytest.mark.parametrize("months", [0, 13])
def test_months_outside_1_to_12_are_refused(months: int) -> None:
    with pytest.raises(InputError, match=f"kuukausimäärä {months} ei ole välillä 1–12"):
        Column.parse(f"TOT 2023 {months} kk (€)")


def test_unknown_heading_says_what_is_expected() -> None:
    with pytest.raises(InputError, match="TP 2022 \\(1000 €\\)") as err:
        Column.parse("Budjetti 2023", Place(file="x.csv", line=1))
    assert "'Budjetti 2023'" in str(err.value)


def test_labels_keys_and_headings() -> None:
    tot = Column(ColumnKind.TOT, 2023, 6, 1)
    ta = Column(ColumnKind.TA, 2023)
    tp = Column(ColumnKind.TP, 2022, 12, 1000)
    assert (tot.key, tot.label, tot.heading) == ("tot_2023_6kk", "TOT 2023 6 kk", "TOT 2023 6 kk (€)")
    assert (ta.key, ta.label, ta.unit_label) == ("ta_2023", "TA 2023 +muutos", "€")
    assert (tp.key, tp.label, tp.heading) == ("tp_2022", "TP 2022", "TP 2022 (1000 €)")
    for c in (tot, ta, tp):
        assert Column.parse(c.heading) == c


def test_roles_come_from_periods_not_positions() -> None:
    cols = (Column(ColumnKind.TOT, 2023, 6), Column(ColumnKind.TA, 2022), Column(ColumnKind.TP, 2022, 12, 1000),
            Column(ColumnKind.TOT, 2022, 9, 1000), Column(ColumnKind.TOT, 2022, 6, 1000), Column(ColumnKind.TA, 2023))
    r = column_roles(cols)
    # Budget: the latest TA (2023, index 5); actual: TOT 2023; last year: TP 2022 and TOT 2022 of the same 6 months.
    assert (r.budget, r.actual, r.prev_year, r.prev_period, r.months) == (5, 0, 2, 4, 6)


def test_roles_without_last_year() -> None:
    r = column_roles((Column(ColumnKind.TA, 2024), Column(ColumnKind.TOT, 2024, 3), Column(ColumnKind.TP, 2022)))
    assert (r.budget, r.actual, r.prev_year, r.prev_period, r.months) == (0, 1, None, None, 3)


def test_roles_refuse_missing_budget_or_actual() -> None:
    with pytest.raises(InputError, match="talousarviosarake"):
        column_roles((Column(ColumnKind.TOT, 2023, 6),))
    with pytest.raises(InputError, match="TOT 2023"):
        column_roles((Column(ColumnKind.TA, 2023), Column(ColumnKind.TOT, 2022, 6)))


def test_source_names_file_line_or_cell() -> None:
    assert str(Source(file="a.txt", line=7)) == "a.txt:7"
    assert str(Source(file="a.xlsx", sheet="Tiedot", row=3)) == "Tiedot!A3"
    assert Source(file="a.xlsx", sheet="Tiedot", row=3).cell("E") == "Tiedot!E3"
    assert Source(file="a.xlsx", sheet="Tiedot", row=3).cell() == "Tiedot!A3"
    assert Source(file="a.txt", line=7).cell("E") is None
    assert str(Source(file="a.txt")) == "a.txt"
    assert str(Source()) == ""


def test_table_put_and_given() -> None:
    cols = (Column(ColumnKind.TA, 2023), Column(ColumnKind.TOT, 2023, 6))
    t = Table.empty("A", COUNCIL, cols)
    assert t.values.shape == (len(COUNCIL.lines), 2) and np.isnan(t.values).all()
    t.put(0, Figure.COLUMN, 1, 5.0)
    t.put(0, Figure.REMAINING, 0, 7.0)
    t.put(2, Figure.PCT, 0, 9.5)
    t.put(1, Figure.COLUMN, 0, None)          # an empty cell stays absent
    assert t.value("tulot", 1) == 5.0 and np.isnan(t.value("tulot", 0))
    assert t.printed_remaining[0] == 7.0 and t.printed_pct[2] == 9.5
    assert t.given.tolist() == [[False, True], [False, False], [False, False], [False, False]]
    assert t.present.tolist() == [True, False, False, False]
    with pytest.raises(ValueError, match="not a valid Figure"):
        t.put(0, "other", 0, 1.0)  # type: ignore[arg-type]


def test_review_finds_areas_and_lists_tables() -> None:
    cols = (Column(ColumnKind.TA, 2023), Column(ColumnKind.TOT, 2023, 6))
    a, b = Table.empty("Kulttuuri", INCOME_STATEMENT, cols), Table.empty("Liikunta", INCOME_STATEMENT, cols)
    council, div = Table.empty("T", COUNCIL, cols), Table.empty("T", INCOME_STATEMENT, cols)
    inv, total = Table.empty("I", COUNCIL, cols), Table.empty("IT", COUNCIL, cols)
    review = Review("x", "T", cols, [a, b], div, council, [inv], total)
    assert review.area("kulttuuri") is a
    with pytest.raises(KeyError):
        review.area("Nuoriso")
    assert review.tables() == [div, council, a, b, inv, total]
    assert Review("x", "T", cols, [a]).tables() == [a]
    assert review.roles.actual == 1


def test_missing_roles_say_where_and_what_to_do() -> None:
    place = Place(file="d.csv", line=1)
    with pytest.raises(InputError) as err:
        column_roles((Column(ColumnKind.TOT, 2023, 6),), place)
    assert str(err.value) == ("d.csv, rivi 1: talousarviosarake (TA) puuttuu. "
                              "Lisää sarake, esimerkiksi 'TA 2023 (€)'.")
    with pytest.raises(InputError) as err:
        column_roles((Column(ColumnKind.TA, 2024), Column(ColumnKind.TA, 2023), Column(ColumnKind.TOT, 2023, 6)),
                     place)
    # The budget is the latest TA, 2024; its actual TOT 2024 is missing.
    assert str(err.value) == ("d.csv, rivi 1: toteumasarake vuodelle 2024 (TOT 2024) puuttuu. "
                              "Lisää sarake, esimerkiksi 'TOT 2024 6 kk (€)'.")
