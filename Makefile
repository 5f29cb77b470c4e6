# QualityLine: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := core.app:create_app

.PHONY: run test lint install migrate demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed

demo: migrate
	$(BIN)/flask demo --if-empty

run: demo
	$(BIN)/gunicorn --config deploy/gunicorn.conf.py "core.app:create_app()"

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
