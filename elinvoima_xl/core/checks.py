"""The checks: every identity, roll-up, printed figure and plausibility rule, as a list of findings.

Each check has the signature `check(review, settings) -> list[Finding]` and returns every
problem it sees; `run_checks` runs them all so the user sees everything at once. A gap
within the rounding tolerance (derived from the units and the number of rounded figures
in the identity, DOMAIN.md) is reported as rounding (severity "info"); beyond it, as an
error with both figures and the gap.

Absent is not zero (`calc.resolve`): an identity is checked only where its terms were given,
a sum of tables only on lines every part knows. The checks run in the review's sign
convention (`calc.convention_for`). A subtotal error that is wholly the gap of its lines'
errors names the first of them as its `cause`, so one wrong figure is one error with its
consequences.
"""

from __future__ import annotations

__all__ = ["ALL_CHECKS", "Finding", "Severity", "has_errors", "link_causes", "rounding_tolerance", "run_checks"]

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .calc import (Settings, apply_convention, convention_for, execution_pct, forecast, last_year_share,
                   resolve)
from .labels import normalize_label
from .model import Column, Review, Table, column_roles
from .numbers import format_fi
from .structure import COUNCIL, COUNCIL_FROM_INCOME, INCOME_STATEMENT, Block, Kind, Structure

FloatArray = npt.NDArray[np.float64]
Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One problem, named so a person can find it: table, line, column, and file line or cell."""

    severity: Severity
    code: str                    # which check: identity, division_sum, remaining, pct, ...
    area: str | None             # table name as printed (area, division, investment group)
    line: str | None             # line label as the structure names it
    column: str | None           # column heading, e.g. "TOT 2023 6 kk"
    expected: float | None       # what the arithmetic gives
    actual: float | None         # what is printed / given
    gap: float | None            # actual − expected
    message: str                 # Finnish, complete on its own
    where: str | None = None     # "seed.txt:89" or "Tyollisyyspalvelut!E12"
    rounding: bool = False       # True when the gap is within rounding tolerance
    cause: str | None = None     # `id` of the error this one follows from (a subtotal of a wrong line)

    @property
    def id(self) -> str:
        """A reference to this finding: check, table, line and column."""
        return f"{self.code}:{self.area or ''}:{self.line or ''}:{self.column or ''}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "id": self.id}


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def rounding_tolerance(n_figures: int | npt.NDArray[np.int_]) -> FloatArray:
    """Largest gap rounding alone can make when `n_figures` rounded figures meet in one identity.

    Each printed figure is off by at most half a unit, so an identity among n of them
    (terms and total) can be off by n/2 units. Anything larger is a real error.
    """
    return np.asarray(n_figures, dtype=float) / 2.0


# ---------------------------------------------------------------------------- helpers


def _unit_word(col: Column) -> str:
    return "t€" if col.unit == 1000 else "€"


def _where(table: Table, key: str) -> str | None:
    src = table.sources.get(key)
    return str(src) if src else None


def _gap_finding(code: str, table_name: str, line_label: str, col: Column, expected: float, actual: float,
                 tol: float, what_expected: str, where: str | None, column_label: str | None = None) -> Finding:
    """A printed figure against the arithmetic, in `col`'s unit; named `column_label` if given."""
    gap = actual - expected
    u = _unit_word(col)
    rounding = abs(gap) <= tol + 1e-9
    label = column_label or col.label
    head = f"{table_name}, {line_label}, {label}: painettu {format_fi(actual)} {u}, {what_expected} {format_fi(expected)} {u}"
    if rounding:
        msg = f"{head} (ero {format_fi(gap)} {u}, pyöristysero)."
    else:
        msg = (f"{head}: ero {format_fi(gap)} {u}, enemmän kuin pyöristys selittää "
               f"(enintään {format_fi(tol, 1)} {u}). Korjaa luku tai sen osat.")
    return Finding("info" if rounding else "error", code, table_name, line_label, label,
                   expected, actual, gap, msg, where, rounding)


def _tables_with_structure(review: Review) -> list[Table]:
    tables: list[Table] = []
    if review.division_table is not None:
        tables.append(review.division_table)
    tables.extend(review.areas)
    tables.extend(review.investments)
    if review.investments_total is not None:
        tables.append(review.investments_total)
    return tables


