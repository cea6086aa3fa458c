"""Readers that turn input files into the core's `Review`: published review text, data CSV/.xlsx."""

from __future__ import annotations

__all__ = ["decode_text"]

from ..errors import InputError, Place


def decode_text(data: bytes, name: str) -> str:
    """Text of a file from a Finnish office: UTF-8 (with or without BOM), else cp1252."""
    if not data.strip():
        raise InputError("tiedosto on tyhjä.", Place(file=name), "Tallenna tiedostoon otsikkorivi ja tietorivit.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("tiedoston merkistöä ei tunnistettu.", Place(file=name), "Tallenna se UTF-8-muodossa.")
