"""Ledger import: accounting-system exports (CSV as Finnish systems write it, or .xlsx) aggregated to areas × lines × periods.

Reading is vectorised (pyarrow for CSV, fastexcel for .xlsx, numpy for the mapping and the
sums), so a million rows take well under a second. Amounts are summed in whole cents, so
totals are exact. Every row either lands in a figure or is reported: a row whose cost centre
or account has no mapping stops the import with a list (count, sum, first rows with file and
line), or, when asked, goes to the visible "Kohdistamattomat" area or line.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAPPING",
    "ImportResult",
    "Ledger",
    "Mapping",
    "aggregate",
    "mapping_rows",
    "read_budget",
    "read_ledger",
    "read_mapping",
]

import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import InputError, Place
from ..labels import match_label, normalize_label
from ..model import Column, ColumnKind
from ..numbers import MAX_FIGURE
from ..structure import INCOME_STATEMENT, Kind
from . import decode_text

DEFAULT_MAPPING = "kohdistus.csv"
UNALLOCATED_AREA = "Kohdistamattomat"
UNALLOCATED_LINE = "kohdistamattomat"
IntArray = npt.NDArray[np.int64]
Budget = tuple[IntArray, IntArray, IntArray, IntArray]      # cost centres, accounts, cents, lines

_COLUMNS = {
    "kustannuspaikka": ("kustannuspaikka", "kp", "kustannuspaikan koodi", "kustannuspaikkakoodi"),
    "tili": ("tili", "tilinumero", "tilin numero", "tilikoodi"),
    "pvm": ("pvm", "päivämäärä", "paivamaara", "tositepäivä", "tositepvm", "kirjauspäivä", "kirjauspvm"),
    "jakso": ("jakso", "kausi", "kuukausi", "kirjauskausi"),
    "summa": ("summa", "määrä", "maara", "euroa", "summa €", "summa (€)"),
    "talousarvio": ("talousarvio", "ta", "budjetti"),
}


# ---------------------------------------------------------------------------- the mapping

@dataclass(frozen=True)
class Mapping:
    """Cost centre ranges -> service area, account ranges -> income-statement line (key)."""

    centres: tuple[tuple[int, int, str], ...]
    accounts: tuple[tuple[int, int, str], ...]
    source: str = ""

    def lookup(self, codes: IntArray, which: str) -> tuple[npt.NDArray[np.intp], list[str]]:
        """Index into the target names for each code (-1 where no range holds it), and the names."""
        ranges = self.centres if which == "kustannuspaikka" else self.accounts
        if not ranges:
            return np.full(len(codes), -1, dtype=np.intp), []
        starts = np.array([r[0] for r in ranges], dtype=np.int64)
        ends = np.array([r[1] for r in ranges], dtype=np.int64)
        order = np.argsort(starts)
        starts, ends = starts[order], ends[order]
        targets = [ranges[i][2] for i in order]
        names = list(dict.fromkeys(targets))
        name_index = np.array([names.index(t) for t in targets], dtype=np.intp)
        pos = np.searchsorted(starts, codes, side="right") - 1
        ok = (pos >= 0) & (codes <= ends[np.clip(pos, 0, None)])
        return np.where(ok, name_index[np.clip(pos, 0, None)], -1), names


def _same_spelling(centres: list[tuple[int, int, str, int]], name: str) -> None:
    """Refuse a service area written in two ways that Excel takes for one name (`Liikunta`, `LIIKUNTA`)."""
    from ..names import area_key

    first: dict[str, tuple[str, int]] = {}
    for _, _, target, n in centres:
        other = first.setdefault(area_key(target), (target, n))
        if other[0] != target:
            raise InputError(f"palvelualueet '{other[0]}' (rivi {other[1]}) ja '{target}' (rivi {n}) eroavat vain "
                             "kirjainkooltaan.", Place(file=name, line=n),
                             "Kirjoita saman palvelualueen nimi joka riville samoin.")


def read_mapping(data: bytes, name: str) -> Mapping:
    """The mapping CSV: `tyyppi;alku;loppu;kohde` (tyyppi kustannuspaikka or tili; loppu may be empty)."""
    text = decode_text(data, name).lstrip("\ufeff")
    lines = [ln for ln in text.splitlines()]
    if not any(ln.strip() for ln in lines):
        raise InputError("kohdistustaulukko on tyhjä.", Place(file=name),
                         "Rivit: tyyppi;alku;loppu;kohde, esim. tili;3000;3249;Myyntituotot.")
    delim = max((";", "\t", ","), key=lambda d: lines[0].count(d))
    import csv

    rows = [[c.strip() for c in row] for row in csv.reader(lines, delimiter=delim)]
    head = [normalize_label(h) for h in rows[0]]
    need = ("tyyppi", "alku", "loppu", "kohde")
    missing = [h for h in need if h not in head]
    if missing:
        raise InputError(f"sarake '{missing[0]}' puuttuu otsikkoriviltä.", Place(file=name, line=1),
                         "Otsikkorivi: tyyppi;alku;loppu;kohde.")
    idx = {h: head.index(h) for h in need}
    centres: list[tuple[int, int, str, int]] = []
    accounts: list[tuple[int, int, str, int]] = []
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
        else:
            raise InputError(f"tyyppi '{kind}' on tuntematon.", place, "Tyyppi on kustannuspaikka tai tili.")
    _same_spelling(centres, name)
    for what, ranges in (("kustannuspaikka", centres), ("tili", accounts)):
        ranges.sort()
        for (a1, b1, _t1, n1), (a2, _b2, _t2, n2) in zip(ranges, ranges[1:]):
            if a2 <= b1:
                raise InputError(f"{what}välit menevät päällekkäin (rivit {n1} ja {n2}).", Place(file=name, line=n2),
                                 "Korjaa välit niin, että kukin koodi kuuluu yhteen väliin.")
    return Mapping(tuple((a, b, t) for a, b, t, _ in centres), tuple((a, b, t) for a, b, t, _ in accounts), name)


def mapping_rows(mapping: Mapping) -> list[list[object]]:
    """The mapping as the rows of its CSV / sheet, header first."""
    label = {ln.key: ln.label for ln in INCOME_STATEMENT.lines}
    rows: list[list[object]] = [["tyyppi", "alku", "loppu", "kohde"]]
    rows += [["kustannuspaikka", a, b, t] for a, b, t in mapping.centres]
    rows += [["tili", a, b, label[t]] for a, b, t in mapping.accounts]
    return rows


# ---------------------------------------------------------------------------- reading a ledger

@dataclass
class Ledger:
    """Ledger rows as arrays; `lines` are the file's line (or sheet row) numbers, for messages."""

    name: str
    sha256: str
    centre: IntArray
    account: IntArray
    year: IntArray
    month: IntArray
    cents: IntArray                    # amount in cents
    budget_cents: IntArray | None      # the optional talousarvio column
    lines: IntArray

    def __len__(self) -> int:
        return len(self.cents)