def _area_structure(review: Review) -> Structure:
    if review.areas:
        return review.areas[0].structure
    return review.division_table.structure if review.division_table is not None else INCOME_STATEMENT


def _division_values(review: Review) -> FloatArray:
    """The division's table: as printed where printed, else Σ areas; NaN where neither tells."""
    summed = _area_sum(review)
    if review.division_table is None:
        return summed
    printed = resolve(review.division_table.values, review.division_table.structure).values
    return np.where(np.isnan(printed), summed, printed)


def _sum_of(parts: list[Table], structure: Structure) -> tuple[FloatArray, FloatArray]:
    """Σ parts line by line (NaN where some part does not know the line) and how many figures were printed."""
    stack = np.stack([p.values for p in parts])
    r = resolve(stack, structure)
    summed = np.where(r.known.all(axis=0)[:, None], np.nansum(r.values, axis=0), np.nan)
    return summed, (~np.isnan(stack)).sum(axis=0)


def _area_sum(review: Review) -> FloatArray:
    structure = _area_structure(review)
    if not review.areas:
        return np.full((len(structure.lines), len(review.columns)), np.nan)
    return _sum_of(review.areas, structure)[0]


# ---------------------------------------------------------------------------- checks


def check_labels(review: Review, settings: Settings) -> list[Finding]:
    """Misspelt, misplaced, repeated and unknown line labels: matched by meaning, never dropped."""
    out: list[Finding] = []
    for table in _tables_with_structure(review) + ([review.council] if review.council else []):
        for key, note, src in table.label_notes:
            unknown = not key or "toistuu" in note
            label = table.structure.labels.get(key) if key else None
            out.append(Finding(
                "error" if unknown else "warning", "label", table.name, label, None, None, None, None,
                f"{table.name}: {note}." + (" Korjaa rivin nimi lähteeseen." if unknown else ""),
                str(src), False))
    return out


def identity_gaps(values: FloatArray, structure: Structure) -> tuple[FloatArray, FloatArray, FloatArray]:
    """For (…, lines, cols) printed figures: (expected totals, gaps, tolerance in units) per identity.

    A total that is not printed, or whose terms were none of them given, gives NaN (nothing
    to check); an absent term beside a given one counts as zero.
    """
    r = resolve(values, structure)
    coeff = structure.coefficient_matrix                      # identities × lines
    expected = np.einsum("il,...lc->...ic", coeff, _zero(r.values))  # pragma: no mutate (letter case)
    printed = (~np.isnan(values)).astype(float)  # pragma: no mutate (equivalent: einsum of bools)
    printed_terms = np.einsum("il,...lc->...ic", np.abs(coeff), printed)  # pragma: no mutate (letter case)
    totals = values[..., structure.total_indices, :]
    gaps = np.where(r.derived[..., None], totals - expected, np.nan)
    tol = rounding_tolerance(printed_terms + 1)
    return expected, gaps, tol


def _zero(x: FloatArray) -> FloatArray:
    return np.where(np.isnan(x), 0.0, x)


def _groups(tables: list[Table]) -> list[list[Table]]:
    """Tables that share a structure and columns, so one array operation serves them all."""
    groups: dict[tuple[str, tuple[Column, ...]], list[Table]] = {}
    for t in tables:
        groups.setdefault((t.structure.key, t.columns), []).append(t)
    return list(groups.values())


def _identity_findings(tables: list[Table], values: FloatArray) -> list[Finding]:
    """`values`: (tables, lines, columns) printed figures of tables sharing one structure."""
    s = tables[0].structure
    expected, gaps, tol = identity_gaps(values, s)
    out: list[Finding] = []
    sums = {i: f"{ident.describe(s.labels).split(' = ')[1].lower()} =" for i, ident in enumerate(s.identities)}
    for t, i, c in zip(*np.nonzero(_zero(gaps) != 0)):
        table = tables[t]
        ident = s.identities[i]
        out.append(_gap_finding(
            "identity", table.name, s.labels[ident.total], table.columns[c], float(expected[t, i, c]),
            float(values[t, s.index[ident.total], c]), float(tol[t, i, c]), sums[i], _where(table, ident.total)))
    return out


