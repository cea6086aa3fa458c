"""Cells of a sheet: A1 references (column letters, a cell's reference and its inverse, 0-based) and Excel's error values."""

from __future__ import annotations

__all__ = ["EXCEL_ERRORS", "cell_ref", "col_letter", "parse_ref"]

from functools import cache

# Excel's error values, in English and in a Finnish Excel, as files store them and as xlwings hands
# them with err_to_str=True.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
                "#SPILL!", "#CALC!", "#ARVO!", "#JAKO/0!", "#PUUTTUU!", "#NIMI?", "#LUKU!", "#VIITTAUS!")


@cache
def col_letter(col: int) -> str:
    """0-based column index to letters: 0 -> A, 26 -> AA."""
    out = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_ref(row: int, col: int) -> str:
    return f"{col_letter(col)}{row + 1}"


def parse_ref(ref: str) -> tuple[int, int]:
    """"K12" -> (11, 10): 0-based row and column (the inverse of `cell_ref`)."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1
