"""Reading accounting-system exports as they arrive: encoding, report preamble, header by meaning, rows in chunks.

An export is read in batches of arrays (cost centre, account, year, month, amount in cents),
so a city's year streams in bounded memory. Nothing is lost on the way: every physical line
of the file is accounted for (preamble, header, data rows, blank or padding rows, control
total rows), counted from the raw bytes independently of the CSV parser; a difference (an
unclosed quote, a value spanning lines) stops the import naming the line. A closing
`Yhteensä` row is a control total the import's own sum must equal to the cent.

Encodings: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text", tab
separated) and Windows-1252. A byte that is neither UTF-8 nor Windows-1252 (0x81, 0x8D,
0x8F, 0x90, 0x9D) stops the import naming its line: the file is then in some other code page
(an old DOS export, cp850, would read as wrong letters), so it is re-saved as UTF-8 rather
than guessed.
"""

from __future__ import annotations

__all__ = [
    "AMOUNT_LIMIT_EUR",
    "Batch",
    "ExportScan",
    "Profile",
    "ROLE_NAMES",
    "read_profile",
    "scan_export",
]

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError, NumberFormatError, Place
from ..core.numbers import format_fi, parse_fi_number
from . import refuse_binary

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
AMOUNT_LIMIT_EUR = 1e12          # an amount beyond ±10^12 € is a broken file, not a booking
_CHUNK = 1 << 24

# Column names by meaning, as Finnish systems head them (after _norm: lower case, no punctuation, € -> eur).
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
_LABELS = {"kustannuspaikka": "kustannuspaikka", "tili": "tili", "pvm": "päivämäärä (tai jakso)",
           "jakso": "jakso", "summa": "summa (tai Debet ja Kredit)", "debet": "Debet", "kredit": "Kredit",
           "talousarvio": "talousarvio", "vuosi": "vuosi", "puoli": "D/K"}
_TOTAL_WORDS = ("yhteensä", "yhteensa", "yht.", "kaikki yhteensä", "loppusumma", "total", "summa yhteensä")


def _norm(text: object) -> str:
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
    if body and _norm(body[0][0]) in ("sarake", "rooli", "kenttä"):
        body = body[1:]
    for n, row in enumerate(body, start=2):
        cells = [str(c).strip() for c in row] + ["", ""]
        role, head = _norm(cells[0]), cells[1]
        if role == "etumerkki":
            if _norm(head) not in ("debet", "debit", "tulos", "income"):
                raise InputError(f"etumerkki '{head}' on tuntematon.", Place(file=name, line=n),
                                 "Etumerkki on debet (kirjanpidon etumerkki) tai tulos (tuotot +, kulut −).")
            sign = "debit" if _norm(head) in ("debet", "debit") else "income"
            continue
        if role not in ROLE_NAMES:
            raise InputError(f"sarakkeen rooli '{cells[0]}' on tuntematon.", Place(file=name, line=n),
                             f"Roolit: {', '.join(ROLE_NAMES)}, etumerkki.")
        if not head:
            raise InputError(f"roolin '{cells[0]}' otsikko puuttuu.", Place(file=name, line=n),
                             "Kirjoita toiseen sarakkeeseen otsikko sellaisenaan kuin raportissa.")
        columns[role] = head
    return Profile(columns, sign, name)


@dataclass
class Batch:
    """Parsed data rows: codes, period, amount in cents (in the export's own sign), and their row numbers."""

    centre: IntArray          # -1 where the row has no cost centre
    account: IntArray
    year: IntArray
    month: IntArray
    cents: IntArray
    budget: IntArray | None
    rows: IntArray            # index among the export's data rows, for line numbers


