"""Renderers of the one workbook layout (`elinvoima_xl.layout`): xlsxwriter (`xlsx.py`); the openpyxl baseline is in benchmarks/."""
