"""The two implementations of the jobs' workbook port: a file on disk, and the workbook open in Excel."""
