"""The review as plain typed data: columns with unit and period, tables, areas, text tables.

Figures live in numpy arrays over a structure's line axis (NaN = not printed / not given),
one column per period column. Nothing here does I/O; see `sources` for readers.
"""

from __future__ import annotations

__all__ = [
    "Column",
    "ColumnKind",
    "ColumnRoles",
    "Figure",
    "Goal",
    "Kpi",
    "LabelIssue",
    "LabelNote",
    "Level",
    "Review",
    "Risk",
    "Source",
    "Table",
    "column_roles",
]

import re
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .errors import InputError, Place
from .structure import SignConvention, Structure

FloatArray = npt.NDArray[np.float64]


class ColumnKind(str, Enum):
    TP = "TP"      # tilinpäätös: a whole year's actual
    TOT = "TOT"    # toteuma: actual of the first `months` months
    TA = "TA"      # talousarvio: budget with amendments


class Level(StrEnum):
    """Which table of the review: the data file's `taso`, word for word."""

    DIVISION = "toimiala"          # the division's income statement as printed
    COUNCIL = "valtuusto"          # the council's TULOT / MENOT / NETTO as printed
    AREA = "palvelualue"           # a service area's income statement
    INVESTMENT = "investointi"     # one investment group
    INVESTMENTS = "investoinnit"   # the division's investment total as printed


class Figure(StrEnum):
    """What a figure read from a source is: a period column's, or the printed Jäljellä or %."""

    COLUMN = "col"
    REMAINING = "rem"
    PCT = "pct"


class LabelIssue(StrEnum):
    """What is wrong with a printed line label; unknown and repeated rows are errors (their figures are not used)."""

    UNKNOWN = "unknown"        # no line of the structure means it
    REPEATED = "repeated"      # the table prints the line twice; the first is used
    SPELLING = "spelling"      # matched by spelling, not exactly
    MISPLACED = "misplaced"    # an exact label standing in the other block

    @property
    def is_error(self) -> bool:
        return self in (LabelIssue.UNKNOWN, LabelIssue.REPEATED)


class LabelNote(NamedTuple):
    """A printed label the check report names: the line's key ("" when unknown), the Finnish note, where, what."""

    key: str
    note: str
    source: Source
    issue: LabelIssue


@dataclass(frozen=True)
class Column:
    """One period column; `unit` is how many euros one printed unit is (1 or 1000)."""

    kind: ColumnKind
    year: int
    months: int = 12
    unit: int = 1

    @property
    def key(self) -> str:
        if self.kind is ColumnKind.TOT:
            return f"tot_{self.year}_{self.months}kk"
        return f"{self.kind.value.lower()}_{self.year}"

    @cached_property
    def label(self) -> str:
        """Heading as the review prints it: "TP 2022", "TOT 2023 6 kk", "TA 2023 +muutos"."""
        if self.kind is ColumnKind.TOT:
            return f"TOT {self.year} {self.months} kk"
        if self.kind is ColumnKind.TA:
            return f"TA {self.year} +muutos"
        return f"TP {self.year}"

    @property
    def unit_label(self) -> str:
        return "1000 €" if self.unit == 1000 else "€"

    @property
    def heading(self) -> str:
        """The data file's column heading: label and unit, e.g. "TP 2022 (1000 €)"."""
        return f"{self.label} ({self.unit_label})"

    @classmethod
    def parse(cls, text: str, place: Place | None = None, default_months: int | None = None) -> Column:
        """Read a heading such as "TP 2022 1000e", "TOT 2022 6 kk/1000e", "TA 2023 +muutos (€)"."""
        t = " ".join(text.replace("\u00a0", " ").split())
        m = re.match(r"^(TP|TOT|TA)[\s-]*(\d{4})\b(.*)$", t, re.IGNORECASE)
        if not m:
            raise InputError(
                f"sarakeotsikkoa {text!r} ei tunnistettu.", place,
                "Otsikon muoto on esimerkiksi 'TP 2022 (1000 €)', 'TOT 2023 1-6 kk (€)' tai 'TA 2023 (€)'.",
            )
        kind = ColumnKind(m.group(1).upper())
        rest = m.group(3)
        unit = 1000 if re.search(r"1000|1 000|t€|teur", rest, re.IGNORECASE) else 1
        months = 12
        if kind is ColumnKind.TOT:
            mm = re.search(r"(?:(\d{1,2})\s*[-–]\s*)?(\d{1,2})\s*kk", rest) or re.search(
                r"(\d{1,2})\s*[-–/]\s*(\d{1,2})\b", rest)
            if mm:
                months = int(mm.group(2))
            elif default_months is not None:
                months = default_months
            else:
                raise InputError(f"sarakkeesta {text!r} puuttuu kuukausimäärä.", place,
                                 "Kirjoita toteumasarakkeeseen jakso, esimerkiksi 'TOT 2023 6 kk'.")
            if not 1 <= months <= 12:
                raise InputError(f"sarakkeen {text!r} kuukausimäärä {months} ei ole välillä 1–12.", place)
        return cls(kind, int(m.group(2)), months, unit)


