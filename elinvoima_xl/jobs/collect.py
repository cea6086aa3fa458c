"""Collecting the heads' answers into the team's workbook: goals' Toteuma and Tila, explanations, forecasts; finance's figures never.

Every returned file is read first (`returned.read_returned`); one that is not ours, damaged
or encrypted without its password stops the run before anything is written. Answers are
grouped by area: of two answers to the same version the later one (by when the head saved
it) wins; answers to different versions are a conflict and nothing of that area is merged.
The figures in a returned file are compared cell by cell with the figures the team's
workbook holds now; a difference is reported (a head typed over a number, or answered an
older version) and the team's figure stays. What is merged goes through the workbook port
(the file backend splices the sheets in, keeping the VBA project, the ribbon and every other
sheet byte for byte): `Tavoitteet` with the heads' Toteuma 30.6. and Tila, `Selitykset`
(one row per line a head explained or forecast, and every deviating line), and the
overview `Vastaukset` (per area: sent when, answered when, what is missing). The checks
then list goals without a status and deviations without an explanation on `Tarkistukset`.
"""

from __future__ import annotations

__all__ = [
    "EXPLANATIONS_SHEET",
    "EXPLANATION_HEADS",
    "STATUS_HEADS",
    "STATUS_SHEET",
    "AreaOutcome",
    "CollectReport",
    "collect_into_file",
    "collect_live",
    "explanation_findings",
    "gather_files",
    "journal_csv_rows",
    "notes_from_rows",
    "read_passwords",
    "run_collect",
]

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.calc import Settings, computed_table
from ..core.errors import InputError, Place
from ..core.explanations import EXPLANATION_HEADS, EXPLANATIONS_SHEET, explanation_findings, notes_from_rows
from ..core.explanations import cell_text as _text
from ..workbook.head_layout import ANSWER_PREFIX, deviating_lines, figures_version, head_layout, period_label
from ..workbook.layout import GOALS_SHEET, HEAD_LEFT, TILA_FILLS, SheetLayout, TextRule, Validation, cell_ref, style
from ..core.model import Review
from ..core.numbers import format_fi, parse_fi_number
from ..workbook.returned import Returned, read_returned
from ..sources.review_text import TILA_CHOICES
from ..core.structure import INCOME_STATEMENT, Kind

STATUS_SHEET = "Vastaukset"
STATUS_HEADS = ("alue", "lähetetty", "lähetetty versio", "nykyinen versio", "vastattu", "vastattu versio",
                "tiedosto", "tila", "puuttuu", "huomiot")
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


@dataclass
class CollectReport:
    outcomes: list[AreaOutcome] = field(default_factory=list)
    merged_goals: int = 0
    merged_lines: int = 0

    @property
    def needs_attention(self) -> bool:
        return any(o.status in (CONFLICT, OLD, TAMPERED) for o in self.outcomes)

    def lines(self) -> list[str]:
        out = []
        for o in self.outcomes:
            text = f"{o.area}: {o.status}"
            if o.file:
                text += f" ({o.file})"
            if o.missing:
                text += "; puuttuu: " + "; ".join(o.missing)
            out.append(text)
            out += [f"  {n}" for n in o.notes]
            out += [f"  {c.cell} ({c.line}, {c.column}): tiimin luku {_fi(c.team)}, palautetussa {_show(c.returned)}"
                    " – tiimin luku pidetään" for c in o.changes]
        return out

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        text = ", ".join(f"{k} {v}" for k, v in counts.items())
        return (f"Vastaukset: {text}. Yhdistetty {self.merged_goals} tavoitteen tietoja ja {self.merged_lines} riviä "
                f"selityksiä tai ennusteita." + (" Katso ristiriidat ja muutetut luvut yltä." if self.needs_attention
                                                  else ""))


def _fi(x: float | None) -> str:
    return "tyhjä" if x is None else format_fi(x, 0 if float(x).is_integer() else 2)


def _show(v: object) -> str:
    if v is None:
        return "tyhjä"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return _fi(float(v))
    return f"'{v}'"


def _norm(text: object) -> str:
    return " ".join(_text(text).split()).casefold()


# ---------------------------------------------------------------------------- files

