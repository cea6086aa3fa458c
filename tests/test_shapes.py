"""Other municipalities' shapes of table (tests/shapes/): each real error found once, no false error, % as printed.

The tables are written for these tests; every expected figure is worked out here from them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from elinvoima_xl.core.calc import Settings, convention_for
from elinvoima_xl.core.checks import Finding, run_checks
from elinvoima_xl.cli import main
from elinvoima_xl.sources.load import load_review
from elinvoima_xl.core.model import Review
from elinvoima_xl.core.report import review_tables

SHAPES = Path(__file__).parent / "shapes"
ALL = sorted(p.name for p in SHAPES.iterdir())
PRINTED_PCT_ROWS = {"council_only.txt": 3, "expenses_positive.csv": 10, "other_order.txt": 12,
                    "period_1_9_cents.csv": 6, "summary_areas.csv": 12}


def _review(name: str) -> Review:
    return load_review(SHAPES / name)


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def _roots(findings: list[Finding]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(f.code, f.area, f.line, f.column) for f in _errors(findings) if f.cause is None]


def _shown(review: Review, settings: Settings = Settings()) -> dict[tuple[str, str], dict[str, float]]:
    """(table, line label) -> the figures `show` computes (values by column label, remaining, pct, forecast)."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    for _level, ct in review_tables(review, settings):
        t = ct.table
        for li, line in enumerate(t.structure.lines):
            if ct.present[li]:
                row = {c.label: float(ct.values[li, j]) for j, c in enumerate(t.columns)}
                row.update(remaining=float(ct.remaining[li]), pct=float(ct.pct[li]),
                           forecast=float(ct.forecast.values[li]))
                out[(t.name, line.label)] = row
    return out


@pytest.mark.parametrize("name", ALL)
def test_every_printed_pct_and_remaining_is_reproduced(name: str) -> None:
    """The printed % and Jäljellä of every line agree with what `show` computes (the tables are right there)."""
    review = _review(name)
    shown = _shown(review)
    checked = 0
    for t in review.tables():
        for li, line in enumerate(t.structure.lines):
            pct, rem = t.printed_pct[li], t.printed_remaining[li]
            if pct == pct:  # printed
                assert shown[(t.name, line.label)]["pct"] == pytest.approx(float(pct), abs=1e-9), (t.name, line)
                # Jäljellä = TA − TOT exactly as printed; 1e-6 only for the binary floats of cents (1–9 months)
                assert shown[(t.name, line.label)]["remaining"] == pytest.approx(float(rem), abs=1e-6)
                checked += 1
    # the rows with a printed %, counted by hand in each file of tests/shapes/
    assert checked == PRINTED_PCT_ROWS[name]
    assert not [f for f in run_checks(review) if f.code in ("pct", "remaining") and f.severity == "error"]


@pytest.mark.parametrize("name", ALL)
def test_no_block_or_label_warning(name: str) -> None:
    assert [f.message for f in run_checks(_review(name)) if f.code == "label"] == []


def test_summary_level_areas_are_data_not_zeros() -> None:
    review = _review("summary_areas.csv")
    findings = run_checks(review)
    # Nuoriso, TOIMINTAKATE, TOT 2024: 98 000 − 461 000 = −363 000, printed −362 000: the one real error.
    assert _roots(findings) == [("identity", "Nuoriso", "TOIMINTAKATE", "TOT 2024 6 kk")]
    root = _errors(findings)[0]
    assert (root.expected, root.actual, root.gap) == (98_000 - 461_000, -362_000, 1_000)
    # The division prints the right −1 283 433; Σ areas' printed nets is −920 433 − 362 000 = −1 282 433:
    # the same 1 000 € again, a consequence of the area's error, not a second one.
    follows = [f for f in _errors(findings) if f.cause == root.id]
    assert [(f.code, f.area, f.gap) for f in follows] == [("division_sum", "Sivistystoimiala", -1_000)]
    assert len(_errors(findings)) == 2
    shown = _shown(review)
    # Forecast of a subtotal given without lines: its own seasonal share, 590 / 1 180 = 0,5.
    assert shown[("Liikunta", "Toimintatuotot")]["forecast"] == pytest.approx(579_567 / (590 / 1180))
    # TOIMINTAKATE: the sum of the forecasts of the subtotals above it.
    assert shown[("Liikunta", "TOIMINTAKATE")]["forecast"] == pytest.approx(
        579_567 / (590 / 1180) + -1_500_000 / (1450 / 3000))
    # No detail line is invented: Liikunta shows its three printed lines and the margins below them.
    assert sorted(k[1] for k in shown if k[0] == "Liikunta") == [
        "TILIKAUDEN TULOS", "TOIMINTAKATE", "Toimintakulut", "Toimintatuotot", "VUOSIKATE"]


