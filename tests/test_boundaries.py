"""Boundaries of the checks and the arithmetic, on small tables written here: each side of every threshold.

Mutation testing (`make mutation`) showed which of these the other tests missed: a tolerance
`<=` turned `<`, a tolerance ten times too large, a missing-line error removed, a binding
threshold moved, a subtotal shown only when all (not any) of its lines are.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from elinvoima_xl.core.calc import (Settings, complete, computed_table, convention_for, detect_convention,
                               execution_pct, fill_subtotals, forecast, forecast_lines, last_year_share, remaining,
                               resolve, seasonal_share_is_sound)
from elinvoima_xl.core.rollup import council_values, rollup
from elinvoima_xl.core.checks import Finding, has_errors, rounding_tolerance, run_checks
from elinvoima_xl.core.findings import Location
from elinvoima_xl.core.model import Column, ColumnKind, Goal, Kpi, LabelIssue, LabelNote, Level, Review, Source
from elinvoima_xl.sources.datafile import read_data_csv
from elinvoima_xl.core.structure import COUNCIL, INCOME_STATEMENT as IS, INVESTMENT, SignConvention

HEAD = "taso;alue;rivi;TP 2022 (1000 €);TOT 2022 6 kk (1000 €);TA 2023 (€);TOT 2023 6 kk (€);Jäljellä (€);%"
HEAD_NO_PREV = "taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (€);Jäljellä (€);%"


def review_of(rows: str, head: str = HEAD) -> Review:
    return read_data_csv((head + "\n" + rows.strip() + "\n").encode("utf-8"), "t.csv")


def of(findings: list[Finding], code: str, line: str | None = None) -> list[Finding]:
    return [f for f in findings if f.code == code and (line is None or f.line == line)]


# ------------------------------------------------------------------ rounding tolerance of identities


@pytest.mark.parametrize(("printed_total", "severity"), [(1_502, "info"), (1_503, "error"), (1_498, "info"),
                                                         (1_497, "error")])
def test_identity_tolerance_is_half_a_unit_per_figure(printed_total: int, severity: str) -> None:
    # Three lines and the total, four rounded figures: up to 4 × 0,5 = 2 € apart. 500 + 600 + 400 = 1 500.
    r = review_of(f"""
palvelualue;A;Myyntituotot;;;500;500;;
palvelualue;A;Maksutuotot;;;600;600;;
palvelualue;A;Vuokratuotot;;;400;400;;
palvelualue;A;Toimintatuotot;;;1500;{printed_total};;
""", HEAD)
    f = of(run_checks(r), "identity", "Toimintatuotot")
    assert [(x.severity, x.gap, x.rounding) for x in f] == [(severity, printed_total - 1_500, severity == "info")]


def test_rounding_tolerance_values() -> None:
    assert rounding_tolerance(4) == 2.0
    assert rounding_tolerance(np.array([1, 2])).tolist() == [0.5, 1.0]


# ------------------------------------------------------------------ sums of tables


def test_division_sum_tolerance_and_missing_line() -> None:
    # Two areas (+ the division) = three figures: 1,5 € of rounding. Division Myyntituotot 100 + 200 = 300.
    r = review_of("""
toimiala;D;Myyntituotot;;;300;301;;
toimiala;D;Maksutuotot;;;0;0;;
palvelualue;A;Myyntituotot;;;100;100;;
palvelualue;A;Vuokratuotot;;;50;50;;
palvelualue;B;Myyntituotot;;;200;200;;
""")
    findings = run_checks(r)
    f = of(findings, "division_sum", "Myyntituotot")
    assert [(x.severity, x.expected, x.gap) for x in f] == [("info", 300, 1)]
    # The division lists Myyntituotot and Maksutuotot but not A's Vuokratuotot 50: lost from the total.
    missing = [x for x in of(findings, "division_sum", "Vuokratuotot")]
    assert [(x.severity, x.column) for x in missing] == [("error", None)]
    assert "Vuokratuotot" in missing[0].message and "50" in missing[0].message


def test_division_sum_beyond_rounding_is_an_error() -> None:
    r = review_of("""
toimiala;D;Myyntituotot;;;300;302;;
palvelualue;A;Myyntituotot;;;100;100;;
palvelualue;B;Myyntituotot;;;200;200;;
""")
    f = of(run_checks(r), "division_sum", "Myyntituotot")
    assert [(x.severity, x.gap, x.where) for x in f] == [("error", 2, "t.csv:2")]


def test_summary_level_division_misses_no_line() -> None:
    # The division prints only Toimintatuotot: its lines are not missing, they are not given.
    r = review_of("""
toimiala;D;Toimintatuotot;;;300;300;;
palvelualue;A;Myyntituotot;;;100;100;;
palvelualue;B;Myyntituotot;;;200;200;;
""")
    assert not has_errors(run_checks(r))


def test_investment_sum() -> None:
    r = review_of("""
investointi;G1;TULOT;;;10;10;;
investointi;G1;MENOT;;;-50;-50;;
investointi;G2;MENOT;;;-30;-30;;
investoinnit;Yht;TULOT;;;10;10;;
investoinnit;Yht;MENOT;;;-80;-83;;
investoinnit;Yht;NETTO;;;-70;-73;;
""")
    f = run_checks(r)
    menot = of(f, "investment_sum", "MENOT")
    assert [(x.severity, x.expected, x.gap) for x in menot] == [("error", -80, -3)]
    netto = of(f, "investment_sum", "NETTO")
    assert [(x.expected, x.gap, x.cause) for x in netto] == [(-70, -3, menot[0].id)]


# ------------------------------------------------------------------ council


@pytest.mark.parametrize(("tulot", "severity"), [(1_001, "info"), (1_002, "error"), (999, "info"), (998, "error")])
def test_council_tolerance_is_one_unit(tulot: int, severity: str) -> None:
    # Council TULOT against the division's Toimintatuotot 1 000: two rounded figures, 1 € of rounding.
    r = review_of(f"""
valtuusto;D;TULOT;;;1000;{tulot};;
valtuusto;D;MENOT;;;-3000;-3000;;
palvelualue;A;Myyntituotot;;;1000;1000;;
palvelualue;A;Henkilöstökulut;;;-3000;-3000;;
""")
    f = of(run_checks(r), "council", "TULOT")
    assert [(x.severity, x.expected, x.gap) for x in f] == [(severity, 1000, tulot - 1000)]


def test_council_netto_includes_valmistus_from_the_division() -> None:
    # NETTO = TULOT + valmistus + MENOT = 1 000 + 200 − 3 000 = −1 800 (the council does not print valmistus).
    r = review_of("""
