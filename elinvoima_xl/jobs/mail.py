"""Mail to the heads: the message from a Finnish template (pure), and the transports that deliver it (SMTP, .eml drafts).

`build_message` makes a stdlib `EmailMessage` and touches nothing else. A transport is
anything with `deliver(message) -> Delivery`; the send job takes one as an argument, so
tests use a real SMTP server on loopback and nothing here knows who calls it.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_TEMPLATE",
    "Delivery",
    "DraftTransport",
    "MailTemplate",
    "SmtpTransport",
    "Transport",
    "build_message",
    "is_loopback",
    "parse_template",
]

import hashlib
import ipaddress
import smtplib
import socket
import ssl
import string
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from ..core.errors import ElinvoimaError, InputError, Place
from ..ooxml.fileio import write_atomic

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PLACEHOLDERS = ("nimi", "alue", "kausi", "katsaus", "maaraaika")

DEFAULT_TEMPLATE = """Aihe: Osavuosikatsaus {kausi}: palvelualueen {alue} vastaukset {maaraaika} mennessä

Hei {nimi},

liitteenä on palvelualueen {alue} työkirja osavuosikatsausta {kausi} varten.

Täytä työkirjan keltaiset solut:
- Oma ennuste: arviosi kunkin rivin toteumasta vuoden lopussa
- Selitys poikkeamalle: rivit, joiden toteuma poikkeaa vuoden kulun mukaisesta odotetusta osuudesta
- Tavoitteet: Toteuma 30.6. ja Tila

Palauta työkirja vastaamalla tähän viestiin {maaraaika} mennessä. Luvut ovat talouspalveluiden;
jos jokin niistä on mielestäsi väärin, kerro se viestissä äläkä muuta lukua.

Ystävällisin terveisin
talouspalvelut
"""


@dataclass(frozen=True)
class MailTemplate:
    subject: str
    body: str
    source: str = "oletuspohja"


def parse_template(text: str, source: str) -> MailTemplate:
    """A template: the first line `Aihe: …`, then the body; placeholders {nimi} {alue} {kausi} {katsaus} {maaraaika}."""
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    first = lines[0].strip() if lines else ""
    if not first.casefold().startswith("aihe:"):
        raise InputError("viestipohjan ensimmäisen rivin pitää olla 'Aihe: …'.", Place(file=source, line=1),
                         "Kirjoita aihe ensimmäiselle riville, sitten tyhjä rivi ja viestin teksti.")
    template = MailTemplate(first[5:].strip(), "\n".join(lines[1:]).strip("\n") + "\n", source)
    for n, part in ((1, template.subject), (2, template.body)):
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(part) if f is not None]
        except ValueError as exc:
            raise InputError(f"viestipohjassa on pariton aaltosulje ({exc}).", Place(file=source, line=n),
                             "Kirjoita paikat muodossa {nimi}; kaksi aaltosuljetta {{ }} tulostaa yhden.") from None
        unknown = [f for f in fields if f not in PLACEHOLDERS]
        if unknown:
            raise InputError(f"viestipohjassa on tuntematon paikka {{{unknown[0]}}}.", Place(file=source),
                             f"Käytä paikkoja {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")
    return template


def build_message(template: MailTemplate, fields: dict[str, str], sender: str | None, to: str, cc: tuple[str, ...],
                  attachment: bytes, filename: str, message_key: str) -> EmailMessage:
    """One head's message with the workbook attached; `message_key` makes its Message-ID (the same for a resend)."""
    msg = EmailMessage()
    msg["Subject"] = template.subject.format(**fields)
    if sender:
        msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Date"] = formatdate(localtime=True)
    domain = (sender or to).rpartition("@")[2] or "elinvoima.invalid"
    msg["Message-ID"] = f"<elinvoima.{hashlib.sha256(message_key.encode()).hexdigest()[:24]}@{domain}>"
    msg.set_content(template.body.format(**fields))
    msg.add_attachment(attachment, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=filename)
    return msg


@dataclass(frozen=True)
class Delivery:
    accepted: bool
    reply: str          # the server's reply (or what happened)


class Transport(Protocol):
    kind: str

    def deliver(self, message: EmailMessage) -> Delivery: ...

    def close(self) -> None: ...


def is_loopback(host: str) -> bool:
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback
                   for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP))
    except (OSError, ValueError):
        return False


