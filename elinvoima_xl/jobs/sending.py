"""The split and send jobs: every area's workbook, one message per head through a given transport, and the send journal.

The journal (a CSV beside the workbook, and the sheet `Lähetykset` when the source is the
team's workbook) records who got which version when, with the server's reply. It is written
after every message, so a run that stops half way still knows what was accepted; a rerun
skips every head whose current version the server already accepted, so nobody gets a
duplicate, and a new version of an area's figures is sent again.
"""

from __future__ import annotations

__all__ = [
    "JOURNAL_HEADS",
    "JOURNAL_SHEET",
    "TEMPLATE_SHEET",
    "Outcome",
    "SendInput",
    "SendReport",
    "input_from_file",
    "input_from_port",
    "journal_path",
    "journal_sheet_layout",
    "run_send",
    "send_from_cli",
    "send_live",
    "build_books",
    "split_review",
    "write_journal_sheet",
]

import csv
import datetime as dt
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.calc import Settings
from ..core.errors import ElinvoimaError, InputError, Place
from ..ooxml.fileio import write_atomic
from ..workbook.head_layout import HeadWorkbook, goals_for_area, period_label
from ..workbook.head_writer import head_workbook
from ..workbook.layout import SheetLayout
from ..workbook.layout.list_sheet import list_sheet
from .mail import DEFAULT_TEMPLATE, MailTemplate, Transport, build_message, parse_template
from ..core.model import Review
from .recipients import (
    RECIPIENTS_SHEET,
    Recipient,
    read_recipients_csv,
    recipients_by_area,
    recipients_from_rows,
    responsible_titles,
)

JOURNAL_SHEET = "Lähetykset"
TEMPLATE_SHEET = "Viestipohja"
JOURNAL_HEADS = ("aika", "alue", "nimi", "sähköposti", "kopio", "versio", "tiedosto", "tapa", "tulos", "vastaus")
ACCEPTED = "hyväksytty"
REFUSED = "ei lähetetty"
DRAFTED = "luonnos"
Rows = list[tuple[object, ...]]
_PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass
class SendInput:
    """What the jobs read from the source: the review, and the team's recipients, template and journal if any."""

    review: Review
    name: str
    path: Path | None
    recipient_rows: Rows | None = None
    template_rows: Rows | None = None
    is_workbook: bool = False


def input_from_port(port: Any, path: Path | None) -> SendInput:
    """From the team's workbook through a port (the file backend or live Excel)."""
    from .workbook_jobs import read_review

    review, _ = read_review(port)
    names = port.sheet_names()
    return SendInput(review, port.name, path,
                     port.read(RECIPIENTS_SHEET) if RECIPIENTS_SHEET in names else None,
                     port.read(TEMPLATE_SHEET) if TEMPLATE_SHEET in names else None, is_workbook=True)


def input_from_file(path: Path | None) -> SendInput:
    """A team workbook (.xlsm), a data file or a review text; None is the bundled review."""
    from ..sources.load import load_review

    if path is not None and path.suffix.lower() == ".xlsm" and path.is_file():
        from .file_backend import FileBackend

        return input_from_port(FileBackend(path.read_bytes(), path.name), path)
    return SendInput(load_review(path), path.name if path else "katsaus", path)


PARALLEL_FROM = 40      # areas; below this a second process costs more than it saves


def _books(review: Review, names: list[str], settings: Settings, deadline: str,
           titles: dict[str, tuple[str, ...]]) -> list[HeadWorkbook]:
    return [head_workbook(review, review.area(name), settings,
                          goals_for_area(review, name, titles.get(name.casefold(), ())), deadline) for name in names]


def build_books(review: Review, settings: Settings = Settings(), deadline: str = "",
                titles: dict[str, tuple[str, ...]] | None = None) -> list[HeadWorkbook]:
    """Every area's workbook, each from that area's figures and goals alone; many areas in two processes."""
    from .background import in_background

    titles = titles or {}
    names = [t.name for t in review.areas]
    if len(names) < PARALLEL_FROM:
        out = _books(review, names, settings, deadline, titles)
    else:
        half = len(names) // 2
        with in_background(_books, review, names[half:], settings, deadline, titles) as second:
            out = _books(review, names[:half], settings, deadline, titles)
            out += second()
    files = [w.filename.casefold() for w in out]
    if len(set(files)) != len(files):
        dup = next(n for n in files if files.count(n) > 1)
        raise ElinvoimaError(f"kahdella palvelualueella olisi sama tiedostonimi ({dup}). "
                             "Nimeä palvelualueet Tiedot-välilehdellä erottuvammin.")
    return out


