"""The team workbook's layout as data (cells, formulas, formats, charts), built once from the core and
rendered by every writer.

Pure: no I/O and no spreadsheet library. The xlsxwriter writer (build), the package splice (rebuild)
and the live Excel layer all render these objects, so no writer invents its own layout. Rows and
columns are 0-based; formulas are English-syntax Excel formulas (as stored in the file) starting
with "=".

Here: `values` (sheet names, styles and the value objects), `tables` (a financial table as cells and
formulas), `assemble` (the whole workbook in order), `locate` (where a finding points, and the
`Tarkistukset` sheet), `input_sheets` (the team's own sheets and xlwings.conf), `list_sheet` (a
header row and rows: Vastaanottajat, Lähetykset, Tuonnit, Kohdistus, Selitykset, Vastaukset). May
import: `core`, `ooxml.cells` and the data file's row format (`sources.datafile`)."""

from __future__ import annotations

__all__ = [
    "AMOUNT",
    "CHECKS_SHEET",
    "CONF_ROWS",
    "CONF_SHEET",
    "Cell",
    "Chart",
    "DATA_SHEET",
    "DataMap",
    "FILL",
    "GOALS_SHEET",
    "GOAL_HEADS",
    "Grid",
    "HEAD",
    "HEAD_LEFT",
    "INPUT_SHEETS",
    "KPI_SHEET",
    "LINK",
    "MAX_FORMULA",
    "Mark",
    "OWNED_NAME",
    "PCT",
    "PLAIN",
    "PageSetup",
    "RISKS_SHEET",
    "SEVERITY_FI",
    "SUBTITLE",
    "SUMMARY_SHEET",
    "SheetLayout",
    "Style",
    "TEAM_SHEETS",
    "TILA_FILLS",
    "TITLE",
    "TextRule",
    "UDF_MODULE",
    "Validation",
    "WorkbookLayout",
    "area_sheet_names",
    "cell_ref",
    "col_letter",
    "data_sheet_layout",
    "parse_ref",
    "quote_sheet",
    "sheet_frame",
    "sheet_names",
    "style",
    "table_rows",
    "workbook_layout",
]

from ...core.names import quote_sheet
from ...ooxml.cells import cell_ref, col_letter, parse_ref
from .assemble import area_sheet_names, sheet_names, workbook_layout
from .input_sheets import CONF_ROWS, GOAL_HEADS, data_sheet_layout
from .tables import Grid, sheet_frame, table_rows
from .values import (
    AMOUNT,
    CHECKS_SHEET,
    CONF_SHEET,
    DATA_SHEET,
    FILL,
    GOALS_SHEET,
    HEAD,
    HEAD_LEFT,
    INPUT_SHEETS,
    KPI_SHEET,
    LINK,
    MAX_FORMULA,
    OWNED_NAME,
    PCT,
    PLAIN,
    RISKS_SHEET,
    SEVERITY_FI,
    SUBTITLE,
    SUMMARY_SHEET,
    TEAM_SHEETS,
    TILA_FILLS,
    TITLE,
    UDF_MODULE,
    Cell,
    Chart,
    DataMap,
    Mark,
    PageSetup,
    SheetLayout,
    Style,
    TextRule,
    Validation,
    WorkbookLayout,
    style,
)
