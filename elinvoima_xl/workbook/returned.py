"""A head's returned workbook read back, however Excel saved it: identity from its document properties, answers by their names, figures by cell.

A returned file may be renamed, saved by another Excel version or LibreOffice, a copy of a
copy, or encrypted with the password `send --password-file` gave it. It is recognised by the
custom document properties `head_workbook` embeds (area, review, period, version), never by
its name; the head's answers are read through the workbook-scoped names `Vastaus_…`, so a
moved column does not mislead. Anything else (not an Excel workbook, not ours, damaged,
encrypted without a password that opens it) is an `InputError` naming the file.
"""

from __future__ import annotations

__all__ = ["MAX_INFLATED", "Returned", "read_returned"]

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import InputError, Place
from ..ooxml.opc import CORE_REL, CUSTOM_NS, CUSTOM_REL, DCTERMS_NS, Package, PackageError, read_rels
from ..ooxml.safe_zip import OLE_MAGIC, check_package
from .head_layout import (
    ANSWER_PREFIX,
    PROPERTY_AREA,
    PROPERTY_DIVISION,
    PROPERTY_KIND,
    PROPERTY_PERIOD,
    PROPERTY_REVIEW,
    PROPERTY_VERSION,
    WORKBOOK_KIND,
)

MAX_INFLATED = 200 * 1024 * 1024     # bytes a returned workbook may inflate to (a head's file is ~20 kB)
_REF = re.compile(r"^(?:'((?:[^']|'')+)'|([^!']+))!\$?([A-Z]{1,3})\$?(\d+)$")


@dataclass
class Returned:
    """What one returned file says: who it is from, which version it answers, the answers and the figures."""

    file: str
    area: str
    division: str
    review: str
    period: str
    version: str
    modified: dt.datetime | None                        # when the head last saved it (core properties)
    answers: dict[str, object] = field(default_factory=dict)          # defined name -> value
    cells: dict[tuple[str, int, int], object] = field(default_factory=dict)  # (sheet, row, col) 0-based -> value
    sheets: list[str] = field(default_factory=list)
    answer_cells: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # defined name -> its cell


def _fail(name: str, what: str, hint: str) -> InputError:
    return InputError(what, Place(file=name), hint)


def _decrypt(data: bytes, name: str, passwords: Sequence[str]) -> bytes:
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, FileFormatError, InvalidKeyError

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        encrypted = office.is_encrypted()
    except (FileFormatError, OSError, ValueError, KeyError, AssertionError):
        encrypted = False
    if not encrypted:
        raise _fail(name, "tiedosto ei ole palvelualueen .xlsx-työkirja (vanha .xls tai muu Office-tiedosto).",
                    "Pyydä palvelualueelta lähetetty työkirja takaisin .xlsx-muodossa.")
    for password in passwords:
        try:
            office = msoffcrypto.OfficeFile(io.BytesIO(data))
            office.load_key(password=password, verify_password=True)
            out = io.BytesIO()
            office.decrypt(out)
            return out.getvalue()
        except (DecryptionError, InvalidKeyError, FileFormatError, ValueError, AssertionError, KeyError):
            continue
    hint = ("Mikään salasanatiedoston salasanoista ei avaa sitä. Tarkista --password-file." if passwords else
            "Anna lähetyksen salasanatiedosto: --password-file salasanat.csv, tai pyydä tiedosto ilman salausta.")
    raise _fail(name, "tiedosto on salattu.", hint)


def _xml(pkg: Package, rel_type: str, default: str, name: str) -> Any:
    """The properties part the package relates with `rel_type` (`default` when it says none), parsed; None if absent."""
    part = next((r.target for r in read_rels(pkg, "") if r.type == rel_type and not r.external), default)
    if part not in pkg:
        return None
    try:
        return pkg.xml(part)
    except PackageError as exc:
        raise _fail(name, f"osa {part} on vioittunut ({exc}).", "Pyydä palvelualueelta tiedosto uudelleen.") from None