valtuusto;D;TULOT;;;1000;1000;;
valtuusto;D;MENOT;;;-3000;-3000;;
valtuusto;D;NETTO;;;-1800;-1800;;
palvelualue;A;Myyntituotot;;;1000;1000;;
palvelualue;A;Valmistus omaan käyttöön;;;200;200;;
palvelualue;A;Henkilöstökulut;;;-3000;-3000;;
""")
    assert not has_errors(run_checks(r))
    r.areas[0].values[IS.index["valmistus_omaan_kayttoon"]] = [np.nan, np.nan, 0, 0]
    errors = [(f.code, f.line, f.gap) for f in run_checks(r) if f.severity == "error"]
    assert ("identity", "NETTO", 200.0) in errors and ("council", "NETTO", 200.0) in errors


# ------------------------------------------------------------------ printed Jäljellä and %


@pytest.mark.parametrize(("printed", "error"), [(50.0, False), (50.05, False), (50.1, True), (49.9, True)])
def test_pct_tolerance(printed: float, error: bool) -> None:
    # 500 000 / 1 000 000 = 50,0 %; half the last digit is 0,05, rounding the euros moves it 0,000075 more.
    r = review_of(f"palvelualue;A;Myyntituotot;;;1000000;500000;;{printed}", HEAD)
    assert bool(of(run_checks(r), "pct")) is error


def test_pct_with_absolute_setting_and_zero_budget() -> None:
    r = review_of("palvelualue;A;Myyntituotot;;;0;735;-735;0", HEAD)
    assert of(run_checks(r), "pct") == []
    r = review_of("palvelualue;A;Myyntituotot;;;200000;-152561;;76,3", HEAD)
    assert of(run_checks(r, Settings(pct_absolute=True)), "pct") == []
    assert of(run_checks(r), "pct")[0].expected == pytest.approx(-76.2805)


@pytest.mark.parametrize(("printed", "severity"), [(600, None), (601, "info"), (602, "error"), (598, "error")])
def test_remaining_tolerance(printed: int, severity: str | None) -> None:
    # Jäljellä = 1 000 − 400 = 600 from two rounded figures and the printed one: 1,5 €.
    r = review_of(f"palvelualue;A;Myyntituotot;;;1000;400;{printed};40", HEAD)
    assert [x.severity for x in of(run_checks(r), "remaining")] == ([severity] if severity else [])


def test_remaining_in_thousands() -> None:
    head = "taso;alue;rivi;TA 2023 (1000 €);TOT 2023 6 kk (€);Jäljellä (1000 €);%"
    r = review_of("palvelualue;A;Myyntituotot;10;4000;6;40", head)
    assert of(run_checks(r), "remaining") == [] and of(run_checks(r), "pct") == []


# ------------------------------------------------------------------ plausibility


def test_sign_flip_no_budget_and_far_over() -> None:
    r = review_of("""
palvelualue;A;Myyntituotot;;;1000;-10;;
palvelualue;A;Maksutuotot;;;0;1000;;
palvelualue;A;Vuokratuotot;;;0;999;;
palvelualue;A;Muut toimintatuotot;;;0;0,4;;
palvelualue;A;Henkilöstökulut;;;-10000;-7600;;
palvelualue;A;Palvelujen ostot;;;-10000;-7400;;
palvelualue;A;Avustukset;;;-2000;-1700;;
palvelualue;A;Poistot ja arvonalentumiset;;;1000;-10;;
""", HEAD)
    f = run_checks(r)
    assert [(x.line, x.severity, x.expected, x.actual) for x in of(f, "sign_flip")] == [
        ("Myyntituotot", "warning", 1000, -10)]     # Poistot is not a revenue or expense line
    assert [(x.line, x.severity) for x in of(f, "no_budget")] == [("Maksutuotot", "warning"), ("Vuokratuotot", "info")]
    # Linear share 6/12: Henkilöstökulut 76 % is 26 %-points over (2 600 € beyond 5 000); Palvelujen ostot
    # 74 % is 24 points; Avustukset 85 % is 35 points but only 700 € beyond: below the 1 000 € that matters.
    far = of(f, "far_over")
    assert [(x.line, x.severity, x.expected, x.gap) for x in far] == [("Henkilöstökulut", "warning", -5000, -2600)]


def test_far_over_revenue_is_a_note_and_uses_last_years_share() -> None:
    # Last year's share 20/100 = 0,2: 60 % now is 40 points over; revenue running ahead is only a note.
    r = review_of("palvelualue;A;Myyntituotot;100;20;10000;6000;;", HEAD)
    far = of(run_checks(r), "far_over")
    assert [(x.severity, x.expected, x.gap) for x in far] == [("info", 2000, 4000)]
    assert "40,0 %-yksikköä" in far[0].message


# ------------------------------------------------------------------ binding level


@pytest.mark.parametrize(("actual", "code"), [("-100001", "binding"), ("-100000,4", None), ("-100000", None)])
def test_binding_net_already_exceeded(actual: str, code: str | None) -> None:
    r = review_of(f"palvelualue;A;Henkilöstökulut;-100000;{actual};;", HEAD_NO_PREV)
    found = [x for x in run_checks(r, Settings(forecast_method="linear")) if x.code == "binding" and x.area == "A"]
    assert [x.code for x in found] == ([code] if code else [])


@pytest.mark.parametrize(("actual", "warned"), [("-50500", True), ("-50499,5", False), ("-50600", True)])
def test_binding_forecast_threshold(actual: str, warned: bool) -> None:
    # Linear: TOT × 12 / 6. −50 500 → −101 000, 1 000 € beyond −100 000: a warning; −100 999 is not.
    r = review_of(f"palvelualue;A;Henkilöstökulut;-100000;{actual};;", HEAD_NO_PREV)
    found = [x for x in run_checks(r, Settings(forecast_method="linear")) if x.code == "binding_forecast"]
    assert {x.area for x in found} == ({"A", "Toimiala"} if warned else set())
    if warned:
        assert found[0].gap == pytest.approx(float(actual.replace(",", ".")) * 2 + 100_000)


def test_surplus_area_is_not_bound() -> None:
    r = review_of("palvelualue;A;Myyntituotot;100000;200000;;", HEAD_NO_PREV)
    assert not [x for x in run_checks(r) if x.code.startswith("binding")]


def test_binding_in_expenses_positive_convention() -> None:
    # NETTO as a net cost (MENOT − TULOT): 150 000 spent of 100 000 is beyond the binding net.
    r = review_of("""
valtuusto;D;TULOT;;10000;10000;;
valtuusto;D;MENOT;;110000;160000;;
valtuusto;D;NETTO;;100000;150000;;
""", "taso;alue;rivi;TP 2022 (€);TA 2023 (€);TOT 2023 6 kk (€);Jäljellä (€);%")
    assert convention_for(r).netto_as_cost
    found = [(x.code, x.gap) for x in run_checks(r) if x.code.startswith("binding")]
    assert found == [("binding", 50_000)]


# ------------------------------------------------------------------ goals and KPIs


def _goal(tila: str, printed: str) -> Goal:
    return Goal("valtuusto", "Päämäärä\nlisää", "t", "m", "", "", "v", tila, printed, Source(file="g.txt", line=3))


def test_goal_status() -> None:
    r = review_of("palvelualue;A;Myyntituotot;;;1;1;;")
    r.goals = [_goal("", ""), _goal("", "Ehkä"), _goal("Toteutuu osittain", "Toteutu osittain"),
               _goal("Toteutuu", "toteutuu")]
    f = of(run_checks(r), "goal_status")
    assert [(x.severity, x.where, x.area) for x in f] == [
        ("error", "g.txt:3", "Päämäärä"), ("warning", "g.txt:3", "Päämäärä"), ("warning", "g.txt:3", "Päämäärä")]


def test_kpis() -> None:
    r = review_of("palvelualue;A;Myyntituotot;;;1;1;;")
    src = Source(file="k.txt", line=9)
    r.kpis = [Kpi("Yritykset", (("Tavoite 2023", "Toteuma 2022: 4"), ("Toteuma 2023", "5 kpl")), src),
              Kpi("Rahat", (("Tavoite 2022", "261,80€"), ("Tavoite 2023", "4 kpl"), ("Muu", "")), src),
              Kpi("Sama", (("Tavoite 2022", "3 kpl"), ("Tavoite 2023", "4 kpl")), src)]
    f = of(run_checks(r), "kpi")
    assert [(x.area, x.column) for x in f] == [("Yritykset", "Tavoite 2023"), ("Rahat", None)]
    assert "261,80€" in f[1].message and "4 kpl" in f[1].message


# ------------------------------------------------------------------ labels


def test_label_findings() -> None:
    r = review_of("""