class SmtpTransport:
    """One SMTP connection reused for every message; STARTTLS unless the server is on loopback and
    `starttls=False`; AUTH only when credentials are given. A refused recipient or a dropped
    connection fails that message only: the next one reconnects."""

    kind = "smtp"

    def __init__(self, host: str, port: int, starttls: bool = True, user: str | None = None,
                 password: str | None = None, timeout: float = 30.0, context: ssl.SSLContext | None = None) -> None:
        if not starttls and not is_loopback(host):
            raise ElinvoimaError(f"--no-starttls on sallittu vain testipalvelimelle omalla koneella, ei {host}:lle. "
                                 "Käytä palvelinta, joka tukee STARTTLS:ää.")
        self.host, self.port, self.starttls = host, port, starttls
        self.user, self.password, self.timeout = user, password, timeout
        self.context = context
        self._conn: smtplib.SMTP | None = None
        self._connected_once = False

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        try:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except OSError as exc:
            raise ElinvoimaError(f"postipalvelimeen {self.host}:{self.port} ei saada yhteyttä ({exc}). "
                                 "Tarkista --smtp ja verkkoyhteys. Mitään ei lähetetty tällä yrityksellä.") from None
        try:
            conn.ehlo()
            if self.starttls:
                if not conn.has_extn("starttls"):
                    raise ElinvoimaError(f"postipalvelin {self.host}:{self.port} ei tarjoa salattua yhteyttä (STARTTLS). "
                                         "Käytä palvelinta, joka tukee sitä.")
                conn.starttls(context=self.context or ssl.create_default_context())
                conn.ehlo()
            if self.user:
                conn.login(self.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise ElinvoimaError(f"kirjautuminen postipalvelimelle epäonnistui ({exc.smtp_code}). Tarkista "
                                 "ELINVOIMA_SMTP_USER ja ELINVOIMA_SMTP_PASSWORD.") from None
        except (smtplib.SMTPException, OSError) as exc:
            conn.close()
            raise ElinvoimaError(f"yhteys postipalvelimeen {self.host}:{self.port} epäonnistui ({exc}).") from None
        except ElinvoimaError:
            conn.close()
            raise
        self._conn = conn
        return conn

    def deliver(self, message: EmailMessage) -> Delivery:
        try:
            conn = self._connect()
        except ElinvoimaError as exc:
            if not self._connected_once:
                raise               # the server was never reached: nothing can go, say so at once
            return Delivery(False, str(exc))   # it went away mid-run: this head fails, the others are tried
        self._connected_once = True
        sender = message["From"] or self.user or ""
        to = [message["To"]]
        cc = [a.strip() for a in (message["Cc"] or "").split(",") if a.strip()]
        try:
            code, resp = conn.mail(sender)
            if code != 250:
                conn.rset()
                return Delivery(False, f"{code} {resp.decode(errors='replace')}")
            code, resp = conn.rcpt(to[0])
            if code not in (250, 251):
                conn.rset()
                return Delivery(False, f"{code} {resp.decode(errors='replace')}")
            refused_cc = []
            for address in cc:
                c, r = conn.rcpt(address)
                if c not in (250, 251):
                    refused_cc.append(f"kopio {address}: {c} {r.decode(errors='replace')}")
            # smtplib fixes line ends of str data only: bytes must already be CRLF (RFC 5321).
            code, resp = conn.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
            text = f"{code} {resp.decode(errors='replace')}"
            if refused_cc:
                text += "; " + "; ".join(refused_cc)
            return Delivery(code == 250, text)
        except smtplib.SMTPResponseException as exc:
            self._drop()
            error = exc.smtp_error
            text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            return Delivery(False, f"{exc.smtp_code} {text}")
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            return Delivery(False, f"yhteys katkesi ({exc or type(exc).__name__})")

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self._drop()


class DraftTransport:
    """Each message as an unsent draft (`X-Unsent: 1`) in a folder: Outlook opens it ready to review and send."""

    kind = "luonnos"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def deliver(self, message: EmailMessage) -> Delivery:
        message["X-Unsent"] = "1"
        name = next(iter(message.iter_attachments())).get_filename() or "viesti.xlsx"
        path = self.folder / (Path(name).stem + ".eml")
        write_atomic(path, message.as_bytes())
        return Delivery(True, f"luonnos {path}")

    def close(self) -> None:
        return None
