"""A ledger's mapping: cost-centre ranges to areas, account ranges to income lines, balance sheet or fixed assets."""

from __future__ import annotations

__all__ = ["BALANCE", "DEFAULT_MAPPING", "FIXED_ASSETS", "Mapping", "mapping_rows", "read_mapping"]

import csv
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError, Place
from ..core.labels import match_label, normalize_label
from ..core.structure import INCOME_STATEMENT, Kind
from .text import decode_text, sniff_delimiter

DEFAULT_MAPPING = "kohdistus.csv"
BALANCE = "tase"
FIXED_ASSETS = "kayttoomaisuus"
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Mapping:
    """Cost centre ranges -> area; account ranges -> income-statement line, balance sheet, or fixed assets (group)."""

    centres: tuple[tuple[int, int, str], ...]
    accounts: tuple[tuple[int, int, str], ...]
    source: str = ""
    balance: tuple[tuple[int, int], ...] = ()
    fixed: tuple[tuple[int, int, str], ...] = ()     # (start, end, investment group or "")

    def lookup(self, codes: IntArray, which: str) -> tuple[npt.NDArray[np.intp], list[str]]:
        """Index into the target names for each code (-1 where no range holds it), and the names."""
        if which == "kustannuspaikka":
            ranges = list(self.centres)
        else:
            ranges = list(self.accounts) + [(a, b, BALANCE) for a, b in self.balance] + \
                [(a, b, f"{FIXED_ASSETS}:{g}") for a, b, g in self.fixed]
        lut, names = _lookup_table(tuple(ranges))
        if not names:
            return np.full(len(codes), -1, dtype=np.intp), []
        inside = (codes >= 0) & (codes < len(lut))
        return np.where(inside, lut[np.where(inside, codes, 0)], -1), names


