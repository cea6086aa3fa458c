"""The data table turned into a review: key columns, levels, areas and lines, and the one rule for a cell's figure.

Every reader of the data (CSV, an .xlsx's `Tiedot`, the team workbook by file or in live
Excel) hands its rows here, numbered as the user sees them, with how to name a cell's place.
"""

from __future__ import annotations

__all__ = ["LEVELS", "NOT_NUMBER_HINT", "SETTING_LEVEL", "SETTING_SOURCE", "SHEET_NAME", "SIGN_SETTING", "build_review", "figure"]

import math
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from ..core.errors import InputError, NumberFormatError, Place
from ..core.labels import match_label, normalize_label
from ..core.model import Column, Figure, LabelNote, Level, Review, Source, Table, column_roles, review_title
from ..core.names import FORMULA_START, area_key
from ..core.numbers import MAX_FIGURE, parse_fi_number
from ..core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Block, Kind, SignConvention, Structure
from ..ooxml.cells import EXCEL_ERRORS

SHEET_NAME = "Tiedot"
# Each level (the `taso` column, word for word) and its tables' structure, in the order the error lists them.
LEVELS: dict[Level, Structure] = {
    Level.AREA: INCOME_STATEMENT, Level.DIVISION: INCOME_STATEMENT, Level.COUNCIL: COUNCIL,
    Level.INVESTMENT: INVESTMENT, Level.INVESTMENTS: INVESTMENT,
}
_KEY_COLUMNS = ("taso", "alue", "rivi")
# A row of settings instead of figures: `asetus;Kulut positiivisina;kyllä` (expenses printed positive).
SETTING_LEVEL = "asetus"
SIGN_SETTING = "Kulut positiivisina"
# `SignConvention.source` of a review whose sign the setting row decided (what `data_rows` writes back).
SETTING_SOURCE = f"{SETTING_LEVEL} '{SIGN_SETTING}' tiedoissa"


NOT_NUMBER_HINT = "Kirjoita soluun luku (tai jätä se tyhjäksi)."


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
        raise NumberFormatError(f"odotettiin lukua, löytyi teksti {text[:30]!r}.", place, NOT_NUMBER_HINT)
    if isinstance(value, bool):
        raise NumberFormatError(f"odotettiin lukua, löytyi totuusarvo {'TOSI' if value else 'EPÄTOSI'}.", place,
                                NOT_NUMBER_HINT)
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isnan(number):
            raise NumberFormatError("solussa ei ole lukua (NaN).", place, NOT_NUMBER_HINT)
        if not abs(number) < MAX_FIGURE:
            raise NumberFormatError("luku on liian suuri.", place,
                                    "Excel laskee tarkasti 15 numeroon asti; tarkista luku.")
        return number
    raise NumberFormatError(f"odotettiin lukua, löytyi {_kind(value)}.", place, NOT_NUMBER_HINT)


def _kind(value: object) -> str:
    import datetime as dt

    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return f"päivämäärä tai aika ({value})"
    return type(value).__name__


def build_review(rows: Iterator[tuple[int, list[object]]], place: Callable[[int, str | None], Place], name: str,
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
    mapping: list[tuple[int, Figure, int]] = []   # (cell index, what, column index)
    for i, h in enumerate(heads):
        if not h or i in key_idx.values():
            continue
        if normalize_label(h).startswith("jäljellä"):
            mapping.append((i, Figure.REMAINING, 0))
        elif h.strip().endswith("%") or normalize_label(h) in ("tot", "toteuma"):
            mapping.append((i, Figure.PCT, 0))
        else:
            mapping.append((i, Figure.COLUMN, len(columns)))
            columns.append(Column.parse(h, place(hline, h)))
    cols = tuple(columns)
    column_roles(cols, place(hline, None))
    tables: dict[tuple[Level, str], Table] = {}
    blocks: dict[tuple[Level, str], Block | None] = {}
    headed: set[tuple[Level, str]] = set()     # tables whose blocks are given by heading rows
    order: list[tuple[Level, str]] = []
    spelling: dict[tuple[Level, str], tuple[str, int]] = {}   # (level, area key) -> (name as first written, row)
    any_rows = False
    expenses_positive: bool | None = None
    for n, row in rows:
        cells = list(row) + [""] * (len(heads) - len(row))
        if not any(str(c).strip() for c in cells):
            continue
        any_rows = True
        for key, i in key_idx.items():   # an error value is no name: say so rather than make an area "#N/A"
            cell = cells[i]
            if isinstance(cell, str) and cell.strip().upper() in EXCEL_ERRORS:
                raise InputError(f"sarakkeessa '{key}' on virhearvo {cell.strip()}.", place(n, heads[i]),
                                 "Korjaa kaava, josta virhe tulee, tai kirjoita soluun nimi.")
        word = normalize_label(str(cells[key_idx["taso"]]))
        area = _text_cell(cells[key_idx["alue"]])
        label = _text_cell(cells[key_idx["rivi"]])
        if word == SETTING_LEVEL:
            expenses_positive = _sign_setting(area, label, place(n, heads[key_idx["rivi"]]))
            continue
        if word not in LEVELS:
            raise InputError(f"taso '{cells[key_idx['taso']]}' on tuntematon.", place(n, heads[key_idx["taso"]]),
                             f"Sallitut: {', '.join(LEVELS)}.")
        if not area:
            raise InputError("alue puuttuu.", place(n, heads[key_idx["alue"]]), "Kirjoita palvelualueen nimi.")
        level = Level(word)
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
            table.put(li, what, j, value)
    if not any_rows:
        raise InputError("tiedostossa on vain otsikkorivi.", Place(file=name), "Lisää tietorivit otsikon alle.")
    review = _review_from_tables(tables, order, cols, name)
    if expenses_positive is not None:
        review.sign = SignConvention(expenses_positive, source=SETTING_SOURCE)
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


def _review_from_tables(tables: dict[tuple[Level, str], Table], order: list[tuple[Level, str]],
                        cols: tuple[Column, ...], name: str) -> Review:
    by_level: dict[Level, list[Table]] = {k: [] for k in LEVELS}
    for key in order:
        by_level[key[0]].append(tables[key])
    division_table = by_level[Level.DIVISION][0] if by_level[Level.DIVISION] else None
    council = by_level[Level.COUNCIL][0] if by_level[Level.COUNCIL] else None
    named = division_table or council
    division = named.name if named is not None else "Toimiala"
    actual = cols[column_roles(cols).actual]
    return Review(
        title=review_title(actual.months, actual.year), division=division, columns=cols,
        areas=by_level[Level.AREA], division_table=division_table, council=council,
        investments=by_level[Level.INVESTMENT],
        investments_total=by_level[Level.INVESTMENTS][0] if by_level[Level.INVESTMENTS] else None,
        source=name,
    )



def _text_cell(v: object) -> str:
    text = " ".join(str(v).split())
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text

