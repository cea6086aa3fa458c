"""Hostile .xlsx/.xlsm packages refused before anything inflates them: limits on parts, sizes and ratios,
no DTD or entity in any XML part, and every reader's failure on a damaged package mapped to one Finnish line.

Call `check_package(data, name)` at every place a package enters (the team workbook, a data .xlsx,
a ledger .xlsx), and run the readers inside `reading(name)`. The limits are far above any real
workbook (the 200-area workbook is 1.5 MB packed, 12 MB unpacked) and far below what hurts.
"""

from __future__ import annotations

__all__ = ["MAX_PARTS", "OLE_MAGIC", "MAX_PART_SIZE", "MAX_RATIO", "MAX_TOTAL_SIZE", "check_package", "parse_xml", "reading"]

import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree.ElementTree import Element

from ..core.errors import ElinvoimaError, InputError, Place

# An OLE compound file: an old .xls, or an .xlsx encrypted with a password (Office wraps it in one).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_PARTS = 10_000                    # parts in one package
MAX_PART_SIZE = 256 * 1024 * 1024     # bytes, one part unpacked
MAX_TOTAL_SIZE = 512 * 1024 * 1024    # bytes, every part unpacked
MAX_RATIO = 100                       # unpacked / packed, for parts above RATIO_FROM
RATIO_FROM = 4 * 1024 * 1024          # small parts may compress as well as they like
PROLOG_LIMIT = 64 * 1024              # bytes read to find an XML part's root element
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# Parts only ever copied, never parsed, by every reader here (read-only openpyxl, fastexcel, the splice).
_NEVER_PARSED = ("xl/charts/", "xl/drawings/", "xl/theme/", "xl/printerSettings/", "xl/media/")
_HINT = "Avaa tiedosto Excelissä ja tallenna se uudelleen, tai käytä varmuuskopiota."


def _refuse(name: str, what: str, hint: str = _HINT) -> InputError:
    return InputError(what, Place(file=name), hint)


def _mb(n: int) -> str:
    return f"{n / 1e6:.0f} Mt" if n >= 1e6 else f"{n / 1e3:.0f} kt"


def check_package(data: bytes, name: str) -> None:
    """Refuse `data` unless it is a zip package within the limits whose XML parts carry no DTD.

    Looks only at the central directory and the first bytes of each XML part some reader parses
    (a DTD must come before the root element; charts, drawings and themes are only ever copied),
    so it costs milliseconds and never inflates a part whole.
    """
    if data.startswith(OLE_MAGIC):
        raise _refuse(name, "tiedosto on vanhan Excelin .xls-muodossa tai suojattu salasanalla, ei .xlsx-työkirja.",
                      "Tallenna se Excelissä .xlsx-muodossa ilman salasanaa.")
    if not data.startswith(b"PK"):
        raise _refuse(name, "tiedostoa ei voi avata Excel-työkirjana: se ei ole .xlsx- tai .xlsm-tiedosto, tai se on "
                      "vioittunut.", "Anna .xlsx- tai .xlsm-tiedosto.")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, RuntimeError) as exc:
        raise _refuse(name, "tiedostoa ei voi avata Excel-työkirjana: se ei ole .xlsx- tai .xlsm-tiedosto, tai se on "
                      f"vioittunut{_detail(exc)}.") from None
    if len(infos) > MAX_PARTS:
        raise _refuse(name, f"paketissa on {len(infos)} osaa (enintään {MAX_PARTS}).", "Tiedosto ei ole tavallinen työkirja.")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(name, f"paketin osa {info.filename} on salattu.", "Poista salaus Excelissä ja tallenna uudelleen.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(name, f"paketin osa {info.filename} on pakattu tuntemattomalla tavalla.")
        size = info.file_size
        total += size
        if size > MAX_PART_SIZE:
            raise _refuse(name, f"paketin osa {info.filename} purkautuisi {_mb(size)}:ksi "
                                f"(enintään {_mb(MAX_PART_SIZE)}).", "Tiedosto ei ole tavallinen työkirja.")
        if size > RATIO_FROM and size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(name, f"paketin osa {info.filename} purkautuisi {_mb(info.compress_size)}:sta "
                                f"{_mb(size)}:ksi (pakkaussuhde yli {MAX_RATIO}:1).",
                          "Tiedosto näyttää pakkauspommilta; sitä ei avata.")
        if total > MAX_TOTAL_SIZE:
            raise _refuse(name, f"paketti purkautuisi yli {_mb(MAX_TOTAL_SIZE)}:ksi.", "Tiedosto ei ole tavallinen työkirja.")
    with z:
        for info in infos:
            lower = info.filename.lower()
            if (lower.endswith(_XML_SUFFIXES) and info.file_size
                    and (lower.endswith(".rels") or not lower.startswith(_NEVER_PARSED))):
                _check_prolog(z, info, name)


_PROLOG_ITEM = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->)", re.DOTALL)


