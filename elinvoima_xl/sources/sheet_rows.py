"""Fast reading of one worksheet's values with fastexcel (calamine), where the result keeps cell positions.

calamine returns the used range of a sheet, so positions are exact only when that range
starts at A1; a sheet whose formulas have no calculated value reads as empty there. In
both cases this returns None and the caller reads with openpyxl, which reports the cell.
"""

from __future__ import annotations

__all__ = ["sheet_rows"]

import io
import logging
import re
import zipfile

# fastexcel logs a warning for every all-empty column (read as text, which is what we want).
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)

_DIMENSION_A1 = re.compile(rb'<dimension ref="A1[:"]')
_FORMULA_WITHOUT_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")


def sheet_rows(data: bytes, sheet: str, sheet_part: str) -> list[tuple[object, ...]] | None:
    """The values of `sheet` (part `sheet_part` of the package), row 1 first; None when unsure."""
    import fastexcel

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read(sheet_part)
    if not _DIMENSION_A1.search(xml[:4096]) or _FORMULA_WITHOUT_VALUE.search(xml):
        return None
    reader = fastexcel.read_excel(data)
    table = reader.load_sheet(sheet, header_row=0, schema_sample_rows=None).to_arrow()
    header = tuple("" if n.startswith("__UNNAMED__") else n for n in table.column_names)
    columns = [c.to_pylist() for c in table.columns]
    return [header, *zip(*columns)] if columns else [header]
