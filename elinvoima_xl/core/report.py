"""Tables and findings as the CLI prints them: Finnish text, or stable JSON (README, "JSON output")."""

from __future__ import annotations

__all__ = [
    "JSON_VERSION",
    "findings_to_json",
    "mismatched_figures",
    "render_findings",
    "render_tables",
    "review_tables",
    "tables_to_json",
]

import math
from dataclasses import replace
from typing import Any

import numpy as np

from .calc import (ComputedTable, Forecast, Settings, apply_convention, computed_table, convention_for,
                   describe_convention, resolve)
from .checks import Finding, run_checks
from .findings import SUM_CODES, Severity
from .rollup import computed_division, council_values
from .model import Column, Level, Review, Table
from .numbers import format_fi
from .structure import COUNCIL, INCOME_STATEMENT, Kind

JSON_VERSION = 1


def review_tables(review: Review, settings: Settings = Settings()) -> list[tuple[Level, ComputedTable]]:
    """Every table of the review with Jäljellä, % and forecast computed: (level, table).

    Levels: toimiala, valtuusto, palvelualue, investointi, investoinnit. The division and
    the council tables are those printed; where a source printed none (a ledger import),
    they are the sums of the areas (a line no area gives is left out, not printed as zero).
    Identities and forecasts follow the review's sign convention.
    """
    conv = convention_for(review, settings)
    review = apply_convention(review, conv)
    income, council_s = conv.apply(INCOME_STATEMENT), conv.apply(COUNCIL)
    out: list[tuple[Level, ComputedTable]] = []
    division = review.division_table
    if division is not None:
        out.append((Level.DIVISION, computed_table(division, settings)))
    elif review.areas:
        out.append((Level.DIVISION, computed_division(review, income, settings)))
        division = out[0][1].table
    council = review.council
    council_fill = (council_values(resolve(division.values, income).values, conv) if division is not None
                    else np.full((len(COUNCIL.lines), len(review.columns)), np.nan))
    if council is None and division is not None:
        council = Table.empty(review.division, council_s, review.columns)
        council.values = council_fill.copy()
        council.values[COUNCIL.index["valmistus_omaan_kayttoon"]] = np.nan
        for line in COUNCIL.lines:
            if line.key != "valmistus_omaan_kayttoon":
                council.labels[line.key] = line.label
    if council is not None:
        ct = computed_table(council, settings, fill=council_fill)
        if out:  # forecast the council lines from the division's lines, not from their sums
            division_fc = out[0][1].forecast
            fc_values = council_values(division_fc.values[:, None], conv)[:, 0]
            methods = np.full(len(COUNCIL.lines), "sum", dtype=ct.forecast.method.dtype)
            ct = replace(ct, forecast=Forecast(fc_values, methods))
        out.append((Level.COUNCIL, ct))
    out += [(Level.AREA, computed_table(t, settings)) for t in review.areas]
    out += [(Level.INVESTMENT, computed_table(t, settings)) for t in review.investments]
    if review.investments_total is not None:
        out.append((Level.INVESTMENTS, computed_table(review.investments_total, settings)))
    return out


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


Figures = frozenset[tuple[str, str, str]]


def mismatched_figures(findings: list[Finding]) -> Figures:
    """(table name, line key, column key) of every printed figure that disagrees with its parts."""
    return frozenset((loc.table, loc.line, loc.column.key) for f in findings
                     if f.severity is Severity.ERROR and f.code in SUM_CODES and (loc := f.location) is not None
                     and loc.table is not None and loc.line is not None and isinstance(loc.column, Column))


def _table_dict(level: Level, ct: ComputedTable, mismatched: Figures = frozenset()) -> dict[str, Any]:
    t = ct.table
    lines = []
    for li, line in enumerate(t.structure.lines):
        if line.kind is Kind.HEADER or (not ct.present[li] and line.key not in t.labels):
            continue
        src = t.sources.get(line.key)
        lines.append({
            "key": line.key,
            "label": line.label,
            "printed_label": t.labels.get(line.key, line.label),
            "subtotal": line.kind is Kind.SUBTOTAL,
            "values": {c.key: _num(ct.values[li, j]) for j, c in enumerate(t.columns)},
            "remaining": _num(ct.remaining[li]),
            "pct": _num(ct.pct[li]),
            "forecast": _num(round(float(ct.forecast.values[li]), 2)),
            "forecast_method": str(ct.forecast.method[li]),
            "printed_remaining": _num(t.printed_remaining[li]),
            "printed_pct": _num(t.printed_pct[li]),
            "where": str(src) if src else None,
            # Period columns whose printed figure disagrees with its parts (an error of `check`).
            "mismatch": [c.key for c in t.columns if (t.name, line.key, c.key) in mismatched],
        })
    return {"level": str(level), "name": t.name, "structure": t.structure.key, "lines": lines}


def _convention_dict(review: Review, settings: Settings) -> dict[str, Any]:
    conv = convention_for(review, settings)
    return {"expenses_positive": conv.expenses_positive, "margin_as_cost": conv.margin_as_cost,
            "netto_as_cost": conv.netto_as_cost, "source": conv.source, "text": describe_convention(conv)}


