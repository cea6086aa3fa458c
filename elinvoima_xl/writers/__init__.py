"""Renderers of the one workbook layout (`elinvoima_xl.layout`): xlsxwriter for new files, openpyxl for edits."""
