"""The checks of what is written rather than computed: line labels, goals' status and KPI rows."""

from __future__ import annotations

__all__ = ["check_goals", "check_kpis", "check_labels"]

from .calc import Settings
from .check_sums import financial_tables
from .findings import Code, Finding, Location, Severity
from .labels import normalize_label
from .model import Review


def check_labels(review: Review, settings: Settings) -> list[Finding]:
    """Misspelt, misplaced, repeated and unknown line labels: matched by meaning, never dropped.

    An unknown or repeated row is an error (its figures are not in the sums); a label matched
    by spelling or standing in the other block is a warning.
    """
    out: list[Finding] = []
    for level, table in financial_tables(review, council=True):
        for note in table.label_notes:
            error = note.issue.is_error
            key = note.key or None
            label = table.structure.labels.get(note.key) if key else None
            out.append(Finding(
                Severity.ERROR if error else Severity.WARNING, Code.LABEL, table.name, label, None, None, None,
                None, f"{table.name}: {note.note}." + (" Korjaa rivin nimi lähteeseen." if error else ""),
                str(note.source), False, location=Location(level, table.name, key, None, note.source)))
    return out


def check_goals(review: Review, settings: Settings) -> list[Finding]:
    """Goal status (Tila) must be one of Toteutuu / Toteutuu osittain / Ei toteudu."""
    out: list[Finding] = []
    for g in review.goals:
        where = str(g.source)
        name = g.aim.split("\n")[0]
        loc = Location(source=g.source)
        if not g.state_printed:
            out.append(Finding(Severity.WARNING, Code.GOAL_STATUS, name, None, "Tila", None, None, None,
                               f"Tavoite '{name}' ({g.level}): tila puuttuu.", where, location=loc))
        elif not g.state:
            out.append(Finding(Severity.ERROR, Code.GOAL_STATUS, name, None, "Tila", None, None, None,
                               f"Tavoite '{name}' ({g.level}): tila '{g.state_printed}' ei ole "
                               f"Toteutuu, Toteutuu osittain eikä Ei toteudu.", where, location=loc))
        elif normalize_label(g.state) != normalize_label(g.state_printed):
            out.append(Finding(Severity.WARNING, Code.GOAL_STATUS, name, None, "Tila", None, None, None,
                               f"Tavoite '{name}' ({g.level}): tila on kirjoitettu '{g.state_printed}'; "
                               f"tulkittu '{g.state}'.", where, location=loc))
    return out


_UNITS = {"€": "euro", "e": "euro", "kpl": "kpl", "%": "prosentti", "henkilöä": "henkilö"}


def check_kpis(review: Review, settings: Settings) -> list[Finding]:
    """KPI rows: an actual written in a target column, or targets in different units."""
    out: list[Finding] = []
    for kpi in review.kpis:
        units: dict[str, str] = {}
        for heading, text in kpi.values:
            if not text:
                continue
            if "tavoite" in normalize_label(heading) and normalize_label(text).startswith("toteuma"):
                out.append(Finding(Severity.WARNING, Code.KPI, kpi.name, None, heading, None, None, None,
                                   f"Tunnusluku '{kpi.name}': sarakkeessa '{heading}' on toteuma "
                                   f"('{text}'), ei tavoite.", str(kpi.source),
                                   location=Location(table=kpi.name, source=kpi.source)))
            for token, unit in _UNITS.items():
                if text.endswith(token) or f" {token}" in text or (token == "€" and "€" in text):
                    units[heading] = unit
                    break
        if len(set(units.values())) > 1:
            desc = ", ".join(f"{h}: {kpi.values[[v[0] for v in kpi.values].index(h)][1]}" for h in units)
            out.append(Finding(Severity.WARNING, Code.KPI, kpi.name, None, None, None, None, None,
                               f"Tunnusluku '{kpi.name}': arvot ovat eri yksiköissä ({desc}).", str(kpi.source),
                               location=Location(table=kpi.name, source=kpi.source)))
    return out
