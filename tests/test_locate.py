"""Findings point at their cells by their structured location: the line's key, never its label read back."""

from __future__ import annotations

from elinvoima_xl.core.calc import Settings
from elinvoima_xl.core.checks import Code, Finding, Location, Measure, Severity, run_checks
from elinvoima_xl.core.model import Level, Review, Source
from elinvoima_xl.ooxml.cells import parse_ref
from elinvoima_xl.sources.datafile import read_data_csv
from elinvoima_xl.sources.load import load_review
from elinvoima_xl.workbook.layout import workbook_layout
from elinvoima_xl.workbook.layout.values import CHECKS_SHEET, DATA_SHEET, SheetLayout


def _sheet(sheets: list[SheetLayout], name: str) -> SheetLayout:
    return next(s for s in sheets if s.name == name)


def _value(sheet: SheetLayout, row: int, col: int) -> object:
    return next((c.value for c in sheet.cells if c.row == row and c.col == col), None)


def _links(review: Review, findings: list[Finding]) -> tuple[dict[str, str], SheetLayout]:
    """Finding message -> the cell its Tarkistukset row links to, and the data sheet."""
    layout = workbook_layout(review, findings, Settings())
    checks = _sheet(layout.sheets, CHECKS_SHEET)
    messages = {c.row: c.value for c in checks.cells if c.col == 8 and c.row >= 4}
    links = {c.row: str(c.value) for c in checks.cells if c.col == 9 and c.formula}
    return {str(messages[r]): links[r] for r in links}, _sheet(layout.sheets, DATA_SHEET)


def test_a_subtotal_finding_links_to_the_subtotal_not_to_the_heading_of_the_same_name() -> None:
    # The published review's division prints Toimintakulut 6 kk 2023 that is not the sum of its areas.
    # Its label reads like the heading TOIMINTAKULUT; the cell is the subtotal's row on Tiedot.
    review = load_review(None)
    findings = run_checks(review)
    division_error = next(f for f in findings if f.code is Code.DIVISION_SUM and f.line == "Toimintakulut"
                          and f.severity is Severity.ERROR)
    assert division_error.line_key == "toimintakulut"
    assert division_error.location is not None and division_error.location.level is Level.DIVISION
    links, data = _links(review, findings)
    sheet, ref = links[division_error.message].split("!")
    row, col = parse_ref(ref)
    assert sheet == DATA_SHEET
    # Tiedot's columns: taso, alue, rivi, then the periods (TP, TOT 2022, TA, TOT 2023).
    assert (_value(data, row, 0), _value(data, row, 2)) == ("toimiala", "Toimintakulut")
    assert _value(data, 0, col) == "TOT 2023 6 kk (€)"
    # Every identity error of an area on Toimintakulut links to that area's Toimintakulut row too.
    for f in findings:
        if f.code is Code.IDENTITY and f.line == "Toimintakulut" and f.area != review.division_table.name:
            sheet, ref = links[f.message].split("!")
            row, _ = parse_ref(ref)
            assert (sheet, _value(data, row, 1), _value(data, row, 2)) == (DATA_SHEET, f.area, "Toimintakulut")


def test_a_finding_without_a_label_is_located_by_its_key_and_measure() -> None:
    # A finding made by hand with a label no structure prints still finds its cell by its key.
    review = load_review(None)
    area = review.areas[0]
    f = Finding(Severity.ERROR, Code.REMAINING, area.name, "(ei painettu nimi)", "Jäljellä", 0.0, 1.0, 1.0, "viesti",
                location=Location(Level.AREA, area.name, "henkilostokulut", Measure.REMAINING))
    links, data = _links(review, [f])
    sheet, ref = links["viesti"].split("!")
    row, col = parse_ref(ref)
    assert (sheet, _value(data, row, 1), _value(data, row, 2)) == (DATA_SHEET, area.name, "Henkilöstökulut")
    assert str(_value(data, 0, col)).startswith("Jäljellä")


def test_finding_json_is_v1_and_takes_strings_as_enums() -> None:
    f = Finding("warning", "kpi", "A", None, None, None, None, None, "m")   # type: ignore[arg-type]
    assert f.severity is Severity.WARNING and f.code is Code.KPI
    assert list(f.to_dict()) == ["severity", "code", "area", "line", "column", "expected", "actual", "gap",
                                 "message", "where", "rounding", "cause", "id"]
    assert f.to_dict()["severity"] == "warning" and type(f.to_dict()["severity"]) is str


def test_a_misspelt_council_line_is_a_warning_located_at_the_council_and_its_source_line() -> None:
    """Label findings carry where they are: the council's table and line key, and the data file's line."""
    text = ("taso;alue;rivi;TA 2023 (€);TOT 2023 6 kk (€)\n"
            "palvelualue;A;Myyntituotot;1000;400\npalvelualue;A;Henkilöstökulut;-3000;-1400\n"
            "valtuusto;Elinvoima;Tulo;1000;400\nvaltuusto;Elinvoima;Menot;-3000;-1400\n"
            "valtuusto;Elinvoima;Netto;-2000;-1000\n")
    found = [f for f in run_checks(read_data_csv(text.encode("utf-8"), "t.csv")) if "'Tulo'" in f.message]
    assert len(found) == 1
    f = found[0]
    assert (str(f.severity), str(f.code)) == ("warning", "label")
    assert f.location is not None
    assert (f.location.level, f.location.table, f.location.line, f.location.column) == (
        Level.COUNCIL, "Elinvoima", "tulot", None)
    assert f.location.source == Source(file="t.csv", line=4)      # the header is line 1, "Tulo" line 4