palvelualue;A;Henkilöstökulut;;;-1;-1;;
palvelualue;A;Vuokratulut;;;-1;-1;;
""")
    r.areas[0].label_notes.append(LabelNote("", "rivin nimeä 'X' ei tunnistettu", Source(file="t.csv", line=9),
                                            LabelIssue.UNKNOWN))
    f = of(run_checks(r), "label")
    assert [(x.severity, x.line, x.where) for x in f] == [("error", None, "t.csv:9"),
                                                           ("warning", "Vuokrakulut", "t.csv:3")]


# ------------------------------------------------------------------ arithmetic


def test_absent_lines_follow_their_siblings() -> None:
    v = np.full((len(IS.lines), 2), np.nan)
    v[IS.index["myyntituotot"]] = [10, np.nan]       # listed: its empty cell is 0
    v[IS.index["toimintakulut"]] = [-30, -20]       # a subtotal without its lines
    r = resolve(v, IS)
    assert r.values[IS.index["myyntituotot"]].tolist() == [10, 0]
    assert r.values[IS.index["maksutuotot"]].tolist() == [0, 0]         # a sibling of a listed line
    assert np.isnan(r.values[IS.index["henkilostokulut"]]).all()      # no expense line given: unknown
    assert r.values[IS.index["toimintatuotot"]].tolist() == [10, 0]
    assert r.values[IS.index["toimintakate"]].tolist() == [-20, -20]
    assert r.known[IS.index["toimintakulut"]] and not r.known[IS.index["henkilostokulut"]]
    order = [i.total for i in IS.identities]
    assert r.derived[order.index("toimintatuotot")] and not r.derived[order.index("toimintakulut")]
    assert np.isnan(r.values[IS.index["toimintatuotot_otsikko"]]).all()
    # `complete` recomputes subtotals from given lines but keeps one given without them.
    v[IS.index["toimintatuotot"]] = [99, 99]
    c = complete(v, IS)
    assert c[IS.index["toimintatuotot"]].tolist() == [10, 0] and c[IS.index["toimintakulut"]].tolist() == [-30, -20]
    assert fill_subtotals(v, IS)[IS.index["toimintatuotot"]].tolist() == [99, 99]


def test_rollup_counts_summary_level_areas() -> None:
    a = np.full((len(IS.lines), 1), np.nan)
    b = a.copy()
    a[IS.index["myyntituotot"]] = 5
    b[IS.index["toimintatuotot"]] = 7
    total = rollup(np.stack([a, b]), IS)
    assert total[IS.index["toimintatuotot"], 0] == 12 and total[IS.index["myyntituotot"], 0] == 5
    assert np.isnan(total[IS.index["henkilostokulut"], 0])


def test_subtotal_shows_when_any_line_does() -> None:
    cols = (Column(ColumnKind.TA, 2023), Column(ColumnKind.TOT, 2023, 6))
    r = review_of("palvelualue;A;Myyntituotot;100;50;;", HEAD_NO_PREV)
    ct = computed_table(r.areas[0])
    assert r.areas[0].columns == cols
    assert ct.present[IS.index["toimintatuotot"]] and ct.present[IS.index["toimintakate"]]
    assert not ct.present[IS.index["toimintakulut"]] and not ct.present[IS.index["maksutuotot"]]
    assert ct.values[IS.index["toimintakate"], 1] == 50 and ct.remaining[IS.index["myyntituotot"]] == 50
    assert ct.pct[IS.index["myyntituotot"]] == 50.0


def test_remaining_and_pct_edge_values() -> None:
    assert remaining(np.nan, 5).tolist() == -5
    assert execution_pct(-1, 3, decimals=1) == pytest.approx(-33.3)
    assert execution_pct(2, 3, decimals=None) == pytest.approx(66.6667, abs=1e-4)
    assert str(execution_pct(0, -5)) == "0.0"          # no negative zero
    assert execution_pct(np.nan, 5) == 0.0


def test_seasonal_share_bounds() -> None:
    s = Settings()
    share, sound = last_year_share(np.array([100.0, 100, 100, 100, 0, 1000, 10]),
                                   np.array([10, 9, 100, 101, 5, 500, 5]), s)
    # 10/100 = 0,1 sound (bound included); 0,09 not; 1,0 sound; 1,01 not; no TP: no share;
    # 500/1000 blur 0,5 × (0,5/500 + 0,5/1000) = 0,00075: sound; 5/10 blur 0,5 × (0,1 + 0,05) = 0,075: not.
    assert sound.tolist() == [True, False, True, False, False, True, False]
    assert np.isnan(share[4]) and share[0] == pytest.approx(0.1)
    assert seasonal_share_is_sound(np.array([0.5]), np.array([50.0]), np.array([100.0]),
                                   Settings(max_share_uncertainty=0.0075)).tolist() == [True]
    assert seasonal_share_is_sound(np.array([0.5]), np.array([50.0]), np.array([100.0]),
                                   Settings(max_share_uncertainty=0.0074)).tolist() == [False]


def test_forecast_lines_methods() -> None:
    res, how = forecast_lines(np.array([50.0, 50, 50, 50]), 6, np.array([100.0, 100, 0, 100]),
                              np.array([50.0, 0, 0, 40]), 1.0, Settings(forecast_method="seasonal"))
    assert how.tolist() == ["seasonal", "last_year_rest", "linear", "seasonal"]
    assert res.tolist() == pytest.approx([100, 150, 100, 125])
    res, how = forecast_lines(np.array([50.0]), 6, np.array([100.0]), np.array([50.0]), 1000.0,
                              Settings(forecast_method="seasonal"))
    assert res.tolist() == [100] and how.tolist() == ["seasonal"]
    res, how = forecast_lines(np.array([50.0]), 6, np.array([100.0]), np.array([0.0]), 1000.0,
                              Settings(forecast_method="seasonal"))
    assert res.tolist() == [50 + 100_000]
    res, how = forecast_lines(np.array([30.0]), 9, None, None)
    assert res.tolist() == [40] and how.tolist() == ["linear"]
    # The method is the settings' own: linear although last year's figures are there.
    res, how = forecast_lines(np.array([50.0]), 6, np.array([100.0]), np.array([40.0]), 1.0,
                              Settings(forecast_method="linear"))
    assert res.tolist() == [100] and how.tolist() == ["linear"]


def test_forecast_units_of_last_year_columns() -> None:
    cols = (Column(ColumnKind.TP, 2022, 12, 1000), Column(ColumnKind.TOT, 2022, 6, 1),
            Column(ColumnKind.TA, 2023), Column(ColumnKind.TOT, 2023, 6, 1))
    v = np.full((len(IS.lines), 4), np.nan)
    v[IS.index["myyntituotot"]] = [100, 40_000, 0, 50]      # share 40 000 € / 100 000 € = 0,4
    fc = forecast(v, cols, IS)
    assert fc.values[IS.index["myyntituotot"]] == pytest.approx(50 / 0.4)
    assert fc.method[IS.index["toimintatuotot"]] == "sum"
    assert np.isnan(fc.values[IS.index["henkilostokulut"]])


def test_council_values_and_conventions() -> None:
    income = np.arange(len(IS.lines) * 1, dtype=float)[:, None]
    out = council_values(income)
    assert out[COUNCIL.index["tulot"], 0] == IS.index["toimintatuotot"]
    assert out[COUNCIL.index["menot"], 0] == IS.index["toimintakulut"]
    assert out[COUNCIL.index["netto"], 0] == IS.index["toimintakate"]
    flipped = council_values(income, SignConvention(True, False, True))
    assert flipped[COUNCIL.index["netto"], 0] == -IS.index["toimintakate"]
    assert council_values(income, SignConvention(True, True, True))[COUNCIL.index["netto"], 0] == IS.index["toimintakate"]
    pos = SignConvention(True, False, True).apply(INVESTMENT)
    assert pos.identities[0].coefficients == (-1.0, 1.0)
    assert SignConvention().apply(INVESTMENT) is INVESTMENT


def test_convention_detected_from_expense_signs_without_nets() -> None:
    r = review_of("palvelualue;A;Henkilöstökulut;;;100;50;;")
    c = detect_convention(r)
    assert (c.expenses_positive, c.netto_as_cost) == (True, True)
    r = review_of("palvelualue;A;Henkilöstökulut;;;-100;-50;;")
    assert detect_convention(r).expenses_positive is False
    r = review_of("palvelualue;A;Myyntituotot;;;100;50;;")
    assert detect_convention(r).source.startswith("oletus")
    r.sign = SignConvention(True, source="asetus")
    assert convention_for(r).source == "asetus"
    assert convention_for(r, Settings(expenses_positive=False)).expenses_positive is False


# ------------------------------------------------------------------ messages a person reads


def test_gap_messages_in_euros_and_thousands(seed_review: Review) -> None:
    r = review_of("""
