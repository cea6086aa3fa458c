"""Reading accounting-system exports as they arrive: encoding, report preamble, header by meaning, rows in chunks.

An export is read in batches of arrays (cost centre, account, year, month, amount in cents),
so a city's year streams in bounded memory. Nothing is lost on the way: every physical line
of the file is accounted for (preamble, header, data rows, blank or padding rows, control
total rows), counted from the raw bytes independently of the CSV parser; a difference (an
unclosed quote, a value spanning lines) stops the import naming the line. A closing
`Yhteensä` row is a control total the import's own sum must equal to the cent.

Here the scan (`scan_export`: encoding by `text.utf8_bytes`, header by `ledger_header`) and
the streaming of rows (`ExportScan.batches`, cells parsed by `ledger_values`); the line
accounting and the control totals are `ledger_lines.ExportLines`, which `ExportScan` extends.
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

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError, Place
from .ledger_header import ROLE_NAMES, Profile, find_header, read_profile
from .ledger_lines import ExportLines, physical_lines
from .ledger_values import AMOUNT_LIMIT_EUR, BoolArray, IntArray, blank_cells, parse_cents, parse_codes, parse_dates
from .text import utf8_bytes


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
class ExportScan(ExportLines):
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
    report_lines: list[tuple[int, str]] = field(default_factory=list)   # (line, text) of footers etc. (counted)
    _verified: bool = False

    @property
    def has_debet_kredit(self) -> bool:
        """Debit and credit told apart: two columns, or a Summa with a D/K column."""
        return "debet" in self.roles or "kredit" in self.roles or "puoli" in self.roles

    @property
    def period_column(self) -> bool:
        return "pvm" not in self.roles

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
        account, acc_ok = parse_codes(cols["tili"])
        if not acc_ok.all():     # rows without an account: blank or padding, a control total, or an error
            odd = np.nonzero(~acc_ok)[0]
            empty = np.ones(len(odd), dtype=bool)
            for arr in cols.values():
                empty &= blank_cells(arr.take(odd))
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
        centre, centre_ok = parse_codes(cols["kustannuspaikka"]) if "kustannuspaikka" in cols else \
            (np.full(len(rows), -1, dtype=np.int64), np.ones(len(rows), dtype=bool))
        centre_empty = (blank_cells(cols["kustannuspaikka"]) if "kustannuspaikka" in cols and not centre_ok.all()
                        else None)
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
            year, month, ok = parse_dates(cols["pvm"], period=False)
            what, col = "päivämäärä", cols["pvm"]
        else:
            year, month, ok = parse_dates(cols["jakso"], period=True)
            what, col = "jakso", cols["jakso"]
            if not ok.all() and "vuosi" in cols:      # Jakso 1..12 beside a Vuosi / Tilikausi column
                alone, alone_ok = parse_codes(cols["jakso"])
                years, years_ok = parse_codes(cols["vuosi"])
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
        cents, bad, euros = parse_cents(cols[role])
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


def scan_export(data: bytes, name: str, wanted: tuple[str, ...] = ("kustannuspaikka", "tili", "pvm", "summa"),
                profile: Profile | None = None) -> ExportScan:
    """Locate an export's header and columns (CSV or .xlsx); the rows are read by `ExportScan.batches`."""
    if not data or (data[:1 << 16].isspace() and data.isspace()):     # no copy of a large file
        raise InputError("tiedosto on tyhjä.", Place(file=name), "Vie kirjanpidon raportti uudelleen.")
    digest = hashlib.sha256(data).hexdigest()
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return _scan_xlsx(data, name, digest, wanted, profile)
    body, start, encoding = utf8_bytes(data, name)
    if b"\n" not in body[start:start + (1 << 20)] and b"\r" in body[start:start + (1 << 20)]:
        body, start = body[start:].replace(b"\r", b"\n"), 0      # old Mac line ends
    head = body[start:start + (1 << 18)].decode("utf-8", "ignore")
    lines = head.splitlines()[:200]
    if len(head) == (1 << 18) and lines:
        lines = lines[:-1]
    idx, delim, cells, roles = find_header(lines, wanted, profile, name)
    pos = start
    for _ in range(idx + 1):
        nxt = body.find(b"\n", pos)
        pos = len(body) if nxt < 0 else nxt + 1
    import pyarrow as pa

    buf = pa.py_buffer(body).slice(pos)
    physical = physical_lines(body, start)
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
    idx, _d, cells, roles = find_header(lines, wanted, profile, name, delimiters=("\t",))
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
