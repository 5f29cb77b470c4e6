# QualityLine: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := core.app:create_app

MO := core/translations/zh_Hans_CN/LC_MESSAGES/messages.mo

.PHONY: run test lint audit install migrate demo clean translations browser bench-deps bench bench-scale

# Python 3.11's venv seeds setuptools 65.5, which has published advisories (CVE-2022-40897, CVE-2024-6345,
# CVE-2025-47273): upgrade it with pip, so the audit of the environment finds nothing of ours to fix.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=78.1.1"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(MO): core/translations/zh_Hans_CN/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -d core/translations -D messages

install: $(STAMP) $(MO)

# After changing user-facing text: refresh the catalogue, translate the new entries in the .po, compile.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o core/translations/messages.pot .
	$(BIN)/pybabel update -i core/translations/messages.pot -d core/translations -D messages --no-fuzzy-matching
	$(BIN)/pybabel compile -d core/translations -D messages

# Debian's Chromium + driver (and a CJK font for screenshots) for the browser tests in tests/web, and
# pango for WeasyPrint (the annual report PDF).
SYSTEM_PACKAGES := chromium chromium-driver fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null \
	  && ldconfig -p | grep -q libpangoft2-1.0 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "tests need: sudo apt-get install $(SYSTEM_PACKAGES)" >&2; exit 1; fi; }

# Debian's wrk, the HTTP load generator of bench/intake_bench.py.
BENCH_PACKAGES := wrk
bench-deps:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq $(BENCH_PACKAGES) >/dev/null; \
	  else echo "benchmarks need: sudo apt-get install $(BENCH_PACKAGES)" >&2; exit 1; fi; }

migrate: install
	mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask seed
	$(BIN)/flask surveys seed
	$(BIN)/flask analytics seed-indicators

demo: migrate
	$(BIN)/flask demo --if-empty
	$(BIN)/flask surveys demo --if-empty
	$(BIN)/flask analytics demo-hotspot --if-absent
	$(BIN)/flask analytics rollup

# Web (gunicorn) and scheduler side by side; Ctrl-C, or either of them exiting, stops both.
run: demo
	@trap 'kill -TERM $$web $$sched 2>/dev/null; wait; exit 0' INT TERM; \
	trap 'kill -TERM $$web $$sched 2>/dev/null; wait' EXIT; \
	$(BIN)/flask scheduler run & sched=$$!; \
	$(BIN)/gunicorn --config deploy/gunicorn.conf.py "core.app:create_app()" & web=$$!; \
	echo "web (pid $$web) on $${QUALITYLINE_BIND:-127.0.0.1:8000} and scheduler (pid $$sched) running;" \
	  "Ctrl-C stops both"; \
	while kill -0 $$web 2>/dev/null && kill -0 $$sched 2>/dev/null; do sleep 1; done

test: install browser
	$(BIN)/pytest

# Provincial-scale benchmarks (docs/PERFORMANCE.md): intake under gunicorn, then every database measure at
# each case count on one generated database per size, the survey statistics, and the scaling check.
# Needs a PostgreSQL reachable at BENCH_URL (the database in it is dropped and recreated).
# Quick run: make bench BENCH_SIZES=10k,100k BENCH_RESPONSES=10k
BENCH_SIZES ?= 10k,100k,1M,10M
BENCH_RESPONSES ?= 10k,100k,1M
BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/qualityline_bench
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(BENCH_STAMP)

bench: install bench-deps bench-scale
	$(BIN)/python bench/intake_bench.py

bench-scale: install $(BENCH_STAMP)
	PYTHONPATH=. $(BIN)/python bench/run.py --sizes $(BENCH_SIZES) --responses $(BENCH_RESPONSES) \
	  --url $(BENCH_URL)

lint: install
	$(BIN)/ruff check .

# Known vulnerabilities in the installed packages (pip-audit; needs PyPI's JSON API, see .ci/audit).
audit: install
	.ci/audit

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