@dataclass
class ExportScan:
    """A located export: its header and columns; `batches()` streams the rows, then `verify()` must pass."""

    name: str
    sha256: str
    encoding: str
    delimiter: str
    header_line: int                   # 1-based line (or sheet row) of the header
    heads: list[str]
    roles: dict[str, int]
    body: Any                          # pyarrow buffer of the data after the header, or a table (.xlsx)
    physical_lines: int
    xlsx: bool = False
    rows: int = 0                       # data rows read
    padding: int = 0                    # blank rows and rows of only separators
    invalid: list[tuple[int, str]] = field(default_factory=list)    # (line, text) the CSV parser set aside
    totals: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)   # control total rows (line, cents)
    cents_in: int = 0
    debet_cents: int = 0
    kredit_cents: int = 0
    _specials: list[tuple[int, list[str], list[str] | None]] = field(default_factory=list)  # rows without an account
    _running: dict[int, tuple[int, int, int]] = field(default_factory=dict)   # row position -> sums of rows before
    preamble: list[str] = field(default_factory=list)       # the lines before the header, as written
    page_heads: int = 0                                       # repeated header / preamble / page lines (counted)
    _verified: bool = False

    @property
    def has_debet_kredit(self) -> bool:
        """Debit and credit told apart: two columns, or a Summa with a D/K column."""
        return "debet" in self.roles or "kredit" in self.roles or "puoli" in self.roles

    @property
    def _two_columns(self) -> bool:
        return "debet" in self.roles or "kredit" in self.roles

    @property
    def period_column(self) -> bool:
        return "pvm" not in self.roles

    # -------------------------------------------------------------- line numbers

    def line_of(self, row: int) -> int:
        """The file's line (or sheet row) of data row `row` (0-based among the rows the parser returned)."""
        line = self.header_line + 1 + int(row)
        for skipped, _ in self.invalid:
            if skipped <= line:
                line += 1
            else:
                break
        return line

    def place(self, row: int | None = None) -> Place:
        return Place(file=self.name, line=None if row is None else self.line_of(row))

    # -------------------------------------------------------------- streaming

    def batches(self) -> Iterator[Batch]:
        """Every data row once, in batches; padding and control total rows are set aside and counted."""
        offset = 0
        for table in self._tables():
            batch = self._parse(table, offset)
            offset += table.num_rows
            if batch is not None:
                yield batch
        self._finish(offset)

    def _tables(self) -> Iterator[Any]:
        if self.xlsx:
            yield self.body
            return
        import pyarrow as pa
        import pyarrow.csv as pacsv

        if self.body.size <= 1 << 16 and not self.body.to_pybytes().strip():
            return      # only the header (and blank lines): no rows
        names = [f"c{i}" for i in range(len(self.heads))]
        wanted = sorted(set(self.roles.values()))

        def on_invalid(row: Any) -> str:
            line = self.header_line + int(row.number) if row.number is not None else -1
            self.invalid.append((line, row.text))
            return "skip"

        try:
            reader = pacsv.open_csv(
                pa.BufferReader(self.body),
                read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 23, use_threads=False),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter, invalid_row_handler=on_invalid,
                                                 ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                     include_columns=[names[i] for i in wanted],
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False))
            for record_batch in reader:
                self._check_invalid()
                yield pa.Table.from_batches([record_batch]).rename_columns(
                    [f"c{i}" for i in wanted])
        except pa.ArrowInvalid as exc:
            self._check_invalid()
            raise InputError(f"CSV:tä ei voi lukea ({exc}).", Place(file=self.name),
                             "Vie raportti uudelleen.") from None
        self._check_invalid()

    def _check_invalid(self) -> None:
        for line, text in self.invalid:
            if "\n" in text or "\r" in text:
                raise InputError("lainausmerkki jää auki tai kenttä jatkuu seuraavalle riville.",
                                 Place(file=self.name, line=line if line > 0 else None),
                                 "Poista tai sulje lainausmerkki (\") tällä rivillä ja vie raportti uudelleen.")

    def _column(self, table: Any, role: str) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        col = table.column(f"c{self.roles[role]}")
        col = pc.cast(col, pa.string()) if col.type != pa.string() else col
        return pc.fill_null(col, "") if col.null_count else col      # trimmed only where a fast parse fails

    def _parse(self, table: Any, offset: int) -> Batch | None:
        import pyarrow.compute as pc

        n = table.num_rows
        if n == 0:
            return None
        rows = np.arange(offset, offset + n, dtype=np.int64)
        cols = {role: self._column(table, role) for role in self.roles}
        account, acc_ok = _codes(cols["tili"])
        if not acc_ok.all():     # rows without an account: blank or padding, a control total, or an error
            odd = np.nonzero(~acc_ok)[0]
            empty = np.ones(len(odd), dtype=bool)
            for arr in cols.values():
                empty &= _blank(arr.take(odd))
            self.padding += int(empty.sum())
            if (~empty).any():
                self._set_aside(odd[~empty], rows, cols, table)
        keep = acc_ok
        if not keep.all():
            idx = np.nonzero(keep)[0]
            cols = {k: v.take(idx) for k, v in cols.items()}
            rows, account = rows[idx], account[idx]
        if len(rows) == 0:
            self._resolve(offset + n, rows, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
                          np.zeros(0, dtype=np.int64))
            return None
        centre, centre_ok = _codes(cols["kustannuspaikka"]) if "kustannuspaikka" in cols else \
            (np.full(len(rows), -1, dtype=np.int64), np.ones(len(rows), dtype=bool))
        centre_empty = _blank(cols["kustannuspaikka"]) if "kustannuspaikka" in cols and not centre_ok.all() else None
        if centre_empty is not None:
            centre = np.where(centre_empty, -1, centre)
            bad = ~centre_ok & ~centre_empty
            if bad.any():
                raise self._bad(rows, bad, cols["kustannuspaikka"], "kustannuspaikka",
                                "Kustannuspaikan pitää alkaa numerolla (esim. 1101 tai '1101 Hallinto').")
        if "pvm" not in cols and "jakso" not in cols:      # a budget file: no dates
            year = month = np.zeros(len(rows), dtype=np.int64)
            ok = np.ones(len(rows), dtype=bool)
            what, col = "", cols["tili"]
        elif "pvm" in cols:
            year, month, ok = _dates(cols["pvm"], period=False)
            what, col = "päivämäärä", cols["pvm"]
        else:
            year, month, ok = _dates(cols["jakso"], period=True)
            what, col = "jakso", cols["jakso"]
            if not ok.all() and "vuosi" in cols:      # Jakso 1..12 beside a Vuosi / Tilikausi column
                alone, alone_ok = _codes(cols["jakso"])
                years, years_ok = _codes(cols["vuosi"])
                use = ~ok & alone_ok & years_ok
                year, month = np.where(use, years, year), np.where(use, alone, month)
                ok = (year >= 1900) & (year <= 2199) & (month >= 1) & (month <= 12)
        if not ok.all():
            raise self._bad(rows, ~ok, col, what,
                            "Päivämäärä muodossa 31.3.2023 tai 2023-03-31; jakso muodossa 3/2023, 2023-03 tai 202303.")
        if self._two_columns:
            debet = self._amount(cols, "debet", rows)
            kredit = self._amount(cols, "kredit", rows)
            cents = debet - kredit
        elif "puoli" in cols:       # Summa with a D/K column (D = debit, K = credit)
            amount = self._amount(cols, "summa", rows)
            side = np.asarray(pc.utf8_upper(pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(cols["puoli"]), 0, 1)))
            bad = ~np.isin(side, ["D", "K", "C"])
            if bad.any():
                raise self._bad(rows, bad, cols["puoli"], "D/K-merkintä",
                                "D/K-sarakkeessa pitää olla D (debet) tai K (kredit).")
            debet = np.where(side == "D", amount, 0)
            kredit = np.where(side == "D", 0, amount)
            cents = debet - kredit
        else:
            cents = self._amount(cols, "summa", rows)
            debet = kredit = np.zeros(0, dtype=np.int64)
        self._resolve(offset + n, rows, cents, debet, kredit)
        self.debet_cents += int(debet.sum())
        self.kredit_cents += int(kredit.sum())
        budget = self._amount(cols, "talousarvio", rows) if "talousarvio" in cols else None
        self.rows += len(rows)
        self.cents_in += int(cents.sum())
        return Batch(centre, account, year, month, cents, budget, rows)

    def _resolve(self, end: int, rows: IntArray, cents: IntArray, debet: IntArray, kredit: IntArray) -> None:
        """Sums of the data rows before each possible control total row up to row position `end`."""
        wanted = {row for row, _v, _w in self._specials if row not in self._running}
        for k, (line, _text) in enumerate(self.invalid):
            g = line - self.header_line - 1 - k
            if g not in self._running and g <= end:
                wanted.add(g)
        if not wanted:
            return
        sums = [np.concatenate(([0], np.cumsum(a))) if len(a) else np.zeros(1, dtype=np.int64)
                for a in (cents, debet, kredit)]
        for g in wanted:
            k = int(np.searchsorted(rows, g))
            self._running[g] = (self.cents_in + int(sums[0][min(k, len(sums[0]) - 1)]),
                                self.debet_cents + int(sums[1][min(k, len(sums[1]) - 1)] if len(debet) else 0),
                                self.kredit_cents + int(sums[2][min(k, len(sums[2]) - 1)] if len(kredit) else 0))

    def _amount(self, cols: dict[str, Any], role: str, rows: IntArray) -> IntArray:
        if role not in cols:
            return np.zeros(len(rows), dtype=np.int64)
        cents, bad, euros = _cents(cols[role])
        if bad.any():
            raise self._bad(rows, bad, cols[role], role if role != "summa" else "summa",
                            "Luvun muoto on esimerkiksi -1 234,56 tai 1 234,56-.")
        huge = np.abs(euros) > AMOUNT_LIMIT_EUR
        if huge.any():
            raise self._bad(rows, huge, cols[role], f"{role} on yli 10^12 € (ei ole kirjaus)",
                            "Tarkista rivi kirjanpidon järjestelmästä ja vie raportti uudelleen.", verb="")
        return cents

    def _bad(self, rows: IntArray, mask: BoolArray, col: Any, what: str, hint: str, verb: str = "ei kelpaa"
             ) -> InputError:
        where = np.nonzero(mask)[0]
        values = col.take(where[:5]).to_pylist()
        spans = [i for i, v in zip(where, values) if "\n" in str(v) or "\r" in str(v)]
        if spans:      # a quote left open swallowed the next lines into this field
            return InputError("lainausmerkki jää auki tai kenttä jatkuu seuraavalle riville.",
                              self.place(int(rows[spans[0]])),
                              "Poista tai sulje lainausmerkki (\") tällä rivillä ja vie raportti uudelleen.")
        def shown(v: object) -> str:   # a 400-digit "amount" is named, not printed whole
            t = str(v)
            return t if len(t) <= 40 else t[:20] + "…" + t[-5:]

        first = ", ".join(f"rivi {self.line_of(int(rows[i]))}: '{shown(v)}'" for i, v in zip(where[:5], values))
        more = "…" if len(where) > 5 else ""
        text = f"{len(where)} riviä, joiden {what}{' ' + verb if verb else ''} ({first}{more})."
        return InputError(text, self.place(int(rows[where[0]])), hint)

    def _set_aside(self, idx: npt.NDArray[np.intp], rows: IntArray, cols: dict[str, Any], table: Any) -> None:
        if len(self._specials) + len(idx) > 10_000:
            raise self._bad(rows, np.isin(np.arange(len(rows)), idx), cols["tili"], "tili puuttuu tai ei ole numero",
                            "Tilin pitää alkaa numerolla (esim. 3001 tai '3001 Myyntituotot').", verb="")
        values = {k: v.take(idx).to_pylist() for k, v in cols.items()}
        every = [table.column(i).take(idx).to_pylist() for i in range(table.num_columns)] if self.xlsx else None
        for j, i in enumerate(idx):
            whole = [("" if col[j] is None else str(col[j])) for col in every] if every is not None else None
            self._specials.append((int(rows[i]), [str(values[k][j]) for k in cols], whole))

    # -------------------------------------------------------------- the end: every line accounted for

    def _finish(self, parsed: int) -> None:
        # Rows the CSV parser set aside (other field count): blank, padding, a control total, or an error.
        self._running_at: dict[int, tuple[int, int, int]] = {}
        for k, (line, text) in enumerate(self.invalid):
            cells = next(csv.reader([text], delimiter=self.delimiter), [])
            if not any(c.strip() for c in cells):
                self.padding += 1
                continue
            if self._page_line(cells):
                self.page_heads += 1
                continue
            if _is_total(cells):
                self.totals.append((line, self._total_amounts(cells, line, by_position=False)))
                self._running_at[line] = self._running.get(line - self.header_line - 1 - k,
                                                           (self.cents_in, self.debet_cents, self.kredit_cents))
                continue
            raise InputError(f"rivillä on {len(cells)} saraketta, otsikkorivillä {len(self.heads)}: '{text[:80]}'.",
                             Place(file=self.name, line=line if line > 0 else None),
                             "Tiedosto voi olla katkennut tai erotin väärä; vie raportti uudelleen.")
        # Rows with the right field count but no account: a control total or an error.
        order = list(self.roles)
        for row, values, whole in self._specials:
            line = self.line_of(row)
            if whole is not None:
                cells = whole
            elif _is_total(values):
                cells = values
            else:
                cells = next(csv.reader([self._raw_line(line)], delimiter=self.delimiter), [])
            if self._page_line(cells):
                self.page_heads += 1
                continue
            if _is_total(cells):
                by_role = dict(zip(order, values))
                self.totals.append((line, self._total_amounts(by_role, line, by_position=True)))
                self._running_at[line] = self._running.get(row, (self.cents_in, self.debet_cents, self.kredit_cents))
                continue
            account = values[order.index("tili")]
            raise InputError(f"tili puuttuu tai ei ole numero ('{account}').", Place(file=self.name, line=line),
                             "Tilin pitää alkaa numerolla (esim. 3001 tai '3001 Myyntituotot'); "
                             "yhteissummarivillä pitää lukea Yhteensä.")
        self.invalid.sort()
        self._verify_lines(parsed)
        self._verify_total()
        self._verified = True

    def _page_line(self, cells: list[str]) -> bool:
        """A report's page break: the header or a preamble line repeated, or a page number line ("Sivu 2/5")."""
        text = [_norm(c) for c in cells if str(c).strip()]
        if not text:
            return False
        if text == [_norm(h) for h in self.heads if h.strip()]:
            return True
        if any(text == [_norm(c) for c in next(csv.reader([p], delimiter=self.delimiter), []) if c.strip()]
               for p in self.preamble if p.strip()):
            return True
        return len(text) == 1 and re.fullmatch(r"(sivu|page|s)\s*\d+(\s*\d+)?", text[0]) is not None

    def _raw_line(self, line: int) -> str:
        """Text of one line of the body (slow path: only for the few rows set aside)."""
        view = memoryview(self.body)
        target = line - self.header_line - 1          # 0-based line within the body
        pos = 0
        while target > 0 and pos < len(view):         # whole chunks skipped by counting, no copy of the file
            chunk = view[pos:pos + _CHUNK].tobytes()
            count = chunk.count(b"\n")
            if count < target:
                pos, target = pos + len(chunk), target - count
                continue
            at = -1
            for _ in range(target):
                at = chunk.find(b"\n", at + 1)
            pos, target = pos + at + 1, 0
        text = view[pos:pos + 4096].tobytes().split(b"\n", 1)[0]
        return text.decode("utf-8", "replace").rstrip("\r")

    def _total_amounts(self, cells: Any, line: int, by_position: bool) -> tuple[int, ...]:
        """The control total's amounts: (summa,) or (debet, kredit)."""
        roles = ("debet", "kredit") if self._two_columns else ("summa",)
        place = Place(file=self.name, line=line)
        if by_position:
            texts = [cells.get(r, "") for r in roles]
        else:   # a total row with another field count: its numbers, in order
            numbers = [c for c in cells if _looks_like_amount(c)]
            if len(numbers) != len(roles):
                raise InputError(f"yhteissummarivin summia ei tunnistettu ({'; '.join(cells)}).", place,
                                 "Yhteensä-rivillä pitää olla summa samassa sarakkeessa kuin kirjauksilla.")
            texts = numbers
        out = []
        for t in texts:
            try:
                v = parse_fi_number(t, place)
            except NumberFormatError:
                raise InputError(f"yhteissumma '{t}' ei ole luku.", place, "Tarkista Yhteensä-rivi.") from None
            out.append(int(round((v or 0.0) * 100)))
        return tuple(out)

    def _verify_lines(self, parsed: int) -> None:
        accounted = self.header_line + parsed + len(self.invalid)
        if accounted == self.physical_lines:
            return
        line = self._first_multiline_record()
        raise InputError(
            f"tiedostossa on {self.physical_lines} riviä, mutta luettiin {accounted}: "
            + ("lainausmerkki jää auki tai kenttä jatkuu usealle riville." if line else "rivejä katosi lukiessa."),
            Place(file=self.name, line=line),
            "Poista tai sulje lainausmerkki (\") tällä rivillä ja vie raportti uudelleen.")

    def _first_multiline_record(self) -> int | None:
        data = self.body.to_pybytes() if hasattr(self.body, "to_pybytes") else bytes(self.body)
        reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""), delimiter=self.delimiter)
        last = 0
        for _row in reader:
            if reader.line_num - last > 1:
                return self.header_line + last + 1
            last = reader.line_num
        return None

    def _verify_total(self) -> None:
        if not self.totals:
            return
        self.totals.sort()
        two = self._two_columns
        pick = (lambda r: (r[1], r[2])) if two else (lambda r: (r[0],))
        before: tuple[int, ...] = (0, 0) if two else (0,)
        gross_before = 0
        for line, amounts in self.totals:
            running = pick(self._running_at[line])
            segment = tuple(a - b for a, b in zip(running, before))
            gross = self._running_at[line][1] + self._running_at[line][2]
            gross_segment = gross - gross_before
            before, gross_before = running, gross
            # a group's subtotal (rows since the previous total row) or a running / grand total;
            # with a D/K column the total may also be of debits and credits alike
            allowed = [segment, running] + ([(gross_segment,), (gross,)] if "puoli" in self.roles else [])
            if tuple(amounts) in allowed:
                continue
            ours = segment if line != self.totals[-1][0] else running
            self._total_error(line, amounts, ours)

    def _total_error(self, line: int, amounts: tuple[int, ...], ours: tuple[int, ...]) -> None:
        def eur(c: int) -> str:
            return format_fi(c / 100, 2) + " €"

        raise InputError(
            f"kirjausten summa {' / '.join(eur(c) for c in ours)} ei täsmää Yhteensä-riviin "
            f"{' / '.join(eur(c) for c in amounts)} (ero {' / '.join(eur(a - b) for a, b in zip(ours, amounts))}).",
            Place(file=self.name, line=line),
            "Raportista puuttuu rivejä tai siinä on ylimääräisiä; vie se uudelleen.")

    def control_total(self) -> tuple[int, tuple[int, ...]] | None:
        return self.totals[-1] if self.totals else None

    @property
    def verified(self) -> bool:
        return self._verified


