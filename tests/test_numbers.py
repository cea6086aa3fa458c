from __future__ import annotations

import pytest

from elinvoima_xl.core.errors import NumberFormatError, Place
from elinvoima_xl.core.numbers import format_fi, parse_fi_number, round_half_away


@pytest.mark.parametrize(("text", "expected"), [
    ("1 644", 1644.0),
    ("-152 561", -152561.0),
    ("38,20", 38.2),
    ("1\u00a0234,56", 1234.56),
    ("1\u202f234", 1234.0),
    ("1 234,56-", -1234.56),
    ("\u2212711", -711.0),
    ("0,00", 0.0),
    ("261,80€", 261.8),
    ("46,6 %", 46.6),
    ("1.234,5", 1234.5),
    ("12.5", 12.5),
    (" 7 ", 7.0),
    (42, 42.0),
    (3.5, 3.5),
])
def test_parse_fi_number(text: object, expected: float) -> None:
    assert parse_fi_number(text) == pytest.approx(expected)


@pytest.mark.parametrize("empty", [None, "", "   ", float("nan")])
def test_empty_is_none(empty: object) -> None:
    assert parse_fi_number(empty) is None


@pytest.mark.parametrize("bad", ["abc", "12a", "1,2,3", "--5", True])
def test_bad_number_names_place(bad: object) -> None:
    with pytest.raises(NumberFormatError) as exc:
        parse_fi_number(bad, Place(file="data.csv", line=7, column="TA 2023"))
    text = str(exc.value)
    assert "data.csv" in text and "rivi 7" in text and "TA 2023" in text


def test_format_like_the_review() -> None:
    assert format_fi(1644) == "1 644"
    assert format_fi(-152561) == "-152 561"
    assert format_fi(38.2, 2) == "38,20"
    assert format_fi(-0.04, 1) == "0,0"
    assert format_fi(None) == ""


def test_round_half_away_from_zero() -> None:
    # Excel's ROUND: 12.375 -> 12.4 (Python's round gives 12.38 -> banker's elsewhere)
    assert round_half_away(99 / 800 * 100, 1) == pytest.approx(12.4)
    assert round_half_away(-0.25, 1) == pytest.approx(-0.3)
    assert round_half_away(2.5) == 3.0