@lru_cache(maxsize=16)
def _lookup_table(ranges: tuple[tuple[int, int, str], ...]) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Code -> index of its target name, as one array (ranges are of codes, a few million at most)."""
    names = list(dict.fromkeys(t for _a, _b, t in sorted(ranges)))
    top = max((b for _a, b, _t in ranges), default=-1)
    if top >= 50_000_000:
        raise InputError(f"koodi {top} on liian suuri kohdistustaulukossa.", None,
                         "Kustannuspaikat ja tilit ovat enintään kahdeksannumeroisia.")
    lut = np.full(top + 1, -1, dtype=np.intp)
    for a, b, t in ranges:
        lut[a:b + 1] = names.index(t)
    return lut, names


def _same_spelling(centres: list[tuple[int, int, str, int]], name: str) -> None:
    """Refuse a service area written in two ways that Excel takes for one name (`Liikunta`, `LIIKUNTA`)."""
    from ..core.names import area_key

    first: dict[str, tuple[str, int]] = {}
    for _, _, target, n in centres:
        other = first.setdefault(area_key(target), (target, n))
        if other[0] != target:
            raise InputError(f"palvelualueet '{other[0]}' (rivi {other[1]}) ja '{target}' (rivi {n}) eroavat vain "
                             "kirjainkooltaan.", Place(file=name, line=n),
                             "Kirjoita saman palvelualueen nimi joka riville samoin.")


def read_mapping(data: bytes, name: str) -> Mapping:
    """The mapping CSV: `tyyppi;alku;loppu;kohde`.

    tyyppi: `kustannuspaikka` (kohde: service area), `tili` (kohde: income-statement line),
    `tase` (balance-sheet accounts: never on an income-statement line, listed and left out),
    `kayttoomaisuus` (fixed-asset accounts: kohde the investment group, or empty to list and
    leave them out). loppu may be empty (one code).
    """
    text = decode_text(data, name).lstrip("\ufeff")
    lines = list(text.splitlines())
    if not any(ln.strip() for ln in lines):
        raise InputError("kohdistustaulukko on tyhjä.", Place(file=name),
                         "Rivit: tyyppi;alku;loppu;kohde, esim. tili;3000;3249;Myyntituotot.")
    rows = [[c.strip() for c in row] for row in csv.reader(lines, delimiter=sniff_delimiter(text))]
    head = [normalize_label(h) for h in rows[0]]
    need = ("tyyppi", "alku", "loppu", "kohde")
    missing = [h for h in need if h not in head]
    if missing:
        raise InputError(f"sarake '{missing[0]}' puuttuu otsikkoriviltä.", Place(file=name, line=1),
                         "Otsikkorivi: tyyppi;alku;loppu;kohde.")
    idx = {h: head.index(h) for h in need}
    centres: list[tuple[int, int, str, int]] = []
    accounts: list[tuple[int, int, str, int]] = []     # every account range, whatever its kind
    for n, row in enumerate(rows[1:], start=2):
        if not any(row):
            continue
        row = row + [""] * (len(head) - len(row))
        kind, lo, hi, target = (row[idx[h]] for h in need)
        place = Place(file=name, line=n)
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise InputError(f"koodin pitää olla numero, löytyi '{lo}'–'{hi}'.", place,
                             "Kirjoita alku ja loppu numeroina; loppu voi olla tyhjä (yksi koodi).")
        a, b = int(lo), int(hi) if hi else int(lo)
        if b < a:
            raise InputError(f"väli {a}–{b} on väärin päin.", place, "Loppu ei voi olla pienempi kuin alku.")
        kind_n = normalize_label(kind)
        if kind_n in ("kustannuspaikka", "kp"):
            if not target:
                raise InputError("palvelualueen nimi puuttuu.", place, "Kirjoita kohde-sarakkeeseen palvelualue.")
            centres.append((a, b, " ".join(target.split()), n))
        elif kind_n == "tili":
            match = match_label(target, INCOME_STATEMENT, None, has_figures=True)
            if match is None or match.line.kind is not Kind.DETAIL:
                lines_ = ", ".join(ln.label for ln in INCOME_STATEMENT.lines if ln.kind is Kind.DETAIL)
                raise InputError(f"tuloslaskelman riviä '{target}' ei tunnistettu.", place, f"Rivit: {lines_}.")
            accounts.append((a, b, match.line.key, n))
        elif kind_n == BALANCE:
            accounts.append((a, b, BALANCE, n))
        elif kind_n in (FIXED_ASSETS, "käyttöomaisuus", "investointi"):
            accounts.append((a, b, f"{FIXED_ASSETS}:{' '.join(target.split())}", n))
        else:
            raise InputError(f"tyyppi '{kind}' on tuntematon.", place,
                             "Tyyppi on kustannuspaikka, tili, tase tai kayttoomaisuus.")
    _same_spelling(centres, name)
    for what, ranges in (("kustannuspaikka", centres), ("tili", accounts)):
        ranges.sort()
        for (a1, b1, _t1, n1), (a2, _b2, _t2, n2) in zip(ranges, ranges[1:]):
            if a2 <= b1:
                raise InputError(f"{what}välit menevät päällekkäin (rivit {n1} ja {n2}).", Place(file=name, line=n2),
                                 "Korjaa välit niin, että kukin koodi kuuluu yhteen väliin.")
    return Mapping(
        tuple((a, b, t) for a, b, t, _ in centres),
        tuple((a, b, t) for a, b, t, _ in accounts if t != BALANCE and not t.startswith(FIXED_ASSETS)), name,
        tuple((a, b) for a, b, t, _ in accounts if t == BALANCE),
        tuple((a, b, t.split(":", 1)[1]) for a, b, t, _ in accounts if t.startswith(FIXED_ASSETS)))


def mapping_rows(mapping: Mapping) -> list[list[object]]:
    """The mapping as the rows of its CSV / sheet, header first."""
    label = {ln.key: ln.label for ln in INCOME_STATEMENT.lines}
    rows: list[list[object]] = [["tyyppi", "alku", "loppu", "kohde"]]
    rows += [["kustannuspaikka", a, b, t] for a, b, t in mapping.centres]
    rows += [["tili", a, b, label[t]] for a, b, t in mapping.accounts]
    rows += [[FIXED_ASSETS, a, b, g] for a, b, g in mapping.fixed]
    rows += [[BALANCE, a, b, ""] for a, b in mapping.balance]
    return rows
