"""Sending the heads' workbooks through a real SMTP server on loopback (aiosmtpd): content, refusals, drops, reruns, drafts, encryption."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import msoffcrypto
import openpyxl
import pytest
from aiosmtpd.controller import Controller

from elinvoima_xl.core.errors import ElinvoimaError, InputError
from elinvoima_xl.workbook.head_layout import goals_for_area
from elinvoima_xl.workbook.head_writer import head_workbook
from elinvoima_xl.jobs.mail import SmtpTransport, parse_template
from elinvoima_xl.core.model import Review
from elinvoima_xl.jobs.sending import JOURNAL_HEADS, SendInput, input_from_file, run_send, split_review
from elinvoima_xl.core.structure import INCOME_STATEMENT

pytestmark = pytest.mark.smtp
ROOT = Path(__file__).resolve().parents[1]
FIRST = 5
HEADS = {   # area -> (name, address, cc)
    "Työllisyyspalvelut": ("Tiina Työllinen", "tiina.tyollinen@heinola.fi", "talous@heinola.fi"),
    "Elinkeinopalvelut": ("Eero Elinkeino", "eero.elinkeino@heinola.fi", ""),
    "Kulttuuri": ("Kaisa Kulttuuri", "kaisa.kulttuuri@heinola.fi", ""),
    "Kaupunkisuunnittelu": ("Kalle Kaava", "kalle.kaava@heinola.fi", ""),
    "Kiinteistö- ja mittauspalvelut": ("Mirja Mittaus", "mirja.mittaus@heinola.fi", "a@heinola.fi, b@heinola.fi"),
}


# TOIMINTAKATE TOT 2023 of each area as the sum of its printed lines, which the head's sheet computes; the seed
# prints the same except Elinkeinopalvelut −152 561 − (197 418 + 228 987 + 7 852 + 43 500 + 54 353 + 6 727)
# = −691 398 (printed −691 397) and Kaupunkisuunnittelu (310 + 7 500 + 1 700)
# − (217 608 + 61 222 + 1 460 + 14 287 + 930) = −285 997 (printed −285 998).
KATE_FROM_LINES = {"Työllisyyspalvelut": -1_342_506, "Elinkeinopalvelut": -691_398, "Kulttuuri": -373_086,
                   "Kaupunkisuunnittelu": -285_997, "Kiinteistö- ja mittauspalvelut": 49_959}


@dataclass
class Handler:
    """An SMTP server's behaviour: refuse some recipients (550), drop the connection on some messages."""

    refuse: set[str] = field(default_factory=set)
    drop_once: set[str] = field(default_factory=set)
    accepted: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname
        self.sessions.append(hostname)
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 Vastaanottajaa ei ole"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        to = envelope.rcpt_tos[0]
        if to in self.drop_once:
            self.drop_once.discard(to)
            server.transport.abort()       # the connection drops before the server answers
            return "250 never seen"
        self.accepted.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return f"250 2.0.0 Ok: jonossa {len(self.accepted)}"

    def to(self, address: str) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=policy.default) for _, rcpt, raw in self.accepted  # type: ignore[misc]
                if rcpt[0] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ELINVOIMA_SMTP_USER", "ELINVOIMA_SMTP_PASSWORD", "ELINVOIMA_SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)


def _recipients_csv(path: Path, heads: dict[str, tuple[str, str, str]] = HEADS, extra: str = "") -> Path:
    lines = ["alue;nimi;sähköposti;kopio;vastuu"]
    for area, (name, address, cc) in heads.items():
        vastuu = "Työllisyyskoordinaattori" if area == "Työllisyyspalvelut" else ""
        lines.append(f"{area};{name};{address};{cc};{vastuu}")
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture
def workbook(tmp_path: Path, built_workbook: bytes) -> Path:
    path = tmp_path / "Elinvoima.xlsm"
    path.write_bytes(built_workbook)
    return path


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ELINVOIMA_SMTP")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "elinvoima_xl", *args], capture_output=True, text=True, cwd=ROOT,
                          env=full, timeout=120)


