"""Readers of what comes from outside: published reviews, data files, ledger exports.

Here: `review_text` (the published review as text), `datafile` (the data file as CSV or an
.xlsx's `Tiedot`), `ledger_read` (an accounting system's export: encoding, preamble, header,
rows, control totals), `ledger` (mapping, period, sign and sums of a ledger), `ledger_generator`
(a realistic ledger from figures), `load` (any review by its path, or the bundled one). This
package's own functions: `decode_text` and `refuse_binary`, for every text reader.

May import: `core` and `ooxml`. Not `workbook`, `jobs` or `excel`.
"""

from __future__ import annotations

__all__ = ["decode_text", "refuse_binary"]

from ..core.errors import InputError, Place
from ..ooxml.safe_zip import OLE_MAGIC

# Signatures of files that are not text, with what to tell the user.
_BINARY = (
    (b"PK\x03\x04", "tiedosto on Excel-työkirja tai muu zip-paketti eikä tekstiä",
     "Anna Excel-tiedosto .xlsx-päätteisenä tai tallenna tiedot CSV-muodossa."),
    (OLE_MAGIC, "tiedosto on vanhan Excelin (.xls) tai muu Office-tiedosto eikä tekstiä",
     "Tallenna se Excelissä .xlsx-muodossa tai CSV-muodossa (puolipisteillä eroteltu)."),
    (b"%PDF", "tiedosto on PDF eikä tekstiä", "Anna katsauksen teksti (.txt) tai tietotiedosto (.csv)."),
)


def refuse_binary(data: bytes, name: str) -> None:
    """Refuse a file that is a workbook, an old Office file or a PDF where text is expected, saying which."""
    for magic, what, hint in _BINARY:
        if data.startswith(magic):
            raise InputError(f"{what}.", Place(file=name), hint)


def decode_text(data: bytes, name: str) -> str:
    """Text of a file from a Finnish office: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's
    "Unicode text"), else cp1252; anything else is refused naming the line of the first bad byte."""
    if not data.replace(b"\xef\xbb\xbf", b"").strip():   # nothing, or byte-order marks alone
        raise InputError("tiedosto on tyhjä.", Place(file=name), "Tallenna tiedostoon otsikkorivi ja tietorivit.")
    refuse_binary(data, name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    bad = _first_bad_byte(data)
    line = data[:bad].count(b"\n") + 1
    if data[bad] == 0:
        raise InputError("tiedostossa on nollatavu (0x00): se ei ole tekstiä.", Place(file=name, line=line),
                         "Anna katsauksen teksti (.txt), tietotiedosto (.csv) tai Excel-tiedosto (.xlsx).")
    raise InputError(f"tavua 0x{data[bad]:02X} ei ole UTF-8- eikä Windows-1252-merkistössä: tiedosto ei ole "
                     "tekstiä tai sen merkistöä ei tunnistettu.", Place(file=name, line=line),
                     "Tallenna tiedosto tekstinä UTF-8-muodossa (Excel: CSV UTF-8).")


def _first_bad_byte(data: bytes) -> int:
    """Offset of the first byte that makes the file not text: a NUL, or a byte cp1252 leaves undefined
    where UTF-8 fails too."""
    try:
        data.decode("utf-8-sig")
        utf8_bad = len(data)
    except UnicodeDecodeError as exc:
        utf8_bad = exc.start
    nul = data.find(b"\x00")
    if nul >= 0:
        return nul
    try:
        data.decode("cp1252")
    except UnicodeDecodeError as exc:
        return max(exc.start, 0)
    return min(utf8_bad, len(data) - 1)
