"""The data file: one table of area, line and period columns, as CSV or as an .xlsx sheet.

Format (README, "Data file"): a header row, then one row per table line::

    taso;alue;rivi;TP 2022 (1000 €);TOT 2022 6 kk (1000 €);TA 2023 +muutos (€);TOT 2023 6 kk (€);Jäljellä (€);%
    palvelualue;Työllisyyspalvelut;Myyntituotot;206;106;99 500;59 558;39 942;59,9

`taso` is one of palvelualue, toimiala, valtuusto, investointi, investoinnit; the period
columns are read from their headings, so another period needs no code change; Jäljellä
and % are optional (printed figures to check). CSV may be `;`, `,` or tab separated,
UTF-8 (with or without BOM) or cp1252, with Finnish or plain numbers.

Here the reading of the file (CSV, or the .xlsx sheet by `ooxml.sheet_rows` with openpyxl as
the exact fallback); the rows become a review in `data_table`, and `data_write` writes the
file. The names of both are re-exported here: callers import the data file from one place.
"""

from __future__ import annotations

__all__ = [
    "LEVELS",
    "SETTING_LEVEL",
    "SHEET_NAME",
    "SIGN_SETTING",
    "data_row_keys",
    "data_rows",
    "figure",
    "has_formula",
    "read_data",
    "read_data_csv",
    "read_data_xlsx",
    "refuse_uncalculated",
    "review_from_rows",
    "write_data_csv",
    "write_data_xlsx",
]

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import InputError, Place
from ..core.model import Review, Source
from .data_table import LEVELS, NOT_NUMBER_HINT, SETTING_LEVEL, SHEET_NAME, SIGN_SETTING, build_review, figure
from .data_write import data_row_keys, data_rows, write_data_csv, write_data_xlsx
from .text import decode_text, sniff_delimiter


def read_data_csv(data: bytes, name: str = "<csv>") -> Review:
    text = decode_text(data, name)
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text))
    return build_review(_csv_rows(reader, name), lambda n, col: Place(file=name, line=n, column=col), name,
                  lambda n: Source(file=name, line=n), sheet=False)


def _csv_rows(reader: Iterator[list[str]], name: str) -> Iterator[tuple[int, list[object]]]:
    """The CSV's rows numbered from 1; what the csv module cannot read (a field of over 128 KB, an
    open quote running to the end) ends as one line naming the line."""
    n = 0
    try:
        for n, row in enumerate(reader, start=1):   # noqa: B007 (n is the line of the error below)
            yield n, list(row)
    except csv.Error as exc:
        raise InputError(f"riviä ei voi lukea CSV-muodossa ({exc}).", Place(file=name, line=n + 1),
                         "Tarkista lainausmerkit ja että tiedosto on puolipisteillä eroteltu tietotiedosto.") from None


def read_data_xlsx(data: bytes, name: str = "<xlsx>", sheet: str | None = None) -> Review:
    import openpyxl  # only the xlsx path needs it

    from ..ooxml.safe_zip import check_package

    check_package(data, name)   # an old .xls, limits and DTDs before anything inflates the package

    def load(data_only: bool) -> list[tuple[object, ...]]:
        nonlocal sheet
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
        except Exception as exc:  # openpyxl raises many types for a broken package
            raise unreadable_workbook(exc, name) from None
        try:
            if sheet is None:
                sheet = SHEET_NAME if SHEET_NAME in wb.sheetnames else wb.sheetnames[0]
            if sheet not in wb.sheetnames:
                raise InputError(f"välilehteä '{sheet}' ei ole.", Place(file=name),
                                 f"Välilehdet: {', '.join(wb.sheetnames)}.")
            try:
                return list(wb[sheet].iter_rows(values_only=True))
            except Exception as exc:  # a cell openpyxl cannot convert (<v>INF</v> in a number cell)
                raise unreadable_workbook(exc, name, sheet, data) from None
        finally:
            wb.close()

    fast = _fast_rows(data, sheet)
    if fast is not None:
        return review_from_rows(fast[1], name, fast[0])
    # One pass reads constants and formulas; only a sheet with formulas needs their cached values.
    formulas = load(data_only=False)
    if not has_formula(formulas):
        return review_from_rows(formulas, name, sheet or SHEET_NAME)
    values = load(data_only=True)
    refuse_uncalculated(formulas, values, name, sheet or SHEET_NAME)
    return review_from_rows(values, name, sheet or SHEET_NAME)


def _fast_rows(data: bytes, sheet: str | None) -> tuple[str, list[tuple[object, ...]]] | None:
    """(sheet, rows) read as the file backend reads the team's Tiedot (`sheet_rows`), or None when only
    openpyxl can read it exactly (or say what is wrong with the package)."""
    from ..ooxml.opc import sheet_parts
    from ..ooxml.sheet_rows import sheet_rows

    try:
        parts = sheet_parts(data)
        if sheet is None:
            sheet = SHEET_NAME if SHEET_NAME in parts else next(iter(parts))
        rows = sheet_rows(data, sheet, parts[sheet]) if sheet in parts else None
    except Exception:  # a broken package: openpyxl's reading below reports it
        return None
    return None if rows is None else (sheet, rows)


