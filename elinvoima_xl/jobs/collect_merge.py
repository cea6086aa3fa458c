"""Merging the heads' answers into the team's goals and explanations (pure): which answer wins, what conflicts, what is missing.

Answers are grouped by area: of two answers to the same version the later one (by when the
head saved it) wins; answers to different versions are a conflict and nothing of that area
is merged. The figures in a returned file are compared cell by cell with the team's figures
now; a difference is reported and the team's figure stays. `collect` reads the files and
the sheets, calls `merge_answers` and writes what it returns.
"""

from __future__ import annotations

__all__ = ["ANSWERED", "CONFLICT", "MISSING", "OLD", "TAMPERED", "AreaOutcome", "Change", "MergedAnswers", "Rows",
           "merge_answers", "sent_by_area"]

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.calc import Settings, computed_table
from ..core.errors import InputError
from ..core.explanations import cell_text as _text
from ..core.model import Review
from ..core.numbers import parse_fi_number
from ..core.structure import INCOME_STATEMENT, Kind
from ..sources.review_text import TILA_CHOICES
from ..workbook.head_layout import ANSWER_PREFIX, deviating_lines, figures_version, head_layout
from ..workbook.layout import cell_ref
from ..workbook.returned import Returned

ANSWERED, MISSING, CONFLICT, OLD, TAMPERED = ("vastattu", "ei vastausta", "ristiriita", "vanha versio",
                                              "lukuja muutettu")
Rows = list[tuple[object, ...]]
_GOAL = re.compile(rf"^{ANSWER_PREFIX}Tavoite(\d+)_(Toteuma|Tila)$")
_LINE = re.compile(rf"^{ANSWER_PREFIX}(Ennuste|Selitys)_(\w+)$")


@dataclass(frozen=True)
class Change:
    """A figure in a returned file that differs from the team's: where, what the team has, what came back."""

    cell: str
    line: str
    column: str
    team: float | None
    returned: object


@dataclass
class AreaOutcome:
    area: str
    status: str
    file: str = ""
    version: str = ""
    answered: dt.datetime | None = None
    changes: list[Change] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _norm(text: object) -> str:
    return " ".join(_text(text).split()).casefold()


def sent_by_area(rows: Rows) -> dict[str, tuple[str, str]]:
    """Area (casefolded) -> (when, version) of the latest message a server accepted or a draft written."""
    out: dict[str, tuple[str, str]] = {}
    if not rows:
        return out
    heads = [_text(h) for h in rows[0]]
    try:
        when, area, version, result = (heads.index(h) for h in ("aika", "alue", "versio", "tulos"))
    except ValueError:
        return out
    for row in rows[1:]:
        cells = [_text(v) for v in row] + [""] * len(heads)
        if cells[area] and cells[result] in ("hyväksytty", "luonnos"):
            key = cells[area].casefold()
            if key not in out or cells[when] >= out[key][0]:
                out[key] = (cells[when], cells[version])
    return out


def _figure_changes(review: Review, ret: Returned, settings: Settings) -> list[Change]:
    """Every figure of the area's table in `ret` that is not the team's figure now (the figures are values there)."""
    table = review.area(ret.area)
    hl = head_layout(review, table, settings)
    sheet = hl.sheets[1]
    in_file = next((c[0] for n, c in ret.answer_cells.items() if n.startswith(ANSWER_PREFIX + "Ennuste_")), sheet.name)
    labels = {4 + i: line.label for i, line in enumerate(INCOME_STATEMENT.lines)}
    heads = {c.col: _text(c.value).replace("\n", " ") for c in sheet.cells if c.row == 3}
    changes = []
    for c in sheet.cells:
        if c.formula is not None or not isinstance(c.value, float) or c.row < 4 or c.row not in labels:
            continue
        got = ret.cells.get((in_file, c.row, c.col))
        number: float | None
        try:
            number = parse_fi_number(got)
        except InputError:
            number = None
        if number is None or not math.isclose(number, c.value, abs_tol=0.005):
            if got is None and c.value == 0:
                continue
            changes.append(Change(f"{in_file}!{cell_ref(c.row, c.col)}", labels[c.row], heads.get(c.col, ""),
                                  c.value, got))
    return changes