palvelualue;A;Myyntituotot;;;500;500;;
palvelualue;A;Maksutuotot;;;600;600;;
palvelualue;A;Vuokratuotot;;;400;400;;
palvelualue;A;Toimintatuotot;;;1500;1502;;
""")
    f = of(run_checks(r), "identity", "Toimintatuotot")[0]
    assert f.message == ("A, Toimintatuotot, TOT 2023 6 kk: painettu 1 502 €, myyntituotot + maksutuotot + "
                         "tuet ja avustukset + vuokratuotot + muut toimintatuotot = 1 500 € (ero 2 €, pyöristysero).")
    assert f.rounding is True and f.severity == "info"
    # ELINVOIMA TULOT TP 2022 of the seed, a 1000 € column: 69 printed against 0 + 60.
    g = next(x for x in run_checks(seed_review) if x.code == "investment_sum" and x.line == "TULOT")
    assert g.message == ("ELINVOIMA, TULOT, TP 2022: painettu 69 t€, ryhmien summa 60 t€: ero 9 t€, enemmän kuin "
                         "pyöristys selittää (enintään 1,0 t€). Korjaa luku tai sen osat.")
    assert g.rounding is False


def test_label_messages() -> None:
    r = review_of("palvelualue;A;Myyntituotot;;;1;1;;")
    src = Source(file="t.csv", line=4)
    r.areas[0].label_notes += [LabelNote("myyntituotot", "rivi 'Myyntituotot' toistuu taulukossa", src,
                                         LabelIssue.REPEATED),
                               LabelNote("maksutuotot", "rivin nimi 'Maksutulot' poikkeaa", src, LabelIssue.SPELLING)]
    f = of(run_checks(r), "label")
    assert [(x.severity, x.line, x.message, x.rounding) for x in f] == [
        ("error", "Myyntituotot", "A: rivi 'Myyntituotot' toistuu taulukossa. Korjaa rivin nimi lähteeseen.", False),
        ("warning", "Maksutuotot", "A: rivin nimi 'Maksutulot' poikkeaa.", False)]
    assert [(x.line_key, x.location.source if x.location else None) for x in f] == [("myyntituotot", src),
                                                                                    ("maksutuotot", src)]


def test_a_label_finding_is_an_error_by_its_kind_not_by_a_word_in_its_note() -> None:
    r = review_of("palvelualue;A;Myyntituotot;;;1;1;;")
    src = Source(file="t.csv", line=4)
    # A repeated row in other words is still an error; a spelling note that happens to say "toistuu" is not.
    r.areas[0].label_notes += [LabelNote("myyntituotot", "rivi 'Myyntituotot' on kahdesti", src, LabelIssue.REPEATED),
                               LabelNote("maksutuotot", "rivin nimi 'Maksu toistuu' poikkeaa", src,
                                         LabelIssue.SPELLING)]
    f = of(run_checks(r), "label")
    assert [(x.severity, x.line) for x in f] == [("error", "Myyntituotot"), ("warning", "Maksutuotot")]


def test_computed_table_units_fill_and_settings() -> None:
    head = "taso;alue;rivi;TP 2022 (1000 €);TOT 2022 6 kk (1000 €);TA 2023 (1000 €);TOT 2023 6 kk (€)"
    r = review_of("""
palvelualue;A;Myyntituotot;100;5;10;-2000
palvelualue;A;Maksutuotot;;;20;5000
""", head)
    t = r.areas[0]
    ct = computed_table(t)
    i, j = IS.index["myyntituotot"], IS.index["maksutuotot"]
    # Jäljellä in the budget's unit: 10 t€ − (−2 000 €) = 12 t€; % = −2 000 / 10 000 = −20,0.
    assert ct.remaining[i] == 12 and ct.pct[i] == -20.0
    assert ct.remaining[j] == 15 and ct.pct[j] == 25.0
    assert computed_table(t, Settings(pct_absolute=True)).pct[i] == 20.0
    assert computed_table(t, Settings(pct_decimals=0)).pct[j] == 25.0
    # Last year's share 5/100 = 0,05 is below 0,1: the rest of last year (95 t€) instead, unless allowed.
    assert ct.forecast.values[i] == pytest.approx(-2_000 + 95_000)
    assert ct.forecast.method[i] == "last_year_rest"
    assert computed_table(t, Settings(min_share=0.04, max_share_uncertainty=1)).forecast.values[i] == pytest.approx(
        -2_000 / 0.05)
    assert computed_table(t, Settings(forecast_method="linear")).forecast.values[j] == 10_000
    assert np.isnan(ct.values[IS.index["toimintatuotot_otsikko"]]).all()
    assert ct.values[IS.index["henkilostokulut"]].tolist() == [0, 0, 0, 0]     # unknown, shown as nothing
    # `fill` gives the figures of lines the table does not print; printed ones win.
    fill = np.full_like(t.values, np.nan)
    fill[IS.index["vuokratuotot"]] = [0, 0, 1, 300]
    fill[i] = [9, 9, 9, 9]
    filled = computed_table(t, fill=fill)
    assert filled.values[IS.index["vuokratuotot"], 3] == 300 and filled.values[i, 3] == -2000
    assert filled.values[IS.index["toimintatuotot"], 3] == -2000 + 5000 + 300
    # Printed subtotals are kept, or recomputed on request.
    t.values[IS.index["toimintatuotot"]] = [1, 1, 1, 1]
    assert computed_table(t).values[IS.index["toimintatuotot"], 3] == 1
    assert computed_table(t, recompute=True).values[IS.index["toimintatuotot"], 3] == 3000


def test_sum_council_and_remaining_messages() -> None:
    r = review_of("""
