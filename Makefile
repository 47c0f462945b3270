# claimscan — everything a fresh clone needs is installed into .venv by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint format benchmark rules-doc clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: crawl the bundled fixture clinic sites on 127.0.0.1 and print a summary
demo: $(STAMP)
	$(BIN)/claimscan demo --out demo-output

## test: lint, type-check and run the test suite
test: lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: $(STAMP)
	$(BIN)/python benchmarks/crawl.py
	$(BIN)/python benchmarks/scan.py

## rules-doc: regenerate rules/README.md from the rule pack
rules-doc: $(STAMP)
	$(BIN)/claimscan rules --format markdown > rules/README.md

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