# ------------------------------------------------------------------------------ vectorised parsing

def _codes(strings: Any) -> tuple[IntArray, BoolArray]:
    """Leading integer codes ('1101', '1101 Työllisyys', '1101 - Hallinto'); ok False where there is none."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        codes = np.asarray(pc.cast(strings, pa.int64()))
        if (codes >= 0).all():
            return codes, np.ones(len(codes), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    found = pc.extract_regex(pc.utf8_trim_whitespace(strings), r"^(?P<c>\d{1,15})(?:$|[\s\-–:])")
    ok = np.asarray(pc.fill_null(pc.is_valid(found), False))
    digits = pc.fill_null(pc.struct_field(found, "c"), "0")
    return np.asarray(pc.cast(digits, pa.int64())), ok


def _cents(strings: Any) -> tuple[IntArray, BoolArray, npt.NDArray[np.float64]]:
    """Finnish amounts ('-1 234,56', '1 234,56-', NBSP thousands, '1234.5', '1.234,56') to cents; empty = 0."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(strings)
    try:   # the common case: plain "-1234,56" or "1234.56", one cast
        euros = np.asarray(pc.cast(pc.replace_substring(strings, ",", "."), pa.float64()))
        if np.isfinite(euros).all() and (np.abs(euros) <= AMOUNT_LIMIT_EUR).all():
            return np.round(euros * 100.0).astype(np.int64), np.zeros(n, dtype=bool), euros
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    s = pc.utf8_trim_whitespace(strings)
    for space in ("\u00a0", "\u202f", " ", "€"):
        s = pc.replace_substring(s, space, "")
    s = pc.replace_substring_regex(s, "(?i)eur(oa)?$", "")
    s = pc.replace_substring(s, "\u2212", "-")
    trailing = pc.fill_null(pc.ends_with(s, "-"), False)
    s = pc.if_else(trailing, pc.binary_join_element_wise("-", pc.utf8_slice_codeunits(s, 0, -1), ""), s)
    s = pc.replace_substring(s, ",", ".")
    empty = np.asarray(pc.fill_null(pc.equal(s, ""), True))
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(s, r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"), False))
    s = pc.if_else(pa.array(ok), s, "0")
    euros = np.asarray(pc.cast(s, pa.float64())).copy()
    euros[empty] = 0.0
    rest = np.nonzero(~ok & ~empty)[0]
    bad = np.zeros(n, dtype=bool)
    if len(rest):     # the few left: thousands dots, parentheses… one by one
        texts = strings.take(rest).to_pylist()
        for i, t in zip(rest, texts):
            try:
                v = parse_fi_number(t)
            except NumberFormatError:
                v = None
            if v is None:
                bad[i] = True
            else:
                euros[i] = v
    euros[~np.isfinite(euros)] = np.inf
    bad |= np.isnan(euros)
    safe = np.where(np.abs(euros) <= AMOUNT_LIMIT_EUR, euros, 0.0)
    return np.round(safe * 100.0).astype(np.int64), bad, np.where(bad, 0.0, euros)


def _dates(strings: Any, period: bool) -> tuple[IntArray, IntArray, BoolArray]:
    """Year and month from '31.3.2023', '2023-03-31', '31.03.2023 00:00', '20230331' (pvm) or
    '3/2023', '03.2023', '2023-03', '2023/03', '202303' (jakso); ok False where unreadable."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(strings)
    if not period:
        parsed = pc.strptime(strings, format="%d.%m.%Y", unit="s", error_is_null=True)
        if parsed.null_count:
            parsed = pc.coalesce(parsed, pc.strptime(pc.utf8_slice_codeunits(strings, 0, 10), format="%Y-%m-%d",
                                                     unit="s", error_is_null=True))
        if not parsed.null_count:
            seconds = np.asarray(parsed.cast(pa.int64())).astype("datetime64[s]")
            months = seconds.astype("datetime64[M]").astype(np.int64)
            return months // 12 + 1970, months % 12 + 1, np.ones(n, dtype=bool)
    strings = pc.utf8_trim_whitespace(strings)
    patterns = ([r"^(?P<m>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})$", r"^(?P<y>\d{4})\s*[-/.]?\s*(?P<m>\d{1,2})$"] if period
                else [r"^\d{1,2}\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?:$|\s)",
                      r"^(?P<y>\d{4})-(?P<m>\d{1,2})-\d{1,2}(?:$|[\sT])",
                      r"^\d{1,2}\.(?P<m>\d{1,2})\.(?P<y>\d{2})$",
                      r"^(?P<y>\d{4})(?P<m>\d{2})\d{2}$", r"^\d{1,2}/(?P<m>\d{1,2})/(?P<y>\d{4})$"])
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    for pattern in patterns:
        found = pc.extract_regex(strings, pattern)
        valid = np.asarray(pc.fill_null(pc.is_valid(found), False)) & (year == 0)
        if valid.any():
            ys = np.asarray(pc.cast(pc.fill_null(pc.struct_field(found, "y"), "0"), pa.int64()))
            ms = np.asarray(pc.cast(pc.fill_null(pc.struct_field(found, "m"), "0"), pa.int64()))
            year = np.where(valid, ys, year)
            month = np.where(valid, ms, month)
    if not period:   # an Excel date serial written as a number (an .xlsx date cell without date format)
        serial = np.asarray(pc.fill_null(pc.match_substring_regex(strings, r"^\d{5}(\.0+)?$"), False)) & (year == 0)
        if serial.any():
            days = np.asarray(pc.cast(pc.if_else(pa.array(serial), strings, "0"), pa.float64())).astype(np.int64)
            dates = np.datetime64("1899-12-30") + days.astype("timedelta64[D]")
            ys = dates.astype("datetime64[Y]").astype(np.int64) + 1970
            ms = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
            year = np.where(serial, ys, year)
            month = np.where(serial, ms, month)
    year = np.where((year > 0) & (year < 100), year + 2000, year)     # 31.3.23
    ok = (year >= 1900) & (year <= 2199) & (month >= 1) & (month <= 12)
    return year, month, ok


def _blank(strings: Any) -> BoolArray:
    """Empty or whitespace-only cells."""
    import pyarrow.compute as pc

    return np.asarray(pc.fill_null(pc.binary_length(pc.utf8_trim_whitespace(strings)), 0)) == 0


def _looks_like_amount(text: str) -> bool:
    try:
        return parse_fi_number(text) is not None and bool(re.search(r"\d", text))
    except NumberFormatError:
        return False


def _is_total(cells: list[str] | Any) -> bool:
    texts = [_norm(c) for c in cells]
    return any(t.startswith(w.rstrip(".")) or t.endswith(w.rstrip(".")) for t in texts if t for w in _TOTAL_WORDS)


# ------------------------------------------------------------------------------ locating the header

def _physical_lines(data: bytes, start: int) -> int:
    """Lines as a reader of the raw bytes counts them: "\n", "\r\n" and a lone "\r" each end one."""
    if len(data) <= start:
        return 0
    lf = data.count(b"\n", start)
    cr = data.count(b"\r", start) if data.find(b"\r", start) >= 0 else 0
    crlf = data.count(b"\r\n", start) if cr else 0
    return lf + cr - crlf + (0 if data[-1:] in (b"\n", b"\r") else 1)


def _decode(data: bytes, name: str) -> tuple[bytes, int, str]:
    """The export as UTF-8 bytes, where its text starts (after a BOM), and its encoding's name."""
    refuse_binary(data, name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].decode("utf-16", "replace").count("\n") + 1
            raise InputError("UTF-16-tiedostossa on virheellinen merkki.", Place(file=name, line=line),
                             "Tallenna raportti uudelleen (Excel: Unicode-teksti tai CSV UTF-8).") from None
        return text.encode("utf-8"), 0, "UTF-16"
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    if data.isascii():
        return data, start, "UTF-8"
    if data[start:start + 4000].count(b"\x00") > 100:   # UTF-16 without a BOM
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if "\n" in text[:4000]:
                return text.encode("utf-8"), 0, "UTF-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(start, len(data), _CHUNK):
            decoder.decode(view[i:i + _CHUNK], final=i + _CHUNK >= len(data))
        return data, start, "UTF-8-BOM" if start else "UTF-8"
    except UnicodeDecodeError:
        if start:
            raise InputError("tiedosto alkaa UTF-8-tunnisteella, mutta siinä on muita kuin UTF-8-merkkejä.",
                             Place(file=name), "Tallenna raportti uudelleen UTF-8-muodossa.") from None
    out = bytearray()        # transcoded in chunks: a single-byte code page has no characters across them
    try:
        for i in range(0, len(data), _CHUNK):
            at = i
            out += data[i:i + _CHUNK].decode("cp1252").encode("utf-8")
        return out, 0, "Windows-1252"     # type: ignore[return-value]
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, at + exc.start) + 1
        raise InputError(
            f"tavu 0x{data[at + exc.start]:02X} ei ole UTF-8- eikä Windows-1252-merkki, joten merkistöä ei voi päätellä.",
            Place(file=name, line=line),
            "Tallenna raportti UTF-8-muodossa (Excel: CSV UTF-8) ja tuo se uudelleen.") from None


