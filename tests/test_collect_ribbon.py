"""The ribbon's Kerää vastaukset: the same collect job through the live backend (strict xlwings fake)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.excel import ribbon
from elinvoima_xl.jobs.collect import EXPLANATIONS_SHEET, STATUS_SHEET
from elinvoima_xl.workbook.head_layout import goals_for_area
from elinvoima_xl.workbook.head_writer import head_workbook
from elinvoima_xl.core.model import Review

from .fake_xlwings import FakeBook
from .test_collect import unanswered, unanswered_workbook

WHY = "Kesätyöllistäminen: maksut keväällä.\nÅäö loppuvuosi."


@pytest.fixture
def book(seed_review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBook:
    review = unanswered(seed_review)
    fake = FakeBook.from_xlsx(unanswered_workbook())      # built once for this module and test_collect
    monkeypatch.setattr(FakeBook, "fullname", property(lambda self: str(tmp_path / self._name)))
    monkeypatch.setattr(ribbon, "_caller", lambda: fake)
    folder = tmp_path / "Vastaukset"
    folder.mkdir()
    area = review.area("Työllisyyspalvelut")
    sent = folder / "sent.xlsx"
    sent.write_bytes(head_workbook(review, area, goals=goals_for_area(review, area.name, ("Työllisyyskoordinaattori",))).data)
    wb = openpyxl.load_workbook(sent)
    for name, value in (("Vastaus_Selitys_palvelujen_ostot", WHY), ("Vastaus_Tavoite5_Tila", "Toteutuu")):
        for sheet, ref in wb.defined_names[name].destinations:
            wb[sheet][ref.replace("$", "")].value = value
    wb.save(folder / "työllisyys vastaus.xlsx")
    sent.unlink()
    return fake


def _rows(book: FakeBook, name: str) -> list[tuple[object, ...]]:
    ws = book.sheets[name]
    last = ws.used_range.last_cell
    return [tuple(r) for r in ws.range((1, 1), (last.row, last.column)).options(ndim=2).value]


def test_ribbon_collects_from_the_folder_beside_the_workbook(book: FakeBook) -> None:
    ribbon.keraa_vastaukset()
    title, message = book.app._alerts[-1]
    assert title == "Elinvoima" and "vastattu 1" in message and "ei vastausta 4" in message, message
    goals = _rows(book, "Tavoitteet")
    assert goals[5][7] == "Toteutuu"                      # goal 5, row 6
    lines = {(r[0], r[1]): r for r in _rows(book, EXPLANATIONS_SHEET)[1:]}
    assert lines[("Työllisyyspalvelut", "Palvelujen ostot")][4] == WHY
    status = {r[0]: r for r in _rows(book, STATUS_SHEET)[1:]}
    assert status["Työllisyyspalvelut"][7] == "vastattu" and status["Kulttuuri"][7] == "ei vastausta"
    checks = _rows(book, "Tarkistukset")
    # The sent file asks Työllisyyspalvelut to explain four lines (its Vastaus_Selitys_* names: Henkilöstökulut,
    # Muut toimintakulut, Palvelujen ostot, Tuet ja avustukset); the answer explains Palvelujen ostot alone.
    unexplained = {(r[2], r[3]) for r in checks if r[1] == "explanation"}
    assert unexplained == {("Työllisyyspalvelut", "Henkilöstökulut"), ("Työllisyyspalvelut", "Muut toimintakulut"),
                           ("Työllisyyspalvelut", "Tuet ja avustukset")}
    assert book._saved == 0 and book.app.status_bar is False


def test_ribbon_without_the_folder_says_where_to_put_the_files(book: FakeBook, tmp_path: Path) -> None:
    (tmp_path / "Vastaukset" / "työllisyys vastaus.xlsx").unlink()
    (tmp_path / "Vastaukset").rmdir()
    before = [s.name for s in book.sheets]
    ribbon.keraa_vastaukset()
    title, message = book.app._alerts[-1]
    assert "Vastaukset" in message and "Traceback" not in message
    assert [s.name for s in book.sheets] == before
