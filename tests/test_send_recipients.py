"""Recipients as data: the CSV in the shapes Finnish Excel and editors write it, and the checks that run before sending."""

from __future__ import annotations

import pytest

from elinvoima_xl.core.errors import InputError
from elinvoima_xl.core.model import Review
from elinvoima_xl.jobs.recipients import (
    check_address,
    read_recipients_csv,
    recipients_by_area,
    recipients_from_rows,
    responsible_titles,
)

ROWS = [("Työllisyyspalvelut", "Tiina Työllinen", "tiina.tyollinen@heinola.fi", "talous@heinola.fi"),
        ("Kulttuuri", "Kaisa Kulttuuri", "kaisa@heinola.fi", "")]


@pytest.mark.parametrize("encoding, delimiter, header, newline", [
    ("utf-8", ";", "alue;nimi;sähköposti;kopio", "\n"),
    ("utf-8-sig", ";", "alue;nimi;sähköposti;kopio", "\r\n"),            # Excel's "CSV UTF-8"
    ("cp1252", ";", "Alue;Nimi;Sähköposti;Kopio", "\r\n"),                 # Excel's plain CSV on Finnish Windows
    ("utf-8", ",", "alue,nimi,sahkoposti,kopio", "\n"),
    ("utf-8", "\t", "alue\tnimi\tsähköposti\tkopio", "\n"),
])
def test_csv_shapes(encoding: str, delimiter: str, header: str, newline: str) -> None:
    lines = [header, *(delimiter.join(r) for r in ROWS), ""]        # and a trailing empty line
    got = read_recipients_csv(newline.join(lines).encode(encoding), "vastaanottajat.csv")
    assert [(r.area, r.name, r.email, r.cc) for r in got] == [
        ("Työllisyyspalvelut", "Tiina Työllinen", "tiina.tyollinen@heinola.fi", ("talous@heinola.fi",)),
        ("Kulttuuri", "Kaisa Kulttuuri", "kaisa@heinola.fi", ())]


def test_columns_are_found_by_name_and_several_cc_addresses_are_split() -> None:
    rows = [("", "", "", ""), ("kopio", "sähköposti", "alue", "vastuu", "huom", "Nimi"),
            ("a@x.fi, b@x.fi; c@x.fi", "k@x.fi", "Kulttuuri", "Kulttuurisihteeri, Palvelualuejohtaja", "loma 7/2023")]
    [r] = recipients_from_rows(rows, "Elinvoima.xlsm", "Vastaanottajat")
    assert r.cc == ("a@x.fi", "b@x.fi", "c@x.fi") and r.email == "k@x.fi"
    assert r.responsible == ("Kulttuurisihteeri", "Palvelualuejohtaja")
    assert responsible_titles(rows) == {"kulttuuri": ("Kulttuurisihteeri", "Palvelualuejohtaja")}


@pytest.mark.parametrize("address, ok", [
    ("etunimi.sukunimi@heinola.fi", True), ("a+b@sub.kunta.fi", True), ("a@b", False), ("a@@b.fi", False),
    ("a b@c.fi", False), ("Tiina <t@c.fi>", False), (".a@c.fi", False), ("a..b@c.fi", False), ("a@c..fi", False),
    ("a@-c.fi", False), ("", False),
])
def test_addresses(address: str, ok: bool) -> None:
    assert check_address(address) is ok


def test_messages_name_the_place_and_the_area() -> None:
    with pytest.raises(InputError) as e:
        recipients_from_rows([("alue", "nimi", "sähköposti"), ("Kulttuuri", "K", "k@x.fi"),
                              ("Kaupunkisuunnittelu", "K", "kalle(at)x.fi")], "Elinvoima.xlsm", "Vastaanottajat")
    assert str(e.value).startswith("Elinvoima.xlsm, Vastaanottajat!A3, sarake 'sähköposti': palvelualueen "
                                   "Kaupunkisuunnittelu sähköpostiosoite 'kalle(at)x.fi' ei ole kelvollinen.")
    with pytest.raises(InputError, match="vastaanottajat.csv, rivi 2, sarake 'alue'"):
        read_recipients_csv(b"alue;nimi;s\xc3\xa4hk\xc3\xb6posti\n;K;k@x.fi\n", "vastaanottajat.csv")
    with pytest.raises(InputError, match="puuttuu sarake sähköposti"):
        read_recipients_csv("alue;nimi;osoite\nKulttuuri;K;k@x.fi\n".encode(), "v.csv")
    with pytest.raises(InputError, match="tyhjä"):
        read_recipients_csv(b"\n\n", "v.csv")


def test_every_area_exactly_once(seed_review: Review) -> None:
    rows = [("alue", "nimi", "sähköposti")] + [(t.name.upper(), "N", f"n{i}@x.fi")   # names matched case-blind
                                               for i, t in enumerate(seed_review.areas)]
    by_area = recipients_by_area(recipients_from_rows(rows, "v.csv"), seed_review, "v.csv")
    assert list(by_area) == [t.name for t in seed_review.areas]
    with pytest.raises(InputError, match="palvelualueelta Kulttuuri, Kaupunkisuunnittelu puuttuu vastaanottaja"):
        recipients_by_area(recipients_from_rows([r for r in rows if r[0] not in ("KULTTUURI", "KAUPUNKISUUNNITTELU")],
                                                "v.csv"), seed_review, "v.csv")
