"""Readers of what comes from outside: published reviews, data files, ledger exports.

Here: `text` (every text reader's first step: binary files refused, the encoding told, the
delimiter sniffed), `review_text` (the published review as text), the data file (`datafile`
reads CSV or an .xlsx's `Tiedot`, `data_table` turns its rows into a review, `data_write`
writes it), a ledger export (`ledger_read` scans and streams it, with `ledger_header` for the
columns by meaning, `ledger_values` for the cells and `ledger_lines` for every line's account
and the control totals; `ledger` sums it with `ledger_mapping` and `ledger_sign`),
`ledger_generator` (a realistic ledger from figures), `load` (any review by its path, or the
bundled one). This package's own functions: `decode_text`, `refuse_binary` and
`sniff_delimiter`, for every text reader.

May import: `core` and `ooxml`. Not `workbook`, `jobs` or `excel`.
"""

from __future__ import annotations

__all__ = ["decode_text", "refuse_binary", "sniff_delimiter"]

from .text import decode_text, refuse_binary, sniff_delimiter
