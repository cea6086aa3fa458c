"""Who receives each service area's workbook: the `Vastaanottajat` sheet or a CSV `alue;nimi;sähköposti;kopio`, checked before anything is sent.

Pure except `read_recipients_csv`, which only decodes bytes it is given. An optional fifth
column `vastuu` names the head's title as the goals' Vastuu column writes it (which goals
the head answers for).
"""

from __future__ import annotations

__all__ = [
    "HEADS",
    "RECIPIENTS_SHEET",
    "Recipient",
    "check_address",
    "csv_rows",
    "read_recipients_csv",
    "recipients_by_area",
    "recipients_from_rows",
    "recipients_sheet_layout",
    "responsible_titles",
    "add_recipients_sheet",
    "with_recipients_sheet",
]

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..core.errors import InputError, Place
from ..workbook.layout import SheetLayout, WorkbookLayout
from ..workbook.layout.list_sheet import list_sheet
from ..core.model import Review
from ..sources import decode_text, sniff_delimiter

RECIPIENTS_SHEET = "Vastaanottajat"
HEADS = ("alue", "nimi", "sähköposti", "kopio", "vastuu")
_REQUIRED = HEADS[:3]
# An address a mail server accepts: local part, @, a domain with a dot; no spaces, no display name.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


@dataclass(frozen=True)
class Recipient:
    area: str
    name: str
    email: str
    cc: tuple[str, ...] = ()
    responsible: tuple[str, ...] = ()     # titles in the goals' Vastuu column
    where: str = ""                       # file and line, or sheet and row


def check_address(address: str) -> bool:
    return bool(_ADDRESS.match(address)) and ".." not in address and not address.startswith(".")


def _split(text: str) -> list[str]:
    return [p for p in re.split(r"[,;\s]+", text.strip()) if p]


def recipients_from_rows(rows: Sequence[Sequence[object]], source: str, sheet: str | None = None) -> list[Recipient]:
    """Recipients from a table whose first non-empty row is the header (columns found by name)."""
    def text(v: object) -> str:
        return "" if v is None else str(v).strip()

    def place(n: int, column: str | None = None) -> Place:
        return Place(file=source, sheet=sheet, cell=f"A{n}" if sheet else None,
                     line=None if sheet else n, column=column)

    body = [(n, [text(v) for v in row]) for n, row in enumerate(rows, start=1)]
    body = [(n, cells) for n, cells in body if any(cells)]
    if not body:
        raise InputError("vastaanottajaluettelo on tyhjä.", Place(file=source, sheet=sheet),
                         f"Lisää otsikkorivi {';'.join(HEADS[:4])} ja rivi kullekin palvelualueelle.")
    header_n, header = body[0]
    index = {h.casefold().replace("sahkoposti", "sähköposti"): i for i, h in enumerate(header) if h}
    missing = [h for h in _REQUIRED if h not in index]
    if missing:
        raise InputError(f"vastaanottajien otsikkorivistä puuttuu sarake {', '.join(missing)} "
                         f"(löytyi: {', '.join(h for h in header if h) or 'ei mitään'}).", place(header_n),
                         f"Otsikkorivin pitää olla {';'.join(HEADS[:4])}.")
    out = []
    for n, cells in body[1:]:
        def get(name: str, cells: list[str] = cells) -> str:
            i = index.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        area = get("alue")
        if not area:
            raise InputError("rivillä ei ole palvelualuetta.", place(n, "alue"),
                             "Kirjoita palvelualueen nimi niin kuin se on Tiedot-välilehdellä, tai poista rivi.")
        email = get("sähköposti")
        if not email:
            raise InputError(f"palvelualueen {area} vastaanottajalta puuttuu sähköpostiosoite.", place(n, "sähköposti"),
                             "Kirjoita osoite muodossa etunimi.sukunimi@kunta.fi.")
        if not check_address(email):
            raise InputError(f"palvelualueen {area} sähköpostiosoite '{email}' ei ole kelvollinen.",
                             place(n, "sähköposti"), "Kirjoita osoite muodossa etunimi.sukunimi@kunta.fi.")
        cc = tuple(_split(get("kopio")))
        for address in cc:
            if not check_address(address):
                raise InputError(f"palvelualueen {area} kopio-osoite '{address}' ei ole kelvollinen.",
                                 place(n, "kopio"), "Erota useampi osoite pilkulla; muoto etunimi.sukunimi@kunta.fi.")
        responsible = tuple(p.strip() for p in get("vastuu").split(",") if p.strip())
        out.append(Recipient(area, get("nimi"), email, cc, responsible, str(place(n))))
    return out


