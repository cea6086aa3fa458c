"""The UDFs called as plain Python with the inputs xlwings hands them; figures from the seed."""

from __future__ import annotations

from typing import Any

import pytest

from elinvoima_xl.excel import udfs


def _call(name: str) -> Any:
    """The UDF as Excel sees it: the array it returns, as the cells xlwings writes (tolist)."""
    f = getattr(udfs, name)

    def call(*args: Any) -> Any:
        out = f(*args)
        return out.tolist() if hasattr(out, "tolist") else out
    call.__doc__ = f.__doc__
    return call


TOT_PCT, JALJELLA, ENNUSTE, SUMMAERO = (_call(n) for n in ("TOT_PCT", "JALJELLA", "ENNUSTE", "SUMMAERO"))


def test_tot_pct_single_cells_from_the_seed() -> None:
    assert TOT_PCT(1_122_509, 2_941_800) == [[38.2]]          # TULOT 38,20
    assert TOT_PCT(-152_561, 200_000) == [[-76.3]]           # sign kept
    assert TOT_PCT(-152_561, 200_000, True) == [[76.3]]      # the setting for positive %
    assert TOT_PCT(735, 0) == [[0.0]]                         # budget 0 -> 0,00


def test_tot_pct_whole_column_is_one_call_same_shape() -> None:
    tot = [[111_313.0], [314_303.0], [237_644.0], [6_832.0], [452_417.0]]
    ta = [[207_300.0], [636_500.0], [935_000.0], [663_000.0], [500_000.0]]
    assert TOT_PCT(tot, ta) == [[53.7], [49.4], [25.4], [1.0], [90.5]]


def test_inputs_as_excel_hands_them() -> None:
    # Finnish text numbers with spaces and non-breaking spaces, an empty cell, a decimal comma.
    assert TOT_PCT([["111 313"], ["314\u00a0303,00"], [None]], [[207_300], [636_500], [1_000]]) == \
        [[53.7], [49.4], [0.0]]


def test_bad_cells_get_a_finnish_message_in_their_own_cell() -> None:
    out = TOT_PCT([[1.0], ["paljon"], ["#N/A"]], [[2.0], [2.0], [2.0]])
    assert out[0] == [50.0]
    assert out[1] == ["Ei luku: paljon"]
    assert out[2] == ["#N/A"]
    assert TOT_PCT([[True]], [[1]]) == [["Ei luku: True"]]


def test_shapes_that_do_not_match() -> None:
    out = TOT_PCT([[1], [2], [3]], [[1], [2]])
    assert len(out) == 1 and "eri kokoisia" in out[0][0]
    # A single budget cell goes with a whole range.
    assert TOT_PCT([[50], [25]], 100) == [[50.0], [25.0]]


def test_jaljella_from_the_seed() -> None:
    assert JALJELLA(2_941_800, 1_122_509) == [[1_819_291.0]]      # printed 1 819 292 (rounding)
    assert JALJELLA([[29_500 * -1]], [[-43_500]]) == [[14_000.0]]  # Elinkeinopalvelut, Avustukset


def test_ennuste_linear_and_seasonal() -> None:
    assert ENNUSTE(-38_738, 6) == [[-38_738 * 2.0]]
    # Työllisyyspalvelut, Palvelujen ostot: last year -39 000 of -80 000 by June -> share 0,4875.
    assert ENNUSTE(-38_738, 6, -80_000, -39_000)[0][0] == pytest.approx(-38_738 / 0.4875)
    # Rents invoiced in the autumn: nothing by June last year -> TOT + last year's rest.
    assert ENNUSTE(-711, 6, 655_000, 0) == [[-711.0 + 655_000]]
    assert ENNUSTE(1, "x") == [["Kuukausien määrä puuttuu"]]
    assert ENNUSTE(1, 13) == [["Kuukausia pitää olla 1–12"]]


def test_summaero() -> None:
    # Työllisyyspalvelut, Toimintatuotot TOT 2023: 59 558 + 309 946 = 369 504, printed 369 505:
    # 3 rounded figures -> up to 1,5 € is rounding -> 0.
    assert SUMMAERO(369_505, [[59_558], [309_946]]) == 0.0
    # The division's investment TULOT TP 2022: printed 69, groups 0 + 60.
    assert SUMMAERO(69, [[0], [60]]) == 9.0
    assert SUMMAERO([[1], [2]], [[1]]) == "Summan pitää olla yksi solu"


def test_docstrings_are_finnish_descriptions() -> None:
    assert TOT_PCT.__doc__ and TOT_PCT.__doc__.startswith("Toteumaprosentti")
    assert JALJELLA.__doc__ and "Jäljellä" in JALJELLA.__doc__


def test_tot_pct_without_arguments_reads_its_row_by_the_heads(built_workbook: bytes) -> None:
    """=TOT_PCT() on Työllisyyspalvelut's Myyntituotot row: the seed prints 59,9 (59 558 / 99 500)."""
    from elinvoima_xl.excel.udfs import TOT_PCT as raw

    from .fake_xlwings import FakeBook

    book = FakeBook.from_xlsx(built_workbook)
    sheet = book.sheets["Työllisyyspalvelut"]
    assert sheet.range("A6").value == "Myyntituotot"
    assert raw(caller=sheet.range((6, 10))).tolist() == [[59.9]]
    assert raw(caller=sheet.range((2, 10))).tolist() == [["Otsikoista ei löydy TA- ja TOT-sarakkeita."]]
    assert raw().tolist() == [["Anna toteuma ja talousarvio, tai käytä funktiota taulukon rivillä."]]


def test_row_pct_scales_units_and_reports_bad_cells() -> None:
    from elinvoima_xl.excel.values import row_pct

    heads = ["", "TA 2023 (1000 €)", "TOT 2023 6 kk (€)"]
    assert row_pct([heads, ["Myyntituotot", 99.5, 59_558]]) == 59.9      # 59 558 € / 99 500 €
    assert row_pct([heads, ["x", 0, 735]]) == 0.0                        # no budget: 0,00
    assert row_pct([heads, ["x", "paljon", 1]]) == "Ei luku: paljon"
    assert row_pct([["a", "b"], ["x", 1]]) == "Otsikoista ei löydy TA- ja TOT-sarakkeita."
