"""The module the ribbon's VBA Subs call (`RunPython "import elinvoima_xl.ribbon as r; r.luo_valilehdet()"`).

Every workbook already handed out names it, so it keeps its name; the functions live in
`excel/ribbon.py`, and `jobs/registry.py` is the one list they come from (a test reads the `.bas`).
"""

from .excel.ribbon import (
    JOBS,
    keraa_vastaukset,
    laheta_palvelualueille,
    luo_valilehdet,
    paivita_yhteenveto,
    tarkista_summat,
    tuo_kirjanpito,
)

__all__ = ["JOBS", "keraa_vastaukset", "laheta_palvelualueille", "luo_valilehdet", "paivita_yhteenveto",
           "tarkista_summat", "tuo_kirjanpito"]
