"""Ledger import: exports summed to areas × lines × months in exact cents, with the period and sign decided explicitly.

The rows stream in batches (`ledger_read`) into one small cube of whole cents: service area ×
target (income-statement line, balance sheet, fixed assets, investment group) × month of the
review year, month of last year, other years. From the cube come the columns the ledger
covers (this year's TOT of the period's months, last year's TOT of the same months, last
year's TP only from all twelve months), the sign convention, and every row that is left out,
with count and sum. Nothing is dropped silently: a row without a mapping, a row of the review
year after the period, a row of another year stops the import with a list (count, sum, first
rows with file and line) unless the user said how to treat it.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_MAPPING",
    "ImportResult",
    "LeftOut",
    "Mapping",
    "Period",
    "aggregate",
    "mapping_rows",
    "parse_period",
    "read_mapping",
]

import csv
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError, Place
from ..core.labels import match_label, normalize_label
from ..core.numbers import format_fi
from ..core.structure import INCOME_STATEMENT, Block, Kind
from .text import decode_text
from .ledger_read import Batch, ExportScan

DEFAULT_MAPPING = "kohdistus.csv"
UNALLOCATED_AREA = "Kohdistamattomat"
UNALLOCATED_LINE = "kohdistamattomat"
BALANCE = "tase"
FIXED_ASSETS = "kayttoomaisuus"
IntArray = npt.NDArray[np.int64]
DETAIL_KEYS = tuple(ln.key for ln in INCOME_STATEMENT.lines if ln.kind is Kind.DETAIL and ln.key != UNALLOCATED_LINE)
REVENUE_KEYS = frozenset(ln.key for ln in INCOME_STATEMENT.lines
                         if ln.kind is Kind.DETAIL and ln.block is Block.REVENUE)
EXPENSE_KEYS = frozenset(ln.key for ln in INCOME_STATEMENT.lines
                         if ln.kind is Kind.DETAIL and ln.block is Block.EXPENSE)


def _eur(cents: int) -> str:
    return format_fi(cents / 100, 2) + " €"


# ---------------------------------------------------------------------------- the mapping

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
    delim = max((";", "\t", ","), key=lambda d: lines[0].count(d))
    rows = [[c.strip() for c in row] for row in csv.reader(lines, delimiter=delim)]
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


# ---------------------------------------------------------------------------- period and sign

@dataclass(frozen=True)
class Period:
    """The review period 1..months/year; `explicit` when the user gave it (--period), not the data."""

    year: int
    months: int
    explicit: bool = False

    @property
    def label(self) -> str:
        return f"1–{self.months}/{self.year}"


def parse_period(text: str) -> Period:
    """'1-9/2023', '1–9/2023', '9/2023' or '2023-09' -> Period(2023, 9, explicit=True)."""
    import re

    t = text.strip().replace("–", "-").replace(" ", "")
    m = re.fullmatch(r"(?:1-)?(\d{1,2})/(\d{4})", t) or re.fullmatch(r"(\d{4})-(\d{1,2})", t)
    if m is None:
        raise InputError(f"kausi '{text}' ei kelpaa.", None,
                         "Anna kausi muodossa 1-9/2023 (kuukaudet 1–9 vuonna 2023).")
    a, b = int(m.group(1)), int(m.group(2))
    months, year = (a, b) if b > 12 else (b, a)
    if not 1 <= months <= 12:
        raise InputError(f"kauden '{text}' kuukausi {months} ei ole välillä 1–12.", None, "Anna esimerkiksi 1-6/2023.")
    return Period(year, months, explicit=True)


SIGN_INCOME = "income"        # revenue +, cost − (the review's own convention)
SIGN_DEBIT = "debit"          # general-ledger sign: debit +, credit −
SIGN_TEXT = {SIGN_INCOME: "tuloslaskelman etumerkki (tuotot +, kulut −)",
             SIGN_DEBIT: "kirjanpidon etumerkki (debet +, kredit −), käännetty"}


# ---------------------------------------------------------------------------- the cube

_SLOTS = 25         # months 1..12 of the review year, 1..12 of last year, any other year


@dataclass(frozen=True)
class LeftOut:
    """Rows read but in no figure, with why: balance sheet, fixed assets without a group, outside the period…"""

    what: str
    rows: int
    cents: int          # in the export's own sign

    def text(self) -> str:
        return f"{self.what}: {self.rows} riviä, {_eur(self.cents)}"


@dataclass
class _Examples:
    rows: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)   # row, kp, tili, y, m, cents

    def add(self, batch: Batch, mask: npt.NDArray[np.bool_]) -> None:
        if len(self.rows) >= 5 or not mask.any():
            return
        for i in np.nonzero(mask)[0][: 5 - len(self.rows)]:
            self.rows.append((int(batch.rows[i]), int(batch.centre[i]), int(batch.account[i]), int(batch.year[i]),
                              int(batch.month[i]), int(batch.cents[i])))


@dataclass
class _Cube:
    areas: list[str]
    targets: list[str]
    sums: IntArray
    counts: IntArray

    @classmethod
    def empty(cls, areas: list[str], targets: list[str], slots: int) -> _Cube:
        shape = (len(areas), len(targets), slots)
        return cls(areas, targets, np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64))

    def add(self, area: npt.NDArray[np.intp], target: npt.NDArray[np.intp], slot: IntArray, cents: IntArray) -> None:
        shape = self.sums.shape
        key = (area * shape[1] + target) * shape[2] + slot
        size = self.sums.size
        if float(np.abs(cents).sum()) < 2.0 ** 52:     # float sums of whole cents are exact below 2^53
            sums = np.rint(np.bincount(key, cents.astype(np.float64), size)).astype(np.int64)
        else:
            sums = np.zeros(size, dtype=np.int64)
            np.add.at(sums, key, cents)
        self.sums += sums.reshape(shape)
        self.counts += np.bincount(key, minlength=size).reshape(shape)


def _target_index(mapping: Mapping) -> tuple[list[str], npt.NDArray[np.intp]]:
    """Targets (income lines, kohdistamattomat, balance, fixed assets, investment groups ±) and a lookup table."""
    _idx, names = mapping.lookup(np.zeros(0, dtype=np.int64), "tili")
    targets = [*DETAIL_KEYS, UNALLOCATED_LINE, BALANCE, FIXED_ASSETS]
    groups = sorted({g for _a, _b, g in mapping.fixed if g})
    for g in groups:
        targets += [f"+{g}", f"-{g}"]
    def index(n: str) -> int:
        if n in targets:
            return targets.index(n)
        group = n.split(":", 1)[1]
        return targets.index(f"+{group}") if group else targets.index(FIXED_ASSETS)

    to_target = np.array([index(n) for n in names] + [targets.index(UNALLOCATED_LINE)], dtype=np.intp)
    return targets, to_target


# ---------------------------------------------------------------------------- the result

@dataclass
class ImportResult:
    """What a ledger gives: figures per area and column kind, what it covers, what was left out, and why."""

    period: Period
    sign: str
    sign_reason: str
    figures: dict[str, dict[str, dict[str, float]]]        # area -> line key -> column role -> euros (income sign)
    investments: dict[str, dict[str, dict[str, float]]]    # group -> tulot/menot -> column role -> euros
    covered: dict[str, str]                                 # column role -> "" (covered) or why not
    rows: int
    cents_in: int                                           # every amount read, in the export's own sign
    left_out: list[LeftOut]
    unallocated_rows: int
    unallocated_cents: int
    control_total: tuple[int, tuple[int, ...]] | None
    files: list[tuple[str, str]] = field(default_factory=list)
    time: str = ""
    encoding: str = ""
    budget_rows: int = 0
    cents_out: int = 0                                       # set by the importer from the written figures
    column_notes: list[str] = field(default_factory=list)    # per column: replaced or kept (set by the importer)
    subtotals: int = 0                                        # control subtotal rows checked besides the last
    page_heads: int = 0                                       # repeated page headers skipped (counted, not data)

    @property
    def cents_left_out(self) -> int:
        return sum(x.cents for x in self.left_out)

    def summary(self) -> str:
        text = (f"{self.rows} riviä, kausi {self.period.label}"
                f"{' (annettu)' if self.period.explicit else ' (tiedoista)'}; {SIGN_TEXT[self.sign]} "
                f"({self.sign_reason}); summa sisään {_eur(self.cents_in)}, summa ulos {_eur(self.cents_out)}")
        if self.left_out:
            text += "; jätetty pois " + "; ".join(x.text() for x in self.left_out)
        if self.page_heads:
            text += f"; sivunvaihtojen toistetut otsikkorivit {self.page_heads} (ei kirjauksia)"
        if self.unallocated_rows:
            text += f"; kohdistamattomia {self.unallocated_rows} riviä, {_eur(self.unallocated_cents)}"
        if self.control_total is not None:
            line, amounts = self.control_total
            text += f"; Yhteensä-rivi {line} ({' / '.join(_eur(c) for c in amounts)}) täsmää"
            if self.subtotals:
                text += f", samoin {self.subtotals} välisummaa"
        if self.column_notes:
            text += ". Sarakkeet: " + "; ".join(self.column_notes)
        return text + "."


def _rows_error(scan_name: str, line_of: object, examples: _Examples, count: int, cents: int, what: str,
                hint: str, extra: str = "", mapping: Mapping | None = None) -> InputError:
    def why(c: int, a: int) -> str:
        if mapping is None:
            return ""
        no_c = mapping.lookup(np.array([c], dtype=np.int64), "kustannuspaikka")[0][0] < 0
        no_a = mapping.lookup(np.array([a], dtype=np.int64), "tili")[0][0] < 0
        return f" ({', '.join(w for w, no in (('kustannuspaikka', no_c), ('tili', no_a)) if no)})"

    first = "; ".join(
        f"rivi {line_of(r)}: kp {c if c >= 0 else '(tyhjä)'}, tili {a}, "  # type: ignore[operator]
        f"{m}/{y}, {_eur(x)}{why(c, a)}" for r, c, a, y, m, x in examples.rows)
    line = line_of(examples.rows[0][0]) if examples.rows else None  # type: ignore[operator]
    more = "…" if count > len(examples.rows) else ""
    return InputError(f"{count} riviä ({_eur(cents)}) {what}: {first}{more}{extra}.",
                      Place(file=scan_name, line=line), hint)


def _months_text(months: list[int], year: int) -> str:
    return ", ".join(f"{m}/{year}" for m in months)


def aggregate(scan: ExportScan, mapping: Mapping, period: Period, budget: ExportScan | None = None,
              keep_unallocated: bool = False, sign: str | None = None,
              reference: dict[str, dict[str, dict[str, float]]] | None = None) -> ImportResult:
    """Stream the export into the cube and decide the columns it covers, its sign and what is left out.

    `reference` holds figures already in the data ({area: {line: {role: euros}}}, roles "tot",
    "ta", "tp") to compare the export's signs with; `sign` (income or debit) overrides the
    detection, as does a Debet/Kredit pair of columns.
    """
    y, m = period.year, period.months
    c_names = list(dict.fromkeys(t for _a, _b, t in mapping.centres))
    areas = [*c_names, UNALLOCATED_AREA]
    targets, to_target = _target_index(mapping)
    cube = _Cube.empty(areas, targets, _SLOTS)
    ex = {k: _Examples() for k in ("other", "late", "unmapped")}
    t_unalloc = targets.index(UNALLOCATED_LINE)
    t_special = {targets.index(BALANCE), targets.index(FIXED_ASSETS)} | \
        {i for i, t in enumerate(targets) if t[0] in "+-"}
    special_mask = np.zeros(len(targets), dtype=bool)
    special_mask[list(t_special)] = True
    own_budget = _Cube.empty(areas, targets, 1) if "talousarvio" in scan.roles else None
    for batch in scan.batches():
        c_idx, _ = mapping.lookup(batch.centre, "kustannuspaikka")
        a_idx, _ = mapping.lookup(batch.account, "tili")
        target = to_target[a_idx]                      # -1 (no range) -> the last entry: kohdistamattomat
        area = np.where(c_idx < 0, len(areas) - 1, c_idx)
        special = special_mask[target]
        area = np.where(special, len(areas) - 1, area)   # balance/fixed-asset rows need no area
        # investment groups: the export's positive rows on "+g", negative on "-g"
        inv = special & (target != targets.index(BALANCE)) & (target != targets.index(FIXED_ASSETS))
        target = np.where(inv & (batch.cents < 0), target + 1, target)
        slot = np.where(batch.year == y, batch.month - 1, np.where(batch.year == y - 1, 11 + batch.month, 24))
        cube.add(area, target, slot, batch.cents)
        if own_budget is not None and batch.budget is not None:
            own_budget.add(area, target, np.zeros(len(target), dtype=np.int64), batch.budget)
        ex["other"].add(batch, slot == 24)
        ex["late"].add(batch, (batch.year == y) & (batch.month > m))
        ex["unmapped"].add(batch, ~special & ((c_idx < 0) | (target == t_unalloc)))
    if scan.rows == 0:
        raise InputError("raportissa ei ole yhtään kirjausta.", Place(file=scan.name),
                         "Vie raportti, jossa on kirjauksia.")
    line_of = scan.line_of
    sums, counts = cube.sums, cube.counts
    # ---- rows of other years: stop
    n_other = int(counts[..., 24].sum())
    if n_other:
        raise _rows_error(scan.name, line_of, ex["other"], n_other, int(sums[..., 24].sum()),
                          f"ovat muulta vuodelta kuin {y - 1} tai {y}",
                          f"Tuonti tekee kauden {period.label} toteuman ja vuoden {y - 1} luvut; "
                          "poista muut vuodet raportista.")
    left_out: list[LeftOut] = []
    # ---- rows of the review year after the period: stop, unless the period was given
    late = slice(m, 12)
    n_late = int(counts[..., late].sum())
    if n_late:
        if not period.explicit:
            raise _rows_error(scan.name, line_of, ex["late"], n_late, int(sums[..., late].sum()),
                              f"ovat kauden {period.label} jälkeen",
                              f"Kausi {period.label} tulee tiedoista. Jos katsaus on pidempi, anna kausi "
                              f"(esim. --period 1-{max(mm for mm in range(1, 13) if counts[..., mm - 1].sum())}/{y}); "
                              "jos rivit ovat ylimääräisiä, poista ne raportista.")
        left_out.append(LeftOut(f"kauden {period.label} jälkeiset rivit", n_late, int(sums[..., late].sum())))
    # ---- what the ledger covers
    has_now = counts[..., :12].sum(axis=(0, 1)) > 0
    has_prev = counts[..., 12:24].sum(axis=(0, 1)) > 0
    covered: dict[str, str] = {}
    if has_now[:m].all():
        covered["tot"] = ""
    elif not has_now[:m].any():
        covered["tot"] = f"ei rivejä kaudelta {period.label}"
    else:
        gaps = [i + 1 for i in range(m) if not has_now[i]]
        raise InputError(f"kirjanpidosta puuttuvat kuukaudet {_months_text(gaps, y)}, vaikka kausi on {period.label}.",
                         Place(file=scan.name),
                         "Vie raportti koko kaudelta, tai anna lyhyempi kausi (--period).")
    covered["tot_prev"] = "" if has_prev[:m].all() else \
        (f"ei rivejä kaudelta 1–{m}/{y - 1}" if not has_prev[:m].any() else
         f"kuukaudet {_months_text([i + 1 for i in range(m) if not has_prev[i]], y - 1)} puuttuvat")
    covered["tp"] = "" if has_prev.all() else \
        (f"ei rivejä vuodelta {y - 1}" if not has_prev.any() else
         f"vuodesta {y - 1} puuttuvat kuukaudet {_months_text([i + 1 for i in range(12) if not has_prev[i]], y - 1)}")
    if not covered["tp"]:
        pass
    elif not covered["tot_prev"]:
        rest = slice(12 + m, 24)
        if counts[..., rest].sum():
            left_out.append(LeftOut(f"vuoden {y - 1} kuukaudet {m + 1}–12 (tilinpäätös ei kokonainen)",
                                    int(counts[..., rest].sum()), int(sums[..., rest].sum())))
    elif counts[..., 12:24].sum():
        left_out.append(LeftOut(f"vuoden {y - 1} rivit ({covered['tot_prev']})", int(counts[..., 12:24].sum()),
                                int(sums[..., 12:24].sum())))
    # ---- balance sheet and fixed assets without a group, in the months that make figures
    used = np.zeros(_SLOTS, dtype=bool)
    used[:m] = True
    if not covered["tp"]:
        used[12:24] = True
    elif not covered["tot_prev"]:
        used[12:12 + m] = True
    for t, what in ((targets.index(BALANCE), "taseen tilit"),
                    (targets.index(FIXED_ASSETS), "käyttöomaisuustilit ilman investointiryhmää")):
        n = int(counts[:, t][:, used].sum())
        if n:
            left_out.append(LeftOut(what, n, int(sums[:, t][:, used].sum())))
    # ---- unallocated: stop, unless asked to keep them visibly
    income_t = np.array([i for i, t in enumerate(targets) if i not in t_special])
    un = np.zeros(sums.shape[:2], dtype=bool)
    un[len(areas) - 1, income_t] = True
    un[:, t_unalloc] = True
    n_un = int(counts[un][:, used].sum())
    c_un = int(sums[un][:, used].sum())
    if n_un and not keep_unallocated:
        raise _rows_error(scan.name, line_of, ex["unmapped"], n_un, c_un, "ilman kohdistusta",
                          f"Lisää kustannuspaikat ja tilit kohdistustaulukkoon ({mapping.source or DEFAULT_MAPPING}) "
                          "tai tuo ne näkyviin riville Kohdistamattomat (--kohdistamattomat).", mapping=mapping)
    # ---- budget
    budget_cube = None
    budget_rows = 0
    if budget is not None:
        budget_cube = _Cube.empty(areas, targets, 1)
        bex = _Examples()
        for batch in budget.batches():
            c_idx, _ = mapping.lookup(batch.centre, "kustannuspaikka")
            a_idx, _ = mapping.lookup(batch.account, "tili")
            target = to_target[a_idx]
            special = special_mask[target]
            area = np.where(special | (c_idx < 0), len(areas) - 1, c_idx)
            amount = batch.budget if batch.budget is not None else batch.cents
            budget_cube.add(area, target, np.zeros(len(target), dtype=np.int64), amount)
            bex.add(Batch(batch.centre, batch.account, batch.year, batch.month, amount, None, batch.rows),
                    ~special & ((c_idx < 0) | (target == t_unalloc)))
            budget_rows += len(amount)
        bn = int(budget_cube.counts[un].sum())
        if bn and not keep_unallocated:
            raise _rows_error(budget.name, budget.line_of, bex, bn, int(budget_cube.sums[un].sum()),
                              "ilman kohdistusta", "Lisää kustannuspaikat ja tilit kohdistustaulukkoon.")
    elif own_budget is not None:
        budget_cube = own_budget
    # ---- the sign convention: the budget's from its own lines, the export's against it or the data
    b_sign = None
    if budget_cube is not None:
        b_sign = SIGN_DEBIT if budget is not None and budget.has_debet_kredit else \
            (sign or _intrinsic(budget_cube.sums[..., 0], targets))
    chosen, reason = _decide_sign(scan, sums, targets, areas, m, sign, reference, budget_cube, b_sign)
    flip = -1 if chosen == SIGN_DEBIT else 1
    b_flip = -1 if (b_sign or chosen) == SIGN_DEBIT else 1
    # ---- figures
    roles: dict[str, slice | list[int]] = {"tot": slice(0, m), "tot_prev": slice(12, 12 + m), "tp": slice(12, 24)}
    figures: dict[str, dict[str, dict[str, float]]] = {}
    investments: dict[str, dict[str, dict[str, float]]] = {}
    for role, sl in roles.items():
        if covered[role]:
            continue
        total = sums[..., sl].sum(axis=-1)
        present = counts[..., sl].sum(axis=-1) > 0
        _put(figures, investments, total, present, areas, targets, t_special, role, flip)
    if budget_cube is not None:
        covered["ta"] = ""
        _put(figures, investments, budget_cube.sums[..., 0], budget_cube.counts[..., 0] > 0, areas, targets,
             t_special, "ta", b_flip)
    else:
        covered["ta"] = "ei talousarviota (--budget)"
    for _a, _b, g in mapping.fixed:
        if g:
            investments.setdefault(g, {})
    files = [(scan.name, scan.sha256)] + ([(budget.name, budget.sha256)] if budget is not None else [])
    result = ImportResult(period, chosen, reason, figures, investments, covered, scan.rows, scan.cents_in, left_out,
                          n_un, c_un, scan.control_total(), files,
                          datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), scan.encoding, budget_rows,
                          subtotals=max(len(scan.totals) - 1, 0), page_heads=scan.page_heads)
    return result


def _put(figures: dict[str, dict[str, dict[str, float]]], investments: dict[str, dict[str, dict[str, float]]],
         total: IntArray, present: npt.NDArray[np.bool_], areas: list[str], targets: list[str], special: set[int],
         role: str, flip: int) -> None:
    for a, t in zip(*np.nonzero(present | (total != 0))):
        name = targets[t]
        cents = int(total[a, t]) * flip
        if t in special:
            if name[0] in "+-" and cents:
                # income sign: a positive amount is investment income (TULOT), a negative one spending (MENOT)
                line = investments.setdefault(name[1:], {}).setdefault("tulot" if cents > 0 else "menot", {})
                line[role] = line.get(role, 0.0) + cents / 100
            continue
        figures.setdefault(areas[a], {})[name] = {**figures.get(areas[a], {}).get(name, {}), role: cents / 100}


def _decide_sign(scan: ExportScan, sums: IntArray, targets: list[str], areas: list[str], m: int, sign: str | None,
                 reference: dict[str, dict[str, dict[str, float]]] | None, budget_cube: _Cube | None,
                 b_sign: str | None) -> tuple[str, str]:
    """Debet/Kredit columns, else --sign, else the export's signs against the budget's / the data's, else stop."""
    if scan.has_debet_kredit:
        return SIGN_DEBIT, "Debet- ja Kredit-sarakkeista"
    if sign is not None:
        return sign, "annettu (--sign)"
    agree = disagree = 0.0
    source = ""
    t_index = {t: i for i, t in enumerate(targets)}
    now = sums[..., :m].sum(axis=-1)
    prev = sums[..., 12:24].sum(axis=-1)
    if budget_cube is not None and b_sign is not None:
        b = budget_cube.sums[..., 0]
        agree, disagree = _compare(now, b if b_sign == SIGN_INCOME else -b, targets)
        source = "verrattu talousarvion samoihin riveihin"
    if agree + disagree == 0 and reference:
        ref_now = np.zeros_like(now, dtype=np.float64)
        ref_prev = np.zeros_like(prev, dtype=np.float64)
        for ai, area in enumerate(areas):
            for key, vals in reference.get(area, {}).items():
                if key in t_index:
                    ref_now[ai, t_index[key]] = vals.get("tot", vals.get("ta", 0.0)) or 0.0
                    ref_prev[ai, t_index[key]] = vals.get("tp", 0.0) or 0.0
        a1, d1 = _compare(now, ref_now, targets)
        a2, d2 = _compare(prev, ref_prev, targets)
        agree, disagree = a1 + a2, d1 + d2
        source = "verrattu tietojen samoihin riveihin"
    if agree + disagree > 0:
        share = agree / (agree + disagree)
        if share >= 0.8:
            return SIGN_INCOME, f"{source}: {share * 100:.0f} % samanmerkkisiä"
        if share <= 0.2:
            return SIGN_DEBIT, f"{source}: {(1 - share) * 100:.0f} % vastakkaismerkkisiä"
    else:
        own = _intrinsic(now + prev, targets)
        if own is not None:
            return own, "tuotto- ja kulutilien saldoista"
    why = "tuottotilien ja talousarvion/tietojen etumerkit ristiriidassa" if agree + disagree else "ei vertailukohtaa"
    raise InputError(f"kirjanpidon etumerkkiä ei voi päätellä luotettavasti ({why}).",
                     Place(file=scan.name),
                     "Anna etumerkki: --sign income (tuotot +, kulut −) tai --sign debit (kirjanpidon debet +); "
                     "Excelissä rivi 'etumerkki;debet' tai 'etumerkki;tulos' välilehdelle Tuontiprofiili.")


