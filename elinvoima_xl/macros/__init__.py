"""The workbook's VBA modules (`*.bas`) and ribbon (`customUI14.xml`) as text: the source of truth, shipped as package data.

The top-level `macros/` of the repository is a symbolic link to this folder, so developers edit
either path; the wheel and the sdist carry the same files (a test compares them).
"""
