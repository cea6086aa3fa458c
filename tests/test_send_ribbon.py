"""The ribbon's Lähetä palvelualueille: the same send job through the live backend (strict xlwings fake), SMTP or drafts."""

from __future__ import annotations

import csv
import io
from email import message_from_bytes, policy
from pathlib import Path

import openpyxl
import pytest

from elinvoima_xl.excel import ribbon
from elinvoima_xl.jobs.sending import JOURNAL_HEADS, JOURNAL_SHEET

from .fake_xlwings import FakeBook
from .test_send import HEADS, Handler, server  # noqa: F401 - the loopback SMTP server fixture

pytestmark = pytest.mark.smtp


@pytest.fixture
def book(built_workbook: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBook:
    fake = FakeBook.from_xlsx(built_workbook)
    monkeypatch.setattr(FakeBook, "fullname", property(lambda self: str(tmp_path / self._name)))
    monkeypatch.setattr(ribbon, "_caller", lambda: fake)
    for name in ("ELINVOIMA_SMTP", "ELINVOIMA_SMTP_USER", "ELINVOIMA_SMTP_PASSWORD", "ELINVOIMA_SMTP_FROM",
                 "ELINVOIMA_SMTP_STARTTLS"):
        monkeypatch.delenv(name, raising=False)
    return fake


def _fill_recipients(book: FakeBook, heads: dict[str, tuple[str, str, str]] = HEADS) -> None:
    sheet = book.sheets["Vastaanottajat"]
    for r in range(2, 2 + len(HEADS)):
        area = sheet.range((r, 1)).value
        if area in heads:
            name, address, cc = heads[area]
            sheet._put(r, 2, name)
            sheet._put(r, 3, address)
            if cc:
                sheet._put(r, 4, cc)


def _journal_sheet(book: FakeBook) -> list[tuple[object, ...]]:
    ws = book.sheets[JOURNAL_SHEET]
    last = ws.used_range.last_cell
    return [tuple(r) for r in ws.range((1, 1), (last.row, last.column)).options(ndim=2).value]


def test_ribbon_sends_through_smtp_with_a_summary(book: FakeBook, server: tuple[Handler, int], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port = server
    _fill_recipients(book)
    monkeypatch.setenv("ELINVOIMA_SMTP", f"127.0.0.1:{port}")
    monkeypatch.setenv("ELINVOIMA_SMTP_STARTTLS", "0")
    monkeypatch.setenv("ELINVOIMA_SMTP_FROM", "talous@heinola.fi")
    ribbon.laheta_palvelualueille()
    assert sorted(rcpt[0] for _, rcpt, _ in handler.accepted) == sorted(a for _, a, _ in HEADS.values())
    title, message = book.app._alerts[-1]
    assert title == "Elinvoima" and "hyväksytty 5" in message and "Lähetykset" in message
    rows = _journal_sheet(book)
    assert tuple(rows[0]) == JOURNAL_HEADS and len(rows) == 1 + len(HEADS)
    assert {r[1] for r in rows[1:]} == set(HEADS)
    assert book.sheets[JOURNAL_SHEET] is not None and book._saved == 0     # left unsaved, as every ribbon job
    assert book.app.status_bar is False
    journal = tmp_path / "Elinvoima.lahetykset.csv"
    assert len(list(csv.reader(io.StringIO(journal.read_text(encoding="utf-8-sig")), delimiter=";"))) == 1 + len(HEADS)
    # pressing the button again sends nothing twice
    ribbon.laheta_palvelualueille()
    assert len(handler.accepted) == len(HEADS)
    assert "ohitettu 5" in book.app._alerts[-1][1]


def test_ribbon_without_a_server_writes_drafts_beside_the_workbook(book: FakeBook, tmp_path: Path) -> None:
    _fill_recipients(book)
    ribbon.laheta_palvelualueille()
    drafts = sorted((tmp_path / "Elinvoima luonnokset").glob("*.eml"))
    assert len(drafts) == len(HEADS)
    msg = message_from_bytes(drafts[0].read_bytes(), policy=policy.default)
    assert msg["X-Unsent"] == "1"
    wb = openpyxl.load_workbook(io.BytesIO(next(msg.iter_attachments()).get_content()))
    assert wb.custom_doc_props["ElinvoimaAlue"].value in HEADS
    assert "luonnos 5" in book.app._alerts[-1][1]


def test_ribbon_names_the_area_without_a_recipient(book: FakeBook, server: tuple[Handler, int],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    handler, port = server
    _fill_recipients(book, {k: v for k, v in HEADS.items() if k != "Kaupunkisuunnittelu"})
    monkeypatch.setenv("ELINVOIMA_SMTP", f"127.0.0.1:{port}")
    monkeypatch.setenv("ELINVOIMA_SMTP_STARTTLS", "0")
    monkeypatch.setenv("ELINVOIMA_SMTP_FROM", "talous@heinola.fi")
    ribbon.laheta_palvelualueille()
    title, message = book.app._alerts[-1]
    assert "Kaupunkisuunnittelu" in message and "sähköpostiosoite" in message and "Traceback" not in message
    assert handler.accepted == [] and handler.sessions == []
    assert JOURNAL_SHEET not in [s.name for s in book.sheets]
