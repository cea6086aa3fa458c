"""The workbooks, as data and as files: the team's, a head's, and the surgery on an existing package.

Here: `layout` (the team's sheets as data: cells, formulas, formats, charts; pure),
`xlsx_writer` (renders a layout with xlsxwriter), `head_layout` and `head_writer` (a head's
workbook), `returned` (a head's workbook read back), `splice` (with `splice_styles`), `package`, `package_guard`,
`ownership` and `vba` (rewriting the team's .xlsm in place, keeping what the tool does not own).

May import: `core`, `ooxml`, `sources`. Not `jobs` or `excel`.
"""