def _header_map(names: list[str], name: str, wanted: tuple[str, ...]) -> dict[str, int]:
    norm = [normalize_label(n.lstrip("\ufeff")) for n in names]
    found: dict[str, int] = {}
    for key, aliases in _COLUMNS.items():
        for i, n in enumerate(norm):
            if n in aliases and key not in found:
                found[key] = i
    missing = [k for k in wanted if k not in found]
    if "pvm" in missing and "jakso" in found:
        missing.remove("pvm")
    if missing:
        raise InputError(
            f"sarake '{missing[0]}' puuttuu otsikkoriviltä.", Place(file=name, line=1),
            "Kirjanpidon raportissa pitää olla sarakkeet kustannuspaikka, tili, pvm (tai jakso) ja summa; "
            f"löytyi: {', '.join(n for n in names if n) or 'ei mitään'}.")
    return found


def _bad_rows(name: str, lines: IntArray, mask: npt.NDArray[np.bool_], values: list[object], what: str,
              hint: str) -> InputError:
    where = np.nonzero(mask)[0]
    first = ", ".join(f"rivi {int(lines[i])}: '{values[i]}'" for i in where[:5])
    return InputError(f"{len(where)} riviä, joiden {what} ei kelpaa ({first}{'…' if len(where) > 5 else ''}).",
                      Place(file=name, line=int(lines[where[0]])), hint)


