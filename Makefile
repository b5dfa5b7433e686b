# Two commands for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := demo

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip's "Location ... is ignored" lines come from the machine's pip config, not from us.
QUIET_PIP := 2>&1 | { grep -v -e "WARNING: Location" -e "BuildBackendWarning" || true; }

.PHONY: demo test lint imports typecheck unit install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip $(QUIET_PIP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]" $(QUIET_PIP)
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO)
	$(BIN)/cme-intake demo-setup $(DEMO)
	$(BIN)/cme-intake run --once --config $(DEMO)/cme-intake.toml
	$(BIN)/cme-intake log --config $(DEMO)/cme-intake.toml
	$(BIN)/cme-intake flags --open --config $(DEMO)/cme-intake.toml

lint: $(STAMP)
	$(BIN)/ruff check .

# The architecture contracts in .importlinter: a change that reaches up a layer fails here.
imports: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy intake/core/ intake/ingest.py parsers/

test: lint imports typecheck
	$(BIN)/pytest -q -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/python bench/parse.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .mypy_cache .ruff_cache
