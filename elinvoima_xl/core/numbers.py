"""Finnish number text: read "1 644", "-152 561", "38,20", "1 234,56-" and write them back.

Hand-written on purpose: babel parses the locale's own separators only (it rejects a plain
space as the group separator, which Finnish exports and the published review use) and
formats the minus as U+2212, which a terminal user would not type back.
"""

from __future__ import annotations

__all__ = ["MAX_FIGURE", "format_fi", "parse_fi_number", "round_half_away"]

import math
import re

import numpy as np
import numpy.typing as npt

from .errors import NumberFormatError, Place

MAX_FIGURE = 1e15    # Excel keeps 15 significant digits; no municipal figure in euros comes near
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2007\u2009\t")
_MINUSES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2012": "-"})
# What a cell can hold instead of a number, in the user's words (never a Python type name).
_KINDS = {"datetime": "päivämäärä", "date": "päivämäärä", "time": "kellonaika", "timedelta": "aika"}
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_THOUSANDS_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+,\d*$")


def parse_fi_number(text: object, place: Place | None = None) -> float | None:
    """Return the number a cell means, None for an empty cell; raise NumberFormatError otherwise.

    Accepts ints and floats as they are; text with spaces or non-breaking spaces between
    thousands, a decimal comma or point, a leading or trailing minus ("1 234,56-", as some
    ledgers write it), a Unicode minus, and a trailing "%" or "€".
    """
    if text is None:
        return None
    if isinstance(text, bool):
        raise NumberFormatError(f"odotettiin lukua, löytyi totuusarvo {text!r}.", place,
                                "Kirjoita soluun luku.")
    if isinstance(text, (int, float, np.integer, np.floating)):
        value = float(text)
        if math.isnan(value):
            return None
        return value
    if not isinstance(text, str):
        kind = _KINDS.get(type(text).__name__, "muu arvo")
        raise NumberFormatError(f"odotettiin lukua, löytyi {kind} ({text}).", place, "Kirjoita soluun luku.")
    raw = text
    s = text.strip().translate(_SPACES).translate(_MINUSES)
    if s in ("", "-"):
        return None
    for suffix in ("%", "€"):
        if s.endswith(suffix) and len(s) > 1 and s[-2].isdigit():
            s = s[: -len(suffix)]
            break
    negative = False
    if s.endswith("-") and len(s) > 1:
        negative, s = True, s[:-1]
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if _THOUSANDS_DOT.match(s):
        s = s.replace(".", "")
    if not _NUMBER.match(s):
        raise NumberFormatError(
            f"odotettiin lukua, löytyi {raw!r}.", place,
            "Luvussa saa olla numeroita, välilyöntejä tuhaterottimina, desimaalipilkku ja etumerkki.",
        )
    value = float(s.replace(",", "."))
    if not abs(value) < MAX_FIGURE:   # also inf: "9" * 400 reads as infinity
        raise NumberFormatError(f"luku {raw.strip()[:20]!r}{'…' if len(raw.strip()) > 20 else ''} on liian suuri.",
                                place, "Excel laskee tarkasti 15 numeroon asti; tarkista luku.")
    return -value if negative else value


def round_half_away(x: npt.ArrayLike, decimals: int = 0) -> npt.NDArray[np.float64]:
    """Round half away from zero, as Excel's ROUND and the published review do."""
    a = np.asarray(x, dtype=float)
    scale = 10.0**decimals
    # The tiny nudge absorbs binary noise such as 12.375 stored as 12.374999999.
    return np.sign(a) * np.floor(np.abs(a) * scale + 0.5 + 1e-9) / scale


def format_fi(value: float | None, decimals: int = 0, group: str = " ") -> str:
    """Format like the published review: "1 644", "-152 561", "38,20"; empty for None/NaN."""
    if value is None:
        return ""
    v = float(value)
    if math.isnan(v):
        return ""
    scale = 10.0**decimals
    # Scalar twin of round_half_away (kept in plain Python: it runs once per finding).
    rounded = math.copysign(math.floor(abs(v) * scale + 0.5 + 1e-9) / scale, v)
    if rounded == 0:
        rounded = 0.0  # no "-0"
    if decimals == 0:
        text = f"{int(abs(rounded)):,}".replace(",", group)
    else:
        text = f"{abs(rounded):,.{decimals}f}".replace(",", group).replace(".", ",")
    return f"-{text}" if rounded < 0 else text