def tables_to_json(review: Review, settings: Settings = Settings()) -> dict[str, Any]:
    mismatched = mismatched_figures(run_checks(review, settings))
    return {
        "version": JSON_VERSION,
        "title": review.title,
        "division": review.division,
        "source": review.source,
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind.value, "year": c.year,
                     "months": c.months, "unit": c.unit_label} for c in review.columns],
        "settings": {"pct_absolute": settings.pct_absolute, "pct_decimals": settings.pct_decimals,
                     "forecast_method": settings.forecast_method},
        "sign_convention": _convention_dict(review, settings),
        "tables": [_table_dict(level, ct, mismatched) for level, ct in review_tables(review, settings)],
    }


def findings_to_json(findings: list[Finding], review: Review | None = None,
                     settings: Settings = Settings()) -> dict[str, Any]:
    """Every finding (consequences and rounding included), each with its `id` and `cause`."""
    counts = {str(s): sum(1 for f in findings if f.severity is s) for s in Severity}
    out: dict[str, Any] = {"version": JSON_VERSION, "summary": counts}
    if review is not None:
        out["sign_convention"] = _convention_dict(review, settings)
    out["findings"] = [f.to_dict() for f in findings]
    return out


_LEVEL_TITLES = {Level.DIVISION: "Toimiala", Level.COUNCIL: "Valtuuston hyväksymä talousarvio",
                 Level.AREA: "Palvelualue", Level.INVESTMENT: "Investoinnit", Level.INVESTMENTS: "Investoinnit yhteensä"}
_MARK = "!"


def render_tables(review: Review, settings: Settings = Settings()) -> str:
    """The tables in the review's own layout, numbers in Finnish format, plus the forecast.

    A printed figure that disagrees with its parts (an error of `check`) is marked with "!".
    """
    cols = review.columns
    mismatched = mismatched_figures(run_checks(review, settings))
    heads = ["Selite", *(c.label for c in cols), "Jäljellä", "TOT %", "Ennuste"]
    units = ["", *(c.unit_label for c in cols), "€", "%", "€"]
    out = [f"{review.title} · {review.division}", describe_convention(convention_for(review, settings)), ""]
    for level, ct in review_tables(review, settings):
        d = _table_dict(level, ct, mismatched)
        rows = [heads, units]
        for ln in d["lines"]:
            figures = [format_fi(ln["values"][c.key]) + (_MARK if c.key in ln["mismatch"] else "") for c in cols]
            rows.append([ln["printed_label"], *figures,
                         format_fi(ln["remaining"]), format_fi(ln["pct"], 2), format_fi(ln["forecast"])])
        widths = [max(len(r[i]) for r in rows) for i in range(len(heads))]
        out.append(f"{_LEVEL_TITLES[level]}: {ct.table.name}")
        for r in rows:
            out.append("  ".join([r[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(r[1:], widths[1:])]))
        out.append("")
    if mismatched:
        out.append(f"{_MARK} = painettu luku ei täsmää osiensa summaan; syy ja ero: elinvoima check.")
    return "\n".join(out)


_SEVERITY_FI = {Severity.ERROR: "VIRHE", Severity.WARNING: "VAROITUS", Severity.INFO: "HUOM"}


def render_findings(findings: list[Finding], show_all: bool = False, convention: str | None = None) -> str:
    """Findings for a person: each error once with its consequences under it, rounding counted in one line.

    `show_all` lists every rounding difference too; the summary line counts every finding.
    """
    def line(f: Finding, indent: str = "") -> str:
        tag = "PYÖRISTYS" if f.rounding else _SEVERITY_FI[f.severity]
        where = f" [{f.where}]" if f.where else ""
        return f"{indent}{tag}: {f.message}{where}"

    consequences: dict[str, list[Finding]] = {}
    for f in findings:
        if f.cause is not None:
            consequences.setdefault(f.cause, []).append(f)
    lines = [convention] if convention else []
    rounding = [f for f in findings if f.rounding]
    for f in findings:
        if f.cause is not None or (f.rounding and not show_all):
            continue
        lines.append(line(f))
        for c in consequences.get(f.id, []):
            where = f" [{c.where}]" if c.where else ""
            lines.append(f"    seurauksena: {c.message}{where}")
    if rounding and not show_all:
        lines.append(f"PYÖRISTYS: {len(rounding)} pyöristyseroa (ero enintään pyöristyksen verran); "
                     f"näytä ne valinnalla --all.")
    counts = findings_to_json(findings)["summary"]
    linked = sum(len(v) for v in consequences.values())
    causes = f" ({counts['error'] - linked} syytä, {linked} niiden seurausta)" if linked else ""
    lines.append(f"Yhteensä: {counts['error']} virhettä{causes}, {counts['warning']} varoitusta, "
                 f"{counts['info']} huomiota (pyöristyserot mukaan lukien).")
    return "\n".join(lines)
