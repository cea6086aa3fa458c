"""Readers of what comes from outside: published reviews, data files, ledger exports.

Here: `review_text` (the published review as text), `datafile` (the data file as CSV or an
.xlsx's `Tiedot`), `ledger_read` (an accounting system's export: encoding, preamble, header,
rows, control totals), `ledger` (mapping, period, sign and sums of a ledger), `ledger_generator`
(a realistic ledger from figures), `load` (any review by its path, or the bundled one). This
package's own functions: `decode_text` and `refuse_binary`, for every text reader.

May import: `core` and `ooxml`. Not `workbook`, `jobs` or `excel`.
"""

from __future__ import annotations

__all__ = ["decode_text", "refuse_binary", "sniff_delimiter"]

from .text import decode_text, refuse_binary, sniff_delimiter
