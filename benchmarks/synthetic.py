"""A synthetic city-scale division for benchmarks: N areas × 40 lines × 6 columns, seeded."""

from __future__ import annotations

import numpy as np

from elinvoima_xl.core.model import Column, ColumnKind, Review, Table
from elinvoima_xl.core.structure import Block, Identity, Kind, Line, Structure

COLUMNS = (Column(ColumnKind.TP, 2022, 12, 1000), Column(ColumnKind.TOT, 2022, 6, 1000),
           Column(ColumnKind.TA, 2023, 12, 1), Column(ColumnKind.TOT, 2023, 6, 1))


def synthetic_structure() -> Structure:
    """40 lines: 12 revenue lines, 20 expense lines, their subtotals, the net and 5 result lines."""
    rev = [Line(f"tuotto_{i}", f"Tuotto {i}", Kind.DETAIL, Block.REVENUE) for i in range(12)]
    exp = [Line(f"kulu_{i}", f"Kulu {i}", Kind.DETAIL, Block.EXPENSE) for i in range(20)]
    sub = Kind.SUBTOTAL
    lines = (*rev, Line("tuotot", "Tuotot", sub, Block.REVENUE), *exp, Line("kulut", "Kulut", sub, Block.EXPENSE),
             Line("valmistus", "Valmistus", Kind.DETAIL, Block.RESULT), Line("kate", "Kate", sub, Block.RESULT),
             Line("rahoitus", "Rahoitus", Kind.DETAIL, Block.RESULT), Line("vuosikate", "Vuosikate", sub, Block.RESULT),
             Line("poistot", "Poistot", Kind.DETAIL, Block.RESULT), Line("tulos", "Tulos", sub, Block.RESULT))
    assert len(lines) == 40
    return Structure("synteettinen", lines, (
        Identity("tuotot", tuple(ln.key for ln in rev)),
        Identity("kulut", tuple(ln.key for ln in exp)),
        Identity("kate", ("tuotot", "valmistus", "kulut")),
        Identity("vuosikate", ("kate", "rahoitus")),
        Identity("tulos", ("vuosikate", "poistot")),
    ), net="kate")


def synthetic_review(n_areas: int = 200, seed: int = 2023, errors: int = 20) -> Review:
    """Printed-style figures (rounded, with printed Jäljellä and %), `errors` of them wrong."""
    rng = np.random.default_rng(seed)
    s = synthetic_structure()
    n = len(s.lines)
    detail = np.array([ln.kind is Kind.DETAIL for ln in s.lines])
    sign = np.array([-1.0 if ln.block is Block.EXPENSE else 1.0 for ln in s.lines])
    # Budgets are set in whole hundreds (as every TA figure of the seed is); actuals carry cents.
    budget = np.round(rng.uniform(1e3, 5e5, size=(n_areas, n)), -2) * sign
    true = np.zeros((n_areas, n, 4))
    true[:, :, 2] = budget
    true[:, :, 3] = budget * rng.uniform(0.3, 0.7, size=(n_areas, n))
    true[:, :, 0] = budget * rng.uniform(0.8, 1.2, size=(n_areas, n)) / 1000
    true[:, :, 1] = true[:, :, 0] * rng.uniform(0.3, 0.7, size=(n_areas, n))
    true[:, ~detail, :] = 0
    for ident in s.evaluation_order:
        true[:, s.index[ident.total], :] = true[:, [s.index[t] for t in ident.terms], :].sum(axis=1)
    printed = np.round(true)
    rem = np.round(true[:, :, 2] - true[:, :, 3])
    pct = np.round(true[:, :, 3] / true[:, :, 2] * 100, 1)
    for _ in range(errors):                      # misprints: a figure off by a few thousand
        a, li, c = rng.integers(n_areas), rng.integers(n), rng.integers(4)
        printed[a, li, c] += rng.choice([-1, 1]) * rng.integers(1_000, 9_000)
    areas = []
    for a in range(n_areas):
        t = Table(f"Alue {a + 1}", s, COLUMNS, printed[a], rem[a], pct[a])
        t.labels = {ln.key: ln.label for ln in s.lines}
        areas.append(t)
    division = Table("Toimiala", s, COLUMNS, np.round(true.sum(axis=0)), np.round((true[:, :, 2] - true[:, :, 3]).sum(axis=0)),
                     np.full(n, np.nan))
    division.labels = {ln.key: ln.label for ln in s.lines}
    return Review("Katsaus 1–6/2023", "Toimiala", COLUMNS, areas, division_table=division)


def synthetic_income_review(n_areas: int = 200, seed: int = 2023) -> Review:
    """N service areas on the real income statement (what the team workbook lays out), seeded."""
    from elinvoima_xl.core.calc import fill_subtotals
    from elinvoima_xl.core.structure import INCOME_STATEMENT as S

    rng = np.random.default_rng(seed)
    n = len(S.lines)
    sign = np.array([-1.0 if ln.block is Block.EXPENSE else 1.0 for ln in S.lines])
    detail = np.array([ln.kind is Kind.DETAIL for ln in S.lines])
    areas = []
    for a in range(n_areas):
        v = np.zeros((n, 4))
        budget = np.round(rng.uniform(1e3, 5e5, size=n), -2) * sign
        v[:, 2] = budget
        v[:, 3] = np.round(budget * rng.uniform(0.3, 0.7, size=n))
        v[:, 0] = np.round(budget * rng.uniform(0.8, 1.2, size=n) / 1000)
        v[:, 1] = np.round(v[:, 0] * rng.uniform(0.3, 0.7, size=n))
        v[~detail] = np.nan
        t = Table.empty(f"Palvelualue {a + 1:03d}", S, COLUMNS)
        t.values = fill_subtotals(v, S)
        for ln in S.lines:
            if ln.kind is not Kind.HEADER:
                t.labels[ln.key] = ln.label
        areas.append(t)
    return Review("Osavuosikatsaus 1–6/2023", "Synteettinen toimiala", COLUMNS, areas)