def test_summary_level_areas_roll_up_into_the_division() -> None:
    review = _review("summary_areas.csv")
    review.division_table = None   # the division is then the sum of the areas' printed subtotals
    shown = _shown(review)
    assert shown[("Sivistystoimiala", "Toimintatuotot")]["TOT 2024 6 kk"] == 579_567 + 98_000
    assert shown[("Sivistystoimiala", "Toimintakulut")]["TA 2024 +muutos"] == -3_100_000 - 950_000
    assert ("Sivistystoimiala", "Myyntituotot") not in shown
    findings = run_checks(review)
    # Council against Σ areas: TULOT and MENOT agree; NETTO −1 283 433 against Σ of the areas'
    # printed nets −1 282 433 (areas print TOIMINTAKATE, so that is what sums).
    council = [(f.code, f.line, f.gap) for f in _errors(findings) if f.code == "council"]
    assert council == [("council", "NETTO", -1_000)]


def test_council_table_alone_is_checked_by_its_own_identity() -> None:
    review = _review("council_only.txt")
    assert review.areas == [] and review.council is not None
    findings = run_checks(review)
    # NETTO TOT 2024: 1 260 300 − 3 010 900 = −1 750 600, printed −1 752 600 (MENOT printed first).
    assert _roots(findings) == [("identity", "Tekninen lautakunta", "NETTO", "TOT 2024 6 kk")]
    assert len(_errors(findings)) == 1
    f = _errors(findings)[0]
    assert (f.expected, f.gap) == (1_260_300 - 3_010_900, -2_000)
    # The council's NETTO is the binding net when nothing else is printed: −1 752 600 is within −3 800 000.
    assert not [f for f in findings if f.code == "binding"]


def test_expenses_printed_positive() -> None:
    review = _review("expenses_positive.csv")
    conv = convention_for(review)
    assert (conv.expenses_positive, conv.netto_as_cost, conv.margin_as_cost) == (True, True, False)
    findings = run_checks(review)
    # NETTO TOT 2024 = MENOT − TULOT = 332 343 − 132 095 = 200 248, printed 202 105: 1 857 € off.
    assert _roots(findings) == [("identity", "Ympäristölautakunta", "NETTO", "TOT 2024 6 kk")]
    root = next(f for f in _errors(findings) if f.cause is None)
    assert (root.expected, root.actual, root.gap) == (332_343 - 132_095, 202_105, 1_857)
    # The council check sees the same figure against the division's TOIMINTAKATE, turned over.
    assert [(f.code, f.gap) for f in _errors(findings) if f.cause == root.id] == [("council", 1_857)]
    shown = _shown(review)
    # Toimintakate = Tuotot − Kulut: 132 095 − 332 343.
    assert shown[("Ympäristönsuojelu", "TOIMINTAKATE")]["TOT 2024 6 kk"] == 132_095 - 332_343
    # Forecasts: Tuotot − Kulut of the lines' seasonal forecasts (shares 80/170, 48/100, 215/450, 115/240).
    tuotot = 82_095 / (80 / 170) + 50_000 / (48 / 100)
    kulut = 220_343 / (215 / 450) + 112_000 / (115 / 240)
    assert shown[("Ympäristönsuojelu", "Toimintakulut")]["forecast"] == pytest.approx(kulut)
    assert shown[("Ympäristönsuojelu", "TOIMINTAKATE")]["forecast"] == pytest.approx(tuotot - kulut)
    # The council's NETTO forecast is MENOT − TULOT of the division.
    assert shown[("Ympäristölautakunta", "NETTO")]["forecast"] == pytest.approx(kulut - tuotot)


def test_expenses_sign_can_be_overridden() -> None:
    review = _review("expenses_positive.csv")
    forced = run_checks(review, Settings(expenses_positive=False))
    # Read as expenses negative, TOIMINTAKATE = Toimintatuotot + Toimintakulut (132 095 + 332 343 = 464 438
    # ≠ −200 248) and NETTO = TULOT + MENOT in every column; the council's NETTO is then checked against the
    # printed TOIMINTAKATE. Twelve root errors, each with its expected figure:
    sums = [270 + 690, 128 + 330, 280_000 + 700_000, 132_095 + 332_343]
    kate = [-420, -202, -420_000, -200_248]
    assert [(f.code, f.area, f.line, f.expected, f.cause) for f in _errors(forced)] == \
        [("identity", "Ympäristönsuojelu", "TOIMINTAKATE", s, None) for s in sums] + \
        [("identity", "Ympäristölautakunta", "NETTO", s, None) for s in sums] + \
        [("council", "Ympäristölautakunta", "NETTO", k, None) for k in kate]
    same = run_checks(review, Settings(expenses_positive=True))
    assert _roots(same) == _roots(run_checks(review))


def test_rows_in_another_order_and_menot_first() -> None:
    review = _review("other_order.txt")
    assert [t.name for t in review.investments] == ["MUSEO"]
    findings = run_checks(review)
    assert _errors(findings) == []
    shown = _shown(review)
    # Investment NETTO TOT 2024 = TULOT + MENOT = 10 000 − 60 000, MENOT printed first.
    assert shown[("MUSEO", "NETTO")]["TOT 2024 6 kk"] == 10_000 - 60_000
    assert shown[("Museo", "TOIMINTAKATE")]["TA 2024 +muutos"] == 50_000 - 510_000


