"""Cells of a ledger export read a column at a time: codes, Finnish amounts in cents, dates, blanks, total words."""

from __future__ import annotations

__all__ = ["AMOUNT_LIMIT_EUR", "BoolArray", "IntArray", "blank_cells", "is_total", "looks_like_amount", "parse_cents",
           "parse_codes", "parse_dates"]

import re
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import NumberFormatError
from ..core.numbers import parse_fi_number
from .ledger_header import norm

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
AMOUNT_LIMIT_EUR = 1e12          # an amount beyond ±10^12 € is a broken file, not a booking
_TOTAL_WORDS = ("yhteensä", "yhteensa", "yht.", "kaikki yhteensä", "loppusumma", "total", "summa yhteensä")


def parse_codes(strings: Any) -> tuple[IntArray, BoolArray]:
    """Leading integer codes ('1101', '1101 Työllisyys', '1101 - Hallinto'); ok False where there is none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        codes = np.asarray(pc.cast(strings, pa.int64()))
        if (codes >= 0).all():
            return codes, np.ones(len(codes), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    found = pc.extract_regex(pc.utf8_trim_whitespace(strings), r"^(?P<c>\d{1,15})(?:$|[\s\-–:])")
    ok = np.asarray(pc.fill_null(pc.is_valid(found), False))
    digits = pc.fill_null(pc.struct_field(found, "c"), "0")
    return np.asarray(pc.cast(digits, pa.int64())), ok


def parse_cents(strings: Any) -> tuple[IntArray, BoolArray, npt.NDArray[np.float64]]:
    """Finnish amounts ('-1 234,56', '1 234,56-', NBSP thousands, '1234.5', '1.234,56') to cents; empty = 0."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(strings)
    try:   # the common case: plain "-1234,56" or "1234.56", one cast
        euros = np.asarray(pc.cast(pc.replace_substring(strings, ",", "."), pa.float64()))
        if np.isfinite(euros).all() and (np.abs(euros) <= AMOUNT_LIMIT_EUR).all():
            return np.round(euros * 100.0).astype(np.int64), np.zeros(n, dtype=bool), euros
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    s = pc.utf8_trim_whitespace(strings)
    for space in ("\u00a0", "\u202f", " ", "€"):
        s = pc.replace_substring(s, space, "")
    s = pc.replace_substring_regex(s, "(?i)eur(oa)?$", "")
    s = pc.replace_substring(s, "\u2212", "-")
    trailing = pc.fill_null(pc.ends_with(s, "-"), False)
    s = pc.if_else(trailing, pc.binary_join_element_wise("-", pc.utf8_slice_codeunits(s, 0, -1), ""), s)
    s = pc.replace_substring(s, ",", ".")
    empty = np.asarray(pc.fill_null(pc.equal(s, ""), True))
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(s, r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"), False))
    s = pc.if_else(pa.array(ok), s, "0")
    euros = np.asarray(pc.cast(s, pa.float64())).copy()
    euros[empty] = 0.0
    rest = np.nonzero(~ok & ~empty)[0]
    bad = np.zeros(n, dtype=bool)
    if len(rest):     # the few left: thousands dots, parentheses… one by one
        texts = strings.take(rest).to_pylist()
        for i, t in zip(rest, texts):
            try:
                v = parse_fi_number(t)
            except NumberFormatError:
                v = None
            if v is None:
                bad[i] = True
            else:
                euros[i] = v
    euros[~np.isfinite(euros)] = np.inf
    bad |= np.isnan(euros)
    safe = np.where(np.abs(euros) <= AMOUNT_LIMIT_EUR, euros, 0.0)
    return np.round(safe * 100.0).astype(np.int64), bad, np.where(bad, 0.0, euros)


def parse_dates(strings: Any, period: bool) -> tuple[IntArray, IntArray, BoolArray]:
    """Year and month from '31.3.2023', '2023-03-31', '31.03.2023 00:00', '20230331' (pvm) or
    '3/2023', '03.2023', '2023-03', '2023/03', '202303' (jakso); ok False where unreadable."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(strings)
    if not period:
        parsed = pc.strptime(strings, format="%d.%m.%Y", unit="s", error_is_null=True)
        if parsed.null_count:
            parsed = pc.coalesce(parsed, pc.strptime(pc.utf8_slice_codeunits(strings, 0, 10), format="%Y-%m-%d",
                                                     unit="s", error_is_null=True))
        if not parsed.null_count:
            seconds = np.asarray(parsed.cast(pa.int64())).astype("datetime64[s]")
            months = seconds.astype("datetime64[M]").astype(np.int64)
            return months // 12 + 1970, months % 12 + 1, np.ones(n, dtype=bool)
    strings = pc.utf8_trim_whitespace(strings)
    patterns = ([r"^(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})$", r"^(?P<y>\d{4})\s*[-/.]?\s*(?P<m>\d{1,2})$"] if period
                else [r"^\d{1,2}\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?:$|\s)",
                      r"^(?P<y>\d{4})-(?P<m>\d{1,2})-\d{1,2}(?:$|[\sT])",
                      r"^\d{1,2}\.(?P<m>\d{1,2})\.(?P<y>\d{2})$",
                      r"^(?P<y>\d{4})(?P<m>\d{2})\d{2}$", r"^\d{1,2}/(?P<m>\d{1,2})/(?P<y>\d{4})$"])
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    for pattern in patterns:
        found = pc.extract_regex(strings, pattern)
        valid = np.asarray(pc.fill_null(pc.is_valid(found), False)) & (year == 0)
        if valid.any():
            ys = np.asarray(pc.cast(pc.fill_null(pc.struct_field(found, "y"), "0"), pa.int64()))
            ms = np.asarray(pc.cast(pc.fill_null(pc.struct_field(found, "m"), "0"), pa.int64()))
            year = np.where(valid, ys, year)
            month = np.where(valid, ms, month)
    if not period:   # an Excel date serial written as a number (an .xlsx date cell without date format)
        serial = np.asarray(pc.fill_null(pc.match_substring_regex(strings, r"^\d{5}(\.0+)?$"), False)) & (year == 0)
        if serial.any():
            days = np.asarray(pc.cast(pc.if_else(pa.array(serial), strings, "0"), pa.float64())).astype(np.int64)
            dates = np.datetime64("1899-12-30") + days.astype("timedelta64[D]")
            ys = dates.astype("datetime64[Y]").astype(np.int64) + 1970
            ms = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
            year = np.where(serial, ys, year)
            month = np.where(serial, ms, month)
    year = np.where((year > 0) & (year < 100), year + 2000, year)     # 31.3.23
    ok = (year >= 1900) & (year <= 2199) & (month >= 1) & (month <= 12)
    return year, month, ok


def blank_cells(strings: Any) -> BoolArray:
    """Empty or whitespace-only cells."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(pc.binary_length(pc.utf8_trim_whitespace(strings)), 0)) == 0


def looks_like_amount(text: str) -> bool:
    try:
        return parse_fi_number(text) is not None and bool(re.search(r"\d", text))
    except NumberFormatError:
        return False


def is_total(cells: list[str] | Any) -> bool:
    texts = [norm(c) for c in cells]
    return any(t.startswith(w.rstrip(".")) or t.endswith(w.rstrip(".")) for t in texts if t for w in _TOTAL_WORDS)

