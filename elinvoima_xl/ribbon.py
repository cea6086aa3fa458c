"""The Python end of the ribbon tab "Elinvoima": one function per button, called by `RunPython` from macros/Elinvoima.bas.

Each works on the workbook that pressed the button (`xw.Book.caller()`). The live-Excel
jobs are the open part of issue 4; until a job runs inside Excel, its button says so in
Finnish and names the command that does the same job on the command line.
"""

from __future__ import annotations

__all__ = ["JOBS", "keraa_vastaukset", "laheta_palvelualueille", "luo_valilehdet", "paivita_yhteenveto",
           "tarkista_summat", "tuo_kirjanpito"]

from typing import Any

# button label -> (function name, the command-line job that does the same)
JOBS: dict[str, tuple[str, str]] = {
    "Tuo kirjanpito": ("tuo_kirjanpito", "elinvoima import"),
    "Luo palvelualueiden välilehdet": ("luo_valilehdet", "elinvoima rebuild"),
    "Päivitä yhteenveto": ("paivita_yhteenveto", "elinvoima rebuild"),
    "Tarkista summat": ("tarkista_summat", "elinvoima rebuild (tai elinvoima check)"),
    "Lähetä palvelualueille": ("laheta_palvelualueille", "elinvoima send"),
    "Kerää vastaukset": ("keraa_vastaukset", "elinvoima collect"),
}


def _caller() -> Any:
    import xlwings as xw  # only here: the core and the CLI never import xlwings

    return xw.Book.caller()


def _tell(label: str) -> None:
    book = _caller()
    _name, command = JOBS[label]
    book.app.alert(f"'{label}' ei vielä toimi Excelin sisältä. Sulje työkirja ja aja komentoriviltä: "
                   f"{command} \"{book.fullname}\"", title="Elinvoima")


def tuo_kirjanpito() -> None:
    _tell("Tuo kirjanpito")


def luo_valilehdet() -> None:
    _tell("Luo palvelualueiden välilehdet")


def paivita_yhteenveto() -> None:
    _tell("Päivitä yhteenveto")


def tarkista_summat() -> None:
    _tell("Tarkista summat")


def laheta_palvelualueille() -> None:
    _tell("Lähetä palvelualueille")


def keraa_vastaukset() -> None:
    _tell("Kerää vastaukset")
