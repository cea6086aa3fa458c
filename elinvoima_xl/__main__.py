"""`python -m elinvoima_xl` runs the command line."""

from .cli import run

run()