toimiala;D;Myyntituotot;;;300;310;;
toimiala;D;Maksutuotot;;;0;0;;
palvelualue;A;Myyntituotot;;;100;100;;
palvelualue;A;Vuokratuotot;;;50;50;;
palvelualue;B;Myyntituotot;;;200;200;;
valtuusto;D;TULOT;;;350;300;;
""")
    findings = run_checks(r)
    s = of(findings, "division_sum", "Myyntituotot")[0]
    assert s.message == ("D, Myyntituotot, TOT 2023 6 kk: painettu 310 €, palvelualueiden summa 300 €: ero 10 €, "
                         "enemmän kuin pyöristys selittää (enintään 1,5 €). Korjaa luku tai sen osat.")
    assert s.where == "t.csv:2"
    missing = of(findings, "division_sum", "Vuokratuotot")[0]
    assert (missing.area, missing.where, missing.message) == (
        "D", None, "D: rivi 'Vuokratuotot' puuttuu, vaikka osissa sillä on lukuja (0, 0, 50, 50).")
    c = of(findings, "council", "TULOT")
    # Against the printed division's Toimintatuotot 310 + 0 (TA 300 + 0): both columns off.
    assert [(x.column, x.expected, x.gap, x.where) for x in c] == [
        ("TA 2023 +muutos", 300, 50, "t.csv:7"), ("TOT 2023 6 kk", 310, -10, "t.csv:7")]
    assert c[1].message.startswith("D, TULOT, TOT 2023 6 kk: painettu 300 €, toimialan tuloslaskelman "
                                   "Toimintatuotot = 310 €: ero -10 €")
    r.division_table = None
    c = of(run_checks(r), "council", "TULOT")
    assert [(x.column, x.expected) for x in c] == [("TOT 2023 6 kk", 350)] and "palvelualueiden summan Toimintatuotot =" in c[0].message
    rem = review_of("palvelualue;A;Myyntituotot;;;1000;400;610;40", HEAD)
    f = of(run_checks(rem), "remaining")[0]
    assert (f.column, f.where, f.message) == ("Jäljellä", "t.csv:2", (
        "A, Myyntituotot, Jäljellä: painettu 610 €, TA − TOT = 600 €: ero 10 €, enemmän kuin pyöristys selittää "
        "(enintään 1,5 €). Korjaa luku tai sen osat."))


def test_pct_of_an_actual_in_thousands() -> None:
    head = "taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (1000 €);Jäljellä (€);%"
    # 40 t€ of 100 000 € = 40,0 %; rounding 40 t€ to the thousand moves it by 0,5 points.
    r = review_of("palvelualue;A;Myyntituotot;100000;40;60000;40", head)
    assert of(run_checks(r), "pct") == [] and of(run_checks(r), "remaining") == []
    r = review_of("palvelualue;A;Myyntituotot;100000;40;60000;40,5", head)
    assert of(run_checks(r), "pct") == []          # within 0,05 + 0,5 + 0,0002
    r = review_of("palvelualue;A;Myyntituotot;100000;40;60000;40,6", head)
    assert [x.gap for x in of(run_checks(r), "pct")] == [pytest.approx(0.6)]


def test_convention_is_stated() -> None:
    from elinvoima_xl.core.calc import describe_convention

    assert describe_convention(SignConvention(source="oletus")) == (
        "Etumerkit: kulut negatiivisina; TOIMINTAKATE = Toimintatuotot + Valmistus omaan käyttöön + "
        "Toimintakulut; NETTO = TULOT + MENOT (oletus).")
    assert describe_convention(SignConvention(True, True, False, "x")) == (
        "Etumerkit: kulut positiivisina; TOIMINTAKATE = Toimintakulut − Toimintatuotot − Valmistus omaan "
        "käyttöön; NETTO = TULOT − MENOT (x).")


def test_pct_finding_fields_and_message() -> None:
    # 1 000 / 3 000 = 33,3333 %; printed 34: 0,6667 points off.
    r = review_of("palvelualue;A;Myyntituotot;;;3000;1000;2000;34", HEAD)
    f = of(run_checks(r), "pct")[0]
    assert (f.severity, f.column, f.expected, f.actual, f.gap, f.where) == ("error", "%", 33.3333, 34.0, 0.6667,
                                                                             "t.csv:2")
    assert f.message == ("A, Myyntituotot, %: painettu 34,00, TOT / TA × 100 = 33,33 (ero 0,67 %-yksikköä). "
                         "Korjaa prosentti.")


@pytest.mark.parametrize(("printed", "error"), [("0,05", False), ("0,06", True), ("-0,05", False)])
def test_pct_of_zero_budget_allows_half_the_last_digit(printed: str, error: bool) -> None:
    r = review_of(f"palvelualue;A;Myyntituotot;;;0;5;-5;{printed}", HEAD)
    assert bool(of(run_checks(r), "pct")) is error


@pytest.mark.parametrize(("printed", "error"), [("40,25", False), ("40,3", True), ("39,75", False), ("39,7", True)])
def test_pct_of_a_budget_in_thousands(printed: str, error: bool) -> None:
    # 40 000 € of 100 t€ = 40 %; rounding the budget to the thousand moves it 100 × 0,5 × 1000 × 40 000 / 10¹⁰
    # = 0,2 points, the actual's euro 0,000005: tolerance 0,05 + 0,200005.
    head = "taso;alue;rivi;TA 2023 (1000 €);TOT 2023 6 kk (€);Jäljellä (1000 €);%"
    r = review_of(f"palvelualue;A;Myyntituotot;100;40000;60;{printed}", head)
    assert bool(of(run_checks(r), "pct")) is error


def test_binding_messages() -> None:
    r = review_of("""
palvelualue;A;Henkilöstökulut;-100000;-100500;;
palvelualue;B;Henkilöstökulut;-100000;-50600;;
""", HEAD_NO_PREV)
    f = run_checks(r, Settings(forecast_method="linear"))
    a = next(x for x in f if x.code == "binding" and x.area == "A")
    assert (a.severity, a.line, a.column, a.expected, a.actual, a.gap, a.where) == (
        "error", "TOIMINTAKATE", "TOT 2023 6 kk", -100_000, -100_500, -500, None)
    assert a.message == ("A (käyttösuunnitelman sitovuustaso): toteutunut netto -100 500 € ylittää jo sitovan "
                         "netto-talousarvion -100 000 € (-500 €).")
    b = next(x for x in f if x.code == "binding_forecast" and x.area == "B")
    assert (b.severity, b.column, b.expected, b.actual, b.gap) == ("warning", "Ennuste", -100_000, -101_200, -1_200)
    assert b.message == ("B (käyttösuunnitelman sitovuustaso): vuoden ennuste (suoraviivaisesti) -101 200 € ylittää "
                         "sitovan netto-talousarvion -100 000 € (-1 200 €).")
    d = next(x for x in f if x.area == "Toimiala")
    # The division: −200 000 budget, −151 100 actual, forecast −302 200: a warning at the council's level.
    assert (d.code, d.gap) == ("binding_forecast", -102_200) and "(valtuuston sitovuustaso)" in d.message
    seasonal = run_checks(review_of("palvelualue;B;Henkilöstökulut;-100;-50;-100000;-50600;;", HEAD))
    assert "(kausivaihtelu huomioiden)" in next(x for x in seasonal if x.code == "binding_forecast").message


def test_plausibility_messages_and_fields() -> None:
    r = review_of("""
