"""Arithmetic against figures from the seed and arithmetic shown here, plus property tests."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from elinvoima_xl.core.calc import Settings, complete, execution_pct, fill_subtotals, forecast, remaining
from elinvoima_xl.core.rollup import rollup
from elinvoima_xl.core.model import Column, ColumnKind
from elinvoima_xl.core.structure import INCOME_STATEMENT as IS

COLS = (Column(ColumnKind.TP, 2022, 12, 1000), Column(ColumnKind.TOT, 2022, 6, 1000),
        Column(ColumnKind.TA, 2023, 12, 1), Column(ColumnKind.TOT, 2023, 6, 1))


def test_remaining_and_pct_from_seed_rows() -> None:
    # Division, Myyntituotot: TA 207 300, TOT 111 313 -> Jäljellä 95 987, 53,70 %
    assert remaining(207_300, 111_313) == 95_987
    assert execution_pct(111_313, 207_300) == pytest.approx(53.7)
    # Elinkeinopalvelut, Tuet ja avustukset: the sign of TOT/TA is kept: -76,30
    assert execution_pct(-152_561, 200_000) == pytest.approx(-76.3)
    assert execution_pct(-152_561, 200_000, absolute=True) == pytest.approx(76.3)
    # Työllisyyspalvelut, Muut toimintakulut: 99/800 = 12.375 % -> 12,40 (half away from zero)
    assert execution_pct(-99, -800) == pytest.approx(12.4)


def test_zero_budget_prints_zero() -> None:
    assert execution_pct(735, 0) == 0.0
    assert execution_pct(np.array([735.0, -930.0, 0.0]), np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def _area(**lines: tuple[float, float, float, float]) -> np.ndarray:
    v = np.full((len(IS.lines), 4), np.nan)
    for k, row in lines.items():
        v[IS.index[k]] = row
    return v


def test_complete_recomputes_subtotals_from_kaupunkisuunnittelu() -> None:
    # The Kaupunkisuunnittelu table of the seed, details only (TOT 2023 column).
    v = _area(myyntituotot=(6, 0, 11_000, 310), maksutuotot=(0, 0, 0, 7_500),
              tuet_ja_avustukset=(2, 0, 0, 1_700), henkilostokulut=(-373, -176, -376_300, -217_608),
              palvelujen_ostot=(-169, -64, -254_800, -61_222), aineet_tarvikkeet=(-3, -1, -2_200, -1_460),
              vuokrakulut=(-30, -15, -33_500, -14_287), muut_toimintakulut=(0, 0, 0, -930),
              poistot=(0, 0, -3_000, 0))
    c = complete(v, IS)
    assert c[IS.index["toimintatuotot"], 3] == 310 + 7_500 + 1_700
    assert c[IS.index["toimintakulut"], 3] == -217_608 - 61_222 - 1_460 - 14_287 - 930
    assert c[IS.index["toimintakate"], 2] == 11_000 - 376_300 - 254_800 - 2_200 - 33_500
    assert c[IS.index["tilikauden_tulos"], 2] == -655_800 - 3_000   # printed -658 800
    assert np.isnan(c[IS.index["toimintatuotot_otsikko"]]).all()


def test_fill_subtotals_keeps_printed_ones() -> None:
    v = _area(myyntituotot=(1, 1, 1, 1), toimintatuotot=(9, 9, 9, 9))
    f = fill_subtotals(v, IS)
    assert f[IS.index["toimintatuotot"], 0] == 9          # printed kept
    assert f[IS.index["toimintakate"], 0] == 9            # computed from the printed subtotal


def test_forecast_linear_and_seasonal_arithmetic() -> None:
    # Palvelujen ostot of Työllisyyspalvelut: TP -80, TOT 6 kk -39 (1000 €); TOT 2023 -38 738 €.
    v = _area(palvelujen_ostot=(-80, -39, -61_400, -38_738))
    c = complete(v, IS)
    lin = forecast(c, COLS, IS, Settings(forecast_method="linear"))
    assert lin.values[IS.index["palvelujen_ostot"]] == pytest.approx(-38_738 * 2)
    sea = forecast(c, COLS, IS, Settings(forecast_method="seasonal"))
    # share 39/80 = 0.4875 (rounding blur 0.4875*(0.5/39+0.5/80) = 0.009 < 0.05: sound)
    assert sea.method[IS.index["palvelujen_ostot"]] == "seasonal"
    assert sea.values[IS.index["palvelujen_ostot"]] == pytest.approx(-38_738 / (39 / 80))
    assert sea.values[IS.index["toimintakulut"]] == pytest.approx(-38_738 / (39 / 80))


def test_forecast_once_a_year_line_takes_last_years_rest() -> None:
    # Kiinteistö- ja mittauspalvelut, Vuokratuotot: TP 655, TOT 6 kk 0 -> rents come in the 2nd half.
    v = _area(vuokratuotot=(655, 0, 643_000, -711))
    sea = forecast(complete(v, IS), COLS, IS, Settings(forecast_method="seasonal"))
    assert sea.method[IS.index["vuokratuotot"]] == "last_year_rest"
    assert sea.values[IS.index["vuokratuotot"]] == pytest.approx(-711 + 655_000)


def test_forecast_settings_months_follow_the_column() -> None:
    cols9 = COLS[:3] + (Column(ColumnKind.TOT, 2023, 9, 1),)
    v = _area(myyntituotot=(np.nan, np.nan, 100, 90))
    assert forecast(complete(v, IS), cols9, IS, Settings(forecast_method="linear")).values[IS.index["myyntituotot"]] == pytest.approx(120)


finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(arrays(np.float64, (3, len(IS.lines), 4), elements=finite))
@settings(max_examples=60, deadline=None)
def test_rollup_is_additive(stack: np.ndarray) -> None:
    whole = rollup(stack, IS)
    parts = sum(complete(a, IS) for a in stack)
    assert np.allclose(np.nan_to_num(whole), np.nan_to_num(parts), rtol=1e-9, atol=1e-3)
    split = rollup(np.stack([rollup(stack[:1], IS), rollup(stack[1:], IS)]), IS)
    assert np.allclose(np.nan_to_num(split), np.nan_to_num(whole), rtol=1e-9, atol=1e-3)


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=50))
def test_remaining_plus_actual_is_budget(pairs: list[tuple[float, float]]) -> None:
    budget = np.array([p[0] for p in pairs])
    actual = np.array([p[1] for p in pairs])
    assert np.allclose(remaining(budget, actual) + actual, budget, rtol=1e-12, atol=1e-6)


@given(st.lists(finite, min_size=1, max_size=50), st.booleans())
def test_pct_of_zero_budget_never_raises(actuals: list[float], absolute: bool) -> None:
    pct = execution_pct(np.array(actuals), np.zeros(len(actuals)), absolute=absolute)
    assert (pct == 0).all()


@given(finite, finite.filter(lambda b: abs(b) > 1e-6))
def test_pct_sign_follows_tot_over_ta(actual: float, budget: float) -> None:
    pct = float(execution_pct(actual, budget, decimals=None))
    assert pct == pytest.approx(actual / budget * 100, rel=1e-9, abs=1e-9)
    assert float(execution_pct(actual, budget, absolute=True, decimals=None)) >= 0


def test_settings_default_matches_heinola() -> None:
    s = Settings()
    assert (s.pct_absolute, s.pct_decimals, s.forecast_method) == (False, 1, "seasonal")
