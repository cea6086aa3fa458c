"""The checks on the seed and on small altered copies of it; expected gaps are worked out here."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from elinvoima_xl.core.calc import Settings
from elinvoima_xl.core.checks import Finding, has_errors, rounding_tolerance, run_checks
from elinvoima_xl.core.model import Review
from elinvoima_xl.core.structure import INCOME_STATEMENT as IS

TOT23, TA23, TP22, TOT22 = "TOT 2023 6 kk", "TA 2023 +muutos", "TP 2022", "TOT 2022 6 kk"


@pytest.fixture()
def review(seed_review: Review) -> Review:
    return copy.deepcopy(seed_review)


def _errors(findings: list[Finding]) -> set[tuple[str, str | None, str | None, str | None]]:
    return {(f.code, f.area, f.line, f.column) for f in findings if f.severity == "error"}


def _one(findings: list[Finding], code: str, area: str, line: str, column: str) -> Finding:
    hits = [f for f in findings if (f.code, f.area, f.line, f.column) == (code, area, line, column)]
    assert len(hits) == 1, [f.message for f in findings if f.area == area]
    return hits[0]


def test_seed_errors_are_exactly_the_real_ones(seed_review: Review) -> None:
    findings = run_checks(seed_review)
    div = "Elinvoimalautakunnan toimiala"
    assert _errors(findings) == {
        # Avustukset, TOT 2023: areas print -787 493, -43 500, -18 900 and 0 -> Σ -849 893;
        # the division prints -998 195. The 148 302 € carries into every subtotal below it.
        ("division_sum", div, "Avustukset", TOT23),
        ("division_sum", div, "Toimintakulut", TOT23),
        ("division_sum", div, "TOIMINTAKATE", TOT23),
        ("division_sum", div, "VUOSIKATE", TOT23),
        ("division_sum", div, "TILIKAUDEN TULOS", TOT23),
        # Investments, TP 2022: groups print TULOT 0 (KULTTUURI has none) and 60 -> 60; total prints 69.
        ("investment_sum", "ELINVOIMA", "TULOT", TP22),
        ("investment_sum", "ELINVOIMA", "NETTO", TP22),
    }
    f = _one(findings, "division_sum", div, "Avustukset", TOT23)
    assert (f.expected, f.actual, f.gap) == (-787_493 - 43_500 - 18_900 + 0, -998_195, -148_302)
    assert f.where == "seed.txt:88" and "-148 302" in f.message
    f = _one(findings, "investment_sum", "ELINVOIMA", "TULOT", TP22)
    assert (f.expected, f.actual, f.gap) == (60, 69, 9)
    assert has_errors(findings)


def test_seed_rounding_is_reported_as_rounding(seed_review: Review) -> None:
    findings = run_checks(seed_review)
    # Työllisyyspalvelut, Toimintatuotot, TOT 2023: 59 558 + 309 946 = 369 504, printed 369 505.
    f = _one(findings, "identity", "Työllisyyspalvelut", "Toimintatuotot", TOT23)
    assert f.severity == "info" and f.rounding and f.gap == 1
    assert "pyöristysero" in f.message
    # Elinkeinopalvelut, Toimintakulut, TOT 2022 6 kk: -177-295-11-48-53-8 = -592, printed -590:
    # 6 terms and the total, each off by up to half a unit -> up to 3,5 units: rounding.
    f = _one(findings, "identity", "Elinkeinopalvelut", "Toimintakulut", TOT22)
    assert f.rounding and f.gap == 2
    # Kaupunkisuunnittelu, Myyntituotot, Jäljellä: 11 000 − 310 = 10 690, printed 10 691.
    f = _one(findings, "remaining", "Kaupunkisuunnittelu", "Myyntituotot", "Jäljellä")
    assert f.rounding and f.gap == 1


def test_seed_labels_goals_and_kpis(seed_review: Review) -> None:
    findings = run_checks(seed_review)
    labels = sorted((f.area, f.where) for f in findings if f.code == "label")
    assert labels == sorted([
        ("Elinvoimalautakunnan toimiala", "seed.txt:89"), ("Työllisyyspalvelut", "seed.txt:114"),
        ("Elinkeinopalvelut", "seed.txt:138"), ("Kulttuuri", "seed.txt:163")])
    assert all(f.severity == "warning" for f in findings if f.code == "label")
    goal = [f for f in findings if f.code == "goal_status"]
    assert [(g.where, g.severity) for g in goal] == [("seed.txt:252", "warning")]
    assert "Toteutu osittain" in goal[0].message
    kpi = {f.area for f in findings if f.code == "kpi"}
    assert kpi == {"TKI-hankkeiden määrä yritysten ja korkeakoulujen kanssa.", "Nettomuutto"}


def test_seed_plausibility(seed_review: Review) -> None:
    findings = run_checks(seed_review)
    flips = {(f.area, f.line) for f in findings if f.code == "sign_flip"}
    assert flips == {("Elinkeinopalvelut", "Tuet ja avustukset"),
                     ("Kiinteistö- ja mittauspalvelut", "Vuokratuotot")}
    no_budget = {(f.area, f.line, f.actual) for f in findings if f.code == "no_budget" and f.severity == "warning"}
    assert ("Kulttuuri", "Muut toimintatuotot", 17_566) in no_budget
    assert ("MAANKÄYTTÖ", "TULOT", 142_299) in no_budget
    # Elinkeinopalvelut, Avustukset: 43 500 of 29 500 (147,5 %) spent while last year's share was 48/48.
    over = _one(findings, "far_over", "Elinkeinopalvelut", "Avustukset", TOT23)
    assert over.severity == "warning"


def test_altered_line_breaks_its_subtotal(review: Review) -> None:
    area = review.area("Kulttuuri")
    area.values[IS.index["maksutuotot"], 3] += 1_000   # 279 372 -> 280 372
    findings = run_checks(review)
    f = _one(findings, "identity", "Kulttuuri", "Toimintatuotot", TOT23)
    assert f.severity == "error" and f.gap == -1_000 and f.actual == 422_447
    assert ("division_sum", "Elinvoimalautakunnan toimiala", "Maksutuotot", TOT23) in _errors(findings)


def test_altered_pct_and_remaining_are_errors(review: Review) -> None:
    area = review.area("Työllisyyspalvelut")
    i = IS.index["henkilostokulut"]
    area.printed_pct[i] = 43.9                  # 762 765 / 2 183 400 = 34,93 %
    area.printed_remaining[i] = -1_420_535      # 2 183 400 − 762 765 = 1 420 635
    findings = run_checks(review)
    pct = _one(findings, "pct", "Työllisyyspalvelut", "Henkilöstökulut", "%")
    assert pct.severity == "error" and pct.expected == pytest.approx(762_765 / 2_183_400 * 100, abs=1e-4)
    rem = _one(findings, "remaining", "Työllisyyspalvelut", "Henkilöstökulut", "Jäljellä")
    assert rem.severity == "error" and rem.gap == 100


def test_binding_net_already_exceeded(review: Review) -> None:
    area = review.area("Kaupunkisuunnittelu")
    # Printed toimintakate TOT 2023 -285 998 against the budget -655 800: make the costs exceed it.
    area.values[IS.index["henkilostokulut"], 3] -= 400_000
    for key in ("toimintakulut", "toimintakate", "vuosikate", "tilikauden_tulos"):
        area.values[IS.index[key], 3] -= 400_000
    findings = run_checks(review)
    f = _one(findings, "binding", "Kaupunkisuunnittelu", "TOIMINTAKATE", TOT23)
    assert f.severity == "error" and f.gap == pytest.approx(-285_998 - 400_000 + 655_800)


def test_findings_are_ordered_errors_first(seed_review: Review) -> None:
    order = [f.severity for f in run_checks(seed_review)]
    assert order == sorted(order, key=["error", "warning", "info"].index)


def test_rounding_tolerance_is_half_a_unit_per_figure() -> None:
    assert rounding_tolerance(2) == 1.0
    assert rounding_tolerance(np.array([3, 7])).tolist() == [1.5, 3.5]


def test_absolute_pct_setting_changes_the_check(seed_review: Review) -> None:
    # With positive percentages the printed -76,30 of Elinkeinopalvelut no longer matches.
    findings = run_checks(seed_review, Settings(pct_absolute=True))
    f = _one(findings, "pct", "Elinkeinopalvelut", "Tuet ja avustukset", "%")
    assert f.actual == -76.3 and f.expected == pytest.approx(76.2805, abs=1e-3)
