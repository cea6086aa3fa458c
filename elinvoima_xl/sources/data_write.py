"""The data file written: a review's tables as data rows, as CSV (Finnish Excel's) or as an .xlsx sheet `Tiedot`."""

from __future__ import annotations

__all__ = ["data_row_keys", "data_rows", "write_data_csv", "write_data_xlsx"]

import csv
import io
from collections.abc import Iterable, Iterator

import numpy as np

from ..core.model import Level, Review, Table
from ..core.names import text_for_csv
from ..core.numbers import format_fi
from ..core.structure import Kind
from .data_table import SETTING_LEVEL, SETTING_SOURCE, SHEET_NAME, SIGN_SETTING


def data_row_keys(review: Review) -> Iterator[tuple[Level, Table, int]]:
    """(level, table, line index) of every data row `data_rows` writes, in the same order (`Review.levelled`'s)."""
    for level, table in review.levelled():
        for li, line in enumerate(table.structure.lines):
            if line.kind is not Kind.HEADER and line.key in table.labels:
                yield level, table, li


def data_rows(review: Review) -> Iterable[list[object]]:
    """The data table of a review, header first; figures as numbers (None where empty)."""
    yield ["taso", "alue", "rivi", *(c.heading for c in review.columns), "Jäljellä (€)", "%"]
    for level, table, li in data_row_keys(review):
        vals = [None if np.isnan(v) else float(v) for v in table.values[li]]
        rem, pct = table.printed_remaining[li], table.printed_pct[li]
        yield [str(level), table.name, table.labels[table.structure.lines[li].key], *vals,
               None if np.isnan(rem) else float(rem), None if np.isnan(pct) else float(pct)]
    if review.sign is not None and review.sign.source == SETTING_SOURCE:
        yield [SETTING_LEVEL, SIGN_SETTING, "kyllä" if review.sign.expenses_positive else "ei",
               *([None] * (len(review.columns) + 2))]


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return format_fi(v, 0 if v == int(v) else 2, group="")
    # Text that a spreadsheet would take for a formula gets the apostrophe Excel itself uses
    # to mark text; the reader takes it off again.
    return text_for_csv(str(v))


def write_data_csv(review: Review) -> bytes:
    """CSV as Finnish Excel reads it: `;`, decimal comma, UTF-8 with BOM."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for row in data_rows(review):
        w.writerow([_fmt(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def write_data_xlsx(review: Review) -> bytes:
    """The same table as an .xlsx sheet "Tiedot" (xlsxwriter: fast, deterministic)."""
    import datetime

    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False})
    # A fixed creation time: the same figures give the same bytes (xlsxwriter stamps "now" otherwise).
    wb.set_properties({"created": datetime.datetime(2023, 1, 1)})
    ws = wb.add_worksheet(SHEET_NAME)
    bold = wb.add_format({"bold": True})
    for r, row in enumerate(data_rows(review)):
        for c, v in enumerate(row):
            if v is None:
                continue
            if r == 0:
                ws.write_string(r, c, str(v), bold)
            elif isinstance(v, float):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, str(v))
    ws.freeze_panes(1, 3)
    wb.close()
    return buf.getvalue()
