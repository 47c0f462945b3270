# claimscan — everything a fresh clone needs is installed into .venv by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint system format benchmark rules-doc clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: crawl, scan and report on the bundled fixture clinic sites on 127.0.0.x
demo: $(STAMP)
	$(BIN)/claimscan demo --out demo-output

## test: lint, type-check, install the system packages tests need, run the test suite
test: lint system
	$(BIN)/pytest

## system: Chromium, WeasyPrint's libraries, PostgreSQL and Redis, with apt where missing
system:
	bash scripts/setup-system.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: $(STAMP)
	$(BIN)/python benchmarks/crawl.py
	$(BIN)/python benchmarks/scan.py $(if $(wildcard ../shared/eval-dev/pages),--pages ../shared/eval-dev/pages)
	$(BIN)/python benchmarks/distributed.py
	$(BIN)/python benchmarks/render.py

## rules-doc: regenerate rules/README.md from the rule pack
rules-doc: $(STAMP)
	$(BIN)/claimscan rules --format markdown > rules/README.md

clean:
	rm -rf $(VENV) demo-output build .pytest_cache .mypy_cache .ruff_cache