def unreadable_workbook(exc: BaseException, name: str, sheet: str | None = None,
                        data: bytes | None = None) -> InputError:
    """One Finnish line for whatever a spreadsheet library raised on a broken package or cell.

    With the package's bytes and the sheet, a number cell openpyxl could not convert is named,
    with what `figure` says of its value (the same words as when another reader met it).
    """
    if data is not None and sheet is not None:
        located = _bad_cell_error(data, name, sheet)
        if located is not None:
            return located
    # The library's own words are English and name its classes: the user gets what to do instead.
    where = ("välilehden soluja ei voi lukea: tiedosto on vioittunut" if sheet else
             "tiedostoa ei voi avata Excel-työkirjana: se ei ole .xlsx- tai .xlsm-tiedosto, tai se on vioittunut")
    return InputError(f"{where}.", Place(file=name, sheet=sheet),
                      "Avaa tiedosto Excelissä ja tallenna se .xlsx-muodossa, tai anna tiedot CSV-tiedostona.")


def _bad_cell_error(data: bytes, name: str, sheet: str) -> InputError | None:
    from ..ooxml.opc import sheet_parts
    from ..ooxml.sheet_rows import bad_number_cell

    try:
        found = bad_number_cell(data, sheet_parts(data)[sheet])
    except Exception:  # the package itself is broken: the caller says so
        return None
    if found is None:
        return None
    cell, text = found
    place = Place(file=name, sheet=sheet, cell=cell, column=_heading(data, sheet, cell))
    try:
        value: object = float(text)
    except ValueError:
        value = text
    try:
        figure(value, place, sheet=True)
    except InputError as exc:
        return exc
    return InputError(f"solun arvo {text[:30]!r} ei ole luku.", place, NOT_NUMBER_HINT)


def _heading(data: bytes, sheet: str, cell: str) -> str | None:
    """The row-1 heading above `cell`, as `review_from_rows` names a cell's column."""
    import openpyxl

    from ..ooxml.cells import parse_ref

    row, col = parse_ref(cell)
    if row == 0:
        return None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        try:
            header = next(wb[sheet].iter_rows(max_row=1, values_only=True), ())
        finally:
            wb.close()
    except Exception:  # row 1 itself cannot be read: the cell alone is named
        return None
    text = str(header[col]).strip() if col < len(header) and header[col] is not None else ""
    return text or None


def has_formula(rows: list[tuple[object, ...]]) -> bool:
    return any(isinstance(v, str) and v.startswith("=") for row in rows for v in row)


def refuse_uncalculated(formulas: list[tuple[object, ...]], values: list[tuple[object, ...]], name: str,
                        sheet: str) -> None:
    """Refuse a formula whose value was never calculated (a file no spreadsheet program saved).

    `formulas` and `values` are the same sheet read without and with calculated values; such a
    cell reads as empty, and would otherwise be taken as zero.
    """
    from openpyxl.utils import get_column_letter

    for n, (frow, vrow) in enumerate(zip(formulas, values), start=1):
        for c, (f, v) in enumerate(zip(frow, vrow)):
            if v is None and isinstance(f, str) and f.startswith("="):
                raise InputError(f"solussa on kaava {f!r} ilman laskettua arvoa.",
                                 Place(file=name, sheet=sheet, cell=f"{get_column_letter(c + 1)}{n}"),
                                 "Avaa tiedosto Excelissä ja tallenna se, tai kirjoita soluun luku.")


def review_from_rows(values: list[tuple[object, ...]], name: str, title: str) -> Review:
    """A review from the values of a data sheet already read (row 1 first; formulas resolved)."""
    from openpyxl.utils import get_column_letter

    rows = [(n, ["" if v is None else _unescape_control(v) if isinstance(v, str) and "_x" in v else v for v in row])
            for n, row in enumerate(values, start=1)]

    def place(n: int, col: str | None) -> Place:
        cell = None
        if col is not None and header_index.get(col) is not None:
            cell = f"{get_column_letter(header_index[col] + 1)}{n}"
        return Place(file=name, sheet=title, cell=cell or f"A{n}", column=col)

    header_index: dict[str, int] = {}
    if rows:
        header_index = {str(h).strip(): i for i, h in enumerate(rows[0][1]) if str(h).strip()}
    return build_review(iter(rows), place, name, lambda n: Source(file=name, sheet=title, row=n), sheet=True)


# OOXML stores a control character in text as "_x0001_"; calamine and Excel decode it, openpyxl does not.
_ESCAPED_CONTROL = re.compile("_x(00[01][0-9A-Fa-f]|007[Ff])_")


def _unescape_control(text: str) -> str:
    return _ESCAPED_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), text)



def read_data(path: Path) -> Review:
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_data_xlsx(data, path.name)
    return read_data_csv(data, path.name)