def check_identities(review: Review, settings: Settings) -> list[Finding]:
    """Every subtotal against its lines, in every column of every table."""
    out: list[Finding] = []
    for group in _groups(_tables_with_structure(review)):
        out.extend(_identity_findings(group, np.stack([t.values for t in group])))
    if review.council is not None:
        # The council table does not print valmistus omaan käyttöön; its NETTO includes it.
        council = review.council.values.copy()
        v = COUNCIL.index["valmistus_omaan_kayttoon"]
        division = _division_values(review)[INCOME_STATEMENT.index["valmistus_omaan_kayttoon"]]
        if np.isnan(council[v]).all() and not np.isnan(division).all():
            council[v] = division
        out.extend(_identity_findings([review.council], council[None]))
    return out


def _sum_findings(code: str, total: Table, parts: list[Table], what: str) -> list[Finding]:
    """A printed total table against Σ parts, on the lines every part and the total know."""
    s = total.structure
    expected, n_parts = _sum_of(parts, s)
    tol = rounding_tolerance(n_parts + 1)
    gaps = total.values - expected
    out: list[Finding] = []
    for li, c in zip(*np.nonzero(_zero(gaps) != 0)):
        line = s.lines[li]
        out.append(_gap_finding(code, total.name, line.label, total.columns[c], float(expected[li, c]),
                                float(total.values[li, c]), float(tol[li, c]), what, _where(total, line.key)))
    # A detail line the parts have but the total omits, while the total lists its siblings: lost.
    omitted = resolve(total.values, s).known & np.isnan(total.values).all(axis=1)
    for li in np.nonzero(omitted & (_zero(expected) != 0).any(axis=1))[0]:
        line = s.lines[li]
        if line.kind is not Kind.DETAIL:
            continue
        out.append(Finding("error", code, total.name, line.label, None, None, None, None,
                           f"{total.name}: rivi '{line.label}' puuttuu, vaikka osissa sillä on lukuja "
                           f"({', '.join(format_fi(x) for x in expected[li])}).", None))
    return out


def check_division_sum(review: Review, settings: Settings) -> list[Finding]:
    """The division table = Σ service-area tables, line by line, column by column."""
    if review.division_table is None or not review.areas:
        return []
    return _sum_findings("division_sum", review.division_table, review.areas, "palvelualueiden summa")


def check_investment_sum(review: Review, settings: Settings) -> list[Finding]:
    """The division's investment table = Σ investment groups."""
    if review.investments_total is None or not review.investments:
        return []
    return _sum_findings("investment_sum", review.investments_total, review.investments, "ryhmien summa")


def check_council(review: Review, settings: Settings) -> list[Finding]:
    """TULOT / MENOT / NETTO of the council table against the division's income statement."""
    if review.council is None:
        return []
    division = _division_values(review)
    source = "toimialan tuloslaskelman" if review.division_table is not None else "palvelualueiden summan"
    # NETTO is the division's TOIMINTAKATE, turned over if one is printed as a cost, the other as a margin.
    turn = _net_sign(review.council.structure) != _net_sign(_area_structure(review))
    out: list[Finding] = []
    for key, src_key in COUNCIL_FROM_INCOME.items():
        ci = COUNCIL.index[key]
        for c, col in enumerate(review.council.columns):
            printed = review.council.values[ci, c]
            expected = float(division[INCOME_STATEMENT.index[src_key], c])
            if turn and key == "netto":
                expected = -expected
            if np.isnan(printed) or np.isnan(expected):
                continue   # a council table without the division's figures is checked by its own identity
            if printed != expected:
                out.append(_gap_finding(
                    "council", review.council.name, COUNCIL.labels[key], col, expected, float(printed),
                    float(rounding_tolerance(2)), f"{source} {INCOME_STATEMENT.labels[src_key]} =",
                    _where(review.council, key)))
    return out


def _net_sign(structure: Structure) -> float:
    """+1 where the structure's net is printed as tuotot − kulut, −1 where as a net cost."""
    ident = next(i for i in structure.identities if i.total == structure.net)
    # The first term is the revenue (Toimintatuotot, TULOT): + in a margin, − in a net cost.
    return 1.0 if ident.coefficients[0] > 0 else -1.0


