"""Fast reading of one worksheet's values with fastexcel (calamine), where the result keeps cell positions and cell types.

calamine returns the used range of a sheet, so positions are exact only when that range
starts at A1; a sheet whose formulas have no calculated value reads as empty there; it
reads an error value (#DIV/0!) as empty, TRUE as 1 in a column of numbers, and a number
as text in a column that also holds text. In each of these cases this returns None and
the caller reads with openpyxl, which keeps every cell's own type and reports the cell.
"""

from __future__ import annotations

__all__ = ["bad_number_cell", "sheet_rows"]

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

_DIMENSION_A1 = re.compile(rb'<dimension ref="A1[:"]')
_FORMULA_WITHOUT_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_LOOKS_NUMERIC = re.compile(r"^[\s\d+\-\u2212.,()%€\u00a0\u202f]*\d[\s\d+\-\u2212.,()%€\u00a0\u202f]*$")
_PLAIN_TYPES = ("double", "int64", "string", "large_string", "null")


def sheet_rows(data: bytes, sheet: str, sheet_part: str) -> list[tuple[object, ...]] | None:
    """The values of `sheet` (part `sheet_part` of the package), row 1 first; None when unsure."""
    import fastexcel

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(sheet_part)
    if not _DIMENSION_A1.search(xml[:4096]) or _FORMULA_WITHOUT_VALUE.search(xml):
        return None
    if b't="e"' in xml or b't="b"' in xml:   # an error value or TRUE/FALSE: calamine loses the type
        return None
    try:
        with _quiet_dtype_guesses():
            reader = fastexcel.read_excel(data)
            table = reader.load_sheet(sheet, header_row=0, schema_sample_rows=None).to_arrow()
    except Exception:  # whatever calamine cannot read, openpyxl reads or reports with its cell
        return None
    names = set(table.column_names)
    if any(re.sub(r"_\d+$", "", n) in names for n in names if re.search(r"_\d+$", n)):
        return None  # calamine renamed a repeated heading ("TA 2023 (€)_1"): openpyxl gives it as written
    columns = []
    for field, column in zip(table.schema, table.columns):
        if str(field.type) not in _PLAIN_TYPES:
            return None
        values = column.to_pylist()
        # A text column may hold numbers calamine turned into text: only openpyxl tells them apart.
        if str(field.type) in ("string", "large_string") and any(
                v is not None and _LOOKS_NUMERIC.match(v) for v in values):
            return None
        columns.append(values)
    header = tuple("" if n.startswith("__UNNAMED__") else n for n in table.column_names)
    return [header, *zip(*columns)] if columns else [header]


@contextmanager
def _quiet_dtype_guesses() -> Iterator[None]:
    """During one read, drop fastexcel's warning for each all-empty column (read as text, which is what we want).

    A filter of this read's own, not a level on the shared logger: the application's logging
    settings are left as they are, and reads in two threads each remove only their own filter.
    """
    logger = logging.getLogger("fastexcel.types.dtype")

    def keep(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR

    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


_NUMBER_CELL = re.compile(rb'<c\b([^>]*)>(?:(?!</c>).)*?<v>([^<]*)</v>', re.S)
_REF = re.compile(rb'\br="([A-Z]+\d+)"')
_TYPE = re.compile(rb'\bt="([a-z]+)"')


def bad_number_cell(data: bytes, sheet_part: str) -> tuple[str, str] | None:
    """(cell, text) of the first number cell whose value openpyxl cannot convert ("INF", "NaN", "abc")."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(sheet_part)
    for m in _NUMBER_CELL.finditer(xml):
        t = _TYPE.search(m.group(1))
        if t is not None and t.group(1) != b"n":
            continue
        text = m.group(2).decode("utf-8", "replace").strip()
        try:
            float(text) if any(ch in text for ch in ".eE") else int(text)   # openpyxl's own rule
        except ValueError:
            ref = _REF.search(m.group(1))
            return (ref.group(1).decode() if ref else "?"), text
    return None
