# The two quick-start commands: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test setup bench clean wheel-test screenshots mutation

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

# The built wheel in a fresh venv outside the checkout, every job and the user's guide (CI runs it in `make test`).
wheel-test: setup
	ELINVOIMA_WHEEL_TEST=1 $(BIN)/python -m pytest tests/test_install.py

# The user's guide's pictures of the sheets (LibreOffice and pdftoppm).
screenshots: setup
	$(BIN)/python scripts/screenshots.py

bench: setup
	$(BIN)/python benchmarks/bench_checks.py
	$(BIN)/python benchmarks/bench_udfs.py
	$(BIN)/python benchmarks/bench_workbook.py
	$(BIN)/python benchmarks/bench_split.py
	$(BIN)/python benchmarks/bench_ledger.py

# Mutation testing of the core (model, calc, checks) against its fast tests ([tool.mutmut] in
# pyproject.toml); slow, not part of CI. Prints the kill rate; `$(BIN)/mutmut results` lists survivors.
mutation: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[mutation]'
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2 > /dev/null || true
	$(BIN)/python benchmarks/mutation_score.py

clean:
	rm -rf $(VENV) mutants .pytest_cache .hypothesis build dist
