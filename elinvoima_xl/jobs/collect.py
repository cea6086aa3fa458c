"""Collecting the heads' answers into the team's workbook: goals' Toteuma and Tila, explanations, forecasts; finance's figures never.

Every returned file is read first (`returned.read_returned`); one that is not ours, damaged
or encrypted without its password stops the run before anything is written. The answers
are merged with the team's sheets by `collect_merge` (pure: which answer wins, conflicts,
figures a head changed, what is missing). What is merged goes through the workbook port
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
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.calc import Settings
from ..core.errors import InputError, Place
from ..core.explanations import EXPLANATION_HEADS, EXPLANATIONS_SHEET, explanation_findings, notes_from_rows
from ..core.explanations import cell_text as _text
from ..workbook.head_layout import figures_version, period_label
from ..workbook.layout import GOALS_SHEET, TILA_FILLS, SheetLayout, Style, TextRule, Validation, style
from ..workbook.layout.list_sheet import list_sheet
from ..core.numbers import format_fi
from ..workbook.returned import Returned, read_returned
from .collect_merge import ANSWERED, CONFLICT, MISSING, OLD, TAMPERED, AreaOutcome, Rows, merge_answers, sent_by_area
from .registry import CHECKS
from ..sources.review_text import TILA_CHOICES

STATUS_SHEET = "Vastaukset"
STATUS_HEADS = ("alue", "lähetetty", "lähetetty versio", "nykyinen versio", "vastattu", "vastattu versio",
                "tiedosto", "tila", "puuttuu", "huomiot")


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

# ---------------------------------------------------------------------------- sheets

def goals_sheet_layout(rows: Rows) -> SheetLayout:
    """`Tavoitteet` with the merged answers: every column the team has, the build's look (Tila dropdown, colours)."""
    wrap = style(wrap=True)
    sheet = list_sheet(GOALS_SHEET, rows[0] if rows else (), rows[1:],
                       {0: 16, 1: 28, 2: 45, 3: 45, 4: 45, 5: 45, 6: 28, 7: 18}, freeze=(1, 2),
                       look=lambda _r, _c: wrap)
    last = max(len(rows) - 1, 1) + 200
    sheet.validations.append(Validation(7, 1, last, TILA_CHOICES))
    sheet.rules += [TextRule(7, 1, last, text, fill) for text, fill in TILA_FILLS.items()]
    return sheet


_EXPLANATION_FORMATS = {2: "0.0", 3: "0.0", 5: "#,##0;-#,##0;0"}


def explanations_sheet_layout(rows: list[list[object]]) -> SheetLayout:
    """`Selitykset`: one row per line a head explained or forecast, and every deviating line."""
    return list_sheet(EXPLANATIONS_SHEET, EXPLANATION_HEADS, rows,
                      {0: 28, 1: 28, 2: 9, 3: 11, 4: 70, 5: 16, 6: 18, 7: 20, 8: 30}, tab_color="BF8F00",
                      freeze=(1, 2),
                      look=lambda _r, c: style(wrap=c == 4, number_format=_EXPLANATION_FORMATS.get(c)))


_STATUS_FILLS = {ANSWERED: "C6EFCE", MISSING: "FFC7CE", CONFLICT: "FFC7CE", OLD: "FFEB9C", TAMPERED: "FFEB9C"}


def status_sheet_layout(outcomes: list[AreaOutcome], sent: dict[str, tuple[str, str]],
                        versions: dict[str, str]) -> SheetLayout:
    """`Vastaukset`: per area when it was sent and answered, which versions, the outcome and what is missing."""
    rows = []
    for o in outcomes:
        when, version = sent.get(o.area.casefold(), ("", ""))
        notes = list(o.notes) + [f"{c.cell}: tiimin {_fi(c.team)}, palautetussa {_show(c.returned)}" for c in o.changes]
        rows.append((o.area, when or "ei lähetetty", version, versions.get(o.area, ""),
                     o.answered.isoformat(timespec="seconds") if o.answered else "", o.version, o.file, o.status,
                     "; ".join(o.missing), "\n".join(notes)))

    def look(r: int, c: int) -> Style:
        return style(fill=_STATUS_FILLS.get(outcomes[r - 1].status)) if c == 7 else style(wrap=c in (8, 9))

    return list_sheet(STATUS_SHEET, STATUS_HEADS, rows,
                      {0: 28, 1: 20, 2: 18, 3: 18, 4: 20, 5: 18, 6: 30, 7: 16, 8: 40, 9: 70}, tab_color="2E75B6",
                      freeze=(1, 1), look=look)


# ---------------------------------------------------------------------------- the job

def _refuse_goal_sheet_extras(port: Any) -> None:
    """Tavoitteet is written anew with the answers: refuse when it holds what that would lose (formulas, comments)."""
    data = getattr(port, "data", None)
    if not isinstance(data, bytes):
        return
    import zipfile

    from ..ooxml.opc import rels_name, sheet_parts

    part = sheet_parts(data).get(GOALS_SHEET)
    if part is None:
        return
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(part)
        rels = rels_name(part)
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
              status_sheet_layout(merged.outcomes, sent_by_area(journal), versions)]
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
    run_job(checked, CHECKS, settings)
    if target.read_bytes() != original:
        raise InputError("työkirja muuttui keräämisen aikana.", Place(file=target.name),
                         "Mitään ei kirjoitettu. Kerää uudelleen.")
    return report, save_workbook(target, checked.data)


ANSWERS_FOLDER = "Vastaukset"


def collect_live(open_port: Callable[[], Any], workbook_path: Path, folder: Path | None = None,
                 settings: Settings = Settings()) -> CollectReport:
    """The ribbon's Kerää vastaukset: the returned files from `folder` (default `Vastaukset` beside the workbook)
    merged into the open workbook at `workbook_path`; the checks run after; the workbook is left unsaved.

    `open_port` gives a fresh port over the open workbook (the ribbon hands in the live backend:
    jobs never import the Excel side); its `progress` shows in Excel's status bar.
    """
    from .workbook_jobs import run_job

    path = Path(workbook_path)
    folder = folder or path.with_name(ANSWERS_FOLDER)
    if not folder.is_dir():
        raise InputError("palautettujen työkirjojen kansiota ei ole.", Place(file=str(folder)),
                         f"Tallenna palvelualueiden palauttamat työkirjat kansioon {folder} ja paina uudelleen.")
    files = [(p.name, p.read_bytes(), p.stat().st_mtime) for p in gather_files([folder])]
    passwords = read_passwords(path.with_name(f"{path.stem}.salasanat.csv")) \
        if path.with_name(f"{path.stem}.salasanat.csv").is_file() else []
    journal = journal_csv_rows(path)
    port = open_port()
    report = run_collect(port, files, settings, passwords, journal, port.progress)
    run_job(open_port(), CHECKS, settings)
    return report
