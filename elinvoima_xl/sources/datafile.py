"""The data file: one table of area, line and period columns, as CSV or as an .xlsx sheet.

Format (README, "Data file"): a header row, then one row per table line::

    taso;alue;rivi;TP 2022 (1000 €);TOT 2022 6 kk (1000 €);TA 2023 +muutos (€);TOT 2023 6 kk (€);Jäljellä (€);%
    palvelualue;Työllisyyspalvelut;Myyntituotot;206;106;99 500;59 558;39 942;59,9

`taso` is one of palvelualue, toimiala, valtuusto, investointi, investoinnit; the period
columns are read from their headings, so another period needs no code change; Jäljellä
and % are optional (printed figures to check). CSV may be `;`, `,` or tab separated,
UTF-8 (with or without BOM) or cp1252, with Finnish or plain numbers.
"""

from __future__ import annotations

__all__ = [
    "LEVELS",
    "SETTING_LEVEL",
    "SHEET_NAME",
    "SIGN_SETTING",
    "data_groups",
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
import math
import re
from dataclasses import replace
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from ..core.errors import InputError, NumberFormatError, Place
from ..core.labels import match_label, normalize_label
from ..core.model import Column, Figure, LabelNote, Review, Source, Table, column_roles
from ..excel.values import EXCEL_ERRORS
from ..core.names import FORMULA_START, area_key, text_for_csv
from ..core.numbers import MAX_FIGURE, format_fi, parse_fi_number
from ..core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Block, Kind, SignConvention, Structure
from . import decode_text

SHEET_NAME = "Tiedot"
LEVELS: dict[str, Structure] = {
    "palvelualue": INCOME_STATEMENT, "toimiala": INCOME_STATEMENT, "valtuusto": COUNCIL,
    "investointi": INVESTMENT, "investoinnit": INVESTMENT,
}
_KEY_COLUMNS = ("taso", "alue", "rivi")
# A row of settings instead of figures: `asetus;Kulut positiivisina;kyllä` (expenses printed positive).
SETTING_LEVEL = "asetus"
SIGN_SETTING = "Kulut positiivisina"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def read_data_csv(data: bytes, name: str = "<csv>") -> Review:
    text = decode_text(data, name)
    first = (text.lstrip("\ufeff").splitlines() or [""])[0]   # a file of BOMs alone has no first line
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    return _build(_csv_rows(reader, name), lambda n, col: Place(file=name, line=n, column=col), name,
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
    from ..workbook.splice import sheet_parts
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
    from ..workbook.splice import sheet_parts
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
    return InputError(f"solun arvo {text[:30]!r} ei ole luku.", place, _NOT_NUMBER_HINT)


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
    return _build(iter(rows), place, name, lambda n: Source(file=name, sheet=title, row=n), sheet=True)


# OOXML stores a control character in text as "_x0001_"; calamine and Excel decode it, openpyxl does not.
_ESCAPED_CONTROL = re.compile("_x(00[01][0-9A-Fa-f]|007[Ff])_")


def _unescape_control(text: str) -> str:
    return _ESCAPED_CONTROL.sub(lambda m: chr(int(m.group(1), 16)), text)


_NOT_NUMBER_HINT = "Kirjoita soluun luku (tai jätä se tyhjäksi)."


def figure(value: object, place: Place, sheet: bool) -> float | None:
    """The number a data cell holds, None when it is empty: the one rule for every reader of the data.

    In CSV every cell is text: Finnish and plain number text is read (`parse_fi_number`). In a
    spreadsheet cell (an .xlsx data file, the workbook's Tiedot by file or in live Excel) a figure
    must be a number: the area sheets' formulas point at the cell, and Excel computes nothing from
    text, an error value or TRUE, so those are refused with the cell's address instead of being
    read as something the formulas would not see.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.upper() in EXCEL_ERRORS:
            raise NumberFormatError(f"solussa on virhearvo {text} eikä luku.", place,
                                    "Korjaa kaava tai luku, josta virhe tulee, ja yritä uudelleen.")
        if not sheet:
            return parse_fi_number(text, place)
        try:
            as_number = parse_fi_number(text)
        except NumberFormatError:
            as_number = None
        if as_number is not None:
            raise NumberFormatError(
                f"luku on tallennettu tekstinä ({text[:30]!r}).", place,
                "Excelin kaavat eivät laske tekstistä: muunna solu luvuksi (Excel: Muunna luvuksi) "
                "tai kirjoita luku uudelleen, ja yritä uudelleen.")
        raise NumberFormatError(f"odotettiin lukua, löytyi teksti {text[:30]!r}.", place, _NOT_NUMBER_HINT)
    if isinstance(value, bool):
        raise NumberFormatError(f"odotettiin lukua, löytyi totuusarvo {'TOSI' if value else 'EPÄTOSI'}.", place,
                                _NOT_NUMBER_HINT)
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isnan(number):
            raise NumberFormatError("solussa ei ole lukua (NaN).", place, _NOT_NUMBER_HINT)
        if not abs(number) < MAX_FIGURE:
            raise NumberFormatError("luku on liian suuri.", place,
                                    "Excel laskee tarkasti 15 numeroon asti; tarkista luku.")
        return number
    raise NumberFormatError(f"odotettiin lukua, löytyi {_kind(value)}.", place, _NOT_NUMBER_HINT)


def _kind(value: object) -> str:
    import datetime as dt

    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return f"päivämäärä tai aika ({value})"
    return type(value).__name__


def read_data(path: Path) -> Review:
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_data_xlsx(data, path.name)
    return read_data_csv(data, path.name)


def _build(rows: Iterator[tuple[int, list[object]]], place: Callable[[int, str | None], Place], name: str,
           source: Callable[[int], Source], sheet: bool) -> Review:
    header_row = next(((n, r) for n, r in rows if any(str(c).strip() for c in r)), None)
    if header_row is None:
        raise InputError("tiedostossa ei ole otsikkoriviä eikä tietoja.", Place(file=name),
                         "Ensimmäisellä rivillä pitää olla sarakkeet taso, alue, rivi ja jaksot.")
    hline, header = header_row
    heads = [str(h).strip() for h in header]
    norm = [normalize_label(h) for h in heads]
    for key in _KEY_COLUMNS:
        if key not in norm:
            raise InputError(f"sarake '{key}' puuttuu otsikkoriviltä.", place(hline, None),
                             f"Otsikkorivillä pitää olla sarakkeet {', '.join(_KEY_COLUMNS)} ja jaksot, "
                             f"esimerkiksi 'TA 2023 (€)'. Löytyi: {', '.join(h for h in heads if h) or 'ei mitään'}.")
    key_idx = {k: norm.index(k) for k in _KEY_COLUMNS}
    columns: list[Column] = []
    mapping: list[tuple[int, str, int]] = []   # (cell index, what, column index)
    for i, h in enumerate(heads):
        if not h or i in key_idx.values():
            continue
        if normalize_label(h).startswith("jäljellä"):
            mapping.append((i, "rem", 0))
        elif h.strip().endswith("%") or normalize_label(h) in ("tot", "toteuma"):
            mapping.append((i, "pct", 0))
        else:
            mapping.append((i, "col", len(columns)))
            columns.append(Column.parse(h, place(hline, h)))
    cols = tuple(columns)
    column_roles(cols, place(hline, None))
    tables: dict[tuple[str, str], Table] = {}
    blocks: dict[tuple[str, str], Block | None] = {}
    headed: set[tuple[str, str]] = set()     # tables whose blocks are given by heading rows
    order: list[tuple[str, str]] = []
    spelling: dict[tuple[str, str], tuple[str, int]] = {}   # (level, area key) -> (name as first written, row)
    any_rows = False
    expenses_positive: bool | None = None
    for n, row in rows:
        cells = list(row) + [""] * (len(heads) - len(row))
        if not any(str(c).strip() for c in cells):
            continue
        any_rows = True
        for key, i in key_idx.items():   # an error value is no name: say so rather than make an area "#N/A"
            if isinstance(cells[i], str) and cells[i].strip().upper() in EXCEL_ERRORS:
                raise InputError(f"sarakkeessa '{key}' on virhearvo {cells[i].strip()}.", place(n, heads[i]),
                                 "Korjaa kaava, josta virhe tulee, tai kirjoita soluun nimi.")
        level = normalize_label(str(cells[key_idx["taso"]]))
        area = _text_cell(cells[key_idx["alue"]])
        label = _text_cell(cells[key_idx["rivi"]])
        if level == SETTING_LEVEL:
            expenses_positive = _sign_setting(area, label, place(n, heads[key_idx["rivi"]]))
            continue
        if level not in LEVELS:
            raise InputError(f"taso '{cells[key_idx['taso']]}' on tuntematon.", place(n, heads[key_idx["taso"]]),
                             f"Sallitut: {', '.join(LEVELS)}.")
        if not area:
            raise InputError("alue puuttuu.", place(n, heads[key_idx["alue"]]), "Kirjoita palvelualueen nimi.")
        structure = LEVELS[level]
        tkey = (level, area_key(area))
        first = spelling.setdefault(tkey, (area, n))
        if first[0] != area:
            # Excel takes names equal but for case as one: two sheets would read one area's rows.
            raise InputError(
                f"alueet '{first[0]}' (rivi {first[1]}) ja '{area}' (rivi {n}) eroavat vain kirjainkooltaan "
                "tai välilyönneiltään.", place(n, heads[key_idx["alue"]]),
                "Kirjoita saman alueen nimi joka riville samoin, tai anna eri alueille eri nimet.")
        if tkey not in tables:
            tables[tkey] = Table.empty(area, structure, cols)
            blocks[tkey] = None
            order.append(tkey)
        table = tables[tkey]
        numbers = [(i, what, j, figure(cells[i], place(n, heads[i]), sheet)) for i, what, j in mapping]
        has_figures = any(v is not None for *_, v in numbers)
        match = match_label(label, structure, blocks[tkey], has_figures=has_figures)
        if match is not None and match.misplaced and tkey not in headed:
            # Without heading rows the block is only the previous row's: rows may come in any order.
            match = replace(match, misplaced=False, note="")
        if match is None:
            raise InputError(
                f"rivin nimeä '{label}' ei tunnistettu.", place(n, heads[key_idx["rivi"]]),
                f"Tason '{level}' rivit: {', '.join(ln.label for ln in structure.value_lines)}.")
        line = match.line
        if line.kind is Kind.HEADER:
            blocks[tkey] = line.block
            headed.add(tkey)
            continue
        blocks[tkey] = (line.block if structure.has_blocks and line.kind is Kind.DETAIL
                        and line.block is not Block.RESULT else None)
        if line.key in table.sources:
            raise InputError(f"rivi '{label}' on alueella '{area}' jo rivillä {table.sources[line.key]}.",
                             place(n, heads[key_idx["rivi"]]), "Poista toinen rivi tai yhdistä luvut.")
        table.sources[line.key] = source(n)
        table.labels[line.key] = label
        if match.note:
            table.label_notes.append(LabelNote(line.key, match.note, source(n), match.issue))
        li = structure.index[line.key]
        for _i, what, j, value in numbers:
            table.put(li, Figure(what), j, value)
    if not any_rows:
        raise InputError("tiedostossa on vain otsikkorivi.", Place(file=name), "Lisää tietorivit otsikon alle.")
    review = _review_from_tables(tables, order, cols, name)
    if expenses_positive is not None:
        review.sign = SignConvention(expenses_positive, source=f"asetus '{SIGN_SETTING}' tiedoissa")
    return review


def _sign_setting(name: str, value: str, where: Place) -> bool:
    """The data's own sign setting: `asetus;Kulut positiivisina;kyllä` (or `ei`)."""
    if normalize_label(name) != normalize_label(SIGN_SETTING):
        raise InputError(f"asetusta '{name}' ei tunneta.", where, f"Tunnettu asetus: '{SIGN_SETTING}' (kyllä tai ei).")
    answer = normalize_label(value)
    if answer not in ("kyllä", "ei"):
        raise InputError(f"asetuksen '{SIGN_SETTING}' arvo '{value}' ei ole kyllä eikä ei.", where,
                         "Kirjoita rivi-sarakkeeseen kyllä (kulut positiivisina) tai ei (kulut negatiivisina).")
    return answer == "kyllä"


def _review_from_tables(tables: dict[tuple[str, str], Table], order: list[tuple[str, str]],
                        cols: tuple[Column, ...], name: str) -> Review:
    by_level: dict[str, list[Table]] = {k: [] for k in LEVELS}
    for key in order:
        by_level[key[0]].append(tables[key])
    division_table = by_level["toimiala"][0] if by_level["toimiala"] else None
    council = by_level["valtuusto"][0] if by_level["valtuusto"] else None
    named = division_table or council
    division = named.name if named is not None else "Toimiala"
    actual = cols[column_roles(cols).actual]
    return Review(
        title=f"Katsaus 1–{actual.months}/{actual.year}", division=division, columns=cols,
        areas=by_level["palvelualue"], division_table=division_table, council=council,
        investments=by_level["investointi"],
        investments_total=by_level["investoinnit"][0] if by_level["investoinnit"] else None,
        source=name,
    )


def data_groups(review: Review) -> list[tuple[str, Table]]:
    """The review's tables in data-file order, each with its level (taso)."""
    groups: list[tuple[str, Table]] = []
    if review.division_table is not None:
        groups.append(("toimiala", review.division_table))
    if review.council is not None:
        groups.append(("valtuusto", review.council))
    groups += [("palvelualue", t) for t in review.areas]
    groups += [("investointi", t) for t in review.investments]
    if review.investments_total is not None:
        groups.append(("investoinnit", review.investments_total))
    return groups


def data_row_keys(review: Review) -> Iterator[tuple[str, Table, int]]:
    """(level, table, line index) of every data row `data_rows` writes, in the same order."""
    for level, table in data_groups(review):
        for li, line in enumerate(table.structure.lines):
            if line.kind is not Kind.HEADER and line.key in table.labels:
                yield level, table, li


def data_rows(review: Review) -> Iterable[list[object]]:
    """The data table of a review, header first; figures as numbers (None where empty)."""
    yield ["taso", "alue", "rivi", *(c.heading for c in review.columns), "Jäljellä (€)", "%"]
    for level, table, li in data_row_keys(review):
        vals = [None if np.isnan(v) else float(v) for v in table.values[li]]
        rem, pct = table.printed_remaining[li], table.printed_pct[li]
        yield [level, table.name, table.labels[table.structure.lines[li].key], *vals,
               None if np.isnan(rem) else float(rem), None if np.isnan(pct) else float(pct)]
    if review.sign is not None and review.sign.source.startswith("asetus"):
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


def _text_cell(v: object) -> str:
    text = " ".join(str(v).split())
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


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
