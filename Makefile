# The two quick-start commands: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test setup bench clean

$(BIN)/elinvoima: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

setup: $(BIN)/elinvoima

# The main job on the bundled review 1–6/2023: the tables, every check, then the team's workbook
# (into build/, the committed workbook/Elinvoima.xlsm is the same file).
# `check` exits 1 because the published review has real errors; the demo shows them and goes on.
demo: setup
	$(BIN)/elinvoima show
	$(BIN)/elinvoima check || test $$? -eq 1
	$(BIN)/elinvoima build -o build/Elinvoima.xlsm

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench_checks.py
	$(BIN)/python benchmarks/bench_udfs.py
	$(BIN)/python benchmarks/bench_workbook.py
	$(BIN)/python benchmarks/bench_split.py
	$(BIN)/python benchmarks/bench_ledger.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build