def _roles(cells: list[str], profile: Profile | None) -> dict[str, int]:
    norm = [_norm(c) for c in cells]
    found: dict[str, int] = {}
    if profile is not None:
        for role, head in profile.columns.items():
            if _norm(head) in norm:
                found[role] = norm.index(_norm(head))
    taken = set(found.values())
    for role, aliases in ROLE_NAMES.items():
        if role in found:
            continue
        for alias in aliases:      # aliases in order of preference (e.g. Kirjauspvm before Tositepvm)
            if alias in norm and norm.index(alias) not in taken:
                found[role] = norm.index(alias)
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


def _header(lines: list[str], wanted: tuple[str, ...], profile: Profile | None, name: str,
            delimiters: tuple[str, ...] = (";", "\t", ",")) -> tuple[int, str, list[str], dict[str, int]]:
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
    missing = [_LABELS[r] for r in _missing(found, wanted)]
    raise InputError(
        f"otsikkorivistä puuttuu {', '.join(missing)}; löytyi otsikko '{'; '.join(c.strip() for c in cells)[:200]}'.",
        where,
        "Raportissa pitää olla sarakkeet kustannuspaikka, tili, päivämäärä tai jakso ja summa (tai Debet ja Kredit). "
        "Muut otsikot: anna sarakeprofiili (--profile), esim. rivi 'tili;Pääkirjanpidon tili'.")


