"""Convert what Excel hands a UDF (scalars, 2-D lists, None, Finnish text numbers, error values)
to arrays for the core, and the core's answers back to what a cell can show.

Pure: no xlwings here, so the conversions are tested and benchmarked without Excel. A bad
input becomes a short Finnish message in its own cell, never an exception in Excel.
"""

from __future__ import annotations

__all__ = ["HEADER_SEARCH_ROWS", "Grid", "broadcast", "from_grid", "row_pct", "to_grid"]

from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import NumberFormatError
from ..core.numbers import parse_fi_number
from ..ooxml.cells import EXCEL_ERRORS

FloatArray = npt.NDArray[np.float64]


_NUMERIC = {float, int, type(None)}


@dataclass(frozen=True)
class Grid:
    """A 2-D block of numbers; `errors` holds the cell's message where a cell is not a number."""

    values: FloatArray
    errors: npt.NDArray[np.object_] | None = None   # None when every cell converted

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape


def _rows(value: Any) -> list[list[Any]]:
    """The value as rows of cells, without copying the rows (a column can be 100 000 of them)."""
    if isinstance(value, (list, tuple)):
        if not value:
            return [[None]]
        if isinstance(value[0], (list, tuple)):
            return value  # type: ignore[return-value]
        return [list(value)]          # a 1-D row
    return [[value]]


def to_grid(value: Any) -> Grid:
    """Numbers as they are, empty cells as 0 (as Excel counts them), text numbers in Finnish format."""
    rows = _rows(value)
    n, width = len(rows), len(rows[0])
    # The fast path: a rectangular block of numbers and empty cells (None -> NaN -> 0), as
    # xlwings hands a range. Checking the cell types on the flat list is cheaper than letting
    # numpy guess (np.array on nested lists takes 20 ms for 100 000 cells), and it keeps
    # TRUE/FALSE, which numpy would take as 1/0, out of the sums.
    try:
        flat = [r[0] for r in rows] if width == 1 else list(chain.from_iterable(rows))
    except (IndexError, TypeError):
        flat = []
    if len(flat) == n * width and width:
        types = set(map(type, flat))
        if types <= _NUMERIC:
            arr = np.array(flat, dtype=float)
            if type(None) in types:
                arr[np.isnan(arr)] = 0.0
            return Grid(arr.reshape(n, width))
    widths = set(map(len, rows))
    width = max(widths)
    out = np.zeros((len(rows), width))
    errors = np.full((len(rows), width), None, dtype=object)
    for i, row in enumerate(rows):
        for j in range(width):
            cell = row[j] if j < len(row) else None
            if isinstance(cell, bool):
                errors[i, j] = f"Ei luku: {cell}"
                continue
            if isinstance(cell, str) and cell.strip().upper() in EXCEL_ERRORS:
                errors[i, j] = cell.strip()
                continue
            try:
                number = parse_fi_number(cell)
            except NumberFormatError:
                errors[i, j] = f"Ei luku: {str(cell)[:30]}"
                continue
            out[i, j] = 0.0 if number is None else number
    has_errors = any(e is not None for e in errors.flat)
    return Grid(out, errors if has_errors else None)


def broadcast(*grids: Grid) -> tuple[tuple[Grid, ...], str | None]:
    """Bring grids to one shape (a single cell goes with any range); else a Finnish message."""
    shapes = {g.shape for g in grids if g.shape != (1, 1)}
    if len(shapes) > 1:
        return grids, "Alueet ovat eri kokoisia: " + " ja ".join(f"{r}×{c}" for r, c in sorted(shapes))
    shape = shapes.pop() if shapes else (1, 1)
    out = []
    for g in grids:
        if g.shape == shape:
            out.append(g)
        else:
            errs = None if g.errors is None else np.full(shape, g.errors[0, 0], dtype=object)
            out.append(Grid(np.broadcast_to(g.values, shape).copy(), errs))
    return tuple(out), None


def from_grid(values: FloatArray, *inputs: Grid) -> npt.NDArray[Any]:
    """The answer for Excel: a 2-D array (xlwings' registered numpy converter writes it to the
    cells); a cell whose input was bad shows that input's message."""
    errors = [g.errors for g in inputs if g.errors is not None]
    if not errors:
        return values
    out = values.astype(object)
    for e in reversed(errors):
        mask = e != None
        out[mask] = e[mask]
    return out


HEADER_SEARCH_ROWS = 30   # how far above its row =TOT_PCT() looks for the column heads


def _heads(row: list[Any]) -> dict[int, Any]:
    """Positions of the cells of a row that are period column heads ("TA 2023 +muutos €"…)."""
    from ..core.errors import InputError
    from ..core.model import Column

    out = {}
    for j, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            try:
                out[j] = Column.parse(cell)
            except InputError:
                continue
    return out


def row_pct(block: list[list[Any]], absolute: bool = False, decimals: int = 1) -> float | str:
    """TOT-% of the block's last row, from the nearest row above that heads a budget and an actual column.

    `block` is the sheet from some rows above the calling cell down to its row, left of it.
    Returns a Finnish message when no heads are found or a figure is not a number.
    """
    from ..core.calc import execution_pct
    from ..core.errors import InputError
    from ..core.model import column_roles

    *above, own = block
    for heads_row in reversed(above):
        heads = _heads(heads_row)
        if len(heads) < 2:
            continue
        positions = list(heads)
        try:
            roles = column_roles(tuple(heads.values()))
        except InputError:
            continue
        b, a = positions[roles.budget], positions[roles.actual]
        budget, actual = to_grid(own[b] if b < len(own) else None), to_grid(own[a] if a < len(own) else None)
        problem = next((g.errors[0, 0] for g in (actual, budget) if g.errors is not None), None)
        if problem is not None:
            return str(problem)
        unit_a, unit_b = heads[a].unit, heads[b].unit
        return float(execution_pct(actual.values[0, 0] * unit_a, budget.values[0, 0] * unit_b,
                                   absolute=absolute, decimals=decimals))
    return "Otsikoista ei löydy TA- ja TOT-sarakkeita."
