"""Read a published review in the seed's text format (tables as tab-separated lines from a PDF).

Handles `<b>` markup, HTML lists in cells, headings split over two lines, tables broken
across pages (blank lines inside a table, continuation rows with an empty first cell)
and Finnish numbers. Printed subtotals, Jäljellä and % are kept as printed so the checks
can compare them with the arithmetic.
"""

from __future__ import annotations

__all__ = ["cells_of", "clean_cell", "parse_review_text"]

import html
import re
from dataclasses import dataclass, field

from ..core.errors import InputError, Place
from ..core.labels import match_choice, match_label, normalize_label
from ..core.model import (Column, Figure, Goal, Kpi, LabelIssue, LabelNote, Review, Risk, Source, Table, column_roles,
                          review_title)
from ..core.numbers import parse_fi_number
from ..core.structure import COUNCIL, INCOME_STATEMENT, INVESTMENT, Block, Kind, Structure

TILA_CHOICES = ("Toteutuu", "Toteutuu osittain", "Ei toteudu")
_TAG = re.compile(r"<[^>]+>")
_BREAK_TAGS = re.compile(r"</?(p|li|ul|br)\b[^>]*>", re.IGNORECASE)
_PERIOD = re.compile(r"OSAVUOSIKATSAUS\s+(\d{1,2})\s*[-–]\s*(\d{1,2})\s*/\s*(\d{4})", re.IGNORECASE)
# Block headings of the income statement, which a PDF's text may give without any tab after them.
_BLOCK_HEADINGS = {normalize_label(ln.label) for ln in INCOME_STATEMENT.lines if ln.kind is Kind.HEADER}
# A table (not an investment one) that opens with TULOT or MENOT is the council's.
_COUNCIL_FIRST_LINES = {normalize_label(COUNCIL.labels[k]) for k in ("tulot", "menot")}
_YEAR_HEAD = re.compile(r"^(TP|TA)[\s-]*\d{4}$", re.IGNORECASE)


def clean_cell(cell: str) -> str:
    """Cell text without markup: list items and paragraphs on lines of their own."""
    t = _BREAK_TAGS.sub("\n", cell)
    t = html.unescape(_TAG.sub("", t)).replace("\u00a0", " ")
    lines = [" ".join(ln.split()) for ln in t.split("\n")]
    return "\n".join(ln.lstrip("• ").strip() for ln in lines if ln.strip("• ").strip())


def cells_of(line: str) -> list[str]:
    return [clean_cell(c) for c in line.rstrip("\n").split("\t")]


def _is_heading(line: str) -> bool:
    s = line.strip()
    return s.startswith("#") or (s.startswith("**") and s.endswith("**"))


@dataclass
class _Doc:
    name: str
    lines: list[str]
    review_months: int | None = None
    title: str = ""
    heading_division: str = ""
    tables: list[tuple[str, Table, str]] = field(default_factory=list)  # (section, table, kind)
    goals: list[Goal] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    risks: list[Risk] = field(default_factory=list)

    def place(self, lineno: int, column: str | None = None) -> Place:
        return Place(file=self.name, line=lineno, column=column)


def parse_review_text(text: str, name: str = "<teksti>") -> Review:
    """Parse the text of a published review into a `Review`; raise InputError if it has no tables."""
    if not text.strip():
        raise InputError("tiedosto on tyhjä.", Place(file=name), "Anna julkaistun katsauksen tekstitiedosto.")
    doc = _Doc(name, text.splitlines())
    for n, line in enumerate(doc.lines[:40]):
        m = _PERIOD.search(line)
        if m:
            doc.review_months = int(m.group(2))
            doc.title = review_title(int(m.group(2)), int(m.group(3)), int(m.group(1)))
            following = [ln.strip() for ln in doc.lines[n + 1:n + 4] if ln.strip()]
            if following:
                doc.heading_division = following[0]
            break
    section = ""
    i = 0
    while i < len(doc.lines):
        line = doc.lines[i]
        if _is_heading(line):
            section = clean_cell(line.strip("#* "))
            i += 1
            continue
        cells = cells_of(line)
        first = normalize_label(cells[0]) if cells else ""
        if len(cells) > 2 and any(_YEAR_HEAD.match(c) for c in cells[1:]):
            i = _financial_table(doc, i, section)
        elif len(cells) > 2 and first == "strateginen päämäärä":
            i = _goal_table(doc, i)
        elif len(cells) > 1 and first == "tunnusluku":
            i = _kpi_table(doc, i)
        elif len(cells) > 1 and first == "tunnistettu riski":
            i = _risk_table(doc, i)
        else:
            i += 1
    return _assemble(doc)