@dataclass(frozen=True)
class ColumnRoles:
    """Which column plays which part in the arithmetic, found from the periods, not positions."""

    budget: int
    actual: int
    prev_year: int | None
    prev_period: int | None
    months: int


def column_roles(columns: tuple[Column, ...], place: Place | None = None) -> ColumnRoles:
    """Budget = the latest TA; actual = TOT of that year; previous = TP and TOT of the year before."""
    tas = [i for i, c in enumerate(columns) if c.kind is ColumnKind.TA]
    if not tas:
        raise InputError("talousarviosarake (TA) puuttuu.", place, "Lisää sarake, esimerkiksi 'TA 2023 (€)'.")
    budget = max(tas, key=lambda i: columns[i].year)
    year = columns[budget].year
    actuals = [i for i, c in enumerate(columns) if c.kind is ColumnKind.TOT and c.year == year]
    if not actuals:
        raise InputError(f"toteumasarake vuodelle {year} (TOT {year}) puuttuu.", place,
                         f"Lisää sarake, esimerkiksi 'TOT {year} 6 kk (€)'.")
    actual = actuals[0]
    months = columns[actual].months
    prev_year = next((i for i, c in enumerate(columns) if c.kind is ColumnKind.TP and c.year == year - 1), None)
    prev_period = next((i for i, c in enumerate(columns)
                        if c.kind is ColumnKind.TOT and c.year == year - 1 and c.months == months), None)
    return ColumnRoles(budget, actual, prev_year, prev_period, months)


@dataclass(frozen=True)
class Source:
    """Where a row came from, for messages: file and line, or sheet and row."""

    file: str | None = None
    line: int | None = None
    sheet: str | None = None
    row: int | None = None

    def cell(self, column_letter: str | None = None) -> str | None:
        if self.sheet and self.row is not None:
            return f"{self.sheet}!{column_letter or 'A'}{self.row}"
        return None

    def __str__(self) -> str:
        if self.sheet and self.row is not None:
            return f"{self.sheet}!A{self.row}"
        if self.file and self.line is not None:
            return f"{self.file}:{self.line}"
        return self.file or ""


