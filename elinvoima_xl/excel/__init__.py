"""The Excel side, through xlwings: worksheet functions, the ribbon's Python end, the live backend.

Here: `udfs` (TOT_PCT, JALJELLA, ENNUSTE, SUMMAERO), `values` (what Excel hands a function, to
arrays and back), `ribbon` (the buttons' functions), `live_backend` (the job port on the open
workbook), `live_ownership` (the tool sheets' fingerprints read and written in Excel). `elinvoima_xl.udfs` and `elinvoima_xl.ribbon` are the names the workbooks call.

May import everything below (`core`, `ooxml`, `sources`, `workbook`, `jobs`); the only layer
that imports xlwings.
"""