@dataclass
class MergedAnswers:
    goal_rows: Rows
    explanation_rows: list[list[object]]
    outcomes: list[AreaOutcome]
    merged_goals: int
    merged_lines: int


def _goal_row(rows: Sequence[Sequence[object]], number: int, tavoite: str) -> int | None:
    """The row (index in `rows`) of the team's goal the head answered: number n where its text still matches."""
    if 0 < number < len(rows) and _norm(rows[number][2] if len(rows[number]) > 2 else "") == _norm(tavoite):
        return number
    found = [i for i, r in enumerate(rows[1:], start=1) if len(r) > 2 and _norm(r[2]) == _norm(tavoite)]
    return found[0] if len(found) == 1 else None


def merge_answers(review: Review, goal_rows: Rows, explanation_rows: Rows, status_rows: Rows,
                  returned: list[tuple[Returned, float]], settings: Settings = Settings()) -> MergedAnswers:
    """The team's goals, explanations and the per-area outcomes with the heads' answers merged in (pure)."""
    goals = [list(r) for r in goal_rows] or [["Taso", "Strateginen päämäärä", "Tavoite", "Mittari ja tavoitetaso",
                                               "Toteuma 31.3.", "Toteuma 30.6.", "Vastuu", "Tila"]]
    for r in goals:
        r.extend([None] * (8 - len(r)))
    by_area: dict[str, list[tuple[Returned, float]]] = {}
    for ret, mtime in returned:
        by_area.setdefault(review.area(ret.area).name, []).append((ret, mtime))
    previous = {_text(r[0]).casefold(): list(r) for r in status_rows[1:] if r and _text(r[0])} if status_rows else {}
    outcomes: list[AreaOutcome] = []
    new_lines: list[list[object]] = []
    replaced: set[str] = set()          # areas whose rows on Selitykset this run writes anew
    merged_goals = merged_lines = 0
    for table in review.areas:
        answers = by_area.get(table.name)
        if not answers:
            prev = previous.get(table.name.casefold())
            if prev is not None and _text(prev[7]) and _text(prev[7]) != MISSING:
                o = AreaOutcome(table.name, _text(prev[7]), _text(prev[6]), _text(prev[5]))
                o.answered = _parse_time(_text(prev[4]))
                o.missing = [m for m in _text(prev[8]).split("; ") if m]
                o.notes = ["aiemmin kerätty"]
            else:
                o = AreaOutcome(table.name, MISSING, missing=["koko vastaus"])
            outcomes.append(o)
            continue
        versions = sorted({r.version for r, _ in answers})
        current = figures_version(review, table)
        prev = previous.get(table.name.casefold())
        earlier = _text(prev[5]) if prev is not None and len(prev) > 5 else ""
        if prev is not None and len(versions) == 1 and versions[0] != current and earlier == current:
            # An answer to the current figures is already in: an older one must not replace it.
            o = AreaOutcome(table.name, CONFLICT, ", ".join(r.file for r, _ in answers))
            o.notes = [f"{answers[0][0].file} vastaa versioon {versions[0]}, mutta työkirjassa on jo vastaus nykyiseen "
                       f"versioon {current} ({_text(prev[6])}). Mitään ei yhdistetty."]
            outcomes.append(o)
            continue
        if len(versions) > 1:
            o = AreaOutcome(table.name, CONFLICT, ", ".join(r.file for r, _ in answers))
            o.notes = [f"vastaukset eri versioihin: " + "; ".join(f"{r.file} (versio {r.version})" for r, _ in answers)
                       + ". Mitään ei yhdistetty: pyydä palvelualueelta yksi vastaus nykyiseen versioon "
                         "tai poista vanhentunut tiedosto ja kerää uudelleen."]
            outcomes.append(o)
            continue
        answers.sort(key=lambda rm: (rm[0].modified or dt.datetime.fromtimestamp(rm[1], dt.timezone.utc), rm[1]))
        ret, _mtime = answers[-1]
        replaced.add(table.name.casefold())
        o = AreaOutcome(table.name, ANSWERED, ret.file, ret.version,
                        ret.modified or dt.datetime.fromtimestamp(_mtime, dt.timezone.utc))
        o.notes += [f"myöhempi vastaus {ret.file} korvaa tiedoston {r.file}" for r, _ in answers[:-1]]
        o.changes = _figure_changes(review, ret, settings)
        if ret.version != current:
            o.status = OLD
            o.notes.append(f"vastattu versioon {ret.version}, työkirjan luvut ovat nyt versiota {current}: "
                           "luvut, jotka poikkeavat, on lueteltu; tiimin luvut pidetään ja vastaukset yhdistetään.")
        elif o.changes:
            o.status = TAMPERED
            o.notes.append(f"{len(o.changes)} lukua poikkeaa lähetetystä: tiimin luvut pidetään, vastaukset yhdistetään.")
        # Goals: Toteuma 30.6. and Tila, into the team's row of the same goal.
        numbers = sorted({int(m.group(1)) for n in ret.answers if (m := _GOAL.match(n))})
        for n in numbers:
            cell = ret.answer_cells.get(f"{ANSWER_PREFIX}Tavoite{n}_Tila") or \
                ret.answer_cells.get(f"{ANSWER_PREFIX}Tavoite{n}_Toteuma")
            tavoite = _text(ret.cells.get((cell[0], cell[1], 3))) if cell else ""
            row = _goal_row(goals, n, tavoite)
            if row is None:
                o.notes.append(f"tavoitetta {n} ('{tavoite[:40]}') ei löydy Tavoitteet-välilehdeltä: ei yhdistetty.")
                continue
            toteuma = _text(ret.answers.get(f"{ANSWER_PREFIX}Tavoite{n}_Toteuma"))
            tila = _text(ret.answers.get(f"{ANSWER_PREFIX}Tavoite{n}_Tila"))
            changed = (toteuma and toteuma != _text(goals[row][5])) or (tila and tila != _text(goals[row][7]))
            if toteuma:
                goals[row][5] = toteuma
            if tila:
                goals[row][7] = tila
            merged_goals += bool(changed)
            if not _text(goals[row][7]):
                o.missing.append(f"Tila: tavoite {n}")
            elif _text(goals[row][7]) not in TILA_CHOICES:
                o.notes.append(f"tavoitteen {n} tila '{_text(goals[row][7])}' ei ole {' / '.join(TILA_CHOICES)}.")
        # Lines: explanations of deviations and the head's forecasts.
        ct = computed_table(table, settings, recompute=True)
        deviating = deviating_lines(review, ct, settings)
        answered_keys = {m.group(2) for n in ret.answers if (m := _LINE.match(n))}
        when = o.answered.isoformat(timespec="seconds") if o.answered else ""
        for li, line in enumerate(INCOME_STATEMENT.lines):
            if line.kind is not Kind.DETAIL or (line.key not in answered_keys and line.key not in deviating):
                continue
            why = _text(ret.answers.get(f"{ANSWER_PREFIX}Selitys_{line.key}"))
            raw = ret.answers.get(f"{ANSWER_PREFIX}Ennuste_{line.key}")
            try:
                forecast = parse_fi_number(raw)
            except InputError:
                forecast = None
                o.notes.append(f"rivin {line.label} ennuste '{raw}' ei ole luku: ei yhdistetty.")
            if line.key in deviating and not why:
                o.missing.append(f"selitys: {line.label}")
            if not why and forecast is None and line.key not in deviating:
                continue
            pct = float(ct.pct[li])
            new_lines.append([table.name, line.label, None if math.isnan(pct) else pct,
                              round(deviating[line.key], 1) if line.key in deviating else None, why or None,
                              forecast, ret.version, when, ret.file])
            merged_lines += bool(why or forecast is not None)
        outcomes.append(o)
    kept_lines = [list(r) for r in explanation_rows[1:] if r and _text(r[0]).casefold() not in replaced]
    order = {t.name.casefold(): i for i, t in enumerate(review.areas)}
    lines = sorted(kept_lines + new_lines, key=lambda r: order.get(_text(r[0]).casefold(), len(order)))
    return MergedAnswers([tuple(r) for r in goals], lines, outcomes, merged_goals, merged_lines)


def _parse_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