def scan_export(data: bytes, name: str, wanted: tuple[str, ...] = ("kustannuspaikka", "tili", "pvm", "summa"),
                profile: Profile | None = None) -> ExportScan:
    """Locate an export's header and columns (CSV or .xlsx); the rows are read by `ExportScan.batches`."""
    if not data or (data[:1 << 16].isspace() and data.isspace()):     # no copy of a large file
        raise InputError("tiedosto on tyhjä.", Place(file=name), "Vie kirjanpidon raportti uudelleen.")
    digest = hashlib.sha256(data).hexdigest()
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return _scan_xlsx(data, name, digest, wanted, profile)
    body, start, encoding = _decode(data, name)
    if b"\n" not in body[start:start + (1 << 20)] and b"\r" in body[start:start + (1 << 20)]:
        body, start = body[start:].replace(b"\r", b"\n"), 0      # old Mac line ends
    head = body[start:start + (1 << 18)].decode("utf-8", "ignore")
    lines = head.splitlines()[:200]
    if len(head) == (1 << 18) and lines:
        lines = lines[:-1]
    idx, delim, cells, roles = _header(lines, wanted, profile, name)
    pos = start
    for _ in range(idx + 1):
        nxt = body.find(b"\n", pos)
        pos = len(body) if nxt < 0 else nxt + 1
    import pyarrow as pa

    buf = pa.py_buffer(body).slice(pos)
    physical = _physical_lines(body, start)
    return ExportScan(name, digest, encoding, delim, idx + 1, [c.strip() for c in cells], roles, buf, physical,
                      preamble=lines[:idx])


