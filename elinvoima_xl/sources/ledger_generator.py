"""Seeded generators of realistic ledger exports: one whose totals are exactly a review's figures, one city-scale.

`ledger_for_review` writes transaction rows (cost centre, account, date, amount) and a budget
file whose sums, through the mapping, are exactly the review's area figures: this year's
actual by month, last year's actual and accounts, and the budget. The amounts are split
into random parts in whole cents, so the totals hold to the cent. `city_ledger` makes a
large ledger for benchmarks (200 areas, a million rows by default).
"""

from __future__ import annotations

__all__ = ["city_ledger", "city_ledger_file", "ledger_for_review", "render_export", "review_entries"]

import calendar
from pathlib import Path

import numpy as np

from ..core.model import Review, column_roles
from ..core.structure import Kind
from .ledger import Mapping


def _fi_amount(cents: int, rng: np.random.Generator) -> str:
    """An amount as Finnish systems write it: "-1 234,56", "1 234,56-", with space or NBSP thousands."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    sep = "\u00a0" if rng.random() < 0.3 else " "
    text = f"{whole:,}".replace(",", sep) + f",{frac:02d}"
    if sign and rng.random() < 0.2:
        return text + "-"
    return sign + text


def _split(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    """`total` cents in `parts` random parts of the same sign that add up exactly."""
    if parts <= 1 or abs(total) < parts:
        return [total]
    w = rng.uniform(0.2, 1.0, parts)
    shares = np.floor(abs(total) * w / w.sum()).astype(np.int64)
    shares[-1] += abs(total) - int(shares.sum())
    return [int(s) * (1 if total >= 0 else -1) for s in shares]


Entry = tuple[int, int, int, int, int, int, str]      # cost centre, account, year, month, day, cents, text


def review_entries(review: Review, mapping: Mapping, seed: int = 2023) -> tuple[list[Entry], list[tuple[int, int, int]]]:
    """Ledger entries (income sign) and budget rows (centre, account, cents) whose sums are the review's area figures."""
    rng = np.random.default_rng(seed)
    roles = column_roles(review.columns)
    cols = review.columns
    actual, budget = cols[roles.actual], cols[roles.budget]
    y, m = actual.year, actual.months
    entries: list[Entry] = []
    budget_rows: list[tuple[int, int, int]] = []
    centre_ranges = {t: (a, b) for a, b, t in mapping.centres}
    account_ranges = {t: (a, b) for a, b, t in mapping.accounts}

    def emit(total_cents: int, year: int, first: int, last: int, what: str, c: tuple[int, int],
             a: tuple[int, int]) -> None:
        parts = _split(total_cents, int(rng.integers(2, 9)), rng)
        for cents in parts:
            month = int(rng.integers(first, last + 1))
            day = int(rng.integers(1, calendar.monthrange(year, month)[1] + 1))
            entries.append((int(rng.integers(c[0], c[1] + 1)), int(rng.integers(a[0], a[1] + 1)), year, month, day,
                            cents, what))

    for table in review.areas:
        if table.name not in centre_ranges:
            raise ValueError(f"no cost centre range for {table.name!r}")
        c = centre_ranges[table.name]
        for li, line in enumerate(table.structure.lines):
            if line.kind is not Kind.DETAIL or line.key not in account_ranges:
                continue
            a = account_ranges[line.key]
            vals = np.nan_to_num(table.values[li])
            tot = int(round(vals[roles.actual] * actual.unit * 100))
            if tot:
                emit(tot, y, 1, m, "kirjaus", c, a)
            if roles.prev_year is not None and roles.prev_period is not None:
                tp, pp = cols[roles.prev_year], cols[roles.prev_period]
                part = int(round(vals[roles.prev_period] * pp.unit * 100))
                whole = int(round(vals[roles.prev_year] * tp.unit * 100))
                if part:
                    emit(part, y - 1, 1, m, "edellinen vuosi", c, a)
                if whole - part:
                    if m == 12:
                        raise ValueError("last year's rest cannot fall in months after 12")
                    emit(whole - part, y - 1, m + 1, 12, "edellinen vuosi", c, a)
            ta = int(round(vals[roles.budget] * budget.unit * 100))
            if ta:
                for cents in _split(ta, int(rng.integers(1, 4)), rng):
                    budget_rows.append((int(rng.integers(c[0], c[1] + 1)), int(rng.integers(a[0], a[1] + 1)), cents))
    # every month of both years has bookings, as in a real ledger (a zero-sum pair where a month is empty)
    for year, last in ((y, m), (y - 1, 12)):
        seen = {e[3] for e in entries if e[2] == year}
        some = next(iter(centre_ranges.values()))
        acc = account_ranges.get("muut_toimintakulut", next(iter(account_ranges.values())))
        for month in range(1, last + 1):
            if month not in seen:
                entries += [(some[0], acc[0], year, month, 1, 100, "oikaisu"), (some[0], acc[0], year, month, 2, -100,
                                                                                 "oikaisu")]
    order = rng.permutation(len(entries))
    return [entries[i] for i in order], budget_rows