def _journal(path: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows == [] or list(rows[0]) == list(JOURNAL_HEADS)
    return rows


def test_every_head_gets_their_own_workbook_intact(server: tuple[Handler, int], workbook: Path, tmp_path: Path) -> None:
    handler, port = server
    recipients = _recipients_csv(tmp_path / "vastaanottajat.csv")
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{port}",
                  "--no-starttls", "--from", "talous@heinola.fi", "--deadline", "15.8.2023")
    assert result.returncode == 0, result.stderr + result.stdout
    assert len(handler.accepted) == len(HEADS)
    for area, (name, address, cc) in HEADS.items():
        [msg] = handler.to(address)
        sender, rcpt, _ = next(a for a in handler.accepted if a[1][0] == address)
        assert sender == "talous@heinola.fi"
        assert rcpt == [address, *[c.strip() for c in cc.split(",") if c.strip()]]
        assert msg["To"] == address
        assert msg["Subject"] == f"Osavuosikatsaus 1–6/2023: palvelualueen {area} vastaukset 15.8.2023 mennessä"
        body = msg.get_body(("plain",)).get_content()
        assert f"Hei {name}," in body and f"palvelualueen {area} työkirja" in body and "1–6/2023" in body
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_filename() == f"{area} 1-6-2023.xlsx"
        data = attachment.get_content()
        # the attachment is exactly the workbook split makes for this area (same figures, same bytes)
        review = input_from_file(workbook).review
        titles = ("Työllisyyskoordinaattori",) if area == "Työllisyyspalvelut" else ()
        assert data == head_workbook(review, review.area(area), goals=goals_for_area(review, area, titles),
                                     deadline="15.8.2023").data
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        assert wb.custom_doc_props["ElinvoimaAlue"].value == area
        if area == "Työllisyyspalvelut":     # its vastuu title names goals 5 and 8 of the team's Tavoitteet
            goals = wb["Tavoitteet"]
            assert [goals.cell(r, 1).value for r in (2, 3)] == [5, 8]
            assert goals.cell(2, 8).value == "Toteutuu osittain"
        ws = wb[area[:31]]
        r = FIRST + INCOME_STATEMENT.index["toimintakate"]
        assert ws.cell(r, 5).value == KATE_FROM_LINES[area]
    # one line per head in the journal, accepted with the server's reply
    rows = _journal(workbook.with_name("Elinvoima.lahetykset.csv"))
    assert [(r["alue"], r["tulos"]) for r in rows] == [(a, "hyväksytty") for a in HEADS]
    assert all(r["vastaus"].startswith("250 2.0.0 Ok: jonossa") for r in rows)
    # and the journal is a sheet of the team's workbook too
    sheet = openpyxl.load_workbook(workbook)["Lähetykset"]
    assert [c.value for c in sheet[1]] == list(JOURNAL_HEADS)
    assert sheet.max_row == 1 + len(HEADS)
    assert "tiina.tyollinen@heinola.fi\thyväksytty\t250" in result.stdout


def test_refused_and_dropped_are_survived_and_a_rerun_sends_only_those(server: tuple[Handler, int], workbook: Path,
                                                                       tmp_path: Path) -> None:
    handler, port = server
    handler.refuse = {"eero.elinkeino@heinola.fi"}
    handler.drop_once = {"kaisa.kulttuuri@heinola.fi"}
    recipients = _recipients_csv(tmp_path / "vastaanottajat.csv")
    args = ("send", str(workbook), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{port}", "--no-starttls",
            "--from", "talous@heinola.fi")
    first = _cli(*args)
    assert first.returncode == 1, first.stderr
    got = sorted(rcpt[0] for _, rcpt, _ in handler.accepted)
    assert got == sorted(a for _, a, _ in HEADS.values() if a not in ("eero.elinkeino@heinola.fi",
                                                                     "kaisa.kulttuuri@heinola.fi"))
    summary = first.stdout.strip().splitlines()[-1]
    assert "Epäonnistuneet" in summary and "Elinkeinopalvelut" in summary and "Kulttuuri" in summary
    assert "550" in summary and "yhteys katkesi" in summary
    rows = _journal(workbook.with_name("Elinvoima.lahetykset.csv"))
    assert {r["alue"]: r["tulos"] for r in rows} == {a: ("ei lähetetty" if a in ("Elinkeinopalvelut", "Kulttuuri")
                                                         else "hyväksytty") for a in HEADS}
    # the server takes Eero now; a rerun sends the two missing ones and nothing twice
    handler.refuse = set()
    before = len(handler.accepted)
    second = _cli(*args)
    assert second.returncode == 0, second.stdout + second.stderr
    new = sorted(rcpt[0] for _, rcpt, _ in handler.accepted[before:])
    assert new == ["eero.elinkeino@heinola.fi", "kaisa.kulttuuri@heinola.fi"]
    third = _cli(*args)
    assert third.returncode == 0 and len(handler.accepted) == before + 2
    assert third.stdout.count("\tohitettu\t") == len(HEADS)
    # every head has exactly one accepted message
    assert sorted(rcpt[0] for _, rcpt, _ in handler.accepted) == sorted(a for _, a, _ in HEADS.values())