def _printed_derived_findings(tables: list[Table], settings: Settings) -> list[Finding]:
    """Printed Jäljellä and % of tables sharing one structure and columns, in one pass."""
    columns = tables[0].columns
    s = tables[0].structure
    roles = column_roles(columns)
    b_col, a_col = columns[roles.budget], columns[roles.actual]
    values = np.stack([t.values for t in tables])
    printed_rem = np.stack([t.printed_remaining for t in tables])
    printed_pct = np.stack([t.printed_pct for t in tables])
    budget = _zero(values[:, :, roles.budget]) * b_col.unit
    actual = _zero(values[:, :, roles.actual]) * a_col.unit
    out: list[Finding] = []
    rem_expected = (budget - actual) / b_col.unit
    rem_gap = printed_rem - rem_expected
    n_rem = (~np.isnan(values[:, :, [roles.budget, roles.actual]])).sum(axis=2) + 1
    for t, li in zip(*np.nonzero(_zero(rem_gap) != 0)):
        table, line = tables[t], s.lines[li]
        out.append(_gap_finding("remaining", table.name, line.label, b_col, float(rem_expected[t, li]),
                                float(printed_rem[t, li]), float(rounding_tolerance(n_rem[t, li])),
                                "TA − TOT =", _where(table, line.key), column_label="Jäljellä"))
    pct_expected = execution_pct(actual, budget, absolute=settings.pct_absolute, decimals=None)
    # Half of the printed precision, plus what rounding TOT and TA to whole units can move it.
    safe = np.where(budget != 0, budget, 1.0)  # pragma: no mutate (a zero budget's tolerance is masked)
    moved = np.where(budget != 0, 100 * (0.5 * a_col.unit / np.abs(safe) + 0.5 * b_col.unit * np.abs(actual) / safe**2), 0)
    pct_tol = 0.5 * 10.0 ** -settings.pct_decimals + moved
    pct_gap = printed_pct - pct_expected
    for t, li in zip(*np.nonzero(np.abs(_zero(pct_gap)) > pct_tol + 1e-9)):
        table, line = tables[t], s.lines[li]
        exp, act = float(pct_expected[t, li]), float(printed_pct[t, li])
        out.append(Finding(
            "error", "pct", table.name, line.label, "%", round(exp, 4), act, round(act - exp, 4),
            f"{table.name}, {line.label}, %: painettu {format_fi(act, 2)}, TOT / TA × 100 = {format_fi(exp, 2)} "
            f"(ero {format_fi(act - exp, 2)} %-yksikköä). Korjaa prosentti.", _where(table, line.key)))
    return out


def check_printed_remaining_and_pct(review: Review, settings: Settings) -> list[Finding]:
    """Printed Jäljellä against TA − TOT and printed % against TOT / TA × 100, every table."""
    out: list[Finding] = []
    tables = _tables_with_structure(review) + ([review.council] if review.council else [])
    for group in _groups(tables):
        out.extend(_printed_derived_findings(group, settings))
    return out


def _expected_share(values: FloatArray, columns: tuple[Column, ...], settings: Settings) -> FloatArray:
    """Share of the year's budget expected by now: last year's share where sound, else linear."""
    roles = column_roles(columns)
    linear = np.full(values.shape[:-1], columns[roles.actual].months / 12.0)
    if roles.prev_year is None or roles.prev_period is None:
        return linear
    py_col, pp_col = columns[roles.prev_year], columns[roles.prev_period]
    share, sound = last_year_share(_zero(values[..., roles.prev_year]),
                                   _zero(values[..., roles.prev_period]) * pp_col.unit / py_col.unit, settings)
    return np.where(sound, share, linear)