palvelualue;A;Myyntituotot;;;1000;-10;;
palvelualue;A;Maksutuotot;;;0;1500;;
palvelualue;A;Henkilöstökulut;;;-10000;-7600;;
""", HEAD)
    f = run_checks(r)
    flip = of(f, "sign_flip")[0]
    assert (flip.column, flip.expected, flip.actual, flip.gap, flip.where) == ("TOT 2023 6 kk", 1000, -10, -1010,
                                                                                "t.csv:2")
    assert flip.message == ("A, Myyntituotot: toteuma -10 € on eri merkkinen kuin talousarvio 1 000 €. "
                            "Tarkista kirjaukset (oikaisu, palautus tai väärä tili).")
    nb = of(f, "no_budget")[0]
    assert (nb.column, nb.expected, nb.actual, nb.gap, nb.where) == ("TOT 2023 6 kk", 0, 1500, 1500, "t.csv:3")
    assert nb.message == "A, Maksutuotot: toteumaa 1 500 € ilman talousarviota."
    far = of(f, "far_over")[0]
    assert (far.column, far.expected, far.actual, far.gap, far.where) == ("TOT 2023 6 kk", -5000, -7600, -2600,
                                                                          "t.csv:4")
    assert far.message == ("A, Henkilöstökulut: toteutunut 76,0 % talousarviosta, odotettu 50,0 % tässä vaiheessa "
                           "vuotta (26,0 %-yksikköä yli). Selvitä ylitys ja arvioi koko vuosi.")


@pytest.mark.parametrize(("actual", "found"), [("-7500", False), ("-7501", True)])
def test_far_over_at_25_points(actual: str, found: bool) -> None:
    # 7 500 / 10 000 = 75 %: exactly 25 points above 50 % is not yet "far"; one euro more is.
    r = review_of(f"palvelualue;A;Henkilöstökulut;;;-10000;{actual};;", HEAD)
    assert bool(of(run_checks(r), "far_over")) is found


@pytest.mark.parametrize(("min_amount", "found"), [(3000.0, True), (3000.5, False)])
def test_far_over_needs_an_amount_worth_a_line(min_amount: float, found: bool) -> None:
    # 8 000 of 10 000 = 80 %: 30 points over 50 %, 8 000 − 5 000 = 3 000 € beyond what was expected.
    r = review_of("palvelualue;A;Henkilöstökulut;;;-10000;-8000;;", HEAD)
    assert bool(of(run_checks(r, Settings(min_amount=min_amount)), "far_over")) is found


@pytest.mark.parametrize(("row", "found"), [
    ("palvelualue;A;Henkilöstökulut;0;-1000;;", True),         # a zero net budget already overrun
    ("palvelualue;A;Myyntituotot;1;-5;;", False),              # a surplus budget of 1 €: not bound
    ("palvelualue;A;Henkilöstökulut;-100000;-100000,5;;", True),  # half a euro beyond is beyond
])
def test_binding_edges(row: str, found: bool) -> None:
    r = review_of(row, HEAD_NO_PREV)
    assert bool([x for x in run_checks(r, Settings(forecast_method="linear"))
                 if x.code == "binding" and x.area == "A"]) is found


@pytest.mark.parametrize(("actual", "found"), [("0,5", True), ("0,49", False), ("-0,5", True)])
def test_no_budget_from_half_a_euro(actual: str, found: bool) -> None:
    r = review_of(f"palvelualue;A;Myyntituotot;;;0;{actual};;", HEAD)
    assert [x.severity for x in of(run_checks(r), "no_budget")] == (["info"] if found else [])


def test_far_over_fields_are_rounded_to_cents() -> None:
    # Last year's share 30 / 90 = 1/3: expected 10 000 / 3 = 3 333,33 €; 7 000 is 3 666,67 € beyond.
    r = review_of("palvelualue;A;Myyntituotot;90;30;10000;7000;;", HEAD)
    far = of(run_checks(r), "far_over")[0]
    assert (far.expected, far.gap) == (3333.33, 3666.67)
    assert far.message.endswith("(36,7 %-yksikköä yli). Tuotot kertyvät odotettua nopeammin.")


def test_goal_and_kpi_findings_in_full() -> None:
    r = review_of("palvelualue;A;Myyntituotot;;;1;1;;")
    r.goals = [_goal("", ""), _goal("", "Ehkä"), _goal("Toteutuu osittain", "Toteutu osittain")]
    src = Source(file="k.txt", line=9)
    r.kpis = [Kpi("Yritykset", (("Tavoite 2023", "Toteuma 2022: 4"),), src),
              Kpi("Rahat", (("Tavoite 2022", "261,80€"), ("Tavoite 2023", "4 kpl")), src),
              Kpi("Euroja", (("Tavoite 2022", "100 €"), ("Tavoite 2023", "2 e")), src),
              Kpi("Hinta", (("Tavoite 2022", "5€/kpl"), ("Tavoite 2023", "3 kpl")), src)]
    f = [x for x in run_checks(r) if x.code in ("goal_status", "kpi")]
    got = [(x.severity, x.code, x.area, x.line, x.column, x.expected, x.actual, x.gap, x.message, x.where)
           for x in f]
    assert got == [
        ("error", "goal_status", "Päämäärä", None, "Tila", None, None, None,
         "Tavoite 'Päämäärä' (valtuusto): tila 'Ehkä' ei ole Toteutuu, Toteutuu osittain eikä Ei toteudu.", "g.txt:3"),
        ("warning", "goal_status", "Päämäärä", None, "Tila", None, None, None,
         "Tavoite 'Päämäärä' (valtuusto): tila puuttuu.", "g.txt:3"),
        ("warning", "goal_status", "Päämäärä", None, "Tila", None, None, None,
         "Tavoite 'Päämäärä' (valtuusto): tila on kirjoitettu 'Toteutu osittain'; tulkittu 'Toteutuu osittain'.",
         "g.txt:3"),
        ("warning", "kpi", "Yritykset", None, "Tavoite 2023", None, None, None,
         "Tunnusluku 'Yritykset': sarakkeessa 'Tavoite 2023' on toteuma ('Toteuma 2022: 4'), ei tavoite.", "k.txt:9"),
        ("warning", "kpi", "Rahat", None, None, None, None, None,
         "Tunnusluku 'Rahat': arvot ovat eri yksiköissä (Tavoite 2022: 261,80€, Tavoite 2023: 4 kpl).", "k.txt:9"),
        ("warning", "kpi", "Hinta", None, None, None, None, None,
         "Tunnusluku 'Hinta': arvot ovat eri yksiköissä (Tavoite 2022: 5€/kpl, Tavoite 2023: 3 kpl).", "k.txt:9"),
    ]


def _gap(code: str, level: Level, table: str, key: str, g: float, severity: str = "error",
         column: Column | None = None) -> Finding:
    """A sum check's finding as the checks make it: the printed label for people, the key in its location."""
    structure = {Level.INVESTMENT: INVESTMENT, Level.INVESTMENTS: INVESTMENT, Level.COUNCIL: COUNCIL}.get(level, IS)
    col = column or Column(ColumnKind.TA, 2023)
    return Finding(severity, code, table, structure.labels[key], col.label, 0.0, g, g, "m",
                   location=Location(level, table, key, col))


