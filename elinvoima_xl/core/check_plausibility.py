"""The plausibility checks at the reporting point: sign flips, actuals without budget, lines far above their share, binding nets."""

from __future__ import annotations

__all__ = ["check_binding", "check_plausibility", "expected_share"]

import numpy as np
import numpy.typing as npt

from .calc import Settings, forecast, last_year_share, resolve
from .check_sums import groups, location_of, where_of, zero
from .findings import Code, Finding, Location, Measure, Severity
from .model import Column, Level, Review, column_roles
from .numbers import format_fi
from .rollup import area_structure, division_values, net_sign
from .structure import Block, Kind, Structure

FloatArray = npt.NDArray[np.float64]


def expected_share(values: FloatArray, columns: tuple[Column, ...], settings: Settings) -> FloatArray:
    """Share of the year's budget expected by now: last year's share where sound, else linear."""
    roles = column_roles(columns)
    linear = np.full(values.shape[:-1], columns[roles.actual].months / 12.0)
    if roles.prev_year is None or roles.prev_period is None:
        return linear
    py_col, pp_col = columns[roles.prev_year], columns[roles.prev_period]
    share, sound = last_year_share(zero(values[..., roles.prev_year]),
                                   zero(values[..., roles.prev_period]) * pp_col.unit / py_col.unit, settings)
    return np.where(sound, share, linear)


def check_plausibility(review: Review, settings: Settings) -> list[Finding]:
    """At the reporting point: sign flips, actuals without budget, lines far above their expected share."""
    out: list[Finding] = []
    tables = [(Level.AREA, t) for t in review.areas] + [(Level.INVESTMENT, t) for t in review.investments]
    for group in groups(tables):
        s, columns = group[0][1].structure, group[0][1].columns
        roles = column_roles(columns)
        b_col, a_col = columns[roles.budget], columns[roles.actual]
        values = np.stack([t.values for _, t in group])
        budget = zero(values[:, :, roles.budget]) * b_col.unit
        actual = zero(values[:, :, roles.actual]) * a_col.unit
        expected = expected_share(values, columns, settings)
        checked = np.array([ln.kind is Kind.DETAIL and ln.block in (Block.REVENUE, Block.EXPENSE) for ln in s.lines])
        flip = checked & (budget != 0) & (actual != 0) & (np.sign(actual) != np.sign(budget))
        no_budget = checked & (budget == 0) & (np.abs(actual) >= 0.5)
        share = actual / np.where(budget != 0, budget, 1.0)  # pragma: no mutate (a zero budget's share is masked)
        over_points = (share - expected) * 100
        far = (checked & (budget != 0) & ~flip & (over_points > settings.far_over_points)
               & (np.abs(actual - expected * budget) >= settings.min_amount))
        for t, li in zip(*np.nonzero(flip | no_budget | far)):
            (level, table), line = group[t], s.lines[li]
            b, a = float(budget[t, li]), float(actual[t, li])
            where = where_of(table, line.key)
            loc = location_of(level, table, line.key, a_col)
            name = f"{table.name}, {line.label}"
            if flip[t, li]:
                out.append(Finding(
                    Severity.WARNING, Code.SIGN_FLIP, table.name, line.label, a_col.label, b, a, a - b,
                    f"{name}: toteuma {format_fi(a)} € on eri merkkinen kuin talousarvio {format_fi(b)} €. "
                    f"Tarkista kirjaukset (oikaisu, palautus tai väärä tili).", where, location=loc))
            elif no_budget[t, li]:
                sev = Severity.WARNING if abs(a) >= settings.min_amount else Severity.INFO
                out.append(Finding(
                    sev, Code.NO_BUDGET, table.name, line.label, a_col.label, 0.0, a, a,
                    f"{name}: toteumaa {format_fi(a)} € ilman talousarviota.", where, location=loc))
            else:
                e = float(expected[t, li])
                revenue = line.block is Block.REVENUE
                out.append(Finding(
                    Severity.INFO if revenue else Severity.WARNING, Code.FAR_OVER, table.name, line.label, a_col.label,
                    round(e * b, 2), a, round(a - e * b, 2),
                    f"{name}: toteutunut {format_fi(share[t, li] * 100, 1)} % talousarviosta, odotettu "
                    f"{format_fi(e * 100, 1)} % tässä vaiheessa vuotta "
                    f"({format_fi(over_points[t, li], 1)} %-yksikköä yli). "
                    + ("Tuotot kertyvät odotettua nopeammin." if revenue else "Selvitä ylitys ja arvioi koko vuosi."),
                    where, location=loc))
    return out


