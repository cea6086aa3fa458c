"""The worksheet functions (UDFs) Excel calls through xlwings: thin conversions around the core.

Each function takes cells or whole ranges and returns one cell or a 2-D numpy array of the
same shape (one call for a whole column, spilling as a dynamic array); xlwings' numpy
converter, registered for np.ndarray, writes it to the cells. Only this module and
the ribbon jobs import xlwings; the core and the CLI never do.
"""

from __future__ import annotations

__all__ = ["ENNUSTE", "JALJELLA", "SUMMAERO", "TOT_PCT"]

from typing import Any

import numpy as np
import numpy.typing as npt
import xlwings as xw

from ..core.calc import execution_pct, forecast_lines
from ..core.checks import rounding_tolerance
from .values import HEADER_SEARCH_ROWS, broadcast, from_grid, row_pct, to_grid


def _message(text: str) -> npt.NDArray[Any]:
    return np.array([[text]], dtype=object)


def _message_or_value(result: float | str) -> npt.NDArray[Any]:
    return _message(result) if isinstance(result, str) else np.array([[result]])


@xw.func(volatile=True)
@xw.arg("toteuma", ndim=2, err_to_str=True, doc="toteuma: solu tai alue (tyhjä: rivin TOT-sarake)")
@xw.arg("talousarvio", ndim=2, err_to_str=True, doc="talousarvio: solu tai alue (tyhjä: rivin TA-sarake)")
@xw.arg("positiivinen", doc="TOSI: prosentti aina positiivisena")
@xw.arg("desimaalit", doc="desimaalien määrä (oletus 1)")
def TOT_PCT(toteuma: Any = None, talousarvio: Any = None, positiivinen: Any = False, desimaalit: Any = 1,
            caller: Any = None) -> npt.NDArray[Any]:
    """Toteumaprosentti TOT / TA × 100 (talousarvio 0 -> 0). Solut tai kokonaiset alueet; ilman argumentteja oman rivin TOT ja TA otsikoiden mukaan."""
    decimals = int(desimaalit) if desimaalit is not None else 1
    if toteuma is None and talousarvio is None:
        # =TOT_PCT(): the row's own actual and budget, found from the column heads above.
        # Excel cannot see that dependency, so the function is volatile (recalculated on
        # every change); pass the cells or ranges to avoid that in large sheets.
        if caller is None:
            return _message("Anna toteuma ja talousarvio, tai käytä funktiota taulukon rivillä.")
        row, col = int(caller.row), int(caller.column)
        first = max(1, row - HEADER_SEARCH_ROWS)
        block = caller.sheet.range((first, 1), (row, max(col - 1, 1))).options(ndim=2).value
        return _message_or_value(row_pct(block, absolute=bool(positiivinen), decimals=decimals))
    (tot, ta), problem = broadcast(to_grid(toteuma), to_grid(talousarvio))
    if problem:
        return _message(problem)
    pct = execution_pct(tot.values, ta.values, absolute=bool(positiivinen), decimals=decimals)
    return from_grid(pct, tot, ta)


@xw.func
@xw.arg("talousarvio", ndim=2, err_to_str=True)
@xw.arg("toteuma", ndim=2, err_to_str=True)
def JALJELLA(talousarvio: Any, toteuma: Any) -> npt.NDArray[Any]:
    """Jäljellä oleva talousarvio TA − TOT, etumerkki säilyy. Solut tai kokonaiset alueet."""
    (ta, tot), problem = broadcast(to_grid(talousarvio), to_grid(toteuma))
    if problem:
        return _message(problem)
    return from_grid(ta.values - tot.values, ta, tot)


@xw.func
@xw.arg("toteuma", ndim=2, err_to_str=True)
@xw.arg("kuukaudet", doc="toteuman kuukausien määrä, esim. 6")
@xw.arg("tp_edellinen", ndim=2, err_to_str=True, doc="edellisen vuoden tilinpäätös (valinnainen)")
@xw.arg("tot_edellinen", ndim=2, err_to_str=True, doc="edellisen vuoden toteuma samalta ajalta (valinnainen)")
def ENNUSTE(toteuma: Any, kuukaudet: Any, tp_edellinen: Any = None, tot_edellinen: Any = None) -> npt.NDArray[Any]:
    """Vuoden ennuste: suoraviivainen TOT × 12 / kk, tai kausivaihtelu huomioiden edellisen vuoden osuudella.

    Edellisen vuoden luvut samassa yksikössä kuin toteuma (muunna 1000 € euroiksi ennen kutsua).
    """
    try:
        months = float(kuukaudet)
    except (TypeError, ValueError):
        return _message("Kuukausien määrä puuttuu")
    if not 1 <= months <= 12:
        return _message("Kuukausia pitää olla 1–12")
    tot = to_grid(toteuma)
    if tp_edellinen is None or tot_edellinen is None:
        result, _how = forecast_lines(tot.values, months, None, None)
        return from_grid(result, tot)
    (tot, tp, pp), problem = broadcast(tot, to_grid(tp_edellinen), to_grid(tot_edellinen))
    if problem:
        return _message(problem)
    result, _how = forecast_lines(tot.values, months, tp.values, pp.values)
    return from_grid(result, tot, tp, pp)


@xw.func
@xw.arg("summa", ndim=2, err_to_str=True)
@xw.arg("rivit", ndim=2, err_to_str=True)
def SUMMAERO(summa: Any, rivit: Any) -> Any:
    """Välisumman ero riviensä summasta; 0 kun ero mahtuu pyöristykseen (puoli yksikköä lukua kohden)."""
    total, lines = to_grid(summa), to_grid(rivit)
    if total.errors is not None or lines.errors is not None:
        return "Alueella on virheellisiä soluja"
    if total.shape != (1, 1):
        return "Summan pitää olla yksi solu"
    gap = float(total.values[0, 0] - lines.values.sum())
    n = int(np.count_nonzero(lines.values)) + 1
    return 0.0 if abs(gap) <= float(rounding_tolerance(n)) else gap
