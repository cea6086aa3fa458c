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
from dataclasses import replace
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from ..errors import InputError, Place
from ..labels import match_label, normalize_label
from ..model import Column, Review, Source, Table, column_roles
from ..numbers import format_fi, parse_fi_number
from ..structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Block, Kind, SignConvention, Structure
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
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    rows: Iterator[tuple[int, list[object]]] = ((n, list(row)) for n, row in enumerate(reader, start=1))
    return _build(rows, lambda n, col: Place(file=name, line=n, column=col), name,
                  lambda n: Source(file=name, line=n))


def read_data_xlsx(data: bytes, name: str = "<xlsx>", sheet: str | None = None) -> Review:
    import openpyxl  # only the xlsx path needs it

    def load(data_only: bool) -> list[tuple[object, ...]]:
        nonlocal sheet
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
        except Exception as exc:  # openpyxl raises many types for a broken package
            raise InputError(f"tiedostoa ei voi avata Excel-työkirjana ({type(exc).__name__}: {exc}).",
                             Place(file=name), "Tallenna tiedosto Excelissä .xlsx-muodossa.") from None
        try:
            if sheet is None:
                sheet = SHEET_NAME if SHEET_NAME in wb.sheetnames else wb.sheetnames[0]
            if sheet not in wb.sheetnames:
                raise InputError(f"välilehteä '{sheet}' ei ole.", Place(file=name),
                                 f"Välilehdet: {', '.join(wb.sheetnames)}.")
            return list(wb[sheet].iter_rows(values_only=True))
        finally:
            wb.close()

    # One pass reads constants and formulas; only a sheet with formulas needs their cached values.
    formulas = load(data_only=False)
    if not has_formula(formulas):
        return review_from_rows(formulas, name, sheet or SHEET_NAME)
    values = load(data_only=True)
    refuse_uncalculated(formulas, values, name, sheet or SHEET_NAME)
    return review_from_rows(values, name, sheet or SHEET_NAME)


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

    rows = [(n, ["" if v is None else v for v in row]) for n, row in enumerate(values, start=1)]

    def place(n: int, col: str | None) -> Place:
        cell = None
        if col is not None and header_index.get(col) is not None:
            cell = f"{get_column_letter(header_index[col] + 1)}{n}"
        return Place(file=name, sheet=title, cell=cell or f"A{n}", column=col)

    header_index: dict[str, int] = {}
    if rows:
        header_index = {str(h).strip(): i for i, h in enumerate(rows[0][1]) if str(h).strip()}
    return _build(iter(rows), place, name, lambda n: Source(file=name, sheet=title, row=n))


def read_data(path: Path) -> Review:
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_data_xlsx(data, path.name)
    return read_data_csv(data, path.name)


def _build(rows: Iterator[tuple[int, list[object]]], place: Callable[[int, str | None], Place], name: str,
           source: Callable[[int], Source]) -> Review:
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
    any_rows = False
    expenses_positive: bool | None = None
    for n, row in rows:
        cells = list(row) + [""] * (len(heads) - len(row))
        if not any(str(c).strip() for c in cells):
            continue
        any_rows = True
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
        tkey = (level, area)
        if tkey not in tables:
            tables[tkey] = Table.empty(area, structure, cols)
            blocks[tkey] = None
            order.append(tkey)
        table = tables[tkey]
        numbers = [(i, what, j, parse_fi_number(cells[i], place(n, heads[i]))) for i, what, j in mapping]
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
            table.label_notes.append((line.key, match.note, source(n)))
        li = structure.index[line.key]
        for _i, what, j, value in numbers:
            table.put(li, what, j, value)
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


_FORMULA_START = ("=", "+", "-", "@")


def _fmt(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return format_fi(v, 0 if v == int(v) else 2, group="")
    text = str(v)
    # Text that a spreadsheet would take for a formula gets the apostrophe Excel itself uses
    # to mark text; the reader takes it off again.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _text_cell(v: object) -> str:
    text = " ".join(str(v).split())
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def write_data_csv(review: Review) -> bytes:
    """CSV as Finnish Excel reads it: `;`, decimal comma, UTF-8 with BOM."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for row in data_rows(review):
        w.writerow([_fmt(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def write_data_xlsx(review: Review) -> bytes:
    """The same table as an .xlsx sheet "Tiedot" (xlsxwriter: fast, deterministic)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_numbers": False})
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