def _title_of(doc: _Doc, i: int, header0: str) -> str:
    prev = cells_of(doc.lines[i - 1]) if i > 0 else [""]
    lone_prev = prev[0] if prev and prev[0] and not any(c for c in prev[1:]) and not _is_heading(doc.lines[i - 1]) else ""
    if normalize_label(header0) in ("", "selite"):
        return lone_prev
    return f"{lone_prev} {header0}".strip() if lone_prev else header0


# How a cell of a derived column is named in an error message.
_FIGURE_HEADINGS = {Figure.REMAINING: "Jäljellä", Figure.PCT: "%"}


def _financial_table(doc: _Doc, i: int, section: str) -> int:
    header = cells_of(doc.lines[i])
    units = cells_of(doc.lines[i + 1]) if i + 1 < len(doc.lines) else []
    title = _title_of(doc, i, header[0])
    investment = "investoin" in normalize_label(units[0] if units else "") or "investoin" in normalize_label(section)
    columns: list[Column] = []
    mapping: list[tuple[Figure | None, int]] = []  # per cell after the label: (what, column j); None: an empty head
    for j in range(1, len(header)):
        text = f"{header[j]} {units[j] if j < len(units) else ''}".strip()
        unit_text = (units[j] if j < len(units) else "").strip()
        if not text:
            mapping.append((None, 0))
        elif "jäljellä" in text.casefold():
            mapping.append((Figure.REMAINING, 0))
        elif unit_text == "%" or text.endswith("%"):
            mapping.append((Figure.PCT, 0))
        else:
            col = Column.parse(text, doc.place(i + 1), default_months=doc.review_months)
            mapping.append((Figure.COLUMN, len(columns)))
            columns.append(col)
    cols = tuple(columns)
    column_roles(cols, doc.place(i + 1))
    structure: Structure | None = INVESTMENT if investment else None
    start = i + 2 if units and not any(_YEAR_HEAD.match(c) for c in units) else i + 1
    table_rows, k = _table_rows(doc, start, merge_continuations=False)
    rows = [(lineno, cells[0], cells[1:]) for lineno, cells in table_rows]
    if structure is None:
        first_labels = {normalize_label(r[1]) for r in rows[:2]}
        structure = COUNCIL if first_labels & _COUNCIL_FIRST_LINES else INCOME_STATEMENT
    table = Table.empty(title, structure, cols)
    table_unmatched: list[tuple[str, Source]] = []
    block: Block | None = None
    for lineno, label, values in rows:
        src = Source(file=doc.name, line=lineno)
        if not label:
            continue
        match = match_label(label, structure, block, has_figures=any(v.strip() for v in values))
        if match is None:
            table_unmatched.append((label, src))
            continue
        line_def = match.line
        if line_def.kind is Kind.HEADER:
            block = line_def.block
            continue
        if line_def.kind is Kind.SUBTOTAL:
            block = None
        idx = structure.index[line_def.key]
        if line_def.key in table.sources:
            table.label_notes.append(LabelNote(line_def.key, f"rivi '{label}' toistuu taulukossa; vain ensimmäinen on otettu mukaan", src, LabelIssue.REPEATED))
            continue
        table.sources[line_def.key] = src
        table.labels[line_def.key] = label
        if match.note:
            table.label_notes.append(LabelNote(line_def.key, match.note, src, match.issue))
        for (what, j), cell in zip(mapping, values):
            if what is None:
                continue
            heading = cols[j].label if what is Figure.COLUMN else _FIGURE_HEADINGS[what]
            table.put(idx, what, j, parse_fi_number(cell, doc.place(lineno, heading)))
    for label, src in table_unmatched:
        table.label_notes.append(LabelNote("", f"rivin nimeä '{label}' ei tunnistettu; rivin luvut eivät ole mukana summissa", src, LabelIssue.UNKNOWN))
    kind = "investment" if investment else structure.key
    doc.tables.append((section, table, kind))
    return k