def test_link_causes_directly() -> None:
    from elinvoima_xl.core.checks import link_causes

    def gap(code: str, table: str, key: str, g: float, severity: str = "error") -> Finding:
        return _gap(code, Level.INVESTMENTS if table == "Yht" else Level.DIVISION, table, key, g, severity)

    s = {(Level.DIVISION, "D"): IS, (Level.INVESTMENTS, "Yht"): INVESTMENT}
    # Toimintatuotot's gap 10 is Myyntituotot's 10: a consequence; TOIMINTAKATE's 13 is not wholly it (3 more).
    fs = [gap("division_sum", "D", "myyntituotot", 10), gap("division_sum", "D", "toimintatuotot", 10),
          gap("division_sum", "D", "toimintakate", 13), gap("division_sum", "X", "toimintatuotot", 10)]
    out = link_causes(fs, s)
    assert [f.cause for f in out] == [None, out[0].id, None, None]
    # Within rounding of the identity (6 figures: 3 units) still the same gap; beyond it not.
    fs = [gap("division_sum", "D", "myyntituotot", 10), gap("division_sum", "D", "toimintatuotot", 13)]
    assert link_causes(fs, s)[1].cause == fs[0].id
    fs = [gap("division_sum", "D", "myyntituotot", 10), gap("division_sum", "D", "toimintatuotot", 13.5)]
    assert link_causes(fs, s)[1].cause is None
    # A rounding-sized line gap is no cause; an info total is not linked.
    fs = [gap("division_sum", "D", "myyntituotot", 1, "info"), gap("division_sum", "D", "toimintatuotot", 1)]
    assert link_causes(fs, s)[1].cause is None
    fs = [gap("division_sum", "D", "myyntituotot", 5), gap("division_sum", "D", "toimintatuotot", 5, "info")]
    assert link_causes(fs, s)[1].cause is None
    # NETTO = TULOT + MENOT: 9 + 0 -> the TULOT error; the chain keeps the root.
    fs = [gap("investment_sum", "Yht", "tulot", 9), gap("investment_sum", "Yht", "netto", 9)]
    assert link_causes(fs, s)[1].cause == fs[0].id


def test_link_causes_goes_by_key_level_and_column_not_by_label() -> None:
    from elinvoima_xl.core.checks import link_causes

    s = {(Level.DIVISION, "D"): IS, (Level.COUNCIL, "D"): COUNCIL}
    # A term printed under a misspelt label still is the line its key says: the label plays no part.
    term = replace(_gap("division_sum", Level.DIVISION, "D", "myyntituotot", 10), line="Myyntituotto")
    total = _gap("division_sum", Level.DIVISION, "D", "toimintatuotot", 10)
    assert link_causes([term, total], s)[1].cause == term.id
    # The same gap in another column (TOT 2023 6 kk) or in the council table of the same name is not its cause.
    tot = Column(ColumnKind.TOT, 2023, 6)
    other_col = _gap("division_sum", Level.DIVISION, "D", "myyntituotot", 10, column=tot)
    assert link_causes([other_col, total], s)[1].cause is None
    # Valmistus omaan käyttöön: one label in both tables of the name "D", two printed figures.
    division = _gap("identity", Level.DIVISION, "D", "valmistus_omaan_kayttoon", 7)
    council = _gap("council", Level.COUNCIL, "D", "valmistus_omaan_kayttoon", 7)
    assert division.line == council.line and division.area == council.area
    assert [f.cause for f in link_causes([division, council], s)] == [None, None]
    # The same figure in a € column and a t€ column of one period is one column (the key has no unit).
    euros = _gap("identity", Level.COUNCIL, "D", "netto", 7)
    thousands = _gap("council", Level.COUNCIL, "D", "netto", 7, column=Column(ColumnKind.TA, 2023, unit=1000))
    assert link_causes([euros, thousands], s)[1].cause == euros.id
    # A finding without a location is never linked.
    bare = replace(total, location=None)
    assert link_causes([term, bare], s)[1].cause is None


def test_cause_tables_of_a_review() -> None:
    from elinvoima_xl.core.causes import cause_tables

    rows = ["taso;alue;rivi;TP 2022 (€);TA 2023 (€);TOT 2023 6 kk (€)", "toimiala;D;Myyntituotot;1;1;1",
            "valtuusto;D;TULOT;1;1;1", "palvelualue;A;Myyntituotot;1;1;1", "palvelualue;B;Myyntituotot;1;1;1",
            "investointi;G;TULOT;1;1;1", "investoinnit;Yht;TULOT;1;1;1"]
    review = read_data_csv("\n".join(rows).encode(), "t.csv")
    structures, parts = cause_tables(review)
    assert structures == {(Level.DIVISION, "D"): IS, (Level.COUNCIL, "D"): COUNCIL, (Level.AREA, "A"): IS,
                          (Level.AREA, "B"): IS, (Level.INVESTMENT, "G"): INVESTMENT,
                          (Level.INVESTMENTS, "Yht"): INVESTMENT}
    assert parts == {(Level.DIVISION, "D"): [(Level.AREA, "A"), (Level.AREA, "B")],
                     (Level.INVESTMENTS, "Yht"): [(Level.INVESTMENT, "G")]}