def _cents(strings: object, name: str, lines: IntArray, what: str, allow_empty: bool = False) -> IntArray:
    """Finnish amounts ("-1 234,56", "1 234,56-", NBSP thousands, "1234.5") to integer cents, vectorised."""
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = pc.cast(strings, pa.string())
    if not allow_empty:   # the common case: plain "-1234,56" or "1234.56"; one cast, no regex
        try:
            euros = np.asarray(pc.cast(pc.replace_substring(raw, ",", "."), pa.float64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            euros = None
        if euros is not None and (np.abs(euros) < MAX_FIGURE).all():   # also False for inf and NaN
            return np.round(euros * 100.0).astype(np.int64)
    s = pc.utf8_trim_whitespace(raw)
    for space in ("\u00a0", "\u202f", " "):
        s = pc.replace_substring(s, space, "")
    s = pc.replace_substring(s, "\u2212", "-")
    trailing = pc.fill_null(pc.ends_with(s, "-"), False)
    s = pc.if_else(trailing, pc.binary_join_element_wise("-", pc.utf8_slice_codeunits(s, 0, -1), ""), s)
    s = pc.replace_substring(s, ",", ".")
    empty = pc.fill_null(pc.equal(s, ""), True)
    ok = pc.fill_null(pc.match_substring_regex(s, r"^[+-]?(\d+(\.\d*)?|\.\d+)$"), False)
    bad = ~np.asarray(ok) & ~(np.asarray(empty) if allow_empty else np.zeros(len(s), dtype=bool))
    if bad.any():
        raise _bad_rows(name, lines, bad, pc.cast(strings, pa.string()).to_pylist(), what,
                        "Luvun muoto on esimerkiksi -1 234,56 tai 1 234,56-.")
    s = pc.if_else(empty, "0", s)
    euros = np.asarray(pc.cast(s, pa.float64()))
    huge = ~(np.abs(euros) < MAX_FIGURE)
    if huge.any():   # "9" * 400 reads as infinity, which no integer of cents holds
        raise _bad_rows(name, lines, huge, [str(v)[:20] for v in pc.cast(strings, pa.string()).to_pylist()], what,
                        "Luku on liian suuri: Excel laskee tarkasti 15 numeroon asti.")
    return np.round(euros * 100.0).astype(np.int64)


def _codes(strings: object, name: str, lines: IntArray, what: str) -> IntArray:
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(pc.cast(strings, pa.string()))
    try:
        codes = np.asarray(pc.cast(s, pa.int64()))
        if (codes >= 0).all():
            return codes
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    ok = pc.fill_null(pc.match_substring_regex(s, r"^\d{1,15}$"), False)
    if not pc.all(ok).as_py():
        raise _bad_rows(name, lines, ~np.asarray(ok), s.to_pylist(), what, f"Kirjoita {what} numerona.")
    return np.asarray(pc.cast(s, pa.int64()))


def _dates(strings: object, name: str, lines: IntArray, period: bool) -> tuple[IntArray, IntArray]:
    """Year and month from "31.3.2023", "2023-03-31" (pvm) or "3/2023", "2023-03", "202303" (jakso)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pc.utf8_trim_whitespace(pc.cast(strings, pa.string()))
    if not period:   # the common case in one vectorised parse per format
        parsed = pc.strptime(s, format="%d.%m.%Y", unit="s", error_is_null=True)
        if parsed.null_count:
            parsed = pc.coalesce(parsed, pc.strptime(pc.utf8_slice_codeunits(s, 0, 10), format="%Y-%m-%d",
                                                     unit="s", error_is_null=True))
        if not parsed.null_count:
            return np.asarray(pc.year(parsed)).astype(np.int64), np.asarray(pc.month(parsed)).astype(np.int64)
    patterns = ([r"^(?P<m>\d{1,2})[/.](?P<y>\d{4})$", r"^(?P<y>\d{4})-?(?P<m>\d{2})$"] if period else
                [r"^\d{1,2}\.(?P<m>\d{1,2})\.(?P<y>\d{4})$", r"^(?P<y>\d{4})-(?P<m>\d{2})-\d{2}"])
    year = np.zeros(len(s), dtype=np.int64)
    month = np.zeros(len(s), dtype=np.int64)
    for pattern in patterns:
        found = pc.extract_regex(s, pattern)
        valid = np.asarray(pc.fill_null(pc.is_valid(found), False)) & (year == 0)
        if valid.any():
            ys = np.asarray(pc.cast(pc.fill_null(pc.struct_field(found, "y"), "0"), pa.int64()))
            ms = np.asarray(pc.cast(pc.fill_null(pc.struct_field(found, "m"), "0"), pa.int64()))
            year = np.where(valid, ys, year)
            month = np.where(valid, ms, month)
    bad = (year == 0) | (month < 1) | (month > 12)
    if bad.any():
        raise _bad_rows(name, lines, bad, s.to_pylist(), "päivämäärä" if not period else "jakso",
                        "Päivämäärä muodossa 31.3.2023 tai 2023-03-31; jakso muodossa 3/2023 tai 2023-03.")
    return year, month


def _csv_table(data: bytes, name: str) -> tuple[Any, list[str]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not data.strip():
        raise InputError("tiedosto on tyhjä.", Place(file=name), "Vie kirjanpidon raportti uudelleen.")
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        body.decode("utf-8")
        encoding = "utf8"
    except UnicodeDecodeError:
        decode_text(data, name)   # refuses a file that is not text, naming the line of the first bad byte
        encoding = "cp1252"
    first = body.split(b"\n", 1)[0].decode(encoding).rstrip("\r")
    delim = max((";", "\t", ","), key=lambda d: first.count(d))
    if first.count(delim) == 0:
        raise InputError("otsikkorivillä ei ole erottimia (;, tabulaattori tai ,).", Place(file=name, line=1),
                         "Vie raportti CSV-muodossa, sarakkeet puolipisteellä eroteltuina.")
    heads = next(iter(__import__("csv").reader([first], delimiter=delim)))
    try:
        return pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(heads))], skip_rows=1,
                                           block_size=1 << 22, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=delim),
            convert_options=pacsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(heads))},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False)), heads
    except pa.ArrowInvalid as exc:
        bad = _first_ragged_line(body.decode(encoding, errors="replace"), delim, len(heads))
        if bad is None:
            raise InputError(f"CSV:tä ei voi lukea ({exc}).", Place(file=name), "Vie raportti uudelleen.") from None
        raise InputError(f"rivillä on {bad[1]} saraketta, otsikossa {len(heads)}.", Place(file=name, line=bad[0]),
                         "Tiedosto voi olla katkennut tai erotin väärä; vie raportti uudelleen.") from None


def _first_ragged_line(text: str, delim: str, width: int) -> tuple[int, int] | None:
    import csv

    for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delim), start=1):
        if row and len(row) != width:
            return n, len(row)
    return None


def read_ledger(data: bytes, name: str) -> Ledger:
    """Ledger rows from a CSV or .xlsx export (see README, "Ledger import")."""
    digest = hashlib.sha256(data).hexdigest()
    if name.lower().endswith((".xlsx", ".xlsm")):
        table, heads = _xlsx_table(data, name)
    else:
        table, heads = _csv_table(data, name)
    cols = _header_map(heads, name, ("kustannuspaikka", "tili", "pvm", "summa"))
    n = table.num_rows
    if n == 0:
        raise InputError("tiedostossa on vain otsikkorivi.", Place(file=name), "Vie raportti, jossa on kirjauksia.")
    lines = np.arange(2, n + 2, dtype=np.int64)
    col = table.column
    centre = _codes(col(cols["kustannuspaikka"]), name, lines, "kustannuspaikka")
    account = _codes(col(cols["tili"]), name, lines, "tili")
    if "pvm" in cols:
        year, month = _dates(col(cols["pvm"]), name, lines, period=False)
    else:
        year, month = _dates(col(cols["jakso"]), name, lines, period=True)
    cents = _cents(col(cols["summa"]), name, lines, "summa")
    budget = _cents(col(cols["talousarvio"]), name, lines, "talousarvio", allow_empty=True) \
        if "talousarvio" in cols else None
    return Ledger(name, digest, centre, account, year, month, cents, budget, lines)


def _xlsx_table(data: bytes, name: str) -> tuple[Any, list[str]]:
    import fastexcel
    import pyarrow as pa

    try:
        reader = fastexcel.read_excel(data)
        sheet = reader.load_sheet(0, header_row=0, schema_sample_rows=None, dtypes="string")
        table = sheet.to_arrow()
    except Exception as exc:  # noqa: BLE001 - calamine reports a broken file in many ways
        raise InputError(f"tiedostoa ei voi avata Excel-työkirjana ({exc}).", Place(file=name),
                         "Tallenna raportti .xlsx-muodossa.") from None
    heads = list(table.column_names)
    table = pa.table({f"c{i}": table.column(i) for i in range(len(heads))})
    return table, heads


def read_budget(data: bytes, name: str) -> Budget:
    """A budget file: kustannuspaikka;tili;talousarvio (or summa) -> (centre, account, cents, lines)."""
    if name.lower().endswith((".xlsx", ".xlsm")):
        table, heads = _xlsx_table(data, name)
    else:
        table, heads = _csv_table(data, name)
    cols = _header_map(heads, name, ("kustannuspaikka", "tili"))
    amount = cols.get("talousarvio", cols.get("summa"))
    if amount is None:
        raise InputError("sarake 'talousarvio' puuttuu otsikkoriviltä.", Place(file=name, line=1),
                         "Talousarviotiedostossa on sarakkeet kustannuspaikka, tili ja talousarvio.")
    n = table.num_rows
    lines = np.arange(2, n + 2, dtype=np.int64)
    col = table.column
    return (_codes(col(cols["kustannuspaikka"]), name, lines, "kustannuspaikka"),
            _codes(col(cols["tili"]), name, lines, "tili"),
            _cents(col(amount), name, lines, "talousarvio", allow_empty=True), lines)


# ---------------------------------------------------------------------------- aggregation

@dataclass
class ImportResult:
    """Figures per area: {area: {line key: {column: value in the column's unit}}}, and the bookkeeping."""

    columns: tuple[Column, ...]
    figures: dict[str, dict[str, dict[Column, float]]]
    rows: int
    cents_in: int                      # every amount read
    cents_out: int                     # every amount in a figure (this year's TOT and last year's TP)
    unallocated_rows: int
    unallocated_cents: int
    files: list[tuple[str, str]] = field(default_factory=list)   # (file name, sha256)
    time: str = ""

    def summary(self) -> str:
        def eur(c: int) -> str:
            from ..numbers import format_fi

            return format_fi(c / 100, 2) + " €"

        text = f"{self.rows} riviä, summa sisään {eur(self.cents_in)}, summa ulos {eur(self.cents_out)}"
        if self.unallocated_rows:
            text += f"; kohdistamattomia {self.unallocated_rows} riviä, {eur(self.unallocated_cents)}"
        return text + "."


def _unallocated_error(ledger: Ledger, mask: npt.NDArray[np.bool_], centre_ok: npt.NDArray[np.bool_],
                       mapping: Mapping) -> InputError:
    where = np.nonzero(mask)[0]
    total = int(ledger.cents[where].sum())
    from ..numbers import format_fi

    first = "; ".join(
        f"rivi {int(ledger.lines[i])}: kp {int(ledger.centre[i])}, tili {int(ledger.account[i])}, "
        f"{format_fi(int(ledger.cents[i]) / 100, 2)} €" + ("" if centre_ok[i] else " (kustannuspaikka)")
        for i in where[:5])
    return InputError(
        f"{len(where)} riviä ({format_fi(total / 100, 2)} €) ilman kohdistusta: {first}{'…' if len(where) > 5 else ''}.",
        Place(file=ledger.name, line=int(ledger.lines[where[0]])),
        f"Lisää kustannuspaikat ja tilit kohdistustaulukkoon ({mapping.source or DEFAULT_MAPPING}) "
        "tai tuo ne näkyviin riville Kohdistamattomat (--kohdistamattomat).")


def aggregate(ledger: Ledger, mapping: Mapping, budget: Budget | None = None,
              budget_name: str = "", keep_unallocated: bool = False, year: int | None = None,
              months: int | None = None, units: dict[ColumnKind, int] | None = None) -> ImportResult:
    """Sum the ledger to areas × lines for: TOT year (months 1..M), TA year, and last year's TP and TOT 1..M.

    The year and M default to the latest year in the ledger and its latest month. Rows of other
    years stop the import (with their lines), as do rows without a mapping unless `keep_unallocated`.
    """
    units = units or {ColumnKind.TP: 1000, ColumnKind.TA: 1, ColumnKind.TOT: 1}
    y = int(ledger.year.max()) if year is None else year
    m = int(ledger.month[ledger.year == y].max()) if months is None and (ledger.year == y).any() else (months or 12)
    other = (ledger.year != y) & (ledger.year != y - 1)
    if other.any():
        raise _bad_rows(ledger.name, ledger.lines, other, [f"{a}/{b}" for a, b in zip(ledger.month, ledger.year)],
                        f"kausi ei ole {y - 1} eikä {y}",
                        f"Tuonti tekee vuoden {y} toteuman ja talousarvion sekä vuoden {y - 1} tilinpäätöksen.")
    late = (ledger.year == y) & (ledger.month > m)
    if late.any():
        raise _bad_rows(ledger.name, ledger.lines, late, [f"{a}/{b}" for a, b in zip(ledger.month, ledger.year)],
                        f"kuukausi on jakson 1–{m}/{y} jälkeen", "Anna kausi, joka kattaa rivit.")
    c_idx, areas = mapping.lookup(ledger.centre, "kustannuspaikka")
    a_idx, lines = mapping.lookup(ledger.account, "tili")
    unallocated = (c_idx < 0) | (a_idx < 0)
    if unallocated.any() and not keep_unallocated:
        raise _unallocated_error(ledger, unallocated, c_idx >= 0, mapping)
    # Unallocated rows: their area if the cost centre is known, else the Kohdistamattomat area;
    # their line Kohdistamattomat when the account is unknown.
    areas = [*areas, UNALLOCATED_AREA]
    lines = [*lines, UNALLOCATED_LINE]
    c_idx = np.where(c_idx < 0, len(areas) - 1, c_idx)
    a_idx = np.where(a_idx < 0, len(lines) - 1, a_idx)
    key = c_idx * len(lines) + a_idx
    size = len(areas) * len(lines)
    weights = ledger.cents.astype(np.float64)     # whole cents: exact in float64 below 9e15
    now = (ledger.year == y)
    prev = ~now
    def summed(select: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
        return np.asarray(np.bincount(key[select], weights[select], size), dtype=np.float64)

    early = prev & (ledger.month <= m)
    sums: dict[Column, npt.NDArray[np.float64]] = {
        Column(ColumnKind.TOT, y, m, units[ColumnKind.TOT]): summed(now),
        Column(ColumnKind.TP, y - 1, 12, units[ColumnKind.TP]): summed(prev),
        Column(ColumnKind.TOT, y - 1, m, units[ColumnKind.TP]): summed(early),
    }
    present = {col: np.bincount(key[sel], minlength=size) > 0
               for col, sel in zip(sums, (now, prev, early))}
    files = [(ledger.name, ledger.sha256)]
    budget_cents: npt.NDArray[np.float64] | None = None
    if ledger.budget_cents is not None:
        budget_cents = np.asarray(np.bincount(key, ledger.budget_cents.astype(np.float64), size), dtype=np.float64)
    if budget is not None:
        b_centre, b_account, b_cents, b_lines = budget
        bc, _ = mapping.lookup(b_centre, "kustannuspaikka")
        ba, _ = mapping.lookup(b_account, "tili")
        missing = (bc < 0) | (ba < 0)
        if missing.any():
            raise _bad_rows(budget_name, b_lines, missing, [f"kp {a}, tili {b}" for a, b in zip(b_centre, b_account)],
                            "kustannuspaikalla tai tilillä ei ole kohdistusta",
                            "Lisää ne kohdistustaulukkoon.")
        b_key = bc * len(lines) + ba      # the mapping's name lists are the ledger's (Kohdistamattomat last)
        budget_cents = (budget_cents if budget_cents is not None else np.zeros(size)) + \
            np.bincount(b_key, b_cents.astype(np.float64), size)
        files.append((budget_name, ""))
    if budget_cents is not None:
        ta = Column(ColumnKind.TA, y, 12, units[ColumnKind.TA])
        sums[ta] = budget_cents
        present[ta] = budget_cents != 0
    figures: dict[str, dict[str, dict[Column, float]]] = {}
    for col, total in sums.items():
        for k in np.nonzero(present[col] | (total != 0))[0]:
            area, line = areas[k // len(lines)], lines[k % len(lines)]
            figures.setdefault(area, {}).setdefault(line, {})[col] = float(total[k]) / 100.0 / col.unit
    cents_in = int(ledger.cents.sum())
    # What came out, summed back from the figures (this year's actual and last year's accounts).
    tot_now = Column(ColumnKind.TOT, y, m, units[ColumnKind.TOT])
    tp_prev = Column(ColumnKind.TP, y - 1, 12, units[ColumnKind.TP])
    cents_out = int(round(sum(v * c.unit * 100.0 for lines_ in figures.values() for vals in lines_.values()
                              for c, v in vals.items() if c in (tot_now, tp_prev))))
    tot_prev = Column(ColumnKind.TOT, y - 1, m, units[ColumnKind.TP])
    columns = (tp_prev, tot_prev, *(c for c in sums if c.kind is ColumnKind.TA), tot_now)
    return ImportResult(columns, figures, len(ledger), cents_in, cents_out, int(unallocated.sum()),
                        int(ledger.cents[unallocated].sum()), files, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
