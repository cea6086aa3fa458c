"""The sheets the team keeps (Tiedot, Tavoitteet, Tunnusluvut, Riskit) and xlwings.conf, as layouts."""

from __future__ import annotations

from ...core.model import Review
from ...sources.datafile import data_rows
from ...sources.review_text import TILA_CHOICES
from .values import (
    AMOUNT,
    CONF_SHEET,
    DATA_SHEET,
    GOALS_SHEET,
    HEAD_LEFT,
    KPI_SHEET,
    PCT,
    RISKS_SHEET,
    SUBTITLE,
    TILA_FILLS,
    UDF_MODULE,
    SheetLayout,
    TextRule,
    Validation,
    style,
)


def data_sheet_layout(review: Review) -> SheetLayout:
    """The data sheet `Tiedot`: the data-file table of `review` (build, and the ledger import)."""
    sheet = SheetLayout(DATA_SHEET, owned=False, tab_color="548235")
    for r, row in enumerate(data_rows(review)):
        for c, v in enumerate(row):
            if v is None:
                continue
            if r == 0:
                sheet.put(r, c, str(v), style=HEAD_LEFT)
            elif isinstance(v, float):
                sheet.put(r, c, v, style=style(number_format=PCT if c == len(row) - 1 else AMOUNT))
            else:
                sheet.put(r, c, str(v))
    sheet.widths = {0: 13, 1: 30, 2: 30, **{c: 15 for c in range(3, 5 + len(review.columns))}}
    sheet.freeze = (1, 3)
    return sheet


GOAL_HEADS = ("Taso", "Strateginen päämäärä", "Tavoite", "Mittari ja tavoitetaso", "Toteuma 31.3.",
              "Toteuma 30.6.", "Vastuu", "Tila")


def goals_sheet(review: Review) -> SheetLayout:
    sheet = SheetLayout(GOALS_SHEET, owned=False)
    for c, h in enumerate(GOAL_HEADS):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, g in enumerate(review.goals, start=1):
        for c, v in enumerate((g.level, g.aim, g.target, g.measure, g.status_31_3, g.status_30_6,
                               g.responsible, g.state_printed or g.state)):
            sheet.put(r, c, v, style=style(wrap=True))
    last = max(len(review.goals), 1) + 200          # room for goals the team adds
    sheet.validations.append(Validation(7, 1, last, TILA_CHOICES))
    sheet.rules += [TextRule(7, 1, last, text, fill) for text, fill in TILA_FILLS.items()]
    sheet.widths = {0: 16, 1: 28, 2: 45, 3: 45, 4: 45, 5: 45, 6: 28, 7: 18}
    sheet.freeze = (1, 2)
    return sheet


def kpi_sheet(review: Review) -> SheetLayout:
    sheet = SheetLayout(KPI_SHEET, owned=False)
    heads: list[str] = []
    for k in review.kpis:
        heads += [h for h, _ in k.values if h not in heads]
    sheet.put(0, 0, "Tunnusluku", style=HEAD_LEFT)
    for c, h in enumerate(heads, start=1):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, k in enumerate(review.kpis, start=1):
        sheet.put(r, 0, k.name, style=style(wrap=True))
        for h, v in k.values:
            sheet.put(r, 1 + heads.index(h), v)
    sheet.widths = {0: 50, **{c: 16 for c in range(1, len(heads) + 1)}}
    return sheet


def risks_sheet(review: Review) -> SheetLayout:
    sheet = SheetLayout(RISKS_SHEET, owned=False)
    for c, h in enumerate(("Tunnistettu riski", "Riskiarvo", "Hallintakeino", "Hallintakeinon toteutuminen 30.6.")):
        sheet.put(0, c, h, style=HEAD_LEFT)
    for r, k in enumerate(review.risks, start=1):
        for c, v in enumerate((k.risk, k.rating, k.control, k.outcome)):
            sheet.put(r, c, v, style=style(wrap=True))
    sheet.widths = {0: 40, 1: 10, 2: 50, 3: 50}
    return sheet


# No empty rows: xlwings' GetConfig takes a key present on this sheet even when its value is empty,
# which would hide the interpreter in the xlwings.conf file beside the workbook (`elinvoima init`).
CONF_ROWS: tuple[tuple[str, str | bool], ...] = (
    ("UDF Modules", UDF_MODULE),
    ("Debug UDFs", False),
    ("Use UDF Server", False),
    ("Show Console", False),
)


def conf_sheet() -> SheetLayout:
    """xlwings' settings sheet: key/value pairs from A1; a key here overrides the xlwings.conf files."""
    sheet = SheetLayout(CONF_SHEET, owned=True)
    for r, (k, v) in enumerate(CONF_ROWS):
        sheet.put(r, 0, k)
        if v != "":
            sheet.put(r, 1, v)
    sheet.put(0, 3, "xlwingsin asetukset tälle työkirjalle. Pythonin polku (Interpreter_Win) on tiedostossa "
                    "xlwings.conf työkirjan vieressä: elinvoima init kirjoittaa sen.", style=SUBTITLE)
    sheet.widths = {0: 18, 1: 28}
    return sheet
