"""The module the team's workbook names for its worksheet functions; they live in `excel/udfs.py`.

`xlwings.conf` (UDF Modules) and the VBA wrappers (`XLPy.CallUDF("elinvoima_xl.udfs", …)`) name
this module in every workbook already handed out, so it keeps its name.
"""

from .excel.udfs import ENNUSTE, JALJELLA, SUMMAERO, TOT_PCT

__all__ = ["ENNUSTE", "JALJELLA", "SUMMAERO", "TOT_PCT"]
