"""Open any supported input as a `Review`: published review text, data CSV or .xlsx, or the bundled review."""

from __future__ import annotations

__all__ = ["BUNDLED_CSV", "BUNDLED_TEXT", "bundled_path", "bundled_review", "load_review"]

from importlib import resources
from pathlib import Path

from ..core.errors import InputError, Place
from ..core.model import Review
from ..ooxml.safe_zip import reading
from .text import decode_text
from .datafile import read_data_csv, read_data_xlsx
from .review_text import parse_review_text

BUNDLED_TEXT = "heinola_elinvoima_1-6_2023.txt"
BUNDLED_CSV = "heinola_elinvoima_1-6_2023.csv"


def bundled_path(name: str = BUNDLED_TEXT) -> Path:
    return Path(str(resources.files("elinvoima_xl.data").joinpath(name)))


def bundled_review() -> Review:
    """The published review 1–6/2023, parsed from the bundled text (goals, KPIs and risks included)."""
    path = bundled_path()
    return parse_review_text(path.read_text(encoding="utf-8"), path.name)


def load_review(path: Path | str | None) -> Review:
    """Read `path` by its kind; None means the bundled 1–6/2023 review."""
    if path is None:
        return bundled_review()
    p = Path(path)
    if not p.exists():
        raise InputError("tiedostoa ei löydy.", Place(file=str(p)), "Tarkista polku ja tiedoston nimi.")
    if p.is_dir():
        raise InputError("polku on kansio, ei tiedosto.", Place(file=str(p)), "Anna tiedoston polku.")
    data = p.read_bytes()
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        with reading(p.name):   # a damaged package: one line naming the file
            return read_data_xlsx(data, p.name)
    if suffix in (".csv", ".tsv"):
        return read_data_csv(data, p.name)
    if suffix in (".txt", ".md", ".text", ""):
        return parse_review_text(decode_text(data, p.name), p.name)
    if suffix in (".xls", ".ods", ".xlsb", ".numbers"):
        raise InputError(f"laskentataulukon muotoa '{p.suffix}' ei lueta.", Place(file=p.name),
                         "Tallenna tiedosto Excelissä .xlsx-muodossa tai CSV-muodossa ja anna se.")
    raise InputError(f"tiedostotyyppiä '{p.suffix}' ei tueta.", Place(file=p.name),
                     "Käytä katsauksen tekstiä (.txt), tietotiedostoa (.csv) tai Excel-tiedostoa (.xlsx).")