def read_recipients_csv(data: bytes, name: str) -> list[Recipient]:
    """A recipients CSV (`;`, `,` or tab; UTF-8 with or without BOM, or cp1252)."""
    return recipients_from_rows(csv_rows(data, name), name)


def csv_rows(data: bytes, name: str) -> list[list[str]]:
    """The rows of a small CSV (`;`, `,` or tab, told by the header; UTF-8 with or without BOM, or cp1252)."""
    text = decode_text(data, name)
    return list(csv.reader(io.StringIO(text), delimiter=sniff_delimiter(text)))


def recipients_by_area(recipients: Iterable[Recipient], review: Review, source: str,
                       areas: Sequence[str] | None = None) -> dict[str, Recipient]:
    """Area name -> its recipient, every area of `areas` (default: all) covered exactly once, else a clear error."""
    known = {t.name.casefold(): t.name for t in review.areas}
    by_area: dict[str, Recipient] = {}
    for r in recipients:
        area = known.get(r.area.casefold())
        if area is None:
            raise InputError(f"palvelualuetta '{r.area}' ei ole katsauksessa ({r.where}).", Place(file=source),
                             f"Palvelualueet: {', '.join(known.values())}. Korjaa nimi vastaanottajaluetteloon.")
        if area in by_area:
            raise InputError(f"palvelualueella {area} on kaksi vastaanottajaa ({by_area[area].where} ja {r.where}).",
                             Place(file=source), "Jätä yksi; lisää muut sarakkeeseen kopio.")
        by_area[area] = r
    wanted = list(areas) if areas is not None else [t.name for t in review.areas]
    missing = [a for a in wanted if a not in by_area]
    if missing:
        raise InputError(f"palvelualueelta {', '.join(missing)} puuttuu vastaanottaja.", Place(file=source),
                         "Lisää rivi alue;nimi;sähköposti;kopio jokaiselle palvelualueelle. Mitään ei lähetetty.")
    return {a: by_area[a] for a in wanted}


def recipients_sheet_layout(review: Review) -> SheetLayout:
    """The team workbook's `Vastaanottajat` sheet: one row per area, name and address for the team to fill."""
    return list_sheet(RECIPIENTS_SHEET, HEADS, [(t.name,) for t in review.areas], {0: 30, 1: 28, 2: 34, 3: 40, 4: 40},
                      tab_color="7030A0")


def responsible_titles(rows: Sequence[Sequence[object]]) -> dict[str, tuple[str, ...]]:
    """Area (casefolded) -> the titles of its `vastuu` column, read leniently (for split, which sends nothing)."""
    cells = [["" if v is None else str(v).strip() for v in row] for row in rows]
    cells = [c for c in cells if any(c)]
    if not cells:
        return {}
    index = {h.casefold(): i for i, h in enumerate(cells[0])}
    a, v = index.get("alue"), index.get("vastuu")
    if a is None or v is None:
        return {}
    return {row[a].casefold(): tuple(p.strip() for p in row[v].split(",") if p.strip())
            for row in cells[1:] if a < len(row) and v < len(row) and row[a]}


def with_recipients_sheet(names: list[str]) -> list[str]:
    """The team workbook's sheet names with `Vastaanottajat` before xlwings' settings sheet (last)."""
    return [*names[:-1], RECIPIENTS_SHEET, names[-1]] if names else [RECIPIENTS_SHEET]


def add_recipients_sheet(layout: WorkbookLayout, review: Review) -> WorkbookLayout:
    """`layout` with the `Vastaanottajat` sheet placed as `with_recipients_sheet` names it."""
    sheets = list(layout.sheets)
    sheets.insert(max(len(sheets) - 1, 0), recipients_sheet_layout(review))
    return replace(layout, sheets=sheets)