def check_plausibility(review: Review, settings: Settings) -> list[Finding]:
    """At the reporting point: sign flips, actuals without budget, lines far above their expected share."""
    out: list[Finding] = []
    for group in _groups(review.areas + review.investments):
        s, columns = group[0].structure, group[0].columns
        roles = column_roles(columns)
        b_col, a_col = columns[roles.budget], columns[roles.actual]
        values = np.stack([t.values for t in group])
        budget = _zero(values[:, :, roles.budget]) * b_col.unit
        actual = _zero(values[:, :, roles.actual]) * a_col.unit
        expected = _expected_share(values, columns, settings)
        checked = np.array([ln.kind is Kind.DETAIL and ln.block in (Block.REVENUE, Block.EXPENSE) for ln in s.lines])
        flip = checked & (budget != 0) & (actual != 0) & (np.sign(actual) != np.sign(budget))
        no_budget = checked & (budget == 0) & (np.abs(actual) >= 0.5)
        share = actual / np.where(budget != 0, budget, 1.0)  # pragma: no mutate (a zero budget's share is masked)
        over_points = (share - expected) * 100
        far = (checked & (budget != 0) & ~flip & (over_points > settings.far_over_points)
               & (np.abs(actual - expected * budget) >= settings.min_amount))
        for t, li in zip(*np.nonzero(flip | no_budget | far)):
            table, line = group[t], s.lines[li]
            b, a = float(budget[t, li]), float(actual[t, li])
            where = _where(table, line.key)
            name = f"{table.name}, {line.label}"
            if flip[t, li]:
                out.append(Finding(
                    "warning", "sign_flip", table.name, line.label, a_col.label, b, a, a - b,
                    f"{name}: toteuma {format_fi(a)} € on eri merkkinen kuin talousarvio {format_fi(b)} €. "
                    f"Tarkista kirjaukset (oikaisu, palautus tai väärä tili).", where))
            elif no_budget[t, li]:
                sev: Severity = "warning" if abs(a) >= settings.min_amount else "info"
                out.append(Finding(
                    sev, "no_budget", table.name, line.label, a_col.label, 0.0, a, a,
                    f"{name}: toteumaa {format_fi(a)} € ilman talousarviota.", where))
            else:
                e = float(expected[t, li])
                revenue = line.block is Block.REVENUE
                out.append(Finding(
                    "info" if revenue else "warning", "far_over", table.name, line.label, a_col.label,
                    round(e * b, 2), a, round(a - e * b, 2),
                    f"{name}: toteutunut {format_fi(share[t, li] * 100, 1)} % talousarviosta, odotettu "
                    f"{format_fi(e * 100, 1)} % tässä vaiheessa vuotta "
                    f"({format_fi(over_points[t, li], 1)} %-yksikköä yli). "
                    + ("Tuotot kertyvät odotettua nopeammin." if revenue else "Selvitä ylitys ja arvioi koko vuosi."),
                    where))
    return out


def check_binding(review: Review, settings: Settings) -> list[Finding]:
    """The binding nets: the division's (council) and each area's toimintakate, actual and forecast.

    The binding net is the printed net where one is printed (the figure the board reads); the
    forecast is built from the lines where they are given. Without the division's figures the
    council's NETTO is the division's binding net.
    """
    structure = _area_structure(review)
    division = _division_values(review)
    groups: list[tuple[list[tuple[str, str]], Structure, FloatArray]] = []
    top = (review.division, "valtuuston sitovuustaso")
    if structure.net is not None and not np.isnan(division[structure.index[structure.net]]).all():
        groups.append(([top], structure, division[None]))
    elif review.council is not None:
        council = review.council
        groups.append(([top], council.structure, resolve(council.values, council.structure).values[None]))
    for group in _groups(review.areas):
        names = [(a.name, "käyttösuunnitelman sitovuustaso") for a in group]
        s = group[0].structure
        groups.append((names, s, resolve(np.stack([a.values for a in group]), s).values))
    out: list[Finding] = []
    for names, s, values in groups:
        out.extend(_binding_findings(names, s, values, review.columns, settings))
    return out


