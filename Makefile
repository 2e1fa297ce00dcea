# JNT Data Space — developer commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/jnt demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m pytest -q tests/benchmarks -p no:randomly --benchmark-only --benchmark-columns=min,mean,median,ops,rounds -o norecursedirs=

lint: $(STAMP)
	$(BIN)/ruff check policies catalog connector tests

clean:
	rm -rf $(VENV) build dist *.egg-info
