"""The Python end of the ribbon tab "Elinvoima": one function per button, called by `RunPython` from macros/Elinvoima.bas.

Each works on the workbook that pressed the button (`xw.Book.caller()`) through the live
backend and runs the same job code as the command line (`jobs.run_job`). Progress shows
in the status bar; a problem in the workbook's data ends in a message box in Finnish, never
a traceback. To debug from Python: `xw.Book("Elinvoima.xlsm").set_mock_caller()`, then call
the function. The workbook is left unsaved: the team saves, or closes without saving to undo.
"""

from __future__ import annotations

__all__ = ["JOBS", "keraa_vastaukset", "laheta_palvelualueille", "luo_valilehdet", "paivita_yhteenveto",
           "tarkista_summat", "tuo_kirjanpito"]

import logging
from pathlib import Path
from typing import Any

from ..core.errors import ElinvoimaError
from ..jobs.registry import COLLECT, IMPORT, SEND, button_jobs
from ..jobs.messages import unexpected_error_message, user_message

log = logging.getLogger(__name__)
TITLE = "Elinvoima"

# button label -> (function name, job id, the command line's equivalent), from the one registry
JOBS: dict[str, tuple[str, str, str]] = {
    j.button.label: (j.button.function, j.id, j.button.command) for j in button_jobs() if j.button is not None
}


def _caller() -> Any:
    import xlwings as xw  # only here: the core and the CLI never import xlwings

    return xw.Book.caller()


def _run(label: str, ledger: str | None = None, budget: str | None = None) -> None:
    from .live_backend import LiveBackend
    from ..jobs.workbook_jobs import run_job

    book = _caller()
    _name, job, _command = JOBS[label]
    try:
        if job == IMPORT:
            from ..jobs.importer import import_live

            if not ledger:
                raise ElinvoimaError("Valitse kirjanpidon raportti.")
            result, report = import_live(LiveBackend(book), Path(ledger), Path(budget) if budget else None)
            book.app.status_bar = f"{label}: {result.summary()} {report.summary()}"
        elif job == COLLECT:
            from ..jobs.collect import collect_live

            collected = collect_live(lambda: LiveBackend(book), Path(book.fullname), Path(ledger) if ledger else None)
            book.app.status_bar = False
            book.app.alert(f"{label}: {collected.summary()} Katso välilehdet Vastaukset ja Tarkistukset."
                           + ("\n\n" + "\n".join(collected.lines()[:25]) if collected.needs_attention else ""),
                           title=TITLE)
            return
        elif job == SEND:
            from ..jobs.sending import send_live

            sent = send_live(LiveBackend(book), Path(book.fullname))
            book.app.status_bar = False
            book.app.alert(f"{label}: {sent.summary().rstrip('.')}. Lähetyspäiväkirja: välilehti Lähetykset ja "
                           f"{sent.journal}.", title=TITLE)
            return
        else:
            report = run_job(LiveBackend(book), job)
            book.app.status_bar = f"{label}: {report.summary()}"
    except Exception as exc:   # noqa: BLE001 - every problem reaches the user as a message, never a traceback
        book.app.status_bar = False
        message = user_message(exc)     # the same words as the command line prints (cli.run)
        if message is None:
            log.exception("job %s failed", job)
            message = unexpected_error_message(_write_error_log())
        book.app.alert(message, title=TITLE)
        return
    if report.errors:
        book.app.alert(f"Tarkistuksissa löytyi {report.errors} virhettä. Katso välilehti Tarkistukset.", title=TITLE)


def _write_error_log() -> Path | None:
    """The traceback of a bug, for the maintainer, in the temporary folder (pythonw has no console)."""
    import tempfile
    import traceback

    path = Path(tempfile.gettempdir()) / "elinvoima_virhe.log"
    try:
        path.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        return None
    return path


def tuo_kirjanpito(ledger: str | None = None, budget: str | None = None) -> None:
    """The ledger (and budget) files come from the file dialogs of the VBA button."""
    _run("Tuo kirjanpito", ledger, budget)


def luo_valilehdet() -> None:
    _run("Luo palvelualueiden välilehdet")


def paivita_yhteenveto() -> None:
    _run("Päivitä yhteenveto")


def tarkista_summat() -> None:
    _run("Tarkista summat")


def laheta_palvelualueille() -> None:
    _run("Lähetä palvelualueille")


def keraa_vastaukset(folder: str | None = None) -> None:
    """The returned workbooks from `folder`, by default the folder `Vastaukset` beside the workbook."""
    _run("Kerää vastaukset", folder)