def _binding_findings(names: list[tuple[str, str]], s: Structure, values: FloatArray,
                      columns: tuple[Column, ...], settings: Settings) -> list[Finding]:
    """`values`: (tables, lines, columns) resolved figures of tables sharing structure `s`."""
    if s.net is None:
        return []
    roles = column_roles(columns)
    b_col, a_col = columns[roles.budget], columns[roles.actual]
    k = s.index[s.net]
    sign = _net_sign(s)     # the net as tuotot − kulut: a cost is negative
    fc_all = forecast(values, columns, s, settings.forecast_method, settings).values[:, k]
    net_label = s.labels[s.net]
    out: list[Finding] = []
    for (name, level), row, fc_value in zip(names, values, fc_all):
        budget = float(row[k, roles.budget]) * b_col.unit
        actual = float(row[k, roles.actual]) * a_col.unit
        fc_net = float(fc_value) * a_col.unit
        # (An unknown net is NaN here, and NaN passes neither test.)
        # A net cost already beyond the whole year's net; a surplus area can still catch up.
        if sign * budget <= 0 and sign * actual < sign * budget and abs(actual - budget) >= 0.5:
            out.append(Finding(
                "error", "binding", name, net_label, a_col.label, budget, actual, actual - budget,
                f"{name} ({level}): toteutunut netto {format_fi(actual)} € ylittää jo sitovan netto-"
                f"talousarvion {format_fi(budget)} € ({format_fi(actual - budget)} €).", None))
        elif sign * (fc_net - budget) <= -settings.min_amount:
            method = "kausivaihtelu huomioiden" if settings.forecast_method == "seasonal" else "suoraviivaisesti"
            out.append(Finding(
                "warning", "binding_forecast", name, net_label, "Ennuste", budget, round(fc_net, 2),
                round(fc_net - budget, 2),
                f"{name} ({level}): vuoden ennuste ({method}) {format_fi(fc_net)} € ylittää sitovan netto-"
                f"talousarvion {format_fi(budget)} € ({format_fi(fc_net - budget)} €).", None))
    return out


def check_goals(review: Review, settings: Settings) -> list[Finding]:
    """Goal status (Tila) must be one of Toteutuu / Toteutuu osittain / Ei toteudu."""
    out: list[Finding] = []
    for g in review.goals:
        where = str(g.source)
        name = g.aim.split("\n")[0]
        if not g.state_printed:
            out.append(Finding("warning", "goal_status", name, None, "Tila", None, None, None,
                               f"Tavoite '{name}' ({g.level}): tila puuttuu.", where))
        elif not g.state:
            out.append(Finding("error", "goal_status", name, None, "Tila", None, None, None,
                               f"Tavoite '{name}' ({g.level}): tila '{g.state_printed}' ei ole "
                               f"Toteutuu, Toteutuu osittain eikä Ei toteudu.", where))
        elif normalize_label(g.state) != normalize_label(g.state_printed):
            out.append(Finding("warning", "goal_status", name, None, "Tila", None, None, None,
                               f"Tavoite '{name}' ({g.level}): tila on kirjoitettu '{g.state_printed}'; "
                               f"tulkittu '{g.state}'.", where))
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
                out.append(Finding("warning", "kpi", kpi.name, None, heading, None, None, None,
                                   f"Tunnusluku '{kpi.name}': sarakkeessa '{heading}' on toteuma "
                                   f"('{text}'), ei tavoite.", str(kpi.source)))
            for token, unit in _UNITS.items():
                if text.endswith(token) or f" {token}" in text or (token == "€" and "€" in text):
                    units[heading] = unit
                    break
        if len(set(units.values())) > 1:
            desc = ", ".join(f"{h}: {kpi.values[[v[0] for v in kpi.values].index(h)][1]}" for h in units)
            out.append(Finding("warning", "kpi", kpi.name, None, None, None, None, None,
                               f"Tunnusluku '{kpi.name}': arvot ovat eri yksiköissä ({desc}).", str(kpi.source)))
    return out


Check = Callable[[Review, Settings], list[Finding]]

ALL_CHECKS: tuple[Check, ...] = (
    check_labels, check_identities, check_division_sum, check_council, check_investment_sum,
    check_printed_remaining_and_pct, check_plausibility, check_binding, check_goals, check_kpis,
)


_CAUSE_CODES = ("identity", "division_sum", "investment_sum", "council")