def _table_rows(doc: _Doc, start: int, merge_continuations: bool = True) -> tuple[list[tuple[int, list[str]]], int]:
    """Rows of a table: tab lines until a heading, plain text or the next table's header.

    Blank lines are page breaks and skipped. With `merge_continuations`, a row whose first
    cell is empty continues the row above it (a text cell broken across pages).
    """
    rows: list[tuple[int, list[str]]] = []
    k = start
    while k < len(doc.lines):
        line = doc.lines[k]
        if not line.strip():
            k += 1
            continue
        if _is_heading(line) or ("\t" not in line and normalize_label(line) not in _BLOCK_HEADINGS):
            break
        cells = cells_of(line)
        if any(_YEAR_HEAD.match(c) for c in cells[1:]):
            break
        if merge_continuations and rows and not cells[0]:
            prev = rows[-1][1]
            for j, c in enumerate(cells):
                if c:
                    while len(prev) <= j:
                        prev.append("")
                    prev[j] = f"{prev[j]}\n{c}".strip()
        else:
            rows.append((k + 1, cells))
        k += 1
    return rows, k


def _goal_table(doc: _Doc, i: int) -> int:
    header = [normalize_label(c) for c in cells_of(doc.lines[i])]
    level = "käyttösuunnitelma" if any("mittari" in h for h in header) else "valtuusto"

    def col(row: list[str], *words: str) -> str:
        for j, h in enumerate(header):
            if all(w in h for w in words) and j < len(row):
                return row[j]
        return ""

    rows, k = _table_rows(doc, i + 1)
    for lineno, row in rows:
        printed_tila = col(row, "tila")
        tila, _exact = match_choice(printed_tila, TILA_CHOICES) if printed_tila else (None, True)
        doc.goals.append(Goal(
            level=level, aim=row[0], target=col(row, "tavoite"), measure=col(row, "mittari"),
            status_31_3=col(row, "toteuma", "31"), status_30_6=col(row, "toteuma", "30"),
            responsible=col(row, "vastuu"), state=tila or "", state_printed=printed_tila,
            source=Source(file=doc.name, line=lineno)))
    return k


def _kpi_table(doc: _Doc, i: int) -> int:
    header = cells_of(doc.lines[i])
    rows, k = _table_rows(doc, i + 1)
    for lineno, row in rows:
        values = tuple((header[j], row[j] if j < len(row) else "") for j in range(1, len(header)))
        doc.kpis.append(Kpi(row[0], values, Source(file=doc.name, line=lineno)))
    return k


def _risk_table(doc: _Doc, i: int) -> int:
    rows, k = _table_rows(doc, i + 1)
    for lineno, row in rows:
        row = row + [""] * (4 - len(row))
        doc.risks.append(Risk(row[0], row[1], row[2], row[3], Source(file=doc.name, line=lineno)))
    return k


def _assemble(doc: _Doc) -> Review:
    if not doc.tables:
        raise InputError("tiedostosta ei löytynyt yhtään taloustaulukkoa.", Place(file=doc.name),
                         "Taulukon otsikkorivillä pitää olla sarakkeet kuten 'TP 2022' ja 'TA 2023'.")
    council = next((t for _, t, kind in doc.tables if kind == COUNCIL.key), None)
    division_names = {normalize_label(doc.heading_division)}
    if council is not None:
        division_names.add(normalize_label(council.name))
    division_table: Table | None = None
    areas: list[Table] = []
    investments: list[Table] = []
    investments_total: Table | None = None
    # The division's investment table is titled by the division's stem ("ELINVOIMA" for
    # "Elinvoimalautakunnan toimiala"); a group's table by the group ("KULTTUURI").
    division_words = {w for name in division_names for w in name.split()}

    def is_division_total(title: str) -> bool:
        t = normalize_label(title)
        return bool(t) and (t in division_names or any(w.startswith(t) for w in division_words))

    for _, table, kind in doc.tables:
        if kind == INCOME_STATEMENT.key:
            if division_table is None and normalize_label(table.name) in division_names:
                division_table = table
            else:
                areas.append(table)
        elif kind == "investment":
            if is_division_total(table.name):
                investments_total = table
            else:
                investments.append(table)
    division = (division_table.name if division_table else council.name if council else
                doc.heading_division.capitalize())
    columns = (division_table or (areas[0] if areas else doc.tables[0][1])).columns
    return Review(
        title=doc.title or "Katsaus", division=division, columns=columns, areas=areas,
        division_table=division_table, council=council, investments=investments,
        investments_total=investments_total, goals=doc.goals, kpis=doc.kpis, risks=doc.risks,
        source=doc.name,
    )


