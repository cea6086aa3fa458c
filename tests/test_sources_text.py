"""The readers' one encoding detection and one delimiter sniffing: the same bytes read the same way by every reader."""

from __future__ import annotations

import io
import logging

import pytest
import xlsxwriter

from elinvoima_xl.core.errors import InputError
from elinvoima_xl.jobs.recipients import csv_rows
from elinvoima_xl.ooxml.sheet_rows import sheet_rows
from elinvoima_xl.sources import decode_text, sniff_delimiter
from elinvoima_xl.sources.datafile import read_data_csv
from elinvoima_xl.sources.ledger import read_mapping
from elinvoima_xl.sources.ledger_read import scan_export
from elinvoima_xl.sources.text import utf8_bytes

TEXT = ("Kustannuspaikka;Tili;Pvm;Summa €\r\n1101 Hallinto;3001;15.2.2023;-1 234,56\r\n"
        "1102 Työllisyys;4001;28.2.2023;99,90\r\n")
# (what an office program writes, the encoding's name the import logs)
SHAPES = [
    (TEXT.encode("utf-8"), "UTF-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "UTF-8-BOM"),                 # Excel: CSV UTF-8
    (TEXT.encode("utf-16"), "UTF-16"),                                    # Excel: Unicode text (BOM, LE)
    (b"\xfe\xff" + TEXT.encode("utf-16-be"), "UTF-16"),                   # big-endian with its BOM
    (TEXT.encode("utf-16-le"), "UTF-16"),                                 # an export tool that writes no BOM
    (TEXT.encode("cp1252"), "Windows-1252"),                              # Excel: CSV (Windows)
]


@pytest.mark.parametrize(("data", "label"), SHAPES, ids=[s[1] + str(i) for i, s in enumerate(SHAPES)])
def test_every_encoding_reads_as_the_same_text(data: bytes, label: str) -> None:
    body, start, encoding = utf8_bytes(data, "k.csv")
    assert encoding == label
    assert bytes(body[start:]).decode("utf-8") == TEXT
    assert decode_text(data, "k.csv").lstrip("\ufeff") == TEXT


@pytest.mark.parametrize(("data", "label"), SHAPES, ids=[s[1] + str(i) for i, s in enumerate(SHAPES)])
def test_the_ledger_scan_reads_every_encoding(data: bytes, label: str) -> None:
    """The two rows sum to -1 234,56 + 99,90 = -1 134,66 € whatever the encoding (UTF-16 without a BOM
    of plain ASCII text used to pass as UTF-8 with NULs)."""
    scan = scan_export(data, "k.csv")
    cents = sum(int(b.cents.sum()) for b in scan.batches())
    assert (scan.encoding, scan.rows, cents) == (label, 2, -123456 + 9990)


def test_utf16_without_bom_of_plain_ascii_is_told() -> None:
    plain = "kustannuspaikka;tili;pvm;summa\n1101;3001;15.2.2023;10,00\n"
    scan = scan_export(plain.encode("utf-16-le"), "k.csv")
    assert scan.encoding == "UTF-16" and sum(int(b.cents.sum()) for b in scan.batches()) == 1000


BAD = [
    # (bytes, words the one line must hold): the same words from the data file, the mapping and the ledger
    (b"kustannuspaikka;tili;pvm;summa\n1101;3001;15.2.2023;\x81250\n", ["0x81", "UTF-8", "Windows-1252"], 2),
    (b"kustannuspaikka;tili;pvm;summa\n1101;3001;15.2.2023;1\x0025\n", ["nollatavu"], 2),
    (b"\xef\xbb\xbfkustannuspaikka;tili;pvm;summa\n1101;3001;15.2.2023;12\xe450\n", ["UTF-8-tunnisteella"], 2),
    (b"\xff\xfe" + "kustannuspaikka;tili\n".encode("utf-16-le") + b"\x00\xd8", ["UTF-16"], 2),
]


@pytest.mark.parametrize(("data", "words", "line"), BAD, ids=["x81", "nul", "bom-then-cp1252", "utf16-half-pair"])
def test_a_file_that_is_not_text_is_refused_alike_by_every_reader(data: bytes, words: list[str], line: int) -> None:
    readers = (lambda: decode_text(data, "k.csv"), lambda: scan_export(data, "k.csv"),
               lambda: read_data_csv(data, "k.csv"), lambda: read_mapping(data, "k.csv"))
    messages = set()
    for read in readers:
        with pytest.raises(InputError) as err:
            read()
        assert err.value.place is not None and err.value.place.line == line, err.value
        assert all(w in str(err.value) for w in words), err.value
        messages.add(str(err.value))
    assert len(messages) == 1, messages


def test_a_bad_byte_after_the_first_chunk_is_named_by_its_line() -> None:
    """Validation and transcoding go 16 MB at a time: a character across the boundary is whole, and a
    bad byte in a later chunk is counted from the start of the file."""
    line = "1101;3001;15.2.2023;1,00;Työllisyys\n".encode("utf-8")      # 36 bytes, "ö" is two
    n = (1 << 24) // len(line) + 10
    data = b"kustannuspaikka;tili;pvm;summa;selite\n" + line * n
    assert (1 << 24) % len(line) != 0
    body, start, encoding = utf8_bytes(data, "k.csv")
    assert encoding == "UTF-8" and body is data
    cp = data.decode("utf-8").encode("cp1252")
    body, start, encoding = utf8_bytes(cp, "k.csv")
    assert encoding == "Windows-1252" and bytes(body) == data
    bad = cp + b"1101;3001;15.2.2023;1,00;\x90\n"
    with pytest.raises(InputError) as err:
        utf8_bytes(bad, "k.csv")
    assert err.value.place is not None and err.value.place.line == n + 2 and "0x90" in str(err.value)


@pytest.mark.parametrize(("text", "delimiter"), [
    ("taso;alue;rivi;TA 2023 (€)\n", ";"),
    ("taso\talue\trivi\tTA 2023 (€)\n", "\t"),
    ("taso,alue,rivi,TA 2023 (€)\n", ","),
    ("\ufefftaso,alue,rivi\n", ","),                              # a BOM left by the decoder
    ("\n  \ntaso\talue\trivi\n", "\t"),                           # blank lines before the header
    ('alue;nimi;"Virtanen, Ville";vastuu\n', ";"),                # a comma inside a quoted name
    ("taso;alue,rivi\tx\n", ";"),                                  # one of each: the Finnish Excel's own first
    ("yksi sarake\n", ";"),                                        # nothing to tell by: the Finnish default
    ("", ";"),
    ("taso,alue;rivi,x\n1;2;3;4;5;6\n", ","),                      # the header decides, not the rows below
])
def test_sniff_delimiter(text: str, delimiter: str) -> None:
    assert sniff_delimiter(text) == delimiter


def test_the_data_file_the_mapping_and_recipients_sniff_alike() -> None:
    """A tab-separated file of each kind reads: one sniffing for every small CSV."""
    data = "taso\talue\trivi\tTA 2023 (€)\tTOT 2023 6 kk (€)\npalvelualue\tKulttuuri\tMyyntituotot\t100\t50\n"
    review = read_data_csv(data.encode("cp1252"), "t.csv")
    assert [t.name for t in review.areas] == ["Kulttuuri"]
    mapping = read_mapping(b"tyyppi\talku\tloppu\tkohde\nkustannuspaikka\t1100\t1199\tKulttuuri\n", "m.csv")
    assert mapping.centres == ((1100, 1199, "Kulttuuri"),)
    rows = csv_rows("alue\tnimi\tsähköposti\nKulttuuri\tVirtanen, Ville\tv@example.fi\n".encode("utf-16"), "r.csv")
    assert rows[1] == ["Kulttuuri", "Virtanen, Ville", "v@example.fi"]


def test_fastexcel_logger_is_left_alone(capfd: pytest.CaptureFixture[str]) -> None:
    """Reading a sheet with an all-empty column says nothing on stderr, and leaves the logger as it was:
    no level set at import, no filter left behind."""
    logger = logging.getLogger("fastexcel.types.dtype")
    assert logger.level == logging.NOTSET and not logger.filters
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Tiedot")
    ws.write_row(0, 0, ["taso", "tyhjä", "TA 2023 (€)"])
    ws.write_row(1, 0, ["palvelualue", None, 100])
    wb.close()
    rows = sheet_rows(buf.getvalue(), "Tiedot", "xl/worksheets/sheet1.xml")
    assert rows == [("taso", "tyhjä", "TA 2023 (€)"), ("palvelualue", None, 100.0)]
    assert "dtype" not in capfd.readouterr().err
    assert logger.level == logging.NOTSET and not logger.filters