def link_causes(findings: list[Finding], structures: dict[str, list[Structure]],
                parts: dict[str, list[str]] | None = None) -> list[Finding]:
    """Name, for each subtotal error that is wholly its lines' errors, the error it follows from.

    Within one check, table and column: a subtotal whose gap equals Σ coefficient × its
    terms' gaps (within rounding), with at least one term in error, gets `cause` = the
    root of its first erring term. `structures` maps a table name to the structures of the
    tables of that name (the division's income statement and the council table share one).
    Also: a total table's gap that is its parts' identity errors on that line (`parts`: total
    name -> part names), and a second check's gap on the same printed figure, follow from them.
    """
    parts = parts or {}
    gaps: dict[tuple[str, str | None, str | None], dict[str | None, Finding]] = {}
    for f in findings:
        if f.code in _CAUSE_CODES and f.gap is not None:
            gaps.setdefault((f.code, f.area, f.column), {})[f.line] = f
    linked: dict[int, Finding] = {}
    for (code, area, column), by_line in gaps.items():
        for s in structures.get(area or "", []):  # pragma: no mutate (every gap finding names its table)
            _link_table(s, by_line, linked)
    current = [linked.get(id(f), f) for f in findings]
    return _link_same_figure(_link_part_identity(current, parts))


def _errors_by_place(findings: list[Finding]) -> dict[tuple[str | None, str | None, str | None], list[int]]:
    places: dict[tuple[str | None, str | None, str | None], list[int]] = {}
    for i, f in enumerate(findings):
        if f.severity == "error" and f.code in _CAUSE_CODES and f.gap is not None:
            places.setdefault((f.area, f.line, f.column), []).append(i)
    return places


def _link_same_figure(findings: list[Finding]) -> list[Finding]:
    """One printed figure, two checks with the same gap (NETTO against its lines and the division): one error."""
    out = list(findings)
    for indices in _errors_by_place(out).values():
        root = out[indices[0]]
        for i in indices[1:]:
            f = out[i]
            if f.cause is None and root.gap is not None and f.gap is not None and abs(f.gap - root.gap) <= 1.0:
                out[i] = replace(f, cause=root.cause or root.id)
    return out


def _link_part_identity(findings: list[Finding], parts: dict[str, list[str]]) -> list[Finding]:
    """A total table's gap on a line that is wholly its parts' identity errors there follows from them.

    `parts`: total table name -> names of its parts (the division's areas, the investment groups).
    """
    out = list(findings)
    places = _errors_by_place(out)
    for i, f in enumerate(out):
        if f.code not in ("division_sum", "investment_sum") or f.cause is not None or f.gap is None:
            continue
        causes = [out[j] for name in parts.get(f.area or "", [])
                  for j in places.get((name, f.line, f.column), []) if out[j].code == "identity"]
        carried = -sum(c.gap or 0.0 for c in causes)
        if causes and abs(f.gap - carried) <= rounding_tolerance(len(causes) + 1):
            out[i] = replace(f, cause=causes[0].cause or causes[0].id)
    return out


def _link_table(s: Structure, by_line: dict[str | None, Finding], linked: dict[int, Finding]) -> None:
    """`link_causes` for one table's findings of one check and column (`by_line`: line label -> finding)."""
    for ident in s.evaluation_order:
        total = by_line.get(s.labels[ident.total])
        if total is None or total.severity != "error" or total.gap is None:
            continue
        terms = [(by_line.get(s.labels[t]), c) for t, c in zip(ident.terms, ident.coefficients)]
        erring = [f for f, _c in terms if f is not None and f.severity == "error"]
        carried = sum(c * (f.gap or 0.0) for f, c in terms if f is not None)
        if not erring or abs(total.gap - carried) > rounding_tolerance(len(ident.terms) + 1):
            continue
        first = erring[0]
        updated = replace(total, cause=first.cause or first.id)
        by_line[s.labels[ident.total]] = updated
        linked[id(total)] = updated


def run_checks(review: Review, settings: Settings = Settings(),
               checks: tuple[Check, ...] = ALL_CHECKS) -> list[Finding]:
    """Run every check; errors first, then warnings, then rounding and other info."""
    order = {"error": 0, "warning": 1, "info": 2}
    review = apply_convention(review, convention_for(review, settings))
    findings = [f for check in checks for f in check(review, settings)]
    structures: dict[str, list[Structure]] = {}
    for t in review.tables():
        structures.setdefault(t.name, []).append(t.structure)
    parts: dict[str, list[str]] = {}
    if review.division_table is not None:
        parts[review.division_table.name] = [a.name for a in review.areas]
    if review.investments_total is not None:
        parts[review.investments_total.name] = [g.name for g in review.investments]
    findings = link_causes(findings, structures, parts)
    return sorted(findings, key=lambda f: order[f.severity])


