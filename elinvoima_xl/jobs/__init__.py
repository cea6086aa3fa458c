"""The jobs: every ribbon button and command as a function, over a workbook port.

Here: `registry` (the one list of jobs: the ribbon's table, the CLI's choices and the VBA Subs'
targets come from it), `workbook_jobs` (the port and the three sheet jobs), `file_backend` (the
port on a file on disk), `team_workbook` (build, rebuild, save), `importer` and `import_merge`
(the ledger import; the merge into the review, pure), `sending`, `mail` and `recipients` (the
heads' workbooks by email), `collect` and `collect_merge` (their answers back; the merge, pure),
`board` (the board's document), `init_folder` (`elinvoima init`), `background` (the forked
second process), `messages` (one Finnish line for any problem, for the CLI and Excel's message box).

May import: `core`, `ooxml`, `sources`, `workbook`. Not `excel`: the live backend is handed in.
"""
