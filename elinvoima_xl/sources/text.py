"""Text files from a Finnish office: binary files refused, the encoding told and decoded, the delimiter sniffed.

One home for what every text reader (data file, ledger export, mapping, recipients, column
profile) needs before its own parsing. Encodings: UTF-8 (with or without BOM), UTF-16 (with
a BOM, Excel's "Unicode text", or without one when the text shows it) and Windows-1252. A
byte that is neither UTF-8 nor Windows-1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D) or a NUL stops the
read naming its line: the file is then in some other code page (an old DOS export, cp850,
would read as wrong letters) or not text at all, so it is re-saved as UTF-8 rather than guessed.
"""

from __future__ import annotations

__all__ = ["DELIMITERS", "decode_text", "refuse_binary", "sniff_delimiter", "utf8_bytes"]

import codecs

from ..core.errors import InputError, Place
from ..ooxml.safe_zip import OLE_MAGIC

DELIMITERS = (";", "\t", ",")      # in order of preference: the Finnish Excel's CSV first
_CHUNK = 1 << 24                   # bytes validated or transcoded at a time: a city's year in bounded memory

# Signatures of files that are not text, with what to tell the user.
_BINARY = (
    (b"PK\x03\x04", "tiedosto on Excel-työkirja tai muu zip-paketti eikä tekstiä",
     "Anna Excel-tiedosto .xlsx-päätteisenä tai tallenna tiedot CSV-muodossa."),
    (OLE_MAGIC, "tiedosto on vanhan Excelin (.xls) tai muu Office-tiedosto eikä tekstiä",
     "Tallenna se Excelissä .xlsx-muodossa tai CSV-muodossa (puolipisteillä eroteltu)."),
    (b"%PDF", "tiedosto on PDF eikä tekstiä", "Anna katsauksen teksti (.txt) tai tietotiedosto (.csv)."),
)
_RESAVE = "Tallenna tiedosto UTF-8-muodossa (Excel: CSV UTF-8) ja yritä uudelleen."


def refuse_binary(data: bytes, name: str) -> None:
    """Refuse a file that is a workbook, an old Office file or a PDF where text is expected, saying which."""
    for magic, what, hint in _BINARY:
        if data.startswith(magic):
            raise InputError(f"{what}.", Place(file=name), hint)


def sniff_delimiter(text: str) -> str:
    """The delimiter of a small CSV told by its first non-blank line: the most frequent of `;`, tab and `,`
    (`;` on a tie and when there is none)."""
    first = next((line for line in text.lstrip("\ufeff").splitlines() if line.strip()), "")
    best = max(DELIMITERS, key=first.count)
    return best if first.count(best) else DELIMITERS[0]


def decode_text(data: bytes, name: str) -> str:
    """Text of a small file (a data file, a mapping, a recipients list), told as `utf8_bytes` tells it;
    nothing at all, or byte-order marks alone, is refused as empty."""
    if not data.replace(b"\xef\xbb\xbf", b"").strip():   # nothing, or byte-order marks alone
        raise InputError("tiedosto on tyhjä.", Place(file=name), "Tallenna tiedostoon otsikkorivi ja tietorivit.")
    body, start, _encoding = utf8_bytes(data, name)
    return body[start:].decode("utf-8")


def utf8_bytes(data: bytes, name: str) -> tuple[bytes, int, str]:
    """The file as UTF-8 bytes, where its text starts (after a BOM), and its encoding's name.

    UTF-8 is validated and Windows-1252 transcoded in chunks, so a large export is never held
    as a Python string; anything that is not text is refused naming the line of the first bad byte.
    """
    refuse_binary(data, name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[:exc.start].decode("utf-16", "replace").count("\n") + 1
            raise InputError("UTF-16-tiedostossa on virheellinen merkki.", Place(file=name, line=line),
                             "Tallenna tiedosto uudelleen (Excel: Unicode-teksti tai CSV UTF-8).") from None
        return _utf16(text, name), 0, "UTF-16"
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    sample = data[start:start + 4000]
    if sample.count(b"\x00") * 4 >= len(sample):   # UTF-16 without a BOM: every other byte of Latin text is 0
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if "\n" in text[:4000]:
                return _utf16(text, name), 0, "UTF-16"
    nul = data.find(b"\x00")
    if nul >= 0:
        _refuse_nul(name, data.count(b"\n", 0, nul) + 1)
    if data.isascii():
        return data, start, "UTF-8"
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    at = start
    try:
        for at in range(start, len(data), _CHUNK):
            decoder.decode(view[at:at + _CHUNK], final=at + _CHUNK >= len(data))
        return data, start, "UTF-8-BOM" if start else "UTF-8"
    except UnicodeDecodeError as exc:
        if start:
            line = data.count(b"\n", 0, max(at + exc.start, 0)) + 1
            raise InputError("tiedosto alkaa UTF-8-tunnisteella, mutta siinä on muita kuin UTF-8-merkkejä.",
                             Place(file=name, line=line), _RESAVE) from None
    out = bytearray()        # transcoded in chunks: a single-byte code page has no characters across them
    try:
        for at in range(0, len(data), _CHUNK):
            out += data[at:at + _CHUNK].decode("cp1252").encode("utf-8")
        return out, 0, "Windows-1252"     # type: ignore[return-value]
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, at + exc.start) + 1
        raise InputError(
            f"tavu 0x{data[at + exc.start]:02X} ei ole UTF-8- eikä Windows-1252-merkki, joten merkistöä ei voi "
            "päätellä.", Place(file=name, line=line), _RESAVE) from None


def _utf16(text: str, name: str) -> bytes:
    """UTF-16 text as UTF-8 bytes; a NUL character in it is no text either."""
    nul = text.find("\x00")
    if nul >= 0:
        _refuse_nul(name, text.count("\n", 0, nul) + 1)
    return text.encode("utf-8")


def _refuse_nul(name: str, line: int) -> None:
    raise InputError("tiedostossa on nollatavu (0x00): se ei ole tekstiä.", Place(file=name, line=line),
                     "Anna katsauksen teksti (.txt), tietotiedosto (.csv) tai Excel-tiedosto (.xlsx).")