def test_a_new_version_of_the_figures_is_sent_again(server: tuple[Handler, int], tmp_path: Path,
                                                    seed_review: Review) -> None:
    handler, port = server
    data = tmp_path / "tiedot.csv"
    data.write_bytes((ROOT / "elinvoima_xl/data/heinola_elinvoima_1-6_2023.csv").read_bytes())
    recipients = _recipients_csv(tmp_path / "r.csv")
    args = ("send", str(data), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{port}", "--no-starttls",
            "--from", "talous@heinola.fi")
    assert _cli(*args).returncode == 0
    assert len(handler.accepted) == 5
    text = data.read_text(encoding="utf-8-sig").replace("Kulttuuri;Myyntituotot;", "Kulttuuri;Myyntituotot;", 1)
    lines = text.splitlines()
    i = next(n for n, ln in enumerate(lines) if ln.startswith("palvelualue;Kulttuuri;Myyntituotot;"))
    cells = lines[i].split(";")
    cells[6] = str(int(cells[6].replace(" ", "")) + 1000)      # TOT 2023 of Kulttuuri's Myyntituotot
    lines[i] = ";".join(cells)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _cli(*args)
    assert result.returncode == 0, result.stderr
    assert [rcpt[0] for _, rcpt, _ in handler.accepted[5:]] == ["kaisa.kulttuuri@heinola.fi"]
    versions = {r["versio"] for r in _journal(tmp_path / "tiedot.lahetykset.csv") if r["alue"] == "Kulttuuri"}
    assert len(versions) == 2


@pytest.mark.parametrize("extra, heads, expected", [
    ("", {k: v for k, v in HEADS.items() if k != "Kulttuuri"}, "palvelualueelta Kulttuuri puuttuu vastaanottaja"),
    ("", {**HEADS, "Kulttuuri": ("K", "kaisa.heinola.fi", "")}, "palvelualueen Kulttuuri sähköpostiosoite 'kaisa.heinola.fi'"),
    ("", {**HEADS, "Kulttuuri": ("K", "", "")}, "palvelualueen Kulttuuri vastaanottajalta puuttuu sähköpostiosoite"),
    ("", {**HEADS, "Kulttuuri": ("K", "k@heinola.fi", "x@@y")}, "palvelualueen Kulttuuri kopio-osoite 'x@@y'"),
    ("Kulttuuri;Toinen;t@heinola.fi;\n", HEADS, "palvelualueella Kulttuuri on kaksi vastaanottajaa"),
    ("Ooppera;O;o@heinola.fi;\n", HEADS, "palvelualuetta 'Ooppera' ei ole katsauksessa"),
])
def test_recipient_problems_stop_before_anything_is_sent(server: tuple[Handler, int], workbook: Path, tmp_path: Path,
                                                         extra: str, heads: dict[str, tuple[str, str, str]],
                                                         expected: str) -> None:
    handler, port = server
    recipients = _recipients_csv(tmp_path / "r.csv", heads, extra)
    before = workbook.read_bytes()
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{port}",
                  "--no-starttls", "--from", "talous@heinola.fi")
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert handler.accepted == [] and handler.sessions == []     # not even connected
    assert workbook.read_bytes() == before
    assert not workbook.with_name("Elinvoima.lahetykset.csv").exists()


def test_recipients_from_the_workbook_sheet(seed_review: Review, tmp_path: Path, built_workbook: bytes) -> None:
    """The built workbook's Vastaanottajat lists every area with empty addresses: the first is named."""
    path = tmp_path / "Elinvoima.xlsm"
    path.write_bytes(built_workbook)
    inp = input_from_file(path)
    assert [r[0] for r in inp.recipient_rows[1:]] == [t.name for t in seed_review.areas]  # type: ignore[index]
    with pytest.raises(InputError, match="Vastaanottajat!A2.*palvelualueen Työllisyyspalvelut vastaanottajalta puuttuu"):
        run_send(inp, None)


