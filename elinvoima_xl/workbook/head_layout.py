"""One service-area head's workbook (.xlsx): built from that area's data alone, answer cells unlocked, identified for collecting.

The area's table is laid out by `layout` (the review's one layout of a financial table), with
the figures as values instead of references to the team's data sheet: native formulas with
their computed values stored, so a preview that does not calculate shows numbers. Beside the
table: the share of the year expected by now, the head's own year-end forecast and, for each
line whose execution deviates from the expected share, an explanation. The goals sheet holds
the goals the head answers for. Every cell the head fills is unlocked, yellow and has a
workbook-scoped defined name (`Vastaus_…`) so that collecting reads answers by name, not by
position; everything else is protected. Custom document properties identify the area, the
review, the period and the version of the figures sent (a hash of the figures themselves).
This module is the layout alone: `head_writer` renders it (`head_workbook`, fast, 200 areas in
about a second; `render_xlsxwriter`, through the project's xlsxwriter writer, the reference it is
tested against). No chart: the heads' file holds cells only.
"""

from __future__ import annotations

__all__ = [
    "ANSWER_PREFIX",
    "DEVIATION_POINTS",
    "GOALS_SHEET",
    "Answer",
    "HeadLayout",
    "HeadWorkbook",
    "INSTRUCTION_SHEET",
    "PROPERTY_AREA",
    "PROPERTY_DIVISION",
    "PROPERTY_KIND",
    "PROPERTY_PERIOD",
    "PROPERTY_REVIEW",
    "PROPERTY_VERSION",
    "WORKBOOK_KIND",
    "deviating_lines",
    "figures_version",
    "goals_for_area",
    "head_layout",
    "head_workbook_name",
    "period_label",
]

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from ..core.calc import ComputedTable, Settings, computed_table, convention_for, last_year_share
from .layout import (
    HEAD,
    HEAD_LEFT,
    PCT,
    SUBTITLE,
    TILA_FILLS,
    TITLE,
    SheetLayout,
    TextRule,
    Validation,
    Grid,
    sheet_frame,
    table_rows,
    style,
)
from ..core.model import Goal, Review, Table
from ..core.names import sheet_name
from ..sources.review_text import TILA_CHOICES
from ..core.structure import INCOME_STATEMENT, Kind

INSTRUCTION_SHEET = "Ohje"
GOALS_SHEET = "Tavoitteet"
ANSWER_PREFIX = "Vastaus_"            # defined names of the cells a head fills
WORKBOOK_KIND = "elinvoima-xl/palvelualue/1"
PROPERTY_KIND = "ElinvoimaTyokirja"
PROPERTY_AREA = "ElinvoimaAlue"
PROPERTY_DIVISION = "ElinvoimaToimiala"
PROPERTY_REVIEW = "ElinvoimaKatsaus"
PROPERTY_PERIOD = "ElinvoimaKausi"
PROPERTY_VERSION = "ElinvoimaVersio"
DEVIATION_POINTS = 10.0               # %-points off the expected share that ask for an explanation
ANSWER_FILL = "#FFF2CC"
_FILE_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


@dataclass(frozen=True)
class HeadWorkbook:
    """One area's workbook: its bytes and what identifies it."""

    area: str
    filename: str
    version: str
    period: str
    data: bytes


def period_label(review: Review) -> str:
    """The review's period as the heads read it: "1–6/2023"."""
    actual = review.columns[review.roles.actual]
    return f"1–{actual.months}/{actual.year}"


def head_workbook_name(area: str, review: Review) -> str:
    """A file name that Windows, mail clients and the collect step all accept: "Kulttuuri 1-6-2023.xlsx"."""
    safe = " ".join(_FILE_UNSAFE.sub("-", area).split()).strip(". ") or "alue"
    return f"{safe} {period_label(review).replace('/', '-').replace('–', '-')}.xlsx"


def figures_version(review: Review, table: Table) -> str:
    """A short hash of exactly the figures and headings a head receives: the version of what was sent."""
    h = hashlib.sha256()
    h.update("\x1f".join((table.name, *(c.heading for c in review.columns))).encode())
    h.update(np.ascontiguousarray(np.round(np.nan_to_num(table.values), 2)).tobytes())
    return h.hexdigest()[:16]


def goals_for_area(review: Review, area: str, responsible: Sequence[str] = ()) -> list[tuple[int, Goal]]:
    """The goals (1-based number in the team's Tavoitteet, goal) whose Vastuu names the area or one of `responsible`.

    `responsible` are the titles the goals' Vastuu column uses for this head (the recipients'
    optional `vastuu` column, e.g. "Työllisyyskoordinaattori"). A goal without a Vastuu is the
    division's and goes to no head.
    """
    needles = [n.casefold() for n in (area, *responsible) if n.strip()]
    out = []
    for i, g in enumerate(review.goals, start=1):
        vastuu = g.responsible.casefold()
        if vastuu and any(n in vastuu for n in needles):
            out.append((i, g))
    return out