def _properties(pkg: Package, name: str) -> tuple[dict[str, str], dt.datetime | None]:
    props: dict[str, str] = {}
    root = _xml(pkg, CUSTOM_REL, "docProps/custom.xml", name)
    if root is not None:
        for p in root.findall(f"{{{CUSTOM_NS}}}property"):
            value = next((c for c in p if isinstance(c.tag, str)), None)
            props[p.get("name", "")] = (value.text or "") if value is not None else ""
    modified = None
    core = _xml(pkg, CORE_REL, "docProps/core.xml", name)
    if core is not None:
        m = core.find(f"{{{DCTERMS_NS}}}modified")
        if m is not None and m.text:
            try:
                modified = dt.datetime.fromisoformat(m.text.strip().replace("Z", "+00:00"))
                if modified.tzinfo is None:
                    modified = modified.replace(tzinfo=dt.timezone.utc)
            except ValueError:
                modified = None
    return props, modified


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_returned(data: bytes, name: str, passwords: Sequence[str] = ()) -> Returned:
    """The returned workbook `data` (file name `name`), decrypted with one of `passwords` if it is encrypted."""
    if data.startswith(OLE_MAGIC):
        data = _decrypt(data, name, passwords)
    if not data.startswith(b"PK"):
        raise _fail(name, "tiedosto ei ole Excel-työkirja (.xlsx) tai se on vioittunut.",
                    "Pyydä palvelualueelta tallennettu työkirja uudelleen.")
    check_package(data, name)   # the limits and the DTD refusal of every package we open (it came from outside)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if sum(i.file_size for i in z.infolist()) > MAX_INFLATED:
                raise _fail(name, "tiedosto purkautuisi liian suureksi.", "Tämä ei ole palvelualueen työkirja.")
            if z.testzip() is not None:
                raise zipfile.BadZipFile("CRC")
            props, modified = _properties(Package(data), name)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise _fail(name, f"tiedosto on vioittunut ({exc}).", "Pyydä palvelualueelta tiedosto uudelleen.") from None
    if props.get(PROPERTY_KIND) != WORKBOOK_KIND or not props.get(PROPERTY_AREA) or not props.get(PROPERTY_VERSION):
        raise _fail(name, "tiedosto ei ole Elinvoiman palvelualueen työkirja (tunnistetta ei ole).",
                    "Kerää vain palvelualueille lähetettyjä työkirjoja (elinvoima split / send) tai niiden kopioita.")
    return _contents(data, name, props, modified)


def _contents(data: bytes, name: str, props: dict[str, str], modified: dt.datetime | None) -> Returned:
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")    # e.g. "data validation extension not supported" from other writers
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged package
        raise _fail(name, f"työkirjaa ei voi lukea ({type(exc).__name__}).",
                    "Avaa tiedosto Excelissä, tallenna se uudelleen ja kerää sitten.") from None
    out = Returned(name, props[PROPERTY_AREA], props.get(PROPERTY_DIVISION, ""), props.get(PROPERTY_REVIEW, ""),
                   props.get(PROPERTY_PERIOD, ""), props[PROPERTY_VERSION], modified, sheets=list(wb.sheetnames))
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.value is not None:
                        out.cells[(ws.title, c.row - 1, c.column - 1)] = c.value
        for dn_name, dn in wb.defined_names.items():
            if not dn_name.startswith(ANSWER_PREFIX):
                continue
            m = _REF.match((dn.attr_text or "").strip().lstrip("="))
            if m is None:
                continue          # a name the head broke (#REF!): that answer is missing
            sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
            cell = (sheet, int(m.group(4)) - 1, _col(m.group(3)))
            out.answer_cells[dn_name] = cell
            out.answers[dn_name] = out.cells.get(cell)
    finally:
        wb.close()
    return out