def test_starttls_is_required_unless_loopback_and_said(server: tuple[Handler, int], workbook: Path,
                                                       tmp_path: Path) -> None:
    handler, port = server
    recipients = _recipients_csv(tmp_path / "r.csv")
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{port}",
                  "--from", "talous@heinola.fi")
    assert result.returncode == 2 and "STARTTLS" in result.stderr
    assert handler.accepted == []
    with pytest.raises(ElinvoimaError, match="--no-starttls on sallittu vain"):
        SmtpTransport("smtp.example.com", 25, starttls=False)


def test_credentials_are_used_only_when_given(server: tuple[Handler, int], workbook: Path, tmp_path: Path) -> None:
    """This server offers no AUTH: without credentials the run succeeds (no AUTH tried); with them it stops."""
    handler, port = server
    recipients = _recipients_csv(tmp_path / "r.csv")
    args = ("send", str(workbook), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{port}", "--no-starttls",
            "--from", "talous@heinola.fi")
    result = _cli(*args, env={"ELINVOIMA_SMTP_USER": "u", "ELINVOIMA_SMTP_PASSWORD": "salainen"})
    assert result.returncode == 2 and handler.accepted == []
    assert "salainen" not in result.stderr + result.stdout
    assert _cli(*args).returncode == 0 and len(handler.accepted) == len(HEADS)


def test_drafts_are_unsent_eml_files(workbook: Path, tmp_path: Path) -> None:
    recipients = _recipients_csv(tmp_path / "r.csv")
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--drafts", str(tmp_path / "luonnokset"))
    assert result.returncode == 0, result.stderr
    files = sorted((tmp_path / "luonnokset").glob("*.eml"))
    assert len(files) == len(HEADS)
    for f in files:
        msg = message_from_bytes(f.read_bytes(), policy=policy.default)
        assert msg["X-Unsent"] == "1"
        assert msg["From"] is None            # Outlook sends it from the officer's own mailbox
        [att] = list(msg.iter_attachments())
        area = openpyxl.load_workbook(io.BytesIO(att.get_content())).custom_doc_props["ElinvoimaAlue"].value
        assert msg["To"] == HEADS[area][1]
    rows = _journal(workbook.with_name("Elinvoima.lahetykset.csv"))
    assert {r["tapa"] for r in rows} == {"luonnos"}


def test_dry_run_sends_and_writes_nothing(workbook: Path, tmp_path: Path) -> None:
    recipients = _recipients_csv(tmp_path / "r.csv")
    before = workbook.read_bytes()
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\tkuivaharjoitus\t") == len(HEADS)
    assert workbook.read_bytes() == before and not workbook.with_name("Elinvoima.lahetykset.csv").exists()


def test_encrypted_attachments_open_only_with_their_password(server: tuple[Handler, int], workbook: Path,
                                                            tmp_path: Path) -> None:
    handler, port = server
    recipients = _recipients_csv(tmp_path / "r.csv")
    pwfile = tmp_path / "salasanat.csv"
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{port}",
                  "--no-starttls", "--from", "talous@heinola.fi", "--password-file", str(pwfile))
    assert result.returncode == 0, result.stderr
    assert pwfile.stat().st_mode & 0o077 == 0
    passwords = {r["alue"]: r["salasana"] for r in csv.DictReader(io.StringIO(pwfile.read_text(encoding="utf-8-sig")),
                                                                  delimiter=";")}
    assert len(set(passwords.values())) == len(HEADS) and all(len(p) >= 12 for p in passwords.values())
    for area, (_, address, _) in HEADS.items():
        _, _, raw = next(a for a in handler.accepted if a[1][0] == address)
        assert passwords[area].encode() not in raw
        [msg] = handler.to(address)
        data = next(msg.iter_attachments()).get_content()
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        assert office.is_encrypted()
        with pytest.raises(Exception):
            wrong = msoffcrypto.OfficeFile(io.BytesIO(data))
            wrong.load_key(password=passwords[area] + "x")
            wrong.decrypt(io.BytesIO(), verify_password=True)
        office.load_key(password=passwords[area])
        out = io.BytesIO()
        office.decrypt(out)
        wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
        assert wb.custom_doc_props["ElinvoimaAlue"].value == area


def test_template_placeholders_are_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="tuntematon paikka \\{nimii\\}"):
        parse_template("Aihe: {alue}\n\nHei {nimii}", "pohja.txt")
    with pytest.raises(InputError, match="ensimmäisen rivin"):
        parse_template("Hei {nimi}", "pohja.txt")
    t = parse_template("Aihe: Katsaus {kausi} – {alue}\n\nHei {nimi}, palauta {maaraaika} mennessä.\n", "pohja.txt")
    assert t.subject == "Katsaus {kausi} – {alue}"
    assert t.body.strip() == "Hei {nimi}, palauta {maaraaika} mennessä."