def ledger_for_review(review: Review, mapping: Mapping, seed: int = 2023) -> tuple[bytes, bytes]:
    """(ledger CSV, budget CSV) whose sums are the review's area figures, to the cent."""
    rng = np.random.default_rng(seed)
    roles = column_roles(review.columns)
    cols = review.columns
    actual, budget = cols[roles.actual], cols[roles.budget]
    y, m = actual.year, actual.months
    rows: list[str] = ["kustannuspaikka;tili;pvm;summa;selite"]
    budget_rows: list[str] = ["kustannuspaikka;tili;talousarvio"]
    centre_ranges = {t: (a, b) for a, b, t in mapping.centres}
    account_ranges = {t: (a, b) for a, b, t in mapping.accounts}

    def dates(year: int, first: int, last: int, k: int) -> list[str]:
        out = []
        for _ in range(k):
            month = int(rng.integers(first, last + 1))
            day = int(rng.integers(1, calendar.monthrange(year, month)[1] + 1))
            out.append(f"{day}.{month}.{year}")
        return out

    for table in review.areas:
        if table.name not in centre_ranges:
            raise ValueError(f"no cost centre range for {table.name!r}")
        c_lo, c_hi = centre_ranges[table.name]
        for li, line in enumerate(table.structure.lines):
            if line.kind is not Kind.DETAIL or line.key not in account_ranges:
                continue
            a_lo, a_hi = account_ranges[line.key]
            vals = np.nan_to_num(table.values[li])

            def emit(total_cents: int, year: int, first: int, last: int, what: str,
                     c_lo: int = c_lo, c_hi: int = c_hi, a_lo: int = a_lo, a_hi: int = a_hi) -> None:
                parts = _split(total_cents, int(rng.integers(2, 9)), rng)
                for cents, date in zip(parts, dates(year, first, last, len(parts))):
                    centre = int(rng.integers(c_lo, c_hi + 1))
                    account = int(rng.integers(a_lo, a_hi + 1))
                    rows.append(f"{centre};{account};{date};{_fi_amount(cents, rng)};{what}")

            tot = int(round(vals[roles.actual] * actual.unit * 100))
            if tot:
                emit(tot, y, 1, m, "kirjaus")
            if roles.prev_year is not None and roles.prev_period is not None:
                tp, pp = cols[roles.prev_year], cols[roles.prev_period]
                part = int(round(vals[roles.prev_period] * pp.unit * 100))
                whole = int(round(vals[roles.prev_year] * tp.unit * 100))
                if part:
                    emit(part, y - 1, 1, m, "edellinen vuosi")
                if whole - part:
                    if m == 12:
                        raise ValueError("last year's rest cannot fall in months after 12")
                    emit(whole - part, y - 1, m + 1, 12, "edellinen vuosi")
            ta = int(round(vals[roles.budget] * budget.unit * 100))
            if ta:
                for cents in _split(ta, int(rng.integers(1, 4)), rng):
                    centre = int(rng.integers(c_lo, c_hi + 1))
                    account = int(rng.integers(a_lo, a_hi + 1))
                    budget_rows.append(f"{centre};{account};{_fi_amount(cents, rng)}")
    body = rows[:1] + [rows[i] for i in 1 + rng.permutation(len(rows) - 1)]
    return ("\r\n".join(body) + "\r\n").encode("utf-8-sig"), ("\r\n".join(budget_rows) + "\r\n").encode("utf-8-sig")