def test_link_part_identity_and_same_figure() -> None:
    from elinvoima_xl.core.checks import link_causes

    levels = {"A": Level.AREA, "B": Level.AREA, "D": Level.DIVISION, "G": Level.INVESTMENT,
              "Yht": Level.INVESTMENTS, "C": Level.COUNCIL, "E": Level.COUNCIL}

    def gap(code: str, table: str, key: str, g: float) -> Finding:
        return _gap(code, levels[table], table, key, g)

    parts = {(Level.DIVISION, "D"): [(Level.AREA, "A"), (Level.AREA, "B")],
             (Level.INVESTMENTS, "Yht"): [(Level.INVESTMENT, "G")]}
    # The division's gap −1 000 on TOIMINTAKATE is area A's identity error +1 000 there.
    fs = [gap("identity", "A", "toimintakate", 1000), gap("division_sum", "D", "toimintakate", -1000),
          gap("division_sum", "D", "toimintakulut", -1000)]
    out = link_causes(fs, {}, parts)
    assert [f.cause for f in out] == [None, fs[0].id, None]
    # Within the rounding of two figures (1 unit) it still is; 1,5 off it is not.
    fs2 = [gap("identity", "A", "vuosikate", 1000), gap("division_sum", "D", "vuosikate", -1001)]
    assert link_causes(fs2, {}, parts)[1].cause == fs2[0].id
    fs2 = [gap("identity", "A", "vuosikate", 1000), gap("division_sum", "D", "vuosikate", -1001.5)]
    assert link_causes(fs2, {}, parts)[1].cause is None
    fs2 = [gap("identity", "G", "netto", 5), gap("investment_sum", "Yht", "netto", -5)]
    assert link_causes(fs2, {}, parts)[1].cause == fs2[0].id
    fs2 = [gap("identity", "G", "netto", 5), gap("council", "Yht", "netto", -5)]
    assert link_causes(fs2, {}, parts)[1].cause is None          # only sums of parts
    # Two areas' identity errors (300 + 700) carried into the division: the cause is the first area in the
    # division's order (A before B), whatever order the findings come in.
    fs2 = [gap("identity", "B", "toimintakate", 700), gap("identity", "A", "toimintakate", 300),
           gap("division_sum", "D", "toimintakate", -1000)]
    assert link_causes(fs2, {}, parts)[2].cause == fs2[1].id
    # An area of another level with the part's name is not the part.
    fs2 = [_gap("identity", Level.COUNCIL, "A", "valmistus_omaan_kayttoon", 1000),
           gap("division_sum", "D", "valmistus_omaan_kayttoon", -1000)]
    assert link_causes(fs2, {}, parts)[1].cause is None
    # One printed figure, two checks: the same gap (within 1 unit) is one error.
    same = [gap("identity", "C", "netto", 100), gap("council", "C", "netto", 101),
            gap("identity", "E", "netto", 100), gap("council", "E", "netto", 101.5)]
    out = link_causes(same, {}, {})
    assert [f.cause for f in out] == [None, same[0].id, None, None]


def test_net_misfit_counts_deciding_figures() -> None:
    from elinvoima_xl.core.calc import _net_evidence, _net_misfit

    r = review_of("""
investointi;G;TULOT;;;100;10;;
investointi;G;MENOT;;;-300;0;;
investointi;G;NETTO;;;-200;-5;;
""", "taso;alue;rivi;TP 2022 (1000 €);TA 2023 (€);TOT 2023 6 kk (€);Jäljellä (€);%")
    ev = _net_evidence(r.tables())
    # Only TA decides (TOT has a single non-zero term; TP is not printed): gap 100 − 300 − (−200) = 0.
    assert _net_misfit(ev, SignConvention()) == (0.0, 1)
    # Expenses positive, NETTO = MENOT − TULOT: −300 − 100 − (−200) = −200 → 200 €.
    assert _net_misfit(ev, SignConvention(True, False, True)) == (200.0, 1)
    r2 = review_of("investointi;G;TULOT;1;2;;\ninvestointi;G;MENOT;-3;0;;\ninvestointi;G;NETTO;-1;0;;",
                   "taso;alue;rivi;TP 2022 (1000 €);TA 2023 (€);TOT 2023 6 kk (€)")
    # TP in 1000 €: 1 − 3 − (−1) = −1 t€ = 1 000 €; TA: 2 + 0 − 0, one term only: not deciding.
    assert _net_misfit(_net_evidence(r2.tables()), SignConvention()) == (1000.0, 1)
    assert _net_misfit(_net_evidence(r.tables() + r2.tables()), SignConvention()) == (1000.0, 2)


def test_detection_sources_and_ties() -> None:
    nets = "investointi;G;TULOT;;;100;10;;\ninvestointi;G;MENOT;;;300;0;;\ninvestointi;G;NETTO;;;200;-5;;"
    r = review_of(nets, HEAD)
    assert detect_convention(r) == SignConvention(True, False, True, "tunnistettu nettojen summista")
    margin = review_of(nets.replace(";200;-5;", ";-200;-5;"), HEAD)
    assert detect_convention(margin) == SignConvention(True, False, False, "tunnistettu nettojen summista")
    # The user fixes the expenses' sign; the nets still follow the figures.
    assert convention_for(margin, Settings(expenses_positive=True)) == SignConvention(
        True, False, False, "valinta --expenses-positive")
    plain = review_of("palvelualue;A;Henkilöstökulut;;;100;50;;", HEAD)
    assert convention_for(plain, Settings(expenses_positive=True)) == SignConvention(
        True, False, True, "valinta --expenses-positive")
    assert convention_for(plain, Settings(expenses_positive=False)) == SignConvention(
        False, False, False, "valinta --expenses-negative")
    assert detect_convention(plain) == SignConvention(True, False, True, "tunnistettu kulujen etumerkistä")
    # Signs of expense figures: one positive, one negative is a tie: negative (the default).
    tie = review_of("palvelualue;A;Henkilöstökulut;;;100;-50;;", HEAD)
    assert detect_convention(tie) == SignConvention(False, False, False, "tunnistettu kulujen etumerkistä")
    two = review_of("palvelualue;A;Henkilöstökulut;;;100;50;;\npalvelualue;A;Avustukset;;;-1;0;;", HEAD)
    assert detect_convention(two).expenses_positive is True      # 2 positive against 1
    ones = review_of("palvelualue;A;Henkilöstökulut;;;1;1;;", HEAD)
    assert detect_convention(ones).expenses_positive is True
    none = review_of("palvelualue;A;Myyntituotot;;;1;1;;", HEAD)
    assert detect_convention(none) == SignConvention(False, False, False, "oletus (kulut negatiivisina)")


def test_forecast_defaults_and_missing_last_year() -> None:
    res, how = forecast_lines(np.array([50.0]), 6, np.array([100.0]), np.array([40.0]))
    assert res.tolist() == [125.0] and how.tolist() == ["seasonal"]     # default: seasonal, same unit
    res, how = forecast_lines(np.array([50.0]), 6, np.array([100.0]), None, 1.0, Settings(forecast_method="seasonal"))
    assert how.tolist() == ["linear"]
    res, how = forecast_lines(np.array([50.0]), 6, None, np.array([40.0]), 1.0, Settings(forecast_method="seasonal"))
    assert how.tolist() == ["linear"]
    assert str(execution_pct(0, -5, decimals=None)) == "0.0"


def test_forecast_of_stacked_tables_with_and_without_lines() -> None:
    cols = (Column(ColumnKind.TA, 2023), Column(ColumnKind.TOT, 2023, 6))
    a = np.full((len(IS.lines), 2), np.nan)
    b = a.copy()
    a[IS.index["myyntituotot"]] = [100, 30]
    b[IS.index["toimintatuotot"]] = [100, 40]
    stack = np.stack([resolve(a, IS).values, resolve(b, IS).values])
    fc = forecast(stack, cols, IS, Settings(forecast_method="linear"))
    t = IS.index["toimintatuotot"]
    assert fc.values[:, t].tolist() == [60, 80]
    assert fc.method[:, t].tolist() == ["sum", "linear"]
    assert np.isnan(fc.values[1, IS.index["myyntituotot"]])


def test_binding_forecast_fields_in_cents() -> None:
    # Last year's share 30 / 100 = 0,3: −40 000,01 / 0,3 = −133 333,3667 €, 33 333,37 € beyond −100 000.
    r = review_of("palvelualue;B;Henkilöstökulut;-100;-30;-100000;-40000,01;;", HEAD)
    b = next(x for x in run_checks(r) if x.code == "binding_forecast" and x.area == "B")
    assert (b.line, b.actual, b.gap) == ("TOIMINTAKATE", -133_333.37, -33_333.37)
    assert b.message.endswith("(-33 333 €).")