@dataclass
class Table:
    """One printed table: figures per line and period column, plus printed Jäljellä and %.

    `values[i, j]` is line i (of `structure.lines`) in column j; NaN where not printed.
    `printed_remaining` / `printed_pct` hold what a published report printed (NaN if none),
    so the checks can compare them with what the arithmetic gives.
    """

    name: str
    structure: Structure
    columns: tuple[Column, ...]
    values: FloatArray
    printed_remaining: FloatArray
    printed_pct: FloatArray
    labels: dict[str, str] = field(default_factory=dict)          # line key -> label as printed
    sources: dict[str, Source] = field(default_factory=dict)      # line key -> where it came from
    label_notes: list[LabelNote] = field(default_factory=list)

    @classmethod
    def empty(cls, name: str, structure: Structure, columns: tuple[Column, ...]) -> Table:
        n = len(structure.lines)
        return cls(name, structure, columns, np.full((n, len(columns)), np.nan),
                   np.full(n, np.nan), np.full(n, np.nan))

    @property
    def given(self) -> npt.NDArray[np.bool_]:
        """Figures given (lines × columns); NaN is absent, which is not zero (`calc.resolve`)."""
        return ~np.isnan(self.values)

    @property
    def present(self) -> npt.NDArray[np.bool_]:
        """Lines that were printed (any figure given)."""
        return ~np.all(np.isnan(self.values), axis=1) | ~np.isnan(self.printed_remaining)

    def put(self, line_index: int, what: Figure, column: int, number: float | None) -> None:
        """Store one figure read from a source: a period column's, the printed Jäljellä or the printed %."""
        if number is None:
            return
        match Figure(what):
            case Figure.COLUMN:
                self.values[line_index, column] = number
            case Figure.REMAINING:
                self.printed_remaining[line_index] = number
            case Figure.PCT:
                self.printed_pct[line_index] = number

    def value(self, key: str, column: int) -> float:
        return float(self.values[self.structure.index[key], column])


@dataclass(frozen=True)
class Goal:
    """A strategic goal row; the heads write `status_30_6` and `state` (tila)."""

    level: str                      # "valtuusto" or "käyttösuunnitelma"
    aim: str                        # päämäärä
    target: str                     # tavoite
    measure: str                    # mittari
    status_31_3: str
    status_30_6: str
    responsible: str                # vastuu
    state: str                      # tila, one of TILA_CHOICES or ""
    state_printed: str
    source: Source


@dataclass(frozen=True)
class Kpi:
    name: str
    values: tuple[tuple[str, str], ...]   # (column heading, text as printed)
    source: Source


@dataclass(frozen=True)
class Risk:
    risk: str
    rating: str
    control: str
    outcome: str
    source: Source


def review_title(last_month: int, year: int, first_month: int = 1) -> str:
    """The review's title from its period, one wording for every source: "Osavuosikatsaus 1–6/2023".

    The published text, the data file and the ledger import all title a review this way, so a
    workbook built from one and rebuilt from its `Tiedot` sheet shows the same title.
    """
    return f"Osavuosikatsaus {first_month}–{last_month}/{year}"


@dataclass
class Review:
    """A half-year (or any-period) review of one division."""

    title: str
    division: str
    columns: tuple[Column, ...]
    areas: list[Table]
    division_table: Table | None = None       # as printed, if the source printed one
    council: Table | None = None               # as printed
    investments: list[Table] = field(default_factory=list)
    investments_total: Table | None = None     # as printed
    goals: list[Goal] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)
    source: str = ""
    sign: SignConvention | None = None         # the data's own setting, if it states one

    def levelled(self) -> list[tuple[Level, Table]]:
        """Every financial table with its level, in the data file's order (division, council, areas, investments)."""
        out: list[tuple[Level, Table]] = []
        if self.division_table is not None:
            out.append((Level.DIVISION, self.division_table))
        if self.council is not None:
            out.append((Level.COUNCIL, self.council))
        out += [(Level.AREA, t) for t in self.areas]
        out += [(Level.INVESTMENT, t) for t in self.investments]
        if self.investments_total is not None:
            out.append((Level.INVESTMENTS, self.investments_total))
        return out

    def tables(self) -> list[Table]:
        """Every financial table, printed summaries first."""
        out = [t for t in (self.division_table, self.council) if t is not None] + list(self.areas)
        out += list(self.investments)
        return out + ([self.investments_total] if self.investments_total is not None else [])

    @property
    def roles(self) -> ColumnRoles:
        return column_roles(self.columns)

    def area(self, name: str) -> Table:
        for t in self.areas:
            if t.name.casefold() == name.casefold():
                return t
        raise KeyError(name)

