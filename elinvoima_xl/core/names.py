"""Names Excel will accept, made from the team's area names: sheet names, chart titles, references, and text that stays text.

Pure and small: every writer takes its names from here, so a name that one writer
accepts is never one that another writer, the next rebuild or Excel refuses.
Excel's rules: a sheet name is 1–31 UTF-16 code units (an emoji counts 2), has none of
``\\ / ? * [ ] :``, does not begin or end with an apostrophe, is not ``History``, and is
unique ignoring case; XML 1.0 cannot carry control characters at all.
"""

from __future__ import annotations

__all__ = [
    "FORBIDDEN_SHEET_CHARS",
    "FORMULA_START",
    "MAX_SHEET_NAME",
    "RESERVED_SHEET_NAMES",
    "area_key",
    "chart_title",
    "clean_text",
    "quote_sheet",
    "sheet_name",
    "sheet_ref",
    "text_for_csv",
    "utf16_len",
]

import re
import unicodedata

MAX_SHEET_NAME = 31                       # UTF-16 code units, as Excel counts them
FORBIDDEN_SHEET_CHARS = "\\/?*[]:"
RESERVED_SHEET_NAMES = ("History",)       # Excel keeps it for the change history of shared workbooks
FORMULA_START = ("=", "+", "-", "@")      # a spreadsheet reads text starting with these as a formula

_FORBIDDEN = str.maketrans({c: "-" for c in FORBIDDEN_SHEET_CHARS})
# Characters XML 1.0 cannot hold, and every other control character (C0, DEL, C1).
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """The text without control characters and characters XML cannot hold, whitespace runs as one space."""
    return " ".join(_NOT_TEXT.sub(" ", unicodedata.normalize("NFC", str(text))).split())


def area_key(name: str) -> str:
    """What makes two area names the same area: equal ignoring case and runs of whitespace."""
    return clean_text(name).casefold()


def utf16_len(text: str) -> int:
    """Length as Excel counts it: UTF-16 code units (characters beyond U+FFFF count 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _cut(text: str, units: int) -> str:
    """The longest prefix of at most `units` UTF-16 units (never half a surrogate pair)."""
    n = 0
    for i, ch in enumerate(text):
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > units:
            return text[:i]
    return text


def _trim(name: str) -> str:
    """Excel refuses a sheet name that begins or ends with an apostrophe; spaces at the ends are lost."""
    return name.strip(" '")


def sheet_name(name: str, taken: set[str]) -> str:
    """A valid Excel sheet name for `name`, unique against `taken` (casefolded names), which it joins.

    Control characters go, forbidden characters become "-", a reserved name gets " (alue)", and
    the result is cut to 31 UTF-16 units; a name already taken (ignoring case) gets " (2)", " (3)"….
    """
    base = _trim(clean_text(name).translate(_FORBIDDEN)) or "Alue"
    if base.casefold() in (r.casefold() for r in RESERVED_SHEET_NAMES):
        base = f"{base} (alue)"
    candidate = _trim(_cut(base, MAX_SHEET_NAME))
    n = 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate = _trim(_cut(base, MAX_SHEET_NAME - len(suffix))) + suffix
        n += 1
    taken.add(candidate.casefold())
    return candidate


def quote_sheet(sheet: str) -> str:
    """The sheet's name as a formula writes it: quoted, an apostrophe doubled ('O''Brien')."""
    return "'" + sheet.replace("'", "''") + "'"


def sheet_ref(sheet: str, ref: str) -> str:
    """A reference to `ref` (a cell, a range or a sheet-scoped name) on `sheet`: 'O''Brien'!A1."""
    return f"{quote_sheet(sheet)}!{ref}"


def chart_title(text: str) -> str:
    """A chart title: one line of plain text (the writers set it as text, never as a formula)."""
    return clean_text(text)


def text_for_csv(text: str) -> str:
    """Text for a CSV cell or log line that a spreadsheet will open: Excel's apostrophe before text it
    would take for a formula (the data-file reader takes it off again)."""
    return "'" + text if text.startswith(FORMULA_START) else text
