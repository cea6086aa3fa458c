"""The one roll-up: division = Σ areas, council from the division, investment total = Σ groups, used alike by checks, report and layout."""

from __future__ import annotations

import numpy as np
import pytest

from elinvoima_xl.core.calc import Settings, convention_for
from elinvoima_xl.core.checks import Code, run_checks
from elinvoima_xl.core.model import Review
from elinvoima_xl.core.report import review_tables
from elinvoima_xl.core.rollup import (
    comparable_sum,
    computed_division,
    council_terms,
    council_values,
    division_forecast,
    division_terms,
    identity_totals,
    investment_terms,
    mixed_totals,
    rollup,
)
from elinvoima_xl.core.structure import COUNCIL, Kind, SignConvention
from elinvoima_xl.core.structure import INCOME_STATEMENT as IS
from elinvoima_xl.sources.datafile import read_data_csv

HEAD = "taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (€)"


def review_of(rows: str) -> Review:
    return read_data_csv((HEAD + "\n" + rows.strip() + "\n").encode("utf-8"), "t.csv")


TWO_AREAS = """
palvelualue;A;Myyntituotot;1000;400
palvelualue;A;Henkilöstökulut;-3000;-1400
palvelualue;B;Myyntituotot;500;300
palvelualue;B;Maksutuotot;200;90
palvelualue;B;Henkilöstökulut;-800;-410
investointi;Koneet;TULOT;0;0
investointi;Koneet;MENOT;-100;-40
investointi;Talot;TULOT;50;10
investointi;Talot;MENOT;-300;-120
"""


def test_terms_name_every_part_once_with_coefficient_one() -> None:
    r = review_of(TWO_AREAS)
    assert [(t.part, t.line, t.coefficient) for t in division_terms(r, "myyntituotot")] == [
        ("A", "myyntituotot", 1.0), ("B", "myyntituotot", 1.0)]
    assert [(t.part, t.coefficient) for t in investment_terms(r, "menot")] == [("Koneet", 1.0), ("Talot", 1.0)]


@pytest.mark.parametrize(("convention", "netto"), [
    (SignConvention(), 1.0),                       # both nets tuotot − kulut
    (SignConvention(True, False, True), -1.0),     # TOIMINTAKATE a margin, NETTO a net cost: turned over
    (SignConvention(True, True, True), 1.0),       # both net costs
    (SignConvention(False, True, True), 1.0),
])
def test_council_netto_is_toimintakate_turned_only_where_one_is_a_cost(convention: SignConvention,
                                                                       netto: float) -> None:
    terms = council_terms(convention.apply(COUNCIL), convention.apply(IS))
    assert {k: (t.line, t.coefficient) for k, t in terms.items()} == {
        "tulot": ("toimintatuotot", 1.0), "valmistus_omaan_kayttoon": ("valmistus_omaan_kayttoon", 1.0),
        "menot": ("toimintakulut", 1.0), "netto": ("toimintakate", netto)}
    income = np.zeros((len(IS.lines), 1))
    income[IS.index["toimintakate"], 0] = -420.0
    assert council_values(income, convention)[COUNCIL.index["netto"], 0] == -420.0 * netto


def test_the_summary_sums_what_any_area_gives_the_checks_only_what_every_area_gives() -> None:
    r = review_of(TWO_AREAS)
    stack = np.stack([a.values for a in r.areas])
    shown = rollup(stack, IS)
    compared, printed = comparable_sum(r.areas, IS)
    # Myyntituotot: 400 + 300; Maksutuotot only in B: the summary shows 90 (A's absent sibling is zero),
    # and the checks compare it too (A lists Myyntituotot, so its Maksutuotot is a known zero).
    assert shown[IS.index["myyntituotot"], 1] == 700 and compared[IS.index["myyntituotot"], 1] == 700
    assert shown[IS.index["maksutuotot"], 1] == 90 and compared[IS.index["maksutuotot"], 1] == 90
    assert printed[IS.index["maksutuotot"], 1] == 1           # one figure printed: B's
    # Toimintakate: (400 − 1400) + (300 + 90 − 410) = −1020.
    assert shown[IS.index["toimintakate"], 1] == -1020
    # An area C that gives only its Toimintatuotot (60): the summary counts it in that subtotal and shows
    # Myyntituotot as A + B; the checks cannot say what C's Myyntituotot is, so they compare no sum there.
    r3 = review_of(TWO_AREAS + "palvelualue;C;Toimintatuotot;100;60\n")
    shown3 = rollup(np.stack([a.values for a in r3.areas]), IS)
    compared3, _ = comparable_sum(r3.areas, IS)
    assert shown3[IS.index["myyntituotot"], 1] == 700 and np.isnan(compared3[IS.index["myyntituotot"], 1])
    assert shown3[IS.index["toimintatuotot"], 1] == 400 + 390 + 60 == compared3[IS.index["toimintatuotot"], 1]


