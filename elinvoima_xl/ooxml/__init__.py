"""Files below any domain: the Office Open XML package, and saving files on disk.

Here: `opc` (parts, relationships, content types, workbook.xml, defined names and code names, on
lxml), `safe_zip` (limits and DTD refusal before a package is inflated), `docprops` (the sheet list
of `docProps/app.xml`), `cells` (A1 references and Excel's error values), `sheet_rows` (rows
streamed from a sheet part), `fileio` (atomic writes), `locking` (one writer at a time).

May import: `core.errors` (for its messages), the standard library, lxml and defusedxml."""
