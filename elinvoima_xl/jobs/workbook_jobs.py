"""The jobs behind the ribbon buttons, written once against a small workbook port that live Excel and files both implement.

A job reads the team's sheets through the port in whole blocks, hands plain rows to the
core, and gives the port the sheets of the shared layout to render. `backends/live.py`
renders into the open workbook through xlwings; `backends/file.py` into the file on disk
(the command line). The same job code runs in both.
"""

from __future__ import annotations

__all__ = ["JOBS", "JobReport", "WorkbookPort", "read_review", "run_job"]

from dataclasses import dataclass
from typing import Protocol

from ..core.calc import Settings
from ..core.checks import Finding, Severity, run_checks
from ..core.errors import InputError, Place
from .registry import AREA_SHEETS, CHECKS, REBUILD, REGISTRY, SUMMARY
from ..workbook.layout import (
    CHECKS_SHEET,
    CONF_SHEET,
    DATA_SHEET,
    GOALS_SHEET,
    KPI_SHEET,
    RISKS_SHEET,
    SUMMARY_SHEET,
    DataMap,
    Mark,
    SheetLayout,
    workbook_layout,
)
from ..core.model import Goal, Kpi, Review, Risk, Source
from ..sources.datafile import review_from_rows

Rows = list[tuple[object, ...]]


class WorkbookPort(Protocol):
    """What a job may do to a workbook; every method is one block of work, never one cell."""

    name: str

    def sheet_names(self) -> list[str]: ...

    def owned_sheets(self) -> list[str]:
        """Sheets the tool made (the sheet-scoped name `ElinvoimaOma`)."""
        ...

    def read(self, sheet: str) -> Rows:
        """Values of a sheet from A1, row 1 first (calculated values, not formulas)."""
        ...

    def replace(self, sheets: list[SheetLayout], remove: list[str], after: str | None) -> None:
        """Take out the sheets `remove` and put `sheets` in, in order, after the sheet `after` or
        where the first removed one was (at the end when neither); `xlwings.conf` always goes last.
        Called at most once per job, before `mark` and `save`."""
        ...

    def mark(self, sheet: str, marks: list[Mark]) -> None:
        """Colour the cells the findings point to (and take the colour off cells no longer flagged)."""
        ...

    def progress(self, text: str) -> None: ...

    def save(self) -> None: ...


@dataclass(frozen=True)
class JobReport:
    job: str
    written: tuple[str, ...]
    removed: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(f.severity is Severity.ERROR for f in self.findings)

    def summary(self) -> str:
        warnings = sum(f.severity is Severity.WARNING for f in self.findings)
        return (f"{len(self.written)} välilehteä päivitetty, havaintoja {len(self.findings)} "
                f"(virheitä {self.errors}, varoituksia {warnings}).")


def _text(v: object) -> str:
    return "" if v is None else str(v).strip()


def _goals(rows: Rows, name: str) -> list[Goal]:
    goals = []
    for n, row in enumerate(rows[1:], start=2):
        cells = [_text(v) for v in row] + [""] * 8
        if any(cells[:8]):
            goals.append(Goal(cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7],
                              cells[7], Source(file=name, sheet=GOALS_SHEET, row=n)))
    return goals


def _kpis(rows: Rows, name: str) -> list[Kpi]:
    if not rows:
        return []
    heads = [_text(h) for h in rows[0]]
    return [Kpi(_text(row[0]), tuple((heads[i], _text(row[i])) for i in range(1, min(len(heads), len(row)))),
                Source(file=name, sheet=KPI_SHEET, row=n))
            for n, row in enumerate(rows[1:], start=2) if row and _text(row[0])]


def _risks(rows: Rows, name: str) -> list[Risk]:
    out = []
    for n, row in enumerate(rows[1:], start=2):
        cells = [_text(v) for v in row] + [""] * 4
        if any(cells[:4]):
            out.append(Risk(cells[0], cells[1], cells[2], cells[3], Source(file=name, sheet=RISKS_SHEET, row=n)))
    return out


