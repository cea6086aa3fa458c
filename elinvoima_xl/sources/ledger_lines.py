"""Every line of an export accounted for: line numbers, padding, page headers, report lines, control totals."""

from __future__ import annotations

__all__ = ["ExportLines", "physical_lines"]

import csv
import io
import re
from typing import Any

from ..core.errors import InputError, NumberFormatError, Place
from ..core.numbers import format_fi, parse_fi_number
from .ledger_header import norm
from .ledger_values import is_total, looks_like_amount

_CHUNK = 1 << 24       # bytes of the body searched at a time for one line


class ExportLines:
    """The line accounting of `ExportScan` (its fields are declared there): where each row came from,
    what was set aside, and the control totals checked at the end."""

    name: str
    delimiter: str
    header_line: int
    heads: list[str]
    roles: dict[str, int]
    body: Any
    physical_lines: int
    padding: int
    invalid: list[tuple[int, str]]
    totals: list[tuple[int, tuple[int, ...]]]
    cents_in: int
    debet_cents: int
    kredit_cents: int
    _specials: list[tuple[int, list[str], list[str] | None]]
    _running: dict[int, tuple[int, int, int]]
    preamble: list[str]
    page_heads: int
    report_lines: list[tuple[int, str]]
    _verified: bool

    @property
    def _two_columns(self) -> bool:
        return "debet" in self.roles or "kredit" in self.roles

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
            if is_total(cells):
                self.totals.append((line, self._total_amounts(cells, line, by_position=False)))
                self._running_at[line] = self._running.get(line - self.header_line - 1 - k,
                                                           (self.cents_in, self.debet_cents, self.kredit_cents))
                continue
            if _report_line(cells):
                self.report_lines.append((line, _text_of(cells)))
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
            elif is_total(values):
                cells = values
            else:
                cells = next(csv.reader([self._raw_line(line)], delimiter=self.delimiter), [])
            if self._page_line(cells):
                self.page_heads += 1
                continue
            if is_total(cells):
                by_role = dict(zip(order, values))
                self.totals.append((line, self._total_amounts(by_role, line, by_position=True)))
                self._running_at[line] = self._running.get(row, (self.cents_in, self.debet_cents, self.kredit_cents))
                continue
            if _report_line(cells):
                self.report_lines.append((line, _text_of(cells)))
                continue
            account = values[order.index("tili")]
            raise InputError(f"tili puuttuu tai ei ole numero ('{account}').", Place(file=self.name, line=line),
                             "Tilin pitää alkaa numerolla (esim. 3001 tai '3001 Myyntituotot'); "
                             "yhteissummarivillä pitää lukea Yhteensä.")
        self.invalid.sort()
        self.report_lines.sort()
        self._verify_lines(parsed)
        self._verify_total()
        self._verified = True

    def _page_line(self, cells: list[str]) -> bool:
        """A report's page break: the header or a preamble line repeated, or a page number line ("Sivu 2/5")."""
        text = [norm(c) for c in cells if str(c).strip()]
        if not text:
            return False
        if text == [norm(h) for h in self.heads if h.strip()]:
            return True
        if any(text == [norm(c) for c in next(csv.reader([p], delimiter=self.delimiter), []) if c.strip()]
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
            numbers = [c for c in cells if looks_like_amount(c)]
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


def _report_line(cells: list[str]) -> bool:
    """A line a report prints around its rows ("Tulostettu 12.7.2023 klo 10.15", "Raportti päättyy", a rule of
    dashes): no cell of it is a number by itself. A code or an amount in any cell makes it a data row, never skipped."""
    texts = [str(c).strip() for c in cells if str(c).strip()]
    return bool(texts) and not any(looks_like_amount(t) for t in texts)


def _text_of(cells: list[str]) -> str:
    return " ".join(" ".join(str(c).split()) for c in cells if str(c).strip())


def physical_lines(data: bytes, start: int) -> int:
    """Lines as a reader of the raw bytes counts them: "\n", "\r\n" and a lone "\r" each end one."""
    if len(data) <= start:
        return 0
    lf = data.count(b"\n", start)
    cr = data.count(b"\r", start) if data.find(b"\r", start) >= 0 else 0
    crlf = data.count(b"\r\n", start) if cr else 0
    return lf + cr - crlf + (0 if data[-1:] in (b"\n", b"\r") else 1)