def deviating_lines(review: Review, ct: ComputedTable, settings: Settings = Settings(),
                    points: float = DEVIATION_POINTS) -> dict[str, float]:
    """Detail lines whose actual share of the budget is more than `points` %-points off the share expected
    by now (last year's share at the same point where sound, else months / 12), or that have an
    actual without a budget: line key -> expected share in %."""
    roles = review.roles
    cols = review.columns
    v = np.nan_to_num(ct.values)
    budget = v[:, roles.budget] * cols[roles.budget].unit
    actual = v[:, roles.actual] * cols[roles.actual].unit
    linear = np.full(len(budget), roles.months / 12)
    if roles.prev_year is not None and roles.prev_period is not None:
        share, sound = last_year_share(v[:, roles.prev_year] * cols[roles.prev_year].unit,
                                       v[:, roles.prev_period] * cols[roles.prev_period].unit, settings)
        expected = np.where(sound, share, linear)
    else:
        expected = linear
    out: dict[str, float] = {}
    for li, line in enumerate(INCOME_STATEMENT.lines):
        if line.kind is not Kind.DETAIL or not ct.present[li]:
            continue
        if budget[li] == 0:
            if actual[li] != 0:
                out[line.key] = float(expected[li] * 100)
            continue
        if abs(actual[li] / budget[li] - expected[li]) * 100 > points:
            out[line.key] = float(expected[li] * 100)
    return out


# ---------------------------------------------------------------------------- the sheets as layout

def _area_sheet(review: Review, table: Table, ct: ComputedTable, name: str, settings: Settings,
                deviating: dict[str, float]) -> tuple[SheetLayout, dict[str, int], Grid]:
    grid = Grid(review.columns)
    sheet = SheetLayout(name, owned=False)
    sheet_frame(sheet, table.name, f"{review.division} – {review.title}", grid, "")
    present = ct.present

    def figure(key: str, j: int) -> tuple[str | None, float]:
        return None, float(ct.values[INCOME_STATEMENT.index[key], j])

    rows = table_rows(sheet, 4, INCOME_STATEMENT, grid, ct, figure, settings,
                       lambda k: bool(present[INCOME_STATEMENT.index[k]]))
    for k, r in rows.items():   # a header row shows when its block has a line shown (as in the team's sheet)
        line = INCOME_STATEMENT.line(k)
        if line.kind is Kind.HEADER and any(bool(present[i]) for i, ln in enumerate(INCOME_STATEMENT.lines)
                                            if ln.block is line.block and ln.kind is Kind.DETAIL):
            sheet.hidden_rows.discard(r)
    year = review.columns[review.roles.actual].year
    expected_col, own_col, why_col = grid.width, grid.width + 1, grid.width + 2
    sheet.put(3, expected_col, f"Odotettu %\n{period_label(review)}", style=HEAD)
    sheet.put(3, own_col, f"Oma ennuste {year}\n€", style=HEAD)
    sheet.put(3, why_col, "Selitys poikkeamalle", style=HEAD_LEFT)
    for key, share in deviating.items():
        sheet.put(rows[key], expected_col, round(share, 1), style=style(number_format=PCT))
    sheet.widths.update({expected_col: 13.5, own_col: 15.0, why_col: 60.0})
    return sheet, rows, grid


GOAL_HEADS = ("Nro", "Taso", "Strateginen päämäärä", "Tavoite", "Mittari ja tavoitetaso", "Toteuma 31.3.",
              "Toteuma 30.6.", "Tila")


def _goals_sheet(goals: list[tuple[int, Goal]]) -> SheetLayout:
    sheet = SheetLayout(GOALS_SHEET, owned=False)
    for c, h in enumerate(GOAL_HEADS):
        sheet.put(0, c, h, style=HEAD_LEFT)
    wrap = style(wrap=True)
    for r, (n, g) in enumerate(goals, start=1):
        sheet.put(r, 0, float(n))
        for c, v in enumerate((g.level, g.aim, g.target, g.measure, g.status_31_3), start=1):
            sheet.put(r, c, v, style=wrap)
    last = max(len(goals), 1)
    sheet.validations.append(Validation(7, 1, last, TILA_CHOICES))
    sheet.rules += [TextRule(7, 1, last, text, fill) for text, fill in TILA_FILLS.items()]
    sheet.widths = {0: 5, 1: 14, 2: 28, 3: 45, 4: 45, 5: 40, 6: 50, 7: 18}
    sheet.freeze = (1, 1)
    return sheet