def gather_files(paths: Sequence[Path]) -> list[Path]:
    """The files to collect: every .xlsx/.xlsm/.xls in a folder (not Excel's ~$ lock files), and files named."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in (".xlsx", ".xlsm", ".xls")
                          and not f.name.startswith(("~$", ".")))
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("tiedostoa tai kansiota ei löydy.", Place(file=str(p)), "Tarkista polku.")
    if not out:
        raise InputError("palautettuja työkirjoja (.xlsx) ei löytynyt.", Place(file=", ".join(map(str, paths))),
                         "Anna kansio, jossa palvelualueiden palauttamat työkirjat ovat, tai tiedostot.")
    return out


def read_passwords(path: Path | None) -> list[str]:
    """The passwords `send --password-file` wrote (alue;sähköposti;salasana)."""
    if path is None:
        return []
    if not path.is_file():
        raise InputError("salasanatiedostoa ei löydy.", Place(file=str(path)), "Tarkista --password-file.")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    return [r[2] for r in rows[1:] if len(r) >= 3 and r[2]]


def journal_csv_rows(workbook: Path) -> Rows:
    """The send journal `<workbook>.lahetykset.csv` beside the workbook, if there is one with the journal's header."""
    from .sending import JOURNAL_HEADS

    path = workbook.with_name(f"{workbook.stem}.lahetykset.csv")
    if not path.is_file():
        return []
    rows: Rows = [tuple(r) for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";")]
    return rows if rows and [_text(h) for h in rows[0]] == list(JOURNAL_HEADS) else []


# ---------------------------------------------------------------------------- merging (pure)

def _journal(rows: Rows) -> dict[str, tuple[str, str]]:
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
class _Merged:
    goal_rows: Rows
    explanation_rows: list[list[object]]
    outcomes: list[AreaOutcome]
    merged_goals: int
    merged_lines: int


def _goal_row(rows: Rows, number: int, tavoite: str) -> int | None:
    """The row (index in `rows`) of the team's goal the head answered: number n where its text still matches."""
    if 0 < number < len(rows) and _norm(rows[number][2] if len(rows[number]) > 2 else "") == _norm(tavoite):
        return number
    found = [i for i, r in enumerate(rows[1:], start=1) if len(r) > 2 and _norm(r[2]) == _norm(tavoite)]
    return found[0] if len(found) == 1 else None


def merge_answers(review: Review, goal_rows: Rows, explanation_rows: Rows, status_rows: Rows,
                  returned: list[tuple[Returned, float]], settings: Settings = Settings()) -> _Merged:
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
        if len(versions) == 1 and versions[0] != current and earlier == current:
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
    return _Merged([tuple(r) for r in goals], lines, outcomes, merged_goals, merged_lines)


def _parse_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------- sheets

def _value(v: object) -> str | float | bool | None:
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return str(v)       # a date the team typed: kept as its text


def goals_sheet_layout(rows: Rows) -> SheetLayout:
    """`Tavoitteet` with the merged answers: every column the team has, the build's look (Tila dropdown, colours)."""
    sheet = SheetLayout(GOALS_SHEET, owned=False)
    wrap = style(wrap=True)
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if r == 0:
                sheet.put(r, c, _value(v), style=HEAD_LEFT)
            elif v is not None and v != "":
                sheet.put(r, c, _value(v), style=wrap)
    last = max(len(rows) - 1, 1) + 200
    sheet.validations.append(Validation(7, 1, last, TILA_CHOICES))
    sheet.rules += [TextRule(7, 1, last, text, fill) for text, fill in TILA_FILLS.items()]
    sheet.widths = {0: 16, 1: 28, 2: 45, 3: 45, 4: 45, 5: 45, 6: 28, 7: 18}
    sheet.freeze = (1, 2)
    return sheet


def explanations_sheet_layout(rows: list[list[object]]) -> SheetLayout:
    sheet = SheetLayout(EXPLANATIONS_SHEET, owned=False, tab_color="BF8F00")
    for c, h in enumerate(EXPLANATION_HEADS):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            fmt = {2: "0.0", 3: "0.0", 5: "#,##0;-#,##0;0"}.get(c)
            if v is not None and v != "":
                sheet.put(r, c, _value(v), style=style(wrap=c == 4, number_format=fmt))
    sheet.widths = {0: 28, 1: 28, 2: 9, 3: 11, 4: 70, 5: 16, 6: 18, 7: 20, 8: 30}
    sheet.freeze = (1, 2)
    return sheet


