"""A strict, recording fake of the part of xlwings' object model the live backend uses (Excel cannot run here).

Strict: every attribute the fake offers exists on the real xlwings class it stands for
(`test_fake_offers_only_what_xlwings_has` checks it), reading anything else raises, and
setting an attribute that is not a settable property of the real class raises. Recording:
every property read or write and method call on a sheet, range, font, chart or name is
one "Excel call", counted per sheet in `book.calls`.

Cells: `_values` holds what a cell shows (for a formula the live backend wrote, its text: the
fake calculates nothing) and `_formulas` the formula of each formula cell. `Range.value` shows a
formula cell's calculated value (from the file in `from_xlsx`), nothing for one never calculated;
`Range.formula` gives a formula cell's formula and any other cell's content, as Excel does.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import xlwings.main as xm
from openpyxl.utils import column_index_from_string, get_column_letter


class XlError(str):
    """An error value in a cell (#DIV/0!): xlwings gives None for it, or its text with `err_to_str=True`."""


class Strict:
    """Base: attribute writes only where xlwings has a settable property of that name."""

    REAL: type = object

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            prop = getattr(self.REAL, name, None)
            if not isinstance(prop, property) or prop.fset is None:
                raise AttributeError(f"xlwings.{self.REAL.__name__} has no settable attribute {name!r}")
            if not isinstance(getattr(type(self), name, None), property):
                raise AttributeError(f"the fake does not model xlwings.{self.REAL.__name__}.{name}")
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:   # only called for names the fake does not define
        raise AttributeError(f"the fake (and the live backend) must not use xlwings.{self.REAL.__name__}.{name}")


def _call(owner: Any, what: str) -> None:
    sheet = owner._sheet
    sheet._book.calls[sheet._name] += 1
    sheet._book.log.append((sheet._name, what))


def _parse_area(text: str) -> tuple[int, int, int, int]:
    """'B5', 'B5:D9', '5:7', 'A:C' -> 1-based (r1, c1, r2, c2)."""
    if ":" in text:
        a, b = text.split(":")
    else:
        a = b = text
    if a.isdigit() and b.isdigit():
        return int(a), 1, int(b), 16384
    if a.isalpha() and b.isalpha():
        return 1, column_index_from_string(a), 1048576, column_index_from_string(b)

    def cell(t: str) -> tuple[int, int]:
        m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", t)
        if not m:
            raise ValueError(f"not a cell address: {t!r}")
        return int(m.group(2)), column_index_from_string(m.group(1))

    (r1, c1), (r2, c2) = cell(a), cell(b)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


class FakeFont(Strict):
    REAL = xm.Font

    def __init__(self, rng: FakeRange) -> None:
        self._rng = rng
        self._sheet = rng._sheet

    def _set(self, key: str, value: Any) -> None:
        _call(self, f"font.{key}")
        self._rng._format(f"font.{key}", value)

    bold = property(lambda self: None, lambda self, v: self._set("bold", v))
    italic = property(lambda self: None, lambda self, v: self._set("italic", v))
    size = property(lambda self: None, lambda self, v: self._set("size", v))
    color = property(lambda self: None, lambda self, v: self._set("color", v))


class FakeRange(Strict):
    REAL = xm.Range

    def __init__(self, sheet: FakeSheet, areas: list[tuple[int, int, int, int]], ndim: int | None = None,
                 err_to_str: bool = False) -> None:
        self._sheet = sheet
        self._areas = areas
        self._ndim = ndim
        self._err_to_str = err_to_str

    # -- shape
    @property
    def row(self) -> int:
        _call(self, "row")
        return self._areas[0][0]

    @property
    def column(self) -> int:
        _call(self, "column")
        return self._areas[0][1]

    @property
    def last_cell(self) -> FakeRange:
        _call(self, "last_cell")
        r1, c1, r2, c2 = self._areas[0]
        return FakeRange(self._sheet, [(r2, c2, r2, c2)])

    @property
    def sheet(self) -> FakeSheet:
        _call(self, "sheet")
        return self._sheet

    @property
    def left(self) -> float:
        _call(self, "left")
        return (self._areas[0][1] - 1) * 64.0

    @property
    def top(self) -> float:
        _call(self, "top")
        return (self._areas[0][0] - 1) * 15.0

    def options(self, convert: Any = None, **options: Any) -> FakeRange:
        _call(self, "options")
        unknown = set(options) - {"ndim", "empty", "numbers", "dates", "expand", "transpose", "err_to_str"}
        if convert is not None or unknown:
            raise AttributeError(f"fake Range.options supports only plain conversion, got {convert} {unknown}")
        return FakeRange(self._sheet, self._areas, options.get("ndim"), bool(options.get("err_to_str")))

    # -- contents
    def _cells(self) -> list[tuple[int, int]]:
        return [(r, c) for r1, c1, r2, c2 in self._areas for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]

    @property
    def value(self) -> Any:
        _call(self, "value.get")
        return self._shape([[self._shown(self._sheet._shown_value((r, c))) for c in self._columns()]
                            for r in self._rows()])

    def _rows(self) -> range:
        return range(self._areas[0][0], self._areas[0][2] + 1)

    def _columns(self) -> range:
        return range(self._areas[0][1], self._areas[0][3] + 1)

    def _shape(self, grid: list[list[Any]]) -> Any:
        r1, c1, r2, c2 = self._areas[0]
        if self._ndim == 2:
            return grid
        if r1 == r2 and c1 == c2:
            return grid[0][0]
        return grid[0] if r1 == r2 else [row[0] for row in grid] if c1 == c2 else grid

    def _shown(self, v: Any) -> Any:
        if isinstance(v, XlError):
            return str(v) if self._err_to_str else None
        return v

    @value.setter
    def value(self, data: Any) -> None:
        _call(self, "value.set")
        r1, c1, _, _ = self._areas[0]
        rows = data if isinstance(data, list) and data and isinstance(data[0], list) else [[data]]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self._sheet._put(r1 + i, c1 + j, v)

    @property
    def formula(self) -> Any:
        _call(self, "formula.get")
        sheet = self._sheet
        return self._shape([[sheet._formulas.get((r, c), sheet._values.get((r, c), "")) for c in self._columns()]
                            for r in self._rows()])

    @formula.setter
    def formula(self, data: Any) -> None:
        self.value = data

    # -- formats
    def _format(self, key: str, value: Any) -> None:
        for cell in self._cells():
            self._sheet._formats.setdefault(cell, {})[key] = value

    @property
    def color(self) -> Any:
        _call(self, "color.get")
        colours = {self._sheet._formats.get(cell, {}).get("color") for cell in self._cells()}
        return colours.pop() if len(colours) == 1 else None

    @color.setter
    def color(self, value: Any) -> None:
        _call(self, "color.set")
        self._format("color", value)

    number_format = property(lambda self: None,
                             lambda self, v: (_call(self, "number_format"), self._format("number_format", v)))
    wrap_text = property(lambda self: None, lambda self, v: (_call(self, "wrap_text"), self._format("wrap_text", v)))

    @property
    def font(self) -> FakeFont:
        _call(self, "font")
        return FakeFont(self)

    @property
    def column_width(self) -> None:
        return None

    @column_width.setter
    def column_width(self, value: float) -> None:
        _call(self, "column_width")
        for _r1, c1, _r2, c2 in self._areas:
            for c in range(c1, c2 + 1):
                self._sheet._widths[c] = value

    @property
    def row_height(self) -> None:
        return None

    @row_height.setter
    def row_height(self, value: float) -> None:
        _call(self, "row_height")
        for r1, _c1, r2, _c2 in self._areas:
            for r in range(r1, r2 + 1):
                self._sheet._heights[r] = value


class FakeName(Strict):
    REAL = xm.Name

    def __init__(self, sheet: FakeSheet, name: str, refers_to: str) -> None:
        self._sheet = sheet
        self._name = name
        self._refers_to = refers_to

    @property
    def name(self) -> str:
        _call(self, "name")
        return f"'{self._sheet._name}'!{self._name}"

    @property
    def refers_to(self) -> str:
        _call(self, "refers_to")
        return self._refers_to


class FakeNames(Strict):
    REAL = xm.Names

    def __init__(self, sheet: FakeSheet) -> None:
        self._sheet = sheet
        self._items: list[FakeName] = []

    def __iter__(self) -> Any:
        _call(self, "names")
        return iter(list(self._items))

    def add(self, name: str, refers_to: str) -> FakeName:
        """As Excel's Names.Add: a name already there (same name, same sheet) gets the new content."""
        _call(self, "names.add")
        item = FakeName(self._sheet, name, refers_to)
        self._items = [n for n in self._items if n._name != name] + [item]
        return item


class FakeChart(Strict):
    REAL = xm.Chart

    def __init__(self, sheet: FakeSheet) -> None:
        self._sheet = sheet
        self._source: str | None = None
        self._type: str | None = None

    def set_source_data(self, source: FakeRange) -> None:
        _call(self, "chart.set_source_data")
        self._source = ",".join(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
                                for r1, c1, r2, c2 in source._areas)

    @property
    def chart_type(self) -> str | None:
        return self._type

    @chart_type.setter
    def chart_type(self, value: str) -> None:
        _call(self, "chart.chart_type")
        self._type = value

    def delete(self) -> None:
        _call(self, "chart.delete")
        self._sheet._charts.remove(self)


class FakeCharts(Strict):
    REAL = xm.Charts

    def __init__(self, sheet: FakeSheet) -> None:
        self._sheet = sheet

    def __iter__(self) -> Any:
        _call(self, "charts")
        return iter(list(self._sheet._charts))

    def add(self, left: float = 0, top: float = 0, width: float = 355, height: float = 211) -> FakeChart:
        _call(self, "charts.add")
        chart = FakeChart(self._sheet)
        self._sheet._charts.append(chart)
        return chart


class FakeSheet(Strict):
    REAL = xm.Sheet

    def __init__(self, book: FakeBook, name: str) -> None:
        self._book = book
        self._name = name
        self._sheet = self
        self._values: dict[tuple[int, int], Any] = {}
        self._formulas: dict[tuple[int, int], str] = {}
        self._formats: dict[tuple[int, int], dict[str, Any]] = {}
        self._widths: dict[int, float] = {}
        self._heights: dict[int, float] = {}
        self._charts: list[FakeChart] = []
        self._names = FakeNames(self)
        book.calls.setdefault(name, 0)

    def _put(self, r: int, c: int, v: Any) -> None:
        self._formulas.pop((r, c), None)
        if isinstance(v, str) and v.startswith("="):
            self._formulas[(r, c)] = v
        elif isinstance(v, str) and v.startswith("'"):
            v = v[1:]          # Excel keeps a leading apostrophe as the mark of text, not as content
        if v is None or v == "":
            self._values.pop((r, c), None)
        else:
            self._values[(r, c)] = v

    def _shown_value(self, cell: tuple[int, int]) -> Any:
        """What the cell shows: a formula the fake wrote and never calculated shows nothing."""
        v = self._values.get(cell)
        return None if cell in self._formulas and v == self._formulas[cell] else v

    @property
    def name(self) -> str:
        return self._name

    @property
    def names(self) -> FakeNames:
        _call(self, "names")
        return self._names

    @property
    def charts(self) -> FakeCharts:
        _call(self, "charts")
        return FakeCharts(self)

    def range(self, cell1: Any, cell2: Any = None) -> FakeRange:
        _call(self, "range")
        if isinstance(cell1, str):
            if cell2 is not None:
                raise TypeError("fake: range(str, str) is not used")
            return FakeRange(self, [_parse_area(part) for part in cell1.split(",")])
        if isinstance(cell1, FakeRange):
            cell1 = cell1._areas[0][:2]
        if isinstance(cell2, FakeRange):
            cell2 = cell2._areas[0][:2]
        r1, c1 = cell1
        r2, c2 = cell2 if cell2 is not None else cell1
        return FakeRange(self, [(min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))])

    @property
    def used_range(self) -> FakeRange:
        _call(self, "used_range")
        if not self._values:
            return FakeRange(self, [(1, 1, 1, 1)])
        rows = [r for r, _ in self._values]
        cols = [c for _, c in self._values]
        return FakeRange(self, [(min(rows), min(cols), max(rows), max(cols))])

    def clear(self) -> None:
        _call(self, "clear")
        self._values.clear()
        self._formulas.clear()
        self._formats.clear()

    def delete(self) -> None:
        _call(self, "delete")
        self._book._sheets.remove(self)

    # -- for the tests, not xlwings
    def _grid(self) -> dict[tuple[int, int], Any]:
        return dict(self._values)