def test_checks_report_and_summary_agree_on_the_division() -> None:
    # The division printed with an error on Myyntituotot TOT (710, not 400 + 300): the check's expected
    # figure is the same roll-up the report shows for a division computed from the areas.
    r = review_of(TWO_AREAS + "toimiala;D;Myyntituotot;1500;710\ntoimiala;D;Maksutuotot;200;90\n")
    f = next(f for f in run_checks(r) if f.code is Code.DIVISION_SUM and f.line == "Myyntituotot")
    assert (f.expected, f.actual, f.line_key) == (700.0, 710.0, "myyntituotot")
    computed = dict(review_tables(review_of(TWO_AREAS), Settings()))["toimiala"]
    assert computed.values[IS.index["myyntituotot"], 1] == f.expected
    council = dict(review_tables(review_of(TWO_AREAS), Settings()))["valtuusto"]
    # Expenses negative here: NETTO is TOIMINTAKATE as it stands, (400 − 1400) + (300 + 90 − 410) = −1020.
    conv = convention_for(review_of(TWO_AREAS), Settings())
    assert council_terms(conv.apply(COUNCIL), conv.apply(IS))["netto"].coefficient == 1.0
    assert council.values[COUNCIL.index["netto"], 1] == -1020


def test_a_mixed_division_forecasts_a_subtotal_as_the_sum_of_its_areas_forecasts() -> None:
    # A gives its lines, C only its Toimintatuotot and Toimintakulut. No last year: linear, TOT × 12 / 6.
    r = review_of("""
palvelualue;A;Myyntituotot;1000;400
palvelualue;A;Henkilöstökulut;-3000;-1400
palvelualue;C;Toimintatuotot;100;60
palvelualue;C;Toimintakulut;-200;-90
""")
    stack = np.stack([a.values for a in r.areas])
    assert mixed_totals(stack, IS) == {"toimintatuotot", "toimintakulut"}
    # Every area derives TOIMINTAKATE and below (C from its two subtotals): the summary writes those as identities.
    assert identity_totals(stack, IS) == {"toimintakate", "vuosikate", "tilikauden_tulos"}
    assert identity_totals(stack[:0], IS) == {i.total for i in IS.identities}   # no areas: all of them
    division = dict(review_tables(r, Settings()))["toimiala"]
    fc = {k: division.forecast.values[IS.index[k]] for k in ("myyntituotot", "toimintatuotot", "toimintakulut",
                                                              "toimintakate")}
    # Toimintatuotot: A's 400 × 2 plus C's own 60 × 2 (the division's lines alone would give 800).
    assert fc == {"myyntituotot": 800, "toimintatuotot": 800 + 120, "toimintakulut": -2800 - 180,
                  "toimintakate": 920 - 2980}
    assert division.forecast.method[IS.index["toimintatuotot"]] == "sum"
    # A division whose areas all give their lines is not mixed: the forecast is the lines' as before.
    assert mixed_totals(np.stack([a.values for a in review_of(TWO_AREAS).areas]), IS) == set()
    # Without a mixed subtotal the division's forecast is the one of its summed lines (calc.forecast).
    one = stack[:1]
    plain = division_forecast(one, r.columns, IS)
    assert plain.values[IS.index["toimintatuotot"]] == 800 and plain.values[IS.index["toimintakate"]] == 800 - 2800


def test_the_computed_division_labels_every_line_the_areas_give_and_forecasts_by_the_settings() -> None:
    # Every line but the headings has a figure in the roll-up: given, a zero sibling of a given line, or a subtotal.
    division = computed_division(review_of(TWO_AREAS), IS)
    assert set(division.table.labels) == {ln.key for ln in IS.lines if ln.kind is not Kind.HEADER}
    # A mixed division with last year's figures. Seasonal: TOT / (TOT prev / TP prev).
    # A: Myyntituotot 400 / (200 / 1000) = 2000; Henkilöstökulut -1400 / (-1500 / -3000) = -2800.
    # C: Toimintatuotot 60 / (25 / 100) = 240; Toimintakulut -90 / (-100 / -200) = -180.
    # The division: Toimintatuotot 2000 + 240 = 2240, Toimintakulut -2800 - 180 = -2980, Toimintakate -740.
    # Linear (TOT × 12 / 6): 800, 800 + 120 = 920, -2800 - 180 = -2980, 920 - 2980 = -2060.
    head = "taso;alue;rivi;TP 2022 (€);TOT 2022 6 kk (€);TA 2023 (€);TOT 2023 6 kk (€)"
    rows = ("palvelualue;A;Myyntituotot;1000;200;1000;400\npalvelualue;A;Henkilöstökulut;-3000;-1500;-3000;-1400\n"
            "palvelualue;C;Toimintatuotot;100;25;100;60\npalvelualue;C;Toimintakulut;-200;-100;-200;-90\n")
    mixed = read_data_csv(f"{head}\n{rows}".encode("utf-8"), "t.csv")
    keys = ("myyntituotot", "toimintatuotot", "toimintakulut", "toimintakate")
    for settings, expected in ((Settings(), (2000, 2240, -2980, -740)),
                               (Settings(forecast_method="linear"), (800, 920, -2980, -2060))):
        fc = computed_division(mixed, IS, settings).forecast
        assert tuple(fc.values[IS.index[k]] for k in keys) == expected, settings.forecast_method
        assert fc.method[IS.index["toimintatuotot"]] == "sum"
        assert fc.method[IS.index["myyntituotot"]] == settings.forecast_method