def test_a_template_file_makes_the_message(server: tuple[Handler, int], workbook: Path, tmp_path: Path) -> None:
    handler, port = server
    recipients = _recipients_csv(tmp_path / "r.csv")
    template = tmp_path / "pohja.txt"
    template.write_text("Aihe: {alue}: katsaus {kausi}\n\nHyvä {nimi}\n\nvastaa {maaraaika} mennessä.\nÄäkköset: åäö\n",
                        encoding="utf-8")
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--template", str(template),
                  "--smtp", f"127.0.0.1:{port}", "--no-starttls", "--from", "talous@heinola.fi", "--deadline", "1.9.")
    assert result.returncode == 0, result.stderr
    [msg] = handler.to("kalle.kaava@heinola.fi")
    assert msg["Subject"] == "Kaupunkisuunnittelu: katsaus 1–6/2023"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Hyvä Kalle Kaava\n\nvastaa 1.9. mennessä.\nÄäkköset: åäö\n"


def test_split_and_send_read_the_same_source(seed_review: Review) -> None:
    books = split_review(SendInput(seed_review, "t", None))
    assert len({b.version for b in books}) == len(books)


def test_login_without_a_terminal_is_a_clear_error(workbook: Path, tmp_path: Path) -> None:
    recipients = _recipients_csv(tmp_path / "r.csv")
    result = subprocess.run([sys.executable, "-m", "elinvoima_xl", "send", str(workbook), "--recipients",
                             str(recipients), "--smtp", "127.0.0.1:9", "--no-starttls", "--login", "--from",
                             "talous@heinola.fi"], capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL,
                            env={k: v for k, v in os.environ.items() if not k.startswith("ELINVOIMA_SMTP")})
    assert result.returncode == 2 and "päätettä ei ole" in result.stderr
    assert "ELINVOIMA_SMTP_PASSWORD" in result.stderr


def test_one_of_smtp_drafts_or_dry_run_is_asked(workbook: Path, tmp_path: Path) -> None:
    recipients = _recipients_csv(tmp_path / "r.csv")
    result = _cli("send", str(workbook), "--recipients", str(recipients))
    assert result.returncode == 2 and "--smtp" in result.stderr and "--drafts" in result.stderr


def test_a_server_that_goes_away_fails_the_rest_and_a_rerun_sends_them(seed_review: Review, tmp_path: Path) -> None:
    handler = Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    data = tmp_path / "tiedot.csv"
    data.write_bytes((ROOT / "elinvoima_xl/data/heinola_elinvoima_1-6_2023.csv").read_bytes())
    recipients = _recipients_csv(tmp_path / "r.csv")

    class StopsAfterTwo(SmtpTransport):
        def deliver(self, message: EmailMessage) -> Any:
            result = super().deliver(message)
            if len(handler.accepted) == 2 and controller.loop.is_running():
                self.close()
                controller.stop()
            return result

    inp = input_from_file(data)
    report = run_send(inp, StopsAfterTwo("127.0.0.1", port, starttls=False), recipients_file=recipients,
                      sender="talous@heinola.fi")
    assert [o.status for o in report.outcomes] == ["hyväksytty"] * 2 + ["ei lähetetty"] * 3
    assert all("ei saada yhteyttä" in o.reply for o in report.failures)
    assert "Epäonnistuneet: Kulttuuri" in report.summary()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        again = run_send(inp, SmtpTransport("127.0.0.1", port, starttls=False), recipients_file=recipients,
                         sender="talous@heinola.fi")
    finally:
        controller.stop()
    assert [o.status for o in again.outcomes] == ["ohitettu"] * 2 + ["hyväksytty"] * 3
    assert sorted(rcpt[0] for _, rcpt, _ in handler.accepted) == sorted(a for _, a, _ in HEADS.values())


def test_no_server_at_all_is_one_clear_error(workbook: Path, tmp_path: Path) -> None:
    recipients = _recipients_csv(tmp_path / "r.csv")
    result = _cli("send", str(workbook), "--recipients", str(recipients), "--smtp", f"127.0.0.1:{_free_port()}",
                  "--no-starttls", "--from", "talous@heinola.fi")
    assert result.returncode == 2 and "ei saada yhteyttä" in result.stderr and "Traceback" not in result.stderr