class FakeSheets(Strict):
    REAL = xm.Sheets

    def __init__(self, book: FakeBook) -> None:
        self._book = book

    def __iter__(self) -> Any:
        return iter(list(self._book._sheets))

    def __len__(self) -> int:
        return len(self._book._sheets)

    def __getitem__(self, key: int | str) -> FakeSheet:
        if isinstance(key, int):
            return self._book._sheets[key]
        for s in self._book._sheets:
            if s._name.casefold() == key.casefold():
                return s
        raise KeyError(key)

    def add(self, name: str | None = None, before: FakeSheet | None = None, after: FakeSheet | None = None) -> FakeSheet:
        if name is None or any(s._name.casefold() == name.casefold() for s in self._book._sheets):
            raise ValueError(f"fake: a sheet needs a new name, got {name!r}")
        sheet = FakeSheet(self._book, name)
        sheets = self._book._sheets
        if before is not None:
            sheets.insert(sheets.index(before), sheet)
        elif after is not None:
            sheets.insert(sheets.index(after) + 1, sheet)
        else:
            sheets.insert(0, sheet)
        self._book.calls[name] += 1
        return sheet


class FakeApp(Strict):
    REAL = xm.App

    def __init__(self) -> None:
        self._status: list[Any] = []
        self._alerts: list[tuple[str, str]] = []

    @property
    def status_bar(self) -> Any:
        return self._status[-1] if self._status else False

    @status_bar.setter
    def status_bar(self, value: Any) -> None:
        self._status.append(value)

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: Any = None) -> str:
        self._alerts.append((title or "", prompt))
        return "ok"