def status_sheet_layout(outcomes: list[AreaOutcome], sent: dict[str, tuple[str, str]],
                        versions: dict[str, str]) -> SheetLayout:
    sheet = SheetLayout(STATUS_SHEET, owned=False, tab_color="2E75B6")
    for c, h in enumerate(STATUS_HEADS):
        sheet.put(0, c, h, style=HEAD_LEFT)
    fills = {ANSWERED: "C6EFCE", MISSING: "FFC7CE", CONFLICT: "FFC7CE", OLD: "FFEB9C", TAMPERED: "FFEB9C"}
    for r, o in enumerate(outcomes, start=1):
        when, version = sent.get(o.area.casefold(), ("", ""))
        notes = list(o.notes) + [f"{c.cell}: tiimin {_fi(c.team)}, palautetussa {_show(c.returned)}" for c in o.changes]
        row = (o.area, when or "ei lähetetty", version, versions.get(o.area, ""),
               o.answered.isoformat(timespec="seconds") if o.answered else "", o.version, o.file, o.status,
               "; ".join(o.missing), "\n".join(notes))
        for c, v in enumerate(row):
            if v:
                look = style(fill=fills.get(o.status)) if c == 7 else style(wrap=c in (8, 9))
                sheet.put(r, c, v, style=look)
    sheet.widths = {0: 28, 1: 20, 2: 18, 3: 18, 4: 20, 5: 18, 6: 30, 7: 16, 8: 40, 9: 70}
    sheet.freeze = (1, 1)
    return sheet


# ---------------------------------------------------------------------------- the job

def _refuse_goal_sheet_extras(port: Any) -> None:
    """Tavoitteet is written anew with the answers: refuse when it holds what that would lose (formulas, comments)."""
    data = getattr(port, "data", None)
    if not isinstance(data, bytes):
        return
    import posixpath
    import zipfile

    from ..ooxml.opc import sheet_parts

    part = sheet_parts(data).get(GOALS_SHEET)
    if part is None:
        return
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(part)
        rels = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
        extra = rels in z.namelist() and re.search(rb'Type="[^"]*/(comments|drawing|table|vmlDrawing)"', z.read(rels))
    if extra or re.search(rb"<f[ >]", xml):
        raise InputError("välilehdellä on kaavoja, kommentteja tai kuvia, jotka vastausten yhdistäminen kadottaisi.",
                         Place(file=port.name, sheet=GOALS_SHEET),
                         "Mitään ei kirjoitettu. Siirrä ne omalle välilehdelle ja kerää uudelleen.")


def run_collect(port: Any, files: list[tuple[str, bytes, float]], settings: Settings = Settings(),
                passwords: Sequence[str] = (), journal_rows: Rows | None = None,
                on_progress: Callable[[str], None] | None = None) -> CollectReport:
    """Read every returned file, merge the answers into the team's workbook behind `port` and save it.

    `files` are (name, bytes, modification time); `journal_rows` the send journal when the
    workbook has no `Lähetykset` sheet (its CSV beside the workbook).
    """
    from .workbook_jobs import read_review
    from .sending import JOURNAL_SHEET

    progress = on_progress or (lambda _t: None)
    review, _ = read_review(port)
    names = port.sheet_names()
    returned: list[tuple[Returned, float]] = []
    for i, (name, data, mtime) in enumerate(files, start=1):
        progress(f"Luetaan {i}/{len(files)}: {name}")
        ret = read_returned(data, name, passwords)
        try:
            review.area(ret.area)
        except KeyError:
            raise InputError(f"palvelualuetta '{ret.area}' ei ole tiimin työkirjassa.", Place(file=name),
                             "Tiedosto on toisen katsauksen tai alue on poistettu Tiedot-välilehdeltä. Mitään ei "
                             "kirjoitettu.") from None
        if (ret.period and ret.period != period_label(review)) or (ret.division and ret.division != review.division):
            raise InputError(f"tiedosto on katsauksesta {ret.review} {ret.period} ({ret.division}), työkirja "
                             f"{review.title} {period_label(review)} ({review.division}).", Place(file=name),
                             "Kerää vain tämän katsauksen vastaukset. Mitään ei kirjoitettu.")
        returned.append((ret, mtime))
    if GOALS_SHEET in names:
        _refuse_goal_sheet_extras(port)
    read = {s: port.read(s) if s in names else [] for s in (GOALS_SHEET, EXPLANATIONS_SHEET, STATUS_SHEET)}
    journal = port.read(JOURNAL_SHEET) if JOURNAL_SHEET in names else (journal_rows or [])
    merged = merge_answers(review, read[GOALS_SHEET], read[EXPLANATIONS_SHEET], read[STATUS_SHEET], returned,
                           settings)
    versions = {t.name: figures_version(review, t) for t in review.areas}
    progress("Kirjoitetaan vastaukset…")
    sheets = [goals_sheet_layout(merged.goal_rows), explanations_sheet_layout(merged.explanation_rows),
              status_sheet_layout(merged.outcomes, _journal(journal), versions)]
    remove = [s for s in (GOALS_SHEET, EXPLANATIONS_SHEET, STATUS_SHEET) if s in names]
    last_own = [n for n in names if n != "xlwings.conf"][-1:] or [None]
    port.replace(sheets, remove, None if remove else last_own[0])
    port.save()
    return CollectReport(merged.outcomes, merged.merged_goals, merged.merged_lines)