def split_review(inp: SendInput, settings: Settings = Settings(), deadline: str = "",
                 recipient_rows: Rows | None = None) -> list[HeadWorkbook]:
    """Every area's workbook; the goals by the recipients' `vastuu` titles where the recipients give them."""
    titles = responsible_titles(recipient_rows or inp.recipient_rows or [])
    return build_books(inp.review, settings, deadline, titles)


def journal_path(inp: SendInput) -> Path:
    base = inp.path if inp.path is not None else Path(inp.name)
    return base.with_name(f"{base.stem}.lahetykset.csv")


def _read_journal(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    if not rows or [h.strip() for h in rows[0]] != list(JOURNAL_HEADS):
        raise InputError("lähetyspäiväkirjan otsikkorivi ei ole odotettu.", Place(file=str(path), line=1),
                         f"Otsikon pitää olla {';'.join(JOURNAL_HEADS)}. Älä muokkaa tiedostoa käsin.")
    return [r + [""] * (len(JOURNAL_HEADS) - len(r)) for r in rows[1:] if any(r)]


def _write_journal(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(JOURNAL_HEADS)
    w.writerows(rows)
    write_atomic(path, buf.getvalue().encode("utf-8-sig"))


def journal_sheet_layout(rows: list[list[str]]) -> SheetLayout:
    """`Lähetykset`: the send journal, one row per message or draft."""
    return list_sheet(JOURNAL_SHEET, JOURNAL_HEADS, rows,
                      {0: 22, 1: 28, 2: 24, 3: 32, 4: 32, 5: 18, 6: 34, 7: 9, 8: 13, 9: 60}, tab_color="7030A0")


def write_journal_sheet(port: Any, rows: list[list[str]]) -> None:
    """The journal as the sheet `Lähetykset` of the team's workbook (replacing the previous one)."""
    names = port.sheet_names()
    remove = [JOURNAL_SHEET] if JOURNAL_SHEET in names else []
    after = None if remove else (RECIPIENTS_SHEET if RECIPIENTS_SHEET in names else None)
    port.replace([journal_sheet_layout(rows)], remove, after)
    port.save()


def _template(inp: SendInput, template_file: Path | None) -> MailTemplate:
    if template_file is not None:
        if not template_file.is_file():
            raise InputError("viestipohjaa ei löydy.", Place(file=str(template_file)), "Tarkista polku.")
        from ..sources import decode_text

        return parse_template(decode_text(template_file.read_bytes(), template_file.name), template_file.name)
    if inp.template_rows:
        text = "\n".join("" if not row or row[0] is None else str(row[0]) for row in inp.template_rows)
        return parse_template(text, f"{inp.name}!{TEMPLATE_SHEET}")
    return parse_template(DEFAULT_TEMPLATE, "oletuspohja")


def _recipients(inp: SendInput, recipients_file: Path | None) -> list[Recipient]:
    if recipients_file is not None:
        if not recipients_file.is_file():
            raise InputError("vastaanottajaluetteloa ei löydy.", Place(file=str(recipients_file)), "Tarkista polku.")
        return read_recipients_csv(recipients_file.read_bytes(), recipients_file.name)
    if inp.recipient_rows is None:
        raise InputError(f"vastaanottajia ei ole: työkirjassa ei ole välilehteä {RECIPIENTS_SHEET}.",
                         Place(file=inp.name), "Anna --recipients vastaanottajat.csv (alue;nimi;sähköposti;kopio).")
    return recipients_from_rows(inp.recipient_rows, inp.name, RECIPIENTS_SHEET)


def _passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    return {r[0]: r[2] for r in rows[1:] if len(r) >= 3 and r[0] and r[2]}


def _encrypt(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


@dataclass(frozen=True)
class Outcome:
    area: str
    email: str
    status: str          # "hyväksytty", "ei lähetetty", "ohitettu" (already accepted), "kuivaharjoitus"
    reply: str


@dataclass
class SendReport:
    outcomes: list[Outcome] = field(default_factory=list)
    journal: Path | None = None
    journal_rows: list[list[str]] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == REFUSED]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        text = ", ".join(f"{k} {v}" for k, v in counts.items()) or "ei palvelualueita"
        if self.failures:
            text += ". Epäonnistuneet: " + "; ".join(f"{o.area} <{o.email}>: {o.reply}" for o in self.failures)
            text += ". Aja lähetys uudelleen: vain nämä lähetetään."
        return text


def run_send(inp: SendInput, transport: Transport | None, settings: Settings = Settings(),
             recipients_file: Path | None = None, template_file: Path | None = None, sender: str | None = None,
             deadline: str = "", password_file: Path | None = None,
             on_progress: Callable[[str], None] | None = None,
             now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc)) -> SendReport:
    """Send each head their workbook (or, without a transport, only say what would be sent).

    Recipients and the template are checked for every area before anything is sent. Heads
    whose current version a server has already accepted (by the journal) are skipped.
    """
    progress = on_progress or (lambda _text: None)
    review = inp.review
    by_area = recipients_by_area(_recipients(inp, recipients_file), review, recipients_file.name
                                 if recipients_file else f"{inp.name}!{RECIPIENTS_SHEET}")
    template = _template(inp, template_file)
    jpath = journal_path(inp)
    journal = _read_journal(jpath)
    titles = {a.casefold(): r.responsible for a, r in by_area.items()}
    passwords = _passwords(password_file) if password_file is not None else {}
    report = SendReport(journal=jpath)
    books = build_books(review, settings, deadline, titles)
    if password_file is not None:
        for book in books:
            passwords.setdefault(book.area, "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(16)))
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        w.writerow(("alue", "sähköposti", "salasana"))
        w.writerows((b.area, by_area[b.area].email, passwords[b.area]) for b in books)
        write_atomic(password_file, buf.getvalue().encode("utf-8-sig"))
        password_file.chmod(0o600)
    sent = {(r[1], r[3], r[5]) for r in journal if r[7] == "smtp" and r[8] == ACCEPTED}
    try:
        for i, book in enumerate(books, start=1):
            head = by_area[book.area]
            progress(f"Lähetetään {i}/{len(books)}: {book.area}")
            if transport is not None and transport.kind == "smtp" and (book.area, head.email, book.version) in sent:
                report.outcomes.append(Outcome(book.area, head.email, "ohitettu", "lähetetty jo aiemmin"))
                continue
            fields = {"nimi": head.name or "palvelualueen johtaja", "alue": book.area,
                      "kausi": period_label(review), "katsaus": review.title,
                      "maaraaika": deadline or "sovittuun päivään"}
            data = _encrypt(book.data, passwords[book.area]) if password_file is not None else book.data
            msg = build_message(template, fields, sender, head.email, head.cc, data, book.filename,
                                f"{book.area}\x1f{book.version}\x1f{head.email}")
            if transport is None:
                report.outcomes.append(Outcome(book.area, head.email, "kuivaharjoitus",
                                               f"{msg['Subject']} ({book.filename}, {len(data)} tavua)"))
                continue
            delivery = transport.deliver(msg)
            status = (ACCEPTED if transport.kind == "smtp" else DRAFTED) if delivery.accepted else REFUSED
            report.outcomes.append(Outcome(book.area, head.email, status, delivery.reply))
            journal.append([now().isoformat(timespec="seconds"), book.area, head.name, head.email, ", ".join(head.cc),
                            book.version, book.filename, transport.kind, status, delivery.reply])
            _write_journal(jpath, journal)
    finally:
        if transport is not None:
            transport.close()
    report.journal_rows = journal
    return report


def _smtp_transport(smtp: str, no_starttls: bool, login: bool) -> Transport:
    import os
    import sys

    from .mail import SmtpTransport

    host, _, port_text = smtp.rpartition(":")
    if not host or not port_text.isdigit():
        raise InputError(f"--smtp '{smtp}' ei ole muotoa PALVELIN:PORTTI.", None, "Esimerkiksi --smtp smtp.kunta.fi:587.")
    user = os.environ.get("ELINVOIMA_SMTP_USER") or None
    password = os.environ.get("ELINVOIMA_SMTP_PASSWORD") or None
    if login and (user is None or password is None):
        if not sys.stdin.isatty():
            raise ElinvoimaError("--login kysyy tunnuksen päätteeltä, mutta päätettä ei ole. Anna tunnus ympäristössä: "
                                 "ELINVOIMA_SMTP_USER ja ELINVOIMA_SMTP_PASSWORD.")
        import getpass

        user = user or input("Käyttäjätunnus: ").strip()
        password = password or getpass.getpass("Salasana: ")
    return SmtpTransport(host.strip("[]"), int(port_text), starttls=not no_starttls, user=user, password=password)


def send_from_cli(path: Path, recipients: Path | None, template: Path | None, drafts: Path | None, smtp: str | None,
                  no_starttls: bool, login: bool, sender: str | None, deadline: str, password_file: Path | None,
                  dry_run: bool, settings: Settings = Settings(),
                  on_progress: Callable[[str], None] | None = None) -> SendReport:
    """`elinvoima send`: one of --smtp, --drafts, --dry-run; the journal CSV beside PATH and, for the team's
    workbook, its sheet Lähetykset."""
    import os

    from .mail import DraftTransport
    from .team_workbook import refuse_if_open, save_workbook

    if sum((drafts is not None, smtp is not None, dry_run)) != 1:
        raise ElinvoimaError("anna yksi tavoista: --smtp PALVELIN:PORTTI (lähetä), --drafts KANSIO (luonnokset) "
                             "tai --dry-run (näytä vain).")
    if not path.exists():
        raise InputError("tiedostoa ei löydy.", Place(file=str(path)), "Tarkista polku ja tiedoston nimi.")
    if path.suffix.lower() == ".xlsm":
        refuse_if_open(path)
    inp = input_from_file(path)
    transport: Transport | None = None
    if smtp is not None:
        sender = sender or os.environ.get("ELINVOIMA_SMTP_FROM") or None
        if not sender:
            raise ElinvoimaError("lähettäjän osoite puuttuu. Anna --from osoite@kunta.fi tai ELINVOIMA_SMTP_FROM.")
        # Recipients and template are checked before connecting: a dry run of the same job.
        run_send(inp, None, settings, recipients, template, sender, deadline)
        transport = _smtp_transport(smtp, no_starttls, login)
    elif drafts is not None:
        transport = DraftTransport(drafts)
    report = run_send(inp, transport, settings, recipients, template, sender, deadline,
                      None if dry_run else password_file, on_progress)
    if inp.is_workbook and transport is not None:
        from .file_backend import FileBackend

        port = FileBackend(path.read_bytes(), path.name)
        write_journal_sheet(port, report.journal_rows)
        save_workbook(path, port.data)
    return report


def send_live(port: Any, workbook_path: Path, settings: Settings = Settings()) -> SendReport:
    """The ribbon's send on the open workbook: by SMTP when ELINVOIMA_SMTP names a server (HOST:PORT; credentials
    and sender from ELINVOIMA_SMTP_USER / _PASSWORD / _FROM), else drafts in a folder beside the workbook."""
    import os

    from .mail import DraftTransport

    inp = input_from_port(port, workbook_path)
    smtp = os.environ.get("ELINVOIMA_SMTP", "").strip()
    transport: Transport
    if smtp:
        sender = os.environ.get("ELINVOIMA_SMTP_FROM") or None
        if not sender:
            raise ElinvoimaError("lähettäjän osoite puuttuu: aseta ympäristömuuttuja ELINVOIMA_SMTP_FROM.")
        run_send(inp, None, settings, sender=sender)       # recipients and template checked before connecting
        transport = _smtp_transport(smtp, os.environ.get("ELINVOIMA_SMTP_STARTTLS", "1") == "0", False)
    else:
        run_send(inp, None, settings)
        transport = DraftTransport(workbook_path.with_name(f"{workbook_path.stem} luonnokset"))
        sender = None
    report = run_send(inp, transport, settings, sender=sender, on_progress=port.progress)
    write_journal_sheet(port, report.journal_rows)
    port.progress("")
    return report