def check_binding(review: Review, settings: Settings) -> list[Finding]:
    """The binding nets: the division's (council) and each area's toimintakate, actual and forecast.

    The binding net is the printed net where one is printed (the figure the board reads); the
    forecast is built from the lines where they are given. Without the division's figures the
    council's NETTO is the division's binding net.
    """
    structure = area_structure(review)
    division = division_values(review)
    nets: list[tuple[list[tuple[Level, str, str]], Structure, FloatArray]] = []
    top = "valtuuston sitovuustaso"
    if structure.net is not None and not np.isnan(division[structure.index[structure.net]]).all():
        nets.append(([(Level.DIVISION, review.division, top)], structure, division[None]))
    elif review.council is not None:
        council = review.council
        nets.append(([(Level.COUNCIL, review.division, top)], council.structure,
                     resolve(council.values, council.structure).values[None]))
    for group in groups([(Level.AREA, a) for a in review.areas]):
        names = [(Level.AREA, a.name, "käyttösuunnitelman sitovuustaso") for _, a in group]
        s = group[0][1].structure
        nets.append((names, s, resolve(np.stack([a.values for _, a in group]), s).values))
    out: list[Finding] = []
    for names, s, values in nets:
        out.extend(_binding_findings(names, s, values, review.columns, settings))
    return out


def _binding_findings(names: list[tuple[Level, str, str]], s: Structure, values: FloatArray,
                      columns: tuple[Column, ...], settings: Settings) -> list[Finding]:
    """`values`: (tables, lines, columns) resolved figures of tables sharing structure `s`."""
    if s.net is None:
        return []
    roles = column_roles(columns)
    b_col, a_col = columns[roles.budget], columns[roles.actual]
    k = s.index[s.net]
    sign = net_sign(s)     # the net as tuotot − kulut: a cost is negative
    fc_all = forecast(values, columns, s, settings).values[:, k]
    net_label = s.labels[s.net]
    out: list[Finding] = []
    for (level, name, binding_level), row, fc_value in zip(names, values, fc_all):
        budget = float(row[k, roles.budget]) * b_col.unit
        actual = float(row[k, roles.actual]) * a_col.unit
        fc_net = float(fc_value) * a_col.unit
        # (An unknown net is NaN here, and NaN passes neither test.)
        # A net cost already beyond the whole year's net; a surplus area can still catch up.
        if sign * budget <= 0 and sign * actual < sign * budget and abs(actual - budget) >= 0.5:
            out.append(Finding(
                Severity.ERROR, Code.BINDING, name, net_label, a_col.label, budget, actual, actual - budget,
                f"{name} ({binding_level}): toteutunut netto {format_fi(actual)} € ylittää jo sitovan netto-"
                f"talousarvion {format_fi(budget)} € ({format_fi(actual - budget)} €).", None,
                location=Location(level, name, s.net, a_col)))
        elif sign * (fc_net - budget) <= -settings.min_amount:
            method = "kausivaihtelu huomioiden" if settings.forecast_method == "seasonal" else "suoraviivaisesti"
            out.append(Finding(
                Severity.WARNING, Code.BINDING_FORECAST, name, net_label, "Ennuste", budget, round(fc_net, 2),
                round(fc_net - budget, 2),
                f"{name} ({binding_level}): vuoden ennuste ({method}) {format_fi(fc_net)} € ylittää sitovan netto-"
                f"talousarvion {format_fi(budget)} € ({format_fi(fc_net - budget)} €).", None,
                location=Location(level, name, s.net, Measure.FORECAST)))
    return out