class FakeBook(Strict):
    REAL = xm.Book

    def __init__(self, name: str = "Elinvoima.xlsm") -> None:
        self._name = name
        self._sheets: list[FakeSheet] = []
        self._app = FakeApp()
        self.__dict__["calls"] = Counter()
        self.__dict__["log"] = []
        self._saved = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def fullname(self) -> str:
        return str(Path("/tmp") / self._name)

    @property
    def sheets(self) -> FakeSheets:
        return FakeSheets(self)

    @property
    def app(self) -> FakeApp:
        return self._app

    def save(self, path: str | None = None, password: str | None = None) -> None:
        self._saved += 1

    @classmethod
    def from_xlsx(cls, data: bytes, name: str = "Elinvoima.xlsm") -> FakeBook:
        """A book holding what Excel would show for the workbook `data`: calculated values, names."""
        book = cls(name)
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data))
        for ws in formulas.worksheets:
            sheet = FakeSheet(book, ws.title)
            book._sheets.append(sheet)
            for row in values[ws.title].iter_rows():
                for c in row:
                    if c.value is not None:   # the cell's content as stored (no apostrophe taken off)
                        sheet._values[(c.row, c.column)] = XlError(c.value) if c.data_type == "e" else c.value
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f" and isinstance(c.value, str):
                        sheet._formulas[(c.row, c.column)] = c.value
            for n, defined in ws.defined_names.items():
                sheet._names._items.append(FakeName(sheet, n, "=" + str(defined.attr_text)))
        book.calls.clear()
        return book