_CENTRE_NAMES = ("hallinto", "palvelut", "hankkeet", "toiminta", "kehittäminen", "tuki", "yhteiset", "muut",
                 "projektit", "tilat")
_ACCOUNT_NAMES = {3: "Myyntituotot", 4: "Henkilöstökulut", 5: "Muut kulut", 6: "Rahoituserät", 1: "Käyttöomaisuus",
                  2: "Vieras pääoma"}


def _plain(cents: int) -> str:
    whole, frac = divmod(abs(cents), 100)
    return f"{whole},{frac:02d}"


def render_export(entries: list[Entry], style: str, seed: int = 1) -> bytes:
    """Entries (income sign) written as a Finnish accounting system would export them.

    Styles: `raindance` (report preamble, `Kustp;Tili;Tositepvm;…;Summa EUR`, code and name in one
    cell, UTF-8 with BOM, closing Yhteensä row), `basware` (Excel's Unicode text: UTF-16 with BOM,
    tab separated, Debet and Kredit, control totals of both), `heeros` (Windows-1252,
    `Kp;Tilinumero;Kirjauspvm;Selite;Määrä`, general-ledger sign debit +, trailing minus, no
    Debet/Kredit), `plain` (the README's example).
    """
    rng = np.random.default_rng(seed)
    out: list[str] = []
    if style == "raindance":
        out += ["Heinolan kaupunki;;;;;", "Pääkirjan tapahtumat kustannuspaikoittain;;;;;",
                "Ajettu 3.7.2023 klo 8.15;;;;;", "Kausi: 1-6/2023;;;;;", ";;;;;",
                "Kustp;Tili;Tositepvm;Tositenro;Selite;Summa EUR"]
        total = 0
        for n, (c, a, y, mo, d, x, t) in enumerate(entries):
            cname = f"{c} {_CENTRE_NAMES[c % 10].capitalize()}"
            aname = f"{a} {_ACCOUNT_NAMES.get(a // 1000, 'Muut')}"
            desc = f'"{t}; erä {n}"' if n % 7 == 0 else t
            out.append(f"{cname};{aname};{d:02d}.{mo:02d}.{y};{100000 + n};{desc};{_fi_amount(x, rng)}")
            total += x
        out.append(f"Yhteensä;;;;;{_fi_amount(total, rng)}")
        return ("\r\n".join(out) + "\r\n").encode("utf-8-sig")
    if style == "basware":
        out += ["Kustannuspaikka\tTilinumero\tKirjauspvm\tSelite\tDebet\tKredit"]
        debet = kredit = 0
        for c, a, y, mo, d, x, t in entries:
            dk = (_plain(-x), "") if x < 0 else ("", _plain(x))   # income sign: cost = debit, revenue = credit
            debet += -x if x < 0 else 0
            kredit += x if x > 0 else 0
            out.append(f"{c}\t{a}\t{y}-{mo:02d}-{d:02d}\t{t} äö\t{dk[0]}\t{dk[1]}")
        out.append(f"Yhteensä\t\t\t\t{_plain(debet)}\t{_plain(kredit)}")
        return ("\r\n".join(out) + "\r\n").encode("utf-16")
    if style == "heeros":
        out += ["Kp;Tilinumero;Kirjauspvm;Selite;Määrä"]
        for c, a, y, mo, d, x, t in entries:
            g = -x                                           # general-ledger sign: debit +
            amount = _plain(g) + ("-" if g < 0 else "")
            out.append(f"{c};{a};{d}.{mo}.{y};{t} (Hämeenkatu);{amount}")
        return ("\r\n".join(out) + "\r\n").encode("cp1252")
    if style == "plain":
        out += ["kustannuspaikka;tili;pvm;summa;selite"]
        out += [f"{c};{a};{d}.{mo}.{y};{_fi_amount(x, rng)};{t}" for c, a, y, mo, d, x, t in entries]
        return ("\r\n".join(out) + "\r\n").encode("utf-8")
    raise ValueError(f"unknown style {style!r}")