def _compare(ledger: IntArray, ref: npt.NDArray[np.float64] | IntArray, targets: list[str]) -> tuple[float, float]:
    cols = [i for i, t in enumerate(targets) if t in REVENUE_KEYS or t in EXPENSE_KEYS]
    lg = ledger[:, cols].astype(np.float64)
    rf = np.asarray(ref, dtype=np.float64)[:, cols]
    both = (lg != 0) & (rf != 0)
    same = both & (np.sign(lg) == np.sign(rf))
    return float(np.abs(lg[same]).sum()), float(np.abs(lg[both & ~same]).sum())


def _intrinsic(total: IntArray, targets: list[str]) -> str | None:
    """Revenue lines net positive and cost lines net negative: the income sign; the other way round: debit."""
    rev = int(sum(total[:, i].sum() for i, t in enumerate(targets) if t in REVENUE_KEYS))
    cost = int(sum(total[:, i].sum() for i, t in enumerate(targets) if t in EXPENSE_KEYS))
    if rev > 0 and cost < 0 or (rev == 0 and cost < 0) or (cost == 0 and rev > 0):
        return SIGN_INCOME
    if rev < 0 and cost > 0 or (rev == 0 and cost > 0) or (cost == 0 and rev < 0):
        return SIGN_DEBIT
    return None
