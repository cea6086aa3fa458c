"""Columns by meaning: the role names Finnish systems use, the team's column profile, the header among a preamble."""

from __future__ import annotations

__all__ = ["LABELS", "ROLE_NAMES", "Profile", "find_header", "norm", "read_profile"]

import csv
import re
from dataclasses import dataclass

from ..core.errors import InputError, Place
from .text import DELIMITERS

# Column names by meaning, as Finnish systems head them (after norm: lower case, no punctuation, € -> eur).
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "kustannuspaikka": ("kustannuspaikka", "kustp", "kp", "kustannuspaikka koodi", "kustannuspaikan koodi",
                        "kustannuspaikkakoodi", "kustannuspaikka nro", "kustannuspaikkanumero", "kp koodi",
                        "kustannuspaikka tunnus", "kustannuspaikat"),
    "tili": ("tili", "tilinumero", "tilin numero", "tilikoodi", "tili nro", "tilinro", "tili koodi", "kirjanpidon tili",
             "pääkirjatili", "pääkirjan tili", "kirjanpitotili"),
    "jakso": ("jakso", "kausi", "kuukausi", "kirjauskausi", "kirjausjakso", "kirjanpitojakso", "kk"),
    "pvm": ("kirjauspvm", "kirjauspäivä", "kirjauspäivämäärä", "tositepvm", "tositepäivä", "tositepäivämäärä",
            "pvm", "päivämäärä", "paivamaara", "päiväys", "tapahtumapäivä", "tapahtumapvm"),
    "summa": ("summa", "summa eur", "summa euroa", "euro", "euroa", "eur", "määrä", "maara", "rahamäärä",
              "kirjattu summa", "summa euroina", "netto", "nettosumma", "toteuma", "toteuma eur"),
    "debet": ("debet", "debet eur", "debit", "veloitus", "debet euroa"),
    "kredit": ("kredit", "kredit eur", "credit", "hyvitys", "kredit euroa"),
    "puoli": ("d k", "dk", "debet kredit", "puoli", "debet tai kredit"),
    "vuosi": ("vuosi", "tilikausi", "kirjanpitovuosi", "tilivuosi"),
    "talousarvio": ("talousarvio", "ta", "budjetti", "talousarvio eur", "muutettu talousarvio",
                    "ta muutoksineen", "talousarvio muutoksineen"),
}
LABELS = {"kustannuspaikka": "kustannuspaikka", "tili": "tili", "pvm": "päivämäärä (tai jakso)",
           "jakso": "jakso", "summa": "summa (tai Debet ja Kredit)", "debet": "Debet", "kredit": "Kredit",
           "talousarvio": "talousarvio", "vuosi": "vuosi", "puoli": "D/K"}


def norm(text: object) -> str:
    s = str(text or "").lstrip("\ufeff").strip().casefold().replace("€", " eur ")
    s = re.sub(r"[()\[\]:.,/_\-\"']", " ", s)
    return " ".join(s.split())


@dataclass(frozen=True)
class Profile:
    """The team's own column names: role -> heading (as in the export), and optionally the sign convention."""

    columns: dict[str, str]
    sign: str | None = None
    source: str = ""


def read_profile(rows: list[list[str]], name: str) -> Profile:
    """A column profile from its rows (`sarake;otsikko`, header first): e.g. `tili;Pääkirjanpidon tili`.

    A row `etumerkki;debet` (or `tulos`) fixes the sign convention of the exports it reads.
    """
    columns: dict[str, str] = {}
    sign = None
    body = [r for r in rows if any(str(c).strip() for c in r)]
    if body and norm(body[0][0]) in ("sarake", "rooli", "kenttä"):
        body = body[1:]
    for n, row in enumerate(body, start=2):
        cells = [str(c).strip() for c in row] + ["", ""]
        role, head = norm(cells[0]), cells[1]
        if role == "etumerkki":
            if norm(head) not in ("debet", "debit", "tulos", "income"):
                raise InputError(f"etumerkki '{head}' on tuntematon.", Place(file=name, line=n),
                                 "Etumerkki on debet (kirjanpidon etumerkki) tai tulos (tuotot +, kulut −).")
            sign = "debit" if norm(head) in ("debet", "debit") else "income"
            continue
        if role not in ROLE_NAMES:
            raise InputError(f"sarakkeen rooli '{cells[0]}' on tuntematon.", Place(file=name, line=n),
                             f"Roolit: {', '.join(ROLE_NAMES)}, etumerkki.")
        if not head:
            raise InputError(f"roolin '{cells[0]}' otsikko puuttuu.", Place(file=name, line=n),
                             "Kirjoita toiseen sarakkeeseen otsikko sellaisenaan kuin raportissa.")
        columns[role] = head
    return Profile(columns, sign, name)



def _roles(cells: list[str], profile: Profile | None) -> dict[str, int]:
    names = [norm(c) for c in cells]
    found: dict[str, int] = {}
    if profile is not None:
        for role, head in profile.columns.items():
            if norm(head) in names:
                found[role] = names.index(norm(head))
    taken = set(found.values())
    for role, aliases in ROLE_NAMES.items():
        if role in found:
            continue
        for alias in aliases:      # aliases in order of preference (e.g. Kirjauspvm before Tositepvm)
            if alias in names and names.index(alias) not in taken:
                found[role] = names.index(alias)
                taken.add(found[role])
                break
    return found


def _missing(found: dict[str, int], wanted: tuple[str, ...]) -> list[str]:
    missing = []
    for role in wanted:
        if role == "pvm" and ("pvm" in found or "jakso" in found):
            continue
        if role == "summa" and ("summa" in found or "debet" in found or "kredit" in found):
            continue
        if role == "talousarvio" and ("talousarvio" in found or "summa" in found):
            continue
        if role not in found:
            missing.append(role)
    return missing


def find_header(lines: list[str], wanted: tuple[str, ...], profile: Profile | None, name: str,
            delimiters: tuple[str, ...] = DELIMITERS) -> tuple[int, str, list[str], dict[str, int]]:
    """(0-based line, delimiter, cells, roles) of the header: the first line naming the wanted columns."""
    best: tuple[int, int, str, list[str], dict[str, int]] | None = None
    for n, line in enumerate(lines):
        if not line.strip():
            continue
        for d in delimiters:
            if d not in line:
                continue
            cells = next(csv.reader([line], delimiter=d), [])
            found = _roles(cells, profile)
            score = len(wanted) - len(_missing(found, wanted))
            if score == len(wanted):
                return n, d, cells, found
            if score >= 2 and (best is None or score > best[0]):
                best = (score, n, d, cells, found)
    if best is not None:
        _score, n, d, cells, found = best
        where = Place(file=name, line=n + 1)
    else:
        first = next(((i, ln) for i, ln in enumerate(lines) if ln.strip()), (0, ""))
        n, cells, found = first[0], [first[1]], {}
        where = Place(file=name, line=n + 1)
    missing = [LABELS[r] for r in _missing(found, wanted)]
    raise InputError(
        f"otsikkorivistä puuttuu {', '.join(missing)}; löytyi otsikko '{'; '.join(c.strip() for c in cells)[:200]}'.",
        where,
        "Raportissa pitää olla sarakkeet kustannuspaikka, tili, päivämäärä tai jakso ja summa (tai Debet ja Kredit). "
        "Muut otsikot: anna sarakeprofiili (--profile), esim. rivi 'tili;Pääkirjanpidon tili'.")