def collect_into_file(target: Path, paths: Sequence[Path], password_file: Path | None = None,
                      settings: Settings = Settings(),
                      on_progress: Callable[[str], None] | None = None) -> tuple[CollectReport, Path | None]:
    """`elinvoima collect`: merge the returned files into the team's workbook at `target` (atomic, with a backup).

    Nothing is written unless every file is read and every step succeeds; the checks then run
    on the merged workbook (goals without a status, deviations without an explanation).
    """
    from .file_backend import FileBackend
    from .workbook_jobs import run_job
    from .team_workbook import refuse_if_open, save_workbook

    target = Path(target)
    if not target.is_file():
        raise InputError("tiimin työkirjaa ei löydy.", Place(file=str(target)), "Anna --into Elinvoima.xlsm.")
    refuse_if_open(target)
    files = [(p.name, p.read_bytes(), p.stat().st_mtime) for p in gather_files(paths)]
    passwords = read_passwords(password_file)
    journal = journal_csv_rows(target)
    original = target.read_bytes()
    port = FileBackend(original, target.name, on_progress)
    report = run_collect(port, files, settings, passwords, journal, on_progress)
    checked = FileBackend(port.data, target.name, on_progress)
    run_job(checked, "tarkista_summat", settings)
    if target.read_bytes() != original:
        raise InputError("työkirja muuttui keräämisen aikana.", Place(file=target.name),
                         "Mitään ei kirjoitettu. Kerää uudelleen.")
    return report, save_workbook(target, checked.data)


ANSWERS_FOLDER = "Vastaukset"


def collect_live(book: Any, folder: Path | None = None, settings: Settings = Settings()) -> CollectReport:
    """The ribbon's Kerää vastaukset: the returned files from `folder` (default `Vastaukset` beside the workbook)
    merged into the open workbook through the live backend; the checks run after; the workbook is left unsaved."""
    from ..excel.live_backend import LiveBackend
    from .workbook_jobs import run_job

    path = Path(book.fullname)
    folder = folder or path.with_name(ANSWERS_FOLDER)
    if not folder.is_dir():
        raise InputError("palautettujen työkirjojen kansiota ei ole.", Place(file=str(folder)),
                         f"Tallenna palvelualueiden palauttamat työkirjat kansioon {folder} ja paina uudelleen.")
    files = [(p.name, p.read_bytes(), p.stat().st_mtime) for p in gather_files([folder])]
    passwords = read_passwords(path.with_name(f"{path.stem}.salasanat.csv")) \
        if path.with_name(f"{path.stem}.salasanat.csv").is_file() else []
    journal = journal_csv_rows(path)

    def progress(text: str) -> None:
        book.app.status_bar = text or False

    report = run_collect(LiveBackend(book), files, settings, passwords, journal, progress)
    run_job(LiveBackend(book), "tarkista_summat", settings)
    return report