def _instruction_sheet(review: Review, area: str, sheet_name: str, version: str, deadline: str,
                       has_goals: bool, n_deviating: int) -> SheetLayout:
    sheet = SheetLayout(INSTRUCTION_SHEET, owned=False)
    when = f" viimeistään {deadline}" if deadline else ""
    lines = [
        (f"{review.title}: {area}", TITLE),
        (f"{review.division}", SUBTITLE),
        ("", None),
        (f"Tämä työkirja on tehty vain palvelualueelle {area}. Täytä keltaiset solut ja palauta tiedosto "
         f"talouspalveluille{when}. Tiedoston nimen saa muuttaa.", None),
        (f"1. Välilehti {sheet_name}: talousarvion toteuma {period_label(review)}. Luvut ovat talouspalveluiden, "
         "eikä niitä voi muuttaa.", None),
        ("   Kirjoita sarakkeeseen 'Oma ennuste' arviosi kunkin rivin toteumasta vuoden lopussa (euroina).", None),
        (f"   Kirjoita sarakkeeseen 'Selitys poikkeamalle' selitys riveille, joiden toteuma poikkeaa vuoden kulun "
         f"mukaisesta odotetusta osuudesta (sarake 'Odotettu %'); tällaisia rivejä on {n_deviating}.", None),
    ]
    if has_goals:
        lines.append(("2. Välilehti Tavoitteet: kirjoita Toteuma 30.6. ja valitse Tila: "
                      + " / ".join(TILA_CHOICES) + ".", None))
    lines += [
        ("Älä lisää tai poista rivejä tai välilehtiä: vastaukset luetaan takaisin solujen nimistä.", None),
        ("", None),
        ("Tunniste", style(bold=True)),
        (f"Palvelualue: {area}", None),
        (f"Katsaus: {review.title} ({period_label(review)})", None),
        (f"Versio: {version}", None),
    ]
    for r, (text, look) in enumerate(lines):
        if text:
            sheet.put(r, 0, text, style=look or style(wrap=False))
    sheet.widths = {0: 120}
    return sheet


# ---------------------------------------------------------------------------- the whole workbook

@dataclass(frozen=True)
class Answer:
    """A cell the head fills: unlocked, yellow, named `Vastaus_…` (how collecting finds it)."""

    sheet: str
    row: int
    col: int
    kind: str                 # "amount" or "text"
    value: str | None
    name: str


@dataclass
class HeadLayout:
    """Everything one head's workbook holds, as data; rendered by `head_writer` (fast) or its `render_xlsxwriter`."""

    area: str
    filename: str
    version: str
    period: str
    title: str
    company: str
    properties: tuple[tuple[str, str], ...]
    sheets: list[SheetLayout]
    answers: list[Answer]
    active: int = 1


def _defined_name(*parts: str) -> str:
    return ANSWER_PREFIX + "_".join(parts)


def head_layout(review: Review, table: Table, settings: Settings = Settings(),
                goals: list[tuple[int, Goal]] | None = None, deadline: str = "") -> HeadLayout:
    """The layout of the workbook of the head of `table`'s area, from that area's figures and `goals` alone."""
    # Subtotal formulas follow the review's sign convention (`layout.table_rows` reads ct.table's identities).
    signed = replace(table, structure=convention_for(review, settings).apply(table.structure))
    ct = computed_table(signed, settings, recompute=True)
    deviating = deviating_lines(review, ct, settings)
    goals = goals or []
    name = sheet_name(table.name, {INSTRUCTION_SHEET.casefold(), GOALS_SHEET.casefold()})
    version = figures_version(review, table)
    area_sheet, rows, grid = _area_sheet(review, table, ct, name, settings, deviating)
    sheets = [_instruction_sheet(review, table.name, name, version, deadline, bool(goals), len(deviating)),
              area_sheet]
    answers: list[Answer] = []
    own_col, why_col = grid.width + 1, grid.width + 2
    for li, line in enumerate(INCOME_STATEMENT.lines):
        if line.kind is not Kind.DETAIL or not ct.present[li]:
            continue
        r = rows[line.key]
        answers.append(Answer(name, r, own_col, "amount", None, _defined_name("Ennuste", line.key)))
        if line.key in deviating:
            answers.append(Answer(name, r, why_col, "text", None, _defined_name("Selitys", line.key)))
    if goals:
        sheets.append(_goals_sheet(goals))
        for r, (n, g) in enumerate(goals, start=1):
            answers.append(Answer(GOALS_SHEET, r, 6, "text", g.status_30_6 or None,
                                  _defined_name(f"Tavoite{n}", "Toteuma")))
            answers.append(Answer(GOALS_SHEET, r, 7, "text", (g.state_printed or g.state) or None,
                                  _defined_name(f"Tavoite{n}", "Tila")))
    properties = ((PROPERTY_KIND, WORKBOOK_KIND), (PROPERTY_AREA, table.name), (PROPERTY_DIVISION, review.division),
                  (PROPERTY_REVIEW, review.title), (PROPERTY_PERIOD, period_label(review)),
                  (PROPERTY_VERSION, version))
    return HeadLayout(table.name, head_workbook_name(table.name, review), version, period_label(review),
                      f"{review.title}: {table.name}", review.division, properties, sheets, answers)