def _city_mapping(n_areas: int) -> Mapping:
    from .load import bundled_path
    from .ledger import read_mapping

    accounts = read_mapping(bundled_path("kohdistus.csv").read_bytes(), "kohdistus.csv").accounts
    centres = tuple((10_000 + 10 * i, 10_000 + 10 * i + 9, f"Palvelualue {i + 1:03d}") for i in range(n_areas))
    return Mapping(centres, accounts, "city")


def _city_chunk(rng: np.random.Generator, mapping: Mapping, n_rows: int, year: int, months: int) -> str:
    """`n_rows` ledger lines: 40 % this year's months 1..M, the rest all of last year."""
    n_areas = len(mapping.centres)
    centre = 10_000 + 10 * rng.integers(0, n_areas, n_rows) + rng.integers(0, 10, n_rows)
    acc_ranges = np.array([(a, b) for a, b, _ in mapping.accounts])
    pick = rng.integers(0, len(acc_ranges), n_rows)
    account = acc_ranges[pick, 0] + (rng.integers(0, 1 << 30, n_rows) % (acc_ranges[pick, 1] - acc_ranges[pick, 0] + 1))
    this_year = rng.random(n_rows) < 0.4
    yr = np.where(this_year, year, year - 1)
    month = np.where(this_year, rng.integers(1, months + 1, n_rows), rng.integers(1, 13, n_rows))
    day = rng.integers(1, 29, n_rows)
    cents = rng.integers(-5_000_000, 5_000_000, n_rows)
    whole, frac = np.divmod(np.abs(cents), 100)
    sign = np.where(cents < 0, "-", "")
    amount = np.char.add(np.char.add(sign, whole.astype(str)), np.char.add(",", np.char.zfill(frac.astype(str), 2)))
    date = np.char.add(np.char.add(np.char.add(day.astype(str), "."), np.char.add(month.astype(str), ".")), yr.astype(str))
    lines = np.char.add(np.char.add(np.char.add(centre.astype(str), ";"), np.char.add(account.astype(str), ";")),
                        np.char.add(np.char.add(date, ";"), amount))
    return "\n".join(lines.tolist()) + "\n"


def city_ledger(n_areas: int = 200, n_rows: int = 1_000_000, year: int = 2023, months: int = 6,
                seed: int = 7) -> tuple[bytes, Mapping]:
    """A large ledger CSV (this year's months 1..M and all of last year) and a mapping covering it."""
    rng = np.random.default_rng(seed)
    mapping = _city_mapping(n_areas)
    text = "kustannuspaikka;tili;pvm;summa\n" + _city_chunk(rng, mapping, n_rows, year, months)
    return text.encode("utf-8"), mapping


def city_ledger_file(path: Path, n_areas: int = 200, n_rows: int = 10_000_000, year: int = 2023, months: int = 12,
                     seed: int = 7, chunk: int = 500_000) -> Mapping:
    """A whole city's year written to `path` in chunks (10 million rows: about 290 MB), and its mapping."""
    rng = np.random.default_rng(seed)
    mapping = _city_mapping(n_areas)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("kustannuspaikka;tili;pvm;summa\n")
        for start in range(0, n_rows, chunk):
            f.write(_city_chunk(rng, mapping, min(chunk, n_rows - start), year, months))
    return mapping