def _scan_xlsx(data: bytes, name: str, digest: str, wanted: tuple[str, ...], profile: Profile | None) -> ExportScan:
    import fastexcel
    import pyarrow as pa

    try:
        reader = fastexcel.read_excel(data)
        sheet = reader.load_sheet(0, header_row=None, schema_sample_rows=None, dtypes="string")
        table = sheet.to_arrow()
    except Exception:  # noqa: BLE001 - calamine reports a broken file in many ways
        raise InputError(("tiedostoa ei voi avata Excel-työkirjana: se ei ole .xlsx- tai .xlsm-tiedosto, "
                          "tai se on vioittunut."), Place(file=name),
                         "Tallenna raportti .xlsx-muodossa.") from None
    first_row = _xlsx_first_row(data)
    top = table.slice(0, 200).to_pylist()
    lines = ["\t".join("" if v is None else str(v).replace("\t", " ") for v in row.values()) for row in top]
    idx, _d, cells, roles = _header(lines, wanted, profile, name, delimiters=("\t",))
    body = table.slice(idx + 1)
    body = pa.table({f"c{i}": body.column(i) for i in range(body.num_columns)})
    scan = ExportScan(name, digest, "xlsx", "\t", first_row + idx, [c.strip() for c in cells], roles, body,
                      first_row - 1 + table.num_rows, xlsx=True)
    return scan


def _xlsx_first_row(data: bytes) -> int:
    """The sheet row where the first sheet's used range starts (calamine drops empty leading rows)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            sheets = sorted(n for n in z.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
            with z.open(sheets[0]) as f:
                head = f.read(1 << 16).decode("utf-8", "ignore")
        m = re.search(r'<row [^>]*r="(\d+)"', head)
        return int(m.group(1)) if m else 1
    except (KeyError, IndexError, zipfile.BadZipFile):
        return 1