def read_review(port: WorkbookPort) -> tuple[Review, DataMap]:
    """The review in the team's sheets, and where its figures sit on the data sheet."""
    names = port.sheet_names()
    if DATA_SHEET not in names:
        raise InputError(f"välilehteä '{DATA_SHEET}' ei ole.", Place(file=port.name),
                         f"Välilehdet: {', '.join(names)}. Tuo tiedot tai luo työkirja uudelleen.")
    rows = port.read(DATA_SHEET)
    review = review_from_rows(rows, port.name, DATA_SHEET)
    if GOALS_SHEET in names:
        review.goals = _goals(port.read(GOALS_SHEET), port.name)
    if KPI_SHEET in names:
        review.kpis = _kpis(port.read(KPI_SHEET), port.name)
    if RISKS_SHEET in names:
        review.risks = _risks(port.read(RISKS_SHEET), port.name)
    return review, DataMap.from_sheet(review, list(rows[0]) if rows else [])


# job -> which owned sheets it writes (the jobs over the port, from the one registry)
JOBS: dict[str, str] = {j.id: j.does for j in REGISTRY if j.sheets}


def run_job(port: WorkbookPort, job: str, settings: Settings = Settings()) -> JobReport:
    """Run one job on the workbook behind `port` and save it."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}")
    port.progress("Luetaan Tiedot-välilehti…")
    review, dmap = read_review(port)
    port.progress("Tarkistetaan summat…")
    findings = run_checks(review, settings)
    if "Selitykset" in port.sheet_names():   # the heads' answers are in: deviations without an explanation
        from ..core.explanations import EXPLANATIONS_SHEET, explanation_findings

        findings += explanation_findings(port.read(EXPLANATIONS_SHEET), port.name)
    owned = port.owned_sheets()
    # Area sheets never take the name of a sheet of the team's (Excel compares names ignoring case).
    team = [n for n in port.sheet_names() if n not in owned]
    layout = workbook_layout(review, findings, settings, data_map=dmap, reserved=team)
    new = {s.name: s for s in layout.sheets if s.owned}
    areas = list(layout.area_sheets.values())
    fixed = (SUMMARY_SHEET, CHECKS_SHEET, CONF_SHEET)
    old_areas = [s for s in owned if s not in fixed]
    names = port.sheet_names()
    clash = [n for n in new if n.casefold() in {t.casefold() for t in team}]
    if clash:
        raise InputError(f"välilehti '{clash[0]}' on tiimin oma, mutta työ loisi samannimisen välilehden.",
                         Place(file=port.name), "Nimeä tiimin välilehti toisin ja yritä uudelleen.")
    after: str | None = None
    if job == REBUILD:
        port.progress("Luodaan palvelualueiden välilehdet, yhteenveto ja tarkistukset…")
        write = [new[SUMMARY_SHEET], *(new[a] for a in areas), new[CHECKS_SHEET], new[CONF_SHEET]]
        remove = list(owned)
    elif job == AREA_SHEETS:
        # The summary's formulas name every area sheet: it is rewritten with them, so a removed
        # area never leaves #REF! behind and a new one is counted at once.
        port.progress("Luodaan palvelualueiden välilehdet…")
        write = [new[SUMMARY_SHEET], *(new[a] for a in areas)]
        remove = [*([SUMMARY_SHEET] if SUMMARY_SHEET in names else []), *old_areas]
    else:
        sheet = SUMMARY_SHEET if job == SUMMARY else CHECKS_SHEET
        port.progress("Päivitetään yhteenveto…" if sheet == SUMMARY_SHEET else "Kirjoitetaan tarkistukset…")
        write = [new[sheet]]
        remove = [sheet] if sheet in names else []
    port.replace(write, remove, after)
    if job in (CHECKS, REBUILD):
        port.mark(DATA_SHEET, layout.data_marks)
    port.progress("Tallennetaan…")
    port.save()
    gone = tuple(s for s in remove if s not in {w.name for w in write})
    port.progress("")
    return JobReport(job, tuple(s.name for s in write), gone, tuple(findings))