def test_period_1_9_with_cents() -> None:
    review = _review("period_1_9_cents.csv")
    findings = run_checks(review)
    assert _errors(findings) == []
    shown = _shown(review)
    row = shown[("Kirjasto", "Myyntituotot")]
    assert row["remaining"] == pytest.approx(50_000.00 - 37_512.34)
    assert row["pct"] == 75.0                                # 37 512,34 / 50 000 = 75,02 %
    # Seasonal: last year's share at 9 months 36 500 / 48 000.
    assert row["forecast"] == pytest.approx(37_512.34 / (36_500 / 48_000))
    linear = _shown(review, Settings(forecast_method="linear"))
    assert linear[("Kirjasto", "Myyntituotot")]["forecast"] == pytest.approx(37_512.34 * 12 / 9)
    assert shown[("Kirjasto", "TOIMINTAKATE")]["TOT 2024 9 kk"] == pytest.approx(
        37_512.34 - 76_234.56 - 15_000.00)


def test_check_states_the_convention_and_counts_rounding_in_one_line() -> None:
    result = CliRunner().invoke(main, ["check", str(SHAPES / "expenses_positive.csv")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("Etumerkit: kulut positiivisina") and "NETTO = MENOT − TULOT" in lines[0]
    assert lines[1].startswith("VIRHE: Ympäristölautakunta, NETTO, TOT 2024 6 kk")
    assert lines[2].startswith("    seurauksena: Ympäristölautakunta, NETTO")
    shown = CliRunner().invoke(main, ["show", str(SHAPES / "expenses_positive.csv")])
    assert "Etumerkit: kulut positiivisina" in shown.output
    assert "202 105!" in shown.output
    data = json.loads(CliRunner().invoke(main, ["show", "--json", str(SHAPES / "expenses_positive.csv")]).output)
    assert data["sign_convention"]["expenses_positive"] is True
    netto = next(ln for t in data["tables"] if t["level"] == "valtuusto" for ln in t["lines"] if ln["key"] == "netto")
    assert netto["mismatch"] == ["tot_2024_6kk"]


def test_sign_setting_in_the_data_is_read_written_and_overridable(tmp_path: Path) -> None:
    from elinvoima_xl.sources.datafile import read_data_csv, write_data_csv

    text = (SHAPES / "expenses_positive.csv").read_text(encoding="utf-8")
    # Without its nets the file could not tell; the setting row says it.
    rows = [ln for ln in text.splitlines() if "NETTO" not in ln and "Toimintakate" not in ln]
    data = "\n".join(rows[:1] + ["asetus;Kulut positiivisina;kyllä"] + rows[1:]) + "\n"
    review = read_data_csv(data.encode("utf-8"), "asetus.csv")
    assert review.sign is not None and review.sign.expenses_positive
    conv = convention_for(review)
    assert conv.expenses_positive and conv.source == "asetus 'Kulut positiivisina' tiedoissa"
    assert convention_for(review, Settings(expenses_positive=False)).expenses_positive is False
    again = read_data_csv(write_data_csv(review), "uusi.csv")
    assert again.sign is not None and again.sign.expenses_positive
    # Toimintakate = 132 095 − 332 343 in the area, computed in the convention of the setting.
    assert _shown(review)[("Ympäristönsuojelu", "TOIMINTAKATE")]["TOT 2024 6 kk"] == 132_095 - 332_343


@pytest.mark.parametrize(("row", "words"), [("asetus;Kulut positiivisina;ehkä", "ei ole kyllä eikä ei"),
                                            ("asetus;Värit;kyllä", "asetusta 'Värit' ei tunneta")])
def test_bad_setting_is_one_clear_line(tmp_path: Path, row: str, words: str) -> None:
    p = tmp_path / "a.csv"
    p.write_text("taso;alue;rivi;TA 2024 (€);TOT 2024 6 kk (€)\n" + row + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(p)])
    assert result.exit_code != 0 and words in str(result.exception)


def test_cli_sign_options() -> None:
    forced = CliRunner().invoke(main, ["check", "--expenses-negative", str(SHAPES / "expenses_positive.csv")])
    assert forced.exit_code == 1
    assert forced.output.splitlines()[0].endswith("(valinta --expenses-negative).")
    shown = CliRunner().invoke(main, ["show", "--expenses-positive"])
    assert shown.exit_code == 0 and "Etumerkit: kulut positiivisina" in shown.output
    assert "(valinta --expenses-positive)" in shown.output
    data = json.loads(CliRunner().invoke(main, ["check", "--json"]).output)
    assert data["sign_convention"]["expenses_positive"] is False
    assert data["sign_convention"]["source"] == "tunnistettu nettojen summista"
