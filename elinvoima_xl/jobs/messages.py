"""What a person reads when a job stops: one Finnish line per problem, the same in the command line and in Excel."""

from __future__ import annotations

__all__ = ["os_error_message", "unexpected_error_message", "user_message"]

import errno
import zipfile
import zlib
from xml.etree.ElementTree import ParseError
from pathlib import Path

from ..core.errors import ElinvoimaError

# errno -> (what went wrong, what to do); Windows maps its own codes onto these for the common cases.
_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("tiedostoa ei löydy.", "Tarkista polku ja tiedoston nimi."),   # as load.load_review says
    errno.EACCES: ("ei lupaa lukea tai kirjoittaa tiedostoa.",
                   "Jos tiedosto on auki Excelissä tai muussa ohjelmassa, sulje se; muuten tarkista kansion oikeudet."),
    errno.EPERM: ("ei lupaa lukea tai kirjoittaa tiedostoa.",
                  "Jos tiedosto on auki Excelissä tai muussa ohjelmassa, sulje se; muuten tarkista kansion oikeudet."),
    errno.EISDIR: ("polku on kansio, ei tiedosto.", "Anna tiedoston polku."),
    errno.ENOTDIR: ("polun osa ei ole kansio.", "Tarkista polku."),
    errno.EEXIST: ("on jo olemassa.", "Valitse toinen nimi tai siirrä vanha tiedosto pois."),
    errno.ENOSPC: ("levy on täynnä.", "Vapauta levytilaa ja yritä uudelleen."),
    errno.EROFS: ("levylle ei voi kirjoittaa.", "Valitse kansio, johon sinulla on kirjoitusoikeus."),
    errno.ENAMETOOLONG: ("polku on liian pitkä.", "Käytä lyhyempää kansion tai tiedoston nimeä."),
}


def os_error_message(exc: OSError) -> str:
    """The file, what the operating system refused, and what to do; never the English `strerror`."""
    what, todo = _OS_ERRORS.get(exc.errno or 0, (
        f"tiedostoa ei voitu käsitellä (käyttöjärjestelmän virhekoodi {exc.errno}).",
        "Tarkista polku ja oikeudet ja yritä uudelleen."))
    name = exc.filename if exc.filename is not None else ""
    place = str(Path(str(name))) if name != "" else ""
    return f"{place}: {what} {todo}" if place else f"{what[:1].upper()}{what[1:]} {todo}"


def unexpected_error_message(log_file: Path | None = None) -> str:
    """A bug, not the user's mistake: say so, say nothing was saved, and where the details went."""
    where = f" Tekniset tiedot: {log_file}." if log_file else ""
    return f"Odottamaton virhe ohjelmassa; työkirjaa ei tallennettu. Ilmoita virheestä ylläpitäjälle.{where}"


def user_message(exc: BaseException) -> str | None:
    """The one-line Finnish message for a problem the user can fix, or None for a bug."""
    if isinstance(exc, ElinvoimaError):
        return str(exc)
    if isinstance(exc, OSError):
        return os_error_message(exc)
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, ParseError)):
        # a damaged file a reader met outside the places that name it (safe_zip.reading)
        return "Tiedostoa ei voi lukea: se on vioittunut. Mitään ei kirjoitettu; tallenna tiedosto uudelleen."
    return None
