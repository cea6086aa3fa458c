"""The sheet `Selitykset` read back: the heads' explanations as findings (for Tarkistukset) and as notes (for the board).

Written by `collect`, read by the jobs and the board; imports only the core, so the jobs
need not import the collect job (dependencies point one way).
"""

from __future__ import annotations

__all__ = ["EXPLANATIONS_SHEET", "EXPLANATION_HEADS", "cell_text", "explanation_findings", "notes_from_rows"]

from .findings import Code, Finding, Location, Severity
from .labels import normalize_label
from .model import Level
from .structure import INCOME_STATEMENT, Structure

Rows = list[tuple[object, ...]]

EXPLANATIONS_SHEET = "Selitykset"
EXPLANATION_HEADS = ("alue", "rivi", "TOT-%", "odotettu %", "selitys", "palvelualueen ennuste (€)", "versio",
                     "vastattu", "tiedosto")


def cell_text(v: object) -> str:
    """A cell's value as trimmed text: empty for nothing, a whole float without its `.0`, Windows line ends as `\\n`."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).replace("\r\n", "\n").strip()


def explanation_findings(rows: Rows, name: str) -> list[Finding]:
    """Deviations without an explanation on `Selitykset` (its 'odotettu %' set, 'selitys' empty), for Tarkistukset."""
    out = []
    for n, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * len(EXPLANATION_HEADS)
        if cell_text(cells[0]) and cells[3] not in (None, "") and not cell_text(cells[4]):
            area, line = cell_text(cells[0]), cell_text(cells[1])
            out.append(Finding(Severity.WARNING, Code.EXPLANATION, area, line, "Selitys", None, None, None,
                               f"{area}, {line}: toteuma poikkeaa odotetusta osuudesta, mutta "
                               "palvelualue ei selittänyt poikkeamaa.", f"{name}:{EXPLANATIONS_SHEET}!E{n}",
                               location=Location(Level.AREA, area, line_key(line))))
    return out


def line_key(label: str, structure: Structure = INCOME_STATEMENT) -> str | None:
    """The key of the line `Selitykset` names by its label (case, spacing and punctuation aside), or None."""
    norm = normalize_label(label)
    return next((ln.key for ln in structure.lines if normalize_label(ln.label) == norm), None)


def notes_from_rows(rows: Rows) -> dict[str, list[tuple[str, str, float | None]]]:
    """Area -> (line, explanation, forecast) from `Selitykset`, for the board's document."""
    out: dict[str, list[tuple[str, str, float | None]]] = {}
    for row in rows[1:]:
        cells = list(row) + [None] * len(EXPLANATION_HEADS)
        forecast = cells[5] if isinstance(cells[5], (int, float)) and not isinstance(cells[5], bool) else None
        if cell_text(cells[0]) and (cell_text(cells[4]) or forecast is not None):
            out.setdefault(cell_text(cells[0]), []).append((cell_text(cells[1]), cell_text(cells[4]), forecast))
    return out