def _check_prolog(z: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Refuse an XML part with a DOCTYPE (a DTD, entities) before its root element."""
    head = b""
    try:
        with z.open(info) as f:
            size = 512
            while True:
                chunk = f.read(size)
                size = 4096
                head += chunk
                rest = _skip_prolog(head)
                if rest is not None or not chunk or len(head) >= PROLOG_LIMIT:
                    break
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as exc:
        raise _refuse(name, f"paketin osa {info.filename} on vioittunut{_detail(exc)}.") from None
    except Exception as exc:   # zlib.error and the like: the part's data is damaged
        raise _refuse(name, f"paketin osa {info.filename} on vioittunut{_detail(exc)}.") from None
    rest = _skip_prolog(head)
    if rest is None:
        if len(head) >= PROLOG_LIMIT:
            raise _refuse(name, f"paketin osan {info.filename} XML-alku on poikkeuksellisen pitkä.")
        return   # an empty or truncated part: its reader reports it
    if rest.lstrip(b"\xef\xbb\xbf").lstrip()[:9].upper() == b"<!DOCTYPE" or rest.lstrip()[:8] == b"<!ENTITY":
        raise _refuse(name, f"paketin osassa {info.filename} on DTD-määrittely (DOCTYPE/ENTITY), jota Excel ei "
                            "koskaan kirjoita; sitä ei lueta.", "Tiedosto ei ole Excelin tallentama.")


def _skip_prolog(head: bytes) -> bytes | None:
    """`head` from the first markup that is not an XML declaration, processing instruction or comment;
    None while that is not yet in `head`."""
    at = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:
        m = _PROLOG_ITEM.match(head, at)
        if m is None:
            break
        at = m.end()
    rest = head[at:].lstrip()
    if not rest or (rest.startswith(b"<?") or rest.startswith(b"<!--")):
        return None   # an unfinished declaration or comment: read more
    return rest


def _detail(exc: BaseException) -> str:
    """What of the library's complaint a person can use, in Finnish ("" for the rest: its words are English)."""
    return ": tarkistussumma ei täsmää" if "CRC" in str(exc) else ""


@contextmanager
def reading(name: str) -> Iterator[None]:
    """Map whatever a reader raises on a damaged package to one `InputError` naming the file."""
    try:
        yield
    except ElinvoimaError:
        raise
    except MemoryError:
        raise _refuse(name, "tiedosto on liian suuri luettavaksi.") from None
    except RecursionError:
        raise _refuse(name, "tiedoston rakenne on liian syvä luettavaksi.") from None
    except Exception as exc:   # noqa: BLE001 - any reader failure on this file's bytes is the file's damage
        raise _refuse(name, f"tiedostoa ei voi lukea: se on vioittunut tai ei ole Excel-työkirja{_detail(exc)}. "
                            "Mitään ei kirjoitettu.") from None


def parse_xml(data: bytes) -> Element:
    """An XML part parsed with DTDs and entities refused (defusedxml); raises on either.

    A part without any `<!` markup cannot declare one, so it goes straight to the standard parser."""
    if b"<!" not in data:
        from xml.etree.ElementTree import fromstring as plain

        return plain(data)
    from defusedxml.ElementTree import fromstring

    root: Element = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return root
