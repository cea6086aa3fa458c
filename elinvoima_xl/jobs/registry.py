"""The one list of jobs: the ribbon's table, the command line's `elinvoima job` choices and the VBA Subs' Python targets come from here.

A job id is what users' scripts type (`elinvoima job tarkista_summat`), so ids never change;
code names a job by its English constant (`CHECKS`, `AREA_SHEETS`, …), each job's `name`.
A job with a `button` is on the ribbon tab "Elinvoima": its Finnish label, the VBA Sub that
customUI14.xml's `onAction` names (macros/Elinvoima.bas), and the function of
`elinvoima_xl.ribbon` that Sub calls through `RunPython`. tests/test_job_registry.py reads the
real .bas and customUI14.xml and proves they agree with this list. Imports nothing: the
command line reads it at start-up.
"""

from __future__ import annotations

__all__ = ["AREA_SHEETS", "CHECKS", "COLLECT", "IMPORT", "REBUILD", "REGISTRY", "SEND", "SUMMARY", "Button", "Job",
           "button_jobs", "sheet_job_ids"]

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """One button of the ribbon tab: what the team sees and what runs when they press it."""

    label: str       # Finnish, on the ribbon
    macro: str       # the VBA Sub in macros/Elinvoima.bas (customUI14.xml onAction)
    function: str    # the function of elinvoima_xl.ribbon the Sub runs through RunPython
    command: str     # the command line's equivalent, told to the user when Excel cannot run it


@dataclass(frozen=True)
class Job:
    name: str                     # English, in code
    id: str                       # what users type and scripts call: never changes
    does: str                     # one line for maintainers
    sheets: bool                  # a job over the workbook port (jobs.run_job, `elinvoima job ID`)
    button: Button | None = None


# The jobs' ids under English names, for the code that runs them.
IMPORT = "import"
AREA_SHEETS = "luo_valilehdet"
SUMMARY = "paivita_yhteenveto"
CHECKS = "tarkista_summat"
REBUILD = "rebuild"
SEND = "send"
COLLECT = "collect"

REGISTRY: tuple[Job, ...] = (
    Job("import", IMPORT, "the ledger (and budget) into the data sheet, then every sheet the tool owns", False,
        Button("Tuo kirjanpito", "TuoKirjanpito", "tuo_kirjanpito", "elinvoima import KIRJANPITO.csv --into")),
    Job("area_sheets", AREA_SHEETS, "the area sheets and the summary that adds them up", True,
        Button("Luo palvelualueiden välilehdet", "LuoValilehdet", "luo_valilehdet",
               "elinvoima job luo_valilehdet")),
    Job("summary", SUMMARY, "the division summary", True,
        Button("Päivitä yhteenveto", "PaivitaYhteenveto", "paivita_yhteenveto", "elinvoima job paivita_yhteenveto")),
    Job("checks", CHECKS, "the checks and the flags on the data sheet", True,
        Button("Tarkista summat", "TarkistaSummat", "tarkista_summat", "elinvoima job tarkista_summat")),
    Job("rebuild", REBUILD, "every sheet the tool owns", True),
    Job("send", SEND, "one workbook per head of area, sent by mail", False,
        Button("Lähetä palvelualueille", "LahetaPalvelualueille", "laheta_palvelualueille", "elinvoima send")),
    Job("collect", COLLECT, "the heads' returned workbooks read back", False,
        Button("Kerää vastaukset", "KeraaVastaukset", "keraa_vastaukset", "elinvoima collect KANSIO --into")),
)


def sheet_job_ids() -> list[str]:
    """The jobs `elinvoima job` runs, in the registry's order."""
    return [j.id for j in REGISTRY if j.sheets]


def button_jobs() -> list[Job]:
    """The jobs on the ribbon, in the order of the registry."""
    return [j for j in REGISTRY if j.button is not None]
