"""Tables and findings as the CLI prints them: Finnish text, or stable JSON (README, "JSON output")."""

from __future__ import annotations

__all__ = [
    "JSON_VERSION",
    "findings_to_json",
    "render_findings",
    "render_tables",
    "review_tables",
    "tables_to_json",
]

import math
from dataclasses import replace
from typing import Any

import numpy as np

from .calc import ComputedTable, Forecast, Settings, computed_table, council_values, fill_subtotals, rollup
from .checks import Finding
from .model import Review, Table
from .numbers import format_fi
from .structure import COUNCIL, INCOME_STATEMENT, Kind

JSON_VERSION = 1


def review_tables(review: Review, settings: Settings = Settings()) -> list[tuple[str, ComputedTable]]:
    """Every table of the review with Jäljellä, % and forecast computed: (level, table).

    Levels: toimiala, valtuusto, palvelualue, investointi, investoinnit. The division and
    the council tables are those printed; where a source printed none (a ledger import),
    they are the sums of the areas.
    """
    out: list[tuple[str, ComputedTable]] = []
    area_stack = (np.stack([fill_subtotals(a.values, INCOME_STATEMENT) for a in review.areas])
                  if review.areas else np.zeros((0, len(INCOME_STATEMENT.lines), len(review.columns))))
    summed = rollup(area_stack, INCOME_STATEMENT)
    division = review.division_table
    if division is None and review.areas:
        division = Table.empty(review.division, INCOME_STATEMENT, review.columns)
        division.values = summed.copy()
        for line in INCOME_STATEMENT.lines:
            division.labels[line.key] = line.label
    if division is not None:
        out.append(("toimiala", computed_table(division, settings)))
    division_values = fill_subtotals(division.values, INCOME_STATEMENT) if division is not None else summed
    council = review.council
    council_fill = council_values(np.nan_to_num(division_values))
    if council is None and division is not None:
        council = Table.empty(review.division, COUNCIL, review.columns)
        council.values = council_fill.copy()
        council.values[COUNCIL.index["valmistus_omaan_kayttoon"]] = np.nan
        for line in COUNCIL.lines:
            if line.key != "valmistus_omaan_kayttoon":
                council.labels[line.key] = line.label
    if council is not None:
        ct = computed_table(council, settings, fill=council_fill)
        if out:  # forecast the council lines from the division's lines, not from their sums
            division_fc = out[0][1].forecast
            fc_values = council_values(division_fc.values[:, None])[:, 0]
            methods = np.full(len(COUNCIL.lines), "sum", dtype=ct.forecast.method.dtype)
            ct = replace(ct, forecast=Forecast(fc_values, methods))
        out.append(("valtuusto", ct))
    out += [("palvelualue", computed_table(t, settings)) for t in review.areas]
    out += [("investointi", computed_table(t, settings)) for t in review.investments]
    if review.investments_total is not None:
        out.append(("investoinnit", computed_table(review.investments_total, settings)))
    return out


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _table_dict(level: str, ct: ComputedTable) -> dict[str, Any]:
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
        })
    return {"level": level, "name": t.name, "structure": t.structure.key, "lines": lines}


def tables_to_json(review: Review, settings: Settings = Settings()) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "title": review.title,
        "division": review.division,
        "source": review.source,
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind.value, "year": c.year,
                     "months": c.months, "unit": c.unit_label} for c in review.columns],
        "settings": {"pct_absolute": settings.pct_absolute, "pct_decimals": settings.pct_decimals,
                     "forecast_method": settings.forecast_method},
        "tables": [_table_dict(level, ct) for level, ct in review_tables(review, settings)],
    }


def findings_to_json(findings: list[Finding]) -> dict[str, Any]:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    return {"version": JSON_VERSION, "summary": counts, "findings": [f.to_dict() for f in findings]}


_LEVEL_TITLES = {"toimiala": "Toimiala", "valtuusto": "Valtuuston hyväksymä talousarvio",
                 "palvelualue": "Palvelualue", "investointi": "Investoinnit", "investoinnit": "Investoinnit yhteensä"}


def render_tables(review: Review, settings: Settings = Settings()) -> str:
    """The tables in the review's own layout, numbers in Finnish format, plus the forecast."""
    cols = review.columns
    heads = ["Selite", *(c.label for c in cols), "Jäljellä", "TOT %", "Ennuste"]
    units = ["", *(c.unit_label for c in cols), "€", "%", "€"]
    out = [f"{review.title} · {review.division}", ""]
    for level, ct in review_tables(review, settings):
        d = _table_dict(level, ct)
        rows = [heads, units]
        for ln in d["lines"]:
            rows.append([ln["printed_label"], *(format_fi(ln["values"][c.key]) for c in cols),
                         format_fi(ln["remaining"]), format_fi(ln["pct"], 2), format_fi(ln["forecast"])])
        widths = [max(len(r[i]) for r in rows) for i in range(len(heads))]
        out.append(f"{_LEVEL_TITLES[level]}: {ct.table.name}")
        for r in rows:
            out.append("  ".join([r[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(r[1:], widths[1:])]))
        out.append("")
    return "\n".join(out)


_SEVERITY_FI = {"error": "VIRHE", "warning": "VAROITUS", "info": "HUOM"}


def render_findings(findings: list[Finding]) -> str:
    lines = []
    for f in findings:
        tag = "PYÖRISTYS" if f.rounding else _SEVERITY_FI[f.severity]
        where = f" [{f.where}]" if f.where else ""
        lines.append(f"{tag}: {f.message}{where}")
    counts = findings_to_json(findings)["summary"]
    lines.append(f"Yhteensä: {counts['error']} virhettä, {counts['warning']} varoitusta, "
                 f"{counts['info']} huomiota (pyöristyserot mukaan lukien).")
    return "\n".join(lines)
